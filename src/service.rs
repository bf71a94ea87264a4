//! The service: the HTTP endpoints, the pipeline and the alert stage, started together and
//! stopped in order. `brandpulse run` and `brandpulse demo` both use it.
//!
//! ```text
//! Service::bind   metrics registered, /metrics /healthz /readyz / served (nothing connects yet)
//! Service::run    alert stage thread, then the pipeline, until shutdown fires; then in order:
//!                 the pipeline drains (pipeline.drain_timeout), the alert stage checkpoints and
//!                 commits (the same grace), the HTTP server closes (SERVER_GRACE)
//! ```
//! Every join has a time limit: a stage that does not stop in time is reported as an error
//! and left behind, and the process exits anyway.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::alert::stage::AlertError;
use crate::config::Config;
use crate::pipeline::{self, PipelineError};
use crate::score::Scorer;
use crate::shutdown::{self, Shutdown, Trigger};
use crate::telemetry::http::{self, Health, HttpError};
use crate::telemetry::Metrics;

/// How long the HTTP server may take to close once everything else has stopped.
pub const SERVER_GRACE: Duration = Duration::from_secs(5);

/// Errors of starting or stopping the service.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The HTTP endpoints could not start or failed.
    #[error(transparent)]
    Http(#[from] HttpError),
    /// The alert stage could not start.
    #[error(transparent)]
    Alert(#[from] AlertError),
    /// The pipeline failed.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// A part did not stop within its grace period after shutdown.
    #[error("{part} did not stop within {grace:?} after shutdown")]
    StopTimeout {
        /// Which part.
        part: Part,
        /// Its grace period.
        grace: Duration,
    },
    /// A part's thread or task panicked.
    #[error("{0} panicked")]
    Panicked(Part),
}

/// The parts of the service, in the order they stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The pipeline (ingest, match, score, emit).
    Pipeline,
    /// The alert stage.
    AlertStage,
    /// The HTTP endpoints.
    HttpServer,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Pipeline => "the pipeline",
            Part::AlertStage => "the alert stage",
            Part::HttpServer => "the HTTP server",
        })
    }
}

/// A bound, not yet running service.
pub struct Service {
    config: Config,
    reload_from: Option<PathBuf>,
    metrics: Metrics,
    health: Arc<Health>,
    trigger: Trigger,
    shutdown: Shutdown,
    addr: SocketAddr,
    server: JoinHandle<Result<(), HttpError>>,
}

impl Service {
    /// Registers the metrics and serves the HTTP endpoints on `config.telemetry.listen`;
    /// nothing connects to Kafka yet. Shutdown starts when [`Self::trigger`] fires.
    ///
    /// # Errors
    /// [`ServiceError::Http`] (e.g. the address is in use).
    pub async fn bind(config: Config) -> Result<Self, ServiceError> {
        let mut registry = crate::telemetry::Registry::default();
        let metrics = Metrics::new(&mut registry);
        let health = Arc::new(Health::default());
        let (trigger, shutdown) = shutdown::channel();
        let (addr, server) = http::bind(
            config.telemetry.listen,
            registry,
            health.clone(),
            metrics.live.clone(),
            shutdown.clone(),
        )
        .await?;
        tracing::info!(%addr, live_page = %format!("http://{addr}/"),
            "serving /metrics /healthz /readyz and the live page");
        Ok(Self {
            config,
            reload_from: None,
            metrics,
            health,
            trigger,
            shutdown,
            addr,
            server: tokio::spawn(server),
        })
    }

    /// Reloads the rules (`[matching]`, `[[brands]]`) from `path` on SIGHUP and when it
    /// changes (see [`crate::matcher::reload`]).
    pub fn reload_rules_from(mut self, path: PathBuf) -> Self {
        self.reload_from = Some(path);
        self
    }

    /// The address the HTTP endpoints listen on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The metrics the service reports to.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Fires shutdown (idempotent).
    pub fn trigger(&self) -> Trigger {
        self.trigger.clone()
    }

