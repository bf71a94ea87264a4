//! Matcher speed at scale: 10, 100, 1,000 and 10,000 brands of about 10 terms each, on
//! realistic multilingual mention text, against a naive per-rule regex loop.
//!
//! Rules, per synthetic brand (names are generated pronounceable words, ~10% Cyrillic, some
//! with diacritics): topic `brand` (name, "name group", #name, @name_official), `products`
//! (two "name <product>" phrases), `people` (a first and last name), `complaints` (the query
//! `name AND (refund* OR broken OR "money back" OR возврат) -is:repost`), and a brand-level
//! exclusion ("name plumbing"): 10-11 distinct literals per brand, 4 topics.
//!
//! Mentions: the demo generator's texts (seven languages, hashtags, handles, URLs; see
//! `benches/data/corpus.rs`), where 35% get one synthetic brand reference spliced in (its name
//! in some casing or without its diacritics, a product, a hashtag, a handle, a person, or a
//! complaint) and 5% a second one; the rest name no synthetic brand, like most of a
//! firehose.
//!
//! Timed, on one thread (so "per core"):
//! - compile: `Matcher::new` over all brands (what start-up and a reload cost);
//! - compiled: `Matcher::matches_with` over every mention, repeated until >= 2 s, median of 3
//!   runs: mentions/s and MB/s of mention text;
//! - naive: for every topic of every brand, its query evaluated with one `regex::Regex` per
//!   literal over the mention's normalised token stream (so both see the same text and give
//!   the same answers; the naive loop gets normalisation for free). Timed on as many mentions
//!   as fit in ~2 s, and its answers are checked equal to the compiled matcher's.
//!
//! Then `/pattern/` terms: the 1,000-brand rules again with a `models` topic added to every
//! tenth brand (`/name[- ]?x\d{3}/ OR /tag\.com\/(promo|deal)/`, regular expressions with
//! required literals), timed side by side with the rules without them on the same mentions,
//! in which 2% carry a model number or promo link of one of those brands. Their answers are
//! checked against the reference evaluator (`query::eval_node`).
//!
//! Run: `cargo bench --bench matcher_scale` (about a minute). `cargo test --benches` runs a
//! short check (10 and 100 brands, agreement only). Figures: `benches/RESULTS.md`.

#[path = "data/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

use brandpulse::config::{BrandConfig, MatchingConfig, TopicConfig};
use brandpulse::ingest::Decoder;
use brandpulse::matcher::{topic_query, Matcher, Scratch};
use brandpulse::mention::Mention;
use brandpulse::record::InputFormat;
use brandpulse::rules::normalize;
use brandpulse::rules::query::{self, Doc, Node};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use regex::Regex;

const SYLLABLES: &[&str] = &[
    "zor", "vex", "lum", "ka", "tri", "no", "bel", "qua", "dra", "fin", "mo", "rix", "sol", "ta",
    "vin", "gre", "pol", "xa", "ne", "stro", "ké", "lö", "mar", "ion", "ul", "bra",
];
const CYRILLIC: &[&str] = &[
    "зор", "век", "лум", "ка", "три", "но", "бел", "мар", "сол", "та",
];
const PRODUCTS: &[&str] = &["pro", "air", "max", "mini", "one", "lite", "go", "plus"];
const FIRST: &[&str] = &[
    "anna", "jonas", "maría", "pavel", "linh", "chloé", "joão", "erik",
];
const COMPLAINTS: &[&str] = &[
    "refund please",
    "is broken again",
    "I want my money back",
    "требую возврат",
    "refunded at last",
];

struct SynthBrand {
    name: String,
    product: String,
    person: String,
}

fn brand_name(rng: &mut StdRng, used: &mut BTreeSet<String>) -> String {
    loop {
        let cyr = rng.gen_bool(0.1);
        let parts = if cyr { CYRILLIC } else { SYLLABLES };
        let n = rng.gen_range(2..=4);
        let name: String = (0..n)
            .map(|_| parts[rng.gen_range(0..parts.len())])
            .collect();
        if name.chars().count() >= 5 && used.insert(normalize::normalize_term(&name)) {
            return name;
        }
    }
}

