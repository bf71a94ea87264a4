//! The worst-case memory of a config, part by part, so that a setting that cannot fit the
//! container is refused at start-up (and by `brandpulse check`) instead of being found by the
//! OOM killer. `check` prints the table; docs/operations.md has it at the defaults.
//!
//! The figures are upper bounds built from the settings, with three measured constants (RSS of
//! `brandpulse score` on this project's reference machine, release and debug builds alike):
//! the model and runtime at rest ([`MODEL_INT8`], [`MODEL_FP32`], [`LEXICON`]) and the
//! encoder's activation memory per padded token of a model call ([`ACTIVATION_PER_TOKEN`] +
//! [`ACTIVATION_PER_TOKEN_PER_POSITION`] x `max_tokens`: measured 338 MB for 32 x 128 tokens and
//! 720 MB for 8 x 512). Everything else is bounded by a setting.

use super::Precision;
use super::{Backend, Config, ConfigError, ScorerKind};

const MIB: u64 = 1 << 20;

/// multilingual-e5-small int8 on ONNX Runtime, with its tokenizer, at rest (measured 467 MiB).
pub const MODEL_INT8: u64 = 480 * MIB;
/// The fp32 model (measured 859 MiB).
pub const MODEL_FP32: u64 = 870 * MIB;
/// The rust-bert backend: not measured, taken as the fp32 model's.
pub const MODEL_RUST_BERT: u64 = 900 * MIB;
/// The language detector's models (lingua, 18 languages, high-accuracy mode; measured 67 MiB
/// resident, `examples/lang_detect_eval.rs --only cascade`).
pub const LANGUAGE_DETECTOR: u64 = 72 * MIB;
/// The lexicon scorer and the process around it (measured 20 MiB).
pub const LEXICON: u64 = 24 * MIB;
/// Encoder activations per padded token of one call...
pub const ACTIVATION_PER_TOKEN: u64 = 53 * 1024;
/// ...plus this much per token per position of the longest text (attention).
pub const ACTIVATION_PER_TOKEN_PER_POSITION: u64 = 240;
/// Largest input record assumed (Kafka's default `max.message.bytes`): a batch may overshoot
/// `pipeline.batch_bytes` by one record.
pub const MAX_RECORD: u64 = MIB;
/// A record in a batch takes up to this many times its size: the raw bytes (kept for a dead
/// letter), the decoded mention, and its encoded output.
pub const BATCH_EXPANSION: u64 = 3;
/// The alert stage's state and buffers (not measured; per-brand state is a few KB, up to
/// about 30 KB with the candidate drivers of the last span of windows; term tables are a
/// part of their own).
pub const ALERT_STAGE: u64 = 32 * MIB;
// Term statistics of the alert stage (`alert::terms`): their tests check these bounds
// against the types and their JSON.

/// Upper bound of the memory one kept term takes: its key (at most
/// `alert::terms::extract::MAX_TERM_BYTES`), its `TermStat`, and the hash map's slot.
pub const TERM_BYTES: u64 = 160;
/// Upper bound of one term of an open window: its key, its `TermCount` with one
/// example id of each kind (ids of at most 64 bytes), the map slot, and its share of the
/// author set (4 pairs of 8 bytes).
pub const WINDOW_TERM_BYTES: u64 = 384;
/// Open windows per brand the estimate allows for (the current one and one in lateness).
pub const OPEN_WINDOWS: u64 = 2;

/// Upper bound of one kept term in a brand's checkpoint (JSON: the term, its decayed counts,
/// windows), and of one open-window term (the term, its counts, one example id of each kind
/// of at most 64 bytes). A brand's checkpoint is one Kafka record, so `per_brand` is bounded
/// by `output.max_message_bytes` through these.
pub const CHECKPOINT_TERM_BYTES: usize = 192;
/// See `CHECKPOINT_TERM_BYTES`.
pub const CHECKPOINT_WINDOW_TERM_BYTES: usize = 240;
/// A brand's checkpoint without its terms (detector state, examples, candidate drivers).
pub const CHECKPOINT_BASE_BYTES: usize = 64 * 1024;

/// Upper bound of a brand's checkpoint with `per_brand` terms.
pub fn checkpoint_bound(per_brand: usize) -> usize {
    CHECKPOINT_BASE_BYTES
        + per_brand * (CHECKPOINT_TERM_BYTES + OPEN_WINDOWS as usize * CHECKPOINT_WINDOW_TERM_BYTES)
}

/// Upper bound of the memory of term statistics with `max_total` terms in all.
pub fn memory_bound(max_total: usize) -> u64 {
    max_total as u64 * (TERM_BYTES + OPEN_WINDOWS * WINDOW_TERM_BYTES)
}

