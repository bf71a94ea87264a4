//! The language of a mention, settled once for every stage: the provider's when it gave
//! one, else detected ([`settle`]); and the bounded language label set used on metrics.
//! Rule filters (`lang:es`), the scorer and the output record all use [`settle`]'s answer.
//!
//! Detection ([`detect`]) is, by default ([`Detection::Accurate`]), a cascade measured on
//! labelled tweets (benches/RESULTS.md,
//! "Language detection"): [`whatlang`] first (trigrams over 69 languages, ~85 µs a text), its
//! answer kept when it is sure; otherwise [`lingua`] in its high-accuracy mode over 18 common
//! languages (~440 µs a text, its models ~67 MiB resident, loaded once by [`warm_up`]). Texts
//! with too few letters are not detected, so that callers fall back to "unknown" rather than
//! score with a coin flip. [`Detection::Fast`] (`pipeline.language_detection = "fast"`) is
//! whatlang alone: 2.4 times faster, 62 MiB smaller, about 10 points less often right.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::LazyLock;

use lingua::{Language, LanguageDetector, LanguageDetectorBuilder};
use serde::Deserialize;
use whatlang::{Detector, Lang};

use crate::mention::Mention;

/// The language the pipeline uses for `mention`, and whether it was detected: the provider's
/// code when it gave one (other than `und`), else [`detect`]'s, else `und`.
#[must_use]
pub fn settle(mention: &Mention) -> (String, bool) {
    match mention.lang.as_deref() {
        Some(l) if !l.is_empty() && l != "und" => (l.to_string(), false),
        _ => match detect(&mention.text) {
            Some(code) => (code.to_string(), true),
            None => ("und".to_string(), true),
        },
    }
}

/// The language label set for metrics: the languages with a vendored lexicon, then `other`
/// (detected or given, but not one of those) and `unknown` (no language).
pub const BUCKETS: [&str; 9] = ["en", "de", "es", "ru", "vi", "pt", "fr", "other", "unknown"];

/// Least letter weight a text needs before detection is attempted (a letter weighs 1, a Han,
/// kana or Hangul character 3, since each is about a syllable or a word). Below this whatlang's
/// guesses are close to noise.
const MIN_LETTER_WEIGHT: usize = 12;

/// How mentions without a provider language are detected (`pipeline.language_detection`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detection {
    /// whatlang when it is sure, else lingua (97.6% right on UMSAB val tweets, ~0.2 ms a
    /// text, 67 MiB).
    #[default]
    Accurate,
    /// whatlang alone, in two steps (87.9% right, declining 8.9%; ~0.08 ms, 4 MiB).
    Fast,
}

/// Whether [`detect`] uses [`Detection::Fast`]; set once at start-up by [`set_detection`].
static FAST: AtomicBool = AtomicBool::new(false);

/// Chooses how [`detect`] works for the whole process (the service and the offline commands
/// call it with the config's `pipeline.language_detection` before any mention is read).
pub fn set_detection(detection: Detection) {
    FAST.store(detection == Detection::Fast, Ordering::Relaxed);
}

/// whatlang confidence (over all its languages) at which its answer is kept without asking
/// lingua. Chosen on the UMSAB validation tweets: from 0.7 to 0.95 the cascade is as accurate
/// as lingua alone (0.977-0.979), and 0.8 sends 38% of texts on to lingua (0.5: 27%, at
/// 0.974). whatlang's own `is_reliable` wants more than 0.9.
const ACCEPT_CONFIDENCE: f64 = 0.8;

/// The languages lingua chooses among: most social-listening traffic. A text in another
/// language is detected only when whatlang is sure of it.
pub const LINGUA_LANGUAGES: [Language; 18] = [
    Language::English,
    Language::German,
    Language::Spanish,
    Language::French,
    Language::Italian,
    Language::Portuguese,
    Language::Arabic,
    Language::Hindi,
    Language::Russian,
    Language::Vietnamese,
    Language::Dutch,
    Language::Polish,
    Language::Turkish,
    Language::Indonesian,
    Language::Japanese,
    Language::Chinese,
    Language::Korean,
    Language::Ukrainian,
];

/// lingua restricted to [`LINGUA_LANGUAGES`], models loaded when first used (see
/// [`warm_up`]); read-only after.
static LINGUA: LazyLock<LanguageDetector> = LazyLock::new(|| {
    LanguageDetectorBuilder::from_languages(&LINGUA_LANGUAGES)
        .with_preloaded_language_models()
        .build()
});

