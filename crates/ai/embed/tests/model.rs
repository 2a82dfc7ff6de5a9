//! With the real all-MiniLM-L6-v2 (skipped, with a message, when it is not provisioned):
//! reference cosines, the independent numpy reference (`reference/minilm_ref.py`), batch =
//! single, unit norm, and evidence on the example data set.

#![allow(missing_docs, clippy::unwrap_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use synod_attribution::WEIGHT_TOTAL;
use synod_embed::evidence::{Evidence, compute};
use synod_embed::{DIMENSION, Embedder, cosine, model_dir, model_present};

/// One load shared by the tests of this binary (loading reads 90 MB).
fn embedder() -> Option<&'static Embedder> {
    static E: OnceLock<Option<Embedder>> = OnceLock::new();
    E.get_or_init(|| {
        let dir = model_dir().ok()?;
        if !model_present(&dir) {
            eprintln!(
                "SKIP: all-MiniLM-L6-v2 not in {} (run scripts/fetch-model.sh)",
                dir.display()
            );
            return None;
        }
        Some(Embedder::load(&dir).unwrap())
    })
    .as_ref()
}

// ai-models.md pins 0.0352 for GUITAR vs UNRELATED (candle and an independent numpy
// forward pass agree) and 0.6382 for GUITAR vs a paraphrase it does not quote. The
// paraphrase here is ours; its value (0.7188) is pinned from this implementation and
// checked against reference/minilm_ref.py (an independent numpy forward pass, float64,
// own WordPiece) in `matches_numpy_reference`, which gives 0.718817.
const GUITAR: &str = "A man is playing a guitar on stage.";
const PARAPHRASE: &str = "A musician performs with his guitar at a concert.";
const UNRELATED: &str = "The validator slashed the miner for returning stale results.";

#[test]
fn reference_cosines() {
    let Some(e) = embedder() else { return };
    let v = e.embed(&[GUITAR, PARAPHRASE, UNRELATED]).unwrap();
    let para = cosine(&v[0], &v[1]);
    let unrel = cosine(&v[0], &v[2]);
    eprintln!("cosines: paraphrase {para:.6}, unrelated {unrel:.6}");
    assert!((para - 0.7188).abs() < 1e-3, "paraphrase {para}");
    assert!((unrel - 0.0352).abs() < 1e-3, "unrelated {unrel}");
}

#[test]
fn unit_norm_and_dimension() {
    let Some(e) = embedder() else { return };
    let v = e.embed(&[GUITAR, "", "x", &"word ".repeat(400)]).unwrap();
    for x in &v {
        assert_eq!(x.len(), DIMENSION);
        assert!((cosine(x, x) - 1.0).abs() < 1e-6);
    }
    assert!(e.embed(&[]).unwrap().is_empty());
}

fn example(name: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../examples/attribution");
    std::fs::read(root.join(name)).unwrap()
}

fn texts_of(jsonl: &[u8]) -> Vec<String> {
    std::str::from_utf8(jsonl)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["text"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn batch_equals_single_and_is_fast() {
    let Some(e) = embedder() else { return };
    let mut texts = texts_of(&example("train.jsonl"));
    texts.extend(texts_of(&example("validation.jsonl")));
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let start = Instant::now();
    let batched = e.embed(&refs).unwrap();
    eprintln!(
        "embedded {} sentences in {:.2?} (batches of 32)",
        refs.len(),
        start.elapsed()
    );
    // Every 7th sentence alone: different batch, different padding, same vector.
    for (i, t) in refs.iter().enumerate().step_by(7) {
        let single = e.embed(&[t]).unwrap();
        let max = batched[i]
            .iter()
            .zip(&single[0])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(max < 1e-5, "sentence {i}: max difference {max}");
    }
}

#[test]
fn example_evidence_ranks_contributors() {
    let Some(e) = embedder() else { return };
    let start = Instant::now();
    let ev = compute(e, &example("train.jsonl"), &example("validation.jsonl"), 5).unwrap();
    eprintln!(
        "evidence in {:.2?}:\n{}",
        start.elapsed(),
        String::from_utf8_lossy(&ev.to_file_bytes())
    );
    let w = ev.weights();
    assert_eq!(w.values().sum::<u64>(), WEIGHT_TOTAL);
    assert!(w["alice"] > w["carol"] && w["bob"] > w["carol"], "{w:?}");
    assert!(ev.utility_full >= 0.8, "utility {}", ev.utility_full);
    assert_eq!(ev.model.safetensors_blake3, hex(e.safetensors_blake3()));
    let back = Evidence::from_file_bytes(&ev.to_file_bytes()).unwrap();
    assert!(back.agrees_with(&ev, 0));
}

fn hex(b: [u8; 32]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn numpy_available() -> bool {
    Command::new("python3")
        .args(["-c", "import numpy"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn matches_numpy_reference() {
    let Some(e) = embedder() else { return };
    if !numpy_available() {
        // `.ci/run` installs numpy, so under CI its absence is a broken setup.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but python3 with numpy is missing"
        );
        eprintln!("SKIP: python3 with numpy not found; numpy reference not compared");
        return;
    }
    let sentences = [
        GUITAR,
        PARAPHRASE,
        UNRELATED,
        "Café owners in Zürich don't open before 8:30, do they?",
        "The Andromeda galaxy is on a collision course with the Milky Way.",
        "x",
    ];
    let mut child = Command::new("python3")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("reference/minilm_ref.py"))
        .arg(model_dir().unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sentences.join("\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let reference: Vec<Vec<f64>> = serde_json::from_slice(&out.stdout).unwrap();
    let ours = e.embed(&sentences).unwrap();
    assert_eq!(reference.len(), sentences.len());
    for (i, (r, o)) in reference.iter().zip(&ours).enumerate() {
        let max = r
            .iter()
            .zip(o)
            .map(|(a, b)| (a - f64::from(*b)).abs())
            .fold(0.0f64, f64::max);
        assert!(max < 1e-4, "sentence {i}: max coordinate difference {max}");
    }
    let para: f64 = reference[0]
        .iter()
        .zip(&reference[1])
        .map(|(a, b)| a * b)
        .sum();
    assert!(
        (para - 0.7188).abs() < 1e-3,
        "numpy paraphrase cosine {para}"
    );
}
