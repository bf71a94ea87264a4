//! brandpulse against a TLS listener with SASL/SCRAM authentication, as a managed Kafka
//! requires: the tansu broker with `--authentication` (SCRAM users in its store), behind a
//! TLS-terminating stunnel whose certificate is signed by a CA made here (tansu 0.6.0's own
//! `--cert`/`--key` cannot be given together). The broker advertises the TLS port, so every
//! connection the clients make goes through TLS.
//!
//! The service reads its SASL user from the environment (`${...}`) and its password from a
//! file (`sasl.password_file`), as a Kubernetes Secret would provide them. Checked too: a wrong
//! password is refused, and a client that does not trust the CA cannot connect.
//!
//! Needs tansu, stunnel and openssl (`make test` installs them: scripts/ensure-tansu.sh,
//! scripts/ensure-stunnel.sh); `#[ignore]`d for a plain `cargo test`.

#![cfg(unix)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};

use common::tansu::*;
use common::*;

const USER: &str = "brandpulse";
const PASSWORD: &str = "scram-Secret-7f3a";

fn run(dir: &Path, program: &str, args: &[&str]) {
    let out = Command::new(program)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for 127.0.0.1 / localhost, signed by it.
fn make_certificates(dir: &Path) {
    let subj_ca = "/CN=brandpulse-test-ca";
    run(
        dir,
        "openssl",
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", subj_ca,
        ],
    );
    run(
        dir,
        "openssl",
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n",
    )
    .unwrap();
    run(
        dir,
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

struct Stunnel(Child);

impl Drop for Stunnel {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_stunnel(dir: &Path, accept: u16, connect: u16) -> Stunnel {
    let bin = std::env::var("STUNNEL").unwrap_or_else(|_| "stunnel".into());
    let conf = format!(
        "foreground = yes\npid =\n[kafka]\naccept = 127.0.0.1:{accept}\nconnect = 127.0.0.1:{connect}\n\
         cert = {dir}/server.pem\nkey = {dir}/server.key\n",
        dir = dir.display()
    );
    std::fs::write(dir.join("stunnel.conf"), conf).unwrap();
    let log = std::fs::File::create(dir.join("stunnel.log")).unwrap();
    let child = Command::new(&bin)
        .arg(dir.join("stunnel.conf"))
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap_or_else(|e| panic!("starting {bin} (run `make test`, which installs it): {e}"));
    wait_port(accept, Duration::from_secs(10));
    Stunnel(child)
}

/// Client settings for the TLS + SCRAM listener.
fn secure(dir: &Path, mechanism: &str, user: &str, password: &str) -> Vec<(String, String)> {
    vec![
        ("security.protocol".into(), "SASL_SSL".into()),
        (
            "ssl.ca.location".into(),
            dir.join("ca.pem").display().to_string(),
        ),
        ("sasl.mechanisms".into(), mechanism.into()),
        ("sasl.username".into(), user.into()),
        ("sasl.password".into(), password.into()),
    ]
}

fn client_with(brokers: &str, settings: &[(String, String)]) -> rdkafka::config::ClientConfig {
    let pairs: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    client(brokers, &pairs)
}

/// Whether a client with `settings` can fetch metadata (connect, handshake, authenticate).
fn can_connect(brokers: &str, settings: &[(String, String)]) -> bool {
    let mut c = client_with(brokers, settings);
    c.set("group.id", "probe");
    let consumer: BaseConsumer = c.create().expect("probe client");
    consumer
        .fetch_metadata(None, Duration::from_secs(8))
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs tansu and stunnel: run `make test`"]
async fn tls_and_scram_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_certificates(d);
    let (plain, tls) = (free_port(), free_port());

    // Set-up on the plain port, without authentication: users and topics.
    let mut broker = Broker::start(d, plain);
    for (mechanism, user) in [("scram512", USER), ("scram256", "other")] {
        let url = format!("tcp://127.0.0.1:{plain}");
        run(
            d,
            tansu_bin().to_str().unwrap(),
            &[
                "user",
                "create",
                "--broker",
                &url,
                "--mechanism",
                mechanism,
                user,
                PASSWORD,
            ],
        );
    }
    create_topics(&broker.brokers()).await;
    broker.kill();

    // From now on: authentication required, and clients are sent to the TLS port.
    let _broker = Broker::start_with(d, plain, tls, true);
    let _stunnel = start_stunnel(d, tls, plain);
    let brokers = format!("127.0.0.1:{tls}");
    let good = secure(d, "SCRAM-SHA-512", USER, PASSWORD);

    // What the listener enforces, seen from a client.
    assert!(can_connect(&brokers, &good), "SCRAM-SHA-512 over TLS");
    assert!(
        can_connect(&brokers, &secure(d, "SCRAM-SHA-256", "other", PASSWORD)),
        "SCRAM-SHA-256 over TLS"
    );
    assert!(
        !can_connect(
            &brokers,
            &secure(d, "SCRAM-SHA-512", USER, "wrong-password")
        ),
        "a wrong password is refused"
    );
    let mut untrusted = good.clone();
    untrusted.retain(|(k, _)| k != "ssl.ca.location");
    untrusted.push(("ssl.ca.location".into(), "/etc/ssl/certs".into()));
    assert!(
        !can_connect(&brokers, &untrusted),
        "a client that does not trust the test CA cannot connect"
    );

    const N: usize = 500;
    let records: Vec<Input<'static>> = (0..N)
        .map(|i| ("mentions", None, Some(acme_mention(i).into_bytes())))
        .collect();
    produce_via(client_with(&brokers, &good), &records).await;

    // The service: user from the environment, password from a file.
    std::fs::write(d.join("kafka-password"), format!("{PASSWORD}\n")).unwrap();
    let metrics_port = free_port();
    let config = config_toml(
        &brokers,
        "tls",
        &format!(
            "[telemetry]\nlisten = \"127.0.0.1:{metrics_port}\"\n\
             [kafka.librdkafka]\n\"security.protocol\" = \"SASL_SSL\"\n\
             \"ssl.ca.location\" = \"{ca}\"\n\"sasl.mechanisms\" = \"SCRAM-SHA-512\"\n\
             \"sasl.username\" = \"${{BRANDPULSE_E2E_SASL_USER}}\"\n\
             \"sasl.password_file\" = \"{pw}\"\n",
            ca = d.join("ca.pem").display(),
            pw = d.join("kafka-password").display(),
        ),
    );
    let config_path: PathBuf = d.join("brandpulse.toml");
    std::fs::write(&config_path, config).unwrap();
    std::env::set_var("BRANDPULSE_E2E_SASL_USER", USER);
    let service = Service::start(d, &config_path, metrics_port);
    let reader = client_with(&brokers, &good);
    let reads = tokio::task::spawn_blocking(move || {
        read_until_via(reader, &["scored"], Duration::from_secs(90), |r| {
            scored_ids(r).len() >= N
        })
    })
    .await
    .unwrap();
    let status = tokio::task::spawn_blocking(move || service.terminate())
        .await
        .unwrap();
    let log = tail(&d.join("brandpulse.log"), 30);
    assert_eq!(
        scored_ids(&reads).len(),
        N,
        "every mention scored over TLS\n{log}"
    );
    assert!(status.success(), "graceful shutdown: {status}\n{log}");
    let whole_log = std::fs::read_to_string(d.join("brandpulse.log")).unwrap();
    assert!(
        !whole_log.contains(PASSWORD),
        "the password never appears in the log"
    );
}
