//! The spike detector: a synchronous, per-brand state machine fed one closed window at a time.
//! No I/O, no clock: the stage (and the replay harness) hand it `(window index, mentions,
//! negative mentions)`. See `docs/alerts.md` for the model and its defaults.

use serde::{Deserialize, Serialize};
use statrs::function::beta::beta_reg;
use statrs::function::gamma::gamma_lr;

use crate::config::AlertConfig;
use crate::record::alert::{AlertState, Kind, Severity};

/// Detector settings, validated by the config (`[alert]`).
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorConfig {
    /// Windows per hour (60 for 1-minute windows): sizes the seasonal buckets' memories.
    pub windows_per_hour: f64,
    /// Windows a brand must have been seen for before it can alert.
    pub warmup_windows: u64,
    /// Volume: at least this many mentions in a window to count as a spike window. Negative
    /// share: at least this many mentions (and half as many negative ones) in the window.
    pub min_count: u64,
    /// Volume: observed must also be at least this multiple of the expected count.
    pub min_ratio: f64,
    /// A window is significant when its tail probability is below this.
    pub p_value: f64,
    /// An alert whose smallest p-value is below this is `critical` (else `warning`).
    pub critical_p_value: f64,
    /// Fire when at least `persistence_k` of the last `persistence_n` windows are significant.
    pub persistence_k: u32,
    /// See `persistence_k`. At most 32.
    pub persistence_n: u32,
    /// After an alert resolves, the same kind stays quiet for this many windows.
    pub cooldown_windows: u64,
    /// Also test the sum of the last this many windows (a sustained rise that no single
    /// window shows, as for low-volume brands); 0 or 1 turns it off.
    pub span_windows: u32,
    /// A second, longer span (e.g. 30 windows) for sustained rises of small brands that even
    /// `span_windows` cannot see; 0 or 1 turns it off.
    pub long_span_windows: u32,
    /// Relative error of the baseline (standard deviation of actual/expected level, e.g. a
    /// day busier than usual): the tests' variance is `dispersion * mean + (e * mean)^2`, so
    /// high-volume brands and long spans do not alert on ordinary level changes.
    pub baseline_error: f64,
}

/// The detector's settings of the `[alert]` section.
impl From<&AlertConfig> for DetectorConfig {
    fn from(c: &AlertConfig) -> Self {
        DetectorConfig {
            windows_per_hour: 3600.0 / c.window.as_secs_f64(),
            warmup_windows: c.warmup_windows,
            min_count: c.min_count,
            min_ratio: c.min_ratio,
            p_value: c.p_value,
            critical_p_value: c.critical_p_value,
            persistence_k: c.persistence_k,
            persistence_n: c.persistence_n,
            cooldown_windows: c.cooldown_windows,
            span_windows: c.span_windows,
            long_span_windows: c.long_span_windows,
            baseline_error: c.baseline_error,
        }
    }
}

/// The settings of the default `[alert]` section: the defaults are defined once, in the
/// config.
impl Default for DetectorConfig {
    fn default() -> Self {
        Self::from(&AlertConfig::default())
    }
}

/// The test of one window for one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Volume: mentions; negative: negative mentions (this window).
    pub observed: u64,
    /// Expected value of `observed` under the baseline.
    pub expected: f64,
    /// The smaller of the window's and the span's upper-tail probabilities (1 when not
    /// tested, e.g. during warm-up).
    pub p_value: f64,
    /// Whether the window counts towards persistence (the window's or the span's test).
    pub significant: bool,
    /// Windows summed by the (more significant) span test (0 when none ran).
    #[serde(default)]
    pub span_windows: u32,
    /// `observed` summed over the span.
    #[serde(default)]
    pub span_observed: u64,
    /// `expected` summed over the span.
    #[serde(default)]
    pub span_expected: f64,
}

