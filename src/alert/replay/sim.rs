//! The simulation: brands and their per-minute streams (daily and weekly rhythm, day-to-day
//! levels, overdispersion), the injected spikes, and the detector fed window by window, with
//! each spike's outcome and the false alarms counted.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::model::RisingOutcome;
use super::model::{
    kind_index, Brand, BrandResult, Outcome, Spike, VolumeClass, DAY, DURATIONS, MAX_SHARE,
    SHARE_MULTIPLIER, START_MINUTE, VOLUME_MULTIPLIERS, WEEK,
};
use super::oracle::oracle_power;
use super::sample::{gamma, normal, poisson};
use super::terms::{
    phrase, Rising, TermSim, PHRASE_SHARE, RISING_MINUTES, RISING_RATES, RISING_SLACK,
};
use super::ReplayConfig;
use crate::alert::detector::{BrandState, DetectorConfig};
use crate::alert::terms::extract::Extractor;
use crate::config::AlertConfig;
use crate::record::alert::{AlertState, Kind};

/// A spike starts at least this far (minutes) from its day slot's edges, so two spikes are at
/// least twice this apart: far more than the cooldown plus a few hours.
pub(super) const SPIKE_MARGIN: i64 = 180;
/// A spike is detected by a firing of its kind up to this many windows after its last window.
pub const DETECT_SLACK: i64 = 3;
/// A new alert within this many windows after a spike (of either kind) is not a false alarm.
pub const ALARM_SLACK: i64 = 5;

/// Relative rate (peak about 1) at local hour `h` (0..24): a night trough around 04:00, a
/// midday peak around 12:30 and an evening one around 20:30.
pub fn daily_profile(h: f64) -> f64 {
    let bump = |centre: f64, width: f64| {
        let mut d = (h - centre).abs();
        if d > 12.0 {
            d = 24.0 - d;
        }
        (-0.5 * (d / width).powi(2)).exp()
    };
    0.12 + 0.88 * (bump(12.5, 3.0) + 0.9 * bump(20.5, 2.0)).min(1.0)
}

/// Generates the brands of `config`.
pub fn brands(config: &ReplayConfig) -> Vec<Brand> {
    let mut rng = StdRng::seed_from_u64(config.seed ^ 0x6272_616e_6473);
    (0..config.brands)
        .map(|i| {
            let class = VolumeClass::ALL[i % 3];
            let (lo, hi) = class.peak_range();
            let peak = (lo.ln() + rng.gen::<f64>() * (hi / lo).ln()).exp();
            Brand {
                class,
                peak,
                weekend: rng.gen_range(0.55..1.1),
                shift_hours: rng.gen_range(-3.0..3.0),
                negative_share: rng.gen_range(0.10..0.25),
            }
        })
        .collect()
}

/// The day-slot spikes of brand `index`: one per evaluated day, kinds, sizes and durations
/// cycling through every combination in a per-brand shuffled order.
pub(super) fn spikes(index: usize, config: &ReplayConfig, rng: &mut StdRng) -> Vec<Spike> {
    let mut combos = Vec::new();
    for m in VOLUME_MULTIPLIERS {
        for d in DURATIONS {
            combos.push((Kind::Volume, m, d));
        }
    }
    for d in DURATIONS {
        combos.push((Kind::Negative, SHARE_MULTIPLIER, d));
    }
    combos.shuffle(rng);
    let first_day = START_MINUTE + i64::from(config.learn_weeks) * WEEK;
    (0..i64::from(config.eval_weeks) * 7)
        .map(|day| {
            let (kind, multiplier, minutes) = combos[(day as usize + index) % combos.len()];
            let slot = first_day + day * DAY;
            let latest = DAY - SPIKE_MARGIN - i64::from(minutes);
            Spike {
                kind,
                multiplier,
                minutes,
                start_minute: slot + rng.gen_range(SPIKE_MARGIN..=latest),
            }
        })
        .collect()
}

/// Mentions per minute of `brand` at `minute` without spikes.
pub(super) fn rate(brand: &Brand, minute: i64, day_levels: &[f64]) -> f64 {
    let local = minute as f64 + brand.shift_hours * 60.0;
    let local_day = (local / DAY as f64).floor() as i64;
    let h = (local - (local_day * DAY) as f64) / 60.0;
    // 1970-01-01 was a Thursday: Monday = 0.
    let weekday = (local_day + 3).rem_euclid(7);
    let week = if weekday >= 5 { brand.weekend } else { 1.0 };
    let d = ((minute - START_MINUTE).div_euclid(DAY)) as usize;
    brand.peak * daily_profile(h) * week * day_levels[d.min(day_levels.len() - 1)]
}

/// The rising terms of brand `index`: one every other evaluated day, three hours long, away
/// from that day's spike.
fn rising_terms(index: usize, spikes: &[Spike], day0: i64) -> Vec<Rising> {
    spikes
        .iter()
        .enumerate()
        .filter(|(day, _)| (day + index) % 2 == 0)
        .map(|(day, s)| {
            let slot = day0 + day as i64 * DAY;
            let offset = s.start_minute - slot;
            let start_minute = if offset >= 600 {
                s.start_minute - 420
            } else {
                s.start_minute + i64::from(s.minutes) + 240
            };
            Rising {
                term: format!("rising{index}x{day}"),
                start_minute,
                per_hour: RISING_RATES[(day / 2 + index) % RISING_RATES.len()],
            }
        })
        .collect()
}

