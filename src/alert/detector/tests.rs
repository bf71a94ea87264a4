//! Tests of the spike detector.

use super::*;

fn cfg() -> DetectorConfig {
    DetectorConfig {
        warmup_windows: 120,
        ..DetectorConfig::default()
    }
}

#[test]
fn tails() {
    // Poisson(10): P(X >= 10) ~ 0.54207, P(X >= 25) ~ 4.6949e-5.
    assert!((poisson_tail(10, 10.0) - 0.54207).abs() < 1e-4);
    assert!((poisson_tail(25, 10.0) - 4.69494e-5).abs() < 1e-9);
    assert_eq!(poisson_tail(0, 3.0), 1.0);
    // Overdispersion makes the same count less surprising.
    assert!(count_tail(25, 10.0, 3.0) > 10.0 * poisson_tail(25, 10.0));
    assert_eq!(count_tail(25, 10.0, 1.0), poisson_tail(25, 10.0));
    // Binomial(20, 0.2): P(X >= 10) ~ 0.002594.
    assert!((binomial_tail(10, 20, 0.2) - 0.0025948).abs() < 1e-6);
    assert_eq!(binomial_tail(0, 20, 0.2), 1.0);
    assert_eq!(binomial_tail(21, 20, 0.2), 0.0);
}

/// Three days of a seasonal stream (`peak` mentions per window at the busiest hour)
/// whose per-window rate varies by a gamma factor of variance `d` (0 = Poisson counts).
fn learn_seasonal(peak: f64, d: f64) -> BrandState {
    use crate::alert::replay::{daily_profile, gamma, poisson};
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let c = cfg();
    let mut s = BrandState::default();
    for w in 0..3 * 24 * 60 {
        let mut mean = peak * daily_profile((w % 1440) as f64 / 60.0);
        if d > 0.0 {
            mean *= gamma(&mut rng, 1.0 / d) * d;
        }
        s.observe(w, poisson(&mut rng, mean), 0, &c);
    }
    s
}

#[test]
fn dispersion_grows_with_the_expected_count_of_an_overdispersed_stream() {
    // Gamma-Poisson counts: variance = e + 0.1 e^2, so dispersion = 1 + 0.1 e.
    let s = learn_seasonal(100.0, 0.1);
    for e in [30.0, 60.0, 100.0] {
        let want = 1.0 + 0.1 * e;
        let got = s.dispersion_at(e, &cfg());
        assert!((got / want - 1.0).abs() < 0.3, "at {e}: {got} vs {want}");
    }
    // The old constant (a day's average) understates the busy hours.
    assert!(
        s.dispersion < s.dispersion_at(100.0, &cfg()) * 0.9,
        "{}",
        s.dispersion
    );
    // Poisson counts: about 1 everywhere.
    let p = learn_seasonal(100.0, 0.0);
    for e in [30.0, 100.0] {
        let got = p.dispersion_at(e, &cfg());
        assert!(got < 1.6, "Poisson at {e}: {got}");
    }
}

/// A checkpoint written before the dispersion fit existed restores, and the detector uses
/// its plain dispersion until the fit has learned enough windows.
#[test]
fn a_checkpoint_without_the_dispersion_fit_restores_with_the_plain_dispersion() {
    let mut s = learn_seasonal(100.0, 0.1);
    s.dispersion = 4.0;
    let mut v = serde_json::to_value(&s).unwrap();
    v.as_object_mut().unwrap().remove("dispersion_fit");
    let old: BrandState = serde_json::from_value(v).unwrap();
    assert_eq!(old.dispersion_fit, DispersionFit::default());
    assert_eq!(old.dispersion_at(100.0, &cfg()), 4.0);
    // A current checkpoint round-trips with its fit.
    let now: BrandState = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
    assert_eq!(now.dispersion_fit, s.dispersion_fit);
    assert!(now.dispersion_at(100.0, &cfg()) > 4.0);
}

/// A deterministic pseudo-Poisson stream: `mean` rounded with a fixed jitter.
fn count(w: i64, mean: f64) -> u64 {
    let jitter = ((w * 7919) % 11) as f64 - 5.0;
    (mean + jitter * mean.sqrt() / 5.0).round().max(0.0) as u64
}