/// A change of alert state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// Which alert.
    pub kind: Kind,
    /// Firing (new or escalated) or resolved.
    pub state: AlertState,
    /// Severity (of the alert that fired or resolved).
    pub severity: Severity,
    /// Window index the alert started in.
    pub started: i64,
    /// Window index of this transition.
    pub window: i64,
    /// Smallest p-value while active.
    pub p_value: f64,
    /// The transition window's evaluation.
    pub evaluation: Evaluation,
}

/// An exponentially weighted mean and variance that starts as a plain running mean.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Ewma {
    /// Observations so far.
    pub n: u64,
    /// Mean.
    pub mean: f64,
    /// Variance.
    pub var: f64,
}

impl Ewma {
    /// Adds `x` with weight `max(1/n, alpha)`.
    pub fn update(&mut self, x: f64, alpha: f64) {
        self.n += 1;
        let a = (1.0 / self.n as f64).max(alpha);
        let d = x - self.mean;
        self.mean += a * d;
        self.var = (1.0 - a) * (self.var + a * d * d);
    }
}

/// Per-kind alert state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KindState {
    /// Significance of the last windows, newest in bit 0.
    pub recent: u32,
    /// The active alert, if any.
    pub active: Option<Active>,
    /// No new alert before this window index.
    pub quiet_until: i64,
}

/// An active alert.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Active {
    /// Window index it started in.
    pub started: i64,
    /// Current severity.
    pub severity: Severity,
    /// Smallest p-value so far.
    pub p_value: f64,
}

/// Everything the detector knows about one brand: what the checkpoint topic stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrandState {
    /// Windows observed (warm-up counter).
    pub windows: u64,
    /// Index of the last window observed.
    pub last_window: Option<i64>,
    /// Recent mentions per window (about the last half hour).
    pub recent: Ewma,
    /// Mentions per window by hour of day (UTC), about a week of memory.
    pub hour_of_day: Vec<Ewma>,
    /// Mentions per window by hour of week (UTC, Monday 00:00 first), about four weeks.
    pub hour_of_week: Vec<Ewma>,
    /// Dispersion: mean of (count - expected)^2 / expected over quiet windows (1 = Poisson).
    /// The fallback while `dispersion_fit` is young (and in checkpoints written before it).
    pub dispersion: f64,
    /// How the dispersion grows with the expected count (busy hours of an overdispersed
    /// brand vary more than quiet ones).
    #[serde(default)]
    pub dispersion_fit: DispersionFit,
    /// Negative mentions per window, smoothed (about a day), for the baseline share.
    pub negatives: f64,
    /// Mentions per window, smoothed like `negatives`.
    pub totals: f64,
    /// Alert state per kind: volume, negative.
    pub kinds: [KindState; 2],
    /// The last windows, newest last, for the span test: (count, expected count,
    /// negatives, baseline negative share).
    #[serde(default)]
    pub history: std::collections::VecDeque<(u64, f64, u64, f64)>,
}

impl Default for BrandState {
    fn default() -> Self {
        Self {
            windows: 0,
            last_window: None,
            recent: Ewma::default(),
            hour_of_day: vec![Ewma::default(); 24],
            hour_of_week: vec![Ewma::default(); 168],
            dispersion: 1.0,
            dispersion_fit: DispersionFit::default(),
            // Prior: 20% negative, worth about 20 mentions.
            negatives: 0.0,
            totals: 0.0,
            kinds: Default::default(),
            history: std::collections::VecDeque::new(),
        }
    }
}

/// A least-squares line through the quiet windows' `(expected, (count - expected)^2 /
/// expected)`: the dispersion at expected count `e` is `a + b * e`, i.e. the variance of a
/// window's count is `a * e + b * e^2`. This covers Poisson (`a = 1, b = 0`), a constant
/// overdispersion (`b = 0`) and the gamma-Poisson / negative binomial of counts whose rate
/// itself varies (`a = 1, b` = the rate's squared coefficient of variation). Kept as
/// exponentially weighted moments (about a day of windows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DispersionFit {
    /// Windows learned.
    pub n: u64,
    /// Mean expected count.
    pub e: f64,
    /// Mean dispersion ratio.
    pub r: f64,
    /// Mean of `e^2`.
    pub ee: f64,
    /// Mean of `r * e`.
    pub re: f64,
    /// Mean of `r^2`.
    pub rr: f64,
}

