//! The standard `process_*` metrics (CPU time, resident and virtual memory, open and maximum
//! file descriptors, start time), read from `/proc/self` at each scrape. On a system without
//! `/proc` the collector reports nothing.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// Reports the process metrics of this process.
#[derive(Debug, Default)]
pub struct ProcessCollector;

/// What `/proc/self` says, in Prometheus units.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct ProcessStats {
    /// User and system CPU time, seconds.
    pub cpu_seconds: f64,
    /// Resident set size, bytes.
    pub resident_bytes: i64,
    /// Virtual memory size, bytes.
    pub virtual_bytes: i64,
    /// Open file descriptors.
    pub open_fds: i64,
    /// The soft limit of open file descriptors.
    pub max_fds: i64,
    /// Start time, seconds since the Unix epoch.
    pub start_time_seconds: f64,
}

impl ProcessStats {
    /// Reads this process's figures; `None` without a readable `/proc`.
    pub fn read() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let boot_time = std::fs::read_to_string("/proc/stat").ok()?;
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let open_fds = std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as i64);
        parse(&stat, &status, &boot_time, &limits, open_fds)
    }
}

/// Clock ticks per second of the times in `/proc/self/stat`: `USER_HZ`, which Linux fixes
/// at 100 for user space on every architecture.
const USER_HZ: f64 = 100.0;

fn parse(
    stat: &str,
    status: &str,
    proc_stat: &str,
    limits: &str,
    open_fds: i64,
) -> Option<ProcessStats> {
    let ticks = USER_HZ;
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `fields[0]` is field 3 (state): field n is `fields[n - 3]`.
    let field = |n: usize| -> Option<f64> { fields.get(n - 3)?.parse().ok() };
    let utime = field(14)?;
    let stime = field(15)?;
    let start_ticks = field(22)?;
    // Memory from `/proc/self/status`, in kB (no page size to know).
    let kb = |key: &str| -> Option<i64> {
        let rest = status.lines().find_map(|l| l.strip_prefix(key))?;
        Some(rest.split_whitespace().next()?.parse::<i64>().ok()? * 1024)
    };
    let btime: f64 = proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let max_fds = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some(ProcessStats {
        cpu_seconds: (utime + stime) / ticks,
        resident_bytes: kb("VmRSS:")?,
        virtual_bytes: kb("VmSize:")?,
        open_fds,
        max_fds,
        start_time_seconds: btime + start_ticks / ticks,
    })
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(s) = ProcessStats::read() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(s.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds.",
            None,
            cpu.metric_type(),
        )?)?;
        let gauges: [(&str, &str, f64); 5] = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                s.resident_bytes as f64,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                s.virtual_bytes as f64,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors.",
                s.open_fds as f64,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors.",
                s.max_fds as f64,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
                s.start_time_seconds,
            ),
        ];
        for (name, help, value) in gauges {
            let g = ConstGauge::new(value);
            g.encode(encoder.encode_descriptor(name, help, None, g.metric_type())?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_self() {
        let stat = "1234 (brand pulse) S 1 1234 1234 0 -1 4194560 2000 0 0 0 250 50 0 0 20 0 \
                    9 0 500000 1048576000 25600 18446744073709551615";
        let status = "Name:\tbrandpulse\nVmSize:\t 1024000 kB\nVmRSS:\t  102400 kB\n";
        let limits = "Max open files            1024                 524288               files\n";
        let s = parse(stat, status, "cpu 1 2 3\nbtime 1700000000\n", limits, 12).expect("parses");
        assert_eq!(s.cpu_seconds, 3.0);
        assert_eq!(s.start_time_seconds, 1_700_005_000.0);
        assert_eq!(s.virtual_bytes, 1_024_000 * 1024);
        assert_eq!(s.resident_bytes, 102_400 * 1024);
        assert_eq!((s.open_fds, s.max_fds), (12, 1024));
    }

    #[test]
    fn reads_this_process() {
        let s = ProcessStats::read().expect("/proc on Linux");
        assert!(s.resident_bytes > 1 << 20, "{s:?}");
        assert!(s.open_fds > 0 && s.max_fds >= s.open_fds, "{s:?}");
        assert!(s.start_time_seconds > 1.6e9, "{s:?}");
    }
}
