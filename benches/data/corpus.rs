//! The sample stream both benches read: the demo generator (`src/demo/generator/`) with a
//! fixed seed and clock, so every run sees the same records. Included with `#[path]` by
//! `benches/stages.rs` and `benches/pipeline_mockcluster.rs`.

use brandpulse::demo::generator::{Generator, Sample, MENTIONS_TOPIC};
use chrono::{DateTime, TimeDelta, Utc};

/// Seed of the generator.
pub const SEED: u64 = 2024;

/// Demo time between two samples. 300 ms, like the generator's own tests: a few thousand
/// samples span a compressed demo day and its bursts of complaints.
const STEP_MS: i64 = 300;

/// Canonical records taken from the stream, in order.
pub struct Canonical {
    /// Records of the `mentions` topic (the stream's tweets are skipped).
    pub samples: Vec<Sample>,
    /// How many of them the generator made malformed on purpose (about 1%).
    pub malformed: u64,
}

/// The first `n` records of the `mentions` topic, malformed ones included.
pub fn canonical(n: usize) -> Canonical {
    let start = DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
        .expect("valid timestamp")
        .with_timezone(&Utc);
    let mut generator = Generator::new(SEED, start);
    let mut samples = Vec::with_capacity(n);
    let mut i: i64 = 0;
    while samples.len() < n {
        let sample = generator.next_sample(start + TimeDelta::milliseconds(i * STEP_MS));
        i += 1;
        if sample.topic == MENTIONS_TOPIC {
            samples.push(sample);
        }
    }
    Canonical {
        samples,
        malformed: generator.malformed_count(),
    }
}
