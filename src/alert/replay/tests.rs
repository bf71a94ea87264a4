//! Tests of the replay harness: samplers, the stream's layout, the reference detector and the
//! evaluation.

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::model::{START_MINUTE, WEEK};
use super::oracle::threshold;
use super::report::headline;
use super::sim::{spikes, SPIKE_MARGIN};
use super::*;
use crate::alert::detector::count_tail;
use crate::record::alert::Kind;

#[test]
fn samplers_have_the_right_moments() {
    let mut rng = StdRng::seed_from_u64(3);
    for mean in [0.3, 4.0, 11.9, 12.0, 40.0, 700.0] {
        let n = 40_000;
        let xs: Vec<f64> = (0..n).map(|_| poisson(&mut rng, mean) as f64).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64;
        assert!(
            (m - mean).abs() < 4.0 * (mean / n as f64).sqrt(),
            "{mean}: {m}"
        );
        assert!((v / mean - 1.0).abs() < 0.05, "{mean}: var {v}");
    }
    for shape in [0.5, 2.0, 20.0] {
        let n = 40_000;
        let xs: Vec<f64> = (0..n).map(|_| gamma(&mut rng, shape)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n as f64;
        assert!((m / shape - 1.0).abs() < 0.03, "{shape}: {m}");
        assert!((v / shape - 1.0).abs() < 0.08, "{shape}: var {v}");
    }
}

#[test]
fn profile_and_spike_layout() {
    assert!(daily_profile(4.0) < 0.15);
    assert!(daily_profile(12.5) > 0.95);
    assert!(daily_profile(20.5) > 0.8);
    let config = ReplayConfig {
        eval_weeks: 2,
        ..ReplayConfig::default()
    };
    let mut rng = StdRng::seed_from_u64(1);
    let s = spikes(0, &config, &mut rng);
    assert_eq!(s.len(), 14);
    let eval_from = START_MINUTE + 2 * WEEK;
    for pair in s.windows(2) {
        let gap = pair[1].start_minute - (pair[0].start_minute + i64::from(pair[0].minutes));
        assert!(gap >= 2 * SPIKE_MARGIN, "{pair:?}");
    }
    assert!(s.iter().all(|x| x.start_minute >= eval_from + SPIKE_MARGIN));
    assert!(s.iter().filter(|x| x.kind == Kind::Negative).count() >= 3);
}

/// The targets (recall >= 95% for spikes of >= 3x lasting >= 10 min, <= 1 false alarm per
/// brand-week, median delay <= 3 windows) hold for high-volume brands with the defaults.
/// Low- and mid-volume brands miss the recall target: see `docs/alerts.md`.
#[test]
fn high_volume_brands_meet_the_targets_with_the_defaults() {
    let config = ReplayConfig {
        learn_weeks: 2,
        eval_weeks: 3,
        brands: 12,
        seed: 11,
        // The counts are the same with terms; without them this runs in seconds.
        terms: false,
        ..ReplayConfig::default()
    };
    let r = evaluate(&config, &AlertConfig::default()).unwrap();
    let cell = Cell::of(
        r.outcomes()
            .filter(|o| o.class == VolumeClass::High && headline(o)),
    );
    assert!(cell.spikes >= 40, "{cell:?}");
    assert!(cell.recall() >= 0.95, "{cell:?}");
    assert!(cell.median_delay.is_some_and(|d| d <= 3), "{cell:?}");
    assert!(
        r.false_alarms_per_brand_week(Some(VolumeClass::High)) <= 1.0,
        "{}",
        r.render()
    );
    assert!(r.false_alarms_per_brand_week(None) <= 1.0, "{}", r.render());
}

#[test]
fn reference_thresholds_and_power() {
    // The threshold is the smallest count whose tail is within the level.
    for mean in [0.3, 5.0, 80.0, 2_000.0] {
        let c = threshold(mean as u64, |k| count_tail(k, mean, 1.0));
        assert!(count_tail(c, mean, 1.0) <= ORACLE_ALPHA, "{mean}");
        assert!(
            c == 0 || count_tail(c - 1, mean, 1.0) > ORACLE_ALPHA,
            "{mean}"
        );
    }
    let spike = |kind, multiplier| Spike {
        kind,
        multiplier,
        minutes: 10,
        start_minute: 0,
    };
    let power = |kind, m, rate: f64, d| oracle_power(&spike(kind, m), &[rate; 10], 0.15, d);
    // 3x on 1 expected mention in 10 minutes cannot be told from noise; 3x on 100 can.
    assert!(power(Kind::Volume, 3, 0.1, 0.0) < 0.2);
    assert!(power(Kind::Volume, 3, 10.0, 0.0) > 0.999);
    // More volume, a bigger spike: more power; overdispersion: less.
    assert!(power(Kind::Volume, 3, 0.5, 0.0) < power(Kind::Volume, 3, 1.0, 0.0));
    assert!(power(Kind::Volume, 3, 0.5, 0.0) < power(Kind::Volume, 5, 0.5, 0.0));
    assert!(power(Kind::Volume, 3, 2.0, 0.1) < power(Kind::Volume, 3, 2.0, 0.0));
    // Negative share 15% -> 45%: hopeless on 3 mentions, certain on 1,000.
    assert!(power(Kind::Negative, 3, 0.3, 0.0) < 0.1);
    assert!(power(Kind::Negative, 3, 100.0, 0.0) > 0.999);
    // The normal approximation and the exact sum agree where they meet.
    let mid = power(Kind::Negative, 3, 45.0, 0.0);
    assert!(mid > 0.99, "{mid}");
}

#[test]
fn evaluation_is_deterministic_and_the_summary_parses() {
    let config = ReplayConfig {
        learn_weeks: 1,
        eval_weeks: 1,
        brands: 3,
        seed: 5,
        ..ReplayConfig::default()
    };
    let det = AlertConfig::default();
    let a = evaluate(&config, &det).unwrap();
    let b = evaluate(
        &ReplayConfig {
            threads: 1,
            ..config.clone()
        },
        &det,
    )
    .unwrap();
    assert_eq!(a.results, b.results);
    let text = a.render();
    let last = text.lines().last().unwrap();
    assert!(last.starts_with("recall_3x10m="), "{last}");
    assert_eq!(last, a.summary_line());
    // Every spike of the high-volume brand that is at least 3x for 10 min is caught.
    assert!(a
        .outcomes()
        .filter(|o| o.class == VolumeClass::High && headline(o))
        .all(|o| o.delay.is_some()));
}
