//! A toy application for engine tests: a counter state where each block commits
//! `state_root = H(parent.state_root, height)` and carries no transactions.

#![allow(dead_code, unreachable_pub, missing_docs)]

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Instant, SystemTime, UNIX_EPOCH},
};
use synod_consensus::Application;
use synod_primitives::{AccountId, Hash, Header};
use synod_runtime::Block;

/// The toy state transition.
pub fn next_root(parent_root: &Hash, height: u64) -> Hash {
    let mut buf = [0u8; 40];
    buf[..32].copy_from_slice(&parent_root.0);
    buf[32..].copy_from_slice(&height.to_le_bytes());
    Hash::tagged("toy/counter", &buf)
}

/// The shared genesis block of the toy chain.
pub fn genesis() -> Block {
    Block {
        header: Header {
            height: 0,
            parent: Hash::ZERO,
            timestamp_ms: 0,
            proposer: AccountId::default(),
            tx_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root: Hash::digest(b"toy genesis state"),
        },
        txs: vec![],
    }
}

#[derive(Default)]
pub struct State {
    /// Executed (verified or built) blocks: hash -> (height, state root).
    pub executed: HashMap<Hash, (u64, Hash)>,
    /// Committed chain, index = height (index 0 = genesis).
    pub committed: Vec<Block>,
    /// Heights of every `finalized` call, in call order (duplicates included).
    pub deliveries: Vec<u64>,
    /// Finalization certificates by committed height.
    pub certificates: HashMap<u64, Option<Vec<u8>>>,
    /// Wall-clock time a block was proposed (by hash) and committed (by height).
    pub proposed_at: HashMap<Hash, Instant>,
    pub committed_at: Vec<(u64, Instant)>,
    /// Number of blocks `verify` rejected.
    pub rejected: usize,
    /// Violations of the delivery contract seen (gaps, forks).
    pub violations: Vec<String>,
    /// Gossip payloads received, in arrival order, with their sender.
    pub gossip: Vec<(AccountId, Vec<u8>)>,
    /// Equivocation evidence handed over by the engine, in arrival order.
    pub faults: Vec<Vec<u8>>,
}

/// The toy application. Clones share state (so a test can keep it across an engine restart).
#[derive(Clone)]
pub struct ToyApp {
    pub me: AccountId,
    pub state: Arc<Mutex<State>>,
    /// If set, proposals carry a wrong state root (a byzantine proposer).
    pub tamper: bool,
    /// Use the wall clock for timestamps (else parent + 1 ms, deterministic).
    pub wall_clock: bool,
    /// If set, committing this height fails (a broken disk).
    pub fail_at: Option<u64>,
}

impl ToyApp {
    pub fn new(me: AccountId) -> Self {
        let g = genesis();
        let mut state = State::default();
        state.executed.insert(g.hash(), (0, g.header.state_root));
        state.committed.push(g);
        Self {
            me,
            state: Arc::new(Mutex::new(state)),
            tamper: false,
            wall_clock: false,
            fail_at: None,
        }
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn committed_height(&self) -> u64 {
        (self.lock().committed.len() - 1) as u64
    }

    /// Checks `block` against its executed parent and records it. Returns false if invalid.
    fn execute(state: &mut State, block: &Block) -> bool {
        let hash = block.hash();
        if state.executed.contains_key(&hash) {
            return true;
        }
        let Some(&(parent_height, parent_root)) = state.executed.get(&block.header.parent) else {
            return false;
        };
        let valid = block.header.height == parent_height + 1
            && block.txs.is_empty()
            && block.header.tx_root == Block::compute_tx_root(&block.txs)
            && block.header.state_root == next_root(&parent_root, block.header.height);
        if valid {
            state
                .executed
                .insert(hash, (block.header.height, block.header.state_root));
        }
        valid
    }

    /// Executes the unknown part of `ancestry`; false if any block is invalid.
    fn execute_ancestry(state: &mut State, ancestry: &[Arc<Block>]) -> bool {
        ancestry.iter().all(|b| Self::execute(state, b))
    }

    /// Builds a (possibly tampered) child of `parent`.
    pub fn child_of(&self, parent: &Block, parent_root: &Hash) -> Block {
        let height = parent.header.height + 1;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let timestamp_ms = if self.wall_clock {
            now.max(parent.header.timestamp_ms + 1)
        } else {
            parent.header.timestamp_ms + 1
        };
        let mut state_root = next_root(parent_root, height);
        if self.tamper {
            state_root = Hash::digest(&state_root.0);
        }
        Block {
            header: Header {
                height,
                parent: parent.hash(),
                timestamp_ms,
                proposer: self.me,
                tx_root: Block::compute_tx_root(&[]),
                receipts_root: Hash::ZERO,
                state_root,
            },
            txs: vec![],
        }
    }
}

impl Application for ToyApp {
    fn genesis(&self) -> Block {
        genesis()
    }

    fn propose(&self, ancestry: &[Arc<Block>]) -> Option<Block> {
        let mut state = self.lock();
        if !Self::execute_ancestry(&mut state, ancestry) {
            return None;
        }
        let parent = ancestry.last()?;
        let &(_, parent_root) = state.executed.get(&parent.hash())?;
        let block = self.child_of(parent, &parent_root);
        if !self.tamper {
            Self::execute(&mut state, &block);
        }
        state.proposed_at.insert(block.hash(), Instant::now());
        Some(block)
    }

    fn verify(&self, ancestry: &[Arc<Block>], block: &Block) -> bool {
        let mut state = self.lock();
        let ok = Self::execute_ancestry(&mut state, ancestry) && Self::execute(&mut state, block);
        if !ok {
            state.rejected += 1;
        }
        ok
    }

    fn is_known(&self, hash: &Hash) -> bool {
        self.lock().executed.contains_key(hash)
    }

    fn finalized(&self, block: Arc<Block>, finalization: Option<Vec<u8>>) -> Result<(), String> {
        let mut state = self.lock();
        let height = block.header.height;
        state.deliveries.push(height);
        let committed = (state.committed.len() - 1) as u64;
        if height <= committed {
            // Duplicate delivery after a restart: must be the block we committed.
            if state.committed[height as usize].hash() != block.hash() {
                let msg = format!("conflicting finalized block at height {height}");
                state.violations.push(msg.clone());
                return Err(msg);
            }
            return Ok(());
        }
        if height != committed + 1 {
            let msg = format!("gap: got height {height} after {committed}");
            state.violations.push(msg.clone());
            return Err(msg);
        }
        if block.header.parent != state.committed[committed as usize].hash() {
            let msg = format!("height {height} does not extend the committed chain");
            state.violations.push(msg.clone());
            return Err(msg);
        }
        if self.fail_at == Some(height) {
            return Err(format!("disk full at height {height}"));
        }
        if !Self::execute(&mut state, &block) {
            let msg = format!("finalized block at height {height} is invalid");
            state.violations.push(msg.clone());
            return Err(msg);
        }
        state.committed.push((*block).clone());
        state.certificates.insert(height, finalization);
        state.committed_at.push((height, Instant::now()));
        Ok(())
    }

    fn gossip_received(&self, from: AccountId, payload: Vec<u8>) {
        self.lock().gossip.push((from, payload));
    }

    fn fault_observed(&self, evidence: Vec<u8>) {
        self.lock().faults.push(evidence);
    }
}
