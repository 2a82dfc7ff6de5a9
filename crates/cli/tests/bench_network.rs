//! `synod bench network` end to end with tiny numbers: it starts both networks, offers the
//! load, sees every accepted transfer finalized, and reports per-step figures for each.

mod common;

use common::synod;

#[test]
fn bench_network_smoke() {
    let out = synod()
        .args([
            "--json",
            "bench",
            "network",
            "--validators",
            "2",
            "--rates",
            "20,40",
            "--step-secs",
            "2",
            "--accounts",
            "20",
        ])
        .output()
        .expect("bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    for (key, validators) in [("network", 2), ("single_validator", 1)] {
        let run = &v[key];
        assert_eq!(run["validators"], validators, "{key}");
        let steps = run["steps"].as_array().expect("steps");
        assert!(!steps.is_empty(), "{key}: no steps");
        for s in steps {
            let offered = s["offered_per_s"].as_u64().expect("rate");
            assert_eq!(s["submitted"].as_u64(), Some(offered * 2), "{key}: {s}");
            assert_eq!(s["accepted"], s["submitted"], "{key}: {s}");
            assert_eq!(s["finalized"], s["accepted"], "{key}: {s}");
            let p50 = s["p50_ms"].as_f64().expect("p50");
            let p99 = s["p99_ms"].as_f64().expect("p99");
            assert!(p50 > 0.0 && p50 <= p99, "{key}: {s}");
            assert!(
                s["finalized_per_s"].as_f64().expect("tps") > 0.0,
                "{key}: {s}"
            );
        }
        assert!(run["saturation_per_s"].as_f64().expect("saturation") > 0.0);
    }
}
