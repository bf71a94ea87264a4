//! Live rule reloads: on SIGHUP and when the config file changes, the `[matching]` section
//! and the `[[brands]]` are read again, validated and compiled off the async workers, then
//! swapped in between two batches. Batches already being matched finish with the rules
//! they started with, so no mention is dropped or matched half-and-half. A reload that fails
//! (unreadable file, bad TOML, invalid query) keeps the rules in force and logs why; both
//! outcomes are counted in `brandpulse_rules_reloads_total{result}`.
//!
//! Other sections (Kafka, scoring, ...) are not applied live: changing them needs a restart.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{MatchError, Matcher, RuleStats};
use crate::config::{Config, ConfigError};
use crate::shutdown::Shutdown;
use crate::telemetry::Metrics;

/// Why a reload was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// The file could not be read, parsed or validated.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The rules did not compile.
    #[error(transparent)]
    Match(#[from] MatchError),
    /// The config has no brands any more.
    #[error("the new config has no [[brands]]; keeping the rules in force")]
    NoBrands,
    /// The compile task failed.
    #[error("compiling the rules: {0}")]
    Task(String),
}

/// The rules in force, shared by the matcher stage and the reloader.
#[derive(Debug)]
pub struct Rules {
    current: RwLock<Arc<Matcher>>,
}

impl Rules {
    /// Rules starting with `matcher`.
    pub fn new(matcher: Matcher) -> Arc<Self> {
        Arc::new(Self {
            current: RwLock::new(Arc::new(matcher)),
        })
    }

    /// The rules in force (cheap: an `Arc` clone). Take it once per batch.
    pub fn current(&self) -> Arc<Matcher> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Puts `matcher` in force for the next batches.
    pub fn replace(&self, matcher: Matcher) {
        let new = Arc::new(matcher);
        match self.current.write() {
            Ok(mut g) => *g = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
    }
}

/// Reads `path` and compiles its rules: the synchronous core of a reload.
///
/// # Errors
/// [`ReloadError`] saying what is wrong with the file.
pub fn compile(path: &Path) -> Result<Matcher, ReloadError> {
    let config = Config::load(path)?;
    if config.brands.is_empty() {
        return Err(ReloadError::NoBrands);
    }
    Ok(Matcher::new(&config.brands, &config.matching)?)
}

/// A cheap fingerprint of the file's content (`None` when unreadable).
fn fingerprint(path: &Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    Some(h.finish())
}

/// Reloads `rules` from `path` on SIGHUP and, when `poll` is not zero, whenever the file's
/// content changes, until `shutdown` fires.
pub async fn watch(
    rules: Arc<Rules>,
    path: PathBuf,
    poll: Duration,
    metrics: Metrics,
    mut shutdown: Shutdown,
) {
    metrics
        .rules_brands
        .set(rules.current().brand_count() as i64);
    metrics.rules_loaded_at.set(unix_now());
    let mut hup = hangup();
    let mut last = fingerprint(&path);
    let mut ticker = tokio::time::interval(if poll.is_zero() {
        Duration::from_secs(3600)
    } else {
        poll
    });
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        let why = tokio::select! {
            _ = shutdown.recv() => return,
            _ = recv_hangup(&mut hup) => "SIGHUP",
            _ = ticker.tick() => {
                if poll.is_zero() {
                    continue;
                }
                let now = fingerprint(&path);
                if now == last || now.is_none() {
                    // Unreadable mid-update (e.g. a ConfigMap symlink swap): try next tick.
                    continue;
                }
                "file changed"
            }
        };
        last = fingerprint(&path);
        reload(&rules, &path, &metrics, why).await;
    }
}

/// One reload attempt; the outcome is logged and counted.
pub async fn reload(rules: &Rules, path: &Path, metrics: &Metrics, why: &str) -> bool {
    let p = path.to_path_buf();
    let result = tokio::task::spawn_blocking(move || compile(&p))
        .await
        .map_err(|e| ReloadError::Task(e.to_string()))
        .and_then(|r| r);
    match result {
        Ok(matcher) => {
            let stats = matcher.stats();
            metrics.register_brands(matcher.brand_ids());
            rules.replace(matcher);
            RulesReloaded {
                trigger: why,
                outcome: Ok(&stats),
            }
            .emit(metrics);
            true
        }
        Err(e) => {
            RulesReloaded {
                trigger: why,
                outcome: Err(&e),
            }
            .emit(metrics);
            false
        }
    }
}

/// A reload attempt ended: counted in `brandpulse_rules_reloads_total{result}` (`ok` or
/// `error`) and logged in one call; a success also sets the rules gauges.
pub struct RulesReloaded<'a> {
    /// What asked for it (`SIGHUP`, `file changed`).
    pub trigger: &'a str,
    /// The new rules' figures, or why they were refused.
    pub outcome: Result<&'a RuleStats, &'a ReloadError>,
}

impl RulesReloaded<'_> {
    /// Counts and logs the event.
    pub fn emit(&self, metrics: &Metrics) {
        match self.outcome {
            Ok(st) => {
                metrics.rules_brands.set(st.brands as i64);
                metrics.rules_loaded_at.set(unix_now());
                metrics.rules_reloads.with_label_values(&["ok"]).inc();
                tracing::info!(
                    trigger = self.trigger,
                    brands = st.brands,
                    topics = st.topics,
                    patterns = st.patterns,
                    "rules reloaded"
                );
            }
            Err(e) => {
                metrics.rules_reloads.with_label_values(&["error"]).inc();
                tracing::warn!(trigger = self.trigger, error = %e,
                    "rules reload failed; keeping the rules in force");
            }
        }
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = ();

#[cfg(unix)]
fn hangup() -> Hangup {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP; rules reload on file change only");
            None
        }
    }
}

#[cfg(unix)]
async fn recv_hangup(hup: &mut Hangup) {
    match hup {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
fn hangup() -> Hangup {}

#[cfg(not(unix))]
async fn recv_hangup(_: &mut Hangup) {
    std::future::pending::<()>().await
}