/// Windows the fit needs (two hours of 1-minute windows) before it replaces the constant.
const FIT_MIN_WINDOWS: u64 = 120;

impl DispersionFit {
    /// Learns one quiet window: expected count `e`, ratio `r`.
    pub fn update(&mut self, e: f64, r: f64, alpha: f64) {
        self.n += 1;
        let a = (1.0 / self.n as f64).max(alpha);
        self.e += a * (e - self.e);
        self.r += a * (r - self.r);
        self.ee += a * (e * e - self.ee);
        self.re += a * (r * e - self.re);
        self.rr += a * (r * r - self.rr);
    }

    /// The dispersion (at least 1) at expected count `e`, or `fallback` while the fit is young.
    /// `alpha` is the weight `update` was given (for the slope's standard error).
    pub fn at(&self, e: f64, fallback: f64, alpha: f64) -> f64 {
        if self.n < FIT_MIN_WINDOWS {
            return fallback.max(1.0);
        }
        let var_e = (self.ee - self.e * self.e).max(0.0);
        let cov = self.re - self.r * self.e;
        // A slope only where the expected count varied enough (by 10%) to measure one, and
        // only where it is clearly (two standard errors) above zero: a noisy slope would
        // blunt the tests of small brands for nothing.
        let mut b = 0.0;
        if var_e > (0.1 * self.e).powi(2) && cov > 0.0 {
            let slope = cov / var_e;
            let var_r = (self.rr - self.r * self.r).max(0.0);
            let resid = (var_r - slope * cov).max(0.0);
            let n_eff = (self.n as f64).min(2.0 / alpha);
            let se = (resid / (n_eff * var_e)).sqrt();
            if slope > 2.0 * se {
                b = slope;
            }
        }
        let a = (self.r - b * self.e).max(1.0);
        a + b * e.max(0.0)
    }
}

/// The dispersion's memory: about a day of windows.
fn dispersion_alpha(cfg: &DetectorConfig) -> f64 {
    1.0 / (24.0 * cfg.windows_per_hour)
}

/// One kind's span tests in a window: the most significant span so far, and whether the short
/// span is up (at least `min_ratio` times its expected count).
struct SpanPick {
    /// (p-value, significant) of the most significant span.
    test: (f64, bool),
    /// Its length in windows (0: no span ran).
    span: u32,
    /// Its (observed, expected) sums.
    sums: (u64, f64),
    /// Whether the recent windows are up: the short span's verdict once it has run, the
    /// window's own before.
    up: bool,
}

impl SpanPick {
    fn new(up: bool) -> Self {
        Self {
            test: (1.0, false),
            span: 0,
            sums: (0, 0.0),
            up,
        }
    }

    /// Offers span `span`'s test of `sums` (observed, expected). The short span records
    /// whether it is up; a longer span counts only while it is, i.e. for a sustained rise
    /// (without this, a spike that is over but still inside the long span fires again when
    /// the stream goes quiet and its baseline sinks).
    fn offer(
        &mut self,
        mut test: (f64, bool),
        span: usize,
        short: bool,
        sums: (u64, f64),
        min_ratio: f64,
    ) {
        if short {
            self.up = sums.0 as f64 >= min_ratio * sums.1;
        } else {
            test.1 &= self.up;
        }
        if self.span == 0 || test.0 < self.test.0 {
            self.test = test;
            self.span = span as u32;
            self.sums = sums;
        }
    }
}

/// The long span runs only where the short span expects fewer mentions than this.
const LONG_SPAN_BELOW: f64 = 50.0;

/// Prior for the negative share.
const PRIOR_SHARE: f64 = 0.2;
const PRIOR_WEIGHT: f64 = 20.0;

/// `P(X >= k)` for `X ~ Poisson(mean)`.
pub fn poisson_tail(k: u64, mean: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if mean <= 0.0 {
        return 0.0;
    }
    gamma_lr(k as f64, mean).clamp(0.0, 1.0)
}

