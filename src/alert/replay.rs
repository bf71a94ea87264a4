//! `brandpulse alert-eval`: a seeded replay harness for the spike detector.
//!
//! It generates per-brand mention streams with a realistic rhythm (night low, midday and
//! evening peaks, a weekday/weekend factor, day-to-day level changes, Poisson or gamma-Poisson
//! counts, a binomial negative share), injects volume and negative-share spikes of known start,
//! size and duration, feeds every window through [`BrandState::observe`], and reports recall,
//! detection delay and false alarms per brand-week. A second, spike-free stream per brand
//! measures false alarms on their own. Everything is synchronous and deterministic for a seed
//! (brands run on a few threads, each with its own generator). See `docs/alerts.md`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use statrs::function::gamma::ln_gamma;

use super::detector::{binomial_tail, count_tail, BrandState, DetectorConfig};
use crate::record::alert::{AlertState, Kind};

/// Monday 2024-01-01 00:00 UTC, in minutes since the Unix epoch.
const START_MINUTE: i64 = 1_704_067_200 / 60;
const DAY: i64 = 1440;
const WEEK: i64 = 7 * DAY;
/// A spike starts at least this far (minutes) from its day slot's edges, so two spikes are at
/// least twice this apart: far more than the cooldown plus a few hours.
const SPIKE_MARGIN: i64 = 180;
/// A spike is detected by a firing of its kind up to this many windows after its last window.
pub const DETECT_SLACK: i64 = 3;
/// A new alert within this many windows after a spike (of either kind) is not a false alarm.
pub const ALARM_SLACK: i64 = 5;

/// False-alarm level of each test of the reference detector ([`oracle_power`]): one false
/// alarm per brand-week spread over its tests, one per non-overlapping 10- and 30-minute block
/// and kind: `1 / (2 * (1008 + 336))`.
pub const ORACLE_ALPHA: f64 = 1.0 / (2.0 * (WEEK as f64 / 10.0 + WEEK as f64 / 30.0));
/// A spike is *detectable* when the reference detector finds it with at least this probability.
pub const DETECTABLE: f64 = 0.95;

/// Volume multipliers of the injected volume spikes.
pub const VOLUME_MULTIPLIERS: [u32; 3] = [2, 3, 5];
/// Durations (minutes) of the injected spikes.
pub const DURATIONS: [u32; 3] = [5, 10, 30];
/// Negative-share spikes multiply the brand's share by this (capped at [`MAX_SHARE`]).
pub const SHARE_MULTIPLIER: u32 = 3;
/// Highest negative share during a negative spike.
pub const MAX_SHARE: f64 = 0.9;

/// What to generate and how.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayConfig {
    /// Weeks the detector learns before spikes are injected and alerts are counted.
    pub learn_weeks: u32,
    /// Weeks evaluated.
    pub eval_weeks: u32,
    /// Brands, assigned round-robin to the low, mid and high volume classes.
    pub brands: usize,
    /// Seed of everything random.
    pub seed: u64,
    /// Overdispersion: each minute's rate is multiplied by a gamma variate of mean 1 and this
    /// variance (variance of a count = mean + dispersion * mean^2). 0 = Poisson.
    pub dispersion: f64,
    /// Standard deviation of the log of each day's level (day-to-day variation).
    pub day_variation: f64,
    /// Worker threads (0 = available parallelism).
    pub threads: usize,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        Self {
            learn_weeks: 2,
            eval_weeks: 4,
            brands: 30,
            seed: 1,
            dispersion: 0.0,
            day_variation: 0.1,
            threads: 0,
        }
    }
}

/// Volume class of a brand (mentions per minute at its weekday peak).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VolumeClass {
    /// 0.5-2 per minute at peak.
    Low,
    /// 5-30 per minute at peak.
    Mid,
    /// 100-250 per minute at peak.
    High,
}

impl VolumeClass {
    /// All classes.
    pub const ALL: [VolumeClass; 3] = [VolumeClass::Low, VolumeClass::Mid, VolumeClass::High];

    /// Label.
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeClass::Low => "low",
            VolumeClass::Mid => "mid",
            VolumeClass::High => "high",
        }
    }

    fn peak_range(self) -> (f64, f64) {
        match self {
            VolumeClass::Low => (0.5, 2.0),
            VolumeClass::Mid => (5.0, 30.0),
            VolumeClass::High => (100.0, 250.0),
        }
    }
}

