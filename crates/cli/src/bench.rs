//! `synod bench` (filled in below).
use crate::Cli;
use clap::Args;

#[derive(Args, Debug)]
pub struct BenchArgs {}

pub fn run(_cli: &Cli, _args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