/// Reads most of the detector's models now (about 30 of its 67 MiB, in about 10 ms), so that
/// the first mentions without a language do not wait for them (the service calls it at
/// start-up with [`Detection::Accurate`]); the rest are read when a text first needs them.
pub fn warm_up() {
    // lingua reads a language's models when a text first needs them: one text per script
    // family of the 18 languages reads them all.
    for text in [
        "the quick brown fox jumps over the lazy dog",
        "съешь же ещё этих мягких французских булок",
        "نص قصير للتحميل",
        "यह एक छोटा वाक्य है",
        "日本語の文です",
        "这是一个句子",
        "한국어 문장입니다",
    ] {
        let _ = LINGUA.detect_language_of(text);
    }
}

/// Detects the language of `text`, as an ISO 639-1 code, the way [`set_detection`] chose
/// ([`Detection::Accurate`] unless told otherwise). See [`detect_with`].
#[must_use]
pub fn detect(text: &str) -> Option<&'static str> {
    let detection = if FAST.load(Ordering::Relaxed) {
        Detection::Fast
    } else {
        Detection::Accurate
    };
    detect_with(detection, text)
}

/// Detects the language of `text`, as an ISO 639-1 code.
///
/// [`Detection::Accurate`]:
/// 1. whatlang over all its 69 languages; an answer with a confidence of at least 0.8 is kept.
/// 2. Otherwise lingua (high-accuracy mode) over 18 languages (en de es fr it pt ar hi ru vi nl
///    pl tr id ja zh ko uk).
///
/// [`Detection::Fast`], so that short sentences are detected without trusting coin flips:
/// 1. whatlang over all its 69 languages; a confidence of at least 0.5 is accepted.
/// 2. Otherwise whatlang again, restricted to 17 common languages (en de es ru vi pt fr it nl
///    pl tr id ja zh ko ar uk). Its answer is accepted when it names the same language as
///    step 1 with a confidence of at least 0.15; when the two disagree, `None`.
///
/// Both return `None` for texts with too few letters (about 12, or 4 CJK characters).
#[must_use]
pub fn detect_with(detection: Detection, text: &str) -> Option<&'static str> {
    if !has_enough_letters(text) {
        return None;
    }
    let full = whatlang::detect(text);
    match detection {
        Detection::Accurate => match full {
            Some(info) if info.confidence() >= ACCEPT_CONFIDENCE => Some(iso639_1(info.lang())),
            _ => LINGUA.detect_language_of(text).map(lingua_iso639_1),
        },
        Detection::Fast => {
            let full = full?;
            if full.confidence() >= FAST_ACCEPT_CONFIDENCE {
                return Some(iso639_1(full.lang()));
            }
            let narrow = COMMON_DETECTOR.detect(text)?;
            (narrow.lang() == full.lang() && narrow.confidence() >= FAST_AGREE_CONFIDENCE)
                .then(|| iso639_1(full.lang()))
        }
    }
}

/// [`Detection::Fast`]: whatlang confidence over all its languages at which the answer is
/// taken as is (its own `is_reliable` wants more than 0.9, which rejects many ordinary short
/// sentences).
const FAST_ACCEPT_CONFIDENCE: f64 = 0.5;

/// [`Detection::Fast`]: least confidence of the second, narrower detection when it agrees
/// with the first.
const FAST_AGREE_CONFIDENCE: f64 = 0.15;

/// The languages most social-listening traffic is in ([`Detection::Fast`]'s second step).
/// Restricting whatlang to them lifts its confidence on short texts, where near relatives
/// (Bulgarian for Russian, Danish for English) otherwise split the vote.
const COMMON: [Lang; 17] = [
    Lang::Eng,
    Lang::Deu,
    Lang::Spa,
    Lang::Rus,
    Lang::Vie,
    Lang::Por,
    Lang::Fra,
    Lang::Ita,
    Lang::Nld,
    Lang::Pol,
    Lang::Tur,
    Lang::Ind,
    Lang::Jpn,
    Lang::Cmn,
    Lang::Kor,
    Lang::Ara,
    Lang::Ukr,
];

/// whatlang restricted to [`COMMON`]; built on first use, read-only after.
static COMMON_DETECTOR: LazyLock<Detector> =
    LazyLock::new(|| Detector::with_allowlist(COMMON.to_vec()));

