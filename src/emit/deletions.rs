//! Deletions: when the stream says a post was deleted, the scored topic gets a deletion
//! record for every brand the post was scored for, keyed like the post's scored records (by
//! brand id), so a downstream service (or a compacted topic) can remove what it stored.
//!
//! The emitter remembers which brands it produced each recent post for ([`RecentBrands`], a
//! bounded first-in first-out memory of `pipeline.deletion_memory` posts); a deletion of a
//! post it does not remember (it matched no brand, or is older than that) produces nothing
//! and is counted (`brandpulse_emit_deletions_unknown_total`). Each remembered post counts
//! [`DELETION_ENTRY_BYTES`](crate::config::memory::DELETION_ENTRY_BYTES) in the memory budget.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::mention::SCORED_SCHEMA_VERSION;

/// Header on deletion records: `brandpulse-record-type: deletion` (scored mentions carry no
/// such header).
pub const RECORD_TYPE_HEADER: &str = "brandpulse-record-type";

/// A deletion record on the scored topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeletionRecord {
    /// The scored records' format version.
    #[schemars(extend("const" = 1))]
    pub schema_version: u32,
    /// Always `true`: what tells a deletion from a scored mention in the JSON.
    #[schemars(extend("const" = true))]
    pub deleted: bool,
    /// The deleted post.
    pub mention_id: String,
    /// The brand it had been scored for (also the record key).
    pub brand: String,
    /// When brandpulse processed the deletion notice.
    pub processed_at: DateTime<Utc>,
}

impl DeletionRecord {
    /// The deletion of `mention_id`'s record for `brand`.
    pub fn new(mention_id: &str, brand: &str, processed_at: DateTime<Utc>) -> Self {
        Self {
            schema_version: SCORED_SCHEMA_VERSION,
            deleted: true,
            mention_id: mention_id.to_string(),
            brand: brand.to_string(),
            processed_at,
        }
    }
}

/// Which brands the most recent posts were produced for; at most `capacity` posts, the
/// oldest forgotten first.
#[derive(Debug, Default)]
pub struct RecentBrands {
    brands: HashMap<String, Vec<String>>,
    order: VecDeque<String>,
    capacity: usize,
}

impl RecentBrands {
    /// A memory of at most `capacity` posts (0 remembers nothing).
    pub fn new(capacity: usize) -> Self {
        Self {
            brands: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        }
    }

    /// Remembers that `mention_id` was produced for `brands`.
    pub fn remember(&mut self, mention_id: &str, brands: impl IntoIterator<Item = String>) {
        if self.capacity == 0 {
            return;
        }
        let brands: Vec<String> = brands.into_iter().collect();
        if let Some(known) = self.brands.get_mut(mention_id) {
            // Re-delivered, or scored again after a rule change: the union.
            for b in brands {
                if !known.contains(&b) {
                    known.push(b);
                }
            }
            return;
        }
        while self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.brands.remove(&old);
            }
        }
        self.order.push_back(mention_id.to_string());
        self.brands.insert(mention_id.to_string(), brands);
    }

    /// The brands `mention_id` was produced for, if it is remembered; forgets it.
    pub fn take(&mut self, mention_id: &str) -> Option<Vec<String>> {
        // The queue keeps the id until it reaches the front; `remember` skips ids that are
        // no longer in the map when it evicts, so the bound holds.
        self.brands.remove(mention_id)
    }

    /// Posts remembered.
    pub fn len(&self) -> usize {
        self.brands.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.brands.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brands(list: &[&str]) -> Vec<String> {
        list.iter().map(|b| b.to_string()).collect()
    }

    #[test]
    fn remembers_the_most_recent_posts_only() {
        let mut r = RecentBrands::new(2);
        r.remember("1", brands(&["acme"]));
        r.remember("2", brands(&["acme", "globex"]));
        r.remember("3", brands(&["globex"]));
        assert_eq!(r.len(), 2);
        assert_eq!(r.take("1"), None, "the oldest is forgotten");
        assert_eq!(r.take("2"), Some(brands(&["acme", "globex"])));
        assert_eq!(r.take("2"), None, "taken once");
        r.remember("3", brands(&["acme"]));
        assert_eq!(r.take("3"), Some(brands(&["globex", "acme"])));
        assert!(r.is_empty());
        let mut none = RecentBrands::new(0);
        none.remember("1", brands(&["acme"]));
        assert_eq!(none.take("1"), None);
    }

    #[test]
    fn the_queue_stays_bounded_when_posts_are_taken() {
        let mut r = RecentBrands::new(3);
        for i in 0..1000 {
            let id = i.to_string();
            r.remember(&id, brands(&["acme"]));
            if i % 2 == 0 {
                r.take(&id);
            }
        }
        assert!(r.order.len() <= 3 && r.len() <= 3);
    }

    #[test]
    fn deletion_records_say_so() {
        let d = DeletionRecord::new("42", "acme", DateTime::<Utc>::UNIX_EPOCH);
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["deleted"], true);
        assert_eq!(json["mention_id"], "42");
        assert_eq!(json["brand"], "acme");
        assert_eq!(json["schema_version"], SCORED_SCHEMA_VERSION);
    }
}
