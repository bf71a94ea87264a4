//! The report: recall and delay cells, false alarms per brand-week, the summary line that
//! `alert-eval` ends with, and the readable text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::model::{kind_index, Brand, BrandResult, Outcome, RisingOutcome, VolumeClass};
use super::oracle::{DETECTABLE, ORACLE_ALPHA};
use super::sim::{ALARM_SLACK, DETECT_SLACK};
use super::ReplayConfig;
use crate::alert::detector::DetectorConfig;
use crate::record::alert::Kind;

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
    /// Expected recall of the reference detector
    /// ([`oracle_power`](super::oracle_power)) on the same spikes.
    pub reference: f64,
}

impl Cell {
    pub(super) fn of<'a>(outcomes: impl Iterator<Item = &'a Outcome>) -> Cell {
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

/// Spikes counted in the headline recall: at least 3x (volume or share) for at least 10 min.
pub(super) fn headline(o: &Outcome) -> bool {
    o.spike.multiplier >= 3 && o.spike.minutes >= 10
}

impl Report {
    pub(super) fn outcomes(&self) -> impl Iterator<Item = &Outcome> {
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

    /// Driver recall: detected spikes (with terms) whose phrase is among the alert's top 3
    /// drivers, of `class` or all; `(hits, detected)`.
    pub fn driver_recall(&self, class: Option<VolumeClass>) -> (usize, usize) {
        let hits: Vec<bool> = self
            .outcomes()
            .filter(|o| class.is_none_or(|c| c == o.class))
            .filter_map(|o| o.driver_hit)
            .collect();
        (hits.iter().filter(|h| **h).count(), hits.len())
    }

    /// Emerging-term recall on injected rising terms that reached at least `min_per_hour`,
    /// of `classes`; `(reported, rising terms, median delay in minutes)`.
    pub fn emerging_recall(
        &self,
        classes: &[VolumeClass],
        min_per_hour: f64,
    ) -> (usize, usize, Option<i64>) {
        let rising: Vec<&RisingOutcome> = self
            .results
            .iter()
            .flat_map(|r| &r.rising)
            .filter(|r| classes.contains(&r.class) && r.per_hour >= min_per_hour)
            .collect();
        let mut delays: Vec<i64> = rising.iter().filter_map(|r| r.delay_minutes).collect();
        delays.sort_unstable();
        (delays.len(), rising.len(), percentile(&delays, 0.5))
    }

    /// Emerging-term events per brand-week on the spike-free streams, of `class` or all.
    pub fn emerging_false_per_brand_week(&self, class: Option<VolumeClass>) -> f64 {
        let (mut events, mut brands) = (0, 0);
        for (b, r) in self.brands.iter().zip(&self.results) {
            if class.is_none_or(|c| c == b.class) {
                brands += 1;
                events += r.clean_emerging;
            }
        }
        events as f64 / (brands as f64 * f64::from(self.config.eval_weeks)).max(1.0)
    }

    /// The last line: `recall_3x10m=<x> false_alarms_per_brand_week=<y> median_delay=<z>
    /// reference_recall_3x10m=<r> detectable_share=<s> recall_detectable_3x10m=<d>
    /// driver_recall=<a> emerging_recall=<b> emerging_false_per_brand_week=<c>` (the last
    /// three `na` without terms; driver recall over all detected spikes, emerging recall over
    /// mid- and high-volume brands' rising terms that reached 20 mentions an hour).
    pub fn summary_line(&self) -> String {
        let h = self.headline();
        let d = self.headline_detectable();
        let ratio = |(a, b): (usize, usize)| {
            if b == 0 {
                "na".to_string()
            } else {
                format!("{:.3}", a as f64 / b as f64)
            }
        };
        let (er, en, _) = self.emerging_recall(&[VolumeClass::Mid, VolumeClass::High], 20.0);
        format!(
            "recall_3x10m={:.3} false_alarms_per_brand_week={:.3} median_delay={} reference_recall_3x10m={:.3} detectable_share={:.3} recall_detectable_3x10m={:.3} driver_recall={} emerging_recall={} emerging_false_per_brand_week={}",
            h.recall(),
            self.false_alarms_per_brand_week(None),
            h.median_delay.map_or("na".to_string(), |d| d.to_string()),
            h.reference,
            d.spikes as f64 / h.spikes.max(1) as f64,
            d.recall(),
            ratio(self.driver_recall(None)),
            ratio((er, en)),
            if self.config.terms {
                format!("{:.3}", self.emerging_false_per_brand_week(None))
            } else {
                "na".to_string()
            },
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
        if c.terms {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "drivers and emerging terms (terms.rs: spike phrases on {:.0}% of a spike's extra mentions; one rising term every other day, {} min, {:?}/h; everyday vocabulary with daily drift and churn)",
                super::terms::PHRASE_SHARE * 100.0,
                super::terms::RISING_MINUTES,
                super::terms::RISING_RATES,
            );
            for class in VolumeClass::ALL
                .into_iter()
                .map(Some)
                .chain(std::iter::once(None))
            {
                let (hits, n) = self.driver_recall(class);
                let classes: Vec<VolumeClass> =
                    class.map_or(VolumeClass::ALL.to_vec(), |c| vec![c]);
                let (er, en, delay) = self.emerging_recall(&classes, 20.0);
                let all_rising = self.emerging_recall(&classes, 0.0).1;
                let _ = writeln!(
                    out,
                    "  {:<5} driver recall (phrase in top 3) {:>4}/{:<4} {:.3}; emerging recall (>= 20/h) {:>3}/{:<3} {:.3}, median delay {} min ({} of {} rising terms reached 20/h); false emerging per brand-week {:.3}",
                    class.map_or("all", |c| c.as_str()),
                    hits,
                    n,
                    hits as f64 / n.max(1) as f64,
                    er,
                    en,
                    er as f64 / en.max(1) as f64,
                    delay.map_or("-".to_string(), |d| d.to_string()),
                    en,
                    all_rising,
                    self.emerging_false_per_brand_week(class),
                );
            }
        }
        let _ = writeln!(out);
        out.push_str(&self.summary_line());
        out
    }
}
