//! brandpulse: a social-listening stream processor.
//!
//! Mentions of brands (posts, comments, news items) stream in from Kafka; brandpulse matches
//! each against every brand's rules, scores the sentiment of those that match, and emits
//! scored mentions to Kafka and per-brand time series to Prometheus.
//!
//! # Layout
//!
//! The module tree follows the pipeline. Each stage is a synchronous core (plain functions
//! and structs, testable without Kafka or tokio) and a thin async shell in [`pipeline`].
//!
//! ```text
//!  Kafka input topics                                                 Kafka: scored topic
//!        |                                                            (key = brand id)
//!  [ingest] --batch--> [matcher] --batch--> [score] --batch--> [emit] -----+
//!   decode               one Aho-Corasick     dedicated         produce,   |
//!   canonical /          pass over all        thread, Scorer    ack, then  +--> dead-letter topic
//!   twitter-v1           brands' terms        trait, batches    store offset     (reason headers)
//!        |                                                                      |
//!        +--------------- rejected records go straight to emit ----------------+
//!
//!  [telemetry] /metrics /healthz /readyz, Kafka statistics (lag)
//! ```
//!
//! - [`mention`]: the data types, `Mention -> MatchedMention -> ScoredMention`.
//! - [`config`]: typed TOML config, validated before anything connects.
//! - [`ingest`]: decoding canonical JSON and Twitter v1.1 JSON; [`ingest::kafka`] is the
//!   consumer-group member.
//! - [`matcher`]: brand rules compiled into one automaton.
//! - [`score`]: the [`score::Scorer`] trait, the transformer scorer (multilingual-e5-small and a
//!   sentiment head on ONNX Runtime or rust-bert), the lexicon scorer (baseline and overload
//!   fallback), language detection, the text cache and the scoring thread.
//! - [`eval`]: accuracy and macro-F1 of a scorer on labelled data (`brandpulse eval`).
//! - [`emit`]: output records, the producer, the dead-letter topic and the offset tracker
//!   that makes delivery at-least-once.
//! - [`telemetry`]: the metrics registry and the HTTP endpoints.
//! - [`pipeline`]: wires the stages with bounded channels; [`shutdown`]: SIGINT/SIGTERM drain.
//! - [`offline`]: `process` and `score` over stdin/stdout, with the same stages.
//! - [`demo`]: an in-process broker and a sample stream.
//!
//! # Delivery
//!
//! At-least-once: a consumed record's offset is stored only once every output of that
//! record (scored mentions or its dead letter) has been acknowledged by Kafka. A crash
//! re-delivers what was in flight; downstream deduplicates on `(mention_id, brand)`.

pub mod alert;
pub mod config;
pub mod demo;
pub mod emit;
pub mod eval;
pub mod ingest;
pub mod kafka;
pub mod matcher;
pub mod mention;
pub mod offline;
pub mod pipeline;
pub mod preflight;
pub mod score;
pub mod shutdown;
pub mod telemetry;
