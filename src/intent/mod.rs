//! Intent: does a scored mention need a person at the brand to answer it?
//!
//! Each (mention, brand) gets one or more of `complaint`, `question`, `praise` (or `other`),
//! a confidence, `needs_response` and, when it needs one, a `priority`. The decision uses the
//! mention's sentiment from the scorer and multilingual cues ([`cues`]: en, de, es, fr, it,
//! pt, ru, vi) matched on the matcher's normalised token stream:
//!
//! - **question**: a question mark (`?`, `？`, `¿`), a question phrase ("how do I", "kann
//!   ich", "alguien sabe", "est-ce que", "кто знает", "bao lâu", ...), or a question word
//!   opening the post (after any @handles) in a post that speaks in the first or second
//!   person; never when a rhetorical opener says otherwise ("is it just me or ...").
//! - **complaint**: a complaint cue (failures, outages, money taken, lost parcels, delays,
//!   "unacceptable", ...); or the encoder's complaint margin (the transformer scorer's
//!   zero-shot similarity to described complaints, [`Post::complaint_margin`]) above
//!   [`COMPLAINT_MARGIN`] when the sentiment is not positive; or negative sentiment (score <=
//!   -0.3) in a first- or second-person post. Sarcasm ("Great, the app crashed again") is a
//!   complaint through its cues, whatever the sentiment says.
//! - **praise**: not a complaint, and a praise cue without negative sentiment, or positive
//!   sentiment (score >= 0.3).
//! - **needs_response**: a complaint or a question, not a repost. A headline ("Acme CEO to step
//!   down") has neither cue nor person, so it is `other`.
//! - **priority** (0-100, only when a response is needed): 30 for a question, 40 for a
//!   complaint, 50 for both; + 25 x negativity (`max(0, -score)`); + impact / 4 (0-25);
//!   - 1 per hour since the post (at most 20).
//! - **confidence**: the strength of the cues behind the labels (a question mark 0.9, a phrase
//!   0.75, an opener 0.6; complaint and praise 0.5 + 0.15 a cue + 0.2 x the sentiment's
//!   strength, at most 0.95; a complaint by the encoder's vote 0.6 + 2 x its margin, at most
//!   0.9; `other` 0.5): an ordering, not a calibrated probability.
//!
//! Measured on `tests/data/intent/posts.tsv` (560 posts written and labelled for this, 7
//! languages): `brandpulse intent-eval`, figures in `docs/intent.md`.

pub mod cues;
pub mod eval;

pub use crate::mention::{Intent, IntentLabel};
use crate::mention::{Sentiment, SentimentLabel};
use crate::rules::normalize::token_stream;
use cues::CUES;

thread_local! {
    /// Which cues a post matched (reused between posts).
    static CUE_SCRATCH: std::cell::RefCell<Vec<bool>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// What the classifier sees of a (mention, brand).
#[derive(Debug, Clone, Copy)]
pub struct Post<'a> {
    /// The text.
    pub text: &'a str,
    /// Its sentiment for the brand.
    pub sentiment: Sentiment,
    /// A repost of another mention.
    pub repost: bool,
    /// Impact, 0-100 (`screen::impact`; 0 when unknown).
    pub impact: u32,
    /// Hours from the post to now.
    pub age_hours: f64,
    /// The encoder's complaint margin ([`crate::score::Scorer::score_batch_with_intent`]);
    /// `None` with the lexicon scorer (cues and sentiment only).
    pub complaint_margin: Option<f32>,
}

/// A complaint margin above this makes a complaint by itself. Chosen on the `dev` split of
/// `tests/data/intent/posts.tsv` only (`brandpulse intent-eval --sweep`, docs/intent.md).
pub const COMPLAINT_MARGIN: f32 = -0.01;

