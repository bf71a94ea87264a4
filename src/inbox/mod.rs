//! The inbox: mentions that need a person at the brand, and whether and how fast the brand
//! answered them (`docs/intent.md`).
//!
//! The emit stage sends each scored mention that needs a response to the inbox topic and,
//! once that copy is acknowledged, opens it in the [`tracker`]. The match stage recognises
//! posts by a brand's `own_handles` ([`OwnPost`]); a reply among them closes the item it
//! answers, and the time from the mention's post to the reply is the brand's first-response
//! time. The state is per instance and in memory (bounded; see [`tracker`]).

pub mod tracker;

pub use crate::record::OwnPost;
pub use tracker::{Expired, InboxTracker, Item, ReplyResult, REPLY_RESULTS};
