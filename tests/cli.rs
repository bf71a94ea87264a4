//! The `brandpulse` binary as a user meets it: help, config errors, and the offline modes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn brandpulse(args: &[&str], stdin: &[u8]) -> Output {
    brandpulse_logging(args, stdin, "warn")
}

/// [`brandpulse`] with `RUST_LOG` set to `level`.
fn brandpulse_logging(args: &[&str], stdin: &[u8], level: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_brandpulse"))
        .args(args)
        .env("RUST_LOG", level)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run brandpulse");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const CONFIG: &str = r##"
[scoring]
scorer = "lexicon"
[[brands]]
id = "acme-coffee"
[brands.topics.brand]
keywords = ["Acme Coffee", "Acme Roastery"]
handles = ["@AcmeCoffee"]
hashtags = ["#AcmeRoastery"]
"##;

fn config_file(text: &str) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f
}

#[test]
fn every_subcommand_has_help() {
    for sub in [
        &[][..],
        &["run"],
        &["process"],
        &["score"],
        &["demo"],
        &["check"],
        &["rules"],
        &["rules", "check"],
        &["rules", "test"],
        &["eval"],
        &["alert-eval"],
    ] {
        let mut args: Vec<&str> = sub.to_vec();
        args.push("--help");
        let out = brandpulse(&args, b"");
        assert!(out.status.success(), "{args:?}");
        let help = text(&out.stdout);
        assert!(help.contains("Usage:"), "{args:?}: {help}");
    }
}

#[test]
fn bad_config_names_the_field_and_exits_64() {
    let cfg = config_file("[pipeline]\nbatch_size = 0\n");
    let out = brandpulse(&["check", "--config", cfg.path().to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(64));
    let err = text(&out.stderr);
    assert!(err.contains("pipeline.batch_size"), "{err}");

    let cfg = config_file("[kafka]\nbrokerz = \"x\"\n");
    let out = brandpulse(&["run", "--config", cfg.path().to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(64));
    assert!(text(&out.stderr).contains("unknown field `brokerz`"));

    let out = brandpulse(&["run", "--config", "/nonexistent/brandpulse.toml"], b"");
    assert_eq!(out.status.code(), Some(64));
    assert!(text(&out.stderr).contains("/nonexistent/brandpulse.toml"));
}

#[test]
fn check_prints_a_summary() {
    let cfg = config_file(&format!("[[inputs]]\ntopic = \"mentions\"\n{CONFIG}"));
    let out = brandpulse(&["check", "--config", cfg.path().to_str().unwrap()], b"");
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    assert!(stdout.contains("brand acme-coffee: 1 topic(s)"), "{stdout}");
    assert!(
        stdout
            .contains("brand: 4 term(s) [acme coffee, acme roastery, #acmeroastery, @acmecoffee]"),
        "{stdout}"
    );
}

#[test]
fn process_canonical_reports_rejected_lines_and_a_summary() {
    let cfg = config_file(CONFIG);
    let valid = std::fs::read_to_string("tests/data/canonical/valid.jsonl").unwrap();
    let first = valid.lines().next().unwrap();
    let input = format!("{first}\n{{not json\n\n{first}\n");
    let out = brandpulse(
        &["process", "--config", cfg.path().to_str().unwrap()],
        input.as_bytes(),
    );
    assert_eq!(
        out.status.code(),
        Some(65),
        "rejected lines make the exit status non-zero"
    );
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].starts_with("line 2: invalid_json:"), "{err}");
    assert_eq!(
        *lines.last().unwrap(),
        "summary: lines=3 matched=2 outputs=2 rejected=1"
    );
    let stdout = text(&out.stdout);
    let records: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["brand"], "acme-coffee");
    assert_eq!(records[0]["schema_version"], 1);
    assert_eq!(
        records[0]["sentiment"]["label"], "negative",
        "\"Not good\" is negative"
    );
}

