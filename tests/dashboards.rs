//! The Grafana dashboards in `deploy/grafana/dashboards/`: valid JSON, every panel bound to
//! the provisioned Prometheus datasource (uid `prometheus`) with queries, and every metric
//! their PromQL names either exported by brandpulse, checked against a real `/metrics`
//! scrape of `brandpulse run` (librdkafka's mock cluster, a stream with a volume spike so
//! that the alert stage's series exist too), or recorded by a rule in
//! `deploy/prometheus/rules/`. The rules' own expressions are held to the same standard.
//!
//! `dashboard_queries_parse_with_promtool` also parses every query with `promtool` (Grafana
//! variables substituted); it is `#[ignore]`d like the other tests that need the Debian
//! prometheus package (`make test` runs it; `scripts/ensure-prometheus.sh` installs it).

#![cfg(unix)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::*;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The datasource uid the provisioning file gives Prometheus.
const DATASOURCE_UID: &str = "prometheus";

/// Series Prometheus itself creates, which dashboards may use besides brandpulse's.
const PROMETHEUS_BUILTINS: &[&str] = &["up", "ALERTS", "ALERTS_FOR_STATE"];

fn dashboards() -> Vec<(String, Value)> {
    let dir = Path::new(ROOT).join("deploy/grafana/dashboards");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let json: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().into_owned(), json)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["brandpulse-brands.json", "brandpulse-pipeline.json"],
        "the dashboards"
    );
    out
}

/// Every panel, rows' nested panels included.
fn panels(dashboard: &Value) -> Vec<&Value> {
    fn walk<'a>(list: &'a Value, out: &mut Vec<&'a Value>) {
        for p in list.as_array().into_iter().flatten() {
            out.push(p);
            walk(&p["panels"], out);
        }
    }
    let mut out = Vec::new();
    walk(&dashboard["panels"], &mut out);
    out
}

/// A PromQL query in a dashboard: where it is (for messages) and the expression.
struct Query {
    place: String,
    expr: String,
}

/// Every query of a dashboard: panel targets, annotations, template variables (a
/// `label_values(selector, label)` variable query contributes its selector).
fn queries(file: &str, dashboard: &Value) -> Vec<Query> {
    let mut out = Vec::new();
    for p in panels(dashboard) {
        for t in p["targets"].as_array().into_iter().flatten() {
            out.push(Query {
                place: format!(
                    "{file}: panel {:?} target {}",
                    p["title"].as_str().unwrap_or_default(),
                    t["refId"].as_str().unwrap_or_default()
                ),
                expr: t["expr"].as_str().unwrap_or_default().to_string(),
            });
        }
    }
    for a in dashboard["annotations"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        if let Some(expr) = a["expr"].as_str() {
            out.push(Query {
                place: format!(
                    "{file}: annotation {:?}",
                    a["name"].as_str().unwrap_or_default()
                ),
                expr: expr.to_string(),
            });
        }
    }
    for v in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let q = v["query"]["query"]
            .as_str()
            .or_else(|| v["query"].as_str())
            .unwrap_or_default();
        if let Some(selector) = label_values_selector(q) {
            out.push(Query {
                place: format!(
                    "{file}: variable {:?}",
                    v["name"].as_str().unwrap_or_default()
                ),
                expr: selector,
            });
        }
    }
    out
}

/// The selector of a Grafana `label_values(selector, label)` variable query.
fn label_values_selector(q: &str) -> Option<String> {
    let inner = q.trim().strip_prefix("label_values(")?.strip_suffix(')')?;
    let (selector, label) = inner.rsplit_once(',')?;
    assert!(
        label
            .trim()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "label_values label in {q:?}"
    );
    Some(selector.trim().to_string())
}

/// PromQL keywords that lex as identifiers (modifiers, set and comparison operators,
/// special numbers); never metric names.
const KEYWORDS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "and",
    "or",
    "unless",
    "atan2",
    "inf",
    "nan",
];

/// Modifiers followed by a parenthesised list of label names.
const LABEL_LISTS: &[&str] = &[
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

/// Grafana's `$var`, `${var}` and `${var:format}` placeholders with `value`.
fn substitute_variables(expr: &str, value: impl Fn(&str) -> String) -> String {
    let re = regex::Regex::new(r"\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\$([A-Za-z0-9_]+)").unwrap();
    re.replace_all(expr, |c: &regex::Captures<'_>| {
        value(c.get(1).or_else(|| c.get(2)).unwrap().as_str())
    })
    .into_owned()
}