/// `P(X >= k)` for a negative binomial with this mean and variance `dispersion * mean`
/// (Poisson when `dispersion <= 1`).
pub fn count_tail(k: u64, mean: f64, dispersion: f64) -> f64 {
    if dispersion <= 1.0 + 1e-9 || mean <= 0.0 {
        return poisson_tail(k, mean);
    }
    if k == 0 {
        return 1.0;
    }
    // Failures before r successes, success probability p: mean r(1-p)/p, variance mean/p.
    let p = 1.0 / dispersion;
    let r = mean * p / (1.0 - p);
    beta_reg(k as f64, r, 1.0 - p).clamp(0.0, 1.0)
}

/// `P(X >= x)` for `X ~ Binomial(n, p)`.
pub fn binomial_tail(x: u64, n: u64, p: f64) -> f64 {
    if x == 0 {
        return 1.0;
    }
    if x > n || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    beta_reg(x as f64, (n - x + 1) as f64, p).clamp(0.0, 1.0)
}

impl BrandState {
    /// Expected mentions in window `w` (an index of windows since the Unix epoch).
    pub fn expected(&self, w: i64, cfg: &DetectorConfig) -> f64 {
        let (hod, how) = hours(w, cfg);
        let wph = cfg.windows_per_hour;
        let recent = self.recent.mean;
        let day = &self.hour_of_day[hod];
        let week = &self.hour_of_week[how];
        // Prefer the week's shape, then the day's, then the recent level; blend while a
        // bucket is young so the estimate does not jump.
        let day_w = (day.n as f64 / (2.0 * wph)).min(1.0);
        let by_day = day_w * day.mean + (1.0 - day_w) * recent;
        let week_w = (week.n as f64 / (2.0 * wph)).min(1.0);
        week_w * week.mean + (1.0 - week_w) * by_day
    }

    /// The dispersion of a window's count where `expected` mentions are expected.
    pub fn dispersion_at(&self, expected: f64, cfg: &DetectorConfig) -> f64 {
        self.dispersion_fit
            .at(expected, self.dispersion, dispersion_alpha(cfg))
    }

    /// Baseline negative share.
    pub fn negative_share(&self) -> f64 {
        (self.negatives + PRIOR_SHARE * PRIOR_WEIGHT / 60.0) / (self.totals + PRIOR_WEIGHT / 60.0)
    }

    /// Observes closed window `w` with `count` mentions, `negatives` of them negative, and
    /// returns both kinds' evaluations and any alert transitions. Windows must come in
    /// order; skipped windows are observed as empty first (at most a day of them).
    pub fn observe(
        &mut self,
        w: i64,
        count: u64,
        negatives: u64,
        cfg: &DetectorConfig,
    ) -> ([Evaluation; 2], Vec<Transition>) {
        let mut transitions = Vec::new();
        if let Some(last) = self.last_window {
            if w <= last {
                // Already observed (e.g. replayed after a restore): ignore.
                let none = Evaluation {
                    p_value: 1.0,
                    ..Evaluation::default()
                };
                return ([none, none], transitions);
            }
            let gap = (w - last - 1).min((24.0 * cfg.windows_per_hour) as i64);
            for skipped in (w - gap)..w {
                let (_, t) = self.step(skipped, 0, 0, cfg);
                transitions.extend(t);
            }
        }
        let (evals, t) = self.step(w, count, negatives, cfg);
        transitions.extend(t);
        (evals, transitions)
    }

