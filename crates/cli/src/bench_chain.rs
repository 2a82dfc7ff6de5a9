//! The in-process chain of `synod bench`'s parts (s) and (d): blocks built as a proposer
//! builds them (signature checks, execution, state root) and committed to an fsynced redb
//! store in a temporary directory, which is removed when the chain is dropped.

use crate::dev::dev_validator;
use anyhow::bail;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use synod_execution::Executor;
use synod_execution::executor::BlockLimits;
use synod_primitives::{Header, Keypair};
use synod_runtime::{Call, Genesis, SignedTransaction, Transaction};
use synod_storage::{BlockCommit, StateView, Store};

/// A chain at its genesis block, in `$TMPDIR/synod-bench-<tag>-<pid>`.
pub struct BenchChain {
    exec: Executor,
    /// The committed store (read views from its snapshots).
    pub store: Store,
    parent: Header,
    genesis: Genesis,
    dir: PathBuf,
}

impl BenchChain {
    /// Starts a chain from `genesis`; `tag` names its directory.
    pub fn open(genesis: Genesis, tag: &str) -> anyhow::Result<Self> {
        let exec = Executor::new(genesis.clone());
        let dir = std::env::temp_dir().join(format!("synod-bench-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let store = Store::open(&dir.join("chain.redb"))?;
        let g = exec.genesis_block(&StateView::new(
            Arc::new(Store::in_memory()?.snapshot()?),
            vec![],
        ))?;
        store.commit_block(BlockCommit {
            block: &g.block,
            pending: &g.pending,
            receipts: &g.receipts,
            finalization: &[],
        })?;
        Ok(BenchChain {
            parent: g.block.header.clone(),
            exec,
            store,
            genesis,
            dir,
        })
    }

    /// Builds and commits one block of `txs`; every one must be included and succeed.
    /// Returns the time from the start of building to the end of the commit.
    pub fn block(&mut self, txs: Vec<SignedTransaction>) -> anyhow::Result<Duration> {
        let view = StateView::new(Arc::new(self.store.snapshot()?), vec![]);
        let n = txs.len();
        let started = Instant::now();
        let built = self.exec.build_block(
            &view,
            &self.parent,
            dev_validator().account(),
            self.parent.timestamp_ms + 250,
            txs.into_iter().map(Arc::new),
            BlockLimits {
                max_txs: n.max(1),
                ..BlockLimits::default()
            },
        )?;
        if !built.rejected.is_empty() {
            bail!(
                "{} transactions rejected, the first: {:?}",
                built.rejected.len(),
                built.rejected.first()
            );
        }
        let b = built.executed;
        if let Some(r) = b
            .receipts
            .iter()
            .find(|r| !matches!(r.outcome, synod_primitives::TxOutcome::Success))
        {
            bail!("a transaction failed: {:?}", r.outcome);
        }
        self.store.commit_block(BlockCommit {
            block: &b.block,
            pending: &b.pending,
            receipts: &b.receipts,
            finalization: &[],
        })?;
        self.parent = b.block.header.clone();
        Ok(started.elapsed())
    }

    /// Signs `call` by `key` with `nonce` and a fee above every call's minimum (the same for
    /// every workload, so runs compare).
    pub fn sign(&self, key: &Keypair, nonce: u64, call: Call) -> SignedTransaction {
        Transaction {
            chain_id: self.genesis.chain_id.clone(),
            sender: key.account(),
            nonce,
            fee: 100_000_000,
            call,
        }
        .sign(key, &self.genesis.hash())
    }

    /// The chain id.
    pub fn chain_id(&self) -> &str {
        &self.genesis.chain_id
    }
}

impl Drop for BenchChain {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
