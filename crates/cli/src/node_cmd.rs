//! `synod node --config FILE` (run a validator or full node) and `synod node keygen`.

use crate::Cli;
use crate::output::emit;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use synod_node::RunningNode;
use synod_node::config::{NodeRole, load_config};
use synod_node::keyfile::generate_key_file;

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NodeArgs {
    /// Node configuration (TOML): data dir, genesis, key file, p2p, RPC, limits, log filter.
    #[arg(long)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<NodeCommand>,
}

#[derive(Subcommand, Debug)]
pub enum NodeCommand {
    /// Generate a node key file (JSON, mode 0600; never overwrites) and print its account.
    Keygen {
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

pub fn run(cli: &Cli, args: &NodeArgs) -> anyhow::Result<()> {
    match (&args.command, &args.config) {
        (Some(NodeCommand::Keygen { out }), _) => {
            let key = generate_key_file(out)?;
            emit(
                cli.json,
                &serde_json::json!({"account": key.account(), "file": out}),
                || {
                    format!(
                        "wrote {} (mode 0600)\naccount {}",
                        out.display(),
                        key.account()
                    )
                },
            )
        }
        (None, Some(path)) => run_node(cli, path),
        (None, None) => {
            bail!("give --config FILE (see `synod node --help`) or `synod node keygen`")
        }
    }
}

fn run_node(cli: &Cli, path: &std::path::Path) -> anyhow::Result<()> {
    let loaded = load_config(path)?;
    crate::dev::init_logging(&loaded.log);
    let account = loaded.node.key.account();
    let role = match loaded.role {
        NodeRole::Validator => "validator",
        NodeRole::FullNode => "full node",
    };
    let genesis = loaded.node.genesis.clone();
    let data_dir = loaded.node.data_dir.clone();
    let node = RunningNode::start(loaded.node)
        .with_context(|| format!("starting the node from {}", path.display()))?;
    let (rpc, metrics) = (node.rpc_addr, node.metrics_addr);
    emit(
        cli.json,
        &serde_json::json!({
            "chain_id": genesis.chain_id, "genesis_hash": genesis.hash(), "role": role,
            "account": account, "rpc": format!("http://{rpc}"), "ws": format!("ws://{rpc}"),
            "metrics": metrics.map(|m| format!("http://{m}/metrics")), "data_dir": data_dir,
        }),
        || {
            format!(
                "Synod node '{}' (genesis {})\n  {role:<10} {account}\n  JSON-RPC   http://{rpc}{}\n  data dir   {}",
                genesis.chain_id,
                genesis.hash(),
                metrics
                    .map(|m| format!("\n  metrics    http://{m}/metrics"))
                    .unwrap_or_default(),
                data_dir.display()
            )
        },
    )?;
    use std::io::Write;
    let _ = std::io::stdout().flush();
    node.run_until(shutdown_signal())
        .context("node stopped with an error")?;
    tracing::info!("node stopped cleanly");
    Ok(())
}
