//! End-to-end benchmark: the real pipeline (`brandpulse::pipeline::run`) against librdkafka's
//! in-process mock cluster (one broker), with the demo config.
//!
//! 1. Generates N canonical mentions with the demo generator (`benches/data/corpus.rs`; its
//!    tweets are skipped, its ~1% malformed records are kept and must reach the dead-letter
//!    topic), and works out what the pipeline must produce for them: decoding and matching
//!    with the same `Decoder` and `Matcher` the pipeline builds.
//! 2. Creates the demo topics on the mock cluster and produces every record before the
//!    pipeline starts (sends are queued together and their acknowledgements joined).
//! 3. Runs the pipeline and measures from the first consumed record to the moment every
//!    record is complete (its outputs acknowledged, or nothing to produce): the pipeline
//!    calls `complete` once per consumed record, which observes
//!    `brandpulse_pipeline_latency_seconds`, so that histogram's sample count reaching N is
//!    the end. The mock cluster's ~3 s wait before the group's first assignment is outside
//!    the window.
//! 4. Stops the pipeline (graceful drain) and checks the counters against step 1: scored
//!    outputs, dead letters, unmatched mentions, consumed records. A mismatch exits 1.
//!
//! Latency quantiles come from that histogram's buckets (powers of two from 1 ms), so they
//! are bucket-resolution figures: the report gives the bucket and a linear interpolation
//! inside it (as Prometheus' `histogram_quantile` does); the mean is exact (sum / count).
//! All input is produced up front, so the latency includes the time records wait in the
//! pipeline's bounded channels while it works through the backlog: it is latency under
//! saturation, not at a light load.
//!
//! `cargo bench --bench pipeline_mockcluster`: N = 50,000. `cargo test --benches`, or
//! `--test`: N = 2,000. `BRANDPULSE_BENCH_LANG=fast` runs with
//! `pipeline.language_detection = "fast"` (default: `accurate`, as the service's default).
//! `BRANDPULSE_BENCH_ALERT=counts|terms` also runs the alert stage in the same process, on
//! its own thread, reading the scored topic while the pipeline writes it (as `brandpulse
//! run` does with `[alert] enabled`), without or with term statistics (`[alert.terms]`):
//! the pipeline's throughput with that competition for the CPU (default: `off`).
//! `BRANDPULSE_BENCH_SCREEN=off` turns the screen stage (`[screen]`) off (default: `on`, as
//! the demo config), for a side-by-side run of its cost.
//! Figures: `benches/RESULTS.md`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use brandpulse::demo::demo_config;
use brandpulse::ingest::Decoder;
use brandpulse::matcher::Matcher;
use brandpulse::pipeline;
use brandpulse::score::lexicon::LexiconScorer;
use brandpulse::shutdown;
use brandpulse::telemetry::http::Health;
use brandpulse::telemetry::Metrics;
use brandpulse::telemetry::Registry;
use rdkafka::config::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::util::Timeout;

#[path = "data/corpus.rs"]
mod corpus;

/// Records in a full run (`cargo bench`).
const FULL_N: usize = 50_000;
/// Records in a short run (`cargo test --benches`, `--test`).
const SHORT_N: usize = 2_000;
/// Give up waiting for the pipeline after this long.
const TIMEOUT: Duration = Duration::from_secs(300);

