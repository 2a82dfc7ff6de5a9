//! Attribution evidence: from labelled JSONL to per-contributor integer weights.
//!
//! **Inputs.** Training JSONL, one object per line
//! `{"text": str, "label": str, "contributor": str}`, and validation JSONL
//! `{"text": str, "label": str}`. Parsing is strict: UTF-8, one JSON object per line,
//! no unknown or missing fields, no empty (or all-whitespace) text, label or
//! contributor; errors name the 1-based line. Lines that are empty or all whitespace
//! are skipped (a trailing newline is normal). A validation label no training point
//! has is allowed: no neighbour can match it, so it only lowers the utility.
//!
//! **Labels.** The union of training and validation label strings, sorted, numbered
//! from 0: the numbering is a function of the files alone.
//!
//! **Computation.** Embed every text ([`crate::Embedder`]), exact KNN-Shapley
//! ([`synod_attribution::knn_shapley`], squared Euclidean distance on unit vectors,
//! i.e. cosine ranking), sum per contributor, and convert to integer weights summing to
//! [`WEIGHT_TOTAL`] ([`synod_attribution::values_to_weights`]: non-positive values get
//! weight 0 but stay listed).
//!
//! **The file.** [`Evidence::to_file_bytes`] is pretty JSON plus a newline; the chain
//! stores [`evidence_hash`] of those bytes. Re-computation on another machine can differ
//! in the last float bits, so a challenge compares weights with a tolerance
//! ([`Evidence::agrees_with`]), not hashes.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use synod_attribution::{
    KnnInput, McConfig, ValuationError, WEIGHT_TOTAL, WeightError, knn_shapley, knn_utility,
    monte_carlo_shapley, per_contributor, values_to_weights,
};

use crate::{EmbedError, Embedder, MODEL_NAME};

/// The evidence format version written by this crate.
pub const EVIDENCE_VERSION: u32 = 1;
/// The valuation method recorded in evidence.
pub const METHOD: &str = "knn-shapley";
/// The utility whose Shapley values are computed.
pub const METRIC: &str = "knn-validation-accuracy";

/// Errors of parsing inputs, computing and reading evidence.
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// An input file is not UTF-8.
    #[error("{file}: not UTF-8 (at byte {offset})")]
    NotUtf8 {
        /// which input
        file: &'static str,
        /// first invalid byte
        offset: usize,
    },
    /// A line is not a valid record.
    #[error("{file} line {line}: {reason}")]
    BadLine {
        /// which input
        file: &'static str,
        /// 1-based line number
        line: usize,
        /// what is wrong
        reason: String,
    },
    /// An input holds no records.
    #[error("{0}: no records")]
    Empty(&'static str),
    /// `k` must be at least 1.
    #[error("k must be at least 1")]
    ZeroK,
    /// More distinct labels than `u32` can number (not reachable in practice).
    #[error("too many distinct labels")]
    TooManyLabels,
    /// Embedding failed.
    #[error(transparent)]
    Embed(#[from] EmbedError),
    /// The valuation refused its input.
    #[error("valuation: {0}")]
    Valuation(#[from] ValuationError),
    /// Values could not be turned into weights (e.g. no contributor helped at all).
    #[error("weights: {0}")]
    Weights(#[from] WeightError),
    /// An evidence file is not valid evidence.
    #[error("evidence file: {0}")]
    BadEvidence(String),
}

/// One training example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainRecord {
    /// the text that is embedded
    pub text: String,
    /// its class
    pub label: String,
    /// who contributed it
    pub contributor: String,
}

/// One validation example.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationRecord {
    /// the text that is embedded
    pub text: String,
    /// its class
    pub label: String,
}

fn parse_lines<T: serde::de::DeserializeOwned>(
    file: &'static str,
    bytes: &[u8],
    check: impl Fn(&T) -> Result<(), String>,
) -> Result<Vec<T>, EvidenceError> {
    let text = std::str::from_utf8(bytes).map_err(|e| EvidenceError::NotUtf8 {
        file,
        offset: e.valid_up_to(),
    })?;
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| EvidenceError::BadLine {
            file,
            line: line_no,
            reason,
        };
        let record: T = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        check(&record).map_err(bad)?;
        out.push(record);
    }
    if out.is_empty() {
        return Err(EvidenceError::Empty(file));
    }
    Ok(out)
}

