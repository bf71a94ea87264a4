//! A pipeline member in the test process (lexicon scorer), for the MockCluster tests.

use std::sync::Arc;
use std::time::Duration;

use brandpulse::config::Config;
use brandpulse::pipeline;
use brandpulse::score::lexicon::LexiconScorer;
use brandpulse::shutdown;
use brandpulse::telemetry::http::Health;
use brandpulse::telemetry::Metrics;

/// A running pipeline and what it reports.
pub struct Member {
    pub trigger: shutdown::Trigger,
    pub metrics: Metrics,
    pub handle: tokio::task::JoinHandle<Result<(), pipeline::PipelineError>>,
}

/// Starts the pipeline on `config` (logs to the test output, filtered by `RUST_LOG`).
pub fn start(config: &Config) -> Member {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let (_registry, metrics) = Metrics::for_tests();
    let (trigger, shutdown) = shutdown::channel();
    let config = config.clone();
    let m = metrics.clone();
    let handle = tokio::spawn(async move {
        let scorer = Box::new(LexiconScorer::new().expect("lexicon"));
        pipeline::run(&config, scorer, m, Arc::new(Health::default()), shutdown).await
    });
    Member {
        trigger,
        metrics,
        handle,
    }
}

impl Member {
    /// Stops the member; the drain must finish (nothing stuck). Returns its metrics.
    pub async fn stop(self) -> Metrics {
        self.trigger.fire();
        self.handle
            .await
            .expect("join")
            .expect("the pipeline ends cleanly: the drain finished");
        self.metrics
    }

    /// Scored outputs acknowledged so far.
    pub fn scored(&self) -> u64 {
        self.metrics.produced.with_label_values(&["scored"]).get()
    }

    /// Waits up to 10 s for the last acknowledgements; returns the records still in flight.
    pub async fn settle(&self) -> i64 {
        for _ in 0..100 {
            if self.metrics.in_flight.get() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.metrics.in_flight.get()
    }
}