#[test]
fn volume_spike_fires_after_persistence_and_resolves() {
    let c = cfg();
    let mut s = BrandState::default();
    let mut fired = Vec::new();
    for w in 0..400 {
        let (_, t) = s.observe(w, count(w, 20.0), 4, &c);
        fired.extend(t);
    }
    assert!(fired.is_empty(), "quiet stream fired: {fired:?}");
    let mut events = Vec::new();
    for w in 400..410 {
        let (_, t) = s.observe(w, 80, 16, &c);
        events.extend(t);
    }
    for w in 410..450 {
        let (_, t) = s.observe(w, count(w, 20.0), 4, &c);
        events.extend(t);
    }
    let vol: Vec<_> = events.iter().filter(|t| t.kind == Kind::Volume).collect();
    assert_eq!(vol.len(), 2, "{vol:?}");
    assert_eq!(vol[0].state, AlertState::Firing);
    assert_eq!(vol[0].started, 400);
    assert_eq!(vol[0].window, 401, "k=2: fires on the second window");
    assert_eq!(vol[0].severity, Severity::Critical);
    assert_eq!(vol[1].state, AlertState::Resolved);
    // Resolves once neither the window nor the 10-window span is significant for n
    // windows: the span still holds the spike until window 419. (The 30-window span does
    // not run for a brand this busy: the 10-window span expects 200 mentions.)
    assert_eq!(
        vol[1].window, 420,
        "resolves after the span and n quiet windows"
    );
    // The share of negatives did not change: no negative alert.
    assert!(events.iter().all(|t| t.kind == Kind::Volume));
}

/// A small brand (2 per window): the 30-window span runs, reports itself when it is the
/// more significant test, and holds the alert longer than the 10-window span alone.
#[test]
fn long_span_runs_for_small_brands() {
    let run = |c: &DetectorConfig| {
        let mut s = BrandState::default();
        for w in 0..400 {
            s.observe(w, count(w, 2.0), 0, c);
        }
        let (mut fired, mut resolved, mut long) = (None, None, false);
        for w in 400..500 {
            let n = if w < 410 { 10 } else { count(w, 2.0) };
            let (e, t) = s.observe(w, n, 0, c);
            long |= e[0].span_windows == 30;
            for t in t.iter().filter(|t| t.kind == Kind::Volume) {
                match t.state {
                    AlertState::Firing => fired = fired.or(Some(t.window)),
                    AlertState::Resolved => resolved = resolved.or(Some(t.window)),
                }
            }
        }
        (fired, resolved, long)
    };
    let short = DetectorConfig {
        long_span_windows: 0,
        ..cfg()
    };
    let (f1, r1, long1) = run(&cfg());
    let (f0, r0, long0) = run(&short);
    assert!(long1 && !long0);
    assert!(f1.is_some() && f1 == f0, "{f1:?} {f0:?}");
    assert!(r1 > r0 && r0.is_some(), "{r1:?} {r0:?}");
}

/// A small brand (2 mentions a window, 20% negative) whose negative share rises to 50% for
/// 40 windows: 10 of 20 in the 10-window span is not significant (p ~ 0.003), 30 of 60 in
/// the 30-window span is; the alert fires once, and not again after the rise.
#[test]
fn long_span_sees_a_small_brands_sustained_negative_rise() {
    let negatives = |w: i64| u64::from(w % 5 < 2);
    let run = |c: &DetectorConfig| {
        let mut s = BrandState::default();
        for w in 0..400 {
            s.observe(w, 2, negatives(w), c);
        }
        let mut firings = Vec::new();
        for w in 400..520 {
            let n = if w < 440 { 1 } else { negatives(w) };
            let (_, t) = s.observe(w, 2, n, c);
            firings.extend(
                t.into_iter()
                    .filter(|t| t.kind == Kind::Negative && t.state == AlertState::Firing)
                    .map(|t| (t.started, t.evaluation.span_windows)),
            );
        }
        firings
    };
    let with_long = run(&cfg());
    assert_eq!(with_long.len(), 1, "{with_long:?}");
    assert_eq!(with_long[0].1, 30, "{with_long:?}");
    assert!((400..440).contains(&with_long[0].0), "{with_long:?}");
    let short_only = DetectorConfig {
        long_span_windows: 0,
        ..cfg()
    };
    assert!(run(&short_only).is_empty());
}

/// A spike, then silence: once the alert resolves, the spike still sits in the 30-window
/// span while the baseline sinks (and the long span starts to run); it must not fire a
/// second time.
#[test]
fn an_old_spike_in_the_long_span_does_not_fire_again() {
    let c = DetectorConfig {
        cooldown_windows: 5,
        ..cfg()
    };
    let mut s = BrandState::default();
    for w in 0..400 {
        s.observe(w, count(w, 10.0), 0, &c);
    }
    let mut firings = Vec::new();
    for w in 400..500 {
        let n = match w {
            400..404 => 70,
            404..420 => count(w, 10.0),
            _ => 0,
        };
        let (_, t) = s.observe(w, n, 0, &c);
        firings.extend(
            t.into_iter()
                .filter(|t| t.kind == Kind::Volume && t.state == AlertState::Firing)
                .map(|t| t.started),
        );
    }
    // (A firing transition that escalates the severity keeps its `started`.)
    firings.dedup();
    assert_eq!(firings.len(), 1, "{firings:?}");
}

