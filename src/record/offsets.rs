//! The offset tracker: which consumed offsets may be stored for commit.
//!
//! Records complete out of order (a record with no brand match completes at once, one with
//! three matches when the last of three produce acknowledgements arrives). An offset may be
//! stored only when it and every earlier offset of its partition are complete, so the
//! tracker keeps, per partition, the in-flight offsets in consumption order and reports the
//! highest offset below which everything is done.
//!
//! The ingest stage tracks each record as it consumes it (and forgets revoked partitions);
//! the emit stage completes it through an [`Offsets`] handle, which stores the offset with
//! whatever [`StoreOffset`] it was given (the consumer, in the pipeline), so the emitter
//! never sees the consumer.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

/// A topic-partition.
pub type TopicPartition = (Arc<str>, i32);

/// Stores a consumed offset for commit. The pipeline's consumer implements it.
pub trait StoreOffset: Send + Sync {
    /// Stores `offset` of `tp`: librdkafka commits `offset + 1`, the next offset to read.
    ///
    /// # Errors
    /// Why it was not stored, for example because the partition is no longer assigned.
    fn store(&self, tp: &TopicPartition, offset: i64) -> Result<(), String>;
}

/// The tracker shared by the stage that consumes and the stage that completes records.
pub type SharedTracker = Arc<Mutex<OffsetTracker>>;

/// Locks a shared tracker; a panic elsewhere while it was held leaves it usable.
pub fn lock(tracker: &Mutex<OffsetTracker>) -> MutexGuard<'_, OffsetTracker> {
    tracker
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What completing a record did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completed {
    /// Records still in flight afterwards.
    pub in_flight: usize,
    /// `Some` when the storable offset advanced: the offset, and whether storing it worked.
    pub stored: Option<(i64, Result<(), String>)>,
}

/// The emitter's handle on offsets: completes records in the tracker and stores the offsets
/// that become storable.
#[derive(Clone)]
pub struct Offsets {
    tracker: SharedTracker,
    store: Arc<dyn StoreOffset>,
}

impl Offsets {
    /// A handle over `tracker` that stores offsets with `store`.
    pub fn new(tracker: SharedTracker, store: Arc<dyn StoreOffset>) -> Self {
        Self { tracker, store }
    }

    /// Marks `offset` of `tp` complete, and stores the partition's storable offset when it
    /// advanced.
    pub fn complete(&self, tp: &TopicPartition, offset: i64) -> Completed {
        let (advanced, in_flight) = {
            let mut t = lock(&self.tracker);
            (t.complete(tp, offset), t.in_flight())
        };
        Completed {
            in_flight,
            stored: advanced.map(|o| (o, self.store.store(tp, o))),
        }
    }
}

#[derive(Debug, Default)]
struct PartitionState {
    /// Offsets in consumption order, with their done flag.
    pending: VecDeque<(i64, bool)>,
}

/// Tracks in-flight offsets per partition.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: HashMap<TopicPartition, PartitionState>,
    in_flight: usize,
}

impl OffsetTracker {
    /// An empty tracker.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `offset` of `tp` was consumed and is now in flight. Offsets of one
    /// partition must be tracked in increasing order (as a consumer delivers them); an offset
    /// at or below the last tracked one (a re-delivery after a rewind) resets the partition.
    pub fn track(&mut self, tp: &TopicPartition, offset: i64) {
        let state = self.partitions.entry(tp.clone()).or_default();
        if let Some(&(last, _)) = state.pending.back() {
            if offset <= last {
                self.in_flight -= state.pending.len();
                state.pending.clear();
            }
        }
        state.pending.push_back((offset, false));
        self.in_flight += 1;
    }

    /// Marks `offset` of `tp` complete. Returns the offset to store (the highest offset such
    /// that it and all before it are complete) when it advanced, else `None`. Unknown
    /// partitions or offsets (revoked since) are ignored.
    pub fn complete(&mut self, tp: &TopicPartition, offset: i64) -> Option<i64> {
        let state = self.partitions.get_mut(tp)?;
        let front = state.pending.front()?.0;
        let idx = usize::try_from(offset.checked_sub(front)?).ok()?;
        // Offsets are dense unless compaction or transactions left gaps: try the direct index
        // first, then search.
        let slot = match state.pending.get(idx) {
            Some(&(o, _)) if o == offset => idx,
            _ => state.pending.iter().position(|&(o, _)| o == offset)?,
        };
        state.pending[slot].1 = true;
        let mut advanced = None;
        while let Some(&(o, true)) = state.pending.front() {
            advanced = Some(o);
            state.pending.pop_front();
            self.in_flight -= 1;
        }
        advanced
    }