fn non_blank(field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err(format!("empty {field}"))
    } else {
        Ok(())
    }
}

/// Parses training JSONL (see the module doc).
pub fn parse_train(bytes: &[u8]) -> Result<Vec<TrainRecord>, EvidenceError> {
    parse_lines("training set", bytes, |r: &TrainRecord| {
        non_blank("text", &r.text)?;
        non_blank("label", &r.label)?;
        non_blank("contributor", &r.contributor)
    })
}

/// Parses validation JSONL (see the module doc).
pub fn parse_validation(bytes: &[u8]) -> Result<Vec<ValidationRecord>, EvidenceError> {
    parse_lines("validation set", bytes, |r: &ValidationRecord| {
        non_blank("text", &r.text)?;
        non_blank("label", &r.label)
    })
}

/// The model an evidence file was computed with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRef {
    /// [`MODEL_NAME`]
    pub name: String,
    /// lowercase hex BLAKE3 of `model.safetensors`
    pub safetensors_blake3: String,
}

/// One contributor's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContributorValue {
    /// the contributor string from the training file
    pub contributor: String,
    /// how many training points it contributed
    pub points: u64,
    /// the sum of its points' Shapley values (may be negative)
    pub value: f64,
    /// its integer weight; all weights sum to [`WEIGHT_TOTAL`]
    pub weight: u64,
}

/// The evidence file (field order is the file's key order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// [`EVIDENCE_VERSION`]
    pub version: u32,
    /// [`METHOD`]
    pub method: String,
    /// `K` of the nearest-neighbour utility
    pub k: u32,
    /// [`METRIC`]
    pub metric: String,
    /// the embedding model
    pub model: ModelRef,
    /// lowercase hex BLAKE3 of the training file's bytes
    pub train_blake3: String,
    /// lowercase hex BLAKE3 of the validation file's bytes
    pub validation_blake3: String,
    /// number of training records
    pub train_points: u64,
    /// number of validation records
    pub validation_points: u64,
    /// the K-NN validation accuracy of the whole training set (the sum of all values)
    pub utility_full: f64,
    /// one entry per contributor, sorted by contributor string
    pub contributors: Vec<ContributorValue>,
}

