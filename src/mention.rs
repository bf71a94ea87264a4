//! The data that flows through the pipeline, one type per stage:
//! [`Mention`] (ingest) -> [`MatchedMention`] (matcher) -> [`ScoredMention`] (score, emit).
//!
//! [`Mention`] is also brandpulse's canonical input format; its JSON Schema is
//! `docs/schemas/mention.schema.json`. [`ScoredMention`] is the output format
//! (`docs/schemas/scored-mention.schema.json`). Both schemas are generated from these types
//! ([`crate::schemas`]); the doc comments below are their descriptions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Version of the scored-mention output schema. Bump on any breaking change.
pub const SCORED_SCHEMA_VERSION: u32 = 1;

/// A social post, comment or news item that may talk about a brand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Mention {
    /// Provider-unique id of the mention (for a repost: the repost's own id). Not empty or
    /// blank.
    #[schemars(regex(pattern = r"\S"))]
    pub id: String,
    /// Full text (for a repost: the text of the original).
    pub text: String,
    /// When the mention was posted.
    pub created_at: DateTime<Utc>,
    /// Platform, e.g. `twitter`, `reddit`, `news`. Not empty or blank.
    #[schemars(regex(pattern = r"\S"))]
    pub source: String,
    /// ISO 639-1 (or 639-2/3) language code, lowercase, when the provider supplies one;
    /// brandpulse detects one otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = "^[a-z]{2,3}$"))]
    pub lang: Option<String>,
    /// Who posted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Author>,
    /// Link to the mention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Likes, shares and replies at ingest time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement: Option<Engagement>,
    /// The mention this one replies to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<Reference>,
    /// The original this mention reposts (retweet, share). Scored once, counted each time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repost_of: Option<Reference>,
    /// The mention this one quotes. Its text is kept apart from `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_of: Option<Reference>,
    /// Hashtags (without `#`) as the provider extracted them, if it did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hashtags: Vec<String>,
    /// Handles (without `@`) mentioned in the text, as the provider extracted them, if it did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_mentions: Vec<String>,
}

/// Author of a mention.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Author {
    /// Provider-unique author id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Handle without the leading `@`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Follower count, the mention's potential reach. A negative count is treated as
    /// unknown (and counted by the screen stage).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<i64>,
    /// Accounts the author follows (Twitter's `friends_count`). Negative: unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<i64>,
    /// Posts the account has made in all (Twitter's `statuses_count`). Negative: unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posts: Option<i64>,
    /// When the account was created (RFC 3339). A date after the mention's own is treated as
    /// unknown (and counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// Whether the account keeps the platform's default profile (theme, background).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<bool>,
    /// Whether the account keeps the platform's default profile picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_profile_image: Option<bool>,
    /// Whether the platform has verified the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    /// Fields the decoder could not read as a value and dropped (`author.created_at` in a
    /// form it does not know): treated as unknown, counted by the screen stage. Not part of
    /// the format.
    #[serde(skip)]
    #[schemars(skip)]
    pub dropped: Vec<&'static str>,
}

/// Engagement counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Engagement {
    /// Likes / favourites.
    #[serde(default)]
    pub likes: u64,
    /// Shares / reposts / retweets.
    #[serde(default)]
    pub shares: u64,
    /// Replies / comments.
    #[serde(default)]
    pub replies: u64,
}

/// A reference to another mention (reply, repost, quote).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reference {
    /// Id of the referenced mention.
    pub id: String,
    /// Its text, when the provider included it (quotes and reposts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Handle of its author, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_handle: Option<String>,
}

impl Mention {
    /// A mention with only an id, text, platform and time (no author, references, tags).
    pub fn new(
        id: impl Into<String>,
        text: impl Into<String>,
        source: impl Into<String>,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id: id.into(),
            text: text.into(),
            created_at,
            source: source.into(),
            lang: None,
            author: None,
            url: None,
            engagement: None,
            reply_to: None,
            repost_of: None,
            quote_of: None,
            hashtags: Vec::new(),
            user_mentions: Vec::new(),
        }
    }

    /// The id of the original for a repost, else the mention's own id: the identity of the
    /// text that was written. (The sentiment cache keys on the normalised text itself.)
    pub fn score_key(&self) -> &str {
        match &self.repost_of {
            Some(original) => &original.id,
            None => &self.id,
        }
    }

    /// Author follower count, 0 when unknown (or negative).
    pub fn reach(&self) -> u64 {
        self.author
            .as_ref()
            .and_then(|a| a.followers)
            .and_then(|f| u64::try_from(f).ok())
            .unwrap_or(0)
    }
}

