//! Runs one bench case repeatedly, for profilers:
//! `cargo run --release -p synod-yuma --example profile_epoch -- 4096 256 dense 5`

#![allow(missing_docs)]

use synod_yuma::synth::{GraphSpec, graph};
use synod_yuma::{Hyperparameters, run_epoch};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [n, v, shape, reps] = args.as_slice() else {
        return Err("usage: profile_epoch <n> <validators> <sparse|dense> <repeats>".into());
    };
    let spec = GraphSpec {
        n: n.parse()?,
        validators: v.parse()?,
        weights_per_validator: (shape == "sparse").then_some(32),
        hyperparameters: Hyperparameters::default(),
    };
    let input = graph(&spec, 42);
    let reps: u32 = reps.parse()?;
    let t = std::time::Instant::now();
    for _ in 0..reps {
        std::hint::black_box(run_epoch(std::hint::black_box(&input))?);
    }
    println!("{:?} per epoch", t.elapsed() / reps);
    Ok(())
}