/// BLAKE3 of an evidence file's bytes: what the chain stores.
pub fn evidence_hash(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

fn is_hex32(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Evidence {
    /// The canonical file bytes: `serde_json::to_vec_pretty` and a trailing newline.
    pub fn to_file_bytes(&self) -> Vec<u8> {
        // serde_json fails only on maps with non-string keys and on failing writers or
        // custom Serialize impls; this struct has none of them (it even writes a NaN, as
        // null, which the reader then refuses).
        let mut bytes = serde_json::to_vec_pretty(self).expect("plain struct serialises");
        bytes.push(b'\n');
        bytes
    }

    /// Reads an evidence file, refusing unknown fields, another version, method or
    /// metric, malformed hashes, unsorted or repeated contributors, point counts that do
    /// not add up, and weights that do not sum to [`WEIGHT_TOTAL`].
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Evidence, EvidenceError> {
        let ev: Evidence =
            serde_json::from_slice(bytes).map_err(|e| EvidenceError::BadEvidence(e.to_string()))?;
        ev.validate()?;
        Ok(ev)
    }

    fn validate(&self) -> Result<(), EvidenceError> {
        let bad = |m: String| Err(EvidenceError::BadEvidence(m));
        if self.version != EVIDENCE_VERSION {
            return bad(format!(
                "version {} (expected {EVIDENCE_VERSION})",
                self.version
            ));
        }
        if self.method != METHOD {
            return bad(format!("method {:?} (expected {METHOD:?})", self.method));
        }
        if self.metric != METRIC {
            return bad(format!("metric {:?} (expected {METRIC:?})", self.metric));
        }
        if self.k == 0 {
            return bad("k is 0".to_string());
        }
        for (what, h) in [
            ("model.safetensors_blake3", &self.model.safetensors_blake3),
            ("train_blake3", &self.train_blake3),
            ("validation_blake3", &self.validation_blake3),
        ] {
            if !is_hex32(h) {
                return bad(format!("{what} is not 64 lowercase hex digits"));
            }
        }
        if self.contributors.is_empty() {
            return bad("no contributors".to_string());
        }
        if !self
            .contributors
            .windows(2)
            .all(|w| w[0].contributor < w[1].contributor)
        {
            return bad("contributors not strictly sorted".to_string());
        }
        let mut points = 0u64;
        let mut weights = 0u64;
        for c in &self.contributors {
            if !c.value.is_finite() {
                return bad(format!("value of {} is not finite", c.contributor));
            }
            points = points
                .checked_add(c.points)
                .ok_or_else(|| EvidenceError::BadEvidence("points overflow".to_string()))?;
            weights = weights
                .checked_add(c.weight)
                .ok_or_else(|| EvidenceError::BadEvidence("weights overflow".to_string()))?;
        }
        if points != self.train_points {
            return bad(format!(
                "contributors hold {points} points, train_points is {}",
                self.train_points
            ));
        }
        if weights != WEIGHT_TOTAL {
            return bad(format!("weights sum to {weights}, not {WEIGHT_TOTAL}"));
        }
        if !self.utility_full.is_finite() {
            return bad("utility_full is not finite".to_string());
        }
        Ok(())
    }

    /// The weights as a map, for callers that commit them on chain.
    pub fn weights(&self) -> BTreeMap<String, u64> {
        self.contributors
            .iter()
            .map(|c| (c.contributor.clone(), c.weight))
            .collect()
    }

    /// Whether `other` is a re-computation of the same job that reached the same
    /// weights: same version, method, metric, `k`, model, input hashes and point counts,
    /// the same contributors with the same point counts, and every weight within
    /// `tolerance` (absolute, in parts of [`WEIGHT_TOTAL`]). Values and `utility_full`
    /// are not compared: weights are what goes on chain.
    pub fn agrees_with(&self, other: &Evidence, tolerance: u64) -> bool {
        self.version == other.version
            && self.method == other.method
            && self.metric == other.metric
            && self.k == other.k
            && self.model == other.model
            && self.train_blake3 == other.train_blake3
            && self.validation_blake3 == other.validation_blake3
            && self.train_points == other.train_points
            && self.validation_points == other.validation_points
            && self.contributors.len() == other.contributors.len()
            && self
                .contributors
                .iter()
                .zip(&other.contributors)
                .all(|(a, b)| {
                    a.contributor == b.contributor
                        && a.points == b.points
                        && a.weight.abs_diff(b.weight) <= tolerance
                })
    }
}

/// Parsed inputs with labels numbered (see the module doc).
#[derive(Debug, Clone)]
pub struct Dataset {
    /// training records, in file order
    pub train: Vec<TrainRecord>,
    /// validation records, in file order
    pub validation: Vec<ValidationRecord>,
    /// label number of each training record
    pub train_labels: Vec<u32>,
    /// label number of each validation record
    pub validation_labels: Vec<u32>,
    /// the label strings, indexed by number
    pub labels: Vec<String>,
}

impl Dataset {
    /// Parses both files and numbers the labels.
    pub fn parse(train_jsonl: &[u8], validation_jsonl: &[u8]) -> Result<Dataset, EvidenceError> {
        let train = parse_train(train_jsonl)?;
        let validation = parse_validation(validation_jsonl)?;
        let labels: Vec<String> = train
            .iter()
            .map(|r| r.label.clone())
            .chain(validation.iter().map(|r| r.label.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let number: BTreeMap<&str, u32> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| u32::try_from(i).map(|n| (l.as_str(), n)))
            .collect::<Result<_, _>>()
            .map_err(|_| EvidenceError::TooManyLabels)?;
        // Every label is in `number` by construction; the fallback is unreachable.
        let num = |l: &str| number.get(l).copied().ok_or(EvidenceError::TooManyLabels);
        let train_labels = train
            .iter()
            .map(|r| num(&r.label))
            .collect::<Result<_, _>>()?;
        let validation_labels = validation
            .iter()
            .map(|r| num(&r.label))
            .collect::<Result<_, _>>()?;
        Ok(Dataset {
            train,
            validation,
            train_labels,
            validation_labels,
            labels,
        })
    }

    /// The contributor of each training point, in file order.
    pub fn owners(&self) -> Vec<String> {
        self.train.iter().map(|r| r.contributor.clone()).collect()
    }
}

/// `synod attribution compute`: evidence for `train_jsonl` against `validation_jsonl`.
pub fn compute(
    embedder: &Embedder,
    train_jsonl: &[u8],
    validation_jsonl: &[u8],
    k: u32,
) -> Result<Evidence, EvidenceError> {
    let model = ModelRef {
        name: MODEL_NAME.to_string(),
        safetensors_blake3: hex::encode(embedder.safetensors_blake3()),
    };
    compute_with(train_jsonl, validation_jsonl, k, model, |texts| {
        embedder.embed(texts)
    })
}

/// [`compute`] with any embedding function (tests use a synthetic one; the model
/// reference is recorded as given).
pub fn compute_with<F>(
    train_jsonl: &[u8],
    validation_jsonl: &[u8],
    k: u32,
    model: ModelRef,
    mut embed: F,
) -> Result<Evidence, EvidenceError>
where
    F: FnMut(&[&str]) -> Result<Vec<Vec<f32>>, EmbedError>,
{
    if k == 0 {
        return Err(EvidenceError::ZeroK);
    }
    let data = Dataset::parse(train_jsonl, validation_jsonl)?;
    let train_texts: Vec<&str> = data.train.iter().map(|r| r.text.as_str()).collect();
    let val_texts: Vec<&str> = data.validation.iter().map(|r| r.text.as_str()).collect();
    let train_emb = embed(&train_texts)?;
    let val_emb = embed(&val_texts)?;
    let input = KnnInput {
        train: &train_emb,
        train_labels: &data.train_labels,
        validation: &val_emb,
        validation_labels: &data.validation_labels,
        k: k as usize,
    };
    let values = knn_shapley(&input)?;
    let all: Vec<usize> = (0..train_emb.len()).collect();
    let utility_full = knn_utility(&input, &all)?;
    let owners = data.owners();
    let per = per_contributor(&values, &owners)?;
    let weights = values_to_weights(&per, WEIGHT_TOTAL)?;
    let mut points: BTreeMap<&str, u64> = BTreeMap::new();
    for o in &owners {
        *points.entry(o.as_str()).or_insert(0) += 1;
    }
    let contributors = per
        .iter()
        .map(|(c, &value)| ContributorValue {
            contributor: c.clone(),
            points: points.get(c.as_str()).copied().unwrap_or(0),
            value,
            weight: weights.get(c).copied().unwrap_or(0),
        })
        .collect();
    let ev = Evidence {
        version: EVIDENCE_VERSION,
        method: METHOD.to_string(),
        k,
        metric: METRIC.to_string(),
        model,
        train_blake3: blake3::hash(train_jsonl).to_hex().to_string(),
        validation_blake3: blake3::hash(validation_jsonl).to_hex().to_string(),
        train_points: data.train.len() as u64,
        validation_points: data.validation.len() as u64,
        utility_full,
        contributors,
    };
    // The same checks a reader applies, so a file we write is always one we accept.
    ev.validate()?;
    Ok(ev)
}

/// Spearman rank correlation (ties get their average rank). `None` when the inputs
/// differ in length, have fewer than two elements, or one side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let ra = ranks(a);
    let rb = ranks(b);
    let n = a.len() as f64;
    let ma = ra.iter().sum::<f64>() / n;
    let mb = rb.iter().sum::<f64>() / n;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - ma) * (y - mb);
        va += (x - ma) * (x - ma);
        vb += (y - mb) * (y - mb);
    }
    if va == 0.0 || vb == 0.0 {
        return None;
    }
    Some(cov / (va * vb).sqrt())
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
    let mut out = vec![0.0; v.len()];
    let mut start = 0;
    while start < idx.len() {
        let mut end = start + 1;
        while end < idx.len() && v[idx[end]] == v[idx[start]] {
            end += 1;
        }
        let avg = (start + end - 1) as f64 / 2.0 + 1.0;
        for &i in &idx[start..end] {
            out[i] = avg;
        }
        start = end;
    }
    out
}