    /// Forgets a partition (revoked in a rebalance): its in-flight records may still complete,
    /// but nothing will be stored for it by this member.
    pub fn forget(&mut self, tp: &TopicPartition) {
        if let Some(state) = self.partitions.remove(tp) {
            self.in_flight -= state.pending.len();
        }
    }

    /// Number of records in flight over all partitions.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(p: i32) -> TopicPartition {
        (Arc::from("t"), p)
    }

    /// Remembers what it was asked to store; refuses partition 9.
    #[derive(Default)]
    struct Recorder(Mutex<Vec<(i32, i64)>>);

    impl StoreOffset for Recorder {
        fn store(&self, tp: &TopicPartition, offset: i64) -> Result<(), String> {
            if tp.1 == 9 {
                return Err("not assigned".into());
            }
            self.0.lock().unwrap().push((tp.1, offset));
            Ok(())
        }
    }

    #[test]
    fn the_handle_stores_only_what_became_storable() {
        let tracker: SharedTracker = Arc::default();
        let store = Arc::new(Recorder::default());
        let offsets = Offsets::new(tracker.clone(), store.clone());
        for o in 10..13 {
            lock(&tracker).track(&tp(0), o);
        }
        lock(&tracker).track(&tp(9), 5);
        let c = offsets.complete(&tp(0), 11);
        assert_eq!((c.in_flight, c.stored), (4, None));
        let c = offsets.complete(&tp(0), 10);
        assert_eq!((c.in_flight, c.stored), (2, Some((11, Ok(())))));
        let c = offsets.complete(&tp(9), 5);
        assert_eq!(c.stored, Some((5, Err("not assigned".to_string()))));
        assert_eq!(*store.0.lock().unwrap(), vec![(0, 11)]);
    }

    #[test]
    fn in_order_completion_advances_each_time() {
        let mut t = OffsetTracker::new();
        for o in 0..3 {
            t.track(&tp(0), o);
        }
        assert_eq!(t.complete(&tp(0), 0), Some(0));
        assert_eq!(t.complete(&tp(0), 1), Some(1));
        assert_eq!(t.complete(&tp(0), 2), Some(2));
        assert_eq!(t.in_flight(), 0);
    }

    #[test]
    fn out_of_order_completion_waits_for_the_gap() {
        let mut t = OffsetTracker::new();
        for o in 10..14 {
            t.track(&tp(0), o);
        }
        assert_eq!(t.complete(&tp(0), 12), None);
        assert_eq!(t.complete(&tp(0), 11), None);
        assert_eq!(t.complete(&tp(0), 10), Some(12));
        assert_eq!(t.in_flight(), 1);
        assert_eq!(t.complete(&tp(0), 13), Some(13));
    }

    #[test]
    fn partitions_are_independent() {
        let mut t = OffsetTracker::new();
        t.track(&tp(0), 5);
        t.track(&tp(1), 5);
        assert_eq!(t.complete(&tp(1), 5), Some(5));
        assert_eq!(t.in_flight(), 1);
    }

    #[test]
    fn sparse_offsets_and_unknowns() {
        let mut t = OffsetTracker::new();
        t.track(&tp(0), 1);
        t.track(&tp(0), 4);
        t.track(&tp(0), 9);
        assert_eq!(t.complete(&tp(0), 9), None);
        assert_eq!(t.complete(&tp(0), 7), None);
        assert_eq!(t.complete(&tp(2), 1), None);
        assert_eq!(t.complete(&tp(0), 1), Some(1));
        assert_eq!(t.complete(&tp(0), 4), Some(9));
    }

    #[test]
    fn forget_and_rewind() {
        let mut t = OffsetTracker::new();
        t.track(&tp(0), 1);
        t.track(&tp(0), 2);
        t.forget(&tp(0));
        assert_eq!(t.in_flight(), 0);
        assert_eq!(t.complete(&tp(0), 1), None);
        t.track(&tp(0), 5);
        t.track(&tp(0), 3); // rewound: earlier state dropped
        assert_eq!(t.in_flight(), 1);
        assert_eq!(t.complete(&tp(0), 3), Some(3));
    }
}
