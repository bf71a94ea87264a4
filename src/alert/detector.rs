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

    /// Observes one window (in order, not seen before): tests it, keeps it for the span tests,
    /// learns it into the baselines, and advances both kinds' alerts.
    fn step(
        &mut self,
        w: i64,
        count: u64,
        negatives: u64,
        cfg: &DetectorConfig,
    ) -> ([Evaluation; 2], Vec<Transition>) {
        let win = Window {
            w,
            count,
            negatives,
            expected: self.expected(w, cfg).max(0.0),
            share: self.negative_share(),
            warm: self.windows >= cfg.warmup_windows,
        };
        let evals = self.evaluate(&win, cfg);
        self.remember(&win, cfg);
        self.learn(&win, [evals[0].significant, evals[1].significant], cfg);
        let transitions = self.advance_alerts(w, &evals, cfg);
        (evals, transitions)
    }

    /// Both kinds' evaluations of `win`: the window's own test and the spans' (this window
    /// and the ones before it), reporting the more significant.
    fn evaluate(&self, win: &Window, cfg: &DetectorConfig) -> [Evaluation; 2] {
        let (vol_p, vol_sig) = self.volume_test(win.count, win.expected, 1, win.warm, cfg);
        let (neg_p, neg_sig) = share_test(
            win.negatives,
            win.count,
            win.expected_negatives(),
            win.warm,
            cfg,
        );
        let [best_vol, best_neg] = self.span_tests(win, cfg);
        let volume = Evaluation {
            observed: win.count,
            expected: win.expected,
            p_value: vol_p.min(best_vol.test.0),
            significant: vol_sig || best_vol.test.1,
            span_windows: best_vol.span,
            span_observed: best_vol.sums.0,
            span_expected: best_vol.sums.1,
        };
        let negative = Evaluation {
            observed: win.negatives,
            expected: win.expected_negatives(),
            p_value: neg_p.min(best_neg.test.0),
            significant: neg_sig || best_neg.test.1,
            span_windows: best_neg.span,
            span_observed: best_neg.sums.0,
            span_expected: best_neg.sums.1,
        };
        [volume, negative]
    }

    /// The volume test of `c` mentions where `e` are expected over `windows` windows:
    /// (upper-tail p-value, significant).
    fn volume_test(
        &self,
        c: u64,
        e: f64,
        windows: usize,
        warm: bool,
        cfg: &DetectorConfig,
    ) -> (f64, bool) {
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
    }

    /// The span tests of both kinds (volume, negative): each configured span that the history
    /// covers is tested, and the most significant one of each kind is picked.
    fn span_tests(&self, win: &Window, cfg: &DetectorConfig) -> [SpanPick; 2] {
        let mut best_vol = SpanPick::new(win.count as f64 >= cfg.min_ratio * win.expected);
        // `min_ratio * share * count` in this order, as the figures were made.
        let mut best_neg =
            SpanPick::new(win.negatives as f64 >= cfg.min_ratio * win.share * win.count as f64);
        for span in spans(cfg) {
            if span <= 1 || self.history.len() + 1 < span {
                continue;
            }
            // The long span is for small brands: where the short span already expects
            // LONG_SPAN_BELOW mentions it sees everything the long one would, and on busy,
            // overdispersed streams the long one only adds false alarms.
            if span != cfg.span_windows as usize
                && win.expected * cfg.span_windows.max(1) as f64 >= LONG_SPAN_BELOW
            {
                continue;
            }
            let sums = self.span_sums(win, span);
            let short = span == cfg.span_windows as usize;
            let vol = self.volume_test(sums.0, sums.1, span, win.warm, cfg);
            best_vol.offer(vol, span, short, (sums.0, sums.1), cfg.min_ratio);
            // The share test on the long span too, which only runs for small brands (over 30
            // windows of a busy brand, a binomial test sees the baseline share's own small
            // errors).
            let neg = share_test(sums.2, sums.0, sums.3, win.warm, cfg);
            best_neg.offer(neg, span, short, (sums.2, sums.3), cfg.min_ratio);
        }
        [best_vol, best_neg]
    }

    /// `win` and the `span - 1` windows before it, summed: (mentions, expected mentions,
    /// negatives, expected negatives).
    fn span_sums(&self, win: &Window, span: usize) -> (u64, f64, u64, f64) {
        let mut sums = (
            win.count,
            win.expected,
            win.negatives,
            win.expected_negatives(),
        );
        for &(c, e, n, sh) in self.history.iter().rev().take(span - 1) {
            sums.0 += c;
            sums.1 += e;
            sums.2 += n;
            sums.3 += sh * c as f64;
        }
        sums
    }

    /// Keeps `win` in the history for the span tests (as many windows as the longest span
    /// needs; none when no span is longer than one window).
    fn remember(&mut self, win: &Window, cfg: &DetectorConfig) {
        let keep = spans(cfg).iter().copied().max().unwrap_or(0);
        if keep > 1 {
            self.history
                .push_back((win.count, win.expected, win.negatives, win.share));
            while self.history.len() >= keep {
                self.history.pop_front();
            }
        } else {
            self.history.clear();
        }
    }

    /// Learns `win` into the baselines, given whether it was significant (volume, negative):
    /// the dispersion from quiet windows, the level from every window (spikes capped so they
    /// do not raise the bar), the negative share from windows without a negative spike.
    fn learn(&mut self, win: &Window, significant: [bool; 2], cfg: &DetectorConfig) {
        let [vol_sig, neg_sig] = significant;
        let dispersion = self.dispersion_at(win.expected, cfg);
        if win.warm && !vol_sig && win.expected > 0.5 {
            self.learn_dispersion(win, dispersion, cfg);
        }
        self.learn_level(win, vol_sig, dispersion, cfg);
        if !neg_sig {
            self.learn_share(win, cfg);
        }
        self.windows += 1;
        self.last_window = Some(win.w);
    }

    /// Learns a quiet window's squared deviation into the dispersion and its fit;
    /// `dispersion` is the current one at the window's expected count.
    fn learn_dispersion(&mut self, win: &Window, dispersion: f64, cfg: &DetectorConfig) {
        let d = win.count as f64 - win.expected;
        let alpha = dispersion_alpha(cfg);
        // Clipped against a stray spike, but well above the ratios an overdispersed
        // brand's busy hours really show (a clip at the mean would bias the fit down).
        let ratio = (d * d / win.expected).min(10.0 * dispersion.max(5.0));
        self.dispersion = (self.dispersion + alpha * (ratio - self.dispersion)).max(1.0);
        self.dispersion_fit.update(win.expected, ratio, alpha);
    }

    /// Learns the window's count into the recent level and the seasonal buckets: a spike (in
    /// this window or the span) as the expected count, other counts capped at three standard
    /// deviations above it once warm.
    fn learn_level(&mut self, win: &Window, vol_sig: bool, dispersion: f64, cfg: &DetectorConfig) {
        let count = win.count as f64;
        let cap = win.expected + 3.0 * (dispersion * win.expected).sqrt() + 3.0;
        let learned = if win.warm && vol_sig {
            count.min(win.expected)
        } else if win.warm {
            count.min(cap)
        } else {
            count
        };
        let (hod, how) = hours(win.w, cfg);
        let wph = cfg.windows_per_hour;
        self.recent.update(learned, 2.0 / 31.0);
        self.hour_of_day[hod].update(learned, 1.0 / (7.0 * wph));
        self.hour_of_week[how].update(learned, 1.0 / (4.0 * wph));
    }

    /// Learns the window's negatives and total into the baseline share.
    fn learn_share(&mut self, win: &Window, cfg: &DetectorConfig) {
        // A running mean at first, then a day-long average: the first windows do not
        // weigh on the share for a day (as a plain average from the first window would).
        let wph = cfg.windows_per_hour;
        let a = (1.0 / (self.windows + 1) as f64).max(1.0 / (24.0 * wph));
        self.negatives += a * (win.negatives as f64 - self.negatives);
        self.totals += a * (win.count as f64 - self.totals);
    }

    /// Advances both kinds' alerts by window `w` with its evaluations; returns the
    /// transitions, volume first.
    fn advance_alerts(
        &mut self,
        w: i64,
        evals: &[Evaluation; 2],
        cfg: &DetectorConfig,
    ) -> Vec<Transition> {
        let mut transitions = Vec::new();
        for (i, kind) in Kind::ALL.into_iter().enumerate() {
            self.kinds[i].advance(kind, w, evals[i], cfg, &mut transitions);
        }
        transitions
    }
}

