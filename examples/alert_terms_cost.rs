//! What term statistics cost the alert stage: time per scored mention in `AlertCore::add`
//! with `[alert.terms]` on and off (side by side, same records), and live heap memory per
//! brand at 1,000 brands once every brand's term table is full (a counting allocator).
//!
//! Records: the demo generator's stream (`benches/data/corpus.rs`) through the demo rules and
//! the lexicon scorer, as scored-topic JSON read back as the alert stage reads it; for the
//! memory part, each of 1,000 brands gets the same stream re-keyed to it, over 30 one-minute
//! windows, so each keeps its full share of terms.
//!
//! `cargo run --release --example alert_terms_cost`. Figures: `benches/RESULTS.md`.

use std::time::Instant;

use brandpulse::alert::core::{AlertCore, ScoredInput};
use brandpulse::config::Config;
use brandpulse::demo::DEMO_CONFIG;
use brandpulse::emit::{encode_scored, scored_records};
use brandpulse::ingest::Decoder;
use brandpulse::matcher::Matcher;
use brandpulse::mention::MatchedMention;
use brandpulse::record::{BrandScore, InputFormat};
use brandpulse::score::lexicon::LexiconScorer;
use brandpulse::score::stage::ScoreStage;
use chrono::{TimeDelta, Utc};

#[allow(dead_code)] // the malformed count is for the benches
#[path = "../benches/data/corpus.rs"]
mod corpus;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

fn scored_inputs(config: &Config) -> Vec<ScoredInput> {
    let corpus = corpus::canonical(20_000);
    let decoder = Decoder::new(InputFormat::Canonical, config.pipeline.max_text_bytes);
    let matcher = Matcher::new(&config.brands, &config.matching).expect("demo rules");
    let matched: Vec<MatchedMention> = corpus
        .samples
        .iter()
        .filter_map(|s| decoder.decode(Some(&s.payload)).ok())
        .filter_map(|mention| {
            let matches = matcher.matches(&mention);
            (!matches.is_empty()).then_some(MatchedMention::new(mention, matches))
        })
        .collect();
    let mut stage = ScoreStage::new(Box::new(LexiconScorer::new().expect("lexicon")), 0);
    let mentions: Vec<_> = matched.iter().map(|m| &m.mention).collect();
    let scored = stage.score(&mentions).expect("lexicon scores");
    let now = Utc::now();
    matched
        .iter()
        .zip(&scored)
        .flat_map(|(m, s)| {
            let whole = BrandScore {
                scored: s.clone(),
                scorer: stage.info().clone(),
                span: None,
            };
            scored_records(m, &vec![whole; m.matches.len()], now)
        })
        .map(|r| {
            let bytes = encode_scored(&r).expect("encodes");
            serde_json::from_slice(&bytes).expect("the alert stage reads it")
        })
        .collect()
}

fn time_per_mention(config: &Config, records: &[ScoredInput], rounds: usize) -> f64 {
    let start = Instant::now();
    for _ in 0..rounds {
        let mut core = AlertCore::new(&config.alert);
        for r in records {
            let _ = core.add(0, std::hint::black_box(r), i64::MAX / 2);
        }
        std::hint::black_box(core.close());
    }
    start.elapsed().as_secs_f64() * 1e6 / (rounds * records.len()) as f64
}

fn main() {
    let mut config = Config::from_toml(DEMO_CONFIG, "demo").expect("demo config");
    config.alert.window = std::time::Duration::from_secs(60);
    let records = scored_inputs(&config);
    println!(
        "records: {} scored mentions of the demo stream (lexicon scorer)",
        records.len()
    );
    let mut off = config.clone();
    off.alert.terms.enabled = false;
    for round in 0..2 {
        let with = time_per_mention(&config, &records, 5);
        let without = time_per_mention(&off, &records, 5);
        println!(
            "round {round}: AlertCore::add per mention: terms on {with:.2} µs, off {without:.2} µs, terms cost {:.2} µs",
            with - without
        );
    }

    // Memory at 1,000 brands with the defaults (per_brand, max_total).
    let brands = 1000;
    let before = counting_alloc::live();
    let mut core = AlertCore::new(&config.alert);
    let t0 = records
        .first()
        .map(|r| r.created_at)
        .unwrap_or_else(Utc::now);
    for minute in 0..30i64 {
        for (i, r) in records.iter().enumerate().take(400) {
            let mut r = r.clone();
            r.brand = format!("brand{:04}", (i + minute as usize * 7) % brands);
            r.created_at = t0 + TimeDelta::seconds(minute * 60 + (i % 60) as i64);
            let _ = core.add(0, &r, i64::MAX / 2);
        }
        for b in 0..brands {
            for (i, r) in records
                .iter()
                .enumerate()
                .skip(400 + b % 50)
                .step_by(50)
                .take(8)
            {
                let mut r = r.clone();
                r.brand = format!("brand{b:04}");
                r.mention_id = format!("{b}-{minute}-{i}");
                r.created_at = t0 + TimeDelta::seconds(minute * 60 + 30);
                let _ = core.add(0, &r, i64::MAX / 2);
            }
        }
        core.close();
    }
    let live = counting_alloc::live() - before;
    println!(
        "memory: {brands} brands, {} terms kept ({} per brand at most with max_total {}), live heap {:.1} MiB, {:.1} KiB per brand; bound {:.1} MiB",
        core.terms_kept(),
        core.term_capacity(),
        config.alert.terms.max_total,
        live as f64 / 1048576.0,
        live as f64 / 1024.0 / brands as f64,
        brandpulse::alert::terms::memory_bound(config.alert.terms.max_total) as f64 / 1048576.0,
    );
}