#[test]
fn process_twitter_v1_fixtures() {
    let cfg = config_file(CONFIG);
    let mut input = String::new();
    for name in [
        "classic", "extended", "retweet", "quote", "reply", "unicode",
    ] {
        input += std::fs::read_to_string(format!("tests/data/twitter/{name}.json"))
            .unwrap()
            .trim();
        input.push('\n');
    }
    let out = brandpulse(
        &[
            "process",
            "--config",
            cfg.path().to_str().unwrap(),
            "--format",
            "twitter-v1",
        ],
        input.as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let records: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let by_id = |id: &str| records.iter().find(|r| r["mention_id"] == id);
    // The retweet is matched on the original's full text and points at it.
    let rt = by_id("1788830102341693440").expect("retweet matched");
    assert_eq!(rt["repost_of"], "1788819230546341888");
    assert!(
        rt["text"].as_str().unwrap().contains("First 100 customers"),
        "full text, not the truncated RT"
    );
    // The German tweet is scored in German and positive.
    let de = by_id("1789561670710472704").expect("unicode tweet matched");
    assert_eq!(de["lang"], "de");
    assert_eq!(de["sentiment"]["label"], "positive");
}

#[test]
fn score_reads_text_lines() {
    let input = b"{\"text\": \"I love this, it is wonderful\"}\n{\"text\": \"terrible, awful service\", \"id\": 7}\n";
    let out = brandpulse(&["score", "--scorer", "lexicon"], input);
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["label"], "positive");
    assert_eq!(lines[1]["label"], "negative");
    assert_eq!(lines[1]["id"], 7);
    assert_eq!(lines[1]["line"], 2);
}

#[test]
fn logs_have_no_colour_codes_off_a_terminal_and_can_be_json() {
    let input = b"{\"text\": \"I love it\"}\n";
    let plain = brandpulse_logging(&["score", "--scorer", "lexicon"], input, "info");
    assert!(plain.status.success());
    let err = text(&plain.stderr);
    assert!(err.contains("scorer ready"), "{err}");
    assert!(!err.contains('\x1b'), "ANSI codes in piped logs: {err:?}");

    let json = brandpulse_logging(
        &["--log-format", "json", "score", "--scorer", "lexicon"],
        input,
        "info",
    );
    assert!(json.status.success());
    let err = text(&json.stderr);
    let events: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let ready = events
        .iter()
        .find(|e| e["fields"]["message"] == "scorer ready")
        .unwrap_or_else(|| panic!("no `scorer ready` event in {err}"));
    assert_eq!(ready["level"], "INFO");
    assert_eq!(ready["fields"]["scorer"], "lexicon");
    assert!(!err.contains('\x1b'), "{err:?}");
}

#[test]
fn shipped_configs_are_valid() {
    for path in ["deploy/brandpulse.example.toml", "src/demo/demo.toml"] {
        let out = brandpulse(&["check", "--config", path], b"");
        assert!(out.status.success(), "{path}: {}", text(&out.stderr));
    }
}

/// `make demo`'s command: it serves metrics that move, and stops by itself with --duration.
#[test]
fn demo_streams_through_the_pipeline_and_stops() {
    use std::io::Read;
    use std::net::{TcpListener, TcpStream};
    use std::time::{Duration, Instant};
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_brandpulse"))
        .args([
            "demo",
            "--duration",
            "20s",
            "--rate",
            "200",
            "--listen",
            &listen,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let metric = |name: &str| -> f64 {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
            return 0.0;
        };
        let _ = write!(s, "GET /metrics HTTP/1.0\r\n\r\n");
        let mut body = String::new();
        let _ = s.read_to_string(&mut body);
        body.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut scored, mut dead, mut brand) = (0.0, 0.0, 0.0);
    while Instant::now() < deadline && (scored == 0.0 || dead == 0.0 || brand == 0.0) {
        std::thread::sleep(Duration::from_millis(500));
        scored = metric("brandpulse_emit_produced_total{output=\"scored\"}");
        dead = metric("brandpulse_dead_letters_total");
        brand = metric("brandpulse_brand_mentions_total{brand=\"acme\"");
    }
    let status = child.wait().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(
        scored > 0.0 && dead > 0.0 && brand > 0.0,
        "scored={scored} dead={dead} acme={brand}"
    );
    assert!(status.success(), "{status}");
    assert!(
        out.contains("in-process Kafka broker : 127.0.0.1:"),
        "{out}"
    );
    assert!(out.contains(&format!("http://{listen}/metrics")), "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap_or_default()
            .starts_with("progress: consumed="),
        "{out}"
    );
}

const RULES: &str = r##"
[[brands]]
id = "acme"
exclude = ["acme plumbing"]
[brands.topics.brand]
keywords = ["Acme"]
[brands.topics.complaints]
query = 'acme AND (refund* OR "money back" OR broken NEAR/2 skates) -is:repost'
[[brands]]
id = "nestle"
[brands.topics.brand]
query = 'Nestlé OR #nestle'
"##;

#[test]
fn rules_check_prints_a_summary_per_brand_and_topic() {
    let cfg = config_file(RULES);
    let out = brandpulse(
        &["rules", "check", "--config", cfg.path().to_str().unwrap()],
        b"",
    );
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("ok: 2 brand(s), 3 topic(s)"), "{stdout}");
    assert!(stdout.contains("brand acme: 2 topic(s)"), "{stdout}");
    assert!(
        stdout.contains("complaints: 5 term(s) [acme, refund*, \"money back\", broken, skates], 1 excluded, 1 NEAR, 1 field filter(s)"),
        "{stdout}"
    );
}

