//! `synod bench --parts s`: session-signed transactions beside plain ones, in process.
//!
//! Users (the bench accounts of the genesis) each register an agent, sign an intent allowing
//! transfers, and the agent opens a session with a fresh key (three setup blocks). Then the
//! same number of transfers is executed twice, each run in blocks built as a proposer builds
//! them (signature checks, execution, state root) and committed to an fsynced store: once
//! signed by the users themselves, once signed by their session keys as `Execute(transfer)`
//! (the session's caps checked and recorded, the transfer run as the user).

use crate::bench::BenchArgs;
use crate::dev::{bench_key, dev_validator};
use anyhow::bail;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};
use synod_agents::{AgentCall, agent_binding_message, call_kind};
use synod_agents_rules::{Asset, Intent, SessionScope};
use synod_execution::Executor;
use synod_execution::executor::BlockLimits;
use synod_primitives::{Header, Keypair};
use synod_runtime::{BankCall, Call, Genesis, SignedTransaction, Transaction};
use synod_storage::{BlockCommit, StateView, Store};

/// Transfers per second, build and commit, for plain and session-signed transfers.
pub struct SessionResult {
    /// Users (and sessions).
    pub users: usize,
    /// Transfers in each run.
    pub transfers: usize,
    /// Plain transfers per second (build + commit).
    pub plain: f64,
    /// Session-signed transfers per second (build + commit).
    pub session: f64,
}

struct Chain {
    exec: Executor,
    store: Store,
    parent: Header,
    genesis: Genesis,
}

impl Chain {
    fn block(&mut self, txs: Vec<SignedTransaction>) -> anyhow::Result<Duration> {
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

    fn sign(&self, key: &Keypair, nonce: u64, call: Call) -> SignedTransaction {
        Transaction {
            chain_id: self.genesis.chain_id.clone(),
            sender: key.account(),
            nonce,
            // Above every call's minimum here; the same for both runs.
            fee: 100_000_000,
            call,
        }
        .sign(key, &self.genesis.hash())
    }
}

fn agent_key(i: usize) -> Keypair {
    Keypair::dev(&format!("bench-agent-{i}"))
}

fn session_key(i: usize) -> Keypair {
    Keypair::dev(&format!("bench-session-{i}"))
}

/// Runs part (s).
pub fn run(args: &BenchArgs, genesis: Genesis) -> anyhow::Result<SessionResult> {
    let users = args.accounts.clamp(2, 2_000);
    let transfers = args.exec_txs;
    let exec = Executor::new(genesis.clone());
    let dir = std::env::temp_dir().join(format!("synod-bench-s-{}", std::process::id()));
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
    let mut chain = Chain {
        parent: g.block.header.clone(),
        exec,
        store,
        genesis,
    };
    let keys: Vec<Keypair> = (0..users).map(bench_key).collect();
    let intent = |i: usize| Intent {
        user: keys[i].account(),
        agent: agent_key(i).account(),
        asset: Asset::Native,
        start_height: 0,
        per_tx_cap: 1_000,
        total_cap: u128::from(u64::MAX),
        period_blocks: 1_000_000,
        period_cap: u128::from(u64::MAX),
        expires_at: u64::MAX,
        allowed_calls: BTreeSet::from([call_kind::TRANSFER]),
        allowed_payees: None,
    };
    eprintln!("(s) setting up {users} agents, intents and sessions...");
    let chain_id = chain.genesis.chain_id.clone();
    let mut setup = Vec::new();
    for (i, user) in keys.iter().enumerate() {
        let agent = agent_key(i);
        setup.push(chain.sign(
            user,
            0,
            Call::Agents(AgentCall::RegisterAgent {
                agent: agent.account(),
                name: "bench".into(),
                proof: agent.sign(&agent_binding_message(&chain_id, &user.account(), "bench")),
            }),
        ));
        setup.push(chain.sign(
            user,
            1,
            Call::Bank(BankCall::Transfer {
                to: agent.account(),
                amount: synod_primitives::token::UNIT,
            }),
        ));
        setup.push(chain.sign(
            user,
            2,
            Call::Bank(BankCall::Transfer {
                to: session_key(i).account(),
                amount: 10 * synod_primitives::token::UNIT,
            }),
        ));
        setup.push(chain.sign(
            user,
            3,
            Call::Agents(AgentCall::SetIntent { intent: intent(i) }),
        ));
    }
    chain.block(setup)?;
    let opens = (0..users)
        .map(|i| {
            let it = intent(i);
            chain.sign(
                &agent_key(i),
                0,
                Call::Agents(AgentCall::OpenSession {
                    scope: SessionScope {
                        intent_hash: it.hash(),
                        session_key: session_key(i).account(),
                        per_tx_cap: it.per_tx_cap,
                        total_cap: it.total_cap,
                        period_cap: it.period_cap,
                        expires_at: u64::MAX,
                        allowed_calls: it.allowed_calls.clone(),
                        allowed_payees: None,
                    },
                }),
            )
        })
        .collect();
    chain.block(opens)?;

    let block_txs = args.block_txs.max(1);
    let transfer = |k: usize| BankCall::Transfer {
        to: keys[(k + 1) % users].account(),
        amount: 1 + (k as u64 % 1000),
    };
    eprintln!("(s) {transfers} plain transfers...");
    let plain: Vec<SignedTransaction> = (0..transfers)
        .map(|k| {
            chain.sign(
                &keys[k % users],
                4 + (k / users) as u64,
                Call::Bank(transfer(k)),
            )
        })
        .collect();
    let mut t_plain = Duration::ZERO;
    for chunk in plain.chunks(block_txs) {
        t_plain += chain.block(chunk.to_vec())?;
    }
    eprintln!("(s) {transfers} session-signed transfers...");
    let sessions: Vec<Keypair> = (0..users).map(session_key).collect();
    let signed: Vec<SignedTransaction> = (0..transfers)
        .map(|k| {
            let inner = Call::Bank(transfer(k));
            chain.sign(
                &sessions[k % users],
                (k / users) as u64,
                Call::Agents(AgentCall::Execute {
                    inner: synod_primitives::encode(&inner),
                }),
            )
        })
        .collect();
    let mut t_session = Duration::ZERO;
    for chunk in signed.chunks(block_txs) {
        t_session += chain.block(chunk.to_vec())?;
    }
    drop(chain);
    let _ = std::fs::remove_dir_all(&dir);
    let rate = |d: Duration| transfers as f64 / d.as_secs_f64().max(1e-9);
    Ok(SessionResult {
        users,
        transfers,
        plain: rate(t_plain),
        session: rate(t_session),
    })
}
