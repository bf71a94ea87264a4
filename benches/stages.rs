//! Benchmarks of each stage's synchronous core, named by module path.
//!
//! Inputs are the demo's sample stream (`benches/data/corpus.rs`) and the Twitter fixtures
//! under `tests/data/twitter/`. Like aho-corasick's rebar definitions, every benchmark checks
//! a result count pinned as a literal (the constants below; also checked against what is
//! known independently where something is, e.g. the generator's count of malformed records)
//! before measuring and on every iteration, so a benchmark that stops doing the work fails
//! instead of getting faster.
//!
//! Run: `cargo bench --bench stages -- --warm-up-time 1 --measurement-time 3`
//! (`cargo test --benches` runs each once). Figures: `benches/RESULTS.md`.

use std::hint::black_box;

use brandpulse::alert::terms::extract::{Extractor, Scratch};
use brandpulse::alert::terms::stats::WindowTerms;
use brandpulse::config::Config;
use brandpulse::demo::DEMO_CONFIG;
use brandpulse::emit::{encode_scored, scored_records};
use brandpulse::ingest::Decoder;
use brandpulse::lang;
use brandpulse::matcher::Matcher;
use brandpulse::mention::{MatchedMention, Mention, ScoredMention, SentimentLabel};
use brandpulse::record::{BrandScore, InputFormat};
use brandpulse::score::lexicon::LexiconScorer;
use brandpulse::score::stage::{resolve_lang, ScoreStage};
use brandpulse::score::{ScoreInput, Scorer};
use brandpulse::screen::Screener;
use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "data/corpus.rs"]
mod corpus;

/// Canonical records in the corpus (about 1% malformed).
const CORPUS: usize = 2000;
/// Texts per scorer batch (the demo config's `batch_size` is 128, the default 256).
const SCORE_BATCH: usize = 256;

// What each stage must produce on the corpus, pinned as literals: a change that makes a stage do
// less, or different, work fails here instead of getting faster. A deliberate change to the
// corpus, the demo rules, the lexicon or the language detector updates them.
/// Canonical payloads of the corpus that decode.
const DECODED: usize = 1990;
/// (mentions matching at least one brand, brand matches in all).
const MATCHED: (usize, usize) = (1538, 1633);
/// Lexicon labels of the first scorer batch: (negative, neutral, positive).
const LABELS: [usize; 3] = [90, 78, 88];
/// Mentions whose language is detected: `accurate` (every decoded one: all are long
/// enough) and `fast` (whatlang declines the rest).
const DETECTED: (usize, usize) = (1990, 1726);
/// Alert-stage term statistics over the scored (mention, brand) pairs: terms extracted, and
/// distinct terms held in one window per brand.
const TERMS: (usize, usize) = (10_453, 1352);
/// Scored records of the matched mentions, and their encoded bytes (with the default,
/// `accurate`, language detection: records carry the language).
const ENCODED: (usize, usize) = (1633, 1_060_620);

const TWEETS: [&str; 6] = [
    include_str!("../tests/data/twitter/classic.json"),
    include_str!("../tests/data/twitter/extended.json"),
    include_str!("../tests/data/twitter/quote.json"),
    include_str!("../tests/data/twitter/reply.json"),
    include_str!("../tests/data/twitter/retweet.json"),
    include_str!("../tests/data/twitter/unicode.json"),
];

/// Everything the benchmarks read, built once.
struct Fixture {
    config: Config,
    /// Canonical payloads, malformed ones included.
    payloads: Vec<Vec<u8>>,
    malformed: u64,
    /// The payloads that decode.
    mentions: Vec<Mention>,
}

fn fixture() -> Fixture {
    let config = Config::from_toml(DEMO_CONFIG, "demo.toml").expect("demo config parses");
    let corpus = corpus::canonical(CORPUS);
    let decoder = Decoder::new(InputFormat::Canonical, config.pipeline.max_text_bytes);
    let payloads: Vec<Vec<u8>> = corpus.samples.into_iter().map(|s| s.payload).collect();
    let mentions: Vec<Mention> = payloads
        .iter()
        .filter_map(|p| decoder.decode(Some(p)).ok())
        .collect();
    Fixture {
        config,
        payloads,
        malformed: corpus.malformed,
        mentions,
    }
}

