//! The rust-bert encoder backend (cargo feature `rust-bert`): the same multilingual-e5-small
//! network as [`super::onnx`], run by rust-bert's `BertModel` over libtorch 2.4.
//!
//! e5-small is a BERT (positions from 0, token type 0, LayerNorm eps 1e-12, erf GELU), so the
//! model is `BertModel<BertEmbeddings>`, not rust-bert's RoBERTa, whose positions start after
//! the padding id. The fp32 weights are the ones the ONNX backend's fp32 model is built from,
//! exported by `models/build/export_rust_bert.py` into `<model_dir>/rust-bert/`
//! (`config.json`, `model.safetensors`); `scripts/setup-libtorch.sh` installs libtorch and runs
//! the export.
//!
//! rust-bert's pipelines pass no attention mask, which changes padded rows; this backend calls
//! `BertModel::forward_t` with the batch's mask, then mean-pools over the mask and
//! L2-normalises, like the ONNX graph's `sentence_embedding`.
//!
//! libtorch tensors are `Send` but not `Sync`: the encoder lives on the scoring thread.
//! `threads` sets libtorch's intra-op pool, which is process-wide.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rust_bert::bert::{BertConfig, BertEmbeddings, BertModel};
use tch::{nn, Device, Kind, Tensor};

use super::transformer::{Encoder, TokenBatch};
use super::ScoreError;

/// The weights' directory inside the model directory.
pub const WEIGHTS_DIR: &str = "rust-bert";

/// The export format this code reads (`brandpulse_format` in `config.json`, written by
/// `models/build/export_rust_bert.py`).
const FORMAT: u64 = 1;

/// Where the exported weights of `model_dir` are: `(config.json, model.safetensors)`.
pub fn weight_files(model_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = model_dir.join(WEIGHTS_DIR);
    (dir.join("config.json"), dir.join("model.safetensors"))
}

/// e5-small on rust-bert, fp32, CPU.
pub struct RustBertEncoder {
    model: BertModel<BertEmbeddings>,
    // Owns the parameters `model` refers to.
    _vars: nn::VarStore,
    device: Device,
    dim: usize,
    vocab: i64,
    max_positions: usize,
}

impl RustBertEncoder {
    /// Loads `model_dir/rust-bert/` and sets libtorch's intra-op threads to `threads`.
    ///
    /// # Errors
    /// [`ScoreError::Load`] when the exported weights are missing, of another format, or do
    /// not fit the configuration.
    pub fn load(model_dir: &Path, threads: usize) -> Result<Self, ScoreError> {
        let (config_path, weights_path) = weight_files(model_dir);
        let load = |path: &Path, reason: String| ScoreError::Load {
            what: path.display().to_string(),
            reason,
        };
        let text = std::fs::read_to_string(&config_path).map_err(|e| {
            load(
                &config_path,
                format!(
                    "{e} (export the weights with `bash scripts/setup-libtorch.sh`, after \
                     `bash scripts/setup-model.sh`)"
                ),
            )
        })?;
        let meta: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| load(&config_path, e.to_string()))?;
        let format = meta
            .get("brandpulse_format")
            .and_then(serde_json::Value::as_u64);
        if format != Some(FORMAT) {
            return Err(load(
                &config_path,
                format!(
                    "export format {format:?}, expected {FORMAT} (re-run `bash scripts/setup-libtorch.sh`)"
                ),
            ));
        }
        let config: BertConfig =
            serde_json::from_value(meta).map_err(|e| load(&config_path, e.to_string()))?;
        let dims = [
            config.hidden_size,
            config.vocab_size,
            config.max_position_embeddings,
        ];
        let [Ok(dim), Ok(_), Ok(max_positions)] = dims.map(usize::try_from) else {
            return Err(load(&config_path, "negative sizes".into()));
        };