/// Upper bound of the memory one entry of the score stage's sentiment cache takes: the key
/// twice (map and queue), the cached value (sentiment, flags, the language code's heap
/// string) and the hash map's slot overhead. `score::stage`'s tests check it.
pub const CACHE_ENTRY_BYTES: usize = 128;
/// Upper bound of one post remembered by the emitter for deletions (`emit::deletions`): the
/// id and the brand ids (64 bytes each at most, two brands on average) in the map and the
/// queue, and the map's slot.
pub const DELETION_ENTRY_BYTES: usize = 320;
/// librdkafka's bookkeeping per produced record awaiting acknowledgement.
pub const PER_IN_FLIGHT_RECORD: u64 = 256;

/// Upper bound of one text the screen stage remembers for campaign lookups (its sketch, up
/// to 160 characters, the id, band and repeat table slots; `screen::campaign::ENTRY_BYTES`,
/// checked against the types there).
pub const CAMPAIGN_ENTRY_BYTES: usize = 1_280;
/// One author whose posting rate the screen stage tracks (key, rate, hash table slot at its
/// worst load).
pub const AUTHOR_BYTES: usize = 128;

/// One part of the estimate.
#[derive(Debug, Clone)]
pub struct Part {
    /// What it is.
    pub what: &'static str,
    /// The setting that bounds it.
    pub field: &'static str,
    /// Worst case, in bytes.
    pub bytes: u64,
    /// How it is computed, in words.
    pub how: String,
}

/// The worst case of a config.
#[derive(Debug, Clone)]
pub struct Estimate {
    /// The parts.
    pub parts: Vec<Part>,
    /// `pipeline.memory_limit_mib` in bytes.
    pub limit: u64,
}

