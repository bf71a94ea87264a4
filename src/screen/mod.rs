//! Stage 2b: screen. Between matching and scoring, each matched mention gets the flags that
//! keep a brand's numbers honest (`docs/screening.md`):
//!
//! - [`campaign`]: near-duplicate texts ([`sketch`]: MinHash, LSH bands) from many distinct
//!   authors in a short span become a copy-paste campaign, per brand; the same author's same
//!   text again is a repeat;
//! - [`account`]: an explainable automation score from the author's profile fields and
//!   posting rate, and the author fields that cannot be true (treated as unknown, counted);
//! - [`spam`]: link spam, promotions, hashtag stuffing, repeated promotion;
//! - [`impact`]: a bounded impact score from reach and engagement.
//!
//! Nothing is dropped: every mention goes on to be scored and emitted with its flags. A
//! campaign's copies after it is recognised, repeats, and (per brand, configurable) spam carry
//! `excluded`, and the score stage's brand metrics and the alert stage leave them out.
//! [`Screener`] is the synchronous core; [`stage`] its async shell.
//!
//! State is per instance: with several instances in one consumer group, each sees the
//! mentions of its own input partitions, so a campaign spread over `n` instances is
//! recognised once each of them has seen `min_authors` of its authors.

pub mod account;
pub mod campaign;
pub mod events;
pub mod impact;
pub mod sketch;
pub mod spam;
pub mod stage;

use std::collections::HashMap;

use crate::config::{BrandConfig, ScreenConfig};
use crate::mention::{BrandScreening, CampaignRef, Exclusion, MatchedMention, Screening};
use account::{AuthorTracker, Profile};
use campaign::{BrandIndex, Post};
use sketch::{hash_str, Scratch, Sketch};

/// What screening one mention found that is counted or logged apart from the record.
#[derive(Debug, Default, PartialEq)]
pub struct Found {
    /// Author fields treated as unknown.
    pub invalid_fields: Vec<&'static str>,
    /// Campaigns this mention made (brand, campaign).
    pub declared: Vec<(String, CampaignRef)>,
}

/// The screen stage's core: per-brand text indexes and the author tracker.
#[derive(Debug)]
pub struct Screener {
    config: ScreenConfig,
    /// Texts remembered per brand.
    capacity: usize,
    /// Brands whose `exclude_spam` differs from `screen.exclude_spam`.
    exclude_spam: HashMap<String, bool>,
    brands: HashMap<String, BrandIndex>,
    authors: AuthorTracker,
    scratch: Scratch,
    stream: String,
}

impl Screener {
    /// A screener for `brands` (their `exclude_spam` is read here: a rule reload adds brands
    /// with the default and does not change it).
    pub fn new(config: &ScreenConfig, brands: &[BrandConfig]) -> Self {
        Self {
            capacity: config.campaign.capacity(brands.len()),
            exclude_spam: brands
                .iter()
                .filter_map(|b| b.exclude_spam.map(|e| (b.id.clone(), e)))
                .collect(),
            brands: HashMap::new(),
            authors: AuthorTracker::new(config.tracked_authors),
            scratch: Scratch::default(),
            stream: String::new(),
            config: config.clone(),
        }
    }

    /// Texts remembered over all brands.
    pub fn remembered(&self) -> usize {
        self.brands.values().map(BrandIndex::len).sum()
    }

    /// Authors whose posting rate is tracked.
    pub fn tracked_authors(&self) -> usize {
        self.authors.len()
    }

    /// Screens `m`, filling `m.screening`.
    pub fn screen(&mut self, m: &mut MatchedMention) -> Found {
        let mut found = Found::default();
        let mention = &m.mention;
        let at = mention.created_at.timestamp();
        let author_key = mention.author.as_ref().and_then(|a| {
            a.id.as_deref()
                .map(hash_str)
                .or_else(|| a.handle.as_deref().map(|h| hash_str(&h.to_lowercase()) ^ 1))
        });
        let links = spam::count_links(&mention.text);
        let link_text = (links > 0).then(|| hash_str(&mention.text));
        let rate =
            author_key.map_or_else(Default::default, |k| self.authors.observe(k, at, link_text));
        let automation = mention.author.as_ref().and_then(|a| {
            let profile = Profile::of(mention, a, |f| found.invalid_fields.push(f));
            account::automation(&profile, mention.created_at, rate.posts_last_hour)
        });
        let spam = spam::reasons(&mention.text, rate.link_repeats, &mut self.stream);
        let automated = automation
            .as_ref()
            .is_some_and(|a| a.score >= self.config.automated_at);
        // One sketch per mention, shared by its brands; reposts are not campaigns, and texts
        // with no author cannot be told apart by author.
        let sketch: Option<Sketch> = (mention.repost_of.is_none() && author_key.is_some())
            .then(|| sketch::sketch(&mention.text, &mut self.scratch));
        let mut brands = Vec::with_capacity(m.matches.len());
        for b in &m.matches {
            let mut out = BrandScreening::default();
            if let (Some(s), Some(author)) = (&sketch, author_key) {
                let index = self.brands.entry(b.brand.clone()).or_default();
                let outcome = index.observe(
                    &b.brand,
                    Post {
                        id: &mention.id,
                        text: &mention.text,
                        at,
                        author,
                        automated,
                    },
                    s,
                    &self.config.campaign,
                    self.capacity,
                );
                if let Some(c) = &outcome.campaign {
                    if c.declared {
                        found.declared.push((b.brand.clone(), c.clone()));
                    }
                    out.excluded = Some(Exclusion::Campaign);
                } else if outcome.repeat {
                    out.excluded = Some(Exclusion::Repeat);
                }
                out.campaign = outcome.campaign;
            }
            if out.excluded.is_none() && !spam.is_empty() && self.excludes_spam(&b.brand) {
                out.excluded = Some(Exclusion::Spam);
            }
            brands.push(out);
        }
        m.screening = Screening {
            impact: impact::impact(mention),
            automation,
            spam,
            brands,
        };
        found
    }

    fn excludes_spam(&self, brand: &str) -> bool {
        self.exclude_spam
            .get(brand)
            .copied()
            .unwrap_or(self.config.exclude_spam)
    }
}

#[cfg(test)]
mod tests;
