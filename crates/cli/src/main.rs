//! `synod`: run a devnet, a node or a localnet, manage keys, send transactions, query (with
//! proofs), replay, bench, and one command group per module (subnets, validators, tokens) plus
//! blind computation.
//!
//! It must not hold chain logic: it builds calls from the modules' types, signs them, and talks
//! to a node over JSON-RPC (or starts one); anything a user can do here is a transaction or a
//! query any other client can make too.
#![allow(unreachable_pub, missing_docs)] // a binary: `pub` marks what its modules share, not a public API

mod agents;
mod assets;
mod axon;
mod bench;
mod bench_chain;
mod bench_data;
mod bench_network;
mod bench_session;
mod blind;
mod chain;
mod config;
mod data;
mod dev;
mod genesis;
mod keys;
mod keystore;
mod localnet;
mod node_cmd;
mod output;
mod pay;
mod progress;
mod replay;
mod subnets;
mod tokens;
mod validators;
mod weights;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Synod: an AI-native Layer 1.
#[derive(Parser, Debug)]
#[command(name = "synod", version, about, propagate_version = true)]
pub struct Cli {
    /// JSON-RPC endpoint of the node to talk to.
    /// [default: `synod config` rpc, else http://127.0.0.1:9944]
    #[arg(
        long,
        global = true,
        env = "SYNOD_RPC",
        default_value = "",
        hide_default_value = true
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
    /// Run a validator from a config file, or generate a node key.
    Node(node_cmd::NodeArgs),
    /// Genesis files: create from a spec, show, hash.
    #[command(subcommand)]
    Genesis(genesis::GenesisCommand),
    /// Run N validators as separate processes on loopback.
    Localnet(localnet::LocalnetArgs),
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
    /// Run one blind-computation committee member.
    BlindNode(blind::BlindNodeArgs),
    /// Blind computation: localnet, secrets, programs, jobs.
    #[command(subcommand)]
    Blind(blind::BlindCommand),
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
    /// Validators: bond, unbond, withdraw, report-equivocation, list, show.
    #[command(subcommand)]
    Validator(validators::ValidatorCommand),
    /// Tokens: create, info, list, balance, transfer, approve, burn, emit, mint, vest, claim, admin.
    #[command(subcommand)]
    Token(tokens::TokenCommand),
    /// AI assets: register, show, list, transfer, version, link, lineage, licence, contribute,
    /// vault, claimable, claim, pay.
    #[command(subcommand)]
    Asset(assets::AssetCommand),
    /// Attribution: compute evidence, commit, challenge, verify, vote, show, worker bonds.
    #[command(subcommand)]
    Attribution(assets::AttributionCommand),
    /// Agents: register, list, show (by key or did:synod), revoke, intent, revoke-intent.
    #[command(subcommand)]
    Agent(agents::AgentCommand),
    /// Sessions: open, list, show, revoke, pay (as the user, within the session's rules).
    #[command(subcommand)]
    Session(agents::SessionCommand),
    /// Escrowed deals: propose, sign, fund, deliver, accept, reject, dispute, resolve, cancel,
    /// show.
    #[command(subcommand)]
    Deal(agents::DealCommand),
    /// Payment channels: open, pay and receive (off chain), close, dispute, settle, show.
    #[command(subcommand)]
    Channel(agents::ChannelCommand),
    /// Defaults for the global options: rpc, keystore, state_dir, dev (set, unset, show, path).
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Paid services (HTTP 402): register, update, show, list, serve-example.
    #[command(subcommand)]
    Service(pay::ServiceCommand),
    /// Pay-per-call: fetch a paid URL (pays on 402 and retries), bench paid against free.
    #[command(subcommand)]
    Pay(pay::PayCommand),
    /// Data pools: data keys, encrypted files (add, get, grant, list, show), pools, contribute,
    /// jobs, worker bonds.
    #[command(subcommand)]
    Data(data::DataCommand),
    /// Run a data pool's scoring worker: score the jobs this key is drawn for.
    DataWorker(data::WorkerArgs),
}

fn main() -> std::process::ExitCode {
    let mut cli = Cli::parse();
    let json = cli.json;
    let rpc_given = !cli.rpc.is_empty();
    if let Err(e) = config::apply(&mut cli, rpc_given) {
        output::error(json, &e);
        return std::process::ExitCode::FAILURE;
    }
    let result = match &cli.command {
        Command::Config(cmd) => config::run(&cli, cmd),
        Command::Dev(args) => dev::run(&cli, args),
        Command::Node(args) => node_cmd::run(&cli, args),
        Command::Genesis(cmd) => genesis::run(&cli, cmd),
        Command::Localnet(args) => localnet::run(&cli, args),
        Command::Key(cmd) => keys::run(&cli, cmd),
        Command::Replay(args) => replay::run(&cli, args),
        Command::Bench(args) => bench::run(&cli, args),
        Command::BlindNode(args) => blind::run_node(args),
        Command::Blind(cmd) => blind::run(&cli, cmd),
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

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_valid() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    #[test]
    fn every_hyperparameter_name_parses() {
        for (name, value) in [
            ("tempo", "10"),
            ("max_allowed_uids", "64"),
            ("max-allowed-validators", "8"),
            ("immunity_period", "100"),
            ("min_allowed_weights", "1"),
            ("max_weights_limit", "65535"),
            ("weights_rate_limit", "0"),
            ("weights_version_key", "3"),
            ("kappa", "32767"),
            ("bonds_moving_average", "900000"),
            ("bonds_penalty", "65535"),
            ("yuma3_enabled", "true"),
            ("liquid_alpha_enabled", "off"),
            ("alpha_values", "45875,58982"),
            ("alpha_sigmoid_steepness", "1000"),
            ("commit_reveal_enabled", "yes"),
            ("reveal_period_epochs", "2"),
            ("activity_cutoff", "5000"),
            ("min_burn", "0.0005"),
            ("max_burn", "100"),
            ("registration_allowed", "1"),
            ("serving_rate_limit", "50"),
            ("min_non_immune_uids", "10"),
        ] {
            crate::subnets::parse_hyperparameter(name, value)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        assert!(crate::subnets::parse_hyperparameter("nope", "1").is_err());
        assert!(crate::subnets::parse_hyperparameter("tempo", "x").is_err());
    }
}