/// The metric names a PromQL expression selects: identifiers outside label matchers
/// (`{...}`), range and subquery brackets (`[...]`), strings and comments, that are neither
/// function or aggregation names (followed by `(`, `by` or `without`), nor keywords, nor the label lists of
/// `by`/`without`/`on`/`ignoring`/`group_left`/`group_right`. `{__name__="x"}` selectors
/// are not understood (the dashboards do not use them; the structure test forbids them).
fn metric_names(expr: &str) -> BTreeSet<String> {
    let expr = substitute_variables(expr, |_| String::new());
    let lexer = regex::Regex::new(
        r#"(?x)
          "(?:[^"\\]|\\.)*" | '(?:[^'\\]|\\.)*' | `[^`]*`   # strings
        | \#[^\n]*                                         # comments
        | [A-Za-z_:][A-Za-z0-9_:]*                         # identifiers
        | [0-9][0-9A-Za-z_.]*                              # numbers and durations
        | \S                                               # punctuation
        "#,
    )
    .unwrap();
    let tokens: Vec<&str> = lexer.find_iter(&expr).map(|m| m.as_str()).collect();
    let is_ident =
        |t: &str| t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == ':');
    let mut names = BTreeSet::new();
    let (mut braces, mut brackets) = (0usize, 0usize);
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i];
        let next = tokens.get(i + 1).copied();
        match t {
            "{" => braces += 1,
            "}" => braces = braces.saturating_sub(1),
            "[" => brackets += 1,
            "]" => brackets = brackets.saturating_sub(1),
            _ if braces > 0 || brackets > 0 || !is_ident(t) => {}
            _ if LABEL_LISTS.contains(&t) && next == Some("(") => {
                // Skip the label list up to its closing parenthesis.
                while i < tokens.len() && tokens[i] != ")" {
                    i += 1;
                }
            }
            // Functions and aggregations: `rate(`, `sum(`, `sum by (...) (`.
            _ if KEYWORDS.contains(&t) || matches!(next, Some("(" | "by" | "without")) => {}
            _ => {
                names.insert(t.to_string());
            }
        }
        i += 1;
    }
    names
}

