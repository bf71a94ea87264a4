//! An alert's drivers from the candidate terms of its windows: counts summed over the
//! windows, ranked by how unlikely they are under their baselines, phrases preferred over the
//! words inside them, and overlapping two-word phrases joined (`screen keeps` + `keeps
//! flickering` -> `screen keeps flickering`).

use std::collections::HashMap;

use super::stats::{surprise, Candidate};
use crate::alert::detector::poisson_tail;
use crate::record::alert::Driver;

/// A word or phrase is left out when a longer phrase containing it covers at least this
/// share of its count; two phrases are joined when the smaller count is this share of the
/// larger.
const COVER: f64 = 0.7;

#[derive(Debug, Clone)]
struct Agg {
    term: String,
    n: u64,
    expected: f64,
    ex: Vec<String>,
}

impl Agg {
    fn score(&self) -> f64 {
        surprise(poisson_tail(self.n, self.expected))
    }
}

fn contains_words(long: &str, short: &str) -> bool {
    long != short
        && (long.starts_with(&format!("{short} "))
            || long.ends_with(&format!(" {short}"))
            || long.contains(&format!(" {short} ")))
}

/// Joins `a b` + `b c` into `a b c` while counts agree.
fn join_chains(aggs: &mut Vec<Agg>) {
    loop {
        let mut joined = None;
        'outer: for (i, x) in aggs.iter().enumerate() {
            let Some((_, x_last)) = x.term.rsplit_once(' ') else {
                continue;
            };
            for (j, y) in aggs.iter().enumerate() {
                let Some((y_first, y_rest)) = y.term.split_once(' ') else {
                    continue;
                };
                if i == j || y_first != x_last || y_rest.contains(' ') || x.term.contains(y_rest) {
                    continue;
                }
                let (lo, hi) = (x.n.min(y.n) as f64, x.n.max(y.n) as f64);
                if lo >= COVER * hi && x.term.split(' ').count() < 5 {
                    joined = Some((i, j));
                    break 'outer;
                }
            }
        }
        let Some((i, j)) = joined else {
            return;
        };
        let (x, y) = (aggs[i].clone(), aggs[j].clone());
        let (_, y_rest) = y.term.split_once(' ').unwrap_or(("", ""));
        let long = Agg {
            term: format!("{} {y_rest}", x.term),
            n: x.n.min(y.n),
            expected: x.expected.max(y.expected),
            ex: if x.n <= y.n { x.ex } else { y.ex },
        };
        let (first, second) = (i.max(j), i.min(j));
        aggs.remove(first);
        aggs.remove(second);
        aggs.push(long);
    }
}

/// The top `keep` drivers of an alert whose windows hold `windows` candidates; `total` is
/// the alert windows' count (all mentions, or negative ones for a negative-share alert) and
/// `baseline` what the detector expected of it.
pub fn drivers<'a>(
    windows: impl Iterator<Item = &'a [Candidate]>,
    total: f64,
    baseline: f64,
    keep: usize,
) -> Vec<Driver> {
    if keep == 0 {
        return Vec::new();
    }
    let mut by_term: HashMap<&str, Agg> = HashMap::new();
    for cands in windows {
        for c in cands {
            let a = by_term.entry(&c.term).or_insert_with(|| Agg {
                term: c.term.clone(),
                n: 0,
                expected: 0.0,
                ex: Vec::new(),
            });
            a.n += u64::from(c.n);
            a.expected += c.expected;
            for id in &c.ex {
                if a.ex.len() < 2 && !a.ex.contains(id) {
                    a.ex.push(id.clone());
                }
            }
        }
    }
    let mut aggs: Vec<Agg> = by_term.into_values().collect();
    aggs.sort_by(|a, b| a.term.cmp(&b.term));
    join_chains(&mut aggs);
    let covered: Vec<bool> = aggs
        .iter()
        .map(|a| {
            aggs.iter()
                .any(|b| contains_words(&b.term, &a.term) && b.n as f64 >= COVER * a.n as f64)
        })
        .collect();
    let mut kept: Vec<(f64, Agg)> = aggs
        .into_iter()
        .zip(covered)
        .filter(|(_, c)| !c)
        .map(|(a, _)| (a.score(), a))
        .collect();
    kept.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| b.1.n.cmp(&a.1.n))
            .then_with(|| a.1.term.cmp(&b.1.term))
    });
    let extra = total - baseline;
    kept.into_iter()
        .take(keep)
        .map(|(score, a)| {
            // The term's expected count at the baseline's volume, not at the spike's.
            let usual = if total > 0.0 {
                a.expected * baseline / total
            } else {
                0.0
            };
            let explained = if extra > 0.0 {
                ((a.n as f64 - usual) / extra).clamp(0.0, 1.0)
            } else {
                0.0
            };
            Driver {
                term: a.term,
                observed: a.n,
                expected: round3(a.expected),
                score: round3(score),
                explained: round3(explained),
                example_ids: a.ex,
            }
        })
        .collect()
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
