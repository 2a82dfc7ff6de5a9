//! `synod`: run a devnet, manage keys, send transactions, query (with proofs), replay, bench.
#![allow(unreachable_pub, missing_docs)] // a binary: `pub` marks what its modules share, not a public API

mod bench;
mod chain;
mod dev;
mod keys;
mod keystore;
mod output;
mod replay;
mod subnets;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Synod: an AI-native Layer 1.
#[derive(Parser, Debug)]
#[command(name = "synod", version, about, propagate_version = true)]
pub struct Cli {
    /// JSON-RPC endpoint of the node to talk to.
    #[arg(
        long,
        global = true,
        env = "SYNOD_RPC",
        default_value = "http://127.0.0.1:9944"
    )]
    pub rpc: String,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Keystore directory.
    #[arg(long, global = true, env = "SYNOD_KEYSTORE")]
    pub keystore: Option<PathBuf>,
    /// Resolve the well-known development names (alice, bob, ...) to their public dev keys.
    #[arg(long, global = true)]
    pub dev: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a single-validator development chain.
    Dev(dev::DevArgs),
    /// Manage keys in the keystore.
    #[command(subcommand)]
    Key(keys::KeyCommand),
    /// Show an account's balance and nonce.
    Balance(chain::BalanceArgs),
    /// Send SYN to another account.
    Transfer(chain::TransferArgs),
    /// Transactions.
    #[command(subcommand)]
    Tx(chain::TxCommand),
    /// Show a block by height, hash, `latest` or `finalized`.
    Block(chain::BlockArgs),
    /// Query state, optionally with a proof checked against a finalized header.
    #[command(subcommand)]
    Query(chain::QueryCommand),
    /// Chain facts.
    #[command(subcommand)]
    Chain(chain::ChainCommand),
    /// Bind an operational hotkey to a coldkey.
    #[command(subcommand)]
    Hotkey(chain::HotkeyCommand),
    /// Re-execute every stored block from genesis and check each state root.
    Replay(replay::ReplayArgs),
    /// Measure signature verification, in-process execution, and end-to-end throughput.
    Bench(bench::BenchArgs),
    /// Subnets: list, show, create, start, hyperparameters, register, burn cost, metagraph.
    #[command(subcommand)]
    Subnet(subnets::SubnetCommand),
    /// Stake: add, remove, move, transfer, swap, list, set-take.
    #[command(subcommand)]
    Stake(subnets::StakeCommand),
    /// Weights: set directly, or commit and reveal.
    #[command(subcommand)]
    Weights(subnets::WeightsCommand),
    /// Axon endpoints.
    #[command(subcommand)]
    Axon(subnets::AxonCommand),
    /// The root network (netuid 0): stake, unstake, list.
    #[command(subcommand)]
    Root(subnets::RootCommand),
    /// Yuma Consensus tools.
    #[command(subcommand)]
    Yuma(subnets::YumaCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let result = match &cli.command {
        Command::Dev(args) => dev::run(&cli, args),
        Command::Key(cmd) => keys::run(&cli, cmd),
        Command::Replay(args) => replay::run(&cli, args),
        Command::Bench(args) => bench::run(&cli, args),
        Command::Yuma(cmd) => subnets::yuma(&cli, cmd),
        _ => chain::run(&cli),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            output::error(json, &e);
            std::process::ExitCode::FAILURE
        }
    }
}
