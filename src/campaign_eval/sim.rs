//! The seeded streams of `brandpulse campaign-eval`: organic mentions, organic look-alikes,
//! organic repost cascades and injected copy-paste campaigns, each mention with the truth
//! the evaluation scores against. Nothing here reads the screen stage's code or settings.
//!
//! - **Organic** posts: per brand a Poisson stream (30, 150 or 600 an hour, round robin over
//!   the brands, with a daily rhythm), each text composed from independent parts (an opener, a
//!   product, one of 40 statements, a tail, 0-4 words of the author's own, an emoji), from
//!   established accounts (months to years old, their own picture, followers log-uniform).
//! - **Look-alikes**: "moments" (a launch, an outage) when 30-200 ordinary accounts within
//!   1-3 hours say the same thing in their own words: one of four phrasings of a shared core,
//!   plus their own words; one in ten posts the bare core with an emoji. Not campaigns.
//! - **Reposts**: cascades of 50-500 reposts (`repost_of` set, `RT @x: ...`) of one organic
//!   post within 30 minutes. Not campaigns.
//! - **Campaigns** (after the learning hours): 20-300 accounts (log-uniform) post one of 12
//!   texts (en, es, fr, de, pt, it) within 5-60 minutes, each copy lightly edited (1-4 of: a
//!   word swapped, an emoji, a hashtag, punctuation, a word in capitals, an @handle, a link,
//!   a number changed, a prefix such as "FYI"); 20-100% of the accounts look automated (days
//!   old, default picture, few followers, digits in the handle), the rest look ordinary;
//!   one account in ten posts its copy twice.

use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::mention::{Author, BrandMatch, Engagement, Mention, Reference};

/// What a simulated mention really is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    /// An ordinary post.
    Organic,
    /// A post of an organic look-alike moment.
    Lookalike,
    /// A repost of an organic post.
    Repost,
    /// A copy of injected campaign `n`.
    Campaign(usize),
}

/// One injected campaign.
#[derive(Debug, Clone)]
pub struct Injected {
    /// Its brand (index).
    pub brand: usize,
    /// Accounts taking part.
    pub accounts: usize,
    /// First and last post.
    pub first: DateTime<Utc>,
    /// See `first`.
    pub last: DateTime<Utc>,
}

/// A generated stream, in time order.
#[derive(Debug, Clone)]
pub struct Stream {
    /// Brand ids.
    pub brands: Vec<String>,
    /// Organic mentions an hour per brand.
    pub rates: Vec<f64>,
    /// Mentions with their brand (index) and truth, sorted by time.
    pub mentions: Vec<(usize, Truth, Mention)>,
    /// The injected campaigns.
    pub campaigns: Vec<Injected>,
    /// Look-alike moments and repost cascades generated.
    pub lookalike_moments: usize,
    /// See `lookalike_moments`.
    pub repost_cascades: usize,
    /// First mention time.
    pub start: DateTime<Utc>,
    /// Hours the detector learns first (no campaigns).
    pub learn_hours: u32,
    /// Hours in all.
    pub hours: u32,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed.
    pub seed: u64,
    /// Brands.
    pub brands: usize,
    /// Hours evaluated (after `learn_hours`).
    pub hours: u32,
    /// Hours without campaigns first.
    pub learn_hours: u32,
    /// Campaigns per brand over the evaluated hours.
    pub campaigns_per_brand: usize,
    /// Smallest and largest campaign.
    pub campaign_accounts: (usize, usize),
    /// Look-alike moments per brand.
    pub lookalikes_per_brand: usize,
    /// Repost cascades per brand.
    pub cascades_per_brand: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            brands: 12,
            hours: 72,
            learn_hours: 24,
            campaigns_per_brand: 4,
            campaign_accounts: (20, 300),
            lookalikes_per_brand: 3,
            cascades_per_brand: 3,
        }
    }
}