/// One brand that a mention matched, with the topics and terms that made it match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrandMatch {
    /// Brand id from the config.
    pub brand: String,
    /// Names of the brand's topics that matched, sorted.
    pub topics: Vec<String>,
    /// The positive query literals that matched, in their normalised query form (`acme`,
    /// `"acme corp"`, `refund*`, `#tag`, `@handle`, `=nestlé`), sorted and deduplicated.
    pub terms: Vec<String>,
}

/// A mention with every brand it matched (at least one).
#[derive(Debug, Clone, PartialEq)]
pub struct MatchedMention {
    /// The mention.
    pub mention: Mention,
    /// The matches, one per brand, sorted by brand id.
    pub matches: Vec<BrandMatch>,
    /// What the screen stage found (default until it has run, or when it is off).
    pub screening: Screening,
}

impl MatchedMention {
    /// A matched mention not screened yet.
    pub fn new(mention: Mention, matches: Vec<BrandMatch>) -> Self {
        Self {
            mention,
            matches,
            screening: Screening::default(),
        }
    }
}

/// What the screen stage found about a matched mention (`docs/screening.md`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Screening {
    /// Impact, 0..=100, from the author's reach and the mention's engagement.
    pub impact: u32,
    /// How automated the author looks, when any profile field is known.
    pub automation: Option<Automation>,
    /// Why the mention looks like spam; empty when it does not.
    pub spam: Vec<String>,
    /// Per matched brand, in the order of [`MatchedMention::matches`]; empty when the stage
    /// did not run.
    pub brands: Vec<BrandScreening>,
}

/// What the screen stage found for one brand of a mention.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrandScreening {
    /// The copy-paste campaign the mention belongs to, for this brand.
    pub campaign: Option<CampaignRef>,
    /// Why it is left out of the brand's metrics and alerts.
    pub excluded: Option<Exclusion>,
}

/// An author's automation score and what made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Automation {
    /// 0 (looks like a person) .. 1 (looks automated): the sum of the reasons' weights,
    /// capped at 1, halved for verified accounts.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub score: f32,
    /// The signals that added to it, e.g. `account_age_days<7`, `default_profile_image`.
    pub reasons: Vec<String>,
}

/// A mention's copy-paste campaign (near-duplicate texts from many authors, for one brand).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CampaignRef {
    /// Campaign id, stable for the campaign's life on one instance.
    pub id: String,
    /// Distinct authors seen in it so far.
    pub authors: u32,
    /// Share of those authors whose automation score reaches `screen.automated_at`.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub automated_share: f32,
    /// When its first text was posted.
    pub first_seen: DateTime<Utc>,
    /// When its latest text so far was posted (this one's, or an earlier member's when this
    /// one came late).
    pub last_seen: DateTime<Utc>,
    /// Id of its first mention.
    pub first_mention_id: String,
    /// True on the mention that made the cluster a campaign (the `campaign` event).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub declared: bool,
    /// The first mention's text (at most 280 characters); only when `declared`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_text: Option<String>,
}

/// Why a scored mention is left out of its brand's metrics and alerts (it is still on the
/// scored topic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Exclusion {
    /// A campaign's copy after the campaign was recognised: a campaign counts once.
    Campaign,
    /// Flagged as spam, and the brand leaves spam out.
    Spam,
    /// The same author's same text again within the campaign window: counted once.
    Repeat,
}

impl Exclusion {
    /// Every reason, in label order.
    pub const ALL: [Exclusion; 3] = [Exclusion::Campaign, Exclusion::Spam, Exclusion::Repeat];

    /// As in JSON and the `reason` metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Exclusion::Campaign => "campaign",
            Exclusion::Spam => "spam",
            Exclusion::Repeat => "repeat",
        }
    }
}

/// Sentiment class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    /// Favourable.
    Positive,
    /// Neither.
    Neutral,
    /// Unfavourable.
    Negative,
}

impl SentimentLabel {
    /// The label as it appears in JSON and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Positive => "positive",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Negative => "negative",
        }
    }

    /// All labels, for pre-registering metric series.
    pub const ALL: [SentimentLabel; 3] = [
        SentimentLabel::Positive,
        SentimentLabel::Neutral,
        SentimentLabel::Negative,
    ];
}

/// A sentiment judgement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Sentiment {
    /// The class.
    pub label: SentimentLabel,
    /// Polarity in [-1, 1]: -1 very negative, 1 very positive.
    #[schemars(range(min = -1.0, max = 1.0))]
    pub score: f32,
    /// How sure the scorer is of `label`, in [0, 1].
    #[schemars(range(min = 0.0, max = 1.0))]
    pub confidence: f32,
}