/// A generated brand.
#[derive(Debug, Clone, PartialEq)]
pub struct Brand {
    /// Volume class.
    pub class: VolumeClass,
    /// Mentions per minute at the weekday peak.
    pub peak: f64,
    /// Weekend level relative to weekdays.
    pub weekend: f64,
    /// Offset (hours) of the brand's audience from UTC.
    pub shift_hours: f64,
    /// Baseline negative share.
    pub negative_share: f64,
}

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

/// An injected spike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    /// Volume or negative share.
    pub kind: Kind,
    /// Multiplier of the rate (volume) or of the negative share.
    pub multiplier: u32,
    /// Minutes.
    pub minutes: u32,
    /// First minute (since the epoch).
    pub start_minute: i64,
}

/// What happened to one spike.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// The brand's class.
    pub class: VolumeClass,
    /// The spike.
    pub spike: Spike,
    /// Expected mentions per window at the spike's start without the spike.
    pub baseline: f64,
    /// Windows from the spike's first window to the first firing of its kind, if detected.
    pub delay: Option<i64>,
    /// Probability that the reference test ([`oracle_power`]) detects this spike.
    pub oracle: f64,
}

/// Results of one brand.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrandResult {
    /// One per injected spike.
    pub outcomes: Vec<Outcome>,
    /// New alerts (volume, negative) in the spiked stream's evaluated weeks not near a spike.
    pub stray_alarms: [u64; 2],
    /// New alerts (volume, negative) in the spike-free stream's evaluated weeks.
    pub clean_alarms: [u64; 2],
}

/// A recall / delay cell.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cell {
    /// Spikes.
    pub spikes: usize,
    /// Detected.
    pub detected: usize,
    /// Median delay (windows) of the detected ones.
    pub median_delay: Option<i64>,
    /// 95th-percentile delay.
    pub p95_delay: Option<i64>,
    /// Expected recall of the reference detector ([`oracle_power`]) on the same spikes.
    pub reference: f64,
}

impl Cell {
    fn of<'a>(outcomes: impl Iterator<Item = &'a Outcome>) -> Cell {
        let mut spikes = 0;
        let mut power = 0.0;
        let mut delays = Vec::new();
        for o in outcomes {
            spikes += 1;
            power += o.oracle;
            if let Some(d) = o.delay {
                delays.push(d);
            }
        }
        delays.sort_unstable();
        Cell {
            spikes,
            detected: delays.len(),
            median_delay: percentile(&delays, 0.5),
            p95_delay: percentile(&delays, 0.95),
            reference: if spikes == 0 {
                0.0
            } else {
                power / spikes as f64
            },
        }
    }

    /// Detected / spikes (0 when there were none).
    pub fn recall(&self) -> f64 {
        if self.spikes == 0 {
            0.0
        } else {
            self.detected as f64 / self.spikes as f64
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// The whole evaluation.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was generated.
    pub config: ReplayConfig,
    /// The detector's settings.
    pub detector: DetectorConfig,
    /// The brands.
    pub brands: Vec<Brand>,
    /// Per brand, in the same order.
    pub results: Vec<BrandResult>,
}

/// Errors of [`evaluate`].
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// `alert.window` is not a whole number of minutes (the replay simulates minutes).
    #[error("alert-eval needs `alert.window` to be whole minutes (this config has {minutes} min)")]
    WindowNotWholeMinutes {
        /// The configured window, in minutes.
        minutes: f64,
    },
    /// `--weeks` or `--brands` is 0.
    #[error("--weeks and --brands must be at least 1 (got {weeks} and {brands})")]
    Empty {
        /// `--weeks`.
        weeks: u32,
        /// `--brands`.
        brands: usize,
    },
    /// `--dispersion` is outside 0..=10.
    #[error("--dispersion must be between 0 and 10 (got {0})")]
    Dispersion(f64),
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

/// Runs the evaluation.
///
/// # Errors
/// [`ReplayError`] for a window that is not a whole number of minutes, no weeks or brands,
/// or a dispersion out of range.
pub fn evaluate(config: &ReplayConfig, detector: &DetectorConfig) -> Result<Report, ReplayError> {
    let window_minutes = 60.0 / detector.windows_per_hour;
    if window_minutes < 1.0 || window_minutes.fract() != 0.0 {
        return Err(ReplayError::WindowNotWholeMinutes {
            minutes: window_minutes,
        });
    }
    if config.eval_weeks == 0 || config.brands == 0 {
        return Err(ReplayError::Empty {
            weeks: config.eval_weeks,
            brands: config.brands,
        });
    }
    if !(config.dispersion >= 0.0 && config.dispersion <= 10.0) {
        return Err(ReplayError::Dispersion(config.dispersion));
    }
    let brands = brands(config);
    let threads = if config.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        config.threads
    }
    .clamp(1, brands.len());
    let mut results = vec![BrandResult::default(); brands.len()];
    std::thread::scope(|s| {
        let chunk = brands.len().div_ceil(threads);
        for (t, out) in results.chunks_mut(chunk).enumerate() {
            let brands = &brands;
            s.spawn(move || {
                for (j, slot) in out.iter_mut().enumerate() {
                    let i = t * chunk + j;
                    *slot = run_brand(i, &brands[i], config, detector, window_minutes as i64);
                }
            });
        }
    });
    Ok(Report {
        config: config.clone(),
        detector: detector.clone(),
        brands,
        results,
    })
}