/// One closed window as [`BrandState::step`] sees it: its counts and the baselines they are
/// tested against.
struct Window {
    /// Window index.
    w: i64,
    /// Mentions.
    count: u64,
    /// Negative mentions.
    negatives: u64,
    /// Expected mentions (the seasonal baseline, at least 0).
    expected: f64,
    /// Baseline negative share.
    share: f64,
    /// Past the warm-up: the tests may find the window significant.
    warm: bool,
}

impl Window {
    /// Expected negative mentions: the baseline share of this window's mentions.
    fn expected_negatives(&self) -> f64 {
        self.share * self.count as f64
    }
}

/// The windows of the short and the long span.
fn spans(cfg: &DetectorConfig) -> [usize; 2] {
    [cfg.span_windows as usize, cfg.long_span_windows as usize]
}

/// The share test of `n` of `c` mentions negative where `e` negatives are expected:
/// (binomial upper-tail p-value, significant).
fn share_test(n: u64, c: u64, e: f64, warm: bool, cfg: &DetectorConfig) -> (f64, bool) {
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
}

/// The severity of an alert whose smallest p-value is `p`.
fn severity(p: f64, cfg: &DetectorConfig) -> Severity {
    if p < cfg.critical_p_value {
        Severity::Critical
    } else {
        Severity::Warning
    }
}

