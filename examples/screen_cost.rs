//! What the screen stage costs: time per matched mention in `Screener::screen` (sketch,
//! campaign lookup, account signals, spam rules, impact) with the default `[screen]`, and live
//! heap memory at 1,000 brands once every brand's text index and the author tracker are full
//! (a counting allocator), next to the bound the start-up memory check uses.
//!
//! Mentions: the demo generator's stream (`benches/data/corpus.rs`) through the demo rules;
//! for the memory part, each of 1,000 brands gets the stream's texts re-keyed to it, each post
//! by a new author, until its share of `max_total` is full.
//!
//! `cargo run --release --example screen_cost`. Figures: `benches/RESULTS.md`.

use std::time::Instant;

use brandpulse::config::memory::{AUTHOR_BYTES, CAMPAIGN_ENTRY_BYTES};
use brandpulse::config::{Config, ScreenConfig};
use brandpulse::demo::DEMO_CONFIG;
use brandpulse::ingest::Decoder;
use brandpulse::matcher::Matcher;
use brandpulse::mention::{Author, BrandMatch, MatchedMention};
use brandpulse::record::InputFormat;
use brandpulse::screen::Screener;
use chrono::TimeDelta;

#[allow(dead_code)] // the malformed count is for the benches
#[path = "../benches/data/corpus.rs"]
mod corpus;

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

fn matched(config: &Config) -> Vec<MatchedMention> {
    let corpus = corpus::canonical(20_000);
    let decoder = Decoder::new(InputFormat::Canonical, config.pipeline.max_text_bytes);
    let matcher = Matcher::new(&config.brands, &config.matching).expect("demo rules");
    corpus
        .samples
        .iter()
        .filter_map(|s| decoder.decode(Some(&s.payload)).ok())
        .filter_map(|mention| {
            let matches = matcher.matches(&mention);
            (!matches.is_empty()).then_some(MatchedMention::new(mention, matches))
        })
        .collect()
}

fn time_per_mention(config: &Config, screen: &ScreenConfig, mentions: &[MatchedMention]) -> f64 {
    let rounds = 5;
    let mut copies: Vec<Vec<MatchedMention>> = (0..rounds).map(|_| mentions.to_vec()).collect();
    let start = Instant::now();
    for copy in &mut copies {
        let mut screener = Screener::new(screen, &config.brands);
        for m in copy.iter_mut() {
            std::hint::black_box(screener.screen(m));
        }
    }
    start.elapsed().as_secs_f64() * 1e6 / (rounds * mentions.len()) as f64
}

fn main() {
    let config = Config::from_toml(DEMO_CONFIG, "demo").expect("demo config");
    let mentions = matched(&config);
    let defaults = ScreenConfig::default();
    println!(
        "mentions: {} matched mentions of the demo stream ({} brand pairs)",
        mentions.len(),
        mentions.iter().map(|m| m.matches.len()).sum::<usize>()
    );
    for round in 0..2 {
        let t = time_per_mention(&config, &defaults, &mentions);
        let demo = time_per_mention(&config, &config.screen, &mentions);
        println!(
            "round {round}: Screener::screen per mention: {t:.2} µs with the default [screen], {demo:.2} µs with the demo's"
        );
    }

    // Memory at 1,000 brands with the defaults.
    let brands = 1000;
    let mut toml = String::new();
    for i in 0..brands {
        toml.push_str(&format!(
            "[[brands]]\nid = \"brand{i:04}\"\n[brands.topics.t]\nkeywords = [\"brand{i:04}\"]\n"
        ));
    }
    let many = Config::from_toml(&toml, "1000 brands").expect("1,000 brands");
    let per_brand = defaults.campaign.capacity(brands);
    let before = counting_alloc::live();
    let mut screener = Screener::new(&defaults, &many.brands);
    let t0 = mentions[0].mention.created_at;
    let texts: Vec<&MatchedMention> = mentions
        .iter()
        .filter(|m| m.mention.repost_of.is_none() && m.mention.text.split_whitespace().count() >= 8)
        .collect();
    let mut posted = 0usize;
    for b in 0..brands {
        for k in 0..per_brand + 5 {
            let source = texts[(b * 7 + k) % texts.len()];
            let mut m = MatchedMention::new(
                source.mention.clone(),
                vec![BrandMatch {
                    brand: format!("brand{b:04}"),
                    topics: vec!["t".into()],
                    terms: vec![format!("brand{b:04}")],
                }],
            );
            m.mention.id = format!("{b}-{k}");
            m.mention.created_at = t0 + TimeDelta::milliseconds(posted as i64);
            m.mention.author = Some(Author {
                id: Some(format!("author{posted}")),
                handle: Some(format!("author{posted}")),
                ..source.mention.author.clone().unwrap_or_default()
            });
            screener.screen(&mut m);
            posted += 1;
        }
    }
    let live = counting_alloc::live() - before;
    let bound =
        screener.remembered() * CAMPAIGN_ENTRY_BYTES + defaults.tracked_authors * AUTHOR_BYTES;
    println!(
        "memory: {brands} brands, {} texts remembered ({per_brand} per brand, max_total {}), {} authors tracked; live heap {:.1} MiB ({:.1} KiB per brand); bound {:.1} MiB ({} B a text, {} B an author)",
        screener.remembered(),
        defaults.campaign.max_total,
        screener.tracked_authors(),
        live as f64 / 1048576.0,
        live as f64 / 1024.0 / brands as f64,
        bound as f64 / 1048576.0,
        CAMPAIGN_ENTRY_BYTES,
        AUTHOR_BYTES,
    );
}
