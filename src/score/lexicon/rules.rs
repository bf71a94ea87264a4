//! Steps 2 to 4 of the [algorithm](super): tokens looked up as the longest phrases, VADER's
//! rules applied to the units, and the compound score, label and confidence.

use super::tables::{flag, Lexicon};
use super::Scratch;
use crate::mention::{Sentiment, SentimentLabel};

// VADER's empirically derived constants (vaderSentiment 3.3.2).
/// Booster word increment.
pub(super) const B_INCR: f32 = 0.293;
/// Dampener word decrement.
pub(super) const B_DECR: f32 = -0.293;
/// ALL-CAPS word increment.
const C_INCR: f32 = 0.733;
/// Negation factor.
const N_SCALAR: f32 = -0.74;
/// Normalisation constant of the compound score.
const ALPHA: f32 = 15.0;
/// Emphasis per exclamation mark, up to [`EXCLAMATION_MAX`].
const EXCLAMATION_STEP: f32 = 0.292;
/// Exclamation marks counted.
const EXCLAMATION_MAX: usize = 4;
/// Emphasis per question mark when there are 2 or 3.
const QUESTION_STEP: f32 = 0.18;
/// Emphasis of 4 or more question marks.
const QUESTION_MAX: f32 = 0.96;
/// Units before the first contrastive conjunction are weighted by this...
const BUT_BEFORE: f32 = 0.5;
/// ...and units after it by this.
const BUT_AFTER: f32 = 1.5;
/// Preceding units inspected for negators and boosters.
const WINDOW: usize = 3;
/// Damping of a booster's effect by distance (1, 2, 3 units before the word).
const BOOST_DAMPING: [f32; WINDOW] = [1.0, 0.95, 0.9];
/// Scores at or beyond ±this are positive or negative.
pub(super) const LABEL_THRESHOLD: f32 = 0.05;

/// A token or phrase after lookup.
#[derive(Debug, Clone, Copy)]
pub(super) struct Unit {
    pub(super) valence: f32,
    pub(super) flags: u8,
    pub(super) caps: bool,
    pub(super) clause_start: bool,
}

/// Turns tokens into units: the longest phrase at each word, its entry's flags and valence.
/// With no lexicon only symbols score.
pub(super) fn resolve(lexicon: Option<&Lexicon>, s: &mut Scratch) {
    s.units.clear();
    let mut i = 0;
    while i < s.tokens.len() {
        let token = s.tokens[i];
        let mut unit = Unit {
            valence: 0.0,
            flags: 0,
            caps: token.caps,
            clause_start: token.clause_start,
        };
        let mut width = 1;
        if let Some(valence) = token.symbol {
            unit.valence = valence;
            unit.flags = flag::VALENCE | flag::SYMBOL;
        } else if let Some(lexicon) = lexicon {
            let word = &s.lower[token.start..token.end];
            let head = lexicon.entries.get(word).copied();
            if let Some(head) = head.filter(|h| h.longest > 1) {
                let following = s.tokens[i + 1..]
                    .iter()
                    .take(usize::from(head.longest) - 1)
                    .take_while(|t| t.symbol.is_none() && t.joined && !t.clause_start)
                    .count();
                for n in (2..=following + 1).rev() {
                    let phrase = &s.lower[token.start..s.tokens[i + n - 1].end];
                    if let Some(entry) = lexicon.entries.get(phrase).filter(|e| e.flags != 0) {
                        unit.valence = entry.valence;
                        unit.flags = entry.flags;
                        width = n;
                        break;
                    }
                }
            }
            if width == 1 {
                let entry = head
                    .filter(|e| e.flags != 0)
                    .or_else(|| lexicon.fallback(word, &mut s.stripped));
                if let Some(entry) = entry {
                    unit.valence = entry.valence;
                    unit.flags = entry.flags;
                } else if lexicon.english_rules && word.ends_with("n't") {
                    unit.flags = flag::NEGATOR;
                }
            }
        }
        s.units.push(unit);
        i += width;
    }
}