/// Result of [`monte_carlo_check`].
#[derive(Debug, Clone, PartialEq)]
pub struct McCheck<C: Ord> {
    /// Monte-Carlo estimate per contributor (sum of its points' estimates)
    pub estimate: BTreeMap<C, f64>,
    /// exact KNN-Shapley value per contributor
    pub exact: BTreeMap<C, f64>,
    /// Spearman correlation of the per-point estimates with the exact per-point values
    /// (`None` if either is constant)
    pub point_spearman: Option<f64>,
    /// the same over contributors (`None` with fewer than two, or a constant side)
    pub contributor_spearman: Option<f64>,
    /// utility evaluations the estimate made
    pub utility_calls: u64,
}

/// Cross-checks exact KNN-Shapley with truncated Monte-Carlo permutation Shapley on the
/// same K-NN utility (an independent method: only the utility is shared). Utility
/// calls along a permutation are incremental (a top-K list per validation point), and
/// give exactly [`knn_utility`]'s value.
pub fn monte_carlo_check<C: Ord + Clone>(
    input: &KnnInput<'_>,
    owners: &[C],
    config: &McConfig,
) -> Result<McCheck<C>, EvidenceError> {
    let exact_points = knn_shapley(input)?;
    let mut utility = IncrementalKnnUtility::new(input);
    let est = monte_carlo_shapley(input.train.len(), config, |prefix| utility.eval(prefix))?;
    let exact = per_contributor(&exact_points, owners)?;
    let estimate = per_contributor(&est.values, owners)?;
    let ex: Vec<f64> = exact.values().copied().collect();
    let es: Vec<f64> = estimate.values().copied().collect();
    Ok(McCheck {
        point_spearman: spearman(&est.values, &exact_points),
        contributor_spearman: spearman(&es, &ex),
        estimate,
        exact,
        utility_calls: est.utility_calls,
    })
}

