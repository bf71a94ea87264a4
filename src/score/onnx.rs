//! The ONNX Runtime encoder backend (`ort`, with the runtime library loaded at start-up from
//! the PyPI `onnxruntime` wheel that `scripts/setup-model.sh` installs).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::Tensor;

use super::transformer::{Encoder, TokenBatch};
use super::ScoreError;
pub use crate::config::Precision;

impl Precision {
    /// The model file name in the model directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Precision::Int8 => "e5-small.int8.onnx",
            Precision::Fp32 => "e5-small.fp32.onnx",
        }
    }
}

static ENVIRONMENT: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

/// The ONNX Runtime shared library: `$ORT_DYLIB_PATH`, else the path written by the set-up
/// script into `<model_dir>/ORT_DYLIB_PATH`.
pub fn runtime_library(model_dir: &Path) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        return Some(PathBuf::from(p));
    }
    let recorded = std::fs::read_to_string(model_dir.join("ORT_DYLIB_PATH")).ok()?;
    Some(PathBuf::from(recorded.trim()))
}

fn environment(library: &Path) -> Result<&'static ort::environment::Environment, ScoreError> {
    let env = ENVIRONMENT.get_or_init(|| {
        ort::init_from(library)
            .map_err(|e| format!("loading {}: {e}", library.display()))?
            .with_name("brandpulse")
            .build()
            .map_err(|e| e.to_string())
    });
    env.as_ref().map_err(|reason| ScoreError::Load {
        what: "ONNX Runtime".into(),
        reason: format!("{reason} (run `bash scripts/setup-model.sh`, or set ORT_DYLIB_PATH)"),
    })
}

/// An e5 encoder session.
pub struct OnnxEncoder {
    session: Session,
    precision: Precision,
    dim: usize,
}

impl OnnxEncoder {
    /// Loads `model_dir/<precision file>` with `threads` intra-op threads.
    ///
    /// # Errors
    /// [`ScoreError::Load`] when the runtime or the model cannot be loaded.
    pub fn load(
        model_dir: &Path,
        precision: Precision,
        threads: usize,
    ) -> Result<Self, ScoreError> {
        let library = runtime_library(model_dir).ok_or_else(|| ScoreError::Load {
            what: "ONNX Runtime".into(),
            reason: format!(
                "no runtime library: set ORT_DYLIB_PATH or run `bash scripts/setup-model.sh` \
                 (it writes {})",
                model_dir.join("ORT_DYLIB_PATH").display()
            ),
        })?;
        let env = environment(&library)?;
        let path = model_dir.join(precision.file_name());
        let load = |reason: String| ScoreError::Load {
            what: path.display().to_string(),
            reason,
        };
        if !path.exists() {
            return Err(load(
                "not found: build it with `bash scripts/setup-model.sh`".into(),
            ));
        }
        let mut builder = Session::builder(env)
            .map_err(|e| load(e.to_string()))?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| load(e.to_string()))?;
        if precision == Precision::Int8 {
            // onnxruntime 1.31's fused SkipLayerNormalization was a quarter of the int8 model's
            // kernel time; Add + LayerNormalization run it 26-38% faster here, with the same
            // agreement with fp32 (benches/RESULTS.md). The fp32 graph is unaffected.
            builder = builder
                .with_config_entry(
                    "optimization.disable_specified_optimizers",
                    "SkipLayerNormFusion",
                )
                .map_err(|e| load(e.to_string()))?;
        }
        let session = builder
            .with_intra_threads(threads.max(1))
            .map_err(|e| load(e.to_string()))?
            .with_inter_threads(1)
            .map_err(|e| load(e.to_string()))?
            .commit_from_file(&path)
            .map_err(|e| load(e.to_string()))?;
        Ok(Self {
            session,
            precision,
            dim: 384,
        })
    }
}

impl Encoder for OnnxEncoder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn backend(&self) -> String {
        format!("onnxruntime-{}", self.precision.as_str())
    }

    fn embed(&mut self, batch: &TokenBatch) -> Result<Vec<f32>, ScoreError> {
        let fail = |reason: String| ScoreError::Batch {
            size: batch.rows,
            reason,
        };
        if batch.rows == 0 {
            return Ok(Vec::new());
        }
        let shape = [batch.rows, batch.cols];
        let ids =
            Tensor::from_array((shape, batch.ids.clone())).map_err(|e| fail(e.to_string()))?;
        let mask =
            Tensor::from_array((shape, batch.mask.clone())).map_err(|e| fail(e.to_string()))?;
        let outputs = self
            .session
            .run(ort::inputs!["input_ids" => ids, "attention_mask" => mask])
            .map_err(|e| fail(e.to_string()))?;
        let (_, data) = outputs["sentence_embedding"]
            .try_extract_tensor::<f32>()
            .map_err(|e| fail(e.to_string()))?;
        Ok(data.to_vec())
    }
}
