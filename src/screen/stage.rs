//! The screen stage's async shell: takes matched batches, screens each matched mention, and
//! sends the batches on to scoring.

use std::time::Instant;

use tokio::sync::mpsc;

use super::events::{AuthorFieldInvalid, CampaignDeclared, SpamFlagged};
use super::Screener;
use crate::record::{Matched, Routed};
use crate::telemetry::metric::observe;
use crate::telemetry::Metrics;

/// Screens one batch in place: the stage's synchronous core, with its counts.
pub fn screen_batch(screener: &mut Screener, batch: &mut [Matched], metrics: &Metrics) {
    let started = Instant::now();
    let mut exemplar = None;
    for m in batch.iter_mut() {
        let Ok(Routed::Matched(mm)) = &mut m.result else {
            continue;
        };
        let found = screener.screen(mm);
        for field in found.invalid_fields {
            AuthorFieldInvalid {
                field,
                mention_id: &mm.mention.id,
            }
            .emit(metrics);
        }
        for (brand, campaign) in &found.declared {
            CampaignDeclared { brand, campaign }.emit(metrics);
        }
        if !mm.screening.spam.is_empty() {
            SpamFlagged {
                reasons: &mm.screening.spam,
                mention_id: &mm.mention.id,
            }
            .emit(metrics);
        }
        if exemplar.is_none() {
            exemplar = Some(mm.mention.id.clone());
        }
    }
    observe(
        &metrics.stage_latency.with_label_values(&["screen"]),
        started.elapsed().as_secs_f64(),
        exemplar.as_deref(),
    );
}

/// Runs until `rx` closes (upstream drained) or `tx` closes.
pub async fn run(
    mut screener: Screener,
    mut rx: mpsc::Receiver<Vec<Matched>>,
    tx: mpsc::Sender<Vec<Matched>>,
    metrics: Metrics,
) {
    super::events::register(&metrics);
    while let Some(mut batch) = rx.recv().await {
        // A few microseconds per mention, like matching: cheap enough for an async worker.
        screen_batch(&mut screener, &mut batch, &metrics);
        if tx.send(batch).await.is_err() {
            break;
        }
    }
}