impl Estimate {
    /// The worst case of `config`.
    pub fn of(config: &Config) -> Self {
        let sc = &config.scoring;
        let p = &config.pipeline;
        let mut parts = Vec::new();
        let transformer = sc.scorer == ScorerKind::Transformer;
        let (model, model_how) = match (sc.scorer, sc.backend, sc.precision) {
            (ScorerKind::Lexicon, _, _) => (LEXICON, "lexicon scorer"),
            (_, Backend::RustBert, _) => (MODEL_RUST_BERT, "rust-bert (not measured)"),
            (_, Backend::Onnx, Precision::Fp32) => (MODEL_FP32, "e5-small fp32, measured"),
            (_, Backend::Onnx, Precision::Int8) => (MODEL_INT8, "e5-small int8, measured"),
        };
        let fallback = if transformer && sc.fallback_backlog > 0 {
            LEXICON
        } else {
            0
        };
        parts.push(Part {
            what: "model and runtime",
            field: "scoring.precision",
            bytes: model + fallback,
            how: if fallback > 0 {
                format!("{model_how} + lexicon fallback")
            } else {
                model_how.to_string()
            },
        });
        if p.language_detection == crate::lang::Detection::Accurate {
            parts.push(Part {
                what: "language detector",
                field: "pipeline.language_detection",
                bytes: LANGUAGE_DETECTOR,
                how: "lingua's models for 18 languages, measured (\"fast\": none)".into(),
            });
        }
        if transformer {
            let per_token =
                ACTIVATION_PER_TOKEN + ACTIVATION_PER_TOKEN_PER_POSITION * sc.max_tokens as u64;
            parts.push(Part {
                what: "encoder activations",
                field: "scoring.max_batch_tokens",
                bytes: sc.max_batch_tokens as u64 * per_token,
                how: format!(
                    "{} tokens x {} KiB (at max_tokens {})",
                    sc.max_batch_tokens,
                    per_token / 1024,
                    sc.max_tokens
                ),
            });
        }
        parts.push(Part {
            what: "sentiment cache",
            field: "scoring.cache_entries",
            bytes: sc.cache_entries as u64 * CACHE_ENTRY_BYTES as u64,
            how: format!(
                "{} entries x {} B (keys are digests: no text stored)",
                sc.cache_entries, CACHE_ENTRY_BYTES
            ),
        });
        // Three channels of `channel_capacity` batches, plus the batch each stage works on.
        let batches = 3 * (p.channel_capacity as u64 + 1);
        parts.push(Part {
            what: "batches between stages",
            field: "pipeline.batch_bytes",
            bytes: batches * BATCH_EXPANSION * (p.batch_bytes as u64 + MAX_RECORD),
            how: format!(
                "{batches} batches x {BATCH_EXPANSION} x (batch_bytes {} KiB + one 1 MiB record)",
                p.batch_bytes / 1024
            ),
        });
        parts.push(Part {
            what: "produced, not yet acknowledged",
            field: "pipeline.max_in_flight_bytes",
            bytes: p.max_in_flight_bytes as u64 + PER_IN_FLIGHT_RECORD * p.max_in_flight as u64,
            how: format!(
                "{} MiB + {} records x {PER_IN_FLIGHT_RECORD} B",
                p.max_in_flight_bytes >> 20,
                p.max_in_flight
            ),
        });
        parts.push(Part {
            what: "posts remembered for deletions",
            field: "pipeline.deletion_memory",
            bytes: p.deletion_memory as u64 * DELETION_ENTRY_BYTES as u64,
            how: format!("{} posts x {DELETION_ENTRY_BYTES} B", p.deletion_memory),
        });
        parts.push(Part {
            what: "consumer prefetch",
            field: "pipeline.consumer_prefetch_bytes",
            bytes: p.consumer_prefetch_bytes as u64,
            how: "librdkafka's queued.max.messages.kbytes".into(),
        });
        let patterns: usize = config
            .brands
            .iter()
            .flat_map(|b| b.topics.values())
            .filter_map(|t| t.query.as_deref())
            .map(crate::rules::query::count_patterns)
            .sum();
        if patterns > 0 {
            let limit = config.matching.regex_size_limit as u64;
            parts.push(Part {
                what: "rule patterns (/regex/)",
                field: "matching.regex_size_limit",
                bytes: patterns as u64 * 2 * limit,
                how: format!(
                    "{patterns} patterns x 2 x {} KiB (program and lazy DFA cache)",
                    limit / 1024
                ),
            });
        }
        if config.screen.enabled {
            let c = &config.screen.campaign;
            let brands = config.brands.len().max(1);
            let texts = (c.capacity(brands) * brands) as u64;
            parts.push(Part {
                what: "screen: texts remembered",
                field: "screen.campaign.max_total",
                bytes: texts * CAMPAIGN_ENTRY_BYTES as u64,
                how: format!(
                    "{brands} brands x {} texts x {CAMPAIGN_ENTRY_BYTES} B",
                    c.capacity(brands)
                ),
            });
            parts.push(Part {
                what: "screen: authors tracked",
                field: "screen.tracked_authors",
                bytes: (config.screen.tracked_authors * AUTHOR_BYTES) as u64,
                how: format!(
                    "{} authors x {AUTHOR_BYTES} B",
                    config.screen.tracked_authors
                ),
            });
        }
        if config.alert.enabled {
            parts.push(Part {
                what: "alert stage",
                field: "alert.enabled",
                bytes: ALERT_STAGE,
                how: "state per brand and buffers (estimated)".into(),
            });
            if config.alert.terms.enabled {
                let t = &config.alert.terms;
                parts.push(Part {
                    what: "alert term statistics",
                    field: "alert.terms.max_total",
                    bytes: memory_bound(t.max_total),
                    how: format!(
                        "{} terms x ({} B kept + {} open windows x {} B)",
                        t.max_total, TERM_BYTES, OPEN_WINDOWS, WINDOW_TERM_BYTES
                    ),
                });
            }
        }
        Estimate {
            parts,
            limit: p.memory_limit_mib as u64 * MIB,
        }
    }

    /// The sum of the parts.
    pub fn total(&self) -> u64 {
        self.parts.iter().map(|p| p.bytes).sum()
    }

    /// One line per part and a total, for `brandpulse check`.
    pub fn table(&self) -> String {
        let mut out = String::new();
        for p in &self.parts {
            out.push_str(&format!(
                "    {:<32} {:>6} MiB  {} ({})\n",
                p.what,
                p.bytes.div_ceil(MIB),
                p.how,
                p.field
            ));
        }
        out.push_str(&format!(
            "    {:<32} {:>6} MiB  of pipeline.memory_limit_mib = {}\n",
            "total (worst case)",
            self.total().div_ceil(MIB),
            self.limit / MIB
        ));
        out
    }
}

