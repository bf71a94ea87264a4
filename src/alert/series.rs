//! `brandpulse alert-eval --series FILE`: the volume detector replayed over a real count
//! history of one brand, so that anyone can check it on public tweet-volume series.
//!
//! The input is CSV, one `timestamp,count` row per interval, in time order, with an optional
//! header line. A timestamp is RFC 3339 (`2026-11-01T12:00:00Z`), `YYYY-MM-DD HH:MM[:SS]`
//! (UTC), `YYYY-MM-DD`, or Unix seconds. The interval is the smallest step between rows and
//! becomes the detector's window; every step must be a whole number of intervals, and the
//! intervals a step skips are replayed as empty windows (and counted in the summary). The
//! detector runs with the `[alert]` settings, warm-up, persistence, spans and cooldown
//! included, all counted in windows of the series' interval.

use std::io::BufRead;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;

use super::detector::{BrandState, DetectorConfig};
use crate::offline::{bounded_lines, Line};
use crate::record::alert::{AlertState, Kind, Severity};

/// The longest line read (a row is a timestamp and a count); longer ones are refused without
/// being held.
pub const MAX_LINE_BYTES: usize = 1024;

/// The most rows a series may have (ten years of minutes would be 5.3 million).
pub const MAX_ROWS: usize = 10_000_000;

/// The most windows a series may span, rows and filled gaps together (about 160 MB of counts).
pub const MAX_WINDOWS: usize = 20_000_000;

/// The most empty windows one gap may fill: a step larger than this is refused rather than
/// replayed window by window.
pub const MAX_GAP_WINDOWS: i64 = 1_000_000;

/// Errors of reading and replaying a series; each names the line it is about.
#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    /// The file could not be read.
    #[error("reading the series: {0}")]
    Io(#[from] std::io::Error),
    /// A row is not `timestamp,count`.
    #[error("line {line}: {reason} (expected `timestamp,count`, e.g. `2026-11-01T12:00:00Z,42`)")]
    Row {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// A row is not after the one before it.
    #[error("line {line}: {timestamp} is not after the row before ({previous}); rows must be in time order, one per interval")]
    Order {
        /// 1-based line number.
        line: usize,
        /// Its timestamp.
        timestamp: DateTime<Utc>,
        /// The previous row's.
        previous: DateTime<Utc>,
    },
    /// A step is not a whole number of intervals, or skips too much.
    #[error("line {line}: a step of {step_s} s is not a whole number of the series' interval ({interval_s} s, its smallest step) or skips more than {MAX_GAP_WINDOWS} intervals")]
    Interval {
        /// 1-based line number.
        line: usize,
        /// The step to this row, in seconds.
        step_s: i64,
        /// The interval, in seconds.
        interval_s: i64,
    },
    /// The rows and their gaps span more than [`MAX_WINDOWS`] windows.
    #[error("line {line}: the series spans more than {MAX_WINDOWS} windows of its interval")]
    TooLong {
        /// 1-based line number.
        line: usize,
    },
    /// Fewer than two rows, or too many.
    #[error("the series has {0} rows: it needs at least 2 (to know its interval) and at most {MAX_ROWS}")]
    Size(usize),
}

/// A count history: one count per interval from `start`, gaps filled with zeros.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Time of the first row.
    pub start: DateTime<Utc>,
    /// Seconds per row (the smallest step between rows).
    pub interval_s: i64,
    /// One count per interval.
    pub counts: Vec<u64>,
    /// Rows read.
    pub rows: usize,
    /// Intervals with no row, replayed as empty windows.
    pub filled: usize,
}

/// One volume alert found in a series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesAlert {
    /// Always `volume` (a count history carries no sentiment).
    pub kind: Kind,
    /// Start of the window the alert started in (the first window of the span that fired
    /// it, when a span test fired it).
    pub start: DateTime<Utc>,
    /// Start of the window it fired in.
    pub fired: DateTime<Utc>,
    /// End of its last active window; `None` when still active at the end of the series.
    pub end: Option<DateTime<Utc>>,
    /// Highest severity it reached.
    pub severity: Severity,
    /// Mentions in its windows, from the one it fired in to its end.
    pub observed: u64,
    /// What the baseline expected in those windows.
    pub expected: f64,
    /// Its smallest p-value.
    pub p_value: f64,
    /// Windows from the one it fired in to its end.
    pub windows: u64,
}

/// The summary after the alerts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeriesSummary {
    /// Rows read.
    pub rows: usize,
    /// Seconds per window.
    pub interval_s: i64,
    /// Windows replayed (rows plus filled gaps).
    pub windows: usize,
    /// Windows without a row, replayed as empty.
    pub filled_windows: usize,
    /// Windows of warm-up (no alert can fire before it ends).
    pub warmup_windows: u64,
    /// Alerts found.
    pub alerts: usize,
    /// Of those, critical.
    pub critical: usize,
    /// First row.
    pub first: DateTime<Utc>,
    /// Last window.
    pub last: DateTime<Utc>,
}

