//! `synod bench --parts s`: session-signed transactions beside plain ones, in process.
//!
//! Users (the bench accounts of the genesis) each register an agent, sign an intent allowing
//! transfers, and the agent opens a session with a fresh key (three setup blocks). Then the
//! same number of transfers is executed twice, each run in blocks built as a proposer builds
//! them (signature checks, execution, state root) and committed to an fsynced store: once
//! signed by the users themselves, once signed by their session keys as `Execute(transfer)`
//! (the session's caps checked and recorded, the transfer run as the user).

use crate::bench::BenchArgs;
use crate::bench_chain::BenchChain;
use crate::dev::bench_key;
use std::collections::BTreeSet;
use std::time::Duration;
use synod_agents::{AgentCall, agent_binding_message, call_kind};
use synod_agents_rules::{Asset, Intent, SessionScope};
use synod_primitives::Keypair;
use synod_runtime::{BankCall, Call, Genesis, SignedTransaction};

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
    let mut chain = BenchChain::open(genesis, "s")?;
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
    let chain_id = chain.chain_id().to_string();
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
    let rate = |d: Duration| transfers as f64 / d.as_secs_f64().max(1e-9);
    Ok(SessionResult {
        users,
        transfers,
        plain: rate(t_plain),
        session: rate(t_session),
    })
}
