//! Pipeline tests against librdkafka's in-process mock cluster: at-least-once across a
//! restart, two group members splitting partitions, every kind of bad input reaching the
//! dead-letter topic with its reason, and the mentions that need a response reaching the inbox.

mod common;

use std::time::Duration;

use brandpulse::config::Config;
use rdkafka::mocking::MockCluster;

use common::member::*;
use common::*;

fn cluster() -> (
    MockCluster<'static, rdkafka::producer::DefaultProducerContext>,
    String,
) {
    let c = MockCluster::new(1).expect("mock cluster");
    for (t, p) in [
        ("mentions", 4),
        ("tweets", 1),
        ("scored", 2),
        ("dead", 1),
        ("inbox", 1),
    ] {
        c.create_topic(t, p, 1).expect("create topic");
    }
    let b = c.bootstrap_servers();
    (c, b)
}

async fn wait_for(what: &str, timeout: Duration, cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_least_once_across_a_restart_mid_stream() {
    let (_cluster, brokers) = cluster();
    // Small buffers, so that a stop leaves input unread.
    let config = Config::from_toml(
        &config_toml(&brokers, "g1", "channel_capacity = 2\nmax_in_flight = 500"),
        "test",
    )
    .unwrap();
    const N: usize = 20_000;
    const FIRST: usize = 15_000;
    let records: Vec<_> = (0..N)
        .map(|i| {
            (
                "mentions",
                Some(format!("k{i}").into_bytes()),
                Some(acme_mention(i).into_bytes()),
            )
        })
        .collect();
    produce(&brokers, &records[..FIRST]).await;

    let first = start(&config);
    wait_for("first outputs", Duration::from_secs(30), || {
        first.scored() >= 100
    })
    .await;
    // Stop mid-stream (graceful drain), then more input arrives while the service is down.
    let metrics = first.metrics.clone();
    first.stop().await;
    let produced_first = metrics.produced.with_label_values(&["scored"]).get();
    produce(&brokers, &records[FIRST..]).await;
    let second = start(&config);
    let reads = tokio::task::spawn_blocking(move || {
        read_until(
            &brokers,
            &["scored", "dead"],
            Duration::from_secs(60),
            |r| scored_ids(r).len() >= N,
        )
    })
    .await
    .unwrap();
    second.stop().await;
    let ids = scored_ids(&reads);
    eprintln!(
        "read {} records, {} distinct ids; first member scored {produced_first}",
        reads.len(),
        ids.len()
    );
    let missing: Vec<_> = (0..N)
        .filter(|i| !ids.contains(&format!("m-{i}")))
        .take(10)
        .collect();
    assert!(missing.is_empty(), "lost mentions, e.g. {missing:?}");
    assert!(
        produced_first < FIRST as u64,
        "the restart did not happen mid-stream ({produced_first} of {FIRST} done before it)"
    );
    // Records are keyed by brand.
    assert!(reads
        .iter()
        .filter(|r| r.topic == "scored")
        .all(|r| r.key.as_deref() == Some(&b"acme"[..])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_members_split_the_partitions() {
    let (_cluster, brokers) = cluster();
    let config = Config::from_toml(&config_toml(&brokers, "g2", ""), "test").unwrap();
    let a = start(&config);
    let b = start(&config);
    const N: usize = 2000;
    // Keys spread records over all four partitions.
    let records: Vec<_> = (0..N)
        .map(|i| {
            (
                "mentions",
                Some(format!("k{i}").into_bytes()),
                Some(acme_mention(i).into_bytes()),
            )
        })
        .collect();
    // Let both join before producing, so the first member does not take everything.
    tokio::time::sleep(Duration::from_secs(5)).await;
    produce(&brokers, &records).await;
    let brokers2 = brokers.clone();
    let reads = tokio::task::spawn_blocking(move || {
        read_until(&brokers2, &["scored"], Duration::from_secs(60), |r| {
            scored_ids(r).len() >= N
        })
    })
    .await
    .unwrap();
    let consumed = |m: &Member| m.metrics.consumed.with_label_values(&["mentions"]).get();
    let (ca, cb) = (consumed(&a), consumed(&b));
    a.stop().await;
    b.stop().await;
    assert_eq!(scored_ids(&reads).len(), N);
    assert!(ca > 0 && cb > 0, "both members consume: a={ca} b={cb}");
    assert!(ca + cb >= N as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_bad_input_reaches_the_dead_letter_topic() {
    let (_cluster, brokers) = cluster();
    let config =
        Config::from_toml(&config_toml(&brokers, "g3", "max_text_bytes = 100"), "test").unwrap();
    let long = serde_json::json!({"id": "long", "text": "acme ".repeat(40), "created_at": "2026-11-01T12:00:00Z", "source": "x"}).to_string();
    let bad: Vec<(&str, &str, Option<Vec<u8>>)> = vec![
        (
            "invalid_json",
            "mentions",
            Some(b"{\"id\": \"x\", ".to_vec()),
        ),
        (
            "invalid_utf8",
            "mentions",
            Some(b"{\"id\": \"\xff\xfe\"}".to_vec()),
        ),
        (
            "missing_field",
            "mentions",
            Some(br#"{"id": "x", "created_at": "2026-11-01T12:00:00Z", "source": "x"}"#.to_vec()),
        ),
        (
            "invalid_field",
            "mentions",
            Some(
                br#"{"id": "x", "text": "acme", "created_at": "yesterday", "source": "x"}"#
                    .to_vec(),
            ),
        ),
        ("text_too_long", "mentions", Some(long.into_bytes())),
        ("empty_payload", "mentions", None),
        (
            "missing_field",
            "tweets",
            Some(br#"{"text": "acme"}"#.to_vec()),
        ),
    ];
    let records: Vec<_> = bad
        .iter()
        .map(|(_, topic, payload)| (*topic, Some(b"key".to_vec()), payload.clone()))
        .chain([("mentions", None, Some(acme_mention(1).into_bytes()))])
        .collect();
    produce(&brokers, &records).await;
    let member = start(&config);
    let want = bad.len();
    let reads = tokio::task::spawn_blocking(move || {
        read_until(
            &brokers,
            &["dead", "scored"],
            Duration::from_secs(30),
            |r| {
                r.iter().filter(|x| x.topic == "dead").count() >= want
                    && r.iter().any(|x| x.topic == "scored")
            },
        )
    })
    .await
    .unwrap();
    let dead_counter = |reason: &str| {
        member
            .metrics
            .dead_letters
            .with_label_values(&[reason])
            .get()
    };
    let mut reasons: Vec<String> = reads
        .iter()
        .filter(|r| r.topic == "dead")
        .map(|r| r.headers["brandpulse-reason"].clone())
        .collect();
    reasons.sort();
    let mut expected: Vec<String> = bad.iter().map(|(r, _, _)| r.to_string()).collect();
    expected.sort();
    assert_eq!(reasons, expected);
    for r in reads.iter().filter(|r| r.topic == "dead") {
        assert!(["mentions", "tweets"].contains(&r.headers["brandpulse-source-topic"].as_str()));
        assert!(r.headers["brandpulse-source-offset"].parse::<i64>().is_ok());
        assert!(r.headers["brandpulse-source-partition"]
            .parse::<i32>()
            .is_ok());
        assert!(!r.headers["brandpulse-error"].is_empty());
        assert_eq!(r.key.as_deref(), Some(&b"key"[..]), "original key kept");
    }
    // The original bytes are kept, even when they are not UTF-8.
    assert!(reads
        .iter()
        .any(|r| r.payload.as_deref() == Some(&b"{\"id\": \"\xff\xfe\"}"[..])));
    assert_eq!(dead_counter("missing_field"), 2);
    assert_eq!(dead_counter("text_too_long"), 1);
    // Consumer lag per partition comes from librdkafka statistics (every second here).
    // Partitions that never held a record have no known lag and no series. The bad records
    // share one key, so one partition; the good one has no key and may land on it too, so
    // the partitions known to hold records are those the dead letters name.
    let with_records: std::collections::BTreeSet<String> = reads
        .iter()
        .filter(|r| r.topic == "dead" && r.headers["brandpulse-source-topic"] == "mentions")
        .map(|r| r.headers["brandpulse-source-partition"].clone())
        .collect();
    assert_eq!(with_records.len(), 1, "one key, one partition");
    let lags = || {
        (0..4)
            .filter_map(|p| {
                let p = p.to_string();
                let g = member.metrics.consumer_lag.get(&["mentions", &p])?;
                Some((p, g.get() as f64))
            })
            .collect::<Vec<(String, f64)>>()
    };
    wait_for(
        "lag series at 0 for the partitions with records",
        Duration::from_secs(15),
        || {
            let l = lags();
            with_records.iter().all(|p| l.iter().any(|(q, _)| q == p))
                && l.iter().all(|(_, v)| *v == 0.0)
        },
    )
    .await;
    assert!(
        lags().len() <= 2,
        "no series for empty partitions: {:?}",
        lags()
    );
    member.stop().await;
}

/// Twitter stream notices are counted, never dead-lettered; a deletion of a post that was
/// scored becomes a deletion record on the scored topic, keyed by the brand like the post's
/// record, and a deletion of a post that matched nothing produces nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_notices_are_counted_and_deletions_reach_the_scored_topic() {
    let (_cluster, brokers) = cluster();
    let config = Config::from_toml(&config_toml(&brokers, "notices", ""), "test").unwrap();
    let tweet = |id: &str, text: &str| {
        serde_json::json!({
            "id_str": id,
            "text": text,
            "timestamp_ms": "1700000000000",
            "user": {"id_str": "9", "screen_name": "someone", "followers_count": 5},
            "lang": "en"
        })
        .to_string()
    };
    let delete = |id: &str| {
        serde_json::json!({"delete": {"status": {"id": 1, "id_str": id, "user_id_str": "9"}, "timestamp_ms": "1700000001000"}})
            .to_string()
    };
    let records: Vec<Input<'_>> = [
        tweet("100", "Acme rocket skates are great"),
        tweet("101", "nothing to see here"),
        r#"{"limit": {"track": 42, "timestamp_ms": "1700000000500"}}"#.to_string(),
        delete("100"),
        delete("101"),
        r#"{"warning": {"code": "FALLING_BEHIND", "message": "slow", "percent_full": 60}}"#
            .to_string(),
    ]
    .into_iter()
    .map(|p| ("tweets", None, Some(p.into_bytes())))
    .collect();
    let member = start(&config);
    produce(&brokers, &records).await;
    let reads = tokio::task::spawn_blocking({
        let brokers = brokers.clone();
        move || {
            read_until(
                &brokers,
                &["scored", "dead"],
                Duration::from_secs(30),
                |r| r.len() >= 2,
            )
        }
    })
    .await
    .unwrap();
    let metrics = member.metrics.clone();
    wait_for("every record completed", Duration::from_secs(30), || {
        metrics.notices.with_label_values(&["warning"]).get() == 1
            && metrics.deletions_unknown.get() == 1
    })
    .await;
    let metrics = member.stop().await;
    assert!(
        reads.iter().all(|r| r.topic == "scored"),
        "no dead letters: {:?}",
        reads.iter().map(|r| &r.headers).collect::<Vec<_>>()
    );
    assert_eq!(reads.len(), 2, "the scored post and its deletion");
    let (scored, deletion) = (reads[0].json(), reads[1].json());
    assert_eq!(scored["mention_id"], "100");
    assert_eq!(deletion["mention_id"], "100");
    assert_eq!(deletion["deleted"], true);
    assert_eq!(deletion["brand"], "acme");
    assert_eq!(reads[1].key.as_deref(), Some(&b"acme"[..]));
    assert_eq!(
        reads[1]
            .headers
            .get("brandpulse-record-type")
            .map(String::as_str),
        Some("deletion")
    );
    assert_eq!(reads[0].headers.get("brandpulse-record-type"), None);
    for (kind, n) in [
        ("delete", 2),
        ("limit", 1),
        ("warning", 1),
        ("scrub_geo", 0),
    ] {
        assert_eq!(
            metrics.notices.with_label_values(&[kind]).get(),
            n,
            "{kind}"
        );
    }
    assert_eq!(metrics.deletions.get(), 1);
    assert_eq!(metrics.deletions_unknown.get(), 1);
    assert_eq!(
        metrics
            .dead_letters
            .with_label_values(&["missing_field"])
            .get(),
        0
    );
}

/// Complaints and questions that need a response also reach the inbox topic, keyed by brand,
/// highest priority first within a batch; praise reaches the scored topic only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mentions_that_need_a_response_reach_the_inbox_topic() {
    let (_cluster, brokers) = cluster();
    let config = Config::from_toml(&config_toml(&brokers, "inbox", ""), "test").unwrap();
    let mention = |id: &str, text: &str| {
        serde_json::json!({
            "id": id, "text": text, "created_at": "2026-11-01T12:00:00Z",
            "source": "twitter", "lang": "en", "author": {"id": id, "followers": 100},
        })
        .to_string()
    };
    // One key, so one partition and one batch: the inbox order is the priority order.
    let records: Vec<Input<'_>> = [
        mention("m-praise", "Acme rocket skates are great, love them"),
        mention(
            "m-question",
            "@acme do you ship Acme rocket skates to Canada?",
        ),
        mention(
            "m-complaint",
            "@acme my Acme rocket skates broke after two days, how do I get a refund?",
        ),
    ]
    .into_iter()
    .map(|p| ("mentions", Some(b"k".to_vec()), Some(p.into_bytes())))
    .collect();
    produce(&brokers, &records).await;
    let member = start(&config);
    let reads = tokio::task::spawn_blocking({
        let brokers = brokers.clone();
        move || {
            read_until(
                &brokers,
                &["scored", "inbox"],
                Duration::from_secs(30),
                |r| {
                    r.iter().filter(|x| x.topic == "scored").count() >= 3
                        && r.iter().filter(|x| x.topic == "inbox").count() >= 2
                },
            )
        }
    })
    .await
    .unwrap();
    let metrics = member.stop().await;
    let inbox: Vec<serde_json::Value> = reads
        .iter()
        .filter(|r| r.topic == "inbox")
        .map(|r| {
            assert_eq!(r.key.as_deref(), Some(&b"acme"[..]), "keyed by brand");
            r.json()
        })
        .collect();
    let ids: Vec<&str> = inbox
        .iter()
        .map(|v| v["mention_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["m-complaint", "m-question"], "highest priority first");
    assert_eq!(
        inbox[0]["intent"]["labels"],
        serde_json::json!(["complaint", "question"])
    );
    assert!(inbox[0]["intent"]["priority"].as_u64() > inbox[1]["intent"]["priority"].as_u64());
    let praise = reads
        .iter()
        .find(|r| r.topic == "scored" && r.json()["mention_id"] == "m-praise")
        .expect("praise is scored");
    assert_eq!(praise.json()["intent"]["needs_response"], false);
    assert_eq!(metrics.produced.with_label_values(&["inbox"]).get(), 2);
    assert_eq!(metrics.brand_inbox.with_label_values(&["acme"]).get(), 2);
}

/// A missing inbox topic fails the start, naming the field and the way out, instead of
/// stalling partitions on produce retries.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_inbox_topic_fails_the_start_naming_the_field() {
    let c = MockCluster::new(1).expect("mock cluster");
    for (t, p) in [("mentions", 1), ("tweets", 1), ("scored", 1), ("dead", 1)] {
        c.create_topic(t, p, 1).expect("create topic");
    }
    let brokers = c.bootstrap_servers();
    let config = Config::from_toml(&config_toml(&brokers, "no-inbox", ""), "test").unwrap();
    let member = start(&config);
    let result = tokio::time::timeout(Duration::from_secs(30), member.handle)
        .await
        .expect("the start fails without waiting for shutdown")
        .expect("join");
    let err = result.expect_err("no inbox topic").to_string();
    assert!(
        err.contains("`inbox` (output.inbox_topic) does not exist")
            && err.contains("inbox_topic = \"\""),
        "{err}"
    );
}

/// A post by one of the brand's own handles that replies to an inbox mention answers it: its
/// first-response time is recorded, a second reply is `already_answered`, a reply consumed
/// before its mention answers it when the mention arrives, and a reply to a mention the inbox
/// never holds counts as `unknown` once `inbox.early_reply_wait` is over. The brand's own
/// posts never go to its inbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brand_replies_answer_inbox_items_with_their_first_response_time() {
    let (_cluster, brokers) = cluster();
    let toml = config_toml(&brokers, "answered", "[inbox]\nearly_reply_wait = \"1s\"").replace(
        "id = \"acme\"\n",
        "id = \"acme\"\nown_handles = [\"@AcmeHelp\"]\n",
    );
    let config = Config::from_toml(&toml, "test").unwrap();
    let post = |id: &str, text: &str, at: &str, handle: &str, reply_to: Option<&str>| {
        let mut v = serde_json::json!({
            "id": id, "text": text, "created_at": at, "source": "twitter", "lang": "en",
            "author": {"id": handle, "handle": handle, "followers": 100},
        });
        if let Some(to) = reply_to {
            v["reply_to"] = serde_json::json!({ "id": to });
        }
        v.to_string()
    };
    let records: Vec<Input<'_>> = [
        post(
            "m-complaint",
            "@acme my Acme rocket skates broke after two days, this is unacceptable",
            "2026-11-01T12:00:00Z",
            "jane",
            None,
        ),
        // Consumed before the mention it answers.
        post(
            "r-early",
            "@bob yes, we ship to Canada",
            "2026-11-01T12:10:00Z",
            "AcmeHelp",
            Some("m-question"),
        ),
        post(
            "m-question",
            "@acme do you ship Acme rocket skates to Canada?",
            "2026-11-01T12:02:00Z",
            "bob",
            None,
        ),
        // Names the brand and complains about nothing; it is the brand's own post anyway.
        post(
            "r-1",
            "@jane so sorry about your Acme skates, is there anything we can do? DM us",
            "2026-11-01T12:05:00Z",
            "acmehelp",
            Some("m-complaint"),
        ),
        post(
            "r-2",
            "@jane following up: a replacement is on its way",
            "2026-11-01T12:30:00Z",
            "AcmeHelp",
            Some("m-complaint"),
        ),
        post(
            "r-unknown",
            "@carol thanks!",
            "2026-11-01T12:31:00Z",
            "AcmeHelp",
            Some("m-never-seen"),
        ),
        // Not the brand's handle: not an answer.
        post(
            "x-1",
            "@jane same here, mine broke too",
            "2026-11-01T12:06:00Z",
            "someone",
            Some("m-complaint"),
        ),
    ]
    .into_iter()
    .map(|p| ("mentions", Some(b"k".to_vec()), Some(p.into_bytes())))
    .collect();
    produce(&brokers, &records).await;
    let member = start(&config);
    let replies = |result: &str| {
        member
            .metrics
            .inbox_replies
            .with_label_values(&[result])
            .get()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !(replies("answered") >= 2 && replies("unknown") >= 1) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "answered {} already {} early {} unknown {}",
            replies("answered"),
            replies("already_answered"),
            replies("early"),
            replies("unknown")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The gauges are set on the emitter's 1 s clock.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let snapshot = member.metrics.live.snapshot_at(chrono::Utc::now());
    let metrics = member.stop().await;
    assert_eq!(replies_of(&metrics, "answered"), 2);
    assert_eq!(
        replies_of(&metrics, "unknown"),
        1,
        "r-unknown, after its wait"
    );
    // r-early and r-unknown are always early; r-1 and r-2 are early too when they come in the
    // same batch as their mention (it opens when its inbox copy is acknowledged), else r-1
    // answers and r-2 finds it answered already.
    let (early, already) = (
        replies_of(&metrics, "early"),
        replies_of(&metrics, "already_answered"),
    );
    assert!(
        (early, already) == (4, 0) || (early, already) == (2, 1),
        "early {early} already_answered {already}"
    );
    // The two customers' posts went to the inbox; the brand's own post r-1 did not.
    assert_eq!(metrics.brand_inbox.with_label_values(&["acme"]).get(), 2);
    assert_eq!(
        metrics.brand_inbox_open.with_label_values(&["acme"]).get(),
        0
    );
    assert_eq!(
        metrics
            .brand_inbox_oldest_complaint
            .with_label_values(&["acme"])
            .get(),
        0.0
    );
    // The live page lists both as answered, with their first-response times.
    let acme = snapshot
        .brands
        .iter()
        .find(|b| b.brand == "acme")
        .expect("acme on the live page");
    let mut answered: Vec<(&str, Option<f64>)> = acme
        .inbox
        .iter()
        .map(|i| (i.id.as_str(), i.first_response_seconds))
        .collect();
    answered.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(
        answered,
        [("m-complaint", Some(300.0)), ("m-question", Some(480.0))]
    );
}

fn replies_of(metrics: &brandpulse::telemetry::Metrics, result: &str) -> u64 {
    metrics.inbox_replies.with_label_values(&[result]).get()
}
