//! Copy-paste campaigns for one brand: near-duplicate texts from many distinct authors in a
//! short span.
//!
//! Each indexed text (at least `min_words` words, not a repost) is remembered for `window`,
//! at most `capacity` of them per brand (oldest dropped first). A new text is compared with
//! the remembered texts that share one of its LSH bands ([`super::sketch`]). A cluster is
//! compared through its seed (its first text), not through whichever member shares a band: a
//! text joins the cluster whose seed it is most similar to, at or above `similarity`, or forms
//! one with an unclustered text that similar. So every member is within `similarity` of the
//! seed, and chains of small edits (A like B, B like C, ...) cannot grow one cluster over a
//! whole conversation about the same incident. A cluster whose distinct authors, each
//! counted from their first text in it, reach `min_authors` within `window` becomes a
//! campaign: the mention that tips it is `declared`, it and every later member carry the
//! campaign. The same author's same text (after masking) again within `window` is a repeat:
//! it is counted once, and adds nothing to a cluster. A text posted more than `window` before
//! the latest one seen for the brand is not compared (its neighbours are gone).
//!
//! Memory per remembered text: the 128-byte sketch, up to 160 characters of text and the id,
//! 16 band-table slots and a repeat key: [`ENTRY_BYTES`] at most (160 four-byte characters;
//! about 600 bytes for a typical tweet), checked against the types in a test.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{TimeZone, Utc};

use super::sketch::{band_keys, hash_str, mix, similarity, Sketch, BANDS, HASHES};
use crate::config::CampaignConfig;
use crate::mention::CampaignRef;

/// Upper bound of the memory one remembered text holds (entry, text, id, band and repeat
/// table slots at a hash table's worst load), for the memory estimate.
pub const ENTRY_BYTES: usize = crate::config::memory::CAMPAIGN_ENTRY_BYTES;
/// Characters of a text kept for the campaign's `first_text`.
pub const TEXT_CHARS: usize = 160;
/// Distinct authors remembered per cluster (more are counted as new).
const MAX_CLUSTER_AUTHORS: usize = 10_000;

/// One post, as the index sees it.
#[derive(Debug, Clone, Copy)]
pub struct Post<'a> {
    /// Mention id.
    pub id: &'a str,
    /// Its text.
    pub text: &'a str,
    /// When it was posted (seconds since the epoch).
    pub at: i64,
    /// Hash of the author (id, else handle).
    pub author: u64,
    /// Whether the author's automation score reaches `screen.automated_at`.
    pub automated: bool,
}

/// What the index made of a post.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outcome {
    /// The campaign it belongs to, once the cluster is one.
    pub campaign: Option<CampaignRef>,
    /// The same author's same text again within the window.
    pub repeat: bool,
}

/// What a new text may join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Candidate {
    /// A cluster, by id.
    Cluster(u64),
    /// A remembered text in no cluster yet, by sequence number.
    Entry(u64),
}

#[derive(Debug)]
struct Entry {
    at: i64,
    sig: [u16; HASHES],
    repeat_key: u64,
    cluster: Option<u64>,
    author: u64,
    automated: bool,
    id: Box<str>,
    text: Box<str>,
}

#[derive(Debug)]
struct Cluster {
    /// The sketch of its first text: members are compared with it.
    seed: [u16; HASHES],
    campaign_id: String,
    first_seen: i64,
    /// Its latest text so far.
    last_seen: i64,
    first_id: Box<str>,
    first_text: Box<str>,
    authors: HashSet<u64>,
    author_count: u32,
    automated: u32,
    /// Distinct authors by the time of their first text in the cluster, oldest first.
    recent: VecDeque<i64>,
    declared: bool,
    /// Remembered entries that belong to it.
    refs: u32,
}

impl Cluster {
    fn add_author(&mut self, author: u64, automated: bool, at: i64) {
        self.last_seen = self.last_seen.max(at);
        let new = if self.authors.len() < MAX_CLUSTER_AUTHORS {
            self.authors.insert(author)
        } else {
            !self.authors.contains(&author)
        };
        if new {
            self.author_count = self.author_count.saturating_add(1);
            self.automated += u32::from(automated);
            self.recent.push_back(at);
        }
    }

    fn reference(&self, declared: bool) -> CampaignRef {
        CampaignRef {
            id: self.campaign_id.clone(),
            authors: self.author_count,
            automated_share: if self.author_count == 0 {
                0.0
            } else {
                ((self.automated as f32 / self.author_count as f32) * 100.0).round() / 100.0
            },
            first_seen: Utc
                .timestamp_opt(self.first_seen, 0)
                .single()
                .unwrap_or_default(),
            last_seen: Utc
                .timestamp_opt(self.last_seen, 0)
                .single()
                .unwrap_or_default(),
            first_mention_id: self.first_id.to_string(),
            declared,
            first_text: declared.then(|| self.first_text.to_string()),
        }
    }
}