/// [`knn_utility`] for a prefix that usually grows by one point per call.
struct IncrementalKnnUtility<'a> {
    input: &'a KnnInput<'a>,
    /// squared distances, `dist[v * n + t]`, computed like `synod_attribution::knn`
    dist: Vec<f64>,
    /// the prefix the state below describes
    prefix: Vec<usize>,
    /// per validation point, its nearest `k` of `prefix` by `(distance, index)`
    top: Vec<Vec<(f64, usize)>>,
}

impl<'a> IncrementalKnnUtility<'a> {
    fn new(input: &'a KnnInput<'a>) -> Self {
        let n = input.train.len();
        let mut dist = Vec::with_capacity(input.validation.len() * n);
        for v in input.validation {
            for t in input.train {
                dist.push(
                    t.iter()
                        .zip(v)
                        .map(|(a, b)| {
                            let d = f64::from(*a) - f64::from(*b);
                            d * d
                        })
                        .sum::<f64>(),
                );
            }
        }
        IncrementalKnnUtility {
            input,
            dist,
            prefix: Vec::new(),
            top: vec![Vec::with_capacity(input.k + 1); input.validation.len()],
        }
    }

    fn add(&mut self, point: usize) {
        let n = self.input.train.len();
        let k = self.input.k;
        for (v, top) in self.top.iter_mut().enumerate() {
            let key = (self.dist[v * n + point], point);
            let pos = top.partition_point(|e| e.0.total_cmp(&key.0).then(e.1.cmp(&key.1)).is_lt());
            if pos < k {
                top.insert(pos, key);
                top.truncate(k);
            }
        }
        self.prefix.push(point);
    }

    fn eval(&mut self, subset: &[usize]) -> f64 {
        let extends = subset.len() == self.prefix.len() + 1 && subset.starts_with(&self.prefix);
        if !extends {
            self.prefix.clear();
            for t in &mut self.top {
                t.clear();
            }
            for &p in subset.iter().take(subset.len().saturating_sub(1)) {
                self.add(p);
            }
        }
        if let Some(&last) = subset.last() {
            self.add(last);
        } else {
            return 0.0;
        }
        // Same float operations in the same order as `knn_utility`.
        let k = self.input.k;
        let mut sum = 0.0f64;
        for (top, &y) in self.top.iter().zip(self.input.validation_labels) {
            let hits = top
                .iter()
                .filter(|&&(_, i)| self.input.train_labels[i] == y)
                .count();
            sum += hits as f64 / k as f64;
        }
        sum / self.input.validation.len() as f64
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn model() -> ModelRef {
        ModelRef {
            name: MODEL_NAME.to_string(),
            safetensors_blake3: "ab".repeat(32),
        }
    }

    /// A synthetic embedding: the label word in the text picks an axis.
    fn fake_embed(texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts
            .iter()
            .map(|t| {
                let mut v = vec![0.01f32; 4];
                for (i, w) in ["red", "green", "blue", "grey"].iter().enumerate() {
                    if t.contains(w) {
                        v[i] = 1.0;
                    }
                }
                v
            })
            .collect())
    }

