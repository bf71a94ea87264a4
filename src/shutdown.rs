//! Graceful shutdown: SIGINT or SIGTERM (or a `--duration` timer) fires a broadcast; ingest
//! stops reading, the other stages drain what is in flight, final offsets are stored and
//! committed, then the process exits. The drain is bounded by `pipeline.drain_timeout`.

use tokio::sync::watch;

/// The sending half: fire it once to start the drain.
#[derive(Debug, Clone)]
pub struct Trigger(watch::Sender<bool>);

/// The receiving half: every task that must stop holds one.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A connected pair.
pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger(tx), Shutdown(rx))
}

impl Trigger {
    /// Starts the shutdown. Idempotent.
    pub fn fire(&self) {
        self.0.send_replace(true);
    }

    /// A new receiver.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown(self.0.subscribe())
    }
}

impl Shutdown {
    /// Whether shutdown has started.
    pub fn is_fired(&self) -> bool {
        *self.0.borrow()
    }

    /// Waits until shutdown starts (returns at once if it has). Also returns when the
    /// trigger is dropped, which means nobody can stop us any more: treat it as a shutdown.
    pub async fn recv(&mut self) {
        let _ = self.0.wait_for(|fired| *fired).await;
    }
}

/// Fires `trigger` on SIGINT or SIGTERM. A second signal exits at once with code 130.
pub async fn on_signals(trigger: Trigger) {
    wait_for_signal().await;
    tracing::info!("signal received, draining (send it again to exit at once)");
    trigger.fire();
    wait_for_signal().await;
    tracing::warn!("second signal, exiting without drain");
    std::process::exit(130);
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fire_wakes_every_receiver() {
        let (trigger, mut a) = channel();
        let mut b = trigger.subscribe();
        assert!(!a.is_fired());
        trigger.fire();
        a.recv().await;
        b.recv().await;
        assert!(a.is_fired());
    }
}
