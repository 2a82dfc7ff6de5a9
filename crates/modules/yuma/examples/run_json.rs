//! Reads one `EpochInput` JSON object on stdin, prints the `EpochOutput` JSON.
//!
//! `cargo run -p synod-yuma --example run_json < input.json`

#![allow(missing_docs)]

use std::io::Read;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut buf = String::new();
    std::io::stdin().read_to_string(&mut buf)?;
    let input: synod_yuma::EpochInput = serde_json::from_str(&buf)?;
    let output = synod_yuma::run_epoch(&input)?;
    println!("{}", serde_json::to_string(&output)?);
    Ok(())
}
