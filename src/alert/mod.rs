//! Spike alerts: per-brand volume and negative-share spikes on fixed windows.
//!
//! [`detector`] is the synchronous core (seasonal baseline, count-aware tail tests,
//! persistence, cooldown, severity); [`core`] counts scored mentions into windows per brand,
//! feeds them to it and keeps the checkpoints; [`stage`] is the Kafka shell, and [`events`] its
//! telemetry (each event logs and counts in one call); [`replay`] is the
//! `brandpulse alert-eval` harness that measures the detector on generated streams, and
//! [`series`] replays it over a real count history (`alert-eval --series FILE`); [`terms`]
//! counts words and phrases per brand for alert drivers and emerging terms. The model
//! and its defaults: `docs/alerts.md`.

pub mod core;
pub mod detector;
pub mod events;
pub mod replay;
pub mod series;
pub mod stage;
pub mod terms;