/// What the term side of a replay injects.
pub(super) struct TermPlan<'a> {
    alert: &'a AlertConfig,
    /// Per spike: the phrase's terms.
    phrases: Vec<Vec<String>>,
    rising: &'a [Rising],
}

pub(super) fn run_brand(
    index: usize,
    brand: &Brand,
    config: &ReplayConfig,
    alert: &AlertConfig,
    window_minutes: i64,
) -> BrandResult {
    let det = &DetectorConfig::from(alert);
    let seed = config.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (index as u64 + 1);
    let mut rng = StdRng::seed_from_u64(seed);
    let total_days = i64::from(config.learn_weeks + config.eval_weeks) * 7;
    let day_levels: Vec<f64> = (0..total_days)
        .map(|_| (config.day_variation * normal(&mut rng)).exp())
        .collect();
    let spikes = spikes(index, config, &mut rng);
    let day0 = START_MINUTE + i64::from(config.learn_weeks) * WEEK;
    let eval_from = day0 / window_minutes;
    let mut result = BrandResult::default();
    let extractor = Extractor::new();
    let targets: Vec<(Vec<String>, Vec<String>)> = (0..spikes.len())
        .map(|day| phrase(index, day, &extractor))
        .collect();
    let rising = if config.terms {
        rising_terms(index, &spikes, day0)
    } else {
        Vec::new()
    };
    let plan = config.terms.then(|| TermPlan {
        alert,
        phrases: targets.iter().map(|(t, _)| t.clone()).collect(),
        rising: &rising,
    });

    // The spiked stream.
    let (firings, emerging, attached) = replay(
        brand,
        config,
        det,
        window_minutes,
        &day_levels,
        &spikes,
        plan.as_ref(),
        &mut rng,
    );
    for (r, got) in rising.iter().zip(&attached) {
        let first = r.start_minute / window_minutes;
        let last = (r.start_minute + RISING_MINUTES + RISING_SLACK) / window_minutes;
        let found = emerging
            .iter()
            .find(|(w, t)| *t == r.term && *w >= first && *w <= last)
            .map(|(w, _)| (w - first) * window_minutes);
        result.rising.push(RisingOutcome {
            class: brand.class,
            per_hour: *got as f64 * 60.0 / RISING_MINUTES as f64,
            delay_minutes: found,
        });
    }
    for (s, (_, target)) in spikes.iter().zip(&targets) {
        let first = s.start_minute / window_minutes;
        let last = (s.start_minute + i64::from(s.minutes) - 1) / window_minutes;
        let firing = firings
            .iter()
            .find(|f| f.kind == s.kind && f.window >= first && f.window <= last + DETECT_SLACK);
        let delay = firing.map(|f| f.window - first);
        let driver_hit = firing
            .filter(|_| config.terms)
            .map(|f| f.drivers.iter().any(|d| target.contains(d)));
        let baseline = (0..window_minutes)
            .map(|m| rate(brand, first * window_minutes + m, &day_levels))
            .sum();
        let rates: Vec<f64> = (0..i64::from(s.minutes))
            .map(|m| rate(brand, s.start_minute + m, &day_levels))
            .collect();
        result.outcomes.push(Outcome {
            class: brand.class,
            spike: *s,
            baseline,
            delay,
            oracle: oracle_power(s, &rates, brand.negative_share, config.dispersion),
            driver_hit,
        });
    }
    for f in firings.iter().filter(|f| f.new && f.window >= eval_from) {
        let near = spikes.iter().any(|s| {
            let first = s.start_minute / window_minutes;
            let last = (s.start_minute + i64::from(s.minutes) - 1) / window_minutes;
            f.window >= first && f.window <= last + ALARM_SLACK
        });
        if !near {
            result.stray_alarms[kind_index(f.kind)] += 1;
        }
    }

    // The spike-free stream: same brand and days, fresh noise.
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0063_6c65_616e);
    let clean_plan = config.terms.then(|| TermPlan {
        alert,
        phrases: Vec::new(),
        rising: &[],
    });
    let (firings, emerging, _) = replay(
        brand,
        config,
        det,
        window_minutes,
        &day_levels,
        &[],
        clean_plan.as_ref(),
        &mut rng,
    );
    for f in firings.iter().filter(|f| f.new && f.window >= eval_from) {
        result.clean_alarms[kind_index(f.kind)] += 1;
    }
    result.clean_emerging = emerging.iter().filter(|(w, _)| *w >= eval_from).count() as u64;
    result
}

/// A firing transition of the replay.
#[derive(Debug, Clone)]
pub(super) struct Firing {
    kind: Kind,
    window: i64,
    /// Opens a new alert (not an escalation).
    new: bool,
    /// Its top drivers' terms (empty without terms).
    drivers: Vec<String>,
}