#[test]
fn rules_check_names_the_query_position_and_reason() {
    let bad = RULES.replace("broken NEAR/2 skates", "broken NEAR/2");
    let cfg = config_file(&bad);
    let out = brandpulse(
        &["rules", "check", "--config", cfg.path().to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status.code(), Some(64));
    let err = text(&out.stderr);
    assert!(
        err.contains("brands[0].topics.complaints.query") && err.contains("at position"),
        "{err}"
    );
}

#[test]
fn rules_test_prints_one_json_line_per_input() {
    let cfg = config_file(RULES);
    let input = "Acme: refund please\nmy ACME skates are broken\n\nAcme Plumbing refund\nNESTLÉ café\nnothing\n";
    let out = brandpulse(
        &["rules", "test", "--config", cfg.path().to_str().unwrap()],
        input.as_bytes(),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want = serde_json::json!([
        {"line": 1, "matches": [{"brand": "acme", "topics": ["brand", "complaints"], "terms": ["acme", "refund*"]}]},
        {"line": 2, "matches": [{"brand": "acme", "topics": ["brand", "complaints"], "terms": ["acme", "broken", "skates"]}]},
        {"line": 4, "matches": []},
        {"line": 5, "matches": [{"brand": "nestle", "topics": ["brand"], "terms": ["nestle"]}]},
        {"line": 6, "matches": []},
    ]);
    assert_eq!(serde_json::Value::Array(lines), want);
    assert!(
        text(&out.stderr).contains("lines=5 matched=3"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn rules_test_reads_twitter_and_reports_bad_lines() {
    let cfg = config_file(
        r#"
[[brands]]
id = "acme-coffee"
[brands.topics.launch]
query = 'kyoto NEAR/1 "cold brew"'
[brands.topics.originals]
query = 'kyoto -is:repost'
"#,
    );
    let tweet = std::fs::read_to_string("tests/data/twitter/retweet.json").unwrap();
    let input = format!("{}\nnot json\n", tweet.trim());
    let out = brandpulse(
        &[
            "rules",
            "test",
            "--config",
            cfg.path().to_str().unwrap(),
            "--format",
            "twitter-v1",
        ],
        input.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(65), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // A retweet: `-is:repost` rules `originals` out; `launch` still matches.
    assert_eq!(
        lines[0]["matches"][0]["topics"],
        serde_json::json!(["launch"]),
        "{}",
        lines[0]
    );
    assert_eq!(lines[1]["matches"], serde_json::json!([]));
    assert!(
        lines[1]["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid_json"),
        "{}",
        lines[1]
    );
}

#[test]
fn alert_eval_prints_a_table_and_a_summary_line() {
    let out = brandpulse(
        &[
            "alert-eval",
            "--weeks",
            "1",
            "--learn-weeks",
            "1",
            "--brands",
            "3",
            "--seed",
            "2",
        ],
        b"",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("recall"), "{stdout}");
    let last = stdout.lines().last().unwrap();
    let fields: Vec<&str> = last.split(' ').collect();
    let keys = [
        "recall_3x10m",
        "false_alarms_per_brand_week",
        "median_delay",
        "reference_recall_3x10m",
        "detectable_share",
        "recall_detectable_3x10m",
        "driver_recall",
        "emerging_recall",
        "emerging_false_per_brand_week",
    ];
    assert_eq!(fields.len(), keys.len(), "{last}");
    for (field, key) in fields.iter().zip(keys) {
        let (k, v) = field.split_once('=').unwrap();
        assert_eq!(k, key, "{last}");
        if v != "na" || !matches!(key, "median_delay" | "driver_recall" | "emerging_recall") {
            let x: f64 = v.parse().unwrap_or_else(|_| panic!("{last}"));
            assert!(x >= 0.0, "{last}");
        }
    }
    for i in [0, 3, 4, 5] {
        let x: f64 = fields[i].split_once('=').unwrap().1.parse().unwrap();
        assert!(x <= 1.0, "{last}");
    }

    let bad = brandpulse(&["alert-eval", "--weeks", "0"], b"");
    assert_eq!(bad.status.code(), Some(64), "{}", text(&bad.stderr));
    assert!(
        text(&bad.stderr).contains("--weeks and --brands must be at least 1 (got 0 and 30)"),
        "{}",
        text(&bad.stderr)
    );
}

/// `alert-eval --series`: a minute series with a burst after the warm-up gives one JSON alert
/// line where the burst is, then the summary; a file that is not a series exits 65 naming
/// the line.
#[test]
fn alert_eval_replays_a_series_file() {
    let mut csv = String::from("timestamp,count\n");
    for m in 0..600i64 {
        // 2023-11-14T22:13:20Z onwards; a fivefold burst at minutes 480-489.
        let count = if (480..490).contains(&m) {
            120
        } else {
            20 + m % 5
        };
        csv.push_str(&format!("{},{count}\n", 1_700_000_000 + m * 60));
    }
    let out = brandpulse(&["alert-eval", "--series", "-"], csv.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let alert = &lines[0];
    assert_eq!(alert["kind"], "volume");
    let fired = chrono::DateTime::parse_from_rfc3339(alert["fired"].as_str().unwrap()).unwrap();
    let burst = chrono::DateTime::from_timestamp(1_700_000_000 + 480 * 60, 0).unwrap();
    let after = (fired.timestamp() - burst.timestamp()) / 60;
    assert!(
        (0..10).contains(&after),
        "fired {after} min into the burst: {stdout}"
    );
    assert!(alert["observed"].as_u64().unwrap() > 2 * alert["expected"].as_f64().unwrap() as u64);
    assert!(alert["end"].is_string(), "{stdout}");
    let summary = &lines[1]["summary"];
    assert_eq!(summary["rows"], 600);
    assert_eq!(summary["interval_s"], 60);
    assert_eq!(summary["alerts"], 1);
    assert_eq!(summary["warmup_windows"], 360);

    let bad = brandpulse(
        &["alert-eval", "--series", "-"],
        b"t,c\n1700000000,1\n1700000060,-3\n",
    );
    assert_eq!(bad.status.code(), Some(65), "{}", text(&bad.stderr));
    assert!(
        text(&bad.stderr).contains("line 3"),
        "{}",
        text(&bad.stderr)
    );
}

/// `check` refuses exactly what `run` refuses, with exit 64 and the field named; neither
/// connects to anything to do so (no broker listens at the default address here).
#[test]
fn check_and_run_agree_on_bad_configs() {
    let inputs = "[[inputs]]\ntopic = \"mentions\"\n";
    let cases: Vec<(String, &str)> = vec![
        (CONFIG.to_string(), "inputs"),
        (inputs.to_string(), "brands"),
        (
            format!("{inputs}[kafka.consumer]\n\"fetch.wait.mx.ms\" = \"5\"\n{CONFIG}"),
            "kafka.consumer.\"fetch.wait.mx.ms\"",
        ),
        (
            format!("[kafka]\nsession_timeout = \"1000000h\"\n{inputs}{CONFIG}"),
            "kafka.session_timeout",
        ),
        (
            format!("[pipeline]\nchannel_capacity = 9000000000000000000\n{inputs}{CONFIG}"),
            "pipeline.channel_capacity",
        ),
        (
            format!("{inputs}[kafka.producer]\nacks = \"0\"\n{CONFIG}"),
            "kafka.producer.\"acks\"",
        ),
        (
            format!("{inputs}[kafka.producer]\n\"enable.idempotence\" = \"false\"\n{CONFIG}"),
            "kafka.producer.\"enable.idempotence\"",
        ),
    ];
    for (config, field) in &cases {
        let cfg = config_file(config);
        for command in ["check", "run"] {
            let out = brandpulse(&[command, "--config", cfg.path().to_str().unwrap()], b"");
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(64), "{command} {field}: {err}");
            assert!(err.contains(field), "{command}: {err}");
            assert_eq!(err.matches("error:").count(), 1, "printed once: {err}");
        }
    }
    // The value is shown as given.
    let cfg = config_file(&format!(
        "[pipeline]\nchannel_capacity = 9000000000000000000\n{inputs}{CONFIG}"
    ));
    let out = brandpulse(&["check", "--config", cfg.path().to_str().unwrap()], b"");
    assert!(text(&out.stderr).contains("9000000000000000000"));
}

#[test]
fn secrets_are_never_printed() {
    let secret = "Pa55-w0rd-that-must-not-leak";
    for key in [
        "sasl.password",
        "sasl.pasword",
        "ssl.key.password",
        "Sasl.PassWord",
    ] {
        let cfg = config_file(&format!(
            "[[inputs]]\ntopic = \"mentions\"\n[kafka.librdkafka]\n\"{key}\" = \"{secret}\"\n\"security.protocol\" = \"SASL_SSL\"\n\"sasl.mechanisms\" = \"SCRAM-SHA-999\"\n{CONFIG}"
        ));
        for command in ["check", "run"] {
            let out = brandpulse(&[command, "--config", cfg.path().to_str().unwrap()], b"");
            let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
            assert_eq!(out.status.code(), Some(64), "{command} {key}: {all}");
            assert!(!all.contains(secret), "{command} {key}: {all}");
        }
    }
}

#[test]
fn an_endless_config_file_is_refused() {
    let out = brandpulse(&["check", "--config", "/dev/zero"], b"");
    assert_eq!(out.status.code(), Some(64));
    assert!(text(&out.stderr).contains("MiB"), "{}", text(&out.stderr));
}

#[test]
fn score_and_process_skip_lines_over_the_limit() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"text\": \"I love it\"}\n{\"text\": \"");
    input.extend(std::iter::repeat_n(b'a', 10_000_000));
    input.extend_from_slice(b"\"}\n{\"text\": \"");
    input.extend(std::iter::repeat_n(b'b', 70_000));
    input.extend_from_slice(b"\"}\n{\"text\": \"awful\"}\n");
    let out = brandpulse(&["score", "--scorer", "lexicon"], &input);
    assert_eq!(out.status.code(), Some(65));
    let err = text(&out.stderr);
    assert!(err.contains("line 2: line_too_long"), "{err}");
    assert!(err.contains("line 3: text_too_long"), "{err}");
    assert_eq!(
        text(&out.stdout).lines().count(),
        2,
        "the other lines are scored"
    );
}

const PATTERN_RULES: &str = r##"
[[brands]]
id = "acme"
[brands.topics.models]
query = '/acme[- ]?x\d{3}/ OR /acme\.com\/(promo|deal)/'
[brands.topics.tickets]
query = 'acme /#\d{5,}/'
"##;

#[test]
fn rules_with_patterns_check_test_and_fail_by_position() {
    let cfg = config_file(PATTERN_RULES);
    let path = cfg.path().to_str().unwrap();
    let out = brandpulse(&["rules", "check", "--config", path], b"");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(r"models: 2 term(s) [/acme[- ]?x\d{3}/, /acme\.com\/(promo|deal)/]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("tickets: 1 term(s) [acme], 1 pattern filter(s)"),
        "{stdout}"
    );

    let input = "the new ACME-X500!\nacme ticket #123456 still open\nacme ticket #12\nhttps://Acme.com/deal today\n";
    let out = brandpulse(&["rules", "test", "--config", path], input.as_bytes());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let topics = |i: usize| -> Vec<String> {
        lines[i]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["topics"].as_array().unwrap().iter())
            .map(|t| t.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(topics(0), ["models"], "{}", lines[0]);
    assert_eq!(lines[0]["matches"][0]["terms"][0], r"/acme[- ]?x\d{3}/");
    assert_eq!(topics(1), ["tickets"], "{}", lines[1]);
    assert!(topics(2).is_empty(), "{}", lines[2]);
    assert_eq!(topics(3), ["models"], "{}", lines[3]);

    let bad = PATTERN_RULES.replace(r"/acme[- ]?x\d{3}/", r"/acme[- ?x\d{3}/");
    let cfg = config_file(&bad);
    let out = brandpulse(
        &["rules", "check", "--config", cfg.path().to_str().unwrap()],
        b"",
    );
    assert_eq!(out.status.code(), Some(64));
    let err = text(&out.stderr);
    assert!(
        err.contains("brands[0].topics.models.query")
            && err.contains("at position 5")
            && err.contains("bad pattern"),
        "{err}"
    );
}
