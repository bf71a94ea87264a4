//! Poison records on librdkafka's mock cluster: records whose output (or dead letter) Kafka
//! can never accept must not stall their partition. Each kind ends up on the dead-letter topic
//! with its reason, cut to fit when it is too large, and the records after it are processed.

mod common;

use std::time::Duration;

use brandpulse::config::Config;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

use common::member::*;
use common::*;

fn mention(id: &str, text: &str, source: &str) -> Vec<u8> {
    serde_json::json!({"id": id, "text": text, "created_at": "2026-11-01T12:00:00Z", "source": source})
        .to_string()
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_records_are_dead_lettered_and_the_partition_moves_on() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    // One partition, so every poison record sits in front of the good ones after it.
    let (cluster, brokers) =
        mock_cluster(&[("mentions", 1), ("tweets", 1), ("scored", 1), ("dead", 1)]);
    // librdkafka refuses records over 8 KiB; texts up to 16 KiB are accepted, so a long
    // valid mention makes an output Kafka cannot take.
    let mut config = Config::from_toml(
        &config_toml(&brokers, "poison", "max_text_bytes = 16000"),
        "test",
    )
    .unwrap();
    config.output.max_message_bytes = 8192;
    config.validate().unwrap();
    let garbage = {
        let mut g = b"{\"id\": ".to_vec();
        g.extend(std::iter::repeat_n(b'x', 20_000));
        g
    };
    let long_text = format!("acme {}", "rocket skates ".repeat(770));
    assert!(long_text.len() > 10_000 && long_text.len() < 16_000);
    let mut records: Vec<Input<'_>> = vec![
        (
            "mentions",
            Some(b"k-garbage".to_vec()),
            Some(garbage.clone()),
        ),
        (
            "mentions",
            Some(b"k-source".to_vec()),
            Some(mention("big-source", "acme is fine", &"s".repeat(5000))),
        ),
        (
            "mentions",
            Some(b"k-output".to_vec()),
            Some(mention("big-output", &long_text, "twitter")),
        ),
    ];
    for i in 0..50 {
        records.push(("mentions", None, Some(acme_mention(i).into_bytes())));
    }
    produce(&brokers, &records).await;

    let member = start(&config);
    let b = brokers.clone();
    let reads = tokio::task::spawn_blocking(move || {
        read_until(&b, &["scored", "dead"], Duration::from_secs(40), |r| {
            scored_ids(r).len() >= 50 && r.iter().filter(|x| x.topic == "dead").count() >= 3
        })
    })
    .await
    .unwrap();
    let in_flight = member.settle().await;
    let metrics = member.stop().await;

    // While the service is down, more input arrives; then the broker refuses the next
    // produce request as invalid. The outputs in it are permanent failures: dead-lettered,
    // and the records behind them still flow.
    let more: Vec<Input<'_>> = (100..110)
        .map(|i| ("mentions", None, Some(acme_mention(i).into_bytes())))
        .collect();
    produce(&brokers, &more).await;
    cluster.request_errors(
        RDKafkaApiKey::Produce,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_INVALID_RECORD],
    );
    let second = start(&config);
    let b = brokers.clone();
    let reads_after = tokio::task::spawn_blocking(move || {
        read_until(&b, &["scored", "dead"], Duration::from_secs(40), |r| {
            let seen: std::collections::HashSet<String> = r
                .iter()
                .filter_map(|x| x.json_lossy()?["mention_id"].as_str().map(str::to_string))
                .collect();
            (100..110).all(|i| seen.contains(&format!("m-{i}")))
        })
    })
    .await
    .unwrap();
    let in_flight2 = second.settle().await;
    let metrics2 = second.stop().await;

    let dead: Vec<&Read> = reads.iter().filter(|r| r.topic == "dead").collect();
    let by_reason = |reason: &str| {
        dead.iter()
            .find(|r| r.headers["brandpulse-reason"] == reason)
            .unwrap_or_else(|| {
                panic!(
                    "no dead letter with reason {reason}: {:?}",
                    dead.iter().map(|r| &r.headers).collect::<Vec<_>>()
                )
            })
    };
    // 1. A 20 KB unparseable record: its dead letter is cut to fit, and says so.
    let g = by_reason("invalid_json");
    assert_eq!(g.headers["brandpulse-truncated"], "prefix");
    assert_eq!(
        g.headers["brandpulse-original-size"],
        garbage.len().to_string()
    );
    assert_eq!(g.headers["brandpulse-original-sha256"].len(), 64);
    assert_eq!(g.headers["brandpulse-source-offset"], "0");
    let kept = g.payload.as_ref().unwrap();
    assert!(kept.len() < 8192 && garbage.starts_with(kept));
    assert_eq!(g.key.as_deref(), Some(&b"k-garbage"[..]));
    // 2. A valid mention with a huge `source`: a field limit, not only `text`.
    let s = by_reason("field_too_long");
    assert!(
        s.headers["brandpulse-error"].contains("source"),
        "{:?}",
        s.headers
    );
    // 3. A valid mention whose scored output is over message.max.bytes.
    let o = by_reason("output_too_large");
    assert_eq!(o.headers["brandpulse-output-topic"], "scored");
    assert_eq!(o.headers["brandpulse-source-offset"], "2");
    assert_eq!(o.headers["brandpulse-truncated"], "prefix");
    // Every good record behind them was scored.
    assert!(scored_ids(&reads).len() >= 50);
    // 4. Outputs the broker refused as invalid records were dead-lettered too.
    let invalid = metrics2
        .produce_errors
        .with_label_values(&["invalid_record"])
        .get();
    assert!(invalid >= 1, "the injected error was seen");
    assert!(
        reads_after
            .iter()
            .any(|r| r.topic == "dead" && r.headers["brandpulse-reason"] == "output_invalid"),
        "an output refused as invalid reached the dead-letter topic"
    );
    assert_eq!(
        metrics
            .produce_errors
            .with_label_values(&["message_too_large"])
            .get(),
        1
    );
    assert_eq!(
        metrics
            .dead_letters
            .with_label_values(&["output_too_large"])
            .get(),
        1
    );
    assert_eq!(metrics.outputs_dropped.get(), 0);
    assert_eq!(in_flight, 0, "nothing left waiting");
    assert_eq!(in_flight2, 0, "nothing left waiting");
    assert_eq!(metrics2.outputs_dropped.get(), 0);
}
