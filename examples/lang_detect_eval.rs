//! Language detection on labelled short texts: brandpulse's two detectors
//! (`brandpulse::lang::detect_with`: "accurate", whatlang when it is sure, else lingua; and
//! "fast", whatlang alone in two steps) against lingua alone (low- and high-accuracy modes), per
//! language, with the cost per text and the memory of each.
//!
//! ```sh
//! cargo run --release --example lang_detect_eval -- ../shared/data/umsab/val.jsonl \
//!     models/eval/sanity-multilingual.jsonl models/eval/multi-brand.jsonl
//! ```
//! Input: JSONL files whose lines have `text` and `lang` (ISO 639-1). Lines without `lang`
//! are skipped. Output: one table per detector and a summary; figures in `benches/RESULTS.md`
//! ("Language detection"). `--only cascade|whatlang|low|high` runs one detector, for its memory.
//!
//! lingua is restricted to brandpulse's 18 languages (`brandpulse::lang::LINGUA_LANGUAGES`); the whatlang two-step
//! considers all 69 of its languages first, then 17 common ones. "und" counts a text the
//! detector declined to label; it is not a hit.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::time::Instant;

use brandpulse::lang::LINGUA_LANGUAGES;
use lingua::{IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder};

#[derive(serde::Deserialize)]
struct Line {
    text: String,
    lang: Option<String>,
}

#[derive(Default, Clone)]
struct Counts {
    n: u64,
    right: u64,
    und: u64,
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn lingua_code(lang: Language) -> String {
    let code: IsoCode639_1 = lang.iso_code_639_1();
    code.to_string()
}

fn run(
    name: &str,
    texts: &[(String, String, String)],
    detect: &mut dyn FnMut(&str) -> Option<String>,
) -> BTreeMap<String, Counts> {
    let mut per: BTreeMap<String, Counts> = BTreeMap::new();
    let started = Instant::now();
    let answers: Vec<Option<String>> = texts.iter().map(|(t, _, _)| detect(t)).collect();
    let elapsed = started.elapsed();
    for ((_, gold, _), got) in texts.iter().zip(&answers) {
        let c = per.entry(gold.clone()).or_default();
        c.n += 1;
        match got {
            None => c.und += 1,
            Some(g) if g == gold => c.right += 1,
            Some(_) => {}
        }
    }
    println!(
        "{name}: {} texts in {:.2} s: {:.1} µs per text",
        texts.len(),
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / texts.len() as f64
    );
    per
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `--only whatlang|low|high` runs one detector (for its memory alone, in its own process).
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let only = match args.iter().position(|a| a == "--only") {
        Some(i) if i + 1 < args.len() => {
            let v = args.remove(i + 1);
            args.remove(i);
            Some(v)
        }
        _ => None,
    };
    let wants = |name: &str| only.as_deref().is_none_or(|o| name.contains(o));
    let paths = args;
    if paths.is_empty() {
        eprintln!("usage: lang_detect_eval FILE.jsonl [FILE.jsonl ...] (lines with text and lang)");
        std::process::exit(64);
    }
    // (text, gold language, source file)
    let mut texts: Vec<(String, String, String)> = Vec::new();
    for path in &paths {
        let file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
        let short = std::path::Path::new(path)
            .file_name()
            .map_or(path.clone(), |f| f.to_string_lossy().into_owned());
        for line in std::io::BufReader::new(file).lines() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let l: Line = serde_json::from_str(&line)?;
            if let Some(lang) = l.lang {
                texts.push((l.text, lang, short.clone()));
            }
        }
    }
    println!("{} labelled texts from {}", texts.len(), paths.join(", "));

    let mut results: Vec<(String, BTreeMap<String, Counts>, f64)> = Vec::new();

    if wants("cascade") {
        let before = rss_mib();
        let started = Instant::now();
        brandpulse::lang::warm_up();
        println!(
            "brandpulse cascade: models loaded in {:.2} s, +{:.0} MiB resident",
            started.elapsed().as_secs_f64(),
            rss_mib() - before
        );
        let mut shipped = |t: &str| {
            brandpulse::lang::detect_with(brandpulse::lang::Detection::Accurate, t)
                .map(str::to_string)
        };
        let per = run("brandpulse cascade (lang::detect)", &texts, &mut shipped);
        results.push(("brandpulse cascade".into(), per, rss_mib() - before));
    }

    if wants("whatlang") {
        let before = rss_mib();
        let mut two_step = |t: &str| {
            brandpulse::lang::detect_with(brandpulse::lang::Detection::Fast, t).map(str::to_string)
        };
        let per = run("whatlang two-step (\"fast\")", &texts, &mut two_step);
        results.push(("whatlang two-step".into(), per, rss_mib() - before));
    }

    for (name, high) in [
        ("lingua low accuracy", false),
        ("lingua high accuracy", true),
    ] {
        if !wants(name) {
            continue;
        }
        let before = rss_mib();
        let started = Instant::now();
        let builder = {
            let mut b = LanguageDetectorBuilder::from_languages(&LINGUA_LANGUAGES);
            if !high {
                b.with_low_accuracy_mode();
            }
            b.with_preloaded_language_models();
            b
        };
        let detector: LanguageDetector = { builder }.build();
        println!(
            "{name}: models loaded in {:.1} s, +{:.0} MiB resident",
            started.elapsed().as_secs_f64(),
            rss_mib() - before
        );
        let mut detect = |t: &str| detector.detect_language_of(t).map(lingua_code);
        let per = run(name, &texts, &mut detect);
        results.push((name.into(), per, rss_mib() - before));
    }

    let langs: Vec<String> = results[0].1.keys().cloned().collect();
    print!("\n| lang | n |");
    for (name, _, _) in &results {
        print!(" {name}: right / und |");
    }
    println!();
    print!("|---|---:|");
    for _ in &results {
        print!("---:|");
    }
    println!();
    for lang in &langs {
        let n = results[0].1[lang].n;
        print!("| {lang} | {n} |");
        for (_, per, _) in &results {
            let c = &per[lang];
            print!(
                " {:.3} / {:.3} |",
                c.right as f64 / c.n as f64,
                c.und as f64 / c.n as f64
            );
        }
        println!();
    }
    for (label, keep) in [
        ("all", &(|_: &str| true) as &dyn Fn(&str) -> bool),
        ("all but hi (romanised)", &|l: &str| l != "hi"),
    ] {
        print!("| **{label}** |");
        let n: u64 = langs
            .iter()
            .filter(|l| keep(l))
            .map(|l| results[0].1[l].n)
            .sum();
        print!(" {n} |");
        for (_, per, _) in &results {
            let (right, und) = langs
                .iter()
                .filter(|l| keep(l))
                .fold((0, 0), |(r, u), l| (r + per[l].right, u + per[l].und));
            print!(
                " {:.3} / {:.3} |",
                right as f64 / n as f64,
                und as f64 / n as f64
            );
        }
        println!();
    }
    for (name, _, mib) in &results {
        println!("{name}: +{mib:.0} MiB resident after running");
    }
    Ok(())
}