    const TRAIN: &str = r#"{"text":"red apple","label":"r","contributor":"alice"}
{"text":"red car","label":"r","contributor":"alice"}
{"text":"green leaf","label":"g","contributor":"bob"}
{"text":"green frog","label":"g","contributor":"bob"}
{"text":"green grass","label":"r","contributor":"carol"}
{"text":"red rose","label":"g","contributor":"carol"}
"#;
    const VAL: &str = r#"{"text":"red wine","label":"r"}
{"text":"green tea","label":"g"}
{"text":"grey sky","label":"x"}
"#;

    #[test]
    fn parse_errors_name_the_line() {
        let e = parse_train(b"{\"text\":\"a\",\"label\":\"l\",\"contributor\":\"c\"}\n\n{\"text\":\"a\",\"label\":\"l\",\"contributor\":\"c\",\"x\":1}").unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        assert!(e.to_string().contains("unknown field"), "{e}");
        let e =
            parse_train(b"{\"text\":\"  \",\"label\":\"l\",\"contributor\":\"c\"}").unwrap_err();
        assert!(e.to_string().contains("line 1: empty text"), "{e}");
        let e = parse_validation(b"{\"text\":\"a\"}").unwrap_err();
        assert!(e.to_string().contains("missing field `label`"), "{e}");
        let e = parse_validation(b"[1]\n").unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
        assert!(matches!(
            parse_validation(b"\n \n"),
            Err(EvidenceError::Empty(_))
        ));
        assert!(matches!(
            parse_validation(b"\xff"),
            Err(EvidenceError::NotUtf8 { .. })
        ));
    }

    #[test]
    fn labels_are_numbered_by_sorted_string() {
        let d = Dataset::parse(TRAIN.as_bytes(), VAL.as_bytes()).unwrap();
        assert_eq!(d.labels, ["g", "r", "x"]);
        assert_eq!(d.train_labels, [1, 1, 0, 0, 1, 0]);
        assert_eq!(d.validation_labels, [1, 0, 2]);
    }