/// Generates the stream minute by minute, feeds its windows to a fresh detector (and, with a
/// `plan`, their terms to the term statistics), and returns every firing transition, every
/// emerging term `(window, term)`, and how many mentions carried each rising term.
#[allow(clippy::too_many_arguments)]
pub(super) fn replay(
    brand: &Brand,
    config: &ReplayConfig,
    det: &DetectorConfig,
    window_minutes: i64,
    day_levels: &[f64],
    spikes: &[Spike],
    plan: Option<&TermPlan<'_>>,
    rng: &mut StdRng,
) -> (Vec<Firing>, Vec<(i64, String)>, Vec<u64>) {
    // Terms draw from their own generator, so the counts (and the detector's results) are
    // the same with and without them.
    let mut term_rng = StdRng::seed_from_u64(rng.gen());
    let mut sim = plan.map(|p| TermSim::new(p.alert, det.persistence_n));
    let rising_terms: Vec<Vec<String>> = plan
        .map(|p| p.rising.iter().map(|r| vec![r.term.clone()]).collect())
        .unwrap_or_default();
    let mut attached = vec![0u64; rising_terms.len()];
    let mut emerging = Vec::new();
    let mut state = BrandState::default();
    let mut active_alert = [false; 2];
    let mut firings = Vec::new();
    let total = i64::from(config.learn_weeks + config.eval_weeks) * WEEK;
    let mut next_spike = 0;
    let (mut count, mut negatives) = (0u64, 0u64);
    for minute in START_MINUTE..START_MINUTE + total {
        while next_spike < spikes.len()
            && spikes[next_spike].start_minute + i64::from(spikes[next_spike].minutes) <= minute
        {
            next_spike += 1;
        }
        let usual = rate(brand, minute, day_levels);
        let mut mean = usual;
        let mut share = brand.negative_share;
        // Probability that a mention (a negative one, for share spikes) is a spike's extra.
        let mut extra = (0.0, 0.0);
        let active = spikes.get(next_spike).filter(|s| s.start_minute <= minute);
        if let Some(s) = active {
            match s.kind {
                Kind::Volume => {
                    mean *= f64::from(s.multiplier);
                    extra.0 = 1.0 - 1.0 / f64::from(s.multiplier);
                }
                Kind::Negative => {
                    share = (share * f64::from(s.multiplier)).min(MAX_SHARE);
                    extra.1 = 1.0 - brand.negative_share / share;
                }
            }
        }
        if config.dispersion > 0.0 {
            mean *= gamma(rng, 1.0 / config.dispersion) * config.dispersion;
        }
        // Negatives and the rest as independent Poisson counts: the total is Poisson(mean) and
        // the negatives given the total are Binomial(total, share).
        let neg = poisson(rng, mean * share);
        let other = poisson(rng, mean * (1.0 - share));
        count += neg + other;
        negatives += neg;
        if let (Some(sim), Some(plan)) = (sim.as_mut(), plan) {
            if (minute - START_MINUTE) % DAY == 0 {
                sim.new_day(&mut term_rng);
            }
            let phrase = active.and_then(|s| {
                let i = spikes.iter().position(|x| std::ptr::eq(x, s))?;
                plan.phrases.get(i)
            });
            let rising = plan
                .rising
                .iter()
                .position(|r| minute >= r.start_minute && minute < r.start_minute + RISING_MINUTES);
            let rising_p = rising.map_or(0.0, |i| {
                (plan.rising[i].per_hour / 60.0 / usual.max(1e-9)).min(1.0)
            });
            for j in 0..neg + other {
                let negative = j < neg;
                let mut with: Vec<&[String]> = Vec::new();
                if let Some(p) = phrase {
                    let x = if negative {
                        extra.0.max(extra.1)
                    } else {
                        extra.0
                    };
                    if term_rng.gen::<f64>() < x * PHRASE_SHARE {
                        with.push(p);
                    }
                }
                if let Some(i) = rising {
                    if term_rng.gen::<f64>() < rising_p {
                        with.push(&rising_terms[i]);
                        attached[i] += 1;
                    }
                }
                sim.mention(&mut term_rng, negative, &with);
            }
        }
        if (minute + 1) % window_minutes == 0 {
            let w = minute / window_minutes;
            let (evals, transitions) = state.observe(w, count, negatives, det);
            if let Some(sim) = sim.as_mut() {
                let expected = [evals[0].expected, evals[1].expected];
                for term in sim.close(w, count, negatives, expected) {
                    emerging.push((w, term));
                }
            }
            for t in transitions {
                let k = kind_index(t.kind);
                match t.state {
                    AlertState::Firing => {
                        firings.push(Firing {
                            kind: t.kind,
                            window: t.window,
                            new: !active_alert[k],
                            drivers: sim.as_ref().map(|s| s.drivers(&t)).unwrap_or_default(),
                        });
                        active_alert[k] = true;
                    }
                    AlertState::Resolved => active_alert[k] = false,
                }
            }
            count = 0;
            negatives = 0;
        }
    }
    (firings, emerging, attached)
}
