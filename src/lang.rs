//! The language of a mention, settled once for every stage: the provider's when it gave
//! one, else detected ([`settle`]); and the bounded language label set used on metrics.
//! Rule filters (`lang:es`), the scorer and the output record all use [`settle`]'s answer.
//!
//! Detection uses [`whatlang`] (trigram and alphabet models, no data files). Short social texts
//! are hard: [`detect`] answers only when whatlang is reasonably sure and the text has enough
//! letters, and returns `None` otherwise, so that callers fall back to "unknown" rather than
//! scoring with the wrong lexicon.

use std::sync::LazyLock;

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

/// whatlang confidence over all its languages at which the answer is taken as is. whatlang's
/// own `is_reliable` wants more than 0.9, which rejects many ordinary short sentences; at 0.5
/// the best language's trigram score is already clearly ahead of the runner-up.
const ACCEPT_CONFIDENCE: f64 = 0.5;

/// Least confidence of the second, narrower detection (see [`detect`]) when it agrees with the
/// first.
const AGREE_CONFIDENCE: f64 = 0.15;

/// The languages most social-listening traffic is in. Restricting whatlang to them lifts its
/// confidence on short texts, where near relatives (Bulgarian for Russian, Danish for English)
/// otherwise split the vote.
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

/// Detects the language of `text`, as an ISO 639-1 code.
///
/// Two steps, so that short sentences are detected without trusting coin flips:
/// 1. whatlang over all its 69 languages; a confidence of at least 0.5 is accepted.
/// 2. Otherwise whatlang again, restricted to 17 common languages (en de es ru vi pt fr it nl
///    pl tr id ja zh ko ar uk). Its answer is accepted when it names the same language as
///    step 1 with a confidence of at least 0.15; when the two disagree the text is ambiguous.
///
/// Returns `None` for texts with too few letters (about 12, or 4 CJK characters), and when
/// neither step is sure enough.
#[must_use]
pub fn detect(text: &str) -> Option<&'static str> {
    if !has_enough_letters(text) {
        return None;
    }
    let full = whatlang::detect(text)?;
    if full.confidence() >= ACCEPT_CONFIDENCE {
        return Some(iso639_1(full.lang()));
    }
    let narrow = COMMON_DETECTOR.detect(text)?;
    (narrow.lang() == full.lang() && narrow.confidence() >= AGREE_CONFIDENCE)
        .then(|| iso639_1(full.lang()))
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
    fn ambiguous_is_none() {
        // whatlang: Danish at 0.06 over all languages, English when restricted.
        assert_eq!(detect("Customer support never answered my emails"), None);
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
