use chrono::TimeZone;
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::*;
use crate::alert::replay::poisson;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn reads_every_timestamp_form_with_a_header() {
    let csv = "timestamp,count\n\
               2026-11-01T00:00:00Z,3\n\
               2026-11-01 01:00,4\n\
               2026-11-01T02:00:00+00:00,5\n\
               1793502000,6\n";
    let s = read(csv.as_bytes()).unwrap();
    assert_eq!(s.start, t("2026-11-01T00:00:00Z"));
    assert_eq!(s.interval_s, 3600);
    // 1793502000 is 2026-11-01T03:00Z.
    assert_eq!(s.counts, vec![3, 4, 5, 6]);
    let csv = "2026-11-01,10\n2026-11-02,11\n2026-11-03,12\n";
    let s = read(csv.as_bytes()).unwrap();
    assert_eq!((s.interval_s, s.counts.clone()), (86_400, vec![10, 11, 12]));
}

#[test]
fn unix_seconds_and_quoted_fields() {
    let s = read("\"1700000000\",\"1\"\n1700000060,2\n".as_bytes()).unwrap();
    assert_eq!(s.interval_s, 60);
    assert_eq!(s.start, Utc.timestamp_opt(1_700_000_000, 0).unwrap());
}

#[test]
fn gaps_of_whole_intervals_are_empty_windows() {
    let csv = "1700000000,5\n1700000060,6\n1700000240,7\n";
    let s = read(csv.as_bytes()).unwrap();
    assert_eq!(s.counts, vec![5, 6, 0, 0, 7]);
    assert_eq!((s.rows, s.filled), (3, 2));
}

#[test]
fn bad_rows_name_their_line() {
    let cases = [
        ("1700000000,5\n1700000060,x\n", "line 2", "not a count"),
        ("1700000000,5\n1700000060,-1\n", "line 2", "not a count"),
        ("1700000000,5\nyesterday,1\n", "line 2", "not a timestamp"),
        (
            "1700000000,5\n1700000060\n",
            "line 2",
            "two comma-separated",
        ),
        (
            "1700000000,5\n1700000060,1\n1700000030,1\n",
            "line 3",
            "time order",
        ),
        (
            "1700000000,5\n1700000060,1\n1700000150,1\n",
            "line 3",
            "whole number",
        ),
        ("1700000000,5\n", "1 rows", "at least 2"),
    ];
    let long = format!("1700000000,5\n1700000060,{}\n", "1".repeat(2000));
    for (csv, line, what) in cases
        .into_iter()
        .chain([(long.as_str(), "line 2", "over 1024")])
    {
        let e = read(csv.as_bytes()).unwrap_err().to_string();
        assert!(e.contains(line) && e.contains(what), "{csv:?}: {e}");
    }
}

/// Six weeks of hourly counts with a daily rhythm (Poisson noise, seeded), and two bursts
/// after the warm-up: each is found, where it is, and nothing else is.
#[test]
fn finds_known_bursts_in_an_hourly_series_and_nothing_else() {
    let mut rng = StdRng::seed_from_u64(7);
    let start = t("2026-09-07T00:00:00Z").timestamp();
    let hours = 6 * 7 * 24;
    let bursts = [(24 * 30 + 14, 3, 4.0), (24 * 37 + 20, 2, 3.0)];
    let mut csv = String::from("timestamp,count\n");
    for h in 0..hours {
        let hod = (h % 24) as f64;
        let mean =
            120.0 * (0.35 + 0.65 * (std::f64::consts::PI * (hod - 3.0) / 24.0).sin().powi(2));
        let factor = bursts
            .iter()
            .find(|(b, len, _)| h >= *b && h < b + len)
            .map_or(1.0, |(_, _, f)| *f);
        let count = poisson(&mut rng, mean * factor);
        csv.push_str(&format!("{},{count}\n", start + h as i64 * 3600));
    }
    let series = read(csv.as_bytes()).unwrap();
    let cfg = DetectorConfig {
        warmup_windows: 24 * 14,
        cooldown_windows: 6,
        span_windows: 0,
        long_span_windows: 0,
        ..detector_for(&series, &DetectorConfig::default())
    };
    assert_eq!(cfg.windows_per_hour, 1.0);
    let (alerts, summary) = replay(&series, &cfg);
    assert_eq!(summary.windows, hours);
    assert_eq!(summary.alerts, alerts.len());
    assert_eq!(alerts.len(), bursts.len(), "{alerts:#?}");
    for (a, (b, len, _)) in alerts.iter().zip(bursts) {
        let burst_start = Utc.timestamp_opt(start + b as i64 * 3600, 0).unwrap();
        let burst_end = burst_start + chrono::Duration::hours(len as i64);
        assert!(a.start >= burst_start && a.fired < burst_end, "{a:?}");
        assert!(a.end.is_some_and(|e| e >= a.fired), "{a:?}");
        // From the window it fired in to its end: the burst's rest and the windows that
        // persistence and resolution add.
        assert!(a.observed as f64 > 1.5 * a.expected, "{a:?}");
        assert!(a.p_value < cfg.p_value);
    }
}

#[test]
fn no_alert_during_warm_up_and_an_alert_still_open_at_the_end() {
    let mut csv = String::new();
    for m in 0..500 {
        let count = if m >= 495 { 400 } else { 20 + (m % 3) };
        csv.push_str(&format!("{},{count}\n", 1_700_000_000 + m * 60));
    }
    let series = read(csv.as_bytes()).unwrap();
    let cfg = detector_for(&series, &DetectorConfig::default());
    let (alerts, _) = replay(&series, &cfg);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].end, None);
    // The same burst inside the warm-up (default 360 windows) raises nothing.
    let short: String = csv.lines().skip(200).map(|l| format!("{l}\n")).collect();
    let series = read(short.as_bytes()).unwrap();
    assert!(replay(&series, &cfg).0.is_empty());
}