    #[test]
    fn compute_with_synthetic_embeddings() {
        let ev = compute_with(TRAIN.as_bytes(), VAL.as_bytes(), 2, model(), fake_embed).unwrap();
        let names: Vec<&str> = ev
            .contributors
            .iter()
            .map(|c| c.contributor.as_str())
            .collect();
        assert_eq!(names, ["alice", "bob", "carol"]);
        assert_eq!(ev.weights().values().sum::<u64>(), WEIGHT_TOTAL);
        let w = ev.weights();
        assert!(w["alice"] > w["carol"] && w["bob"] > w["carol"], "{w:?}");
        assert_eq!(ev.train_points, 6);
        assert_eq!(ev.validation_points, 3);
        let sum: f64 = ev.contributors.iter().map(|c| c.value).sum();
        assert!((sum - ev.utility_full).abs() < 1e-12);

        let bytes = ev.to_file_bytes();
        assert_eq!(bytes.last(), Some(&b'\n'));
        let back = Evidence::from_file_bytes(&bytes).unwrap();
        assert_eq!(back, ev);
        assert!(back.agrees_with(&ev, 0));
        assert_eq!(evidence_hash(&bytes), *blake3::hash(&bytes).as_bytes());
        let text = String::from_utf8(bytes).unwrap();
        let keys: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  \""))
            .map(|l| l.trim().split('"').nth(1).unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "version",
                "method",
                "k",
                "metric",
                "model",
                "train_blake3",
                "validation_blake3",
                "train_points",
                "validation_points",
                "utility_full",
                "contributors"
            ]
        );
    }

    #[test]
    fn agreement_tolerance_and_strict_reading() {
        let ev = compute_with(TRAIN.as_bytes(), VAL.as_bytes(), 2, model(), fake_embed).unwrap();
        let mut other = ev.clone();
        other.contributors[0].weight += 3;
        other.contributors[1].weight -= 3;
        assert!(ev.agrees_with(&other, 3));
        assert!(!ev.agrees_with(&other, 2));
        let mut renamed = ev.clone();
        renamed.contributors[2].contributor = "dave".to_string();
        assert!(!ev.agrees_with(&renamed, WEIGHT_TOTAL));
        let mut other_input = ev.clone();
        other_input.train_blake3 = "00".repeat(32);
        assert!(!ev.agrees_with(&other_input, WEIGHT_TOTAL));

        // The reader refuses what the writer never produces.
        for (name, bad) in [
            ("weights", {
                let mut e = ev.clone();
                e.contributors[0].weight += 1;
                e
            }),
            ("sorted", {
                let mut e = ev.clone();
                e.contributors.swap(0, 1);
                e
            }),
            ("version", {
                let mut e = ev.clone();
                e.version = 2;
                e
            }),
            ("hex", {
                let mut e = ev.clone();
                e.train_blake3 = "AB".repeat(32);
                e
            }),
            ("points", {
                let mut e = ev.clone();
                e.train_points += 1;
                e
            }),
        ] {
            let r = Evidence::from_file_bytes(&bad.to_file_bytes());
            assert!(matches!(r, Err(EvidenceError::BadEvidence(_))), "{name}");
        }
        let mut v: serde_json::Value = serde_json::from_slice(&ev.to_file_bytes()).unwrap();
        v["extra"] = serde_json::json!(1);
        let r = Evidence::from_file_bytes(&serde_json::to_vec(&v).unwrap());
        assert!(matches!(r, Err(EvidenceError::BadEvidence(_))));
    }

    #[test]
    fn spearman_basics() {
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]), Some(1.0));
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        assert_eq!(spearman(&[1.0, 1.0], &[1.0, 2.0]), None);
        let r = spearman(&[1.0, 2.0, 2.0, 4.0], &[1.0, 3.0, 2.0, 4.0]).unwrap();
        assert!((r - 0.9486832980505138).abs() < 1e-12, "{r}");
    }

    #[test]
    fn incremental_utility_equals_knn_utility() {
        let d = Dataset::parse(TRAIN.as_bytes(), VAL.as_bytes()).unwrap();
        let texts: Vec<&str> = d.train.iter().map(|r| r.text.as_str()).collect();
        let vtexts: Vec<&str> = d.validation.iter().map(|r| r.text.as_str()).collect();
        let train = fake_embed(&texts).unwrap();
        let val = fake_embed(&vtexts).unwrap();
        for k in 1..=4 {
            let input = KnnInput {
                train: &train,
                train_labels: &d.train_labels,
                validation: &val,
                validation_labels: &d.validation_labels,
                k,
            };
            let mut inc = IncrementalKnnUtility::new(&input);
            for prefix in [
                &[][..],
                &[3],
                &[3, 1],
                &[3, 1, 5],
                &[0],
                &[0, 2, 4],
                &[0, 2, 4, 1, 3, 5],
            ] {
                let mut want = knn_utility(&input, prefix).unwrap();
                if prefix.is_empty() {
                    want = 0.0;
                }
                assert_eq!(inc.eval(prefix).to_bits(), want.to_bits(), "{k} {prefix:?}");
            }
        }
    }

    #[test]
    fn monte_carlo_agrees_with_exact_ranking() {
        let d = Dataset::parse(TRAIN.as_bytes(), VAL.as_bytes()).unwrap();
        let texts: Vec<&str> = d.train.iter().map(|r| r.text.as_str()).collect();
        let vtexts: Vec<&str> = d.validation.iter().map(|r| r.text.as_str()).collect();
        let train = fake_embed(&texts).unwrap();
        let val = fake_embed(&vtexts).unwrap();
        let input = KnnInput {
            train: &train,
            train_labels: &d.train_labels,
            validation: &val,
            validation_labels: &d.validation_labels,
            k: 2,
        };
        let cfg = McConfig {
            permutations: 2000,
            truncation_tolerance: 0.0,
            seed: 7,
        };
        let check = monte_carlo_check(&input, &d.owners(), &cfg).unwrap();
        for (c, v) in &check.exact {
            assert!((check.estimate[c] - v).abs() < 0.05, "{c}: {check:?}");
        }
        assert!(check.point_spearman.unwrap() > 0.8, "{check:?}");
    }
}
