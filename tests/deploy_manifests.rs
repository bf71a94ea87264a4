//! Static checks of `deploy/`: every YAML document parses; the compose file's services,
//! volumes, mounts and topics hang together; every Kubernetes document is well formed and
//! the Deployment's probes, grace period, static membership and mounts agree with the
//! ConfigMap's config; both brandpulse configs parse and validate; the Dockerfile has its
//! stages and entrypoint. Docker and a cluster are not needed (nor run): these catch the
//! mistakes that do not need them. The Grafana dashboards are checked in tests/dashboards.rs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use brandpulse::config::Config;
use yaml_rust2::{Yaml, YamlLoader};

const DEPLOY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy");

fn read(rel: &str) -> String {
    let path = Path::new(DEPLOY).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn yaml_docs(rel: &str) -> Vec<Yaml> {
    YamlLoader::load_from_str(&read(rel)).unwrap_or_else(|e| panic!("deploy/{rel}: {e}"))
}

fn yaml(rel: &str) -> Yaml {
    let mut docs = yaml_docs(rel);
    assert_eq!(docs.len(), 1, "deploy/{rel}: one document");
    docs.remove(0)
}

fn str_of<'a>(y: &'a Yaml, what: &str) -> &'a str {
    y.as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string, got {y:?}"))
}