/// Applies the rules to the units; returns the emphasised sum and the number of scored units.
pub(super) fn sum_valence(s: &Scratch, english_rules: bool) -> (f32, usize) {
    let units = &s.units;
    let but = units.iter().position(|u| u.flags & flag::BUT != 0);
    let caps_emphasis = english_rules && s.caps_words > 0 && s.caps_words < s.words;
    let mut sum = 0.0f32;
    let mut hits = 0;
    for (i, unit) in units.iter().enumerate() {
        if unit.flags & flag::VALENCE == 0 {
            continue;
        }
        if unit.flags & flag::MODIFIER != 0 && modifies_next(units, i) {
            continue;
        }
        hits += 1;
        let mut valence = unit.valence;
        if unit.flags & flag::SYMBOL == 0 {
            if caps_emphasis && unit.caps {
                valence += C_INCR.copysign(valence);
            }
            let mut boost = 0.0;
            let mut negated = false;
            for (distance, prev) in preceding(units, i).enumerate() {
                if prev.flags & flag::NEGATOR != 0 {
                    negated = true;
                } else if prev.flags & (flag::BOOSTER | flag::DAMPENER) != 0 {
                    let base = if prev.flags & flag::BOOSTER != 0 {
                        B_INCR
                    } else {
                        B_DECR
                    };
                    // Boosters push away from zero, dampeners towards it.
                    let mut scalar = if valence < 0.0 { -base } else { base };
                    if caps_emphasis && prev.caps {
                        scalar += C_INCR.copysign(valence);
                    }
                    boost += scalar * BOOST_DAMPING[distance];
                }
            }
            valence += boost;
            if negated {
                valence *= N_SCALAR;
            }
        }
        if let Some(b) = but {
            if i < b {
                valence *= BUT_BEFORE;
            } else if i > b {
                valence *= BUT_AFTER;
            }
        }
        sum += valence;
    }
    if sum != 0.0 {
        let exclamation = s.exclamations.min(EXCLAMATION_MAX) as f32 * EXCLAMATION_STEP;
        let question = match s.questions {
            0 | 1 => 0.0,
            n @ 2..=3 => n as f32 * QUESTION_STEP,
            _ => QUESTION_MAX,
        };
        sum += (exclamation + question).copysign(sum);
    }
    (sum, hits)
}

/// Up to [`WINDOW`] units before `i`, nearest first, within `i`'s clause.
pub(super) fn preceding(units: &[Unit], i: usize) -> impl Iterator<Item = &Unit> {
    let stop = if units[i].clause_start {
        i
    } else {
        i.saturating_sub(WINDOW)
    };
    let in_clause = units[stop..i]
        .iter()
        .rposition(|u| u.clause_start)
        .map_or(stop, |p| stop + p);
    units[in_clause..i].iter().rev()
}

/// Whether a scored unit follows the modifier at `i` within [`WINDOW`] units of its clause.
pub(super) fn modifies_next(units: &[Unit], i: usize) -> bool {
    units[i + 1..]
        .iter()
        .take(WINDOW)
        .take_while(|u| !u.clause_start)
        .any(|u| u.flags & flag::VALENCE != 0 && u.flags & flag::MODIFIER == 0)
}

/// The compound score, label and confidence of a sum.
pub(super) fn sentiment(sum: f32, hits: usize) -> Sentiment {
    let score = (sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0);
    let score = if score.is_finite() { score } else { 0.0 };
    let (label, confidence) = if score >= LABEL_THRESHOLD {
        (SentimentLabel::Positive, 0.5 + 0.5 * score)
    } else if score <= -LABEL_THRESHOLD {
        (SentimentLabel::Negative, 0.5 - 0.5 * score)
    } else if hits > 0 {
        (
            SentimentLabel::Neutral,
            1.0 - score.abs() / LABEL_THRESHOLD * 0.5,
        )
    } else {
        (SentimentLabel::Neutral, 0.5)
    };
    Sentiment {
        label,
        score,
        confidence: confidence.clamp(0.0, 1.0),
    }
}