fn decoded(decoder: &Decoder, payloads: &[&[u8]]) -> usize {
    payloads
        .iter()
        .filter(|p| decoder.decode(Some(black_box(p))).is_ok())
        .count()
}

fn bench_ingest(c: &mut Criterion, f: &Fixture) {
    let max = f.config.pipeline.max_text_bytes;
    let mut group = c.benchmark_group("ingest::decode");

    let canonical = Decoder::new(InputFormat::Canonical, max);
    let payloads: Vec<&[u8]> = f.payloads.iter().map(Vec::as_slice).collect();
    // The decoder rejects exactly the records the generator broke on purpose.
    let expected = DECODED;
    assert!(
        f.malformed > 0,
        "the corpus should exercise the error paths"
    );
    assert_eq!(payloads.len() - f.malformed as usize, expected);
    assert_eq!(decoded(&canonical, &payloads), expected);
    group.throughput(Throughput::Elements(payloads.len() as u64));
    group.bench_function("canonical", |b| {
        b.iter(|| assert_eq!(decoded(&canonical, &payloads), expected))
    });

    let twitter = Decoder::new(InputFormat::TwitterV1, max);
    let tweets: Vec<&[u8]> = TWEETS.iter().map(|t| t.as_bytes()).collect();
    // Every fixture is a valid tweet (classic, extended, quote, reply, retweet, unicode).
    assert_eq!(decoded(&twitter, &tweets), tweets.len());
    group.throughput(Throughput::Elements(tweets.len() as u64));
    group.bench_function("twitter-v1", |b| {
        b.iter(|| assert_eq!(decoded(&twitter, &tweets), tweets.len()))
    });
    group.finish();
}

/// (mentions matching at least one brand, brand matches in all).
fn match_counts(matcher: &Matcher, mentions: &[Mention]) -> (usize, usize) {
    mentions.iter().fold((0, 0), |(matched, total), m| {
        let n = matcher.matches(black_box(m)).len();
        (matched + usize::from(n > 0), total + n)
    })
}

fn bench_matcher(c: &mut Criterion, f: &Fixture, matcher: &Matcher) {
    let expected = MATCHED;
    // The stream has texts naming no brand, and texts naming two.
    assert!(
        0 < expected.0 && expected.0 < f.mentions.len() && expected.1 > expected.0,
        "matched {expected:?} of {}",
        f.mentions.len()
    );
    assert_eq!(match_counts(matcher, &f.mentions), expected);
    let mut group = c.benchmark_group("matcher::matches");
    group.throughput(Throughput::Elements(f.mentions.len() as u64));
    group.bench_function("demo-stream", |b| {
        b.iter(|| assert_eq!(match_counts(matcher, &f.mentions), expected))
    });
    group.finish();
}

