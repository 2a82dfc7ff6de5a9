//! `synod genesis new|show|hash`: genesis files for multi-validator networks.

use crate::Cli;
use crate::output::emit;
use anyhow::{Context, bail};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use synod_node::genesis::{GenesisSpec, load_genesis};
use synod_primitives::token::DisplayAmount;
use synod_runtime::Genesis;

#[derive(Subcommand, Debug)]
pub enum GenesisCommand {
    /// Write a genesis file from a spec (TOML, or JSON when the name ends in .json) and print
    /// its hash.
    New {
        /// The spec: chain_id, timestamp_ms, [[validators]] account + stake,
        /// [[accounts]] account + balance, optional [fees] per_byte + per_weight.
        #[arg(long)]
        spec: PathBuf,
        /// Where to write the genesis JSON.
        #[arg(long)]
        out: PathBuf,
        /// Replace an existing output file.
        #[arg(long)]
        force: bool,
    },
    /// Check a genesis file and print its summary and hash.
    Show {
        /// Genesis JSON file.
        file: PathBuf,
    },
    /// Check a genesis file and print its hash.
    Hash {
        /// Genesis JSON file.
        file: PathBuf,
    },
}

/// Writes `genesis` as pretty JSON, refusing to replace `out` unless `force`.
pub fn write_genesis(out: &Path, genesis: &Genesis, force: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let mut text = serde_json::to_string_pretty(genesis)?;
    text.push('\n');
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut f = match options.open(out) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!(
                "{} already exists (use --force to replace it)",
                out.display()
            )
        }
        r => r.with_context(|| format!("writing {}", out.display()))?,
    };
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", out.display()))
}

fn summary(g: &Genesis) -> serde_json::Value {
    let supply: u128 = g
        .accounts
        .iter()
        .map(|a| u128::from(a.balance))
        .chain(g.validators.iter().map(|v| u128::from(v.stake)))
        .sum();
    serde_json::json!({
        "hash": g.hash(), "chain_id": g.chain_id, "timestamp_ms": g.timestamp_ms,
        "validators": g.validators, "accounts": g.accounts.len(), "fees": g.fees,
        "total_balances_and_stake": supply.to_string(),
    })
}

pub fn run(cli: &Cli, cmd: &GenesisCommand) -> anyhow::Result<()> {
    match cmd {
        GenesisCommand::New { spec, out, force } => {
            let genesis = GenesisSpec::load(spec)?.build()?;
            write_genesis(out, &genesis, *force)?;
            emit(
                cli.json,
                &serde_json::json!({"hash": genesis.hash(), "file": out, "chain_id": genesis.chain_id,
                    "validators": genesis.validators.len(), "accounts": genesis.accounts.len()}),
                || {
                    format!(
                        "wrote {} (chain '{}', {} validators, {} funded accounts)\ngenesis hash {}",
                        out.display(),
                        genesis.chain_id,
                        genesis.validators.len(),
                        genesis.accounts.len(),
                        genesis.hash()
                    )
                },
            )
        }
        GenesisCommand::Show { file } => {
            let g = load_genesis(file)?;
            emit(cli.json, &summary(&g), || {
                let mut s = format!(
                    "chain '{}'  genesis {}\ntimestamp_ms {}\nfees: {} per byte, {} per weight\nvalidators:",
                    g.chain_id,
                    g.hash(),
                    g.timestamp_ms,
                    g.fees.per_byte,
                    g.fees.per_weight
                );
                for v in &g.validators {
                    s.push_str(&format!(
                        "\n  {}  stake {}",
                        v.account,
                        DisplayAmount(v.stake)
                    ));
                }
                s.push_str(&format!("\nfunded accounts: {}", g.accounts.len()));
                for a in g.accounts.iter().take(20) {
                    s.push_str(&format!("\n  {}  {}", a.account, DisplayAmount(a.balance)));
                }
                if g.accounts.len() > 20 {
                    s.push_str(&format!("\n  ... and {} more", g.accounts.len() - 20));
                }
                s
            })
        }
        GenesisCommand::Hash { file } => {
            let g = load_genesis(file)?;
            emit(cli.json, &serde_json::json!({"hash": g.hash()}), || {
                g.hash().to_string()
            })
        }
    }
}