/// One brand's remembered texts and clusters.
#[derive(Debug, Default)]
pub struct BrandIndex {
    entries: VecDeque<Entry>,
    /// Sequence number of `entries[0]`.
    base: u64,
    /// Band key -> newest entry with it.
    buckets: HashMap<u64, u64>,
    /// (author, masked text) -> when it was last indexed.
    repeats: HashMap<u64, i64>,
    clusters: HashMap<u64, Cluster>,
    /// Latest post time seen (seconds): the clock of expiry.
    clock: i64,
    /// Campaigns declared (for the campaign id's sequence).
    declared: u64,
}

impl BrandIndex {
    /// Texts remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Clusters alive.
    pub fn clusters(&self) -> usize {
        self.clusters.len()
    }

    /// Looks `post` up and remembers it. `brand` names the campaign ids.
    pub fn observe(
        &mut self,
        brand: &str,
        post: Post<'_>,
        sketch: &Sketch,
        config: &CampaignConfig,
        capacity: usize,
    ) -> Outcome {
        let window = config.window.as_secs() as i64;
        self.clock = self.clock.max(post.at);
        self.expire(self.clock - window, capacity.saturating_sub(1));
        // Too short to compare, or older than the window (a late record: its neighbours in
        // time are forgotten already).
        if sketch.words < config.min_words || capacity == 0 || post.at < self.clock - window {
            return Outcome::default();
        }
        let repeat_key = mix(post.author ^ sketch.exact.rotate_left(1));
        if let Some(&at) = self.repeats.get(&repeat_key) {
            if at >= self.clock - window {
                return Outcome {
                    campaign: None,
                    repeat: true,
                };
            }
        }
        let keys = band_keys(&sketch.sig);
        // The best candidate: an existing cluster (by its seed) or an unclustered entry.
        let mut best: Option<(Candidate, f64)> = None;
        let mut seen: [Option<Candidate>; BANDS] = [None; BANDS];
        for (k, key) in keys.iter().enumerate() {
            let Some(&seq) = self.buckets.get(key) else {
                continue;
            };
            let Some(e) = self.entry(seq) else {
                continue;
            };
            let candidate = match e.cluster {
                Some(c) => Candidate::Cluster(c),
                None => Candidate::Entry(seq),
            };
            if seen[..k].contains(&Some(candidate)) {
                continue;
            }
            seen[k] = Some(candidate);
            let sim = match candidate {
                Candidate::Cluster(c) => self
                    .clusters
                    .get(&c)
                    .map_or(0.0, |c| similarity(&c.seed, &sketch.sig)),
                Candidate::Entry(_) => similarity(&e.sig, &sketch.sig),
            };
            if sim >= config.similarity && best.is_none_or(|(_, b)| sim > b) {
                best = Some((candidate, sim));
            }
        }
        let seq = self.base + self.entries.len() as u64;
        for key in keys {
            self.buckets.insert(key, seq);
        }
        self.repeats.insert(repeat_key, post.at);
        let text: String = post.text.chars().take(TEXT_CHARS).collect();
        self.entries.push_back(Entry {
            at: post.at,
            sig: sketch.sig,
            repeat_key,
            cluster: None,
            author: post.author,
            automated: post.automated,
            id: post.id.into(),
            text: text.into_boxed_str(),
        });
        let Some((matched, _)) = best else {
            return Outcome::default();
        };
        let cluster_id = match matched {
            Candidate::Cluster(c) => c,
            Candidate::Entry(seq) => self.cluster_of(brand, seq),
        };
        if let Some(e) = self.entries.back_mut() {
            e.cluster = Some(cluster_id);
        }
        let Some(c) = self.clusters.get_mut(&cluster_id) else {
            return Outcome::default();
        };
        c.refs += 1;
        c.add_author(post.author, post.automated, post.at);
        let horizon = self.clock - window;
        while c.recent.front().is_some_and(|&t| t < horizon) {
            c.recent.pop_front();
        }
        let campaign = if c.declared {
            Some(c.reference(false))
        } else if c.recent.len() >= config.min_authors as usize {
            c.declared = true;
            self.declared += 1;
            Some(c.reference(true))
        } else {
            None
        };
        Outcome {
            campaign,
            repeat: false,
        }
    }