/// Refuses a config whose worst case exceeds `pipeline.memory_limit_mib`.
///
/// # Errors
/// [`ConfigError::Invalid`] naming the largest part's setting.
pub fn check(config: &Config) -> Result<(), ConfigError> {
    let e = Estimate::of(config);
    let total = e.total();
    if total <= e.limit {
        return Ok(());
    }
    let largest = e
        .parts
        .iter()
        .filter(|p| p.field != "scoring.precision")
        .max_by_key(|p| p.bytes);
    let hint = largest.map_or(String::new(), |p| {
        format!(
            "; the largest adjustable part is {} ({} MiB, {})",
            p.what,
            p.bytes.div_ceil(MIB),
            p.field
        )
    });
    Err(ConfigError::Invalid {
        field: largest.map_or("pipeline.memory_limit_mib", |p| p.field).to_string(),
        reason: format!(
            "the worst-case memory of these settings is {} MiB, over pipeline.memory_limit_mib ({} MiB){hint}. \
             Lower it, or raise memory_limit_mib together with the container's limit \
             (`brandpulse check` prints the whole table)",
            total.div_ceil(MIB),
            e.limit / MIB
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fit_the_shipped_limit_with_the_alert_stage() {
        let c = Config::from_toml("[alert]\nenabled = true", "t").unwrap();
        let e = Estimate::of(&c);
        assert!(e.total() <= 1152 * MIB, "{}", e.table());
        assert_eq!(e.limit, 1152 * MIB);
        assert!(e.parts.iter().any(|p| p.what == "alert stage"));
        let fast = Config::from_toml("[pipeline]\nlanguage_detection = \"fast\"", "t").unwrap();
        assert_eq!(
            Estimate::of(&fast).total() + LANGUAGE_DETECTOR,
            Estimate::of(&c).total() - ALERT_STAGE - memory_bound(c.alert.terms.max_total)
        );
        assert!(e.parts.iter().any(|p| p.what == "alert term statistics"));
    }

    #[test]
    fn the_screen_stage_is_bounded_by_max_total_at_1000_brands() {
        let mut toml = String::new();
        for i in 0..1000 {
            toml.push_str(&format!(
                "[[brands]]\nid = \"b{i}\"\n[brands.topics.t]\nkeywords = [\"brand{i}\"]\n"
            ));
        }
        let c = Config::from_toml(&toml, "t").unwrap();
        let e = Estimate::of(&c);
        let part = |what: &str| e.parts.iter().find(|p| p.what == what).map(|p| p.bytes);
        assert_eq!(
            part("screen: texts remembered"),
            Some(50_000 * CAMPAIGN_ENTRY_BYTES as u64),
            "{}",
            e.table()
        );
        assert_eq!(
            part("screen: authors tracked"),
            Some(50_000 * AUTHOR_BYTES as u64)
        );
        assert!(e.total() <= e.limit, "{}", e.table());
        let off = Config::from_toml(&format!("[screen]\nenabled = false\n{toml}"), "t").unwrap();
        assert_eq!(
            part("screen: texts remembered").unwrap() + part("screen: authors tracked").unwrap(),
            e.total() - Estimate::of(&off).total()
        );
    }

    #[test]
    fn the_combinations_that_blew_up_are_refused() {
        // max_tokens 512 with a large token budget: 11 GB measured before the budget existed.
        let err = Config::from_toml(
            "[scoring]\nmax_tokens = 512\nmax_batch = 1024\nmax_batch_tokens = 65536",
            "t",
        )
        .unwrap_err();
        match err {
            ConfigError::Invalid { field, reason } => {
                assert_eq!(field, "scoring.max_batch_tokens");
                assert!(reason.contains("memory_limit_mib"), "{reason}");
            }
            other => panic!("{other}"),
        }
        // At max_tokens 512 the default budget is over by a little; half of it fits.
        assert!(Config::from_toml("[scoring]\nmax_tokens = 512\nmax_batch = 1024", "t").is_err());
        Config::from_toml(
            "[scoring]\nmax_tokens = 512\nmax_batch = 1024\nmax_batch_tokens = 1024",
            "t",
        )
        .unwrap();
        // fp32 needs a larger limit, and says so.
        assert!(Config::from_toml("[scoring]\nprecision = \"fp32\"", "t").is_err());
        Config::from_toml(
            "[scoring]\nprecision = \"fp32\"\n[pipeline]\nmemory_limit_mib = 2048",
            "t",
        )
        .unwrap();
    }

    #[test]
    fn rule_patterns_are_counted() {
        let brands =
            "[[brands]]\nid = \"a\"\n[brands.topics.t]\nquery = '/acme-x\\d+/ OR /acme\\.com/'\n";
        let c = Config::from_toml(brands, "t").unwrap();
        let part = Estimate::of(&c)
            .parts
            .into_iter()
            .find(|p| p.field == "matching.regex_size_limit")
            .expect("a part for the patterns");
        assert_eq!(part.bytes, 2 * 2 * 256 * 1024);
        // Many large patterns exceed the budget, which names their setting.
        let five = "'/acme1/ /acme2/ /acme3/ /acme4/ /acme5/'";
        let big = format!(
            "[matching]\nregex_size_limit = 16777216\n[[brands]]\nid = \"a\"\n\
             [brands.topics.t]\nquery = {five}\n[brands.topics.u]\nquery = {five}\n"
        );
        match Config::from_toml(&big, "t").unwrap_err() {
            ConfigError::Invalid { field, .. } => assert_eq!(field, "matching.regex_size_limit"),
            other => panic!("{other}"),
        }
    }
}