/// ISO 639-1 code of one of [`LINGUA_LANGUAGES`], as [`iso639_1`] spells it.
fn lingua_iso639_1(lang: Language) -> &'static str {
    match lang {
        Language::English => "en",
        Language::German => "de",
        Language::Spanish => "es",
        Language::French => "fr",
        Language::Italian => "it",
        Language::Portuguese => "pt",
        Language::Arabic => "ar",
        Language::Hindi => "hi",
        Language::Russian => "ru",
        Language::Vietnamese => "vi",
        Language::Dutch => "nl",
        Language::Polish => "pl",
        Language::Turkish => "tr",
        Language::Indonesian => "id",
        Language::Japanese => "ja",
        Language::Chinese => "zh",
        Language::Korean => "ko",
        Language::Ukrainian => "uk",
    }
}

/// Whether `text` reaches [`MIN_LETTER_WEIGHT`]; stops reading as soon as it does.
fn has_enough_letters(text: &str) -> bool {
    let mut weight = 0;
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        // CJK ideographs, kana and Hangul start at U+2E80.
        weight += if c >= '\u{2E80}' { 3 } else { 1 };
        if weight >= MIN_LETTER_WEIGHT {
            return true;
        }
    }
    false
}

/// Maps a language code (as given by a provider or [`detect`]) to its metrics label, one of
/// [`BUCKETS`]: the lexicon languages as themselves, any other code `other`, none `unknown`.
///
/// Matching ignores ASCII case and a region suffix (`pt-BR`, `en_GB`). `und` (Twitter's
/// "undetermined") and the empty string count as no language.
#[must_use]
pub fn bucket(code: Option<&str>) -> &'static str {
    let Some(code) = code else {
        return "unknown";
    };
    let primary = code.split(['-', '_']).next().unwrap_or_default();
    if primary.is_empty() || primary.eq_ignore_ascii_case("und") {
        return "unknown";
    }
    BUCKETS[..7]
        .iter()
        .find(|b| primary.eq_ignore_ascii_case(b))
        .copied()
        .unwrap_or("other")
}