/// Classifies `post`; `stream` is a reusable buffer.
pub fn classify(post: &Post<'_>, stream: &mut String) -> Intent {
    let c = &*CUES;
    token_stream(post.text, stream);
    let qmark = post.text.contains(['?', '？', '¿']);
    let n = CUE_SCRATCH.with_borrow_mut(|seen| c.counts(stream, seen));
    let personal = n.personal > 0;
    let rhetorical = n.rhetorical > 0;
    let opener = stream
        .split_ascii_whitespace()
        .find(|t| !t.starts_with('@') && !t.starts_with('#'))
        .is_some_and(|first| c.openers.iter().any(|o| o == first));
    let phrases = n.question;
    let question_confidence = if rhetorical {
        None
    } else if qmark {
        Some(0.9)
    } else if phrases > 0 {
        Some(0.75)
    } else if opener && personal {
        Some(0.6)
    } else {
        None
    };
    let s = post.sentiment;
    let negativity = (-s.score).max(0.0);
    let positivity = s.score.max(0.0);
    let complaint_cues = n.complaint;
    let encoder_complaint = post
        .complaint_margin
        .is_some_and(|m| m > COMPLAINT_MARGIN && s.label != SentimentLabel::Positive);
    let complaint = complaint_cues > 0
        || encoder_complaint
        || (s.label == SentimentLabel::Negative && s.score <= -0.3 && personal);
    let praise_cues = n.praise;
    let praise = !complaint
        && ((praise_cues > 0 && s.label != SentimentLabel::Negative)
            || (s.label == SentimentLabel::Positive && s.score >= 0.3));
    let strength =
        |cues: usize, polarity: f32| (0.5 + 0.15 * cues as f32 + 0.2 * polarity).min(0.95);
    let mut labels = Vec::with_capacity(2);
    let mut confidence: f32 = 0.0;
    if complaint {
        labels.push(IntentLabel::Complaint);
        let encoder = post
            .complaint_margin
            .map_or(0.0, |m| (0.6 + 2.0 * m).clamp(0.0, 0.9));
        confidence = confidence
            .max(strength(complaint_cues, negativity))
            .max(if encoder_complaint { encoder } else { 0.0 });
    }
    if let Some(q) = question_confidence {
        labels.push(IntentLabel::Question);
        confidence = confidence.max(q);
    }
    if praise {
        labels.push(IntentLabel::Praise);
        confidence = confidence.max(strength(praise_cues, positivity));
    }
    if labels.is_empty() {
        labels.push(IntentLabel::Other);
        confidence = 0.5;
    }
    let question = question_confidence.is_some();
    let needs_response = (complaint || question) && !post.repost;
    let priority = needs_response.then(|| {
        let base = match (complaint, question) {
            (true, true) => 50.0,
            (true, false) => 40.0,
            _ => 30.0,
        };
        let age = post.age_hours.clamp(0.0, 20.0);
        let p = base + 25.0 * f64::from(negativity) + f64::from(post.impact.min(100)) / 4.0 - age;
        p.round().clamp(0.0, 100.0) as u32
    });
    Intent {
        labels,
        confidence,
        needs_response,
        priority,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(text: &str, label: SentimentLabel, score: f32) -> Intent {
        let p = Post {
            text,
            sentiment: Sentiment {
                label,
                score,
                confidence: 0.8,
            },
            repost: false,
            impact: 20,
            age_hours: 0.0,
            complaint_margin: None,
        };
        classify(&p, &mut String::new())
    }

    use IntentLabel::*;
    use SentimentLabel::{Negative, Neutral, Positive};

    #[test]
    fn questions_complaints_and_praise_in_several_languages() {
        let i = post(
            "@AcmeSupport my phone keeps restarting, how do I fix this?",
            Negative,
            -0.5,
        );
        assert_eq!(i.labels, vec![Complaint, Question]);
        assert!(i.needs_response);
        let i = post(
            "@initech gibt es gerade eine Störung in Hamburg?",
            Neutral,
            0.0,
        );
        assert!(i.labels.contains(&Question) && i.needs_response, "{i:?}");
        let i = post(
            "@HooliAir потеряли мой чемодан на прямом рейсе",
            Negative,
            -0.6,
        );
        assert_eq!(i.labels, vec![Complaint]);
        let i = post("Mê cái Acme mới quá, camera đỉnh thật 😍", Positive, 0.7);
        assert_eq!(i.labels, vec![Praise]);
        assert!(!i.needs_response && i.priority.is_none());
    }

    #[test]
    fn headlines_rhetorical_questions_and_reposts_need_no_answer() {
        let i = post("Acme CEO to step down next year, reports say", Neutral, 0.0);
        assert_eq!(i.labels, vec![Other]);
        assert!(!i.needs_response);
        let i = post(
            "is it just me or does every ad on tv belong to globex?",
            Neutral,
            0.0,
        );
        assert!(!i.needs_response, "{i:?}");
        let mut p = Post {
            text: "@acme your app logs me out every day",
            sentiment: Sentiment {
                label: Negative,
                score: -0.6,
                confidence: 0.8,
            },
            repost: true,
            impact: 0,
            age_hours: 0.0,
            complaint_margin: None,
        };
        assert!(!classify(&p, &mut String::new()).needs_response);
        p.repost = false;
        assert!(classify(&p, &mut String::new()).needs_response);
    }

    #[test]
    fn sarcasm_with_a_complaint_cue_is_a_complaint() {
        let i = post(
            "Great, the Acme app crashed again at checkout. Love it",
            Positive,
            0.6,
        );
        assert_eq!(i.labels, vec![Complaint]);
        assert!(i.needs_response);
    }

    #[test]
    fn the_encoders_complaint_margin_finds_complaints_no_cue_names() {
        let with = |margin: Option<f32>, label: SentimentLabel, score: f32| {
            let p = Post {
                text: "@acme screen went black yesterday and stays black",
                sentiment: Sentiment {
                    label,
                    score,
                    confidence: 0.6,
                },
                repost: false,
                impact: 0,
                age_hours: 0.0,
                complaint_margin: margin,
            };
            classify(&p, &mut String::new())
        };
        // No cue, neutral sentiment: only the encoder can tell.
        assert_eq!(with(None, Neutral, -0.1).labels, vec![Other]);
        let i = with(Some(COMPLAINT_MARGIN + 0.05), Neutral, -0.1);
        assert_eq!(i.labels, vec![Complaint]);
        assert!(i.needs_response && i.confidence > 0.5);
        assert_eq!(
            with(Some(COMPLAINT_MARGIN - 0.01), Neutral, -0.1).labels,
            vec![Other]
        );
        // The encoder's vote does not overrule positive sentiment.
        assert_ne!(
            with(Some(COMPLAINT_MARGIN + 0.05), Positive, 0.6).labels,
            vec![Complaint]
        );
    }

    #[test]
    fn priority_follows_intent_negativity_impact_and_age() {
        let p = |text, score: f32, impact, age_hours| {
            classify(
                &Post {
                    text,
                    sentiment: Sentiment {
                        label: if score < 0.0 { Negative } else { Neutral },
                        score,
                        confidence: 0.8,
                    },
                    repost: false,
                    impact,
                    age_hours,
                    complaint_margin: None,
                },
                &mut String::new(),
            )
            .priority
            .unwrap()
        };
        let q = p("@acme do you ship to Canada?", 0.0, 0, 0.0);
        let c = p("@acme my order is lost", -0.8, 0, 0.0);
        let cq = p("@acme my order is lost, who do I call?", -0.8, 0, 0.0);
        assert_eq!((q, c, cq), (30, 60, 70));
        assert_eq!(p("@acme my order is lost", -0.8, 100, 0.0), 85);
        assert_eq!(p("@acme my order is lost", -0.8, 0, 5.0), 55);
        assert_eq!(p("@acme my order is lost", -0.8, 0, 100.0), 40);
    }
}
