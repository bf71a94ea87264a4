use super::drivers::drivers;
use super::extract::{Extractor, Scratch};
use super::stats::{BrandTerms, Candidate, TermParams, WindowTerms};
use crate::config::AlertConfig;

fn terms_of(text: &str, lang: &str, matched: &[&str]) -> Vec<String> {
    let ex = Extractor::new();
    let mut scratch = Scratch::default();
    let mut out = Vec::new();
    let matched: Vec<String> = matched.iter().map(|s| s.to_string()).collect();
    ex.terms(text, lang, &matched, &mut scratch, &mut out);
    out
}

#[test]
fn extraction_drops_stop_words_query_terms_urls_and_numbers() {
    let t = terms_of(
        "My Acme phone has a battery fire!! 2 days old https://t.co/x #AcmeFail @AcmeHelp",
        "en",
        &["acme"],
    );
    assert_eq!(
        t,
        [
            "phone",
            "battery",
            "fire",
            "battery fire",
            "days",
            "old",
            "days old",
            "#acmefail",
            "@acmehelp"
        ],
    );
    // No phrase across a removed word: "phone has a battery" gives no "phone battery".
    assert!(!t.iter().any(|x| x == "phone battery"));
}

#[test]
fn extraction_folds_like_the_matcher_and_uses_the_language_list() {
    let t = terms_of("Die Batterie von Acme ist überhitzt", "de", &["acme"]);
    assert_eq!(t, ["batterie", "uberhitzt"]);
    let t = terms_of("Điện thoại Acme bị cháy pin", "vi", &["acme"]);
    assert_eq!(
        t,
        ["dien", "thoai", "dien thoai", "chay", "pin", "chay pin"]
    );
    // Vietnamese content words that fold to English function words stay.
    let t = terms_of("Acme ăn mẹ", "vi", &["acme"]);
    assert_eq!(t, ["an", "me", "an me"]);
    let t = terms_of("У Acme сгорел аккумулятор", "ru", &["acme"]);
    assert_eq!(t, ["сгорел", "аккумулятор", "сгорел аккумулятор"]);
    // A quoted phrase query: its words are left out.
    let t = terms_of(
        "Acme Corp refund denied twice",
        "en",
        &["\"acme corp\"", "refund*"],
    );
    assert_eq!(t, ["denied", "twice", "denied twice"]);
    let t = terms_of("#acme rocks", "en", &["#acme"]);
    assert_eq!(t, ["rocks"]);
}

#[test]
fn each_author_counts_once_per_term_and_window_and_windows_stay_bounded() {
    let mut w = WindowTerms::default();
    let t = vec!["battery fire".to_string()];
    for i in 0..10 {
        w.add(&t, "spammer", &format!("m{i}"), true, 100);
    }
    w.add(&t, "someone", "m99", false, 100);
    let c = &w.counts["battery fire"];
    assert_eq!((c.n, c.neg), (2, 1));
    assert_eq!(
        (c.ex.as_slice(), c.neg_ex.as_slice()),
        (["m0".to_string()].as_slice(), ["m0".to_string()].as_slice())
    );
    // A stream of distinct one-off terms never holds more than the cap; a frequent term
    // survives the prunes.
    for i in 0..5000 {
        w.add(
            &[format!("word{i}"), "battery fire".into()],
            &format!("a{i}"),
            "m",
            false,
            100,
        );
        assert!(w.len() <= 100);
    }
    assert!(w.counts["battery fire"].n > 4000);
}

fn params(warmup: u64) -> TermParams {
    let config = AlertConfig {
        warmup_windows: warmup,
        ..AlertConfig::default()
    };
    TermParams::new(&config)
}

/// A brand's window with `n` mentions each carrying one of `vocab` (round robin) plus
/// `extra` mentions of `term`.
fn window(vocab: &[&str], n: usize, term: &str, extra: usize, w: i64) -> WindowTerms {
    let mut acc = WindowTerms::default();
    for i in 0..n {
        let t = vocab[(i + w as usize) % vocab.len()].to_string();
        acc.add(
            &[t],
            &format!("a{w}-{i}"),
            &format!("m{w}-{i}"),
            false,
            1000,
        );
    }
    for i in 0..extra {
        acc.add(
            &[term.to_string()],
            &format!("b{w}-{i}"),
            &format!("x{w}-{i}"),
            true,
            1000,
        );
    }
    acc
}