/// The day-slot spikes of brand `index`: one per evaluated day, kinds, sizes and durations
/// cycling through every combination in a per-brand shuffled order.
fn spikes(index: usize, config: &ReplayConfig, rng: &mut StdRng) -> Vec<Spike> {
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
fn rate(brand: &Brand, minute: i64, day_levels: &[f64]) -> f64 {
    let local = minute as f64 + brand.shift_hours * 60.0;
    let local_day = (local / DAY as f64).floor() as i64;
    let h = (local - (local_day * DAY) as f64) / 60.0;
    // 1970-01-01 was a Thursday: Monday = 0.
    let weekday = (local_day + 3).rem_euclid(7);
    let week = if weekday >= 5 { brand.weekend } else { 1.0 };
    let d = ((minute - START_MINUTE).div_euclid(DAY)) as usize;
    brand.peak * daily_profile(h) * week * day_levels[d.min(day_levels.len() - 1)]
}

fn run_brand(
    index: usize,
    brand: &Brand,
    config: &ReplayConfig,
    det: &DetectorConfig,
    window_minutes: i64,
) -> BrandResult {
    let seed = config.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (index as u64 + 1);
    let mut rng = StdRng::seed_from_u64(seed);
    let total_days = i64::from(config.learn_weeks + config.eval_weeks) * 7;
    let day_levels: Vec<f64> = (0..total_days)
        .map(|_| (config.day_variation * normal(&mut rng)).exp())
        .collect();
    let spikes = spikes(index, config, &mut rng);
    let eval_from = (START_MINUTE + i64::from(config.learn_weeks) * WEEK) / window_minutes;
    let mut result = BrandResult::default();

    // The spiked stream.
    let firings = replay(
        brand,
        config,
        det,
        window_minutes,
        &day_levels,
        &spikes,
        &mut rng,
    );
    for s in &spikes {
        let first = s.start_minute / window_minutes;
        let last = (s.start_minute + i64::from(s.minutes) - 1) / window_minutes;
        let delay = firings
            .iter()
            .find(|f| f.kind == s.kind && f.window >= first && f.window <= last + DETECT_SLACK)
            .map(|f| f.window - first);
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
    let firings = replay(
        brand,
        config,
        det,
        window_minutes,
        &day_levels,
        &[],
        &mut rng,
    );
    for f in firings.iter().filter(|f| f.new && f.window >= eval_from) {
        result.clean_alarms[kind_index(f.kind)] += 1;
    }
    result
}

/// The probability that a reference detector finds `spike`: a single test over exactly the
/// spike's minutes, knowing the true expected counts (`rates`, mentions per minute without the
/// spike), at the false-alarm level [`ORACLE_ALPHA`]. No real detector knows when a spike
/// starts, how long it lasts or the true baseline, so this is an optimistic reference for what
/// any count test can see at one false alarm per brand-week: a spike it misses is lost in the
/// noise of its own stream.
///
/// Volume: counts over the spike are Poisson (negative binomial with the stream's per-minute
/// overdispersion) with the baseline mean; the test fires at the smallest count whose upper tail
/// is at most the level; the power is that count's tail under the spiked mean. Negative share:
/// given the total `n`, negatives are binomial with the baseline share; the power is averaged
/// over the distribution of `n`.
pub fn oracle_power(spike: &Spike, rates: &[f64], share: f64, dispersion: f64) -> f64 {
    let mean: f64 = rates.iter().sum();
    let sq: f64 = rates.iter().map(|r| r * r).sum();
    if mean <= 0.0 {
        return 0.0;
    }
    // Variance / mean of the count over the spike when every rate is multiplied by m:
    // (m * sum(r) + D * m^2 * sum(r^2)) / (m * sum(r)).
    let index = |m: f64| 1.0 + dispersion * m * sq / mean;
    match spike.kind {
        Kind::Volume => {
            let m = f64::from(spike.multiplier);
            let base = index(1.0);
            let k = threshold(mean as u64, |k| count_tail(k, mean, base));
            count_tail(k, mean * m, index(m))
        }
        Kind::Negative => {
            let spiked = (share * f64::from(spike.multiplier)).min(MAX_SHARE);
            let phi = index(1.0);
            let sd = (mean * phi).sqrt();
            let lo = (mean - 8.0 * sd - 5.0).max(0.0) as u64;
            let hi = (mean + 8.0 * sd + 10.0) as u64;
            let z = z_upper(ORACLE_ALPHA);
            let mut power = 0.0;
            let mut mass = 0.0;
            for n in lo..=hi {
                let pn = count_pmf(n, mean, phi);
                mass += pn;
                if pn < 1e-12 || n == 0 {
                    continue;
                }
                let nf = n as f64;
                let hit = if nf * share * (1.0 - share) >= 50.0 {
                    // Normal approximation for large totals.
                    let c = nf * share + z * (nf * share * (1.0 - share)).sqrt();
                    normal_upper((c - nf * spiked) / (nf * spiked * (1.0 - spiked)).sqrt())
                } else {
                    let c = threshold((nf * share) as u64, |k| binomial_tail(k, n, share));
                    binomial_tail(c, n, spiked)
                };
                power += pn * hit;
            }
            if mass > 0.0 {
                power / mass
            } else {
                0.0
            }
        }
    }
}

/// The smallest `k >= start` with `tail(k) <= ORACLE_ALPHA` (`tail` decreasing).
fn threshold(start: u64, tail: impl Fn(u64) -> f64) -> u64 {
    let within = |k: u64| tail(k) <= ORACLE_ALPHA;
    // Bracket the answer in (lo, hi] with `within(hi)`, then bisect.
    let (mut lo, mut hi) = if within(start) {
        if within(0) {
            return 0;
        }
        (0, start)
    } else {
        let mut step = 1u64;
        while !within(start + step) {
            step *= 2;
        }
        (start + step / 2, start + step)
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if within(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// `P(X = n)` for a Poisson (index <= 1) or negative binomial count with this mean and
/// variance `index * mean`.
fn count_pmf(n: u64, mean: f64, index: f64) -> f64 {
    let nf = n as f64;
    if index <= 1.0 + 1e-9 {
        return (nf * mean.ln() - mean - ln_gamma(nf + 1.0)).exp();
    }
    let p = 1.0 / index;
    let r = mean * p / (1.0 - p);
    (ln_gamma(nf + r) - ln_gamma(r) - ln_gamma(nf + 1.0) + r * p.ln() + nf * (1.0 - p).ln()).exp()
}

/// `P(Z >= z)` for a standard normal `Z`.
fn normal_upper(z: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(z / std::f64::consts::SQRT_2)
}

/// The `z` with `P(Z >= z) = alpha`, by bisection.
fn z_upper(alpha: f64) -> f64 {
    let (mut lo, mut hi) = (0.0_f64, 40.0_f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if normal_upper(mid) > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Volume => 0,
        Kind::Negative => 1,
    }
}

/// A firing transition of the replay.
#[derive(Debug, Clone, Copy)]
struct Firing {
    kind: Kind,
    window: i64,
    /// Opens a new alert (not an escalation).
    new: bool,
}

/// Generates the stream minute by minute, feeds its windows to a fresh detector, and returns
/// every firing transition.
fn replay(
    brand: &Brand,
    config: &ReplayConfig,
    det: &DetectorConfig,
    window_minutes: i64,
    day_levels: &[f64],
    spikes: &[Spike],
    rng: &mut StdRng,
) -> Vec<Firing> {
    let mut state = BrandState::default();
    let mut active = [false; 2];
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
        let mut mean = rate(brand, minute, day_levels);
        let mut share = brand.negative_share;
        if let Some(s) = spikes.get(next_spike).filter(|s| s.start_minute <= minute) {
            match s.kind {
                Kind::Volume => mean *= f64::from(s.multiplier),
                Kind::Negative => {
                    share = (share * f64::from(s.multiplier)).min(MAX_SHARE);
                }
            }
        }
        if config.dispersion > 0.0 {
            mean *= gamma(rng, 1.0 / config.dispersion) * config.dispersion;
        }
        // Negatives and the rest as independent Poisson counts: the total is Poisson(mean) and
        // the negatives given the total are Binomial(total, share).
        let neg = poisson(rng, mean * share);
        count += neg + poisson(rng, mean * (1.0 - share));
        negatives += neg;
        if (minute + 1) % window_minutes == 0 {
            let w = minute / window_minutes;
            let (_, transitions) = state.observe(w, count, negatives, det);
            for t in transitions {
                let k = kind_index(t.kind);
                match t.state {
                    AlertState::Firing => {
                        firings.push(Firing {
                            kind: t.kind,
                            window: t.window,
                            new: !active[k],
                        });
                        active[k] = true;
                    }
                    AlertState::Resolved => active[k] = false,
                }
            }
            count = 0;
            negatives = 0;
        }
    }
    firings
}

/// A standard normal variate (Box-Muller).
fn normal(rng: &mut StdRng) -> f64 {
    let u1: f64 = 1.0 - rng.gen::<f64>();
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A Gamma(shape, 1) variate (Marsaglia and Tsang).
pub fn gamma(rng: &mut StdRng, shape: f64) -> f64 {
    if shape < 1.0 {
        let u: f64 = 1.0 - rng.gen::<f64>();
        return gamma(rng, shape + 1.0) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u: f64 = 1.0 - rng.gen::<f64>();
        if u < 1.0 - 0.0331 * x.powi(4) || u.ln() < 0.5 * x * x + d * (1.0 - v + v.ln()) {
            return d * v;
        }
    }
}

/// A Poisson(mean) variate: multiplication below 12, Hörmann's PTRS above.
pub fn poisson(rng: &mut StdRng, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    if mean < 12.0 {
        let limit = (-mean).exp();
        let mut k = 0;
        let mut p: f64 = rng.gen();
        while p > limit {
            k += 1;
            p *= rng.gen::<f64>();
        }
        return k;
    }
    let slam = mean.sqrt();
    let loglam = mean.ln();
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.02483 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = rng.gen::<f64>() - 0.5;
        let v: f64 = rng.gen();
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + mean + 0.43).floor();
        if us >= 0.07 && v <= vr {
            return k as u64;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        if v.ln() + inv_alpha.ln() - (a / (us * us) + b).ln()
            <= -mean + k * loglam - ln_gamma(k + 1.0)
        {
            return k as u64;
        }
    }
}

/// Spikes counted in the headline recall: at least 3x (volume or share) for at least 10 min.
fn headline(o: &Outcome) -> bool {
    o.spike.multiplier >= 3 && o.spike.minutes >= 10
}

impl Report {
    fn outcomes(&self) -> impl Iterator<Item = &Outcome> {
        self.results.iter().flat_map(|r| r.outcomes.iter())
    }

    /// Recall and delay of the spikes of at least 3x lasting at least 10 minutes (both kinds,
    /// every class).
    pub fn headline(&self) -> Cell {
        Cell::of(self.outcomes().filter(|o| headline(o)))
    }

    /// The same spikes, restricted to the detectable ones: those the reference detector finds
    /// with probability >= [`DETECTABLE`].
    pub fn headline_detectable(&self) -> Cell {
        Cell::of(
            self.outcomes()
                .filter(|o| headline(o) && o.oracle >= DETECTABLE),
        )
    }

    /// Brand-weeks evaluated (per stream).
    pub fn brand_weeks(&self) -> f64 {
        self.brands.len() as f64 * f64::from(self.config.eval_weeks)
    }

    /// New alerts per brand-week on the spike-free streams (both kinds), over brands of
    /// `class` (all when `None`).
    pub fn false_alarms_per_brand_week(&self, class: Option<VolumeClass>) -> f64 {
        let (mut alarms, mut brands) = (0u64, 0usize);
        for (b, r) in self.brands.iter().zip(&self.results) {
            if class.is_none_or(|c| c == b.class) {
                alarms += r.clean_alarms.iter().sum::<u64>();
                brands += 1;
            }
        }
        if brands == 0 {
            return 0.0;
        }
        alarms as f64 / (brands as f64 * f64::from(self.config.eval_weeks))
    }

    /// The last line: `recall_3x10m=<x> false_alarms_per_brand_week=<y> median_delay=<z>
    /// reference_recall_3x10m=<r> detectable_share=<s> recall_detectable_3x10m=<d>`.
    pub fn summary_line(&self) -> String {
        let h = self.headline();
        let d = self.headline_detectable();
        format!(
            "recall_3x10m={:.3} false_alarms_per_brand_week={:.3} median_delay={} reference_recall_3x10m={:.3} detectable_share={:.3} recall_detectable_3x10m={:.3}",
            h.recall(),
            self.false_alarms_per_brand_week(None),
            h.median_delay.map_or("na".to_string(), |d| d.to_string()),
            h.reference,
            d.spikes as f64 / h.spikes.max(1) as f64,
            d.recall(),
        )
    }

    /// The readable report; its last line is [`Report::summary_line`].
    pub fn render(&self) -> String {
        let c = &self.config;
        let d = &self.detector;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "alert-eval: {} brands ({} low / {} mid / {} high volume), {} learning + {} evaluated weeks, seed {}, {}",
            self.brands.len(),
            self.brands.iter().filter(|b| b.class == VolumeClass::Low).count(),
            self.brands.iter().filter(|b| b.class == VolumeClass::Mid).count(),
            self.brands.iter().filter(|b| b.class == VolumeClass::High).count(),
            c.learn_weeks,
            c.eval_weeks,
            c.seed,
            if c.dispersion > 0.0 {
                format!("gamma-Poisson counts (dispersion {}: variance = mean + {} mean^2)", c.dispersion, c.dispersion)
            } else {
                "Poisson counts".to_string()
            }
        );
        let _ = writeln!(
            out,
            "detector: {} min windows, warm-up {}, min_count {}, min_ratio {}, p {:e}, critical {:e}, persistence {} of {}, cooldown {}",
            60.0 / d.windows_per_hour,
            d.warmup_windows,
            d.min_count,
            d.min_ratio,
            d.p_value,
            d.critical_p_value,
            d.persistence_k,
            d.persistence_n,
            d.cooldown_windows
        );
        let _ = writeln!(
            out,
            "classes: mentions/min at weekday peak: low 0.5-2, mid 5-30, high 100-250; night trough 12% of peak"
        );
        let _ = writeln!(
            out,
            "detected = a firing of the spike's kind in [first window, last window + {DETECT_SLACK}]; delay in windows from the first window"
        );
        let _ = writeln!(
            out,
            "reference = expected recall of a test that knows each spike's exact minutes and true baseline, at one false alarm per brand-week ({ORACLE_ALPHA:.2e} per test); detectable = reference >= {DETECTABLE}"
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<9} {:<5} {:>4} {:>5} {:>7} {:>8} {:>7} {:>6} {:>6} {:>9}",
            "kind",
            "class",
            "size",
            "dur",
            "spikes",
            "detected",
            "recall",
            "d_med",
            "d_p95",
            "reference"
        );
        let mut cells: BTreeMap<(u8, VolumeClass, u32, u32), Vec<&Outcome>> = BTreeMap::new();
        for o in self.outcomes() {
            let k = kind_index(o.spike.kind) as u8;
            cells
                .entry((k, o.class, o.spike.multiplier, o.spike.minutes))
                .or_default()
                .push(o);
        }
        let fmt_d = |d: Option<i64>| d.map_or("-".to_string(), |d| d.to_string());
        for ((k, class, m, dur), os) in &cells {
            let cell = Cell::of(os.iter().copied());
            let _ = writeln!(
                out,
                "{:<9} {:<5} {:>3}x {:>4}m {:>7} {:>8} {:>7.3} {:>6} {:>6} {:>9.3}",
                Kind::ALL[*k as usize].as_str(),
                class.as_str(),
                m,
                dur,
                cell.spikes,
                cell.detected,
                cell.recall(),
                fmt_d(cell.median_delay),
                fmt_d(cell.p95_delay),
                cell.reference
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "spikes >= 3x lasting >= 10 min:");
        let mut row = |label: String, cell: Cell| {
            let _ = writeln!(
                out,
                "  {:<42} {:>6} {:>8} {:>7.3} {:>6} {:>6} {:>9.3}",
                label,
                cell.spikes,
                cell.detected,
                cell.recall(),
                fmt_d(cell.median_delay),
                fmt_d(cell.p95_delay),
                cell.reference
            );
        };
        for kind in Kind::ALL {
            for class in VolumeClass::ALL {
                row(
                    format!("{} {}", kind.as_str(), class.as_str()),
                    Cell::of(
                        self.outcomes()
                            .filter(|o| headline(o) && o.spike.kind == kind && o.class == class),
                    ),
                );
            }
        }
        for (lo, hi) in [
            (0.0, 2.0),
            (2.0, 5.0),
            (5.0, 10.0),
            (10.0, 50.0),
            (50.0, f64::INFINITY),
        ] {
            row(
                format!("volume, baseline {lo}-{hi} per window"),
                Cell::of(self.outcomes().filter(|o| {
                    headline(o)
                        && o.spike.kind == Kind::Volume
                        && o.baseline >= lo
                        && o.baseline < hi
                })),
            );
        }
        row(
            "all (mid + high volume)".into(),
            Cell::of(
                self.outcomes()
                    .filter(|o| headline(o) && o.class != VolumeClass::Low),
            ),
        );
        row("all".into(), self.headline());
        for class in VolumeClass::ALL {
            row(
                format!("detectable, {}", class.as_str()),
                Cell::of(
                    self.outcomes()
                        .filter(|o| headline(o) && o.oracle >= DETECTABLE && o.class == class),
                ),
            );
        }
        row("detectable, all".into(), self.headline_detectable());
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "false alarms (new alerts) per brand-week: spike-free streams; in brackets: spiked streams, alerts not within {ALARM_SLACK} windows of a spike"
        );
        for class in VolumeClass::ALL
            .into_iter()
            .map(Some)
            .chain(std::iter::once(None))
        {
            let (mut clean, mut stray, mut n) = ([0u64; 2], [0u64; 2], 0usize);
            for (b, r) in self.brands.iter().zip(&self.results) {
                if class.is_none_or(|c| c == b.class) {
                    n += 1;
                    for k in 0..2 {
                        clean[k] += r.clean_alarms[k];
                        stray[k] += r.stray_alarms[k];
                    }
                }
            }
            let bw = (n as f64 * f64::from(c.eval_weeks)).max(1.0);
            let _ = writeln!(
                out,
                "  {:<5} {:>5} brand-weeks: volume {:.3} ({:.3}), negative {:.3} ({:.3}), total {:.3} ({:.3})",
                class.map_or("all", |c| c.as_str()),
                n as u64 * u64::from(c.eval_weeks),
                clean[0] as f64 / bw,
                stray[0] as f64 / bw,
                clean[1] as f64 / bw,
                stray[1] as f64 / bw,
                (clean[0] + clean[1]) as f64 / bw,
                (stray[0] + stray[1]) as f64 / bw,
            );
        }
        let _ = writeln!(out);
        out.push_str(&self.summary_line());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            ..ReplayConfig::default()
        };
        let r = evaluate(&config, &DetectorConfig::default()).unwrap();
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
        let det = DetectorConfig::default();
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
}
