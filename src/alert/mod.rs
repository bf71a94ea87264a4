//! Spike alerts: per-brand volume and negative-share spikes on fixed windows.
//!
//! [`detector`] is the synchronous core (seasonal baseline, count-aware tail tests,
//! persistence, cooldown, severity). The model and its defaults: `docs/alerts.md`.

pub mod core;
pub mod detector;
pub mod replay;
pub mod stage;