const RATES: [f64; 3] = [30.0, 150.0, 600.0];
const BRANDS: [&str; 12] = [
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "tyrell",
    "cyberdyne",
    "wonka",
    "soylent",
    "oscorp",
];
const OPENERS: [&str; 16] = [
    "",
    "just saying",
    "honestly",
    "ok so",
    "not gonna lie",
    "wow",
    "ugh",
    "lol",
    "so",
    "today",
    "finally",
    "again",
    "hmm",
    "well",
    "psa",
    "real talk",
];
const PRODUCTS: [&str; 12] = [
    "phone",
    "app",
    "support",
    "delivery",
    "update",
    "store",
    "laptop",
    "headphones",
    "subscription",
    "battery",
    "order",
    "website",
];
const STATEMENTS: [&str; 40] = [
    "is great",
    "keeps crashing",
    "was late again",
    "works fine",
    "is way too expensive",
    "made my day",
    "is down for me",
    "needs a dark mode",
    "broke after two weeks",
    "is pretty good actually",
    "was really helpful on the phone",
    "charged me twice",
    "arrived a day early",
    "is the best I have had",
    "drains so fast",
    "logged me out again",
    "got a lot better",
    "feels slower than last year",
    "has the nicest staff",
    "lost my package",
    "fixed it in five minutes",
    "is confusing to set up",
    "looks amazing in blue",
    "never answers emails",
    "refunded me without questions",
    "is overpriced for what it is",
    "keeps getting better",
    "froze during my call",
    "was out of stock again",
    "sounds incredible",
    "is fine I guess",
    "changed the menu and I hate it",
    "is my favourite thing this year",
    "took forty minutes to answer",
    "deleted my playlist",
    "runs hot when charging",
    "shipped the wrong size",
    "is worth every cent",
    "ruined my weekend",
    "surprised me in a good way",
];
const TAILS: [&str; 24] = [
    "",
    "tbh",
    "no idea why",
    "for the third time this week",
    "after the update",
    "since yesterday",
    "and I'm not even mad",
    "can't complain",
    "what do you think",
    "will never buy again",
    "10/10",
    "worth it",
    "send help",
    "my sister agrees",
    "as usual",
    "who else",
    "classic",
    "I'm impressed",
    "seriously",
    "not cool",
    "love it",
    "meh",
    "thanks team",
    "unbelievable",
];
const OWN_WORDS: [&str; 48] = [
    "yesterday",
    "morning",
    "kids",
    "work",
    "train",
    "coffee",
    "weekend",
    "finally",
    "really",
    "mom",
    "office",
    "birthday",
    "rain",
    "night",
    "gym",
    "traffic",
    "lunch",
    "school",
    "vacation",
    "friend",
    "boss",
    "dog",
    "cat",
    "movie",
    "game",
    "music",
    "dinner",
    "city",
    "bus",
    "money",
    "time",
    "week",
    "month",
    "today",
    "tomorrow",
    "honestly",
    "maybe",
    "probably",
    "actually",
    "literally",
    "totally",
    "kinda",
    "pretty",
    "super",
    "very",
    "again",
    "still",
    "already",
];
const EMOJI: [&str; 8] = ["", "", " 😂", " 🙄", " 😍", " 👍", " 😡", " 🤷"];
const LOOKALIKE_CORES: [[&str; 4]; 6] = [
    [
        "I love my new {b} phone",
        "loving my new {b} phone",
        "my new {b} phone is so good",
        "new {b} phone and I love it",
    ],
    [
        "{b} is down again",
        "is {b} down for anyone else",
        "{b} not working right now",
        "{b} outage again",
    ],
    [
        "the new {b} update is amazing",
        "this {b} update is amazing",
        "{b} update looks great",
        "really like the new {b} update",
    ],
    [
        "free shipping at {b} today",
        "{b} has free shipping today",
        "{b} free shipping day",
        "today {b} ships for free",
    ],
    [
        "{b} support fixed my problem fast",
        "{b} support was quick today",
        "shoutout to {b} support",
        "{b} support sorted it out",
    ],
    [
        "waiting in line for the {b} launch",
        "in the {b} launch line now",
        "{b} launch queue is huge",
        "queueing for {b} launch",
    ],
];
const CAMPAIGN_TEXTS: [&str; 12] = [
    "{b} stole my money and support ignores every message. Everyone should stop buying from them now",
    "Do NOT trust {b}. They sell your data to anyone who pays and lie about it in their privacy policy",
    "{b} phones explode while charging and they are hiding it. Share before they delete this",
    "Get a free {b} gift card worth 500 dollars today only, just follow and retweet this post",
    "{b} ha cerrado mi cuenta sin aviso y se quedó con mi dinero, no compren nunca en esta empresa",
    "{b} nous vole depuis des années, les prix ont doublé et le service client ne répond jamais",
    "{b} verkauft eure Daten an Werbefirmen, löscht sofort eure Konten und kauft dort nichts mehr",
    "A {b} roubou meu dinheiro e o suporte não responde, ninguém deveria comprar nada deles",
    "{b} ci ha truffato tutti, il prodotto si rompe dopo una settimana e non rimborsano nessuno",
    "Boycott {b} until they pay their workers fairly, they made billions while cutting wages again",
    "I switched from {b} to a real company and my bills dropped by half, everyone should do the same",
    "{b} is the worst company in the country, their new policy steals from loyal customers every month",
];
const SWAPS: [[&str; 2]; 12] = [
    ["stole", "took"],
    ["Everyone", "Everybody"],
    ["never", "not ever"],
    ["money", "cash"],
    ["company", "corporation"],
    ["today", "now"],
    ["stop", "quit"],
    ["jamais", "plus"],
    ["nunca", "jamás"],
    ["sofort", "jetzt"],
    ["nada", "coisa alguma"],
    ["tutti", "tutti quanti"],
];
const TAGS: [&str; 5] = [
    " #scam",
    " #boycott",
    " #fraud",
    " #truth",
    " #consumerrights",
];
const PREFIXES: [&str; 5] = ["FYI ", "Wow. ", "RT if you agree: ", "PSA: ", "Read this: "];
const HANDLES: [&str; 6] = [
    "truthseeker",
    "realvoice",
    "fairdeal",
    "honestbuyer",
    "newsfan",
    "patriot",
];

