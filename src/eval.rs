//! `brandpulse eval`: accuracy, macro-F1 and the confusion matrix of a scorer on labelled
//! JSONL (`{"text": ..., "label": "positive|neutral|negative"}`, optional `lang`).

use std::io::{BufRead, Write};

use serde::Deserialize;

use crate::ingest::DecodeError;
use crate::mention::SentimentLabel;
use crate::score::{ScoreError, ScoreInput, Scorer};

/// Errors of an evaluation.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// Reading the data failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// A line is not a labelled example.
    #[error("line {line}: {error}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// Why.
        error: DecodeError,
    },
    /// The data set is empty.
    #[error("no labelled examples")]
    Empty,
    /// The scorer failed.
    #[error(transparent)]
    Score(#[from] ScoreError),
}

#[derive(Debug, Deserialize)]
struct Example {
    text: String,
    label: SentimentLabel,
    #[serde(default)]
    lang: Option<String>,
}

/// A confusion matrix over the three labels; rows are the truth, columns the prediction, in
/// the order negative, neutral, positive.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Confusion {
    /// `counts[truth][predicted]`.
    pub counts: [[u64; 3]; 3],
}

fn idx(l: SentimentLabel) -> usize {
    match l {
        SentimentLabel::Negative => 0,
        SentimentLabel::Neutral => 1,
        SentimentLabel::Positive => 2,
    }
}

const NAMES: [&str; 3] = ["negative", "neutral", "positive"];

impl Confusion {
    /// Records one example.
    pub fn add(&mut self, truth: SentimentLabel, predicted: SentimentLabel) {
        self.counts[idx(truth)][idx(predicted)] += 1;
    }

    /// Number of examples.
    pub fn n(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// Share of correct predictions.
    pub fn accuracy(&self) -> f64 {
        let correct: u64 = (0..3).map(|i| self.counts[i][i]).sum();
        correct as f64 / self.n().max(1) as f64
    }

    /// Per-class F1, `None` for a class absent from both truth and predictions.
    pub fn f1(&self, class: usize) -> Option<f64> {
        let tp = self.counts[class][class] as f64;
        let truth: u64 = self.counts[class].iter().sum();
        let pred: u64 = (0..3).map(|r| self.counts[r][class]).sum();
        if truth == 0 && pred == 0 {
            return None;
        }
        let p = if pred == 0 { 0.0 } else { tp / pred as f64 };
        let r = if truth == 0 { 0.0 } else { tp / truth as f64 };
        Some(if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        })
    }

    /// Mean F1 over the classes present in the truth or the predictions.
    pub fn macro_f1(&self) -> f64 {
        let f: Vec<f64> = (0..3).filter_map(|c| self.f1(c)).collect();
        if f.is_empty() {
            0.0
        } else {
            f.iter().sum::<f64>() / f.len() as f64
        }
    }

    /// The report `brandpulse eval` prints; its last line is
    /// `accuracy=<x> macro_f1=<y> n=<n>`.
    pub fn report(&self, scorer: &str) -> String {
        let mut s = format!("scorer: {scorer}\nconfusion (rows: truth, columns: predicted)\n");
        s += &format!(
            "{:>10} {:>9} {:>9} {:>9}\n",
            "", NAMES[0], NAMES[1], NAMES[2]
        );
        for (i, name) in NAMES.iter().enumerate() {
            let row = self.counts[i];
            s += &format!("{:>10} {:>9} {:>9} {:>9}\n", name, row[0], row[1], row[2]);
        }
        for (i, name) in NAMES.iter().enumerate() {
            match self.f1(i) {
                Some(f) => s += &format!("f1[{name}]={f:.4}\n"),
                None => s += &format!("f1[{name}]=n/a (absent)\n"),
            }
        }
        s += &format!(
            "accuracy={:.4} macro_f1={:.4} n={}",
            self.accuracy(),
            self.macro_f1(),
            self.n()
        );
        s
    }
}

/// Scores every example of `input` with `scorer` in batches of `batch`.
///
/// # Errors
/// [`EvalError`] on a malformed line (with its number), I/O or scorer failure.
pub fn evaluate(
    input: impl BufRead,
    scorer: &mut dyn Scorer,
    batch: usize,
    progress: &mut impl Write,
) -> Result<Confusion, EvalError> {
    let mut examples: Vec<Example> = Vec::new();
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let ex: Example = serde_json::from_str(&line).map_err(|e| EvalError::BadLine {
            line: i + 1,
            error: crate::ingest::classify_json_error(&e, ""),
        })?;
        examples.push(ex);
    }
    if examples.is_empty() {
        return Err(EvalError::Empty);
    }
    let mut confusion = Confusion::default();
    let total = examples.len();
    for (n, chunk) in examples.chunks(batch.max(1)).enumerate() {
        let inputs: Vec<ScoreInput<'_>> = chunk
            .iter()
            .map(|e| ScoreInput {
                text: &e.text,
                lang: e.lang.as_deref(),
            })
            .collect();
        let out = scorer.score_batch(&inputs)?;
        for (e, s) in chunk.iter().zip(out) {
            confusion.add(e.label, s.label);
        }
        let done = ((n + 1) * batch).min(total);
        if n % 20 == 19 || done == total {
            let _ = writeln!(progress, "scored {done}/{total}");
        }
    }
    Ok(confusion)
}

#[cfg(test)]
mod tests {
    use super::*;
    use SentimentLabel::*;

    #[test]
    fn metrics_by_hand() {
        let mut c = Confusion::default();
        // 3 positives (2 right), 2 negatives (both right), 1 neutral predicted positive.
        for (t, p) in [
            (Positive, Positive),
            (Positive, Positive),
            (Positive, Negative),
            (Negative, Negative),
            (Negative, Negative),
            (Neutral, Positive),
        ] {
            c.add(t, p);
        }
        assert_eq!(c.n(), 6);
        assert!((c.accuracy() - 4.0 / 6.0).abs() < 1e-12);
        // negative: p=2/3 r=1 f=0.8; neutral: 0; positive: p=2/3 r=2/3 f=2/3.
        assert!((c.macro_f1() - (0.8 + 0.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        assert!(c
            .report("x")
            .lines()
            .last()
            .unwrap()
            .starts_with("accuracy=0.6667 macro_f1=0.4889 n=6"));
    }

    #[test]
    fn absent_class_is_not_averaged() {
        let mut c = Confusion::default();
        c.add(Positive, Positive);
        c.add(Negative, Negative);
        assert_eq!(c.macro_f1(), 1.0);
    }

    #[test]
    fn evaluates_with_a_scorer() {
        let mut s = crate::score::lexicon::LexiconScorer::new().unwrap();
        let data = "{\"text\": \"I love it, wonderful\", \"label\": \"positive\"}\n\n{\"text\": \"awful, terrible\", \"label\": \"negative\"}\n";
        let c = evaluate(data.as_bytes(), &mut s, 8, &mut Vec::new()).unwrap();
        assert_eq!(c.accuracy(), 1.0);
        let bad = "{\"text\": \"x\", \"label\": \"great\"}\n";
        assert!(matches!(
            evaluate(bad.as_bytes(), &mut s, 8, &mut Vec::new()),
            Err(EvalError::BadLine { line: 1, .. })
        ));
    }
}