/// ISO 639-1 code of a whatlang language (whatlang itself speaks ISO 639-3).
fn iso639_1(lang: Lang) -> &'static str {
    match lang {
        Lang::Epo => "eo",
        Lang::Eng => "en",
        Lang::Rus => "ru",
        Lang::Cmn => "zh",
        Lang::Spa => "es",
        Lang::Por => "pt",
        Lang::Ita => "it",
        Lang::Ben => "bn",
        Lang::Fra => "fr",
        Lang::Deu => "de",
        Lang::Ukr => "uk",
        Lang::Kat => "ka",
        Lang::Ara => "ar",
        Lang::Hin => "hi",
        Lang::Jpn => "ja",
        Lang::Heb => "he",
        Lang::Yid => "yi",
        Lang::Pol => "pl",
        Lang::Amh => "am",
        Lang::Jav => "jv",
        Lang::Kor => "ko",
        Lang::Nob => "nb",
        Lang::Dan => "da",
        Lang::Swe => "sv",
        Lang::Fin => "fi",
        Lang::Tur => "tr",
        Lang::Nld => "nl",
        Lang::Hun => "hu",
        Lang::Ces => "cs",
        Lang::Ell => "el",
        Lang::Bul => "bg",
        Lang::Bel => "be",
        Lang::Mar => "mr",
        Lang::Kan => "kn",
        Lang::Ron => "ro",
        Lang::Slv => "sl",
        Lang::Hrv => "hr",
        Lang::Srp => "sr",
        Lang::Mkd => "mk",
        Lang::Lit => "lt",
        Lang::Lav => "lv",
        Lang::Est => "et",
        Lang::Tam => "ta",
        Lang::Vie => "vi",
        Lang::Urd => "ur",
        Lang::Tha => "th",
        Lang::Guj => "gu",
        Lang::Uzb => "uz",
        Lang::Pan => "pa",
        Lang::Aze => "az",
        Lang::Ind => "id",
        Lang::Tel => "te",
        Lang::Pes => "fa",
        Lang::Mal => "ml",
        Lang::Ori => "or",
        Lang::Mya => "my",
        Lang::Nep => "ne",
        Lang::Sin => "si",
        Lang::Khm => "km",
        Lang::Tuk => "tk",
        Lang::Aka => "ak",
        Lang::Zul => "zu",
        Lang::Sna => "sn",
        Lang::Afr => "af",
        Lang::Lat => "la",
        Lang::Slk => "sk",
        Lang::Cat => "ca",
        Lang::Tgl => "tl",
        Lang::Hye => "hy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_lexicon_languages() {
        let cases = [
            ("en", "I really love the new phone, the camera is great"),
            ("de", "Der Service war heute schrecklich und langsam"),
            ("es", "El servicio fue terrible y lento hoy"),
            ("ru", "Только что купил новые наушники, звук потрясающий"),
            ("vi", "Dịch vụ hôm nay rất tệ và chậm"),
            ("pt", "O serviço foi terrível e lento hoje"),
            ("fr", "La livraison a pris beaucoup trop de temps"),
        ];
        for (want, text) in cases {
            assert_eq!(detect(text), Some(want), "{text}");
        }
    }

    #[test]
    fn detects_other_languages() {
        let cases = [
            ("it", "Questo telefono è davvero bellissimo e funziona bene"),
            ("pl", "Ten telefon jest naprawdę bardzo dobry i szybki"),
            ("ja", "この電話はとても良いです"),
            ("zh", "这个手机真的很好用"),
            ("nl", "Deze telefoon is echt heel goed en snel"),
            ("tr", "Bu telefon gerçekten çok güzel ve hızlı"),
            ("id", "Saya sangat suka dengan ponsel baru ini"),
            ("ar", "هذا الهاتف جيد جدا وسريع"),
            ("ko", "이 전화기는 정말 좋아요 카메라도 훌륭합니다"),
            ("uk", "Мені дуже подобається цей телефон, камера чудова"),
        ];
        for (want, text) in cases {
            assert_eq!(detect(text), Some(want), "{text}");
        }
    }

    #[test]
    fn ordinary_short_sentences_are_detected() {
        // whatlang alone: Danish at 0.06 for the first and `und` for the second; lingua decides.
        for text in [
            "Customer support never answered my emails",
            "My Acme rocket skates broke after two days. Terrible quality 😡",
            "Acme es lo mejor",
        ] {
            assert!(detect(text).is_some(), "{text}");
        }
        assert_eq!(
            detect("Customer support never answered my emails"),
            Some("en")
        );
        assert_eq!(
            detect("My Acme rocket skates broke after two days. Terrible quality 😡"),
            Some("en")
        );
    }

    #[test]
    fn fast_detection_declines_what_it_is_unsure_of() {
        // whatlang: Danish at 0.06 over all languages, English when restricted.
        let text = "Customer support never answered my emails";
        assert_eq!(detect_with(Detection::Fast, text), None);
        assert_eq!(detect_with(Detection::Accurate, text), Some("en"));
        assert_eq!(
            detect_with(
                Detection::Fast,
                "Der Service war heute schrecklich und langsam"
            ),
            Some("de")
        );
    }

    #[test]
    fn every_lingua_language_has_its_code() {
        for lang in LINGUA_LANGUAGES {
            assert_eq!(lingua_iso639_1(lang), lang.iso_code_639_1().to_string());
        }
    }

    #[test]
    fn too_short_or_no_letters_is_none() {
        for text in ["", "ok", "lol 😂😂", "12345 678 !!!", "https://t.co/x"] {
            assert_eq!(detect(text), None, "{text:?}");
        }
    }

    #[test]
    fn buckets_are_bounded() {
        let cases = [
            (Some("en"), "en"),
            (Some("EN"), "en"),
            (Some("pt-BR"), "pt"),
            (Some("en_GB"), "en"),
            (Some("vi"), "vi"),
            (Some("it"), "other"),
            (Some("zh"), "other"),
            (Some("und"), "unknown"),
            (Some(""), "unknown"),
            (None, "unknown"),
        ];
        for (code, want) in cases {
            assert_eq!(bucket(code), want, "{code:?}");
            assert!(BUCKETS.contains(&bucket(code)));
        }
    }

    #[test]
    fn every_detected_code_buckets() {
        for &lang in Lang::all() {
            let code = iso639_1(lang);
            assert_eq!(code.len(), 2, "{lang:?}");
            assert!(BUCKETS.contains(&bucket(Some(code))));
        }
    }
}