fn brands(n: usize) -> (Vec<BrandConfig>, Vec<SynthBrand>) {
    let mut rng = StdRng::seed_from_u64(n as u64);
    let mut used = BTreeSet::new();
    let mut configs = Vec::with_capacity(n);
    let mut synth = Vec::with_capacity(n);
    for i in 0..n {
        let name = brand_name(&mut rng, &mut used);
        let p1 = PRODUCTS[rng.gen_range(0..PRODUCTS.len())];
        let p2 = PRODUCTS[rng.gen_range(0..PRODUCTS.len())];
        let last = brand_name(&mut rng, &mut used);
        let person = format!("{} {last}", FIRST[rng.gen_range(0..FIRST.len())]);
        let tag: String = normalize::normalize_term(&name).replace(' ', "");
        let topics = [
            (
                "brand",
                TopicConfig {
                    keywords: vec![name.clone(), format!("{name} group")],
                    hashtags: vec![tag.clone()],
                    handles: vec![format!("{tag}_official")],
                    ..TopicConfig::default()
                },
            ),
            (
                "products",
                TopicConfig {
                    keywords: vec![format!("{name} {p1}"), format!("{name} {p2}")],
                    ..TopicConfig::default()
                },
            ),
            (
                "people",
                TopicConfig {
                    keywords: vec![person.clone()],
                    ..TopicConfig::default()
                },
            ),
            (
                "complaints",
                TopicConfig {
                    query: Some(format!(
                        "{name} AND (refund* OR broken OR \"money back\" OR возврат) -is:repost"
                    )),
                    ..TopicConfig::default()
                },
            ),
        ];
        configs.push(BrandConfig {
            id: format!("brand-{i:05}"),
            name: None,
            exclude_spam: None,
            own_handles: Vec::new(),
            exclude: vec![format!("{name} plumbing")],
            topics: topics
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        });
        synth.push(SynthBrand {
            name,
            product: p1.to_string(),
            person,
        });
    }
    (configs, synth)
}

/// Adds a `models` topic of two `/pattern/` terms to every tenth brand.
fn with_patterns(configs: &[BrandConfig], synth: &[SynthBrand]) -> Vec<BrandConfig> {
    let mut out = configs.to_vec();
    for (i, (c, b)) in out.iter_mut().zip(synth).enumerate() {
        if i % 10 == 0 {
            let query = format!(
                "/{}[- ]?x\\d{{3}}/ OR /{}\\.com\\/(promo|deal)/",
                regex::escape(&b.name),
                regex::escape(&tag_of(b))
            );
            c.topics.insert(
                "models".to_string(),
                TopicConfig {
                    query: Some(query),
                    ..TopicConfig::default()
                },
            );
        }
    }
    out
}

fn tag_of(b: &SynthBrand) -> String {
    normalize::normalize_term(&b.name).replace(' ', "")
}

/// `ms` with 2% given a model number or a promo link of one of the brands with patterns.
fn with_pattern_references(ms: &[Mention], synth: &[SynthBrand]) -> Vec<Mention> {
    let mut rng = StdRng::seed_from_u64(11);
    ms.iter()
        .cloned()
        .map(|mut m| {
            if rng.gen_bool(0.02) {
                let b = &synth[rng.gen_range(0..synth.len() / 10) * 10];
                let r = if rng.gen_bool(0.5) {
                    format!("{}-X{}", b.name.to_uppercase(), rng.gen_range(100..1000))
                } else {
                    format!("https://{}.com/deal", tag_of(b))
                };
                m.text = format!("{} {r}", m.text);
            }
            m
        })
        .collect()
}