#[test]
fn a_rising_term_emerges_once_and_ordinary_vocabulary_never_does() {
    let vocab = ["price", "store", "delivery", "colour", "size", "app"];
    let p = params(120);
    let mut b = BrandTerms::default();
    let mut events = Vec::new();
    // Ten hours of ordinary talk, with the volume doubling in the afternoon.
    for w in 0..600 {
        let n = if w % 240 > 120 { 12 } else { 6 };
        let acc = window(&vocab, n, "", 0, w);
        events.extend(b.close(w, &acc, n as u64, 0, 300, &p).emerging);
    }
    assert!(events.is_empty(), "{events:?}");
    // "battery fire" at one mention every other minute: 30 an hour, from nothing.
    let mut first = None;
    for w in 600..800 {
        let extra = usize::from(w % 2 == 0);
        let acc = window(&vocab, 6, "battery fire", extra, w);
        let e = b
            .close(w, &acc, 6 + extra as u64, extra as u64, 300, &p)
            .emerging;
        if !e.is_empty() && first.is_none() {
            first = Some(w);
        }
        events.extend(e);
    }
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].term, "battery fire");
    let after = first.unwrap() - 600;
    assert!(
        (20..=60).contains(&after),
        "reported {after} windows after the rise"
    );
}

#[test]
fn the_term_table_keeps_the_heavy_hitters_within_its_capacity() {
    let p = params(0);
    let mut b = BrandTerms::default();
    for w in 0..200 {
        let mut acc = WindowTerms::default();
        for i in 0..20 {
            acc.add(&[format!("rare{w}-{i}")], "x", "m", false, 10_000);
        }
        acc.add(&["common".to_string()], "y", "m", false, 10_000);
        b.close(w, &acc, 21, 0, 50, &p);
        assert!(b.stats.len() <= 50);
    }
    assert!(b.stats.contains_key("common"));
}

fn cand(term: &str, n: u32, expected: f64) -> Candidate {
    Candidate {
        term: term.into(),
        n,
        expected,
        ex: vec![format!("id-{term}")],
    }
}

#[test]
fn drivers_prefer_phrases_join_chains_and_explain_the_extra_volume() {
    let w1 = vec![
        cand("screen", 40, 2.0),
        cand("keeps", 41, 3.0),
        cand("flickering", 38, 0.1),
        cand("screen keeps", 38, 0.1),
        cand("keeps flickering", 37, 0.1),
        cand("price", 12, 4.0),
    ];
    let w2 = vec![
        cand("screen keeps", 30, 0.1),
        cand("keeps flickering", 30, 0.1),
    ];
    let d = drivers([w1.as_slice(), w2.as_slice()].into_iter(), 200.0, 100.0, 3);
    assert_eq!(d[0].term, "screen keeps flickering", "{d:?}");
    assert_eq!(d[0].observed, 67);
    assert!(d[0].explained > 0.6 && d[0].explained <= 1.0, "{d:?}");
    assert!(
        d.iter()
            .all(|x| x.term != "screen" && x.term != "flickering"),
        "{d:?}"
    );
    assert_eq!(d[0].example_ids, ["id-keeps flickering"]);
    assert!(drivers([w1.as_slice()].into_iter(), 10.0, 10.0, 0).is_empty());
}

#[test]
fn the_memory_bounds_cover_the_types() {
    use super::stats::{TermCount, TermStat};
    use super::{TERM_BYTES, WINDOW_TERM_BYTES};
    use std::mem::size_of;
    let key = size_of::<String>() + super::extract::MAX_TERM_BYTES;
    // hashbrown: one control byte per slot, at most 8 slots per 7 entries: 16 bytes covers it.
    let slot = 16;
    assert!((key + size_of::<TermStat>() + slot) as u64 <= TERM_BYTES);
    let example = size_of::<String>() + 64;
    let authors = 4 * (size_of::<u64>() + 2);
    assert!(
        (key + size_of::<TermCount>() + 2 * example + slot + authors) as u64 <= WINDOW_TERM_BYTES
    );
    // Terms longer than the bound are not counted.
    let long = "x".repeat(super::extract::MAX_TERM_BYTES + 1);
    assert!(terms_of(&format!("Acme {long} fine"), "en", &["acme"]) == ["fine"]);
}

#[test]
fn checkpoint_bounds_cover_the_longest_entries() {
    use super::stats::{TermCount, TermStat};
    use super::{CHECKPOINT_TERM_BYTES, CHECKPOINT_WINDOW_TERM_BYTES};
    let term = "x".repeat(super::extract::MAX_TERM_BYTES);
    let stat = TermStat {
        sum: -1.234_567_8e-30,
        neg: -1.234_567_8e-30,
        recent: -1.234_567_8e-30,
        at: i64::MIN,
        since: Some(i64::MIN),
        quiet_until: Some(i64::MIN),
    };
    let entry =
        serde_json::to_string(&std::collections::HashMap::from([(term.clone(), stat)])).unwrap();
    assert!(
        entry.len() <= CHECKPOINT_TERM_BYTES,
        "{} bytes",
        entry.len()
    );
    let count = TermCount {
        n: u32::MAX,
        neg: u32::MAX,
        ex: vec!["i".repeat(64)],
        neg_ex: vec!["i".repeat(64)],
    };
    let entry = serde_json::to_string(&std::collections::HashMap::from([(term, count)])).unwrap();
    assert!(
        entry.len() <= CHECKPOINT_WINDOW_TERM_BYTES,
        "{} bytes",
        entry.len()
    );
}
