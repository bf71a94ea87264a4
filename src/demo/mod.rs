//! `brandpulse demo`: the embedded default. Starts an in-process Kafka-protocol broker
//! (librdkafka's mock cluster), feeds it a generated sample stream (several brands,
//! languages and sources, a compressed daily rhythm, a negative burst for `acme` every five
//! minutes, about 1% malformed records), and runs the real pipeline on it.

pub mod generator;

use std::net::SocketAddr;
use std::time::Duration;

use futures::stream::FuturesUnordered;
use futures::StreamExt;
use rdkafka::config::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::config::Config;
use crate::score::Scorer;
use crate::service::{Service, ServiceError};
use crate::shutdown::Shutdown;
use crate::telemetry::Metrics;

/// The demo's configuration (brands, topics), embedded in the binary.
pub const DEMO_CONFIG: &str = include_str!("demo.toml");

/// Errors of the demo.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The mock broker could not start.
    #[error("starting the in-process broker: {0}")]
    Broker(rdkafka::error::KafkaError),
    /// The embedded config is invalid (a bug).
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The service (endpoints, pipeline, alert stage) failed.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

/// Options of `brandpulse demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Stop after this long (None: until Ctrl-C).
    pub duration: Option<Duration>,
    /// Mean mentions per second before the daily rhythm and bursts.
    pub rate: f64,
    /// Address of the metrics endpoint.
    pub listen: SocketAddr,
    /// Seed of the sample stream.
    pub seed: u64,
}

/// The demo config with `brokers` pointing at `bootstrap`.
///
/// # Errors
/// [`crate::config::ConfigError`] if the embedded config is invalid.
pub fn demo_config(
    bootstrap: &str,
    listen: SocketAddr,
) -> Result<Config, crate::config::ConfigError> {
    let mut config = Config::from_toml(DEMO_CONFIG, "embedded demo config")?;
    config.kafka.brokers = bootstrap.to_string();
    config.telemetry.listen = listen;
    config.validate_for_run()?;
    Ok(config)
}

/// Runs the demo until SIGINT/SIGTERM or until `duration` passes.
///
/// # Errors
/// [`DemoError`] when the broker or the service fails.
pub async fn run(opts: DemoOptions, scorer: Box<dyn Scorer>) -> Result<(), DemoError> {
    let cluster = MockCluster::new(1).map_err(DemoError::Broker)?;
    let bootstrap = cluster.bootstrap_servers();
    let config = demo_config(&bootstrap, opts.listen)?;
    for (topic, partitions) in [
        ("mentions", 4),
        ("tweets", 2),
        (config.output.topic.as_str(), 4),
        (config.output.dead_letter_topic.as_str(), 1),
        (config.output.inbox_topic.as_str(), 2),
        (config.alert.alerts_topic.as_str(), 1),
        (config.alert.checkpoint_topic.as_str(), 1),
    ] {
        cluster
            .create_topic(topic, partitions, 1)
            .map_err(DemoError::Broker)?;
    }
    let service = Service::bind(config.clone()).await?;
    let addr = service.addr();
    let metrics = service.metrics().clone();
    let trigger = service.trigger();
    let shutdown = service.shutdown();
    tokio::spawn(crate::shutdown::on_signals(trigger.clone()));

    println!("brandpulse demo");
    println!(
        "  in-process Kafka broker : {bootstrap}   (topics: mentions, tweets -> {}, {}, {})",
        config.output.topic, config.output.inbox_topic, config.output.dead_letter_topic
    );
    println!("  live page               : http://{addr}/");
    println!("  metrics                 : http://{addr}/metrics");
    println!("  health                  : http://{addr}/healthz  http://{addr}/readyz");
    println!(
        "  brands                  : {}",
        config
            .brands
            .iter()
            .map(|b| b.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("  look at                 : brandpulse_brand_mentions_total{{brand=\"acme\",sentiment=\"negative\"}}");
    println!("                            (a negative burst for acme starts after 90 s, then every 5 min),");
    println!(
        "                            brandpulse_dead_letters_total, brandpulse_ingest_consumer_lag,"
    );
    println!(
        "                            brandpulse_alert_active (spike alerts; events on {})",
        config.alert.alerts_topic
    );
    match opts.duration {
        Some(d) => println!(
            "  running for {}; Ctrl-C stops earlier",
            humantime::format_duration(d)
        ),
        None => println!("  running until Ctrl-C"),
    }

    if let Some(d) = opts.duration {
        let trigger = trigger.clone();
        tokio::spawn(async move {
            tokio::time::sleep(d).await;
            trigger.fire();
        });
    }
    let feeder = tokio::spawn(feed(
        bootstrap.clone(),
        opts.rate,
        opts.seed,
        shutdown.clone(),
    ));
    let progress = tokio::spawn(report_progress(metrics.clone(), shutdown));
    let result = service.run(scorer).await;
    let _ = feeder.await;
    progress.abort();
    print_progress(&metrics);
    drop(cluster);
    result.map_err(DemoError::from)
}

/// Produces the sample stream into the mock broker until shutdown.
async fn feed(bootstrap: String, rate: f64, seed: u64, mut shutdown: Shutdown) {
    let producer: FutureProducer = match ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("linger.ms", "5")
        .create()
    {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "demo feeder could not start");
            return;
        }
    };
    let start = chrono::Utc::now();
    let mut generator = generator::Generator::new(seed, start);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut carry = 0.0_f64;
    let mut deliveries = FuturesUnordered::new();
    loop {
        tokio::select! {
            _ = shutdown.recv() => break,
            _ = tick.tick() => {}
        }
        let now = chrono::Utc::now();
        carry += rate * generator.rate_multiplier(now) * 0.1;
        while carry >= 1.0 {
            carry -= 1.0;
            let sample = generator.next_sample(now);
            let record = FutureRecord::to(sample.topic)
                .key(sample.key.as_bytes())
                .payload(&sample.payload[..]);
            match producer.send_result(record) {
                Ok(delivery) => deliveries.push(delivery),
                Err((e, _)) => {
                    tracing::warn!(error = %e, "demo feeder: local queue full, sample dropped")
                }
            }
        }
        // Reap acknowledgements without waiting for them one by one.
        while let Some(Some(_)) = futures::FutureExt::now_or_never(deliveries.next()) {}
    }
}

async fn report_progress(metrics: Metrics, mut shutdown: Shutdown) {
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = shutdown.recv() => return,
            _ = tick.tick() => print_progress(&metrics),
        }
    }
}

fn print_progress(metrics: &Metrics) {
    let consumed: u64 = ["mentions", "tweets"]
        .iter()
        .map(|t| metrics.consumed.with_label_values(&[t]).get())
        .sum();
    let scored = metrics.produced.with_label_values(&["scored"]).get();
    let dead = metrics.produced.with_label_values(&["dead_letter"]).get();
    let unmatched = metrics.unmatched.get();
    println!(
        "progress: consumed={consumed} scored_out={scored} dead_letters={dead} unmatched={unmatched} in_flight={}",
        metrics.in_flight.get()
    );
}
