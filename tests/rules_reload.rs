//! Live rule reloads through the real binary (`brandpulse run`) on librdkafka's mock cluster:
//! a config file change adds a brand while mentions stream through, without losing any; a
//! bad edit (picked up by the file poll, then again by SIGHUP) keeps the old rules; both are
//! counted in `brandpulse_rules_reloads_total`.

#![cfg(unix)]

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

const GLOBEX: &str = r#"
[[brands]]
id = "globex"
[brands.topics.brand]
query = 'globex -"globex plumbing"'
"#;

fn mention(i: usize) -> Input<'static> {
    let m = serde_json::json!({
        "id": format!("m-{i}"),
        "text": format!("Acme and Globex, round {i}"),
        "created_at": "2026-11-01T12:00:00Z",
        "source": "twitter",
    });
    (
        "mentions",
        Some(format!("k{i}").into_bytes()),
        Some(m.to_string().into_bytes()),
    )
}

/// Brands per mention id in the scored topic, once there are at least `acme` records keyed
/// acme and `globex` keyed globex.
fn brands_by_mention(
    brokers: &str,
    acme: usize,
    globex: usize,
) -> HashMap<String, HashSet<String>> {
    let count = |r: &[Read], key: &[u8]| r.iter().filter(|r| r.key.as_deref() == Some(key)).count();
    let reads = read_until(brokers, &["scored"], Duration::from_secs(60), |r| {
        count(r, b"acme") >= acme && count(r, b"globex") >= globex
    });
    let mut out: HashMap<String, HashSet<String>> = HashMap::new();
    for r in reads {
        let j = r.json();
        out.entry(j["mention_id"].as_str().unwrap_or_default().to_string())
            .or_default()
            .insert(j["brand"].as_str().unwrap_or_default().to_string());
    }
    out
}

/// Kills the service if the test fails half-way.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn reloads(port: u16, result: &str) -> f64 {
    metric(
        &http_get(port, "/metrics"),
        &format!("brandpulse_rules_reloads_total{{result=\"{result}\"}}"),
    )
    .unwrap_or(-1.0)
}

fn write(path: &Path, text: &str) {
    // Write then rename, as editors and Kubernetes ConfigMap updates do.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_reload_on_file_change_and_sighup_without_losing_mentions() {
    let (_cluster, brokers) =
        mock_cluster(&[("mentions", 4), ("tweets", 1), ("scored", 2), ("dead", 1)]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("brandpulse.toml");
    let port = free_port();
    let base = config_toml(
        &brokers,
        "reload",
        &format!("[telemetry]\nlisten = \"127.0.0.1:{port}\"\n[matching]\nreload_poll = \"200ms\""),
    );
    write(&path, &base);
    let log = std::fs::File::create(dir.path().join("brandpulse.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_brandpulse"))
        .args(["run", "--config", path.to_str().unwrap()])
        .env("RUST_LOG", "info,librdkafka=warn,rdkafka=warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start brandpulse");
    let mut child = KillOnDrop(child);
    let pid = child.0.id().to_string();
    let log_text =
        || std::fs::read_to_string(dir.path().join("brandpulse.log")).unwrap_or_default();

    // 1. Only acme in the rules.
    produce(&brokers, &(0..200).map(mention).collect::<Vec<_>>()).await;
    let got = brands_by_mention(&brokers, 200, 0);
    assert_eq!(got.len(), 200, "{}", log_text());
    assert!(got.values().all(|b| b.len() == 1 && b.contains("acme")));

    // 2. Add globex by editing the file while 3,000 mentions stream through.
    let streaming = {
        let brokers = brokers.clone();
        tokio::spawn(async move {
            for chunk in (200..3200).collect::<Vec<_>>().chunks(100) {
                produce(
                    &brokers,
                    &chunk.iter().map(|&i| mention(i)).collect::<Vec<_>>(),
                )
                .await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    write(&path, &format!("{base}{GLOBEX}"));
    wait_until("the file-change reload", Duration::from_secs(20), || {
        reloads(port, "ok") >= 1.0
    });
    streaming.await.unwrap();
    // Nothing lost: every mention has its acme record; after the reload, globex ones too.
    let got = brands_by_mention(&brokers, 3200, 1);
    let acme = got.values().filter(|b| b.contains("acme")).count();
    assert_eq!(acme, 3200, "{}", log_text());
    let globex = got.values().filter(|b| b.contains("globex")).count();
    assert!(globex > 0, "no globex match after the reload");
    assert!(
        got["m-3199"].contains("globex"),
        "the last mention predates the reload?"
    );
    let body = http_get(port, "/metrics");
    assert_eq!(
        metric(&body, "brandpulse_rules_brands"),
        Some(2.0),
        "{body}"
    );

    // 3. A bad edit (picked up by the poll) and a SIGHUP both keep the old rules.
    write(
        &path,
        &format!(
            "{base}{}",
            GLOBEX.replace("-\"globex plumbing\"", "-\"globex plumbing")
        ),
    );
    wait_until("the failed reload", Duration::from_secs(20), || {
        reloads(port, "error") >= 1.0
    });
    let status = Command::new("kill").args(["-HUP", &pid]).status().unwrap();
    assert!(status.success());
    wait_until("the SIGHUP reload", Duration::from_secs(20), || {
        reloads(port, "error") >= 2.0
    });
    assert!(
        log_text().contains("unclosed quote"),
        "the log says why: {}",
        log_text()
    );
    produce(&brokers, &(5000..5100).map(mention).collect::<Vec<_>>()).await;
    let got = brands_by_mention(&brokers, 3300, globex + 100);
    for i in 5000..5100 {
        let b = &got[&format!("m-{i}")];
        assert!(b.contains("acme") && b.contains("globex"), "m-{i}: {b:?}");
    }
    assert_eq!(reloads(port, "ok"), 1.0);

    // 4. A good SIGHUP reload (back to acme only) still works after the failures.
    write(&path, &base);
    wait_until("the reload back", Duration::from_secs(20), || {
        reloads(port, "ok") >= 2.0
    });

    let status = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(status.success());
    let exit = child.0.wait().unwrap();
    assert!(exit.success(), "exit {exit:?}: {}", log_text());
}