/// Patterns: the same mentions against the 1,000-brand rules without and with a tenth of
/// the brands using `/pattern/` terms.
fn patterns_side_by_side(full: bool, options: &MatchingConfig) {
    let n = if full { 1_000 } else { 100 };
    let (plain, synth) = brands(n);
    let patterned = with_patterns(&plain, &synth);
    let ms = with_pattern_references(&mentions(if full { 20_000 } else { 500 }, &synth), &synth);
    let limits = options.limits();
    let opts = options.query_options();
    println!("\n| {n} brands | topics | regexes | automata | compile | match rate | compiled mentions/s |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (label, configs) in [
        ("without patterns", &plain),
        ("a tenth with patterns", &patterned),
    ] {
        let t0 = Instant::now();
        let matcher = Matcher::new(configs, options).expect("bench rules compile");
        let compile = t0.elapsed();
        let nodes: Vec<(String, String, Node)> = configs
            .iter()
            .flat_map(|b| b.topics.iter().map(move |(t, tc)| (b, t, tc)))
            .map(|(b, t, tc)| {
                let node = topic_query(b, t, tc, &limits).expect("bench query");
                (b.id.clone(), t.clone(), node)
            })
            .collect();
        let mut scratch = Scratch::default();
        let sample = if full { 300 } else { ms.len() };
        for m in &ms[..sample] {
            let doc = Doc::from_mention(m);
            let want: Hits = nodes
                .iter()
                .filter(|(_, _, node)| query::eval_node(node, &doc, &opts))
                .map(|(b, t, _)| (b.clone(), t.clone()))
                .collect();
            assert_eq!(
                compiled_hits(&matcher, m, &mut scratch),
                want,
                "compiled and reference disagree on {:?}",
                m.text
            );
        }
        let matched = ms
            .iter()
            .filter(|m| !matcher.matches_with(m, &mut scratch).is_empty())
            .count();
        let rate_text = if full {
            format!(
                "{:.0}",
                median(
                    (0..3)
                        .map(|_| {
                            rate(&ms, Duration::from_secs(2), |m| {
                                matcher.matches_with(black_box(m), &mut scratch).len()
                            })
                        })
                        .collect(),
                )
            )
        } else {
            format!("(check only: {sample} mentions agree)")
        };
        println!(
            "| {label} | {} | {} | {:.1} MiB | {:.0} ms | {:.1}% | {rate_text} |",
            matcher.stats().topics,
            matcher.stats().regexes,
            matcher.stats().automaton_bytes as f64 / (1 << 20) as f64,
            compile.as_secs_f64() * 1e3,
            100.0 * matched as f64 / ms.len() as f64,
        );
    }
}