#[test]
fn negative_share_spike() {
    let c = cfg();
    let mut s = BrandState::default();
    for w in 0..300 {
        s.observe(w, 30, 3, &c);
    }
    let mut events = Vec::new();
    for w in 300..305 {
        events.extend(s.observe(w, 30, 18, &c).1);
    }
    assert!(
        events
            .iter()
            .any(|t| t.kind == Kind::Negative && t.state == AlertState::Firing),
        "{events:?}"
    );
    assert!(events.iter().all(|t| t.kind == Kind::Negative));
}

#[test]
fn warm_up_and_min_count_guard() {
    let c = cfg();
    let mut s = BrandState::default();
    // A spike during warm-up does not fire.
    for w in 0..100 {
        let n = if (50..55).contains(&w) { 100 } else { 2 };
        assert!(s.observe(w, n, 0, &c).1.is_empty());
    }
    // A low-volume brand: 0-1 mentions, then one window of 6 (p tiny, but under
    // min_count, in the window and in the span).
    let mut s = BrandState::default();
    for w in 0..300 {
        s.observe(w, (w % 3 == 0) as u64, 0, &c);
    }
    assert!(s.observe(300, 6, 0, &c).1.is_empty());
    for w in 301..320 {
        assert!(s.observe(w, (w % 3 == 0) as u64, 0, &c).1.is_empty());
    }
}

#[test]
fn span_catches_a_sustained_low_volume_rise() {
    // 1 mention every 2 windows, then 3 per window for 10 windows: no single window is a
    // spike (3 < min_count), the 10-window span is (30 vs 5 expected).
    let c = cfg();
    let mut s = BrandState::default();
    for w in 0..300 {
        s.observe(w, (w % 2 == 0) as u64, 0, &c);
    }
    let mut events = Vec::new();
    for w in 300..310 {
        events.extend(s.observe(w, 3, 0, &c).1);
    }
    assert!(
        events
            .iter()
            .any(|t| t.kind == Kind::Volume && t.state == AlertState::Firing),
        "{events:?}"
    );
    let off = DetectorConfig {
        span_windows: 0,
        long_span_windows: 0,
        ..cfg()
    };
    let mut s = BrandState::default();
    for w in 0..300 {
        s.observe(w, (w % 2 == 0) as u64, 0, &off);
    }
    for w in 300..310 {
        assert!(s.observe(w, 3, 0, &off).1.is_empty());
    }
}

#[test]
fn cooldown_holds_back_a_second_alert() {
    let c = cfg();
    let mut s = BrandState::default();
    for w in 0..300 {
        s.observe(w, count(w, 20.0), 4, &c);
    }
    let mut events = Vec::new();
    for (from, to) in [(300, 303), (303, 320), (320, 323)] {
        for w in from..to {
            let n = if from == 303 { count(w, 20.0) } else { 90 };
            events.extend(s.observe(w, n, 18, &c).1);
        }
    }
    let fired = events
        .iter()
        .filter(|t| t.kind == Kind::Volume && t.state == AlertState::Firing)
        .count();
    assert_eq!(fired, 1, "{events:?}");
}

#[test]
fn seasonal_baseline_follows_the_day() {
    // Hourly shape: 5 per window at night, 50 at midday. After a week, a normal midday
    // does not alert, and the expectation tracks the hour.
    let c = DetectorConfig {
        windows_per_hour: 4.0,
        warmup_windows: 96,
        ..DetectorConfig::default()
    };
    let mean = |w: i64| {
        let h = (w / 4) % 24;
        5.0 + 45.0 * (-(((h - 12) * (h - 12)) as f64) / 18.0).exp()
    };
    let mut s = BrandState::default();
    let mut events = Vec::new();
    for w in 0..(4 * 24 * 14) {
        events.extend(s.observe(w, count(w, mean(w)), 0, &c).1);
    }
    assert!(events.is_empty(), "{events:?}");
    let noon = 4 * 24 * 14 + 4 * 12;
    let night = 4 * 24 * 14 + 4 * 2;
    assert!(
        (s.expected(noon, &c) - 50.0).abs() < 8.0,
        "{}",
        s.expected(noon, &c)
    );
    assert!(
        (s.expected(night, &c) - 5.0).abs() < 3.0,
        "{}",
        s.expected(night, &c)
    );
}

#[test]
fn replayed_windows_are_ignored_and_gaps_filled() {
    let c = cfg();
    let mut s = BrandState::default();
    s.observe(10, 5, 0, &c);
    let before = s.clone();
    s.observe(10, 500, 0, &c);
    assert_eq!(s, before);
    s.observe(20, 5, 0, &c);
    assert_eq!(s.windows, 11, "9 empty windows observed in between");
}

#[test]
fn state_round_trips_through_json() {
    let c = cfg();
    let mut s = BrandState::default();
    for w in 0..50 {
        s.observe(w, count(w, 10.0), 2, &c);
    }
    let back: BrandState = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(back, s);
}
