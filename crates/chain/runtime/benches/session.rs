//! A session's payment beside a plain one: dispatching `agents::Execute(bank transfer)` (decode
//! the inner call, check and record the session's rules, then the transfer as the user) against
//! dispatching the bank transfer itself, on an in-memory state behind the executor's `Overlay`.
//! Signature checks and fees are the same for both and left out.

use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::BTreeSet;
use std::hint::black_box;
use synod_agents::{AgentCall, agent_binding_message, call_kind};
use synod_agents_rules::{Asset, Intent, SessionScope};
use synod_module::BlockCtx;
use synod_primitives::{Hash, Keypair};
use synod_runtime::{BankCall, Call, Genesis, Runtime};
use synod_storage::delta::Overlay;

type Mem = synod_storage::MemState;

fn bench(c: &mut Criterion) {
    let genesis = Genesis::dev(vec![Keypair::dev("validator-0").account()]);
    let runtime = Runtime::new(&genesis);
    let mut mem = Mem::default();
    let mut ov = Overlay::new(&mem);
    runtime.init_genesis(&mut ov).expect("genesis");
    let ch = ov.into_changes();
    mem.apply(ch);
    let ctx = BlockCtx {
        height: 5,
        chain_id: &genesis.chain_id,
        parent: Hash::ZERO,
    };
    let (user, agent, session, shop) = (
        Keypair::dev("alice"),
        Keypair::dev("agent"),
        Keypair::dev("session"),
        Keypair::dev("bob"),
    );
    let mut run = |sender: &Keypair, call: Call| {
        let mut ov = Overlay::new(&mem);
        runtime
            .dispatch(&mut ov, &ctx, &sender.account(), &call)
            .expect("setup call");
        let ch = ov.into_changes();
        mem.apply(ch);
    };
    let name = "bench";
    run(
        &user,
        Call::Agents(AgentCall::RegisterAgent {
            agent: agent.account(),
            name: name.into(),
            proof: agent.sign(&agent_binding_message(
                &genesis.chain_id,
                &user.account(),
                name,
            )),
        }),
    );
    let intent = Intent {
        user: user.account(),
        agent: agent.account(),
        asset: Asset::Native,
        start_height: 1,
        per_tx_cap: 1_000,
        total_cap: u128::MAX / 4,
        period_blocks: 1_000,
        period_cap: u128::MAX / 8,
        expires_at: 1_000_000,
        allowed_calls: BTreeSet::from([call_kind::TRANSFER]),
        allowed_payees: Some(BTreeSet::from([shop.account()])),
    };
    run(
        &user,
        Call::Agents(AgentCall::SetIntent {
            intent: intent.clone(),
        }),
    );
    run(
        &agent,
        Call::Agents(AgentCall::OpenSession {
            scope: SessionScope {
                intent_hash: intent.hash(),
                session_key: session.account(),
                per_tx_cap: 1_000,
                total_cap: u128::MAX / 4,
                period_cap: u128::MAX / 8,
                expires_at: 500_000,
                allowed_calls: intent.allowed_calls.clone(),
                allowed_payees: intent.allowed_payees.clone(),
            },
        }),
    );
    let transfer = Call::Bank(BankCall::Transfer {
        to: shop.account(),
        amount: 10,
    });
    let execute = Call::Agents(AgentCall::Execute {
        inner: synod_primitives::encode(&transfer),
    });
    let mut group = c.benchmark_group("dispatch");
    group.bench_function("plain_transfer", |b| {
        b.iter(|| {
            let mut ov = Overlay::new(&mem);
            runtime
                .dispatch(&mut ov, &ctx, &user.account(), black_box(&transfer))
                .expect("transfer");
            black_box(ov.into_changes())
        })
    });
    group.bench_function("session_transfer", |b| {
        b.iter(|| {
            let mut ov = Overlay::new(&mem);
            runtime
                .dispatch(&mut ov, &ctx, &session.account(), black_box(&execute))
                .expect("session transfer");
            black_box(ov.into_changes())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
