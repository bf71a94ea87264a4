//! `brandpulse alert-eval`: a seeded replay harness for the spike detector.
//!
//! It generates per-brand mention streams with a realistic rhythm (night low, midday and
//! evening peaks, a weekday/weekend factor, day-to-day level changes, Poisson or gamma-Poisson
//! counts, a binomial negative share), injects volume and negative-share spikes of known start,
//! size and duration, feeds every window through
//! [`BrandState::observe`](super::detector::BrandState::observe), and reports recall,
//! detection delay and false alarms per brand-week. A second, spike-free stream per brand
//! measures false alarms on their own. Everything is synchronous and deterministic for a seed
//! (brands run on a few threads, each with its own generator). See `docs/alerts.md`.
//!
//! # Files
//!
//! This file holds the options, the errors and [`evaluate`], which runs the brands on threads;
//! `model.rs` what is generated and measured (volume classes, brands, spikes, outcomes),
//! `sim.rs` the simulation (brands, their streams, injected spikes, the detector fed window by
//! window), `terms.rs` the words of the streams (spike phrases, rising terms, everyday
//! vocabulary; drivers and emerging terms), `sample.rs` the random variates it draws, `oracle.rs` the reference detector that
//! says which spikes are detectable, and `report.rs` the figures and their text.

mod model;
mod oracle;
mod report;
mod sample;
mod sim;
pub mod terms;

pub use model::{
    Brand, BrandResult, Outcome, RisingOutcome, Spike, VolumeClass, DURATIONS, MAX_SHARE,
    SHARE_MULTIPLIER, VOLUME_MULTIPLIERS,
};
pub use oracle::{oracle_power, DETECTABLE, ORACLE_ALPHA};
pub use report::{Cell, Report};
pub use sample::{gamma, poisson};
pub use sim::{brands, daily_profile, ALARM_SLACK, DETECT_SLACK};

use super::detector::DetectorConfig;
use crate::config::AlertConfig;

/// What to generate and how.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayConfig {
    /// Weeks the detector learns before spikes are injected and alerts are counted.
    pub learn_weeks: u32,
    /// Weeks evaluated.
    pub eval_weeks: u32,
    /// Brands, assigned round-robin to the low, mid and high volume classes.
    pub brands: usize,
    /// Seed of everything random.
    pub seed: u64,
    /// Overdispersion: each minute's rate is multiplied by a gamma variate of mean 1 and this
    /// variance (variance of a count = mean + dispersion * mean^2). 0 = Poisson.
    pub dispersion: f64,
    /// Standard deviation of the log of each day's level (day-to-day variation).
    pub day_variation: f64,
    /// Worker threads (0 = available parallelism).
    pub threads: usize,
    /// Also simulate terms: spike phrases, rising terms, everyday vocabulary (drivers and
    /// emerging terms; `terms.rs`).
    pub terms: bool,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        Self {
            learn_weeks: 2,
            eval_weeks: 4,
            brands: 30,
            seed: 1,
            dispersion: 0.0,
            day_variation: 0.1,
            threads: 0,
            terms: true,
        }
    }
}

/// Errors of [`evaluate`].
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// `alert.window` is not a whole number of minutes (the replay simulates minutes).
    #[error("alert-eval needs `alert.window` to be whole minutes (this config has {minutes} min)")]
    WindowNotWholeMinutes {
        /// The configured window, in minutes.
        minutes: f64,
    },
    /// `--weeks` or `--brands` is 0.
    #[error("--weeks and --brands must be at least 1 (got {weeks} and {brands})")]
    Empty {
        /// `--weeks`.
        weeks: u32,
        /// `--brands`.
        brands: usize,
    },
    /// `--dispersion` is outside 0..=10.
    #[error("--dispersion must be between 0 and 10 (got {0})")]
    Dispersion(f64),
}

/// Runs the evaluation.
///
/// # Errors
/// [`ReplayError`] for a window that is not a whole number of minutes, no weeks or brands,
/// or a dispersion out of range.
pub fn evaluate(config: &ReplayConfig, alert: &AlertConfig) -> Result<Report, ReplayError> {
    let detector = &DetectorConfig::from(alert);
    let window_minutes = 60.0 / detector.windows_per_hour;
    if window_minutes < 1.0 || window_minutes.fract() != 0.0 {
        return Err(ReplayError::WindowNotWholeMinutes {
            minutes: window_minutes,
        });
    }
    if config.eval_weeks == 0 || config.brands == 0 {
        return Err(ReplayError::Empty {
            weeks: config.eval_weeks,
            brands: config.brands,
        });
    }
    if !(config.dispersion >= 0.0 && config.dispersion <= 10.0) {
        return Err(ReplayError::Dispersion(config.dispersion));
    }
    let brands = brands(config);
    let threads = if config.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        config.threads
    }
    .clamp(1, brands.len());
    let mut results = vec![BrandResult::default(); brands.len()];
    std::thread::scope(|s| {
        let chunk = brands.len().div_ceil(threads);
        for (t, out) in results.chunks_mut(chunk).enumerate() {
            let brands = &brands;
            s.spawn(move || {
                for (j, slot) in out.iter_mut().enumerate() {
                    let i = t * chunk + j;
                    *slot = sim::run_brand(i, &brands[i], config, alert, window_minutes as i64);
                }
            });
        }
    });
    Ok(Report {
        config: config.clone(),
        detector: detector.clone(),
        brands,
        results,
    })
}

#[cfg(test)]
mod tests;
