//! Tests of the lexicon scorer.

use super::rules::LABEL_THRESHOLD;
use super::tables::flag;
use super::*;
use crate::mention::SentimentLabel::{self, Negative, Neutral, Positive};

fn scorer() -> LexiconScorer {
    LexiconScorer::new().expect("vendored lexicons load")
}

fn score(scorer: &mut LexiconScorer, lang: Option<&str>, text: &str) -> Sentiment {
    scorer.score(&ScoreInput { text, lang })
}

/// Scores each `(lang, text, label)` and reports every mismatch at once.
fn check_labels(cases: &[(&str, &str, SentimentLabel)]) {
    let mut scorer = scorer();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|&(lang, text, want)| {
            let lang = (!lang.is_empty()).then_some(lang);
            let got = score(&mut scorer, lang, text);
            (got.label != want).then(|| format!("{lang:?} {text:?}: want {want:?}, got {got:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn clear_sentences_in_every_language() {
    check_labels(&[
        ("en", "I love this phone, the camera is great", Positive),
        ("en", "This is the worst service I have ever had", Negative),
        ("en", "The package arrived on Tuesday", Neutral),
        ("de", "Ich bin sehr zufrieden mit dem Produkt", Positive),
        ("de", "Der Service war schrecklich und langsam", Negative),
        ("de", "Das Paket kam am Dienstag an", Neutral),
        ("es", "Me gusta mucho este producto, es excelente", Positive),
        ("es", "El servicio al cliente es terrible", Negative),
        ("es", "El paquete llegó el martes", Neutral),
        ("ru", "Телефон очень хороший, камера отлично", Positive),
        ("ru", "Обслуживание было ужасно и плохо", Negative),
        ("ru", "Посылка пришла во вторник", Neutral),
        ("vi", "Sản phẩm này rất tuyệt vời", Positive),
        ("vi", "Tôi rất thất vọng với dịch vụ", Negative),
        ("vi", "Gói hàng đến vào thứ ba", Neutral),
        ("pt", "Produto excelente, recomendo", Positive),
        ("pt", "O atendimento foi horrível", Negative),
        ("pt", "O pacote chegou na terça-feira", Neutral),
        ("fr", "Ce produit est excellent", Positive),
        ("fr", "Le service client est horrible", Negative),
        ("fr", "Le colis est arrivé mardi", Neutral),
    ]);
}

#[test]
fn negation_flips() {
    check_labels(&[
        ("en", "not good", Negative),
        ("en", "The food was not good at all", Negative),
        ("en", "I don't like it", Negative),
        ("en", "not bad", Positive),
        ("en", "no problem", Positive),
        ("de", "nicht gut", Negative),
        ("de", "Das Essen war nicht gut", Negative),
        ("es", "no es bueno", Negative),
        ("es", "Sin problemas, todo excelente", Positive),
        ("ru", "не хорошо", Negative),
        ("vi", "không tốt", Negative),
        ("vi", "Tôi không thích sản phẩm này", Negative),
        ("pt", "não é bom", Negative),
        // `ne ... pas` negates once, not twice.
        ("fr", "Je ne suis pas content", Negative),
        ("fr", "ce n'est pas génial", Negative),
    ]);
}

#[test]
fn negation_stays_in_its_clause() {
    let mut scorer = scorer();
    let plain = score(&mut scorer, Some("en"), "Great phone");
    let after = score(&mut scorer, Some("en"), "Not now. Great phone");
    assert_eq!(after.label, Positive);
    assert_eq!(after.score, plain.score);
}

#[test]
fn emoji_and_emoticons_score_in_every_language() {
    check_labels(&[
        ("", "😡😡", Negative),
        ("en", "😡😡", Negative),
        ("vi", "😡😡", Negative),
        ("it", "😡😡", Negative),
        ("", "😍", Positive),
        ("", "❤️❤️", Positive),
        ("", "👍🏽", Positive),
        ("", ":)", Positive),
        ("de", "Paket ist da :(", Negative),
        ("", "I hate it </3", Negative),
    ]);
}

#[test]
fn empty_and_wordless_texts_are_neutral() {
    let mut scorer = scorer();
    for text in ["", "   ", "!!!", "...", "12345", "https://example.com/x"] {
        let got = score(&mut scorer, Some("en"), text);
        let want = Sentiment {
            label: Neutral,
            score: 0.0,
            confidence: 0.5,
        };
        assert_eq!(got, want, "{text:?}");
    }
}

#[test]
fn language_picks_the_lexicon() {
    check_labels(&[
        // No language, or undetermined: English.
        ("", "I love it", Positive),
        ("und", "I love it", Positive),
        ("EN-us", "I love it", Positive),
        ("pt-BR", "Produto excelente", Positive),
        // A language without a lexicon scores emoji only.
        ("it", "I love it", Neutral),
        ("it", "Questo è fantastico 😍", Positive),
    ]);
}

#[test]
fn vader_rules_move_the_score() {
    let mut scorer = scorer();
    let mut en = |text| score(&mut scorer, Some("en"), text).score;
    let good = en("The food is good");
    assert!(en("The food is very good") > good, "booster");
    assert!(en("The food is kind of good") < good, "dampener phrase");
    assert!(en("The food is GOOD") > good, "caps among lower case");
    assert!(en("The food is good!!!") > good, "exclamation marks");
    assert_eq!(en("good!!!!"), en("good!!!!!!"), "at most 4 count");
    assert!(
        en("The food was great but the service was terrible") < 0.0,
        "but"
    );
    assert!(
        en("The food was terrible but the service was great") > 0.0,
        "but"
    );
    assert!(en("I can't stand this") < 0.0, "phrase");
    assert!(en("so self-confident") > 0.0, "hyphenated phrase");
    let mut de = |text| score(&mut scorer, Some("de"), text).score;
    assert!(de("sehr gut") > de("gut"), "booster in German");
}

#[test]
fn normalisation_fallbacks() {
    let mut scorer = scorer();
    let mut check = |lang, a: &str, b: &str| {
        let (sa, sb) = (score(&mut scorer, lang, a), score(&mut scorer, lang, b));
        assert_eq!(sa, sb, "{a:?} vs {b:?}");
        assert_ne!(sa.label, Neutral, "{a:?}");
    };
    // Without diacritics.
    check(Some("pt"), "ótimo produto", "otimo produto");
    check(Some("es"), "Es pésimo", "Es pesimo");
    // Decomposed (NFD) input.
    check(Some("vi"), "tốt", "to\u{302}\u{301}t");
    // Elision.
    check(Some("fr"), "horrible service", "l'horrible service");
    // Case.
    check(Some("ru"), "ХОРОШО", "хорошо");
    // German is not stripped: "schon" (already) is not "schön" (beautiful).
    assert_eq!(score(&mut scorer, Some("de"), "schon da").label, Neutral);
}

#[test]
fn score_and_confidence_are_in_range() {
    let mut scorer = scorer();
    let texts = [
        "GOOD GREAT EXCELLENT LOVE BEST AMAZING WONDERFUL!!!!",
        "terrible horrible awful worst hate disgusting 😡😡😡😡😡😡😡😡",
        "good bad",
        "",
    ];
    for text in texts {
        let s = score(&mut scorer, Some("en"), text);
        assert!((-1.0..=1.0).contains(&s.score), "{text:?}: {s:?}");
        assert!((0.0..=1.0).contains(&s.confidence), "{text:?}: {s:?}");
        match s.label {
            Positive | Negative => {
                assert!((s.confidence - (0.5 + 0.5 * s.score.abs())).abs() < 1e-6)
            }
            Neutral => assert!(s.score.abs() < LABEL_THRESHOLD),
        }
    }
}

#[test]
fn batch_returns_one_result_per_input_in_order() {
    let mut scorer = scorer();
    let inputs = [
        ScoreInput {
            text: "I love it",
            lang: Some("en"),
        },
        ScoreInput {
            text: "",
            lang: None,
        },
        ScoreInput {
            text: "nicht gut",
            lang: Some("de"),
        },
        ScoreInput {
            text: "😍",
            lang: Some("fr"),
        },
        ScoreInput {
            text: "The package arrived",
            lang: Some("en"),
        },
    ];
    let batch = scorer.score_batch(&inputs).expect("scores");
    assert_eq!(batch.len(), inputs.len());
    let labels: Vec<_> = batch.iter().map(|s| s.label).collect();
    assert_eq!(labels, [Positive, Neutral, Negative, Positive, Neutral]);
    for (input, got) in inputs.iter().zip(&batch) {
        assert_eq!(*got, scorer.score(input), "{input:?}");
    }
    assert!(scorer.score_batch(&[]).expect("scores").is_empty());
}

#[test]
fn info_names_scorer_and_data() {
    let info = scorer().info();
    assert_eq!(info.name, "lexicon");
    assert_eq!(info.version, VERSION);
    assert!(info.version.contains("vader3.3.2") && info.version.contains("mls2.0.0"));
}

#[test]
fn vendored_data_loads_fully() {
    let scorer = scorer();
    for (spec, lexicon) in LANGS.iter().zip(&scorer.lexicons) {
        let scored = lexicon
            .entries
            .values()
            .filter(|e| e.flags & flag::VALENCE != 0);
        assert!(scored.count() > 2000, "{}", spec.code);
        assert_eq!(
            !lexicon.stripped.is_empty(),
            spec.strip_diacritics,
            "{}",
            spec.code
        );
        let negators = lexicon
            .entries
            .values()
            .filter(|e| e.flags & flag::NEGATOR != 0);
        assert!(negators.count() >= 2, "{}", spec.code);
    }
    assert!(scorer.symbols.emoji.len() > 700);
    assert!(scorer.symbols.emoticons.len() > 200);
    assert!(scorer.symbols.emoticons.contains_key(":)"));
}

#[test]
fn tokenizer_splits_words_symbols_and_clauses() {
    let scorer = scorer();
    let mut s = Scratch::default();
    tokenize(
        "Don't STOP—self-confident :) ok!\nÉTÉ 😡👍🏽",
        Some(&scorer.symbols),
        &mut s,
    );
    let words: Vec<&str> = s
        .tokens
        .iter()
        .filter(|t| t.symbol.is_none())
        .map(|t| &s.lower[t.start..t.end])
        .collect();
    assert_eq!(words, ["don't", "stop", "self", "confident", "ok", "été"]);
    let symbols = s.tokens.iter().filter(|t| t.symbol.is_some()).count();
    assert_eq!(symbols, 3, "{:?}", s.tokens);
    let flags: Vec<(bool, bool, bool)> = s
        .tokens
        .iter()
        .map(|t| (t.caps, t.joined, t.clause_start))
        .collect();
    assert_eq!(
        flags,
        [
            (false, true, true),   // Don't
            (true, true, false),   // STOP
            (false, false, false), // self (after an em dash)
            (false, true, false),  // confident (hyphen joins)
            (false, false, false), // :)
            (false, false, false), // ok
            (true, false, true),   // ÉTÉ (after "!", new line)
            (false, false, false), // 😡
            (false, false, false), // 👍 (skin tone skipped)
        ]
    );
    assert_eq!((s.exclamations, s.questions), (1, 0));
    assert_eq!((s.words, s.caps_words), (6, 2));
}
