//! `brandpulse intent-eval`: the intent classifier on a labelled TSV (`tests/data/intent/`),
//! with the sentiment of a scorer the caller ran: precision and recall of `needs_response`
//! per language, and of each label, for each split apart (`dev`, `test`, `holdout`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::BufRead;

use super::{classify, IntentLabel, Post};
use crate::mention::Sentiment;

/// Errors reading the labelled file.
#[derive(Debug, thiserror::Error)]
pub enum IntentEvalError {
    /// Reading failed.
    #[error("reading: {0}")]
    Io(#[from] std::io::Error),
    /// A line is not `split, lang, brand, intents, needs_response, text`.
    #[error("line {line}: {reason}")]
    Line {
        /// 1-based.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// One labelled post.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    /// `dev`, `test` or `holdout`.
    pub split: String,
    /// Language.
    pub lang: String,
    /// Brand id.
    pub brand: String,
    /// Its labels.
    pub labels: Vec<IntentLabel>,
    /// Whether it needs a response.
    pub needs_response: bool,
    /// The text.
    pub text: String,
}

/// Reads the TSV (`split, lang, brand, intents, needs_response, text`; `#` comments).
///
/// # Errors
/// [`IntentEvalError`] naming the first bad line.
pub fn read(input: impl BufRead) -> Result<Vec<Labelled>, IntentEvalError> {
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |reason: String| IntentEvalError::Line {
            line: i + 1,
            reason,
        };
        let cols: Vec<&str> = line.splitn(6, '\t').collect();
        let [split, lang, brand, intents, needs, text] = cols[..] else {
            return Err(bad(format!("{} columns, expected 6", cols.len())));
        };
        if !matches!(split, "dev" | "test" | "holdout") {
            return Err(bad(format!(
                "split {split:?}: expected dev, test or holdout"
            )));
        }
        let labels = intents
            .split('+')
            .map(|l| IntentLabel::parse(l).ok_or_else(|| bad(format!("unknown intent {l:?}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let needs_response = match needs {
            "1" => true,
            "0" => false,
            other => return Err(bad(format!("needs_response {other:?}: expected 0 or 1"))),
        };
        out.push(Labelled {
            split: split.into(),
            lang: lang.into(),
            brand: brand.into(),
            labels,
            needs_response,
            text: text.into(),
        });
    }
    Ok(out)
}

/// Precision and recall counts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    /// Predicted and true.
    pub tp: usize,
    /// Predicted, not true.
    pub fp: usize,
    /// True, not predicted.
    pub fn_: usize,
    /// Posts.
    pub n: usize,
}

impl Counts {
    /// Counts one decision.
    pub fn add(&mut self, predicted: bool, truth: bool) {
        self.n += 1;
        match (predicted, truth) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            _ => {}
        }
    }

    /// Precision (1 when nothing was predicted).
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }

    /// Recall (1 when nothing was true).
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }

    /// F1.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// Results of one split.
#[derive(Debug, Clone, Default)]
pub struct SplitResult {
    /// `needs_response` per language.
    pub needs: BTreeMap<String, Counts>,
    /// Each label, all languages.
    pub labels: BTreeMap<IntentLabel, Counts>,
    /// Posts whose label set was exactly right.
    pub exact: usize,
    /// Posts.
    pub n: usize,
    /// Misses, for reading: (lang, truth, predicted, text).
    pub errors: Vec<(String, String, String, String)>,
}

impl SplitResult {
    /// `needs_response` over all languages.
    pub fn needs_all(&self) -> Counts {
        self.needs.values().fold(Counts::default(), |a, c| Counts {
            tp: a.tp + c.tp,
            fp: a.fp + c.fp,
            fn_: a.fn_ + c.fn_,
            n: a.n + c.n,
        })
    }
}

/// Classifies each post with its sentiment and complaint margin (same order) and scores it
/// against its labels.
pub fn evaluate(
    posts: &[Labelled],
    scores: &[(Sentiment, Option<f32>)],
) -> BTreeMap<String, SplitResult> {
    let mut out: BTreeMap<String, SplitResult> = BTreeMap::new();
    let mut stream = String::new();
    for (p, (s, margin)) in posts.iter().zip(scores) {
        let intent = classify(
            &Post {
                text: &p.text,
                sentiment: *s,
                repost: false,
                impact: 0,
                age_hours: 0.0,
                complaint_margin: *margin,
            },
            &mut stream,
        );
        let r = out.entry(p.split.clone()).or_default();
        r.n += 1;
        r.needs
            .entry(p.lang.clone())
            .or_default()
            .add(intent.needs_response, p.needs_response);
        for label in [
            IntentLabel::Complaint,
            IntentLabel::Question,
            IntentLabel::Praise,
            IntentLabel::Other,
        ] {
            r.labels
                .entry(label)
                .or_default()
                .add(intent.labels.contains(&label), p.labels.contains(&label));
        }
        let mut truth = p.labels.clone();
        truth.sort();
        let mut predicted = intent.labels.clone();
        predicted.sort();
        if truth == predicted {
            r.exact += 1;
        } else {
            let join =
                |l: &[IntentLabel]| l.iter().map(|x| x.as_str()).collect::<Vec<_>>().join("+");
            r.errors.push((
                p.lang.clone(),
                join(&truth),
                join(&predicted),
                p.text.clone(),
            ));
        }
    }
    out
}

/// The readable report; the last line gives `needs_response` on the `holdout` split (the
/// posts written after the cues were frozen), or on `test` when there is none.
pub fn render(results: &BTreeMap<String, SplitResult>, show_errors: bool) -> String {
    let mut o = String::new();
    for (split, r) in results {
        let _ = writeln!(o, "split {split}: {} posts", r.n);
        let _ = writeln!(o, "  needs_response   precision  recall  F1     (n)");
        for (lang, c) in &r.needs {
            let _ = writeln!(
                o,
                "  {lang:<16} {:.3}      {:.3}   {:.3}  ({})",
                c.precision(),
                c.recall(),
                c.f1(),
                c.n
            );
        }
        let all = r.needs_all();
        let _ = writeln!(
            o,
            "  {:<16} {:.3}      {:.3}   {:.3}  ({})",
            "all",
            all.precision(),
            all.recall(),
            all.f1(),
            all.n
        );
        let _ = writeln!(o, "  label            precision  recall");
        for (label, c) in &r.labels {
            let _ = writeln!(
                o,
                "  {:<16} {:.3}      {:.3}",
                label.as_str(),
                c.precision(),
                c.recall()
            );
        }
        let _ = writeln!(
            o,
            "  label set exactly right: {} of {} ({:.3})",
            r.exact,
            r.n,
            r.exact as f64 / r.n.max(1) as f64
        );
        if show_errors {
            for (lang, truth, predicted, text) in &r.errors {
                let _ = writeln!(o, "    {lang} {truth} -> {predicted}: {text}");
            }
        }
    }
    let test = results
        .get("holdout")
        .or_else(|| results.get("test"))
        .map(SplitResult::needs_all)
        .unwrap_or_default();
    let _ = write!(
        o,
        "needs_response_precision={:.3} needs_response_recall={:.3} needs_response_f1={:.3}",
        test.precision(),
        test.recall(),
        test.f1()
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mention::SentimentLabel;

    #[test]
    fn reads_and_scores_a_small_file() {
        let tsv = "# comment\n\
                   test\ten\tacme\tcomplaint+question\t1\t@acme my order is lost, who do I call?\n\
                   test\ten\tacme\tother\t0\tAcme CEO to step down next year\n";
        let posts = read(tsv.as_bytes()).unwrap();
        assert_eq!(posts.len(), 2);
        let neutral = Sentiment {
            label: SentimentLabel::Neutral,
            score: 0.0,
            confidence: 0.5,
        };
        let results = evaluate(&posts, &[(neutral, None), (neutral, None)]);
        let test = &results["test"];
        assert_eq!(test.exact, 2);
        assert_eq!(test.needs_all().f1(), 1.0);
        assert!(render(&results, false).ends_with(
            "needs_response_precision=1.000 needs_response_recall=1.000 needs_response_f1=1.000"
        ));
    }

    #[test]
    fn bad_lines_are_named() {
        let err = read("dev\ten\tacme\tangry\t1\ttext\n".as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), "line 1: unknown intent \"angry\"");
        let err = read("dev\ten\n".as_bytes()).unwrap_err();
        assert!(err.to_string().contains("2 columns"), "{err}");
    }

    /// The committed set reads and has what its README says.
    #[test]
    fn the_committed_set_has_560_posts_in_7_languages() {
        let file = std::fs::File::open(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/intent/posts.tsv"
        ))
        .unwrap();
        let posts = read(std::io::BufReader::new(file)).unwrap();
        assert_eq!(posts.len(), 560);
        let mut per_lang: BTreeMap<&str, usize> = BTreeMap::new();
        for p in &posts {
            *per_lang.entry(p.lang.as_str()).or_default() += 1;
        }
        assert_eq!(per_lang.len(), 7);
        assert!(per_lang.values().all(|&n| n == 80));
    }
}