    fn step(
        &mut self,
        w: i64,
        count: u64,
        negatives: u64,
        cfg: &DetectorConfig,
    ) -> ([Evaluation; 2], Vec<Transition>) {
        let warm = self.windows >= cfg.warmup_windows;
        let expected = self.expected(w, cfg).max(0.0);
        let share = self.negative_share();
        // `c` mentions where `e` are expected over `windows` windows.
        let volume_test = |c: u64, e: f64, windows: usize| -> (f64, bool) {
            let p = if warm && e > 0.0 {
                let err = cfg.baseline_error;
                let dispersion = self.dispersion_at(e / windows.max(1) as f64, cfg);
                count_tail(c, e, dispersion + err * err * e)
            } else {
                1.0
            };
            (
                p,
                warm && p < cfg.p_value && c >= cfg.min_count && c as f64 >= cfg.min_ratio * e,
            )
        };
        // `n` of `c` negative where `e` negatives are expected.
        let share_test = |n: u64, c: u64, e: f64| -> (f64, bool) {
            let p = if warm && c > 0 {
                binomial_tail(n, c, (e / c as f64).clamp(0.0, 1.0))
            } else {
                1.0
            };
            (
                p,
                warm && p < cfg.p_value
                    && c >= cfg.min_count
                    && n * 2 >= cfg.min_count
                    && n as f64 >= cfg.min_ratio * e,
            )
        };
        let (vol_p, vol_sig) = volume_test(count, expected, 1);
        let (neg_p, neg_sig) = share_test(negatives, count, share * count as f64);
        // The spans: this window and the ones before it. Each span is tested; the evaluation
        // reports the more significant one.
        let spans = [cfg.span_windows as usize, cfg.long_span_windows as usize];
        let keep = spans.iter().copied().max().unwrap_or(0);
        let mut best_vol = SpanPick::new(count as f64 >= cfg.min_ratio * expected);
        let mut best_neg = SpanPick::new(negatives as f64 >= cfg.min_ratio * share * count as f64);
        for span in spans {
            if span <= 1 || self.history.len() + 1 < span {
                continue;
            }
            // The long span is for small brands: where the short span already expects
            // LONG_SPAN_BELOW mentions it sees everything the long one would, and on busy,
            // overdispersed streams the long one only adds false alarms.
            if span != cfg.span_windows as usize
                && expected * cfg.span_windows.max(1) as f64 >= LONG_SPAN_BELOW
            {
                continue;
            }
            let mut sums = (count, expected, negatives, share * count as f64);
            for &(c, e, n, sh) in self.history.iter().rev().take(span - 1) {
                sums.0 += c;
                sums.1 += e;
                sums.2 += n;
                sums.3 += sh * c as f64;
            }
            let short = span == cfg.span_windows as usize;
            let vol = volume_test(sums.0, sums.1, span);
            best_vol.offer(vol, span, short, (sums.0, sums.1), cfg.min_ratio);
            // The share test on the long span too, which only runs for small brands (over 30
            // windows of a busy brand, a binomial test sees the baseline share's own small
            // errors).
            let neg = share_test(sums.2, sums.0, sums.3);
            best_neg.offer(neg, span, short, (sums.2, sums.3), cfg.min_ratio);
        }
        let volume = Evaluation {
            observed: count,
            expected,
            p_value: vol_p.min(best_vol.test.0),
            significant: vol_sig || best_vol.test.1,
            span_windows: best_vol.span,
            span_observed: best_vol.sums.0,
            span_expected: best_vol.sums.1,
        };
        let negative = Evaluation {
            observed: negatives,
            expected: share * count as f64,
            p_value: neg_p.min(best_neg.test.0),
            significant: neg_sig || best_neg.test.1,
            span_windows: best_neg.span,
            span_observed: best_neg.sums.0,
            span_expected: best_neg.sums.1,
        };
        let (vol_sig, neg_sig) = (volume.significant, negative.significant);
        if keep > 1 {
            self.history.push_back((count, expected, negatives, share));
            while self.history.len() >= keep {
                self.history.pop_front();
            }
        } else {
            self.history.clear();
        }
        let evals = [volume, negative];

        // Baselines learn from every window, spikes capped so they do not raise the bar.
        let dispersion = self.dispersion_at(expected, cfg);
        let cap = expected + 3.0 * (dispersion * expected).sqrt() + 3.0;
        let learned = if warm && vol_sig {
            // A spike (in this window or the span) is not learned as normal.
            (count as f64).min(expected)
        } else if warm {
            (count as f64).min(cap)
        } else {
            count as f64
        };
        if warm && !vol_sig && expected > 0.5 {
            let d = count as f64 - expected;
            let alpha = dispersion_alpha(cfg);
            // Clipped against a stray spike, but well above the ratios an overdispersed
            // brand's busy hours really show (a clip at the mean would bias the fit down).
            let ratio = (d * d / expected).min(10.0 * dispersion.max(5.0));
            self.dispersion = (self.dispersion + alpha * (ratio - self.dispersion)).max(1.0);
            self.dispersion_fit.update(expected, ratio, alpha);
        }
        let (hod, how) = hours(w, cfg);
        let wph = cfg.windows_per_hour;
        self.recent.update(learned, 2.0 / 31.0);
        self.hour_of_day[hod].update(learned, 1.0 / (7.0 * wph));
        self.hour_of_week[how].update(learned, 1.0 / (4.0 * wph));
        if !neg_sig {
            // A running mean at first, then a day-long average: the first windows do not
            // weigh on the share for a day (as a plain average from the first window would).
            let a = (1.0 / (self.windows + 1) as f64).max(1.0 / (24.0 * wph));
            self.negatives += a * (negatives as f64 - self.negatives);
            self.totals += a * (count as f64 - self.totals);
        }
        self.windows += 1;
        self.last_window = Some(w);

        let mut transitions = Vec::new();
        for (i, kind) in Kind::ALL.into_iter().enumerate() {
            let ev = evals[i];
            let ks = &mut self.kinds[i];
            let mask = if cfg.persistence_n >= 32 {
                u32::MAX
            } else {
                (1u32 << cfg.persistence_n) - 1
            };
            ks.recent = ((ks.recent << 1) | u32::from(ev.significant)) & mask;
            let hits = ks.recent.count_ones();
            let severity_of = |p: f64| {
                if p < cfg.critical_p_value {
                    Severity::Critical
                } else {
                    Severity::Warning
                }
            };
            match &mut ks.active {
                None => {
                    if hits >= cfg.persistence_k && w >= ks.quiet_until {
                        // The alert starts at the first significant window of the run.
                        let started = w - i64::from(31 - ks.recent.leading_zeros());
                        let p = ev.p_value;
                        let a = Active {
                            started,
                            severity: severity_of(p),
                            p_value: p,
                        };
                        ks.active = Some(a);
                        transitions.push(Transition {
                            kind,
                            state: AlertState::Firing,
                            severity: a.severity,
                            started,
                            window: w,
                            p_value: p,
                            evaluation: ev,
                        });
                    }
                }
                Some(a) => {
                    if ev.significant && ev.p_value < a.p_value {
                        a.p_value = ev.p_value;
                        let s = severity_of(a.p_value);
                        if s > a.severity {
                            a.severity = s;
                            transitions.push(Transition {
                                kind,
                                state: AlertState::Firing,
                                severity: s,
                                started: a.started,
                                window: w,
                                p_value: a.p_value,
                                evaluation: ev,
                            });
                        }
                    }
                    if hits == 0 {
                        transitions.push(Transition {
                            kind,
                            state: AlertState::Resolved,
                            severity: a.severity,
                            started: a.started,
                            window: w,
                            p_value: a.p_value,
                            evaluation: ev,
                        });
                        ks.active = None;
                        ks.quiet_until = w + cfg.cooldown_windows as i64;
                    }
                }
            }
        }
        (evals, transitions)
    }
}

/// Hour of day and hour of week (Monday 00:00 UTC = 0) of window `w`.
fn hours(w: i64, cfg: &DetectorConfig) -> (usize, usize) {
    let hour = (w as f64 / cfg.windows_per_hour).floor() as i64;
    // 1970-01-01 was a Thursday: hour 0 of the epoch is hour 72 of its week.
    let how = (hour + 72).rem_euclid(168) as usize;
    (hour.rem_euclid(24) as usize, how)
}

#[cfg(test)]
mod tests {
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
}