type BoxError = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; `cargo test --benches` passes neither flag.
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let n = if full { FULL_N } else { SHORT_N };
    let detection = match std::env::var("BRANDPULSE_BENCH_LANG").as_deref() {
        Ok("fast") => brandpulse::lang::Detection::Fast,
        Ok("accurate") | Err(_) => brandpulse::lang::Detection::Accurate,
        Ok(other) => {
            eprintln!("pipeline_mockcluster: BRANDPULSE_BENCH_LANG must be fast or accurate, not {other:?}");
            return ExitCode::from(64);
        }
    };
    brandpulse::lang::set_detection(detection);
    if detection == brandpulse::lang::Detection::Accurate {
        brandpulse::lang::warm_up();
    }
    println!("language detection: {detection:?}");
    let alert = match std::env::var("BRANDPULSE_BENCH_ALERT").as_deref() {
        Ok("off") | Err(_) => None,
        Ok("counts") => Some(false),
        Ok("terms") => Some(true),
        Ok(other) => {
            eprintln!("pipeline_mockcluster: BRANDPULSE_BENCH_ALERT must be off, counts or terms, not {other:?}");
            return ExitCode::from(64);
        }
    };
    println!(
        "alert stage: {}",
        match alert {
            None => "off",
            Some(false) => "on, without term statistics",
            Some(true) => "on, with term statistics",
        }
    );
    let screen = match std::env::var("BRANDPULSE_BENCH_SCREEN").as_deref() {
        Ok("on") | Err(_) => true,
        Ok("off") => false,
        Ok(other) => {
            eprintln!(
                "pipeline_mockcluster: BRANDPULSE_BENCH_SCREEN must be on or off, not {other:?}"
            );
            return ExitCode::from(64);
        }
    };
    println!("screen stage: {}", if screen { "on" } else { "off" });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pipeline_mockcluster: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(bench(n, alert, screen)) {
        Ok(report) => {
            report.print();
            if report.mismatches.is_empty() {
                ExitCode::SUCCESS
            } else {
                eprintln!("pipeline_mockcluster: COUNT CHECK FAILED");
                for m in &report.mismatches {
                    eprintln!("  {m}");
                }
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("pipeline_mockcluster: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the pipeline must do with the input.
#[derive(Debug, Default, Clone, Copy)]
struct Expected {
    /// Scored outputs: one per (mention, matched brand).
    scored: u64,
    /// Decoded mentions that match no brand.
    unmatched: u64,
    /// Records that do not decode.
    dead: u64,
    /// Matched mentions without a language, which the score stage detects (unless the
    /// sentiment cache already has their text).
    to_detect: u64,
}

struct Report {
    n: usize,
    expected: Expected,
    produce: Duration,
    wait_for_first: Duration,
    window: Duration,
    latency: Vec<(f64, u64)>,
    latency_sum: f64,
    latency_count: u64,
    cache_hits: u64,
    /// Time spent in each stage, summed over batches (`brandpulse_stage_latency_seconds`).
    stage_busy: Vec<(&'static str, f64)>,
    mismatches: Vec<String>,
    /// With the alert stage: (brand-kind series with a closed window, events published) when
    /// the pipeline had completed every record.
    alert_work: Option<(usize, u64)>,
}

async fn bench(n: usize, alert: Option<bool>, screen: bool) -> Result<Report, BoxError> {
    let cluster = MockCluster::new(1)?;
    let bootstrap = cluster.bootstrap_servers();
    let mut config = demo_config(&bootstrap, "127.0.0.1:0".parse()?)?;
    config.alert.enabled = alert.is_some();
    config.screen.enabled = screen;
    config.alert.terms.enabled = alert == Some(true);
    if alert.is_some() {
        cluster.create_topic(&config.alert.alerts_topic, 1, 1)?;
        cluster.create_topic(&config.alert.checkpoint_topic, 1, 1)?;
    }
    let input_topic = brandpulse::demo::generator::MENTIONS_TOPIC;
    // The demo's topics and partition counts (`src/demo/mod.rs`).
    for (topic, partitions) in [
        (input_topic, 4),
        (brandpulse::demo::generator::TWEETS_TOPIC, 2),
        (config.output.topic.as_str(), 4),
        (config.output.dead_letter_topic.as_str(), 1),
        (config.output.inbox_topic.as_str(), 2),
    ] {
        cluster.create_topic(topic, partitions, 1)?;
    }

    let corpus = corpus::canonical(n);
    let expected = expect(&config, &corpus.samples)?;
    if expected.dead != corpus.malformed {
        return Err(format!(
            "the decoder rejects {} records, the generator malformed {}",
            expected.dead, corpus.malformed
        )
        .into());
    }

    let produce_started = Instant::now();
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("linger.ms", "5")
        .set("message.timeout.ms", "60000")
        .create()?;
    let sends: Vec<_> = corpus
        .samples
        .iter()
        .map(|s| {
            let record = FutureRecord::to(s.topic)
                .key(s.key.as_bytes())
                .payload(&s.payload[..]);
            producer.send(record, Timeout::Never)
        })
        .collect();
    for delivery in futures::future::join_all(sends).await {
        delivery.map_err(|(e, _)| format!("producing the input: {e}"))?;
    }
    let produce = produce_started.elapsed();
    // Gone before the cluster is, or it logs that the broker went down.
    drop(producer);

    let (registry, metrics) = Metrics::for_tests();
    let completed = || histogram(&registry, "brandpulse_pipeline_latency_seconds", "").2;
    let (trigger, shutdown) = shutdown::channel();
    let scorer = Box::new(LexiconScorer::new()?);
    let health = Arc::new(Health::default());
    let alert_stage = if alert.is_some() {
        Some(brandpulse::alert::stage::spawn(
            &config,
            metrics.clone(),
            shutdown.clone(),
        )?)
    } else {
        None
    };
    let started = Instant::now();
    let run = {
        let config = config.clone();
        let metrics = metrics.clone();
        tokio::spawn(async move { pipeline::run(&config, scorer, metrics, health, shutdown).await })
    };

    let consumed = || metrics.consumed.with_label_values(&[input_topic]).get();
    let mut first: Option<Instant> = None;
    let last = loop {
        let now = Instant::now();
        if first.is_none() && consumed() > 0 {
            first = Some(now);
        }
        if completed() >= n as u64 {
            break now;
        }
        if run.is_finished() {
            return Err(format!(
                "the pipeline stopped early: {:?}",
                run.await.map(|r| r.map_err(|e| e.to_string()))
            )
            .into());
        }
        if now - started > TIMEOUT {
            trigger.fire();
            return Err(format!(
                "timed out after {TIMEOUT:?}: consumed {}, complete {} of {n}",
                consumed(),
                completed()
            )
            .into());
        }
        // (Each check renders the registry: every 10 ms, not 1, to stay out of the way.)
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let first = first.unwrap_or(last);
    // What the alert stage had done by the end of the window (it shares the CPU).
    let alert_work = alert.map(|_| {
        let text = brandpulse::telemetry::render(&registry);
        let series = text
            .lines()
            .filter(|l| l.starts_with("brandpulse_alert_observed{"))
            .count();
        let events: f64 = text
            .lines()
            .filter(|l| l.starts_with("brandpulse_alert_events_total{"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        (series, events as u64)
    });

    trigger.fire();
    run.await
        .map_err(|e| format!("pipeline task: {e}"))?
        .map_err(|e| format!("pipeline: {e}"))?;
    if let Some(handle) = alert_stage {
        tokio::task::spawn_blocking(move || handle.join())
            .await?
            .map_err(|_| "the alert stage panicked")?;
    }
    drop(cluster);

    let mut mismatches = Vec::new();
    let mut check = |what: &str, got: u64, want: u64| {
        if got != want {
            mismatches.push(format!("{what}: got {got}, expected {want}"));
        }
    };
    check("consumed", consumed(), n as u64);
    check("complete records", completed(), n as u64);
    check(
        "scored outputs acknowledged",
        metrics.produced.with_label_values(&["scored"]).get(),
        expected.scored,
    );
    check(
        "dead letters acknowledged",
        metrics.produced.with_label_values(&["dead_letter"]).get(),
        expected.dead,
    );
    let dead_by_reason: u64 = brandpulse::record::DecodeError::REASONS
        .iter()
        .map(|r| metrics.dead_letters.with_label_values(&[r]).get())
        .sum();
    check("dead letters by reason", dead_by_reason, expected.dead);
    check("unmatched", metrics.unmatched.get(), expected.unmatched);
    check(
        "produce errors",
        brandpulse::emit::failure::FailureKind::LABELS
            .iter()
            .map(|k| metrics.produce_errors.with_label_values(&[k]).get())
            .sum(),
        0,
    );

    let (latency, latency_sum, latency_count) =
        histogram(&registry, "brandpulse_pipeline_latency_seconds", "");
    let stage_busy = brandpulse::telemetry::STAGES
        .iter()
        .map(|&stage| {
            let labels = format!("stage=\"{stage}\"");
            let (_, sum, _) = histogram(&registry, "brandpulse_stage_latency_seconds", &labels);
            (stage, sum)
        })
        .collect();
    Ok(Report {
        n,
        expected,
        produce,
        wait_for_first: first - started,
        window: last - first,
        latency,
        latency_sum,
        latency_count,
        cache_hits: metrics.score_cache_hits.get(),
        stage_busy,
        mismatches,
        alert_work,
    })
}

/// Decodes and matches the input as the pipeline will.
fn expect(
    config: &brandpulse::config::Config,
    samples: &[brandpulse::demo::generator::Sample],
) -> Result<Expected, BoxError> {
    let matcher = Matcher::new(&config.brands, &config.matching)?;
    let input = config
        .inputs
        .iter()
        .find(|i| i.topic == brandpulse::demo::generator::MENTIONS_TOPIC)
        .ok_or("the demo config has no `mentions` input")?;
    let decoder = Decoder::new(input.format, config.pipeline.max_text_bytes);
    let mut e = Expected::default();
    for s in samples {
        match decoder.decode(Some(&s.payload)) {
            Err(_) => e.dead += 1,
            Ok(m) => match matcher.matches(&m).len() {
                0 => e.unmatched += 1,
                k => {
                    e.scored += k as u64;
                    let lang = m.lang.as_deref().unwrap_or_default();
                    e.to_detect += u64::from(lang.is_empty() || lang == "und");
                }
            },
        }
    }
    Ok(e)
}

/// Cumulative buckets `(upper bound in seconds, count)`, the sum and the count of the
/// histogram `name` with the labels `labels` (`stage="emit"`, or empty), read from the
/// registry's text exposition (`prometheus-client` has no accessor for a histogram's
/// buckets).
fn histogram(registry: &Registry, name: &str, labels: &str) -> (Vec<(f64, u64)>, f64, u64) {
    let text = brandpulse::telemetry::render(registry);
    let value = |line: &str| -> Option<f64> { line.rsplit(' ').next()?.parse().ok() };
    let braces = |extra: &str| -> String {
        match (labels.is_empty(), extra.is_empty()) {
            (true, true) => String::new(),
            (true, false) => format!("{{{extra}}}"),
            (false, true) => format!("{{{labels}}}"),
            (false, false) => format!("{{{labels},{extra}}}"),
        }
    };
    let mut list = Vec::new();
    let (mut sum, mut count) = (0.0, 0);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(&format!("{name}_bucket")) {
            let Some((key, v)) = rest.rsplit_once(' ') else {
                continue;
            };
            let Some(le) = key.split("le=\"").nth(1).and_then(|r| r.split('"').next()) else {
                continue;
            };
            if *key != braces(&format!("le=\"{le}\"")) {
                continue;
            }
            let upper = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap_or(f64::NAN)
            };
            if upper.is_finite() {
                list.push((upper, v.parse::<f64>().unwrap_or(0.0) as u64));
            }
        } else if line.starts_with(&format!("{name}_sum{} ", braces(""))) {
            sum = value(line).unwrap_or(0.0);
        } else if line.starts_with(&format!("{name}_count{} ", braces(""))) {
            count = value(line).unwrap_or(0.0) as u64;
        }
    }
    (list, sum, count)
}

/// The `q` quantile from cumulative buckets: the bucket `(lower, upper]` it falls in and a
/// linear interpolation inside it. `None` for the upper bound: beyond the last bucket.
fn quantile(buckets: &[(f64, u64)], count: u64, q: f64) -> Option<(f64, Option<f64>, f64)> {
    if count == 0 {
        return None;
    }
    let rank = q * count as f64;
    let (mut lower, mut below) = (0.0, 0u64);
    for &(upper, cumulative) in buckets {
        if cumulative as f64 >= rank {
            let inside = (cumulative - below) as f64;
            let estimate = if inside > 0.0 {
                lower + (upper - lower) * (rank - below as f64) / inside
            } else {
                upper
            };
            return Some((lower, Some(upper), estimate));
        }
        lower = upper;
        below = cumulative;
    }
    Some((lower, None, lower))
}

impl Report {
    fn print(&self) {
        let e = &self.expected;
        let secs = self.window.as_secs_f64();
        println!("pipeline_mockcluster: brandpulse::pipeline::run on a 1-broker MockCluster, demo config");
        if let Some((series, events)) = self.alert_work {
            println!(
                "  alert stage       : alongside; by the end, {series} brand/kind series with closed windows, {events} alert events"
            );
        }
        println!(
            "  input             : {} canonical mentions (demo generator, seed {}), {} malformed; \
             expected {} scored outputs, {} unmatched, {} dead letters",
            self.n,
            corpus::SEED,
            e.dead,
            e.scored,
            e.unmatched,
            e.dead
        );
        println!(
            "  pre-produce       : {:.3} s ({:.0} records/s, all acknowledged)",
            self.produce.as_secs_f64(),
            self.n as f64 / self.produce.as_secs_f64()
        );
        println!(
            "  start -> first    : {:.3} s (group join; not measured)",
            self.wait_for_first.as_secs_f64()
        );
        println!(
            "  first consumed -> last complete: {:.3} s  =>  {:.0} mentions/s",
            secs,
            self.n as f64 / secs
        );
        let ms = |s: f64| s * 1000.0;
        println!(
            "  latency (consume -> last output acked), {} samples, exact mean {:.1} ms",
            self.latency_count,
            ms(self.latency_sum / self.latency_count.max(1) as f64)
        );
        for q in [0.5, 0.99] {
            match quantile(&self.latency, self.latency_count, q) {
                Some((lo, Some(hi), est)) => println!(
                    "    p{:<3}: in bucket ({:.0}, {:.0}] ms, interpolated {:.1} ms",
                    q * 100.0,
                    ms(lo),
                    ms(hi),
                    ms(est)
                ),
                Some((lo, None, _)) => {
                    println!(
                        "    p{:<3}: above the last bucket, > {:.0} ms",
                        q * 100.0,
                        ms(lo)
                    )
                }
                None => println!("    p{:<3}: no samples", q * 100.0),
            }
        }
        let busy: Vec<String> = self
            .stage_busy
            .iter()
            .map(|(stage, secs)| format!("{stage} {:.0} ms", ms(*secs)))
            .collect();
        println!(
            "  time in stages    : {} (sums of brandpulse_stage_latency_seconds; emit = enqueueing only)",
            busy.join(", ")
        );
        println!(
            "  score stage       : {} matched mentions had no language (detected there), {} sentiment cache hits",
            e.to_detect, self.cache_hits
        );
        println!(
            "  counts            : {}",
            if self.mismatches.is_empty() {
                "all as expected"
            } else {
                "MISMATCH"
            }
        );
    }
}
