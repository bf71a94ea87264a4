//! `brandpulse eval`: accuracy, macro-F1 and the confusion matrix of a scorer on labelled
//! JSONL (`{"text": ..., "label": "positive|neutral|negative"}`, optional `lang`), per language
//! when the data carries `lang`, and a positive-vs-negative decision when its labels are only
//! positive and negative.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde::Deserialize;

use crate::mention::SentimentLabel;
use crate::record::DecodeError;
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

/// Everything one run of `brandpulse eval` measures.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Evaluation {
    /// Over all examples.
    pub all: Confusion,
    /// Per `lang` of the data (examples without one are only in `all`).
    pub by_lang: BTreeMap<String, Confusion>,
    /// Examples whose sign of `score` (that is `P(positive) >= P(negative)` for the
    /// transformer) matches a positive/negative truth label, and how many such examples.
    pub binary_correct: u64,
    /// Examples with a positive or negative truth label.
    pub binary_n: u64,
}

impl Evaluation {
    /// Whether every truth label is positive or negative (binary data).
    pub fn is_binary(&self) -> bool {
        self.binary_n > 0 && self.binary_n == self.all.n()
    }

    /// Share of binary decisions that are right, on binary data.
    pub fn binary_accuracy(&self) -> Option<f64> {
        self.is_binary()
            .then(|| self.binary_correct as f64 / self.binary_n as f64)
    }

    /// The report `brandpulse eval` prints: the confusion matrix, per-language lines
    /// (`lang=<l> n=<n> accuracy=<x> macro_f1=<y>`) and their unweighted mean
    /// (`languages=<k> mean_accuracy=<x> mean_macro_f1=<y>`) when the data has `lang`, and the
    /// last line `accuracy=<x> macro_f1=<y> n=<n>`, followed by ` binary_accuracy=<z>` on
    /// binary data.
    pub fn report(&self, scorer: &str) -> String {
        let mut s = self.all.report(scorer);
        let last = s.rfind('\n').map_or(0, |i| i + 1);
        let last_line = s.split_off(last);
        if !self.by_lang.is_empty() {
            for (lang, c) in &self.by_lang {
                s += &format!(
                    "lang={lang} n={} accuracy={:.4} macro_f1={:.4}\n",
                    c.n(),
                    c.accuracy(),
                    c.macro_f1()
                );
            }
            let k = self.by_lang.len() as f64;
            let mean = |f: fn(&Confusion) -> f64| self.by_lang.values().map(f).sum::<f64>() / k;
            s += &format!(
                "languages={} mean_accuracy={:.4} mean_macro_f1={:.4}\n",
                self.by_lang.len(),
                mean(Confusion::accuracy),
                mean(Confusion::macro_f1)
            );
        }
        s += &last_line;
        if let Some(b) = self.binary_accuracy() {
            s += &format!(" binary_accuracy={b:.4}");
        }
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
) -> Result<Evaluation, EvalError> {
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
    let mut ev = Evaluation::default();
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
            ev.all.add(e.label, s.label);
            if let Some(lang) = &e.lang {
                ev.by_lang
                    .entry(lang.clone())
                    .or_default()
                    .add(e.label, s.label);
            }
            let positive = s.score >= 0.0;
            match e.label {
                SentimentLabel::Positive => {
                    ev.binary_n += 1;
                    ev.binary_correct += u64::from(positive);
                }
                SentimentLabel::Negative => {
                    ev.binary_n += 1;
                    ev.binary_correct += u64::from(!positive);
                }
                SentimentLabel::Neutral => {}
            }
        }
        let done = ((n + 1) * batch).min(total);
        if n % 20 == 19 || done == total {
            let _ = writeln!(progress, "scored {done}/{total}");
        }
    }
    Ok(ev)
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
    fn reports_each_language_and_no_binary_figure_with_neutral_labels() {
        let mut s = crate::score::lexicon::LexiconScorer::new().unwrap();
        let data = [
            r#"{"text": "I love it, wonderful", "label": "positive", "lang": "en"}"#,
            r#"{"text": "awful, terrible", "label": "positive", "lang": "en"}"#,
            r#"{"text": "Das ist schrecklich", "label": "negative", "lang": "de"}"#,
            r#"{"text": "Der Zug fährt um acht", "label": "neutral", "lang": "de"}"#,
        ]
        .join("\n");
        let ev = evaluate(data.as_bytes(), &mut s, 3, &mut Vec::new()).unwrap();
        assert_eq!(ev.by_lang.len(), 2);
        assert_eq!(ev.by_lang["en"].n(), 2);
        assert_eq!(ev.by_lang["en"].accuracy(), 0.5);
        assert_eq!(
            ev.binary_accuracy(),
            None,
            "a neutral label: not binary data"
        );
        let report = ev.report("x");
        let lines: Vec<&str> = report.lines().collect();
        let n = lines.len();
        assert!(
            lines[n - 4].starts_with("lang=de n=2 accuracy="),
            "{report}"
        );
        assert_eq!(lines[n - 3], "lang=en n=2 accuracy=0.5000 macro_f1=0.3333");
        assert!(
            lines[n - 2].starts_with("languages=2 mean_accuracy="),
            "{report}"
        );
        assert!(lines[n - 1].starts_with("accuracy=") && lines[n - 1].ends_with(" n=4"));
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
        assert_eq!(c.all.accuracy(), 1.0);
        assert!(c.by_lang.is_empty());
        let last = c.report("x").lines().last().unwrap().to_string();
        assert_eq!(
            last,
            "accuracy=1.0000 macro_f1=1.0000 n=2 binary_accuracy=1.0000"
        );
        let bad = "{\"text\": \"x\", \"label\": \"great\"}\n";
        assert!(matches!(
            evaluate(bad.as_bytes(), &mut s, 8, &mut Vec::new()),
            Err(EvalError::BadLine { line: 1, .. })
        ));
    }
}
