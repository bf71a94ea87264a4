//! Wires the stages together with bounded channels and runs them until shutdown. The types
//! that flow between them are in [`crate::record`]; each stage's shell is in its own folder.
//!
//! ```text
//! ingest task --Vec<Ingested>--> match task --Vec<Matched>--> screen task --Vec<Matched>-->
//!     score thread --Vec<Outbound>--> emit task
//! ```
//! (The screen task is left out when `screen.enabled` is false.)
//! Every channel holds at most `pipeline.channel_capacity` batches: when the producer side of
//! Kafka is slow, the emitter stops taking batches, the channels fill, and the consumer stops
//! reading. On shutdown the ingest task stops reading and drops its sender; each stage
//! finishes what it holds and closes the next channel; the emitter waits for the last
//! acknowledgements; then the stored offsets are committed.

use std::collections::HashMap;
use std::sync::Arc;

use rdkafka::consumer::{CommitMode, Consumer};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::emit::kafka::{create_producer, Emitter};
use crate::ingest::kafka::{self as ingest_kafka, IngestContext, IngestSettings};
use crate::ingest::Decoder;
use crate::matcher::reload::{self, Rules};
use crate::matcher::Matcher;
use crate::record::offsets::{Offsets, SharedTracker};
use crate::score::stage::{self, ScoreStage};
use crate::score::Scorer;
use crate::shutdown::Shutdown;
use crate::telemetry::http::Health;
use crate::telemetry::Metrics;

/// Errors of running the pipeline.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The consumer could not be set up.
    #[error(transparent)]
    Ingest(#[from] ingest_kafka::IngestError),
    /// The producer could not be set up or a final commit failed.
    #[error(transparent)]
    Emit(#[from] crate::emit::EmitError),
    /// The rules could not be compiled.
    #[error(transparent)]
    Match(#[from] crate::matcher::MatchError),
    /// The scorer failed.
    #[error(transparent)]
    Score(#[from] crate::score::ScoreError),
    /// The scoring thread could not start.
    #[error("starting the scoring thread: {0}")]
    SpawnScoreThread(std::io::Error),
    /// A stage's task or thread panicked (or its task was cancelled).
    #[error("the {0} stage panicked")]
    Panicked(Stage),
    /// The stages ended without error before shutdown was requested (upstream closed).
    #[error("the pipeline stopped before shutdown was requested")]
    StoppedEarly,
    /// The drain did not finish within `pipeline.drain_timeout`.
    #[error("drain did not finish within {0:?}; in-flight records will be re-consumed")]
    DrainTimeout(std::time::Duration),
    /// An output topic the broker says does not exist (brandpulse does not create topics).
    #[error("topic `{topic}` ({field}) does not exist: {hint}")]
    MissingTopic {
        /// The topic.
        topic: String,
        /// The config field naming it.
        field: &'static str,
        /// What to do.
        hint: &'static str,
    },
}

/// The pipeline's stages, as named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Consuming and decoding.
    Ingest,
    /// Matching brands.
    Match,
    /// Screening for campaigns, spam and automation.
    Screen,
    /// Scoring sentiment.
    Score,
    /// Producing outputs and storing offsets.
    Emit,
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stage::Ingest => "ingest",
            Stage::Match => "match",
            Stage::Screen => "screen",
            Stage::Score => "score",
            Stage::Emit => "emit",
        })
    }
}

/// The inbox topic is new in this version, and a missing output topic is a transient produce
/// failure retried forever (its partition would stall), so its absence fails the start. A
/// consumer-side metadata request never creates a topic. When the broker cannot be asked
/// (not reachable yet), the start goes on: the consumer waits for it like any other.
async fn check_inbox_topic(
    consumer: &Arc<ingest_kafka::IngestConsumer>,
    topic: &str,
) -> Result<(), PipelineError> {
    use rdkafka::consumer::Consumer;
    let probe = consumer.clone();
    let name = topic.to_string();
    let md = tokio::task::spawn_blocking(move || {
        probe.fetch_metadata(Some(&name), std::time::Duration::from_secs(15))
    })
    .await;
    let md = match md {
        Ok(Ok(md)) => md,
        Ok(Err(e)) => {
            tracing::warn!(topic, error = %e, "could not check that the inbox topic exists");
            return Ok(());
        }
        Err(_) => return Ok(()),
    };
    let exists = md
        .topics()
        .iter()
        .any(|t| t.name() == topic && t.error().is_none() && !t.partitions().is_empty());
    if exists {
        Ok(())
    } else {
        Err(PipelineError::MissingTopic {
            topic: topic.to_string(),
            field: "output.inbox_topic",
            hint: "create it (keyed by brand, like output.topic), or set output.inbox_topic = \"\" to turn the inbox off",
        })
    }
}