fn keys(y: &Yaml) -> BTreeSet<String> {
    y.as_hash()
        .map(|h| {
            h.keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn config(text: &str, origin: &str) -> Config {
    let c = Config::from_toml(text, origin).unwrap_or_else(|e| panic!("{origin}: {e}"));
    c.validate().unwrap();
    c.validate_for_run()
        .unwrap_or_else(|e| panic!("{origin}: {e}"));
    c
}

#[test]
fn every_yaml_file_under_deploy_parses() {
    let mut files = Vec::new();
    files_under(Path::new(DEPLOY), &mut files);
    let yamls: Vec<_> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    assert!(yamls.len() >= 15, "{yamls:?}");
    for p in yamls {
        let text = std::fs::read_to_string(p).unwrap();
        let docs =
            YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(!docs.is_empty(), "{}: empty", p.display());
        for d in &docs {
            assert!(d.as_hash().is_some(), "{}: not a mapping", p.display());
        }
    }
}

/// Topics a config reads and writes, the alert stage's included.
fn topics(c: &Config) -> Vec<String> {
    let mut t: Vec<String> = c.inputs.iter().map(|i| i.topic.clone()).collect();
    t.push(c.output.topic.clone());
    t.push(c.output.dead_letter_topic.clone());
    if !c.output.inbox_topic.is_empty() {
        t.push(c.output.inbox_topic.clone());
    }
    if c.alert.enabled {
        t.push(c.alert.alerts_topic.clone());
        t.push(c.alert.checkpoint_topic.clone());
    }
    t
}

#[test]
fn compose_services_mounts_and_topics_hang_together() {
    let c = yaml("docker-compose.yml");
    let services = &c["services"];
    let names = keys(services);
    for s in [
        "broker",
        "topics",
        "brandpulse",
        "prometheus",
        "alertmanager",
        "grafana",
    ] {
        assert!(names.contains(s), "compose service {s}: {names:?}");
    }
    let volumes = keys(&c["volumes"]);
    let configs = keys(&c["configs"]);
    for name in &names {
        let s = &services[name.as_str()];
        let what = format!("compose service {name}");
        assert!(
            s["image"].as_str().is_some() || !s["build"].is_badvalue(),
            "{what}: image or build"
        );
        if let Some(ctx) = s["build"]["context"].as_str() {
            let ctx = Path::new(DEPLOY).join(ctx);
            let dockerfile = str_of(&s["build"]["dockerfile"], &what);
            assert!(ctx.join(dockerfile).is_file(), "{what}: {dockerfile}");
        }
        for dep in keys(&s["depends_on"]).into_iter().chain(
            s["depends_on"]
                .as_vec()
                .into_iter()
                .flatten()
                .map(|d| str_of(d, &what).to_string()),
        ) {
            assert!(names.contains(&dep), "{what}: depends on unknown {dep}");
        }
        for v in s["volumes"].as_vec().into_iter().flatten() {
            let spec = str_of(v, &what);
            let source = spec.split(':').next().unwrap();
            if source.starts_with("./") || source.starts_with("../") {
                assert!(
                    Path::new(DEPLOY).join(source).exists(),
                    "{what}: bind mount source {source} does not exist"
                );
            } else if !source.starts_with('$')
                && !source.starts_with('/')
                && !source.starts_with('~')
            {
                assert!(
                    volumes.contains(source),
                    "{what}: volume {source} not declared"
                );
            }
        }
        for cfg in s["configs"].as_vec().into_iter().flatten() {
            let src = str_of(&cfg["source"], &what);
            assert!(configs.contains(src), "{what}: config {src} not declared");
        }
    }

    // brandpulse: its config from compose/brandpulse.toml (a directory mount, for reloads).
    let bp = &services["brandpulse"];
    let mounts: Vec<&str> = bp["volumes"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        mounts.contains(&"./compose:/etc/brandpulse:ro"),
        "{mounts:?}"
    );
    let cmd: Vec<&str> = bp["command"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(cmd, ["run", "--config", "/etc/brandpulse/brandpulse.toml"]);
    assert!(
        mounts
            .iter()
            .any(|m| m.ends_with(":/opt/brandpulse/model:ro")),
        "model mount"
    );
    let conf = config(
        &read("compose/brandpulse.toml"),
        "deploy/compose/brandpulse.toml",
    );
    assert_eq!(conf.kafka.brokers, "broker:9092");
    assert_eq!(conf.telemetry.listen.to_string(), "0.0.0.0:9898");
    assert!(conf.alert.enabled, "alert stage on in compose");
    let ports: Vec<&str> = bp["ports"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(ports.contains(&"9898:9898"), "{ports:?}");
    let grace =
        humantime::parse_duration(str_of(&bp["stop_grace_period"], "stop_grace_period")).unwrap();
    assert!(
        grace > conf.pipeline.drain_timeout,
        "stop_grace_period above the drain timeout"
    );

    // The topic service creates every topic the config uses, the checkpoint topic compacted.
    let script = str_of(&services["topics"]["command"][0], "topics command");
    for t in topics(&conf) {
        assert!(
            script.contains(&format!("--topic {t} ")),
            "topics service: {t}"
        );
    }
    let checkpoint_line = script
        .lines()
        .find(|l| l.contains(&format!("--topic {} ", conf.alert.checkpoint_topic)))
        .unwrap();
    assert!(
        checkpoint_line.contains("cleanup.policy=compact"),
        "{checkpoint_line}"
    );

    // Prometheus: the inline config loads the mounted rule files and scrapes brandpulse as
    // job brandpulse (the alerting rules select on it).
    let prom = &YamlLoader::load_from_str(str_of(
        &c["configs"]["prometheus-config"]["content"],
        "prometheus config",
    ))
    .unwrap()[0];
    let rule_mount = services["prometheus"]["volumes"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .find(|v| v.starts_with("./prometheus:"))
        .expect("deploy/prometheus mounted");
    let mounted_at = rule_mount.split(':').nth(1).unwrap();
    for f in prom["rule_files"].as_vec().unwrap() {
        let f = str_of(f, "rule file");
        let rel = f
            .strip_prefix(mounted_at)
            .expect("rule file inside the mount");
        assert!(
            Path::new(DEPLOY)
                .join("prometheus")
                .join(rel.trim_start_matches('/'))
                .is_file(),
            "{f}"
        );
    }
    let job = &prom["scrape_configs"][0];
    assert_eq!(job["job_name"].as_str(), Some("brandpulse"));
    assert_eq!(
        job["static_configs"][0]["targets"][0].as_str(),
        Some("brandpulse:9898")
    );

    // Grafana: provisioning mounted where Grafana reads it, dashboards where the provider
    // looks.
    let provider = yaml("grafana/provisioning/dashboards/brandpulse.yml");
    let path = str_of(
        &provider["providers"][0]["options"]["path"],
        "provider path",
    );
    let gmounts: Vec<&str> = services["grafana"]["volumes"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        gmounts.contains(&"./grafana/provisioning:/etc/grafana/provisioning:ro"),
        "{gmounts:?}"
    );
    assert!(
        gmounts.contains(&format!("./grafana/dashboards:{path}:ro").as_str()),
        "{gmounts:?}"
    );
}

/// The Kubernetes documents of deploy/k8s, by kind.
fn k8s() -> Vec<(String, Yaml)> {
    let kust = yaml("k8s/kustomization.yaml");
    let resources: Vec<String> = kust["resources"]
        .as_vec()
        .expect("kustomization resources")
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect();
    let mut on_disk: Vec<String> = std::fs::read_dir(Path::new(DEPLOY).join("k8s"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
        .collect();
    on_disk.sort();
    let mut listed = resources.clone();
    listed.sort();
    assert_eq!(listed, on_disk, "kustomization.yaml lists every manifest");
    let mut out = Vec::new();
    for r in resources {
        for doc in yaml_docs(&format!("k8s/{r}")) {
            let what = format!("deploy/k8s/{r}");
            str_of(&doc["apiVersion"], &format!("{what}: apiVersion"));
            let kind = str_of(&doc["kind"], &format!("{what}: kind")).to_string();
            let name = str_of(&doc["metadata"]["name"], &format!("{what}: metadata.name"));
            assert!(!name.is_empty());
            out.push((kind, doc));
        }
    }
    out
}

fn one<'a>(docs: &'a [(String, Yaml)], kind: &str) -> &'a Yaml {
    let found: Vec<_> = docs.iter().filter(|(k, _)| k == kind).collect();
    assert_eq!(found.len(), 1, "one {kind}");
    &found[0].1
}

#[test]
fn kubernetes_manifests_agree_with_each_other_and_the_config() {
    let docs = k8s();
    let cm = one(&docs, "ConfigMap");
    let conf = config(
        str_of(&cm["data"]["brandpulse.toml"], "ConfigMap brandpulse.toml"),
        "deploy/k8s/configmap.yaml",
    );
    assert_eq!(conf.telemetry.listen.ip().to_string(), "0.0.0.0");

    let d = one(&docs, "Deployment");
    assert_eq!(d["apiVersion"].as_str(), Some("apps/v1"));
    assert_eq!(d["spec"]["replicas"].as_i64(), Some(3));
    let pod = &d["spec"]["template"]["spec"];
    let selector = &d["spec"]["selector"]["matchLabels"];
    for (k, v) in selector.as_hash().unwrap() {
        assert_eq!(
            &d["spec"]["template"]["metadata"]["labels"][k.as_str().unwrap()],
            v,
            "selector matches the pod"
        );
    }
    let c = pod["containers"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str() == Some("brandpulse"))
        .expect("brandpulse container");

    // Probes on the metrics port, /healthz and /readyz.
    let port = &c["ports"][0];
    assert_eq!(
        port["containerPort"].as_i64(),
        Some(i64::from(conf.telemetry.listen.port()))
    );
    let port_name = str_of(&port["name"], "port name");
    let probe_port = |probe: &str| {
        let p = &c[probe]["httpGet"]["port"];
        assert!(
            p.as_str() == Some(port_name) || p.as_i64() == port["containerPort"].as_i64(),
            "{probe} on the container port: {p:?}"
        );
        str_of(&c[probe]["httpGet"]["path"], probe).to_string()
    };
    assert_eq!(probe_port("livenessProbe"), "/healthz");
    assert_eq!(probe_port("readinessProbe"), "/readyz");

    // Graceful shutdown: the kubelet waits longer than the preStop pause plus the drain.
    let grace = pod["terminationGracePeriodSeconds"]
        .as_i64()
        .expect("terminationGracePeriodSeconds");
    let pre_stop = c["lifecycle"]["preStop"]["sleep"]["seconds"]
        .as_i64()
        .unwrap_or(0);
    let needed = conf.pipeline.drain_timeout + Duration::from_secs(pre_stop.try_into().unwrap());
    assert!(
        Duration::from_secs(grace.try_into().unwrap()) > needed,
        "terminationGracePeriodSeconds {grace} must exceed preStop {pre_stop}s + drain_timeout {:?}",
        conf.pipeline.drain_timeout
    );

    // Static membership from the pod name.
    let env = c["env"].as_vec().unwrap();
    let var = |name: &str| {
        env.iter()
            .find(|e| e["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("env {name}"))
    };
    assert_eq!(
        var("BRANDPULSE_INSTANCE_ID")["valueFrom"]["fieldRef"]["fieldPath"].as_str(),
        Some("metadata.name")
    );

    // The config from the ConfigMap, as a directory (subPath mounts never update), at the
    // path `--config` names; the model directory from a volume.
    let args: Vec<&str> = c["args"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let config_path = args[args.iter().position(|a| *a == "--config").unwrap() + 1];
    let volumes = pod["volumes"].as_vec().unwrap();
    let mount_of = |dir_of: &str| {
        c["volumeMounts"]
            .as_vec()
            .unwrap()
            .iter()
            .find(|m| dir_of.starts_with(m["mountPath"].as_str().unwrap()))
            .unwrap_or_else(|| panic!("no mount for {dir_of}"))
    };
    let cfg_mount = mount_of(config_path);
    assert!(
        cfg_mount["subPath"].is_badvalue(),
        "no subPath: ConfigMap updates must reach the file"
    );
    let cfg_vol = volumes
        .iter()
        .find(|v| v["name"] == cfg_mount["name"])
        .unwrap();
    assert_eq!(&cfg_vol["configMap"]["name"], &cm["metadata"]["name"]);
    assert_eq!(
        format!(
            "{}/brandpulse.toml",
            cfg_mount["mountPath"].as_str().unwrap()
        ),
        config_path
    );
    let model_dir = str_of(
        &var("BRANDPULSE_MODEL_DIR")["value"],
        "BRANDPULSE_MODEL_DIR",
    );
    let model_mount = mount_of(model_dir);
    let model_vol = volumes
        .iter()
        .find(|v| v["name"] == model_mount["name"])
        .unwrap();
    assert!(
        !model_vol["emptyDir"].is_badvalue() || !model_vol["persistentVolumeClaim"].is_badvalue(),
        "model volume: {model_vol:?}"
    );
    if !model_vol["emptyDir"].is_badvalue() {
        let init = pod["initContainers"]
            .as_vec()
            .expect("an init container fills the emptyDir");
        assert!(init.iter().any(|i| i["volumeMounts"]
            .as_vec()
            .into_iter()
            .flatten()
            .any(|m| m["name"] == model_mount["name"])));
    }
    assert!(
        !c["resources"]["requests"]["cpu"].is_badvalue()
            && !c["resources"]["limits"]["memory"].is_badvalue()
    );

    // Service and ServiceMonitor on the metrics port; the HPA on the Deployment.
    let svc = one(&docs, "Service");
    let sport = &svc["spec"]["ports"][0];
    assert!(
        sport["targetPort"].as_str() == Some(port_name)
            || sport["targetPort"] == port["containerPort"]
    );
    for (k, v) in svc["spec"]["selector"].as_hash().unwrap() {
        assert_eq!(
            &d["spec"]["template"]["metadata"]["labels"][k.as_str().unwrap()],
            v,
            "Service selects the pods"
        );
    }
    let sm = one(&docs, "ServiceMonitor");
    assert_eq!(sm["apiVersion"].as_str(), Some("monitoring.coreos.com/v1"));
    assert_eq!(sm["spec"]["endpoints"][0]["port"], sport["name"]);
    assert_eq!(
        sm["spec"]["endpoints"][0]["path"].as_str(),
        Some("/metrics")
    );
    for (k, v) in sm["spec"]["selector"]["matchLabels"].as_hash().unwrap() {
        assert_eq!(
            &svc["metadata"]["labels"][k.as_str().unwrap()],
            v,
            "ServiceMonitor selects the Service"
        );
    }
    let job_label = str_of(&sm["spec"]["jobLabel"], "jobLabel");
    assert_eq!(
        svc["metadata"]["labels"][job_label].as_str(),
        Some("brandpulse"),
        "job=\"brandpulse\""
    );
    let hpa = one(&docs, "HorizontalPodAutoscaler");
    assert_eq!(hpa["apiVersion"].as_str(), Some("autoscaling/v2"));
    assert_eq!(
        hpa["spec"]["scaleTargetRef"]["kind"].as_str(),
        Some("Deployment")
    );
    assert_eq!(hpa["spec"]["scaleTargetRef"]["name"], d["metadata"]["name"]);
    assert_eq!(
        hpa["spec"]["metrics"][0]["resource"]["name"].as_str(),
        Some("cpu")
    );
    assert!(hpa["spec"]["maxReplicas"].as_i64() >= hpa["spec"]["minReplicas"].as_i64());
}

#[test]
fn dockerfile_has_its_stages_and_entrypoint() {
    let text = read("Dockerfile");
    // Instructions, with continuation lines joined and comments dropped.
    let mut instructions: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || (t.is_empty() && current.is_empty()) {
            continue;
        }
        current.push_str(t.trim_end_matches('\\'));
        current.push(' ');
        if !t.ends_with('\\') {
            instructions.push(current.trim().to_string());
            current.clear();
        }
    }
    let mut stages: Vec<(String, String)> = Vec::new();
    for i in &instructions {
        if let Some(rest) = i.strip_prefix("FROM ") {
            let parts: Vec<&str> = rest.split_whitespace().collect();
            assert!(
                parts.len() == 3 && parts[1].eq_ignore_ascii_case("AS"),
                "FROM {rest}"
            );
            stages.push((parts[0].to_string(), parts[2].to_string()));
        }
        if let Some(from) = i.split_whitespace().find_map(|w| w.strip_prefix("--from=")) {
            assert!(
                stages.iter().any(|(_, s)| s == from),
                "{i}: --from={from} names no earlier stage"
            );
        }
    }
    let image = |stage: &str| {
        stages
            .iter()
            .find(|(_, s)| s == stage)
            .map(|(img, _)| img.as_str())
            .unwrap_or_else(|| panic!("stage {stage}: {stages:?}"))
    };
    assert_eq!(image("builder"), "rust:1.95-bookworm");
    assert!(image("model").starts_with("python:3.11"));
    assert_eq!(image("runtime-base"), "debian:bookworm-slim");
    assert_eq!(
        stages.last().unwrap().1,
        "runtime",
        "the default target is last"
    );
    image("model-files");
    let has = |prefix: &str| instructions.iter().any(|i| i.starts_with(prefix));
    assert!(instructions
        .iter()
        .any(|i| i.contains("cargo build --release --locked")));
    assert!(instructions
        .iter()
        .any(|i| i.contains("scripts/setup-model.sh")));
    assert!(has("ENTRYPOINT [\"brandpulse\"]"));
    assert!(has(
        "CMD [\"run\", \"--config\", \"/etc/brandpulse/brandpulse.toml\"]"
    ));
    assert!(has("EXPOSE 9898") && has("STOPSIGNAL SIGTERM"));
    assert!(has("USER 10001"), "non-root");
    assert!(instructions
        .iter()
        .any(|i| i.starts_with("ENV ") && i.contains("ORT_DYLIB_PATH=")));
    // What it copies from the build context exists and is not excluded by .dockerignore.
    let root = Path::new(DEPLOY).parent().unwrap();
    let ignore = std::fs::read_to_string(root.join(".dockerignore")).expect(".dockerignore");
    let ignored: Vec<&str> = ignore
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for required in ["target", ".git"] {
        assert!(ignored.contains(&required), ".dockerignore: {required}");
    }
    for i in &instructions {
        if let Some(rest) = i.strip_prefix("COPY ") {
            if rest.contains("--from=") {
                continue;
            }
            let parts: Vec<&str> = rest
                .split_whitespace()
                .filter(|p| !p.starts_with("--"))
                .collect();
            for src in &parts[..parts.len() - 1] {
                if *src != "." {
                    assert!(root.join(src).exists(), "COPY {src}: not in the repository");
                    assert!(
                        !ignored.iter().any(|g| src.starts_with(g)),
                        "COPY {src}: dockerignored"
                    );
                }
            }
        }
    }
}

/// Every alert's runbook_url points at a section of docs/operations.md.
#[test]
fn every_runbook_url_has_its_section() {
    let ops = std::fs::read_to_string(Path::new(DEPLOY).join("../docs/operations.md")).unwrap();
    // GitHub's heading anchors: lower case, spaces to dashes, other punctuation dropped.
    let anchors: BTreeSet<String> = ops
        .lines()
        .filter_map(|l| {
            l.strip_prefix('#')
                .map(|h| h.trim_start_matches('#').trim())
        })
        .map(|h| {
            h.to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let rules = yaml("prometheus/rules/brandpulse-alerts.yml");
    let mut n = 0;
    for group in rules["groups"].as_vec().unwrap() {
        for rule in group["rules"].as_vec().unwrap() {
            let alert = str_of(&rule["alert"], "alert");
            let url = str_of(&rule["annotations"]["runbook_url"], alert);
            let (page, anchor) = url.split_once('#').expect("an anchor");
            assert!(page.ends_with("/docs/operations.md"), "{alert}: {url}");
            assert!(
                anchors.contains(anchor),
                "{alert}: no section #{anchor} in docs/operations.md"
            );
            n += 1;
        }
    }
    assert!(n >= 8, "{n} alerts");
}