impl KindState {
    /// Advances this kind's alert by window `w` with evaluation `ev`: opens one after
    /// persistence (outside the cooldown), escalates its severity, or resolves it once no
    /// recent window is significant. Transitions are pushed onto `out`.
    fn advance(
        &mut self,
        kind: Kind,
        w: i64,
        ev: Evaluation,
        cfg: &DetectorConfig,
        out: &mut Vec<Transition>,
    ) {
        let hits = self.record(ev.significant, cfg);
        if self.active.is_none() {
            if hits >= cfg.persistence_k && w >= self.quiet_until {
                out.push(self.open(kind, w, ev, cfg));
            }
            return;
        }
        out.extend(self.escalate(kind, w, ev, cfg));
        if hits == 0 {
            out.extend(self.resolve(kind, w, ev, cfg));
        }
    }

    /// Shifts the window's significance into `recent` (keeping `persistence_n` windows) and
    /// returns how many of them are significant.
    fn record(&mut self, significant: bool, cfg: &DetectorConfig) -> u32 {
        let mask = if cfg.persistence_n >= 32 {
            u32::MAX
        } else {
            (1u32 << cfg.persistence_n) - 1
        };
        self.recent = ((self.recent << 1) | u32::from(significant)) & mask;
        self.recent.count_ones()
    }

    /// Opens an alert at window `w`; it starts at the first significant window of the run.
    fn open(&mut self, kind: Kind, w: i64, ev: Evaluation, cfg: &DetectorConfig) -> Transition {
        let started = w - i64::from(31 - self.recent.leading_zeros());
        let p = ev.p_value;
        let a = Active {
            started,
            severity: severity(p, cfg),
            p_value: p,
        };
        self.active = Some(a);
        Transition {
            kind,
            state: AlertState::Firing,
            severity: a.severity,
            started,
            window: w,
            p_value: p,
            evaluation: ev,
        }
    }

    /// Lowers the active alert's p-value on a more significant window, and fires again when
    /// that raises its severity.
    fn escalate(
        &mut self,
        kind: Kind,
        w: i64,
        ev: Evaluation,
        cfg: &DetectorConfig,
    ) -> Option<Transition> {
        let a = self.active.as_mut()?;
        if !(ev.significant && ev.p_value < a.p_value) {
            return None;
        }
        a.p_value = ev.p_value;
        let s = severity(a.p_value, cfg);
        if s <= a.severity {
            return None;
        }
        a.severity = s;
        Some(Transition {
            kind,
            state: AlertState::Firing,
            severity: s,
            started: a.started,
            window: w,
            p_value: a.p_value,
            evaluation: ev,
        })
    }

    /// Resolves the active alert at window `w` and starts the cooldown.
    fn resolve(
        &mut self,
        kind: Kind,
        w: i64,
        ev: Evaluation,
        cfg: &DetectorConfig,
    ) -> Option<Transition> {
        let a = self.active.take()?;
        self.quiet_until = w + cfg.cooldown_windows as i64;
        Some(Transition {
            kind,
            state: AlertState::Resolved,
            severity: a.severity,
            started: a.started,
            window: w,
            p_value: a.p_value,
            evaluation: ev,
        })
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
mod tests;