/// Generates the stream for `config`.
pub fn generate(config: &SimConfig) -> Stream {
    let mut rng = StdRng::seed_from_u64(config.seed);
    let start = DateTime::from_timestamp(1_780_272_000, 0).unwrap_or_default(); // 2026-06-01
    let total_hours = config.learn_hours + config.hours;
    let mut g = Gen {
        rng: &mut rng,
        next_id: 0,
        next_author: 0,
    };
    let brands: Vec<String> = (0..config.brands)
        .map(|i| {
            let base = BRANDS[i % BRANDS.len()];
            if i < BRANDS.len() {
                base.to_string()
            } else {
                format!("{base}{}", i / BRANDS.len())
            }
        })
        .collect();
    let rates: Vec<f64> = (0..config.brands).map(|i| RATES[i % RATES.len()]).collect();
    let mut mentions: Vec<(usize, Truth, Mention)> = Vec::new();
    let mut campaigns = Vec::new();
    for (b, brand) in brands.iter().enumerate() {
        // Organic, with a daily rhythm (half the mean at night, 1.5x in the evening).
        for minute in 0..i64::from(total_hours) * 60 {
            let hour = (minute / 60) % 24;
            let rhythm = 1.0 + 0.5 * ((hour as f64 - 13.0) / 24.0 * std::f64::consts::TAU).cos();
            let n = g.poisson(rates[b] / 60.0 * rhythm);
            for _ in 0..n {
                let at =
                    start + Duration::milliseconds(minute * 60_000 + g.rng.gen_range(0..60_000));
                let m = g.organic(brand, at);
                mentions.push((b, Truth::Organic, m));
            }
        }
        let span_ms = i64::from(total_hours) * 3_600_000;
        for _ in 0..config.lookalikes_per_brand {
            let at = start + Duration::milliseconds(g.rng.gen_range(0..span_ms - 3 * 3_600_000));
            g.lookalikes(b, brand, at, &mut mentions);
        }
        for _ in 0..config.cascades_per_brand {
            let at = start + Duration::milliseconds(g.rng.gen_range(0..span_ms - 3_600_000));
            g.cascade(b, brand, at, &mut mentions);
        }
        // Campaigns in the evaluated hours, spread so that two do not overlap.
        let learn_ms = i64::from(config.learn_hours) * 3_600_000;
        let eval_ms = i64::from(config.hours) * 3_600_000;
        let slot = eval_ms / config.campaigns_per_brand.max(1) as i64;
        for k in 0..config.campaigns_per_brand {
            let (lo, hi) = config.campaign_accounts;
            let accounts = (lo as f64 * ((hi as f64 / lo as f64).ln() * g.rng.gen::<f64>()).exp())
                .round() as usize;
            let length_ms = g.rng.gen_range(5..=60) * 60_000;
            let first = start
                + Duration::milliseconds(
                    learn_ms + k as i64 * slot + g.rng.gen_range(0..(slot - length_ms).max(1)),
                );
            let n = campaigns.len();
            let last = g.campaign(b, brand, n, accounts, first, length_ms, &mut mentions);
            campaigns.push(Injected {
                brand: b,
                accounts,
                first,
                last,
            });
        }
    }
    mentions.sort_by(|a, b| {
        a.2.created_at
            .cmp(&b.2.created_at)
            .then(a.2.id.cmp(&b.2.id))
    });
    Stream {
        brands,
        rates,
        mentions,
        campaigns,
        lookalike_moments: config.lookalikes_per_brand * config.brands,
        repost_cascades: config.cascades_per_brand * config.brands,
        start,
        learn_hours: config.learn_hours,
        hours: total_hours,
    }
}

