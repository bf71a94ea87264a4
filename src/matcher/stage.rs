//! The matcher stage's async shell: takes ingested batches, matches each against the current
//! rule set, and sends the matched batches on.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::mpsc;

use super::reload::Rules;
use super::{Matcher, Scratch};
use crate::mention::MatchedMention;
use crate::record::{Decoded, Ingested, Matched, Routed};
use crate::telemetry::metric::observe;
use crate::telemetry::Metrics;

/// Matches one batch: the stage's synchronous core.
pub fn match_batch(matcher: &Matcher, batch: Vec<Ingested>, metrics: &Metrics) -> Vec<Matched> {
    let started = Instant::now();
    let mut scratch = Scratch::default();
    let mut unmatched = 0;
    let out: Vec<Matched> = batch
        .into_iter()
        .map(|i| {
            let mut own_post = None;
            let result = i.result.map(|decoded| match decoded {
                Decoded::Notice(n) => Routed::Notice(n),
                Decoded::Mention(mention) => {
                    own_post = matcher.own_post(&mention);
                    let matches = matcher.matches_with(&mention, &mut scratch);
                    if matches.is_empty() {
                        unmatched += 1;
                        Routed::Unmatched
                    } else {
                        Routed::Matched(MatchedMention::new(mention, matches))
                    }
                }
            });
            Matched {
                origin: i.origin,
                result,
                own_post,
            }
        })
        .collect();
    metrics.unmatched.inc_by(unmatched);
    let exemplar = out.iter().find_map(|m| match &m.result {
        Ok(Routed::Matched(mm)) => Some(mm.mention.id.as_str()),
        _ => None,
    });
    observe(
        &metrics.stage_latency.with_label_values(&["match"]),
        started.elapsed().as_secs_f64(),
        exemplar,
    );
    out
}

/// Runs until `rx` closes (upstream drained) or `tx` closes.
pub async fn run(
    rules: Arc<Rules>,
    mut rx: mpsc::Receiver<Vec<Ingested>>,
    tx: mpsc::Sender<Vec<Matched>>,
    metrics: Metrics,
) {
    while let Some(batch) = rx.recv().await {
        // One rule set per batch: a reload takes effect between batches.
        let matcher = rules.current();
        // Matching is a few microseconds per mention: cheap enough for an async worker.
        let out = match_batch(&matcher, batch, &metrics);
        if tx.send(out).await.is_err() {
            break;
        }
    }
}
