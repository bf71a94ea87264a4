//! Tests of the sample-stream generator.

use super::*;
use crate::config::Config;
use crate::ingest::Decoder;
use crate::matcher::Matcher;
use crate::record::InputFormat;
use chrono::TimeDelta;
use std::collections::{BTreeSet, HashMap};

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn at(ms: i64) -> DateTime<Utc> {
    start() + TimeDelta::milliseconds(ms)
}

/// `n` samples, one every 300 ms (so 2000 span more than a demo day and two bursts).
fn run(mut generator: Generator, n: i64) -> (Generator, Vec<(DateTime<Utc>, Sample)>) {
    let samples = (0..n)
        .map(|i| {
            let now = at(i * 300);
            (now, generator.next_sample(now))
        })
        .collect();
    (generator, samples)
}

fn mentions(samples: &[(DateTime<Utc>, Sample)]) -> Vec<&Sample> {
    samples
        .iter()
        .map(|(_, s)| s)
        .filter(|s| s.topic == MENTIONS_TOPIC)
        .collect()
}

fn tweets(samples: &[(DateTime<Utc>, Sample)]) -> Vec<Value> {
    samples
        .iter()
        .filter(|(_, s)| s.topic == TWEETS_TOPIC)
        .map(|(_, s)| serde_json::from_slice(&s.payload).expect("tweet is JSON"))
        .collect()
}

#[test]
fn mentions_parse_except_the_malformed_about_one_percent() {
    let (generator, samples) = run(Generator::new(7, start()), 2000);
    let mentions = mentions(&samples);
    let failed = mentions
        .iter()
        .filter(|s| serde_json::from_slice::<Mention>(&s.payload).is_err())
        .count();
    assert_eq!(failed as u64, generator.malformed_count());
    let ratio = failed as f64 / mentions.len() as f64;
    assert!((0.003..=0.03).contains(&ratio), "malformed ratio {ratio}");
    let tweet_share = 1.0 - mentions.len() as f64 / samples.len() as f64;
    assert!(
        (0.15..=0.25).contains(&tweet_share),
        "tweet share {tweet_share}"
    );
}

#[test]
fn malformed_ratio_is_adjustable() {
    let mut generator = Generator::new(7, start());
    generator.malformed_ratio = 0.0;
    let (generator, _) = run(generator, 500);
    assert_eq!(generator.malformed_count(), 0);
}

#[test]
fn the_decoders_accept_the_valid_records_and_reject_each_kind_of_malformed_one() {
    let mut generator = Generator::new(11, start());
    generator.malformed_ratio = 0.25;
    let (_, samples) = run(generator, 1000);
    let canonical = Decoder::new(InputFormat::Canonical, 100_000);
    let mut reasons = BTreeSet::new();
    for sample in mentions(&samples) {
        let typed = serde_json::from_slice::<Mention>(&sample.payload);
        match canonical.decode(Some(&sample.payload)) {
            Ok(decoded) => assert_eq!(decoded, typed.unwrap()),
            Err(e) => {
                assert!(typed.is_err(), "{e}: decoder rejects a record serde reads");
                reasons.insert(e.reason());
            }
        }
    }
    let expected = BTreeSet::from([
        "invalid_field",
        "invalid_json",
        "invalid_utf8",
        "missing_field",
    ]);
    assert_eq!(reasons, expected);

    let twitter = Decoder::new(InputFormat::TwitterV1, 100_000);
    let (mut reposts, mut quotes, mut long) = (0, 0, 0);
    for (_, sample) in samples.iter().filter(|(_, s)| s.topic == TWEETS_TOPIC) {
        let mention = twitter.decode(Some(&sample.payload)).unwrap();
        assert_eq!(mention.id, sample.key);
        reposts += usize::from(mention.repost_of.is_some());
        quotes += usize::from(mention.quote_of.is_some());
        long += usize::from(mention.text.chars().count() > TWEET_LIMIT);
        assert!(!mention.text.contains("&amp;"), "{}", mention.text);
    }
    assert!(
        reposts > 0 && quotes > 0 && long > 0,
        "{reposts} {quotes} {long}"
    );
}

