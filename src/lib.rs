//! brandpulse: a social-listening stream processor.
//!
//! Mentions of brands (posts, comments, news items) stream in from Kafka; brandpulse matches
//! each against every brand's rules, scores the sentiment of those that match, and emits
//! scored mentions to Kafka and per-brand time series to Prometheus.
//!
//! # Layout
//!
//! The module tree follows the pipeline. Each stage is a synchronous core (plain functions
//! and structs, testable without Kafka or tokio) and a thin async shell in its own folder;
//! [`pipeline`] only wires the shells together with bounded channels.
//!
//! ```text
//!  Kafka input topics                                                   Kafka: scored topic
//!        |                                                              (key = brand id), inbox
//!  [ingest] --batch--> [matcher] ----> [screen] ----> [score] ----> [emit] -----+
//!   decode               one Aho-Corasick  spam,        dedicated     build,    |
//!   canonical /          pass over all     accounts,    thread,       intent,   +--> dead-letter topic
//!   twitter-v1           brands' terms     campaigns    Scorer trait  produce,       (reason headers)
//!        |                                                            ack, store    |
//!        +--------------- rejected records go straight to emit ---------------------+
//!
//!  [alert] scored topic -> per-brand windows -> alerts topic, Prometheus, Alertmanager
//!  [telemetry] /metrics /healthz /readyz /live, Kafka statistics (lag)
//! ```
//!
//! Foundations, which import no stage:
//! - [`record`]: what passes between stages (`Ingested -> Matched -> Outbound`, each with its
//!   [`record::Origin`]), dead letters and why ([`record::DecodeError`]), partition/offset
//!   identity and the offset tracker ([`record::offsets`]), and alert events.
//! - [`mention`]: the mention types, `Mention -> MatchedMention -> ScoredMention`.
//! - [`config`]: typed TOML config, validated before anything connects (with [`rules`]).
//! - [`rules`]: the brand rule language: tokens ([`rules::normalize`]) and queries
//!   ([`rules::query`]).
//! - [`lang`]: the language of a mention, settled once (provider's, else detected) for rule
//!   filters, the scorer and the output.
//! - [`kafka`]: the one builder of librdkafka clients (settings, passthrough, secrets,
//!   redaction).
//! - [`telemetry`]: the metrics (`prometheus-client`: each created and registered in one call,
//!   exemplars on latencies, build and process metrics), the events that log and count in one
//!   call, the HTTP endpoints (OpenMetrics or classic text) and the live page.
//! - [`shutdown`]: SIGINT/SIGTERM; [`preflight`]: start-up checks.
//!
//! Stages, each importing only foundations:
//! - [`ingest`]: decoding canonical JSON and Twitter v1.1 JSON; [`ingest::kafka`] is the
//!   consumer-group member.
//! - [`matcher`]: brand rules compiled into one automaton; [`matcher::stage`] its shell;
//!   [`matcher::reload`] live rule reloads.
//! - [`score`]: the [`score::Scorer`] trait, the transformer scorer (multilingual-e5-small and a
//!   sentiment head on ONNX Runtime or rust-bert), the lexicon scorer (baseline and overload
//!   fallback), per-brand spans, the text cache and the scoring thread
//!   ([`score::stage`]).
//! - [`screen`]: spam flags, the automation score of the author, copy-paste campaigns
//!   (near-duplicate texts from many authors, per brand) and impact, between matching and
//!   scoring; [`screen::stage`] its shell.
//! - [`intent`]: complaint / question / praise, needs-response and priority of a scored
//!   (mention, brand), decided in [`emit`]'s record building; [`intent::eval`] its evaluation.
//! - [`inbox`]: the open inbox items and the brand replies (posts by a brand's `own_handles`,
//!   recognised by the [`matcher`] stage) that answer them; the emitter keeps it.
//! - [`emit`]: output records built from scores, the producer, dead letters cut to fit, the
//!   inbox copies, and at-least-once offset storage ([`emit::kafka`]).
//! - [`alert`]: spike detection per brand on the scored topic: [`alert::detector`] the
//!   per-brand state machine, [`alert::core`] the windows, [`alert::stage`] the Kafka shell
//!   and [`alert::events`] its telemetry, [`alert::replay`] the `alert-eval` harness and
//!   [`alert::series`] its replay of a real count history.
//!
//! Around them: [`pipeline`] (wiring and drain), [`service`] (the endpoints, the pipeline
//! and the alert stage started and stopped together, for `run` and `demo`), [`offline`] (`process` and `score` over
//! stdin/stdout with the same stage cores), [`eval`] (accuracy and macro-F1 of a scorer,
//! `brandpulse eval`), [`campaign_eval`] (the screen stage and the volume detector replayed on
//! seeded streams with injected campaigns, `brandpulse campaign-eval`), [`demo`] (an
//! in-process broker and a sample stream).
//! `tests/module_graph.rs` fails on any import cycle between modules, at every level.
//!
//! The binary is not part of this library: `src/main.rs` parses the arguments and maps errors
//! to exit codes (64 config or arguments, 65 rejected input, 1 failure), and its own modules
//! under `src/cli/` hold the clap types (`args.rs`) and one file per command, each calling
//! into the library.
//!
//! # Delivery
//!
//! At-least-once: a consumed record's offset is stored only once every output of that
//! record (scored mentions or its dead letter) has been acknowledged by Kafka. A crash
//! re-delivers what was in flight; downstream deduplicates on `(mention_id, brand)`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alert;
pub mod campaign_eval;
pub mod config;
pub mod demo;
pub mod emit;
pub mod eval;
pub mod inbox;
pub mod ingest;
pub mod intent;
pub mod kafka;
pub mod lang;
pub mod matcher;
pub mod mention;
pub mod offline;
pub mod pipeline;
pub mod preflight;
pub mod record;
pub mod rules;
pub mod schemas;
pub mod score;
pub mod screen;
pub mod service;
pub mod shutdown;
pub mod telemetry;