/// The brand match a simulated mention carries.
pub fn matched(brand: &str) -> BrandMatch {
    BrandMatch {
        brand: brand.to_string(),
        topics: Vec::new(),
        terms: vec![brand.to_string()],
    }
}

struct Gen<'a> {
    rng: &'a mut StdRng,
    next_id: u64,
    next_author: u64,
}

impl Gen<'_> {
    fn poisson(&mut self, mean: f64) -> u64 {
        // Knuth's method; means here are at most ~15.
        let l = (-mean).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= self.rng.gen::<f64>();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }

    fn pick<'s>(&mut self, items: &[&'s str]) -> &'s str {
        items[self.rng.gen_range(0..items.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.gen::<f64>() < p
    }

    fn own_words(&mut self, text: &mut String, max: usize) {
        for _ in 0..self.rng.gen_range(0..=max) {
            text.push(' ');
            text.push_str(self.pick(&OWN_WORDS));
        }
    }

    /// An established account: months to years old, its own picture and theme.
    fn ordinary_author(&mut self, at: DateTime<Utc>) -> Author {
        self.next_author += 1;
        let n = self.next_author;
        let followers = (10f64.powf(self.rng.gen_range(1.0..5.0))) as i64;
        let age_days = self.rng.gen_range(90..3_000);
        Author {
            id: Some(format!("u{n}")),
            handle: Some(format!("{}_{}", self.pick(&OWN_WORDS), n % 997)),
            followers: Some(followers),
            following: Some(self.rng.gen_range(50..800)),
            posts: Some(self.rng.gen_range(200..20_000)),
            created_at: Some(at - Duration::days(age_days)),
            default_profile: Some(false),
            default_profile_image: Some(false),
            verified: Some(self.chance(0.01)),
            ..Author::default()
        }
    }

    /// An account that looks automated: days old, default picture and theme, few followers,
    /// digits in the handle.
    fn automated_author(&mut self, at: DateTime<Utc>) -> Author {
        self.next_author += 1;
        let n = self.next_author;
        let handle = format!(
            "{}{}",
            self.pick(&HANDLES),
            self.rng.gen_range(10_000_000..100_000_000)
        );
        Author {
            id: Some(format!("u{n}")),
            handle: Some(handle),
            followers: Some(self.rng.gen_range(0..8)),
            following: Some(self.rng.gen_range(500..2_000)),
            posts: Some(self.rng.gen_range(300..3_000)),
            created_at: Some(at - Duration::days(self.rng.gen_range(1..6))),
            default_profile: Some(true),
            default_profile_image: Some(true),
            verified: Some(false),
            ..Author::default()
        }
    }

    fn mention(&mut self, text: String, at: DateTime<Utc>, author: Author) -> Mention {
        self.next_id += 1;
        let mut m = Mention::new(format!("m{}", self.next_id), text, "twitter", at);
        m.lang = None;
        m.author = Some(author);
        m.engagement = Some(Engagement {
            likes: self.rng.gen_range(0..20),
            shares: self.rng.gen_range(0..3),
            replies: self.rng.gen_range(0..3),
        });
        m
    }

    fn organic_text(&mut self, brand: &str) -> String {
        let mut text = String::new();
        let opener = self.pick(&OPENERS);
        if !opener.is_empty() {
            text.push_str(opener);
            text.push(' ');
        }
        text.push_str(brand);
        text.push(' ');
        text.push_str(self.pick(&PRODUCTS));
        text.push(' ');
        text.push_str(self.pick(&STATEMENTS));
        let tail = self.pick(&TAILS);
        if !tail.is_empty() {
            text.push_str(", ");
            text.push_str(tail);
        }
        self.own_words(&mut text, 4);
        text.push_str(self.pick(&EMOJI));
        text
    }

    fn organic(&mut self, brand: &str, at: DateTime<Utc>) -> Mention {
        let text = self.organic_text(brand);
        let author = self.ordinary_author(at);
        self.mention(text, at, author)
    }

    /// 30-200 ordinary accounts within 1-3 hours saying one thing in their own words.
    fn lookalikes(
        &mut self,
        b: usize,
        brand: &str,
        at: DateTime<Utc>,
        out: &mut Vec<(usize, Truth, Mention)>,
    ) {
        let core = LOOKALIKE_CORES[self.rng.gen_range(0..LOOKALIKE_CORES.len())];
        let people = self.rng.gen_range(30..=200);
        let length_ms = self.rng.gen_range(1..=3) * 3_600_000;
        for _ in 0..people {
            let when = at + Duration::milliseconds(self.rng.gen_range(0..length_ms));
            let mut text = self.pick(&core).replace("{b}", brand);
            if self.chance(0.9) {
                let tail = self.pick(&TAILS);
                if !tail.is_empty() {
                    text.push_str(", ");
                    text.push_str(tail);
                }
                let opener = self.pick(&OPENERS);
                if !opener.is_empty() {
                    text = format!("{opener} {text}");
                }
                self.own_words(&mut text, 4);
            }
            text.push_str(self.pick(&EMOJI));
            let author = self.ordinary_author(when);
            let m = self.mention(text, when, author);
            out.push((b, Truth::Lookalike, m));
        }
    }

    /// 50-500 reposts of one organic post within 30 minutes.
    fn cascade(
        &mut self,
        b: usize,
        brand: &str,
        at: DateTime<Utc>,
        out: &mut Vec<(usize, Truth, Mention)>,
    ) {
        let original = self.organic(brand, at);
        let handle = original
            .author
            .as_ref()
            .and_then(|a| a.handle.clone())
            .unwrap_or_default();
        let reference = Reference {
            id: original.id.clone(),
            text: Some(original.text.clone()),
            author_handle: Some(handle.clone()),
        };
        let text = format!("RT @{handle}: {}", original.text);
        out.push((b, Truth::Organic, original));
        for _ in 0..self.rng.gen_range(50..=500) {
            let when = at + Duration::milliseconds(self.rng.gen_range(1_000..1_800_000));
            let author = self.ordinary_author(when);
            let mut m = self.mention(text.clone(), when, author);
            m.repost_of = Some(reference.clone());
            out.push((b, Truth::Repost, m));
        }
    }

    /// Injected campaign `n`; returns its last post's time.
    #[allow(clippy::too_many_arguments)]
    fn campaign(
        &mut self,
        b: usize,
        brand: &str,
        n: usize,
        accounts: usize,
        first: DateTime<Utc>,
        length_ms: i64,
        out: &mut Vec<(usize, Truth, Mention)>,
    ) -> DateTime<Utc> {
        let base =
            CAMPAIGN_TEXTS[self.rng.gen_range(0..CAMPAIGN_TEXTS.len())].replace("{b}", brand);
        let automated_share = self.rng.gen_range(0.2..=1.0);
        let mut last = first;
        for i in 0..accounts {
            let when = if i == 0 {
                first
            } else {
                first + Duration::milliseconds(self.rng.gen_range(0..length_ms))
            };
            let author = if self.chance(automated_share) {
                self.automated_author(when)
            } else {
                self.ordinary_author(when)
            };
            let text = self.edit(&base);
            let posts = if self.chance(0.1) { 2 } else { 1 };
            for p in 0..posts {
                let at = when + Duration::seconds(p * self.rng.gen_range(30..600));
                last = last.max(at);
                let m = self.mention(text.clone(), at, author.clone());
                out.push((b, Truth::Campaign(n), m));
            }
        }
        last
    }

    /// 1-4 light edits of `base`.
    fn edit(&mut self, base: &str) -> String {
        let mut text = base.to_string();
        for _ in 0..self.rng.gen_range(1..=4) {
            match self.rng.gen_range(0..9) {
                0 => {
                    let [from, to] = SWAPS[self.rng.gen_range(0..SWAPS.len())];
                    text = text.replacen(from, to, 1);
                }
                1 => text.push_str(self.pick(&[" 😡", " 🤬🤬", " 👎", " 😤", " ‼️"])),
                2 => text.push_str(self.pick(&TAGS)),
                3 => {
                    let p = self.pick(&["!", "!!!", ".", "?!", " ..."]);
                    text.push_str(p);
                }
                4 => {
                    let words: Vec<&str> = text.split(' ').collect();
                    let k = self.rng.gen_range(0..words.len());
                    let upper = words[k].to_uppercase();
                    let mut w: Vec<String> = words.iter().map(|s| s.to_string()).collect();
                    w[k] = upper;
                    text = w.join(" ");
                }
                5 => {
                    let h = format!("@{}{} ", self.pick(&HANDLES), self.rng.gen_range(1..999));
                    text = h + &text;
                }
                6 => {
                    let link = format!(" https://t.co/{:x}", self.rng.gen::<u32>());
                    text.push_str(&link);
                }
                7 => {
                    text.push_str(&format!(" {}", self.rng.gen_range(1..100)));
                }
                _ => {
                    let p = self.pick(&PREFIXES);
                    text = format!("{p}{text}");
                }
            }
        }
        text
    }
}