#[test]
fn tweets_look_like_twitter_v1() {
    let (_, samples) = run(Generator::new(3, start()), 2000);
    let tweets = tweets(&samples);
    let mut retweeted: HashMap<String, usize> = HashMap::new();
    let mut truncated = 0;
    let mut quoted = 0;
    for tweet in &tweets {
        assert!(!tweet["id_str"].as_str().unwrap().is_empty(), "{tweet}");
        assert!(tweet["user"]["screen_name"].is_string());
        assert!(tweet["user"]["followers_count"].is_u64());
        assert!(tweet["timestamp_ms"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .is_ok());
        let created_at = tweet["created_at"].as_str().unwrap();
        DateTime::parse_from_str(created_at, TWITTER_TIME).unwrap();
        assert!(tweet["entities"]["hashtags"].is_array());
        if let Some(original) = tweet.get("retweeted_status") {
            assert!(tweet["text"].as_str().unwrap().starts_with("RT @"));
            assert!(original.get("timestamp_ms").is_none());
            let id = original["id_str"].as_str().unwrap().to_string();
            *retweeted.entry(id).or_default() += 1;
        }
        if tweet["truncated"] == Value::Bool(true) {
            truncated += 1;
            let full = tweet["extended_tweet"]["full_text"].as_str().unwrap();
            assert!(full.chars().count() > TWEET_LIMIT);
            let shown = tweet["text"].as_str().unwrap().replace("&amp;", "&");
            assert!(shown.chars().count() <= TWEET_LIMIT, "{shown}");
        }
        if tweet.get("quoted_status").is_some() {
            quoted += 1;
            assert_eq!(
                tweet["quoted_status_id_str"],
                tweet["quoted_status"]["id_str"]
            );
        }
    }
    let retweets: usize = retweeted.values().sum();
    let share = retweets as f64 / tweets.len() as f64;
    assert!((0.08..=0.25).contains(&share), "retweet share {share}");
    assert!(retweeted.values().any(|&n| n >= 3), "{retweeted:?}");
    assert!(truncated > 0 && quoted > 0, "{truncated} {quoted}");
}

#[test]
fn deterministic_for_a_seed() {
    let (_, a) = run(Generator::new(42, start()), 500);
    let (_, b) = run(Generator::new(42, start()), 500);
    let (_, c) = run(Generator::new(43, start()), 500);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn keys_are_unique() {
    let (_, samples) = run(Generator::new(5, start()), 2000);
    let keys: HashSet<&str> = samples.iter().map(|(_, s)| s.key.as_str()).collect();
    assert_eq!(keys.len(), samples.len());
}

#[test]
fn burst_windows() {
    let generator = Generator::new(1, start());
    for (secs, active) in [
        (-10.0, false),
        (0.0, false),
        (89.9, false),
        (90.0, true),
        (120.0, true),
        (149.9, true),
        (150.0, false),
        (389.9, false),
        (390.0, true),
        (449.9, true),
        (450.0, false),
        (690.0, true),
        (3_090.5, true),
        (3_150.0, false),
    ] {
        let now = at((secs * 1000.0) as i64);
        assert_eq!(generator.burst_active(now), active, "at {secs} s");
    }
}

#[test]
fn rate_multiplier_follows_the_day_and_the_bursts() {
    let generator = Generator::new(1, start());
    let (mut low, mut high, mut burst_high) = (f64::MAX, f64::MIN, f64::MIN);
    for half_secs in 0..2 * 1800 {
        let now = at(half_secs * 500);
        let m = generator.rate_multiplier(now);
        assert!((0.3..=7.0).contains(&m), "{m} at {half_secs}");
        if generator.burst_active(now) {
            burst_high = burst_high.max(m);
        } else {
            low = low.min(m);
            high = high.max(m);
        }
    }
    assert!((0.39..0.45).contains(&low), "low {low}");
    assert!((1.55..1.61).contains(&high), "high {high}");
    assert!(burst_high > 4.0, "burst {burst_high}");
    assert!((generator.rate_multiplier(start()) - 1.0).abs() < 1e-9);
}

fn matcher() -> Matcher {
    let config = Config::from_toml(crate::demo::DEMO_CONFIG, "demo.toml").unwrap();
    Matcher::new(&config.brands, &config.matching).unwrap()
}

#[test]
fn content_mix_matches_the_demo_brands() {
    let (_, samples) = run(Generator::new(9, start()), 3000);
    let matcher = matcher();
    let mut per_brand: HashMap<String, usize> = HashMap::new();
    let (mut total, mut unmatched, mut two, mut with_lang, mut small, mut big) = (0, 0, 0, 0, 0, 0);
    let mut plumbing = 0;
    let mut langs = BTreeSet::new();
    for sample in mentions(&samples) {
        let Ok(mention) = serde_json::from_slice::<Mention>(&sample.payload) else {
            continue;
        };
        total += 1;
        let matches = matcher.matches(&mention);
        unmatched += usize::from(matches.is_empty());
        two += usize::from(matches.len() >= 2);
        for m in matches {
            *per_brand.entry(m.brand).or_default() += 1;
        }
        if let Some(lang) = &mention.lang {
            with_lang += 1;
            langs.insert(lang.clone());
        }
        plumbing += usize::from(mention.text.contains("Acme Plumbing"));
        small += usize::from(mention.reach() < 1000);
        big += usize::from(mention.reach() >= 100_000);
    }
    let total_f = total as f64;
    let unmatched_share = unmatched as f64 / total_f;
    assert!(
        (0.08..=0.3).contains(&unmatched_share),
        "unmatched {unmatched_share}"
    );
    for brand in ["acme", "globex", "initech", "brule"] {
        assert!(
            per_brand.get(brand).copied().unwrap_or(0) > 20,
            "{brand}: {per_brand:?}"
        );
    }
    assert!(two > 20, "two brands: {two}");
    assert!(plumbing > 5, "plumbing: {plumbing}");
    let lang_share = with_lang as f64 / total_f;
    assert!((0.6..=0.8).contains(&lang_share), "lang share {lang_share}");
    assert_eq!(langs.len(), 7, "{langs:?}");
    assert!(small as f64 / total_f > 0.7, "small {small} of {total}");
    assert!(big > 0);
}

#[test]
fn bursts_are_mostly_acme() {
    let (generator, samples) = run(Generator::new(13, start()), 3000);
    let matcher = matcher();
    let (mut inside, mut inside_acme, mut outside, mut outside_acme) = (0, 0, 0, 0);
    let mut burst_langs = BTreeSet::new();
    for (now, sample) in &samples {
        if sample.topic != MENTIONS_TOPIC {
            continue;
        }
        let Ok(mention) = serde_json::from_slice::<Mention>(&sample.payload) else {
            continue;
        };
        let acme = matcher
            .matches(&mention)
            .iter()
            .any(|m| m.brand == BURST_BRAND);
        if generator.burst_active(*now) {
            inside += 1;
            inside_acme += usize::from(acme);
            if acme {
                if let Some(lang) = mention.lang {
                    burst_langs.insert(lang);
                }
            }
        } else {
            outside += 1;
            outside_acme += usize::from(acme);
        }
    }
    let inside_share = inside_acme as f64 / inside as f64;
    let outside_share = outside_acme as f64 / outside as f64;
    assert!(inside_share > 0.7, "inside {inside_share}");
    assert!(outside_share < 0.5, "outside {outside_share}");
    assert!(burst_langs.len() >= 4, "{burst_langs:?}");
}

#[test]
fn extracts_hashtags_and_handles() {
    let text = "Hi @acme and #AcmeCorp, mail a@b.c #x! #";
    assert_eq!(extract(text, '#'), ["AcmeCorp", "x"]);
    assert_eq!(extract(text, '@'), ["acme"]);
    assert_eq!(extract("#Café_Brûlé rocks", '#'), ["Café_Brûlé"]);
}

#[test]
fn every_language_has_enough_templates() {
    for phrases in &LANGS {
        let sentences = phrases.positive.len() + phrases.negative.len() + phrases.neutral.len();
        assert!(sentences >= 6, "{}", phrases.code);
        for list in [
            phrases.positive,
            phrases.negative,
            phrases.neutral,
            phrases.two_brands,
            phrases.no_brand,
            phrases.excluded,
            phrases.burst,
            phrases.comments,
        ] {
            assert!(!list.is_empty(), "{}", phrases.code);
        }
        assert!(phrases
            .two_brands
            .iter()
            .all(|t| t.contains("{b}") && t.contains("{b2}")));
    }
    assert_eq!(
        BRAND_WEIGHTS.to_vec(),
        BRAND_NAMES.iter().map(|b| b.2).collect::<Vec<_>>()
    );
}

/// The demo's stream through the real decoders, matcher, lexicon scorer and alert core, in
/// simulated time (20 samples a second, two bursts): each alert on acme's bursts names the
/// burst's cause among its drivers.
#[test]
fn the_demo_burst_alert_names_its_cause_phrase() {
    const SIM_SECS: f64 = 480.0;
    const RATE: f64 = 20.0;
    use crate::alert::core::{AlertCore, ScoredInput};
    use crate::record::alert::{AlertState, Kind};
    use crate::score::stage::ScoreStage;

    let config = crate::demo::demo_config("127.0.0.1:9092", "127.0.0.1:0".parse().unwrap())
        .expect("demo config");
    let matcher = Matcher::new(&config.brands, &config.matching).unwrap();
    let mut generator = Generator::new(42, start());
    let (mut canonical, mut tweets) = (Vec::new(), Vec::new());
    let mut t = 0.0f64;
    while t < SIM_SECS {
        let now = at((t * 1000.0) as i64);
        let s = generator.next_sample(now);
        let out = if s.topic == MENTIONS_TOPIC {
            &mut canonical
        } else {
            &mut tweets
        };
        out.extend_from_slice(&s.payload);
        out.push(b'\n');
        t += 1.0 / (RATE * generator.rate_multiplier(now));
    }
    let mut scored = Vec::new();
    // Screened as in production: the burst is many people, not a copy-paste campaign.
    let mut screener = crate::screen::Screener::new(&config.screen, &config.brands);
    for (lines, format) in [
        (canonical, InputFormat::Canonical),
        (tweets, InputFormat::TwitterV1),
    ] {
        let mut stage = ScoreStage::new(
            crate::score::build(crate::config::ScorerKind::Lexicon, &config.scoring).unwrap(),
            0,
        );
        let decoder = Decoder::new(format, 1 << 20);
        crate::offline::process(
            lines.as_slice(),
            &mut scored,
            &mut std::io::sink(),
            &decoder,
            &matcher,
            Some(&mut screener),
            &mut stage,
        )
        .unwrap();
    }
    let mut records: Vec<ScoredInput> = scored
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    records.sort_by_key(|r| r.created_at);
    let mut core = AlertCore::new(&config.alert);
    let mut events = Vec::new();
    let mut campaigns = Vec::new();
    for r in &records {
        let _ = core.add(0, r, r.created_at.timestamp_millis());
        let closed = core.close();
        events.extend(closed.events);
        campaigns.extend(closed.campaigns);
    }
    // The raid on globex is recognised as a campaign, the bursts (many people in their own
    // words) are not, and the raid's copies do not raise a volume alert for globex.
    assert!(
        campaigns.iter().any(|c| c.brand == "globex"
            && c.first_text.starts_with("Globex")
            && c.automated_share >= 0.9),
        "the raid: {campaigns:?}"
    );
    assert!(
        campaigns.iter().all(|c| c.brand != "acme"),
        "acme's bursts are not campaigns: {campaigns:?}"
    );
    let raid = at(RAID_FIRST.as_millis() as i64)
        ..at((RAID_FIRST + RAID_LENGTH).as_millis() as i64 + 20_000);
    assert!(
        !events.iter().any(|e| e.brand == "globex"
            && e.state == AlertState::Firing
            && raid.contains(&e.window_start)),
        "no globex alert during the raid: {events:?}"
    );
    // Each burst's first alert (the first one fires on back-dated news in the burst's
    // languages, the second on the burst itself) names the cause among its top 3 drivers.
    let fired: Vec<_> = events
        .iter()
        .filter(|e| e.brand == "acme" && e.state == AlertState::Firing && e.kind == Kind::Volume)
        .collect();
    assert!(
        fired.len() >= 2,
        "an alert for each of acme's bursts: {events:?}"
    );
    for alert in fired {
        let top: Vec<&str> = alert
            .drivers
            .iter()
            .take(3)
            .map(|d| d.term.as_str())
            .collect();
        assert!(
            top.contains(&"#skatefire") || top.contains(&"caught fire"),
            "drivers at {}: {:?}",
            alert.window_start,
            alert.drivers
        );
    }
}
