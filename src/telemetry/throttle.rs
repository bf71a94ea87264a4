//! Log lines for errors that come in floods (a broker that is down makes librdkafka report
//! dozens of errors a second): the counter counts every one, the log gets one line per
//! interval with how many were folded into it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// At most one log line per `interval`; the rest are counted and reported with the next line.
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    last: Mutex<Option<Instant>>,
    folded: AtomicU64,
}

impl Throttle {
    /// A throttle that lets one line through per `interval`.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: Mutex::new(None),
            folded: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when this event should be logged, `n` being the events folded since the last
    /// line; `None` when it is folded into the next one.
    pub fn allow(&self) -> Option<u64> {
        self.allow_at(Instant::now())
    }

    fn allow_at(&self, now: Instant) -> Option<u64> {
        let mut last = match self.last.lock() {
            Ok(l) => l,
            Err(p) => p.into_inner(),
        };
        match *last {
            Some(t) if now.duration_since(t) < self.interval => {
                self.folded.fetch_add(1, Ordering::Relaxed);
                None
            }
            _ => {
                *last = Some(now);
                Some(self.folded.swap(0, Ordering::Relaxed))
            }
        }
    }
}

impl Default for Throttle {
    /// One line per 10 seconds.
    fn default() -> Self {
        Self::new(Duration::from_secs(10))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_interval_with_the_folded_count() {
        let t = Throttle::new(Duration::from_secs(10));
        let t0 = Instant::now();
        assert_eq!(t.allow_at(t0), Some(0));
        for i in 1..=45 {
            assert_eq!(t.allow_at(t0 + Duration::from_millis(i * 20)), None);
        }
        assert_eq!(t.allow_at(t0 + Duration::from_secs(10)), Some(45));
        assert_eq!(t.allow_at(t0 + Duration::from_secs(11)), None);
    }
}