/// Runs the whole pipeline until `shutdown` fires, then drains. The rules are fixed; see
/// [`run_reloadable`] for live reloads.
///
/// # Errors
/// [`PipelineError`] when a client cannot be created, a stage fails, or the drain times out.
pub async fn run(
    config: &Config,
    scorer: Box<dyn Scorer>,
    metrics: Metrics,
    health: Arc<Health>,
    shutdown: Shutdown,
) -> Result<(), PipelineError> {
    run_reloadable(config, None, scorer, metrics, health, shutdown).await
}

/// Like [`run`]; with `config_path`, the rules (`[matching]`, `[[brands]]`) are reloaded
/// from that file on SIGHUP and when it changes (see [`crate::matcher::reload`]).
///
/// # Errors
/// As [`run`].
pub async fn run_reloadable(
    config: &Config,
    config_path: Option<&std::path::Path>,
    scorer: Box<dyn Scorer>,
    metrics: Metrics,
    health: Arc<Health>,
    shutdown: Shutdown,
) -> Result<(), PipelineError> {
    let matcher = Matcher::new(&config.brands, &config.matching)?;
    metrics.register_brands(matcher.brand_ids());
    tracing::info!(
        brands = matcher.brand_count(),
        patterns = matcher.pattern_count(),
        scorer = %scorer.info().name,
        "rules compiled"
    );
    let tracker = SharedTracker::default();
    let consumer = Arc::new(ingest_kafka::create_consumer(
        config,
        IngestContext::new(metrics.clone(), health.clone(), tracker.clone()),
    )?);
    if !config.output.inbox_topic.is_empty() {
        check_inbox_topic(&consumer, &config.output.inbox_topic).await?;
    }
    let producer = create_producer(config, &metrics)?;
    let cap = config.pipeline.channel_capacity;
    let (ingest_tx, ingest_rx) = mpsc::channel(cap);
    let (match_tx, match_rx) = mpsc::channel(cap);
    let (score_tx, score_rx) = mpsc::channel(cap);

    let decoders: HashMap<String, Decoder> = config
        .inputs
        .iter()
        .map(|i| {
            (
                i.topic.clone(),
                Decoder::with_limits(i.format, crate::ingest::Limits::of(&config.pipeline)),
            )
        })
        .collect();
    let mut drain_signal = shutdown.clone();
    let ingest = tokio::spawn(ingest_kafka::run(
        consumer.clone(),
        IngestSettings {
            decoders,
            batch_size: config.pipeline.batch_size,
            batch_bytes: config.pipeline.batch_bytes,
            batch_wait: config.pipeline.batch_wait,
        },
        tracker.clone(),
        ingest_tx,
        metrics.clone(),
        shutdown,
    ));
    let rules = Rules::new(matcher);
    if let Some(path) = config_path {
        tokio::spawn(reload::watch(
            rules.clone(),
            path.to_path_buf(),
            config.matching.reload_poll,
            metrics.clone(),
            drain_signal.clone(),
        ));
    }
    let matcher_task = tokio::spawn(crate::matcher::stage::run(
        rules,
        ingest_rx,
        match_tx,
        metrics.clone(),
    ));
    // Matched batches go through the screen stage when it is on.
    let (match_rx, screen_task) = if config.screen.enabled {
        let (screen_tx, screen_rx) = mpsc::channel(cap);
        let screener = crate::screen::Screener::new(&config.screen, &config.brands);
        let task = tokio::spawn(crate::screen::stage::run(
            screener,
            match_rx,
            screen_tx,
            metrics.clone(),
        ));
        (screen_rx, Some(task))
    } else {
        (match_rx, None)
    };
    let mut score_stage = ScoreStage::new(scorer, config.scoring.cache_entries);
    if config.scoring.fallback_backlog > 0
        && config.scoring.scorer != crate::config::ScorerKind::Lexicon
    {
        score_stage =
            score_stage.with_fallback(Box::new(crate::score::lexicon::LexiconScorer::new()?));
    }
    let score_thread = stage::spawn(
        score_stage,
        match_rx,
        score_tx,
        metrics.clone(),
        config.scoring.fallback_backlog,
    )
    .map_err(PipelineError::SpawnScoreThread)?;
    let emitter = Emitter::new(
        producer.clone(),
        Offsets::new(tracker, consumer.clone()),
        metrics.clone(),
        config.output.topic.clone(),
        config.output.dead_letter_topic.clone(),
        Some(config.output.inbox_topic.clone()).filter(|t| !t.is_empty()),
        config.inbox.clone(),
        config.pipeline.max_in_flight,
        config.pipeline.max_in_flight_bytes,
        config.output.max_message_bytes,
        config.pipeline.deletion_memory,
    );
    let emit_task = tokio::spawn(emitter.run(score_rx));
    metrics.up.set(1);

    // Normal operation: wait for shutdown (or for a stage to end on its own, which is a failure).
    // On a drain timeout these tasks are cancelled, so that they drop their handles on the
    // consumer and it is closed (leaving the group) instead of lingering until exit.
    let mut aborts = vec![
        emit_task.abort_handle(),
        ingest.abort_handle(),
        matcher_task.abort_handle(),
    ];
    aborts.extend(screen_task.as_ref().map(|t| t.abort_handle()));
    let stages = async {
        let emitted = emit_task.await;
        let ingested = ingest.await;
        let matched = matcher_task.await;
        let screened = match screen_task {
            Some(task) => task.await,
            None => Ok(()),
        };
        let scored = tokio::task::spawn_blocking(move || score_thread.join())
            .await
            .map_err(|_| PipelineError::Panicked(Stage::Score))?
            .map_err(|_| PipelineError::Panicked(Stage::Score))?;
        scored?;
        emitted.map_err(|_| PipelineError::Panicked(Stage::Emit))??;
        ingested.map_err(|_| PipelineError::Panicked(Stage::Ingest))?;
        matched.map_err(|_| PipelineError::Panicked(Stage::Match))?;
        screened.map_err(|_| PipelineError::Panicked(Stage::Screen))?;
        Ok::<(), PipelineError>(())
    };
    tokio::pin!(stages);
    // Shutdown first: once it has fired, the stages end because of it (a fast drain can be
    // complete by the time this task is woken, and must not read as an early stop).
    let result = tokio::select! {
        biased;
        _ = drain_signal.recv() => {
            health.set_ready(false);
            let grace = config.pipeline.drain_timeout;
            tracing::info!(?grace, "draining");
            match tokio::time::timeout(grace, &mut stages).await {
                Ok(r) => r,
                Err(_) => {
                    for task in &aborts {
                        task.abort();
                    }
                    Err(PipelineError::DrainTimeout(grace))
                }
            }
        }
        r = &mut stages => {
            if drain_signal.is_fired() {
                r
            } else {
                tracing::error!("a stage stopped before shutdown was requested");
                r.and(Err(PipelineError::StoppedEarly))
            }
        }
    };
    metrics.up.set(0);
    // Commit what was stored, whatever happened: at worst this is a no-op.
    let committed = {
        let consumer = consumer.clone();
        tokio::task::spawn_blocking(move || consumer.commit_consumer_state(CommitMode::Sync)).await
    };
    match committed {
        Ok(Ok(())) => tracing::info!("final offsets committed"),
        // Nothing stored since the last automatic commit.
        Ok(Err(rdkafka::error::KafkaError::ConsumerCommit(
            rdkafka::types::RDKafkaErrorCode::NoOffset,
        ))) => {
            tracing::info!("final offsets already committed")
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "final commit failed (records since the last commit will be re-consumed)")
        }
        Err(e) => tracing::warn!(error = %e, "final commit task failed"),
    }
    consumer.unsubscribe();
    // Wait (briefly) for cancelled tasks to let go of the consumer, then close it: the group
    // rebalances at once instead of after the session timeout.
    for _ in 0..50 {
        if Arc::strong_count(&consumer) == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    if let Ok(consumer) = Arc::try_unwrap(consumer) {
        tokio::task::spawn_blocking(move || drop(consumer))
            .await
            .ok();
        tracing::info!("consumer closed");
    }
    result
}
