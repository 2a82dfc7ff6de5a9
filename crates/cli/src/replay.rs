//! `synod replay`: re-execute every stored block from genesis and check each state root.

use crate::Cli;
use crate::output::emit;
use anyhow::{Context, bail};
use clap::Args;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use synod_runtime::Genesis;
use synod_storage::{BlockCommit, StateView, Store};

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Data directory of a stopped node (default `~/.synod/dev`).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Genesis file (default: the `genesis.json` that `synod dev` left in the data directory,
    /// else the dev genesis).
    #[arg(long)]
    pub genesis: Option<PathBuf>,
}

pub fn run(cli: &Cli, args: &ReplayArgs) -> anyhow::Result<()> {
    let data_dir = args.data_dir.clone().unwrap_or_else(|| {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".synod")
            .join("dev")
    });
    let recorded = data_dir.join(crate::dev::DEV_GENESIS_FILE);
    let genesis_path = args
        .genesis
        .clone()
        .or_else(|| recorded.exists().then_some(recorded));
    let genesis = match &genesis_path {
        Some(p) => serde_json::from_slice::<Genesis>(&std::fs::read(p)?)
            .with_context(|| format!("reading genesis {}", p.display()))?,
        None => Genesis::dev(vec![crate::dev::dev_validator().account()]),
    };
    let path = data_dir.join("chain.redb");
    if !path.exists() {
        bail!("no chain database at {}", path.display());
    }
    let stored = Store::open(&path).with_context(|| {
        format!(
            "opening {} (stop the node first: the database is locked while it runs)",
            path.display()
        )
    })?;
    let stored = stored.snapshot()?;
    let head = stored.height().context("the database has no blocks")?;
    let executor = synod_node::evidence::chain_executor(genesis);
    let replica = Store::in_memory()?;
    let started = Instant::now();
    let view = StateView::new(Arc::new(replica.snapshot()?), vec![]);
    let genesis_block = executor.genesis_block(&view)?;
    let stored_genesis = stored
        .block::<synod_runtime::Call>(0)?
        .context("block 0 missing")?;
    if stored_genesis.hash() != genesis_block.block.hash() {
        bail!(
            "stored genesis {} differs from this genesis {}",
            stored_genesis.hash(),
            genesis_block.block.hash()
        );
    }
    replica.commit_block(BlockCommit {
        block: &genesis_block.block,
        pending: &genesis_block.pending,
        receipts: &genesis_block.receipts,
        finalization: &[],
    })?;
    let mut parent = genesis_block.block.header.clone();
    let mut txs = 0usize;
    for h in 1..=head {
        let block = stored
            .block(h)?
            .with_context(|| format!("block {h} missing"))?;
        let view = StateView::new(Arc::new(replica.snapshot()?), vec![]);
        let executed = executor
            .execute_block(&view, &parent, &block, true)
            .with_context(|| format!("block {h} does not re-execute to its recorded header"))?;
        let receipts = stored.receipts(h)?;
        if receipts != *executed.receipts {
            bail!("block {h}: re-executed receipts differ from the stored ones");
        }
        replica.commit_block(BlockCommit {
            block: &executed.block,
            pending: &executed.pending,
            receipts: &executed.receipts,
            finalization: &[],
        })?;
        txs += block.txs.len();
        parent = block.header;
    }
    let secs = started.elapsed().as_secs_f64();
    let out = serde_json::json!({
        "blocks": head, "transactions": txs, "state_root": parent.state_root,
        "ok": true, "seconds": secs,
    });
    emit(cli.json, &out, || {
        format!(
            "replayed blocks 1..={head} ({txs} transactions) in {secs:.2} s: every state root matches\nfinal state root {}",
            parent.state_root
        )
    })
}