/// Reads a series (see the [module docs](self) for the format).
///
/// # Errors
/// [`SeriesError`] naming the first bad line.
pub fn read(input: impl BufRead) -> Result<Series, SeriesError> {
    let mut rows: Vec<(usize, DateTime<Utc>, u64)> = Vec::new();
    for (i, line) in bounded_lines(input, MAX_LINE_BYTES).enumerate() {
        let line_no = i + 1;
        let line = match line? {
            Line::Text(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Line::TooLong(len) => {
                return Err(SeriesError::Row {
                    line: line_no,
                    reason: format!("the line is {len} bytes, over {MAX_LINE_BYTES}"),
                })
            }
        };
        let text = line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let row = parse_row(text).map_err(|reason| SeriesError::Row {
            line: line_no,
            reason,
        });
        match row {
            Ok((t, c)) => rows.push((line_no, t, c)),
            // The first line may be a header.
            Err(_)
                if rows.is_empty() && !text.chars().next().is_some_and(|c| c.is_ascii_digit()) => {}
            Err(e) => return Err(e),
        }
        if rows.len() > MAX_ROWS {
            return Err(SeriesError::Size(rows.len()));
        }
    }
    if rows.len() < 2 {
        return Err(SeriesError::Size(rows.len()));
    }
    for pair in rows.windows(2) {
        let ((_, prev, _), (line, t, _)) = (pair[0], pair[1]);
        if t <= prev {
            return Err(SeriesError::Order {
                line,
                timestamp: t,
                previous: prev,
            });
        }
    }
    let interval_s = rows
        .windows(2)
        .map(|p| (p[1].1 - p[0].1).num_seconds())
        .min()
        .unwrap_or(1)
        .max(1);
    let mut counts = Vec::with_capacity(rows.len());
    let mut filled = 0;
    counts.push(rows[0].2);
    for pair in rows.windows(2) {
        let ((_, prev, _), (line, t, c)) = (pair[0], pair[1]);
        let step_s = (t - prev).num_seconds();
        let steps = step_s / interval_s;
        if step_s % interval_s != 0 || steps > MAX_GAP_WINDOWS {
            return Err(SeriesError::Interval {
                line,
                step_s,
                interval_s,
            });
        }
        let gap = (steps - 1) as usize;
        if counts.len() + gap >= MAX_WINDOWS {
            return Err(SeriesError::TooLong { line });
        }
        counts.extend(std::iter::repeat_n(0, gap));
        filled += gap;
        counts.push(c);
    }
    Ok(Series {
        start: rows[0].1,
        interval_s,
        counts,
        rows: rows.len(),
        filled,
    })
}

/// One `timestamp,count` row.
fn parse_row(text: &str) -> Result<(DateTime<Utc>, u64), String> {
    let mut fields = text.split(',').map(|f| f.trim().trim_matches('"'));
    let (Some(ts), Some(count), None) = (fields.next(), fields.next(), fields.next()) else {
        return Err("not two comma-separated fields".into());
    };
    let t = parse_timestamp(ts).ok_or_else(|| format!("{ts:?} is not a timestamp"))?;
    let c = count
        .parse::<u64>()
        .map_err(|_| format!("{count:?} is not a count (a whole number, 0 or more)"))?;
    Ok((t, c))
}

/// RFC 3339, `YYYY-MM-DD HH:MM[:SS]` or `YYYY-MM-DDTHH:MM[:SS]` (UTC), `YYYY-MM-DD`, or Unix
/// seconds.
fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|t| t.and_utc());
    }
    s.parse::<i64>()
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
}

/// The detector settings for `series`: `alert`'s, with the window set to the series' interval.
pub fn detector_for(series: &Series, alert: &DetectorConfig) -> DetectorConfig {
    DetectorConfig {
        windows_per_hour: 3600.0 / series.interval_s as f64,
        ..alert.clone()
    }
}

/// Runs the volume detector over `series` with `cfg` (see [`detector_for`]): the alerts in
/// order, and the summary.
pub fn replay(series: &Series, cfg: &DetectorConfig) -> (Vec<SeriesAlert>, SeriesSummary) {
    let first_w = series.start.timestamp().div_euclid(series.interval_s);
    let time_of =
        |w: i64| series.start + chrono::Duration::seconds(series.interval_s * (w - first_w));
    let mut state = BrandState::default();
    let mut alerts: Vec<SeriesAlert> = Vec::new();
    let mut open: Option<SeriesAlert> = None;
    for (i, &count) in series.counts.iter().enumerate() {
        let w = first_w + i as i64;
        let (evals, transitions) = state.observe(w, count, 0, cfg);
        for t in transitions.iter().filter(|t| t.kind == Kind::Volume) {
            match t.state {
                AlertState::Firing => {
                    let a = open.get_or_insert_with(|| SeriesAlert {
                        kind: Kind::Volume,
                        start: time_of(t.started),
                        fired: time_of(w),
                        end: None,
                        severity: t.severity,
                        observed: 0,
                        expected: 0.0,
                        p_value: t.p_value,
                        windows: 0,
                    });
                    if t.severity == Severity::Critical {
                        a.severity = Severity::Critical;
                    }
                    a.p_value = a.p_value.min(t.p_value);
                }
                AlertState::Resolved => {
                    if let Some(mut a) = open.take() {
                        // The resolving window is not part of the alert.
                        a.end = Some(time_of(w));
                        alerts.push(a);
                    }
                }
            }
        }
        if let Some(a) = open.as_mut() {
            let ev = evals[0];
            a.observed += ev.observed;
            a.expected += ev.expected;
            a.windows += 1;
        }
    }
    alerts.extend(open);
    let summary = SeriesSummary {
        rows: series.rows,
        interval_s: series.interval_s,
        windows: series.counts.len(),
        filled_windows: series.filled,
        warmup_windows: cfg.warmup_windows,
        alerts: alerts.len(),
        critical: alerts
            .iter()
            .filter(|a| a.severity == Severity::Critical)
            .count(),
        first: series.start,
        last: time_of(first_w + series.counts.len() as i64 - 1),
    };
    (alerts, summary)
}

#[cfg(test)]
mod tests;