/// A reference to `b` as people write it.
fn reference(rng: &mut StdRng, b: &SynthBrand) -> String {
    let name = match rng.gen_range(0..4) {
        0 => b.name.to_uppercase(),
        1 => {
            let mut c = b.name.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
        2 => normalize::normalize_term(&b.name),
        _ => b.name.clone(),
    };
    match rng.gen_range(0..7) {
        0 => format!("{name}'s"),
        1 => format!("the new {name} {}", b.product),
        2 => format!("#{}", normalize::normalize_term(&b.name).replace(' ', "")),
        3 => format!("@{}_official", normalize::normalize_term(&b.name)),
        4 => b.person.clone(),
        5 => format!("{name} {}", COMPLAINTS[rng.gen_range(0..COMPLAINTS.len())]),
        _ => name,
    }
}

fn mentions(count: usize, synth: &[SynthBrand]) -> Vec<Mention> {
    let corpus = corpus::canonical(count + count / 50 + 10);
    let decoder = Decoder::new(InputFormat::Canonical, 1 << 20);
    let mut rng = StdRng::seed_from_u64(7);
    corpus
        .samples
        .iter()
        .filter_map(|s| decoder.decode(Some(&s.payload)).ok())
        .take(count)
        .map(|mut m| {
            for share in [0.35, 0.05] {
                if rng.gen_bool(share) {
                    let b = &synth[rng.gen_range(0..synth.len())];
                    let r = reference(&mut rng, b);
                    let words: Vec<&str> = m.text.split(' ').collect();
                    let at = rng.gen_range(0..=words.len());
                    let mut out = words[..at].join(" ");
                    out.push(' ');
                    out.push_str(&r);
                    out.push(' ');
                    out.push_str(&words[at..].join(" "));
                    m.text = out;
                }
            }
            m
        })
        .collect()
}

/// A query with a compiled regex per literal, evaluated over the normalised token stream.
enum Naive {
    Lit(Regex),
    Field(query::Field),
    And(Vec<Naive>),
    Or(Vec<Naive>),
    Not(Box<Naive>),
}

fn naive(node: &Node, tags: bool) -> Naive {
    let re = |p: String| Naive::Lit(Regex::new(&p).expect("literal regex"));
    let hash = if tags { "#?" } else { "" };
    match node {
        Node::Term { text, .. } if !text.contains(' ') => {
            re(format!(" {hash}{} ", regex::escape(text)))
        }
        Node::Term { text, .. } => re(format!(" {} ", regex::escape(text))),
        Node::Phrase(w) => re(format!(" {} ", regex::escape(&w.join(" ")))),
        Node::Prefix(p) => re(format!(" {hash}{}", regex::escape(p))),
        Node::Hashtag(t) => re(format!(" #{} ", regex::escape(t))),
        Node::Handle(h) => re(format!(" @{} ", regex::escape(h))),
        Node::Field(f) => Naive::Field(f.clone()),
        Node::And(items) => Naive::And(items.iter().map(|n| naive(n, tags)).collect()),
        Node::Or(items) => Naive::Or(items.iter().map(|n| naive(n, tags)).collect()),
        Node::Not(inner) => Naive::Not(Box::new(naive(inner, tags))),
        Node::Near { .. } => unreachable!("the bench rules have no NEAR"),
        Node::Pattern(_) => unreachable!("the naive loop runs on the rules without patterns"),
    }
}

fn naive_eval(n: &Naive, stream: &str, meta: &Doc) -> bool {
    match n {
        Naive::Lit(re) => re.is_match(stream),
        Naive::Field(f) => match f {
            query::Field::IsRepost => meta.is_repost,
            query::Field::IsReply => meta.is_reply,
            _ => unreachable!("the bench rules only filter reposts"),
        },
        Naive::And(items) => items.iter().all(|i| naive_eval(i, stream, meta)),
        Naive::Or(items) => items.iter().any(|i| naive_eval(i, stream, meta)),
        Naive::Not(inner) => !naive_eval(inner, stream, meta),
    }
}

type Hits = BTreeSet<(String, String)>;

fn naive_matches(rules: &[(String, String, Naive)], m: &Mention, stream: &mut String) -> Hits {
    normalize::token_stream(&m.text, stream);
    let meta = Doc::meta_of(m);
    rules
        .iter()
        .filter(|(_, _, q)| naive_eval(q, stream, &meta))
        .map(|(b, t, _)| (b.clone(), t.clone()))
        .collect()
}

fn compiled_hits(matcher: &Matcher, m: &Mention, scratch: &mut Scratch) -> Hits {
    matcher
        .matches_with(m, scratch)
        .into_iter()
        .flat_map(|bm| bm.topics.into_iter().map(move |t| (bm.brand.clone(), t)))
        .collect()
}

/// Mentions per second of one pass of `f` over `mentions`, repeated until `min` elapsed.
fn rate(mentions: &[Mention], min: Duration, mut f: impl FnMut(&Mention) -> usize) -> f64 {
    let started = Instant::now();
    let mut n = 0usize;
    let mut sink = 0usize;
    while started.elapsed() < min || n == 0 {
        for m in mentions {
            sink += f(m);
        }
        n += mentions.len();
    }
    black_box(sink);
    n as f64 / started.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let sizes: &[usize] = if full {
        &[10, 100, 1_000, 10_000]
    } else {
        &[10, 100]
    };
    let options = MatchingConfig::default();
    let tags = options.keywords_match_hashtags;
    println!(
        "| brands | literals | patterns | compile | match rate | compiled mentions/s | MB/s | naive mentions/s | speed-up |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &n in sizes {
        let (configs, synth) = brands(n);
        let t0 = Instant::now();
        let matcher = Matcher::new(&configs, &options).expect("bench rules compile");
        let compile = t0.elapsed();
        let ms = mentions(if full { 20_000 } else { 500 }, &synth);
        let bytes: usize = ms.iter().map(|m| m.text.len()).sum();
        let mut scratch = Scratch::default();
        let matched = ms
            .iter()
            .filter(|m| !matcher.matches_with(m, &mut scratch).is_empty())
            .count();

        let limits = options.limits();
        let rules: Vec<(String, String, Naive)> = configs
            .iter()
            .flat_map(|b| b.topics.iter().map(move |(t, tc)| (b, t, tc)))
            .map(|(b, t, tc)| {
                let node = topic_query(b, t, tc, &limits).expect("bench query");
                (b.id.clone(), t.clone(), naive(&node, tags))
            })
            .collect();
        // Agreement on a sample (all of it in the short check).
        let mut stream = String::new();
        // (The naive loop costs ~0.1 ms per topic-thousand and mention: keep the check short.)
        let sample = match (full, n) {
            (false, _) => ms.len(),
            (true, n) if n >= 10_000 => 200,
            (true, _) => 2_000,
        };
        for m in &ms[..sample] {
            assert_eq!(
                compiled_hits(&matcher, m, &mut scratch),
                naive_matches(&rules, m, &mut stream),
                "compiled and naive disagree on {:?}",
                m.text
            );
        }
        if !full {
            println!(
                "| {n} | {} | {} | {:.1} ms | {:.0}% | (check only: {sample} mentions agree) | | | |",
                matcher.stats().literals,
                matcher.stats().patterns,
                compile.as_secs_f64() * 1e3,
                100.0 * matched as f64 / ms.len() as f64
            );
            continue;
        }
        let compiled = median(
            (0..3)
                .map(|_| {
                    rate(&ms, Duration::from_secs(2), |m| {
                        matcher.matches_with(black_box(m), &mut scratch).len()
                    })
                })
                .collect(),
        );
        // The naive loop: time one mention to size a ~2 s sample.
        let t = Instant::now();
        black_box(naive_matches(&rules, &ms[0], &mut stream));
        let per = t.elapsed().as_secs_f64().max(1e-7);
        let take = ((2.0 / per) as usize).clamp(50, ms.len());
        let naive_rate = rate(&ms[..take], Duration::from_secs(2), |m| {
            naive_matches(&rules, black_box(m), &mut stream).len()
        });
        println!(
            "| {n} | {} | {} | {:.0} ms | {:.0}% | {:.0} | {:.1} | {:.0} | {:.0}x |",
            matcher.stats().literals,
            matcher.stats().patterns,
            compile.as_secs_f64() * 1e3,
            100.0 * matched as f64 / ms.len() as f64,
            compiled,
            compiled * (bytes as f64 / ms.len() as f64) / 1e6,
            naive_rate,
            compiled / naive_rate
        );
    }
    println!(
        "\n(one thread; {} mentions per size, mean {:.0} bytes of text; naive: one regex per literal per topic)",
        if full { 20_000 } else { 500 },
        {
            let (_, synth) = brands(10);
            let ms = mentions(2_000, &synth);
            ms.iter().map(|m| m.text.len()).sum::<usize>() as f64 / ms.len() as f64
        }
    );
    patterns_side_by_side(full, &options);
}
