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

/// Upper bound of the memory one kept term takes: its key (at most
/// [`extract::MAX_TERM_BYTES`]), its [`stats::TermStat`], and the hash map's slot.
pub const TERM_BYTES: u64 = 160;
/// Upper bound of one term of an open window: its key, its [`stats::TermCount`] with one
/// example id of each kind (ids of at most 64 bytes), the map slot, and its share of the
/// author set (4 pairs of 8 bytes).
pub const WINDOW_TERM_BYTES: u64 = 384;
/// Open windows per brand the estimate allows for (the current one and one in lateness).
pub const OPEN_WINDOWS: u64 = 2;

/// Upper bound of one kept term in a brand's checkpoint (JSON: the term, its decayed counts,
/// windows), and of one open-window term (the term, its counts, one example id of each kind
/// of at most 64 bytes). A brand's checkpoint is one Kafka record, so `per_brand` is bounded
/// by `output.max_message_bytes` through these.
pub const CHECKPOINT_TERM_BYTES: usize = 192;
/// See [`CHECKPOINT_TERM_BYTES`].
pub const CHECKPOINT_WINDOW_TERM_BYTES: usize = 240;
/// A brand's checkpoint without its terms (detector state, examples, candidate drivers).
pub const CHECKPOINT_BASE_BYTES: usize = 64 * 1024;

/// Upper bound of a brand's checkpoint with `per_brand` terms.
pub fn checkpoint_bound(per_brand: usize) -> usize {
    CHECKPOINT_BASE_BYTES
        + per_brand * (CHECKPOINT_TERM_BYTES + OPEN_WINDOWS as usize * CHECKPOINT_WINDOW_TERM_BYTES)
}

/// Upper bound of the memory of term statistics with `max_total` terms in all.
pub fn memory_bound(max_total: usize) -> u64 {
    max_total as u64 * (TERM_BYTES + OPEN_WINDOWS * WINDOW_TERM_BYTES)
}