/// Name and version of the scorer that produced a sentiment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScorerInfo {
    /// e.g. `lexicon`.
    pub name: String,
    /// Version of the scorer and its data.
    pub version: String,
}

/// brandpulse's output record: one per (mention, brand) match, keyed by brand id on the
/// output topic. Optional properties are absent rather than null. A breaking change bumps
/// `schema_version`; consumers should ignore properties they do not know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ScoredMention {
    /// Output schema version, [`SCORED_SCHEMA_VERSION`].
    #[schemars(extend("const" = 1))]
    pub schema_version: u32,
    /// Id of the mention.
    pub mention_id: String,
    /// Brand id.
    pub brand: String,
    /// Topics of the brand that matched.
    pub topics: Vec<String>,
    /// Terms that matched.
    pub terms: Vec<String>,
    /// The sentiment of the mention's text.
    pub sentiment: Sentiment,
    /// Language used for scoring (ISO 639-1), `und` when unknown.
    #[schemars(regex(pattern = "^[a-z]{2,3}$"))]
    pub lang: String,
    /// Whether `lang` was detected by brandpulse rather than given by the provider.
    pub lang_detected: bool,
    /// Which scorer produced `sentiment`.
    pub scorer: ScorerInfo,
    /// True when the fallback (lexicon) scorer produced `sentiment` because the model was
    /// behind (degraded mode). Absent when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub degraded: bool,
    /// When the mention matched several brands and `sentiment` is this brand's own: the
    /// parts of `text` that were scored, as `[start, end)` character offsets (Unicode scalar
    /// values), joined by a space for scoring. Absent when the whole text was scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scored_spans: Option<Vec<[usize; 2]>>,
    /// Platform.
    pub source: String,
    /// Mention text.
    pub text: String,
    /// When the mention was posted.
    pub created_at: DateTime<Utc>,
    /// When brandpulse scored it.
    pub processed_at: DateTime<Utc>,
    /// Author follower count (0 when unknown).
    pub reach: u64,
    /// Impact, 0..=100: `round(60 * min(1, log10(1 + followers) / 7) + 40 * min(1,
    /// log10(1 + likes + 2 * shares + replies) / 5))` (`docs/screening.md`).
    #[serde(default)]
    #[schemars(range(max = 100))]
    pub impact: u32,
    /// How automated the author looks; absent when no profile field is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automation: Option<Automation>,
    /// Why the mention looks like spam (`link_spam`, `promotion`, `hashtag_stuffing`,
    /// `repeated_promotion`); absent when it does not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spam: Vec<String>,
    /// The copy-paste campaign it belongs to, for this brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<CampaignRef>,
    /// Why it is left out of the brand's metrics and alerts; absent when it is counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excluded: Option<Exclusion>,
    /// Complaint, question, praise or other; whether a person at the brand should answer it,
    /// and how urgently (`docs/intent.md`). Absent on records written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
    /// Author handle, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_handle: Option<String>,
    /// Link to the mention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Id of the original when this mention is a repost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repost_of: Option<String>,
    /// Id of the mention replied to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
    /// Id of the quoted mention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote_of: Option<String>,
}

/// One intent label.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IntentLabel {
    /// A problem the author has with the brand.
    Complaint,
    /// The author asks something.
    Question,
    /// The author likes something.
    Praise,
    /// None of these.
    Other,
}

impl IntentLabel {
    /// As in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            IntentLabel::Complaint => "complaint",
            IntentLabel::Question => "question",
            IntentLabel::Praise => "praise",
            IntentLabel::Other => "other",
        }
    }

    /// Parses a label as in JSON.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "complaint" => Some(IntentLabel::Complaint),
            "question" => Some(IntentLabel::Question),
            "praise" => Some(IntentLabel::Praise),
            "other" => Some(IntentLabel::Other),
            _ => None,
        }
    }
}

/// What a (mention, brand) asks of the brand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Intent {
    /// `complaint`, `question`, `praise` (a complaint may also be a question), or `other`.
    pub labels: Vec<IntentLabel>,
    /// Strength of the cues behind the labels, 0-1 (an ordering, not a probability).
    #[schemars(range(min = 0.0, max = 1.0))]
    pub confidence: f32,
    /// A complaint or question that a person at the brand should answer.
    pub needs_response: bool,
    /// 0-100 when `needs_response`: intent, negativity, impact and age.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100))]
    pub priority: Option<u32>,
}
