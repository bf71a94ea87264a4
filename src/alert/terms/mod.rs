//! Term statistics per brand, for alert drivers and emerging terms (`[alert.terms]`).
//!
//! [`extract`] turns a matched mention into its terms (words, two-word phrases, hashtags,
//! handles; stop words of [`stopwords`], numbers and the brand's matched query words left
//! out); [`stats`] counts them per open window (each author once per term and window) and
//! keeps a decayed baseline share per kept term, in bounded memory; [`drivers`] names what
//! drives an alert from the candidates of its windows. The alert core
//! ([`AlertCore`](super::core::AlertCore)) runs them and checkpoints their state with the
//! brand's. The model, its defaults and what it costs: `docs/alerts.md`.

pub mod drivers;
pub mod extract;
pub mod stats;
pub mod stopwords;

#[cfg(test)]
mod tests;

/// Terms with a baseline each brand keeps when `held` brands share `max_total`.
pub fn capacity(per_brand: usize, max_total: usize, held: usize) -> usize {
    per_brand.min((max_total / held.max(1)).max(32))
}

/// Distinct terms an open window may hold for a brand whose capacity is `capacity`.
pub fn window_capacity(capacity: usize) -> usize {
    capacity
}

pub use crate::config::memory::{
    checkpoint_bound, memory_bound, CHECKPOINT_BASE_BYTES, CHECKPOINT_TERM_BYTES,
    CHECKPOINT_WINDOW_TERM_BYTES, OPEN_WINDOWS, TERM_BYTES, WINDOW_TERM_BYTES,
};
