//! Prints the exact input of one `benches/epoch.rs` case as JSON, so the numpy
//! reference can be timed on identical data:
//!
//! `cargo run --release -p synod-yuma --example bench_input -- 4096 256 sparse > in.json`

#![allow(missing_docs)]

use synod_yuma::Hyperparameters;
use synod_yuma::synth::{GraphSpec, graph};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [n, validators, shape] = args.as_slice() else {
        return Err("usage: bench_input <n> <validators> <sparse|dense>".into());
    };
    let spec = GraphSpec {
        n: n.parse()?,
        validators: validators.parse()?,
        weights_per_validator: match shape.as_str() {
            "sparse" => Some(32),
            "dense" => None,
            other => return Err(format!("unknown shape {other}").into()),
        },
        hyperparameters: Hyperparameters::default(),
    };
    println!("{}", serde_json::to_string(&graph(&spec, 42))?);
    Ok(())
}