    /// A receiver of shutdown, for tasks that run beside the service.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Runs the alert stage (when `[alert] enabled`) and the pipeline until shutdown fires,
    /// then stops them in order, each within its grace period.
    ///
    /// # Errors
    /// The first of: the pipeline's error, the alert stage's, the HTTP server's, or a part
    /// that did not stop in time.
    pub async fn run(self, scorer: Box<dyn Scorer>) -> Result<(), ServiceError> {
        let Service {
            config,
            reload_from,
            metrics,
            health,
            trigger,
            shutdown,
            server,
            ..
        } = self;
        let grace = config.pipeline.drain_timeout;
        // The language detector's models load in the background; the first mention that
        // needs them waits for the load instead of starting it.
        crate::lang::set_detection(config.pipeline.language_detection);
        if config.pipeline.language_detection == crate::lang::Detection::Accurate {
            drop(tokio::task::spawn_blocking(crate::lang::warm_up));
        }
        let alerts = if config.alert.enabled {
            match crate::alert::stage::spawn(&config, metrics.clone(), shutdown.clone()) {
                Ok(handle) => Some(handle),
                Err(e) => {
                    trigger.fire();
                    let _ = join_task(server, SERVER_GRACE, Part::HttpServer).await;
                    return Err(e.into());
                }
            }
        } else {
            None
        };
        // The pipeline bounds its own drain by `grace` (PipelineError::DrainTimeout).
        let pipeline = pipeline::run_reloadable(
            &config,
            reload_from.as_deref(),
            scorer,
            metrics,
            health,
            shutdown,
        )
        .await;
        // However the pipeline ended, everything else stops too.
        trigger.fire();
        let alerts = match alerts {
            Some(handle) => join_thread(handle, grace, Part::AlertStage).await,
            None => Ok(()),
        };
        let server = join_task(server, SERVER_GRACE, Part::HttpServer)
            .await
            .and_then(|r| r.map_err(ServiceError::from));
        pipeline?;
        alerts?;
        server?;
        tracing::info!("stopped cleanly");
        Ok(())
    }
}

/// Waits at most `grace` for a thread to end.
async fn join_thread(
    handle: std::thread::JoinHandle<()>,
    grace: Duration,
    part: Part,
) -> Result<(), ServiceError> {
    let joined = tokio::task::spawn_blocking(move || handle.join());
    match tokio::time::timeout(grace, joined).await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(_) => Err(ServiceError::Panicked(part)),
        Err(_) => Err(ServiceError::StopTimeout { part, grace }),
    }
}

/// Waits at most `grace` for a task to end.
async fn join_task<T>(task: JoinHandle<T>, grace: Duration, part: Part) -> Result<T, ServiceError> {
    match tokio::time::timeout(grace, task).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(_)) => Err(ServiceError::Panicked(part)),
        Err(_) => Err(ServiceError::StopTimeout { part, grace }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_thread_that_does_not_stop_is_left_behind_after_its_grace() {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let stuck = std::thread::spawn(move || {
            let _ = rx.recv();
        });
        let grace = Duration::from_secs(30);
        // The clock is paused and does not move by itself while a blocking join is pending:
        // move it past the grace period by hand.
        let waiting = tokio::spawn(join_thread(stuck, grace, Part::AlertStage));
        tokio::task::yield_now().await;
        tokio::time::advance(grace + Duration::from_millis(1)).await;
        let r = waiting.await.unwrap();
        assert!(
            matches!(r, Err(ServiceError::StopTimeout { part: Part::AlertStage, grace: g }) if g == grace),
            "{r:?}"
        );
        tx.send(()).unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_does_not_stop_is_left_behind_after_its_grace() {
        let task = tokio::spawn(std::future::pending::<()>());
        let r = join_task(task, SERVER_GRACE, Part::HttpServer).await;
        assert!(
            matches!(
                r,
                Err(ServiceError::StopTimeout {
                    part: Part::HttpServer,
                    ..
                })
            ),
            "{r:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn parts_that_stop_in_time_are_joined() {
        let thread = std::thread::spawn(|| ());
        join_thread(thread, Duration::from_secs(5), Part::AlertStage)
            .await
            .unwrap();
        let task = tokio::spawn(async { 7 });
        assert_eq!(
            join_task(task, SERVER_GRACE, Part::HttpServer)
                .await
                .unwrap(),
            7
        );
        let panicking = tokio::spawn(async { panic!("boom") });
        assert!(matches!(
            join_task::<()>(panicking, SERVER_GRACE, Part::HttpServer).await,
            Err(ServiceError::Panicked(Part::HttpServer))
        ));
    }
}