        if threads > 0 {
            tch::set_num_threads(i32::try_from(threads).unwrap_or(i32::MAX));
        }
        let device = Device::Cpu;
        let mut vars = nn::VarStore::new(device);
        let model =
            BertModel::<BertEmbeddings>::new_with_optional_pooler(vars.root(), &config, false);
        vars.load(&weights_path)
            .map_err(|e| load(&weights_path, e.to_string()))?;
        vars.freeze();
        Ok(Self {
            model,
            _vars: vars,
            device,
            dim,
            vocab: config.vocab_size,
            max_positions,
        })
    }

    /// `[rows, dim]` mean-pooled, L2-normalised embeddings.
    fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor, String> {
        let err = |e: tch::TchError| e.to_string();
        let hidden = self
            .model
            .forward_t(Some(ids), Some(mask), None, None, None, None, None, false)
            .map_err(|e| e.to_string())?
            .hidden_state;
        // Mean over the real tokens (the ONNX graph: sum(x * m) / max(sum(m), 1e-9)).
        let m = mask
            .f_unsqueeze(-1)
            .map_err(err)?
            .f_to_kind(Kind::Float)
            .map_err(err)?;
        let sum = hidden
            .f_mul(&m)
            .map_err(err)?
            .f_sum_dim_intlist(1, false, Kind::Float)
            .map_err(err)?;
        let count = m
            .f_sum_dim_intlist(1, false, Kind::Float)
            .map_err(err)?
            .f_clamp_min(1e-9)
            .map_err(err)?;
        let mean = sum.f_div(&count).map_err(err)?;
        // x / sqrt(max(sum(x^2), 1e-12)), as the ONNX graph.
        let norm = mean
            .f_square()
            .map_err(err)?
            .f_sum_dim_intlist(1, true, Kind::Float)
            .map_err(err)?
            .f_clamp_min(1e-12)
            .map_err(err)?
            .f_sqrt()
            .map_err(err)?;
        mean.f_div(&norm).map_err(err)
    }
}

impl Encoder for RustBertEncoder {
    fn dim(&self) -> usize {
        self.dim
    }

    fn backend(&self) -> String {
        "rust-bert-fp32".into()
    }

    fn embed(&mut self, batch: &TokenBatch) -> Result<Vec<f32>, ScoreError> {
        let fail = |reason: String| ScoreError::Batch {
            size: batch.rows,
            reason,
        };
        if batch.rows == 0 {
            return Ok(Vec::new());
        }
        let n = batch.rows * batch.cols;
        if batch.ids.len() != n || batch.mask.len() != n {
            return Err(fail(format!(
                "{} ids and {} mask values for {}x{}",
                batch.ids.len(),
                batch.mask.len(),
                batch.rows,
                batch.cols
            )));
        }
        // rust-bert indexes its embedding tables unchecked (libtorch would throw, which tch
        // turns into a panic): check here.
        if batch.cols > self.max_positions {
            return Err(fail(format!(
                "{} tokens, the model takes at most {}",
                batch.cols, self.max_positions
            )));
        }
        if let Some(bad) = batch.ids.iter().find(|&&id| !(0..self.vocab).contains(&id)) {
            return Err(fail(format!("token id {bad} is outside the vocabulary")));
        }
        let (Ok(rows), Ok(cols)) = (i64::try_from(batch.rows), i64::try_from(batch.cols)) else {
            return Err(fail("batch too large".into()));
        };
        let tensor = |data: &[i64]| {
            Tensor::f_from_slice(data)
                .and_then(|t| t.f_view([rows, cols]))
                .and_then(|t| t.f_to_device(self.device))
                .map_err(|e| fail(e.to_string()))
        };
        let ids = tensor(&batch.ids)?;
        let mask = tensor(&batch.mask)?;
        // rust-bert's layers use tch's panicking calls; a libtorch error (out of memory, say)
        // becomes a batch error instead of killing the scoring thread.
        let out = catch_unwind(AssertUnwindSafe(|| {
            tch::no_grad(|| self.forward(&ids, &mask))
        }))
        .map_err(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("libtorch panicked");
            fail(msg.to_string())
        })?
        .map_err(fail)?;
        out.f_flatten(0, -1)
            .and_then(|flat| Vec::<f32>::try_from(&flat))
            .map_err(|e| fail(e.to_string()))
    }
}