    fn entry(&self, seq: u64) -> Option<&Entry> {
        let i = seq.checked_sub(self.base)?;
        self.entries.get(usize::try_from(i).ok()?)
    }

    /// The cluster of entry `seq`, formed around it if it has none.
    fn cluster_of(&mut self, brand: &str, seq: u64) -> u64 {
        let Some(i) = seq
            .checked_sub(self.base)
            .and_then(|i| usize::try_from(i).ok())
        else {
            return seq;
        };
        let Some(e) = self.entries.get_mut(i) else {
            return seq;
        };
        if let Some(c) = e.cluster {
            return c;
        }
        e.cluster = Some(seq);
        let mut c = Cluster {
            seed: e.sig,
            campaign_id: format!(
                "{brand}-{:012x}",
                hash_str(&format!("{brand}\u{1f}{}", e.id)) >> 16
            ),
            first_seen: e.at,
            last_seen: e.at,
            first_id: e.id.clone(),
            first_text: e.text.clone(),
            authors: HashSet::new(),
            author_count: 0,
            automated: 0,
            recent: VecDeque::new(),
            declared: false,
            refs: 1,
        };
        c.add_author(e.author, e.automated, e.at);
        self.clusters.insert(seq, c);
        seq
    }

    /// Forgets texts older than `horizon` and beyond `keep`.
    fn expire(&mut self, horizon: i64, keep: usize) {
        while self
            .entries
            .front()
            .is_some_and(|e| e.at < horizon || self.entries.len() > keep)
        {
            let Some(e) = self.entries.pop_front() else {
                break;
            };
            let seq = self.base;
            self.base += 1;
            for key in band_keys(&e.sig) {
                if self.buckets.get(&key) == Some(&seq) {
                    self.buckets.remove(&key);
                }
            }
            if self.repeats.get(&e.repeat_key) == Some(&e.at) {
                self.repeats.remove(&e.repeat_key);
            }
            if let Some(c) = e.cluster {
                if let Some(cluster) = self.clusters.get_mut(&c) {
                    cluster.refs = cluster.refs.saturating_sub(1);
                    if cluster.refs == 0 {
                        self.clusters.remove(&c);
                    }
                }
            }
        }
        // The repeat table has at most one key per remembered text.
        if self.repeats.len() > 2 * self.entries.len() + BANDS {
            let clock = horizon;
            self.repeats.retain(|_, at| *at >= clock);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screen::sketch::{sketch, Scratch};

    fn config(min_authors: u32) -> CampaignConfig {
        CampaignConfig {
            min_authors,
            ..CampaignConfig::default()
        }
    }

    fn observe(
        idx: &mut BrandIndex,
        c: &CampaignConfig,
        id: &str,
        text: &str,
        at: i64,
        author: u64,
    ) -> Outcome {
        let s = sketch(text, &mut Scratch::default());
        idx.observe(
            "acme",
            Post {
                id,
                text,
                at,
                author,
                automated: author % 2 == 0,
            },
            &s,
            c,
            1_000,
        )
    }

    const TEXT: &str = "acme charged me twice for the same order and support will not refund \
                        me, avoid them";

    #[test]
    fn many_authors_with_light_edits_become_a_campaign_at_the_threshold() {
        let c = config(5);
        let mut idx = BrandIndex::default();
        let variants = [
            TEXT.to_string(),
            TEXT.replace("avoid them", "avoid them!!"),
            format!("{TEXT} #acmefail"),
            TEXT.replace("twice", "two times"),
            format!("😡 {TEXT}"),
            TEXT.replace("support", "customer support"),
        ];
        let mut outcomes = Vec::new();
        for (i, v) in variants.iter().enumerate() {
            outcomes.push(observe(
                &mut idx,
                &c,
                &format!("m{i}"),
                v,
                1_000 + i as i64 * 60,
                i as u64 + 1,
            ));
        }
        assert!(outcomes[..4].iter().all(|o| o.campaign.is_none()));
        let declared = outcomes[4]
            .campaign
            .as_ref()
            .expect("fifth author declares");
        assert!(declared.declared);
        assert_eq!(declared.authors, 5);
        assert_eq!(declared.first_mention_id, "m0");
        assert_eq!(declared.first_text.as_deref(), Some(TEXT));
        assert_eq!(declared.automated_share, 0.4);
        let later = outcomes[5].campaign.as_ref().unwrap();
        assert!(!later.declared && later.first_text.is_none());
        assert_eq!(later.id, declared.id);
        assert_eq!(later.authors, 6);
    }

    #[test]
    fn one_author_repeating_is_a_repeat_not_a_campaign() {
        let c = config(3);
        let mut idx = BrandIndex::default();
        assert_eq!(observe(&mut idx, &c, "a", TEXT, 0, 7), Outcome::default());
        for i in 1..10 {
            let o = observe(
                &mut idx,
                &c,
                &format!("r{i}"),
                &format!("{TEXT}!!"),
                i * 10,
                7,
            );
            assert!(o.repeat && o.campaign.is_none());
        }
        // A light edit by the same author is not a repeat, but adds no author either.
        let o = observe(&mut idx, &c, "e", &TEXT.replace("twice", "2x"), 200, 7);
        assert!(!o.repeat && o.campaign.is_none());
        // After the window, the same text counts again.
        let o = observe(&mut idx, &c, "late", TEXT, 4_000, 7);
        assert!(!o.repeat);
    }

    #[test]
    fn different_texts_and_slow_trickles_are_not_campaigns() {
        let c = config(3);
        let mut idx = BrandIndex::default();
        let texts = [
            "acme charged me twice for the same order and nobody answers",
            "i love my new acme phone, the camera is amazing at night",
            "acme phone battery lasts two days, very happy with it honestly",
            "why does the acme app log me out every single morning now",
        ];
        for (i, t) in texts.iter().enumerate() {
            let o = observe(&mut idx, &c, &format!("d{i}"), t, i as i64, i as u64);
            assert_eq!(o, Outcome::default(), "{t}");
        }
        // The same text by 3 authors, an hour and a half apart each: never 3 in one window.
        let mut idx = BrandIndex::default();
        for i in 0..3 {
            let o = observe(
                &mut idx,
                &c,
                &format!("s{i}"),
                TEXT,
                i * 5_400,
                100 + i as u64,
            );
            assert!(o.campaign.is_none());
        }
        // Short texts are not compared.
        let mut idx = BrandIndex::default();
        for i in 0..10 {
            let o = observe(&mut idx, &c, &format!("x{i}"), "acme is down", i, i as u64);
            assert_eq!(o, Outcome::default());
        }
        assert!(idx.is_empty());
    }

    #[test]
    fn a_chain_of_small_edits_does_not_grow_one_cluster() {
        // Each text replaces one more word of the first: neighbours are near-duplicates, but
        // far down the chain the texts share little with the seed.
        let c = CampaignConfig {
            min_authors: 100,
            similarity: 0.6,
            ..CampaignConfig::default()
        };
        let mut idx = BrandIndex::default();
        let mut words: Vec<String> = TEXT.split(' ').map(str::to_string).collect();
        for i in 0..words.len() {
            words[i] = format!("other{i}");
            let text = words.join(" ");
            observe(&mut idx, &c, &format!("c{i}"), &text, i as i64, i as u64);
        }
        let biggest = idx
            .clusters
            .values()
            .map(|c| c.author_count)
            .max()
            .unwrap_or(0);
        assert!(
            (biggest as usize) < words.len() / 2,
            "one cluster took {biggest} of {} texts",
            words.len()
        );
    }

    #[test]
    fn memory_is_bounded_by_capacity_and_window() {
        let c = config(3);
        let mut idx = BrandIndex::default();
        for i in 0..500 {
            let text = format!("{TEXT} variant {i} {}", "x".repeat(i % 7));
            let s = sketch(&text, &mut Scratch::default());
            idx.observe(
                "acme",
                Post {
                    id: "m",
                    text: &text,
                    at: i as i64,
                    author: i as u64,
                    automated: false,
                },
                &s,
                &c,
                100,
            );
            assert!(idx.len() <= 100);
            assert!(idx.buckets.len() <= 100 * BANDS);
            assert!(idx.repeats.len() <= 2 * 100 + BANDS + 1);
        }
        // Everything expires after the window.
        let s = sketch(TEXT, &mut Scratch::default());
        idx.observe(
            "acme",
            Post {
                id: "n",
                text: TEXT,
                at: 100_000,
                author: 1,
                automated: false,
            },
            &s,
            &c,
            100,
        );
        assert_eq!(idx.len(), 1);
        assert!(idx.clusters() <= 1);
    }

    #[test]
    fn entry_bytes_bounds_the_types() {
        let entry = std::mem::size_of::<Entry>() + TEXT_CHARS * 4 + 32;
        // 16 band slots + 1 repeat slot, (u64, u64) or (u64, i64) at 7/8 load, 1 control byte.
        let tables = (BANDS + 1) * (16 * 8 / 7 + 1);
        assert!(
            entry + tables <= ENTRY_BYTES,
            "{entry} + {tables} > {ENTRY_BYTES}"
        );
    }
}