#[test]
fn metric_names_skip_functions_keywords_labels_and_strings() {
    let got = metric_names(
        "sum by (brand, le) (rate(brandpulse_a_total{brand=~\"$brand\", x=\"brandpulse_no\"}[5m]))\n\
         / ignoring (brand) group_left sum without (lang) (increase(b:c:rate5m[$__range] offset 1h))\n\
         or on (job) vector(0) * 1e-4 > bool 2 and histogram_quantile(0.99, \
         sum(rate(brandpulse_h_bucket[5m:1m]))) unless up == 1 # a comment brandpulse_no",
    );
    let want: BTreeSet<String> = [
        "brandpulse_a_total",
        "b:c:rate5m",
        "brandpulse_h_bucket",
        "up",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(got, want);
    assert_eq!(
        label_values_selector("label_values(brandpulse_up{job=\"brandpulse\"}, instance)"),
        Some("brandpulse_up{job=\"brandpulse\"}".to_string())
    );
}

fn assert_prometheus_datasource(what: &str, ds: &Value) {
    assert_eq!(
        ds["uid"].as_str(),
        Some(DATASOURCE_UID),
        "{what}: datasource uid must be the provisioned {DATASOURCE_UID:?}: {ds}"
    );
    assert_eq!(ds["type"].as_str(), Some("prometheus"), "{what}: {ds}");
}

/// Structure: what Grafana needs to load them by provisioning, and what the brief promised.
#[test]
fn dashboards_are_valid_and_every_panel_has_a_datasource_and_queries() {
    let mut uids = BTreeSet::new();
    for (file, d) in dashboards() {
        let text = d.to_string();
        assert!(
            !text.contains("DS_PROMETHEUS") && d.get("__inputs").is_none(),
            "{file}: refer to the datasource by uid, not an import input"
        );
        assert!(
            !text.contains("__name__"),
            "{file}: name metrics plainly (the metric check does not read __name__ matchers)"
        );
        for key in ["uid", "title"] {
            assert!(
                d[key].as_str().is_some_and(|s| !s.is_empty()),
                "{file}: {key}"
            );
        }
        assert!(
            uids.insert(d["uid"].as_str().unwrap().to_string()),
            "{file}: uid"
        );
        assert!(d["schemaVersion"].as_u64().unwrap_or(0) >= 36, "{file}");
        let mut ids = BTreeSet::new();
        let all = panels(&d);
        assert!(all.len() > 5, "{file}: panels");
        for p in &all {
            let title = p["title"].as_str().unwrap_or_default();
            let what = format!("{file}: panel {title:?}");
            assert!(!title.is_empty(), "{file}: a panel without a title: {p}");
            assert!(
                ids.insert(p["id"].as_u64().expect("panel id")),
                "{what}: id"
            );
            let g = &p["gridPos"];
            let (x, w, h) = (g["x"].as_u64(), g["w"].as_u64(), g["h"].as_u64());
            assert!(
                matches!((x, w, h), (Some(x), Some(w), Some(h)) if w > 0 && h > 0 && x + w <= 24)
                    && g["y"].is_u64(),
                "{what}: gridPos {g}"
            );
            if p["type"] == "row" {
                continue;
            }
            assert_prometheus_datasource(&what, &p["datasource"]);
            let targets = p["targets"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            assert!(!targets.is_empty(), "{what}: no targets");
            let mut refs = BTreeSet::new();
            for t in targets {
                assert_prometheus_datasource(&what, &t["datasource"]);
                assert!(
                    t["expr"].as_str().is_some_and(|e| !e.trim().is_empty()),
                    "{what}: empty expr: {t}"
                );
                assert!(refs.insert(t["refId"].to_string()), "{what}: refId {t}");
            }
        }
        for a in d["annotations"]["list"].as_array().expect("annotations") {
            if a["builtIn"] == 1 {
                continue;
            }
            let what = format!(
                "{file}: annotation {:?}",
                a["name"].as_str().unwrap_or_default()
            );
            assert_prometheus_datasource(&what, &a["datasource"]);
            assert!(a["expr"].as_str().is_some_and(|e| !e.is_empty()), "{what}");
        }
        for v in d["templating"]["list"].as_array().expect("templating") {
            if v["type"] == "query" {
                assert_prometheus_datasource(
                    &format!(
                        "{file}: variable {:?}",
                        v["name"].as_str().unwrap_or_default()
                    ),
                    &v["datasource"],
                );
            }
        }
    }

    // What the brands dashboard is for.
    let (_, brands) = dashboards().remove(0);
    let var = brands["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "brand")
        .expect("a `brand` variable");
    assert_eq!(
        var["definition"],
        "label_values(brandpulse_brand_mentions_total, brand)"
    );
    assert!(var["multi"] == true && var["includeAll"] == true, "{var}");
    let exprs: Vec<String> = queries("brands", &brands)
        .into_iter()
        .map(|q| q.expr)
        .collect();
    for needle in [
        "sum by (sentiment) (rate(brandpulse_brand_mentions_total{brand=~\"$brand\"}[5m]))",
        "brand:sentiment_score:avg_rate5m",
        "group_left",
        "brandpulse_brand_reach_total",
        "brandpulse_alert_active",
        "brandpulse_alert_observed",
        "brandpulse_alert_expected",
    ] {
        assert!(
            exprs.iter().any(|e| e.contains(needle)),
            "brands dashboard: no query with {needle:?}"
        );
    }
    assert!(
        brands["annotations"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["expr"]
                .as_str()
                .unwrap_or_default()
                .contains("brandpulse_alert_active")),
        "active alerts as annotations"
    );
    assert!(
        panels(&brands).iter().any(|p| p["type"] == "table"
            && p["targets"][0]["expr"]
                .as_str()
                .unwrap_or_default()
                .contains("brandpulse_alert_active")),
        "a table of active alerts"
    );
}

/// The datasource and dashboard provisioning files agree with the dashboards.
#[test]
fn provisioning_matches_the_dashboards() {
    use yaml_rust2::YamlLoader;
    let dir = Path::new(ROOT).join("deploy/grafana/provisioning");
    let ds = std::fs::read_to_string(dir.join("datasources/prometheus.yml")).unwrap();
    let ds = &YamlLoader::load_from_str(&ds).expect("datasources YAML")[0];
    let list = ds["datasources"].as_vec().expect("datasources list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["uid"].as_str(), Some(DATASOURCE_UID));
    assert_eq!(list[0]["type"].as_str(), Some("prometheus"));
    assert_eq!(list[0]["url"].as_str(), Some("http://prometheus:9090"));
    let dash = std::fs::read_to_string(dir.join("dashboards/brandpulse.yml")).unwrap();
    let dash = &YamlLoader::load_from_str(&dash).expect("dashboards YAML")[0];
    let providers = dash["providers"].as_vec().expect("providers");
    assert_eq!(providers.len(), 1);
    assert_eq!(providers[0]["type"].as_str(), Some("file"));
    assert!(providers[0]["options"]["path"]
        .as_str()
        .is_some_and(|p| p.starts_with('/')));
}

/// Recording rule names defined in deploy/prometheus/rules/*.yml, and every rule's expr.
fn rules() -> (BTreeSet<String>, Vec<Query>) {
    use yaml_rust2::YamlLoader;
    let dir = Path::new(ROOT).join("deploy/prometheus/rules");
    let mut records = BTreeSet::new();
    let mut exprs = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no rule files in {}", dir.display());
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let docs =
            YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for group in docs[0]["groups"].as_vec().expect("groups") {
            for rule in group["rules"].as_vec().expect("rules") {
                let name = rule["record"].as_str().or_else(|| rule["alert"].as_str());
                let expr = rule["expr"].as_str().expect("expr");
                exprs.push(Query {
                    place: format!(
                        "{}: rule {}",
                        f.file_name().unwrap().to_string_lossy(),
                        name.unwrap_or("?")
                    ),
                    expr: expr.to_string(),
                });
                if let Some(r) = rule["record"].as_str() {
                    records.insert(r.to_string());
                }
            }
        }
    }
    (records, exprs)
}

/// Kills the service when the test ends, also half-way.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A canonical mention of `brand` created now (the alert stage windows by event time).
/// Its text has 7 words, under `screen.campaign.min_words` (8): the screen stage does not
/// compare it, so 17 authors repeating it are not a copy-paste campaign (docs/screening.md).
fn mention_now(brand: &str, i: usize) -> String {
    serde_json::json!({
        "id": format!("{brand}-{i}"),
        "text": format!("{brand} rocket skates number {i} are great"),
        "created_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "source": "twitter",
        "lang": "en",
        "author": {"id": format!("a{}", i % 17), "followers": 100 + i % 1000},
    })
    .to_string()
}

/// The sample names of a Prometheus text exposition (histograms as `_bucket`, `_sum`,
/// `_count`), and the names declared as histograms.
fn exposition_names(text: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut samples = BTreeSet::new();
    let mut histograms = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            if let Some(name) = rest.strip_suffix(" histogram") {
                histograms.insert(name.to_string());
            }
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            samples.insert(line[..end].to_string());
        }
    }
    (samples, histograms)
}

/// Every metric named by the dashboards (and by the rules) exists: in a real scrape of
/// `brandpulse run` with every stage busy and a spike alert active, or as a recording rule.
#[test]
fn dashboard_metrics_exist_in_a_real_scrape_or_a_recording_rule() {
    let (_cluster, brokers) = mock_cluster(&[
        ("mentions", 2),
        ("tweets", 1),
        ("scored", 1),
        ("dead", 1),
        ("alerts", 1),
        ("alert-checkpoints", 1),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // Tiny alert windows (as tests/e2e_alerting.rs): 1 s, warm after 5, 2 of 3 fire.
    let config = config_toml(
        &brokers,
        "dashboards",
        &format!(
            "[telemetry]\nlisten = \"127.0.0.1:{port}\"\n[alert]\nenabled = true\nwindow = \"1s\"\n\
             lateness = \"1s\"\nwarmup_windows = 5\nmin_count = 10\npersistence_k = 2\n\
             persistence_n = 3\ncooldown_windows = 5\ncheckpoint_topic = \"alert-checkpoints\"\n\
             alerts_topic = \"alerts\"\n"
        ),
    );
    let path = dir.path().join("brandpulse.toml");
    std::fs::write(&path, config).unwrap();
    let log_path = dir.path().join("brandpulse.log");
    let child = Command::new(env!("CARGO_BIN_EXE_brandpulse"))
        .args(["run", "--config"])
        .arg(&path)
        .env("RUST_LOG", "info,librdkafka=warn,rdkafka=warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .expect("start brandpulse");
    let _child = KillOnDrop(child);
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();

    // Real time stream: ~20 acme mentions/s for 12 s (the baseline), then ~300/s (a volume
    // spike), and a few undecodable records for the dead-letter series.
    let stop = Arc::new(AtomicBool::new(false));
    let stream = {
        let stop = stop.clone();
        let brokers = brokers.clone();
        std::thread::spawn(move || {
            use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _};
            let producer: BaseProducer = rdkafka::config::ClientConfig::new()
                .set("bootstrap.servers", &brokers)
                .set("linger.ms", "5")
                .create()
                .expect("test producer");
            let start = Instant::now();
            let mut i = 0usize;
            while !stop.load(Ordering::SeqCst) {
                let n = if start.elapsed() < Duration::from_secs(12) {
                    2
                } else {
                    30
                };
                for _ in 0..n {
                    i += 1;
                    let payload = if i % 97 == 0 {
                        "not json".to_string()
                    } else {
                        mention_now("acme", i)
                    };
                    let key = format!("k{i}");
                    let mut rec = BaseRecord::to("mentions").key(&key).payload(&payload);
                    while let Err((_, r)) = producer.send(rec) {
                        producer.poll(Duration::from_millis(10));
                        rec = r;
                    }
                }
                producer.poll(Duration::ZERO);
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = producer.flush(Duration::from_secs(5));
        })
    };

    // Scrape until every stage has reported: scored mentions produced, consumer lag from
    // the statistics, stage latencies, the alert stage's windows and an active alert.
    let ready = |body: &str| {
        let (samples, _) = exposition_names(body);
        metric(body, "brandpulse_emit_produced_total{output=\"scored\"}").unwrap_or(0.0) > 0.0
            && [
                "brandpulse_brand_mentions_total",
                "brandpulse_ingest_consumer_lag",
                "brandpulse_stage_latency_seconds_bucket",
                "brandpulse_alert_observed",
                "brandpulse_alert_expected",
                "brandpulse_alert_active",
            ]
            .iter()
            .all(|n| samples.contains(*n))
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let scrape = loop {
        let resp = http_get(port, "/metrics");
        let body = resp.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        if ready(body) {
            break body.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for every series; last scrape:\n{body}\n--- log\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    stop.store(true, Ordering::SeqCst);
    stream.join().unwrap();

    let (exported, histograms) = exposition_names(&scrape);
    let (records, rule_exprs) = rules();
    let mut all: Vec<Query> = dashboards()
        .iter()
        .flat_map(|(file, d)| queries(file, d))
        .collect();
    let dashboard_count = all.len();
    all.extend(rule_exprs);
    let mut unknown: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut used = BTreeSet::new();
    for q in &all {
        let names = metric_names(&q.expr);
        assert!(!names.is_empty(), "{}: no metric in {:?}", q.place, q.expr);
        for name in names {
            used.insert(name.clone());
            let known = exported.contains(&name)
                || records.contains(&name)
                || PROMETHEUS_BUILTINS.contains(&name.as_str());
            if !known {
                let hint = if histograms.contains(&name) {
                    " (a histogram: use its _bucket, _sum or _count series)"
                } else {
                    ""
                };
                unknown
                    .entry(format!("{name}{hint}"))
                    .or_default()
                    .push(q.place.clone());
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "metrics that brandpulse does not export and no recording rule defines:\n{unknown:#?}"
    );
    eprintln!(
        "{dashboard_count} dashboard queries and {} rule expressions checked; metrics used: {used:?}",
        all.len() - dashboard_count
    );
}

/// Every dashboard query parses as PromQL (`promtool check rules` on a rule file made of
/// them), with Grafana's variables replaced by plausible values.
#[test]
#[ignore = "needs promtool: run `make test` (scripts/ensure-prometheus.sh)"]
fn dashboard_queries_parse_with_promtool() {
    let promtool = std::env::var("PROMTOOL_BIN").unwrap_or_else(|_| "promtool".into());
    let mut rules = String::from("groups:\n  - name: dashboard-queries\n    rules:\n");
    let mut n = 0;
    for (file, d) in dashboards() {
        for q in queries(&file, &d) {
            let expr = substitute_variables(&q.expr, |var| match var {
                "__range" | "__rate_interval" | "__interval" => "5m".into(),
                "__range_s" | "__interval_ms" => "300".into(),
                _ => ".*".into(),
            });
            n += 1;
            rules.push_str(&format!(
                "      # {}\n      - record: dashboard_query_{n}\n        expr: {}\n",
                q.place.replace('\n', " "),
                serde_json::to_string(&expr).unwrap()
            ));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dashboard-queries.yml");
    std::fs::write(&file, &rules).unwrap();
    let out = Command::new(&promtool)
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("{promtool}: {e} (scripts/ensure-prometheus.sh installs it)"));
    assert!(
        out.status.success(),
        "promtool check rules on the dashboards' queries:\n{}{}\n--- file\n{rules}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(n > 20, "{n} queries");
}