/// Labels of a batch, as (negative, neutral, positive) counts.
fn label_counts(scorer: &mut LexiconScorer, inputs: &[ScoreInput<'_>]) -> [usize; 3] {
    let sentiments = scorer
        .score_batch(black_box(inputs))
        .expect("the lexicon scorer does not fail");
    assert_eq!(sentiments.len(), inputs.len());
    let mut counts = [0; 3];
    for s in sentiments {
        counts[match s.label {
            SentimentLabel::Negative => 0,
            SentimentLabel::Neutral => 1,
            SentimentLabel::Positive => 2,
        }] += 1;
    }
    counts
}

fn bench_score(c: &mut Criterion, matched: &[MatchedMention]) {
    let mut scorer = LexiconScorer::new().expect("vendored lexicons load");
    // The scorer sees matched mentions, in the language the score stage would pick.
    let batch: Vec<&MatchedMention> = matched.iter().take(SCORE_BATCH).collect();
    assert_eq!(batch.len(), SCORE_BATCH, "corpus too small for one batch");
    let langs: Vec<String> = batch.iter().map(|m| resolve_lang(&m.mention).0).collect();
    let inputs: Vec<ScoreInput<'_>> = batch
        .iter()
        .zip(&langs)
        .map(|(m, l)| ScoreInput {
            text: &m.mention.text,
            lang: (l != "und").then_some(l.as_str()),
        })
        .collect();
    let expected = LABELS;
    assert!(
        expected[0] > 0 && expected[2] > 0,
        "labels (neg, neu, pos) {expected:?}"
    );
    assert_eq!(label_counts(&mut scorer, &inputs), expected);
    let mut group = c.benchmark_group("score::lexicon");
    group.throughput(Throughput::Elements(inputs.len() as u64));
    group.bench_function("batch-256", |b| {
        b.iter(|| assert_eq!(label_counts(&mut scorer, &inputs), expected))
    });
    group.finish();
}

fn detected(detection: lang::Detection, texts: &[&str]) -> usize {
    texts
        .iter()
        .filter(|t| lang::detect_with(detection, black_box(t)).is_some())
        .count()
}

fn bench_lang(c: &mut Criterion, f: &Fixture) {
    let texts: Vec<&str> = f.mentions.iter().map(|m| m.text.as_str()).collect();
    let (accurate, fast) = DETECTED;
    // whatlang alone declines what it is unsure of; most texts are still detected.
    assert!(
        fast > texts.len() / 2 && fast < accurate && accurate <= texts.len(),
        "detected {accurate} / {fast} of {}",
        texts.len()
    );
    let mut group = c.benchmark_group("lang::detect");
    // One iteration is about 0.1-0.4 s: 20 samples fit a few seconds, 100 would not.
    group.sample_size(20);
    group.throughput(Throughput::Elements(texts.len() as u64));
    for (name, detection, expected) in [
        ("accurate", lang::Detection::Accurate, accurate),
        ("fast", lang::Detection::Fast, fast),
    ] {
        assert_eq!(detected(detection, &texts), expected, "{name}");
        group.bench_function(name, |b| {
            b.iter(|| assert_eq!(detected(detection, &texts), expected))
        });
    }
    group.finish();
}

/// Total bytes of the encoded records.
fn encoded_bytes(records: &[ScoredMention]) -> usize {
    records
        .iter()
        .map(|r| {
            encode_scored(black_box(r))
                .expect("scored mentions encode")
                .len()
        })
        .sum()
}

fn bench_emit(c: &mut Criterion, f: &Fixture, matched: &[MatchedMention]) {
    // Scored the way the score stage does it (language resolution, cache, lexicon scorer).
    let scorer = Box::new(LexiconScorer::new().expect("vendored lexicons load"));
    let mut stage = ScoreStage::new(scorer, f.config.scoring.cache_entries);
    let mentions: Vec<&Mention> = matched.iter().map(|m| &m.mention).collect();
    let scored = stage
        .score(&mentions)
        .expect("the lexicon scorer does not fail");
    assert_eq!(scored.len(), matched.len());
    let processed_at: DateTime<Utc> = DateTime::parse_from_rfc3339("2024-05-01T13:00:00Z")
        .expect("valid timestamp")
        .with_timezone(&Utc);
    let records: Vec<ScoredMention> = matched
        .iter()
        .zip(&scored)
        .flat_map(|(m, s)| {
            let whole = BrandScore {
                scored: s.clone(),
                scorer: stage.info().clone(),
                span: None,
            };
            scored_records(m, &vec![whole; m.matches.len()], processed_at)
        })
        .collect();
    // Every encoded record reads back as itself.
    for r in &records {
        let bytes = encode_scored(r).expect("scored mentions encode");
        let back: ScoredMention = serde_json::from_slice(&bytes).expect("output is JSON");
        assert_eq!(&back, r);
    }
    assert_eq!((records.len(), encoded_bytes(&records)), ENCODED);
    let expected = ENCODED.1;
    let mut group = c.benchmark_group("emit::encode_scored");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.bench_function("demo-stream", |b| {
        b.iter(|| assert_eq!(encoded_bytes(&records), expected))
    });
    group.finish();
}

/// Counts the terms of every (mention, brand) pair into one window per brand, as the alert
/// stage does: (terms extracted, distinct terms held over the brands).
fn term_counts(pairs: &[(&str, &str, &[String], &str, &str)]) -> (usize, usize) {
    let extractor = Extractor::new();
    let mut scratch = Scratch::default();
    let mut terms = Vec::new();
    let mut windows: std::collections::BTreeMap<&str, WindowTerms> = Default::default();
    let mut extracted = 0;
    for &(brand, text, matched, lang, author) in pairs {
        extractor.terms(black_box(text), lang, matched, &mut scratch, &mut terms);
        extracted += terms.len();
        windows
            .entry(brand)
            .or_default()
            .add(&terms, author, author, false, 1200);
    }
    (extracted, windows.values().map(WindowTerms::len).sum())
}

fn bench_alert_terms(c: &mut Criterion, matched: &[MatchedMention]) {
    let pairs: Vec<(&str, &str, &[String], &str, &str)> = matched
        .iter()
        .flat_map(|m| {
            m.matches.iter().map(move |b| {
                let mention = &m.mention;
                let author = mention
                    .author
                    .as_ref()
                    .and_then(|a| a.handle.as_deref())
                    .unwrap_or(&mention.id);
                (
                    b.brand.as_str(),
                    mention.text.as_str(),
                    b.terms.as_slice(),
                    mention.lang.as_deref().unwrap_or("und"),
                    author,
                )
            })
        })
        .collect();
    assert_eq!(pairs.len(), ENCODED.0);
    assert_eq!(term_counts(&pairs), TERMS);
    let mut group = c.benchmark_group("alert::terms");
    group.throughput(Throughput::Elements(pairs.len() as u64));
    group.bench_function("extract-and-count", |b| {
        b.iter(|| assert_eq!(term_counts(&pairs), TERMS))
    });
    group.finish();
}

/// What the screen stage makes of the corpus's matched mentions (the demo's `[screen]`):
/// mentions with an automation reason or a spam flag, and (mention, brand) pairs excluded.
const SCREENED: (usize, usize) = (124, 1);

fn screen_counts(matched: &[MatchedMention], config: &Config) -> (usize, usize) {
    let mut screener = Screener::new(&config.screen, &config.brands);
    let (mut flagged, mut excluded) = (0, 0);
    for m in matched {
        let mut m = m.clone();
        screener.screen(&mut m);
        let s = &m.screening;
        if s.automation.as_ref().is_some_and(|a| !a.reasons.is_empty()) || !s.spam.is_empty() {
            flagged += 1;
        }
        excluded += s.brands.iter().filter(|b| b.excluded.is_some()).count();
    }
    (flagged, excluded)
}

/// The screen stage's core per matched mention: sketch, campaign lookup, account signals,
/// spam rules and impact, from a fresh screener (each iteration also clones the mentions).
fn bench_screen(c: &mut Criterion, f: &Fixture, matched: &[MatchedMention]) {
    assert_eq!(screen_counts(matched, &f.config), SCREENED);
    let mut group = c.benchmark_group("screen");
    group.throughput(Throughput::Elements(matched.len() as u64));
    group.bench_function("screen", |b| {
        b.iter(|| assert_eq!(screen_counts(matched, &f.config), SCREENED))
    });
    group.finish();
}

fn stages(c: &mut Criterion) {
    let f = fixture();
    let matcher = Matcher::new(&f.config.brands, &f.config.matching).expect("demo rules compile");
    let matched: Vec<MatchedMention> = f
        .mentions
        .iter()
        .filter_map(|m| {
            let matches = matcher.matches(m);
            (!matches.is_empty()).then(|| MatchedMention::new(m.clone(), matches))
        })
        .collect();
    bench_ingest(c, &f);
    bench_matcher(c, &f, &matcher);
    bench_score(c, &matched);
    bench_lang(c, &f);
    bench_emit(c, &f, &matched);
    bench_alert_terms(c, &matched);
    bench_screen(c, &f, &matched);
}

criterion_group!(benches, stages);
criterion_main!(benches);
