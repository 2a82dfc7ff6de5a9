//! The `tokens` namespace end to end: calls executed into a block that is committed to an
//! in-memory store, then read back through the RPC module's methods as JSON.

use serde_json::{Value, json};
use std::sync::Arc;
use synod_module::rpc::{INVALID_PARAMS, NOT_FOUND};
use synod_module::{BlockCtx, Module};
use synod_primitives::tx::CallWeight;
use synod_primitives::{AccountId, Hash, Header, Keypair};
use synod_storage::delta::Overlay;
use synod_storage::{BlockCommit, PendingBlock, StateView, Store, compute_state_root};
use synod_tokens::rpc::{TokensApiServer, TokensRpc};
use synod_tokens::{AdminAction, Emission, TokenCall, Tokens, TokensGenesis};

/// The store does not look inside transactions; this block carries none.
#[derive(borsh::BorshSerialize, borsh::BorshDeserialize)]
struct NoCall;

impl CallWeight for NoCall {
    fn weight(&self) -> u64 {
        0
    }
}

fn key(name: &str) -> AccountId {
    Keypair::dev(name).account()
}

/// Executes `calls` (sender, call) as block 0 and commits it.
fn commit_block(store: &Store, module: &Tokens, calls: Vec<(AccountId, TokenCall)>) {
    let view = StateView::new(Arc::new(store.snapshot().expect("snapshot")), vec![]);
    let mut ov = Overlay::new(&view);
    let ctx = BlockCtx {
        height: 0,
        chain_id: "rpc-test",
        parent: synod_primitives::Hash::ZERO,
    };
    for (sender, call) in calls {
        module
            .dispatch(&mut ov, &ctx, &sender, &call)
            .unwrap_or_else(|e| panic!("{call:?}: {e:?}"));
    }
    let changes = ov.into_changes();
    let (root, tree) = compute_state_root(&view, &changes, 0).expect("root");
    let block = synod_primitives::Block::<NoCall> {
        header: Header {
            height: 0,
            parent: Hash::ZERO,
            timestamp_ms: 0,
            proposer: AccountId::default(),
            tx_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root: root,
        },
        txs: vec![],
    };
    let pending = PendingBlock {
        hash: block.hash(),
        height: 0,
        state_root: root,
        changes,
        tree,
    };
    store
        .commit_block(BlockCommit {
            block: &block,
            pending: &pending,
            receipts: &[] as &[synod_primitives::Receipt<(), ()>],
            finalization: &[],
        })
        .expect("commit");
}

fn error_code(r: Result<Value, jsonrpsee::core::server::MethodsError>) -> i32 {
    match r {
        Err(jsonrpsee::core::server::MethodsError::JsonRpc(e)) => e.code(),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }
}

#[tokio::test]
async fn methods_serve_committed_state() {
    let store = Store::in_memory().expect("store");
    let genesis = TokensGenesis::dev();
    let module = Tokens::new(genesis);
    let (alice, bob) = (key("alice"), key("bob"));
    commit_block(
        &store,
        &module,
        vec![
            (
                alice,
                TokenCall::Create {
                    symbol: "GOLD".into(),
                    name: "Gold".into(),
                    decimals: 6,
                    max_supply: 1_000_000,
                    initial_supply: 1_000,
                    emission: Some(Emission {
                        recipient: bob,
                        rate: 5,
                    }),
                    mint_authority: alice,
                    admin: alice,
                },
            ),
            (
                alice,
                TokenCall::Approve {
                    token: 1,
                    spender: bob,
                    amount: 10,
                    expires_at: Some(100),
                },
            ),
            (
                alice,
                TokenCall::CreateVesting {
                    token: 1,
                    beneficiary: bob,
                    amount: 100,
                    start: 0,
                    cliff: 0,
                    duration: 10,
                },
            ),
            (
                alice,
                TokenCall::QueueAdminAction {
                    token: 1,
                    action: AdminAction::Mint { to: bob, amount: 7 },
                },
            ),
        ],
    );
    let rpc = TokensRpc {
        store: store.clone(),
        genesis,
    }
    .into_rpc();

    let info: Value = rpc.call("tokens_info", (1,)).await.expect("info");
    assert_eq!(info["symbol"], "GOLD");
    assert_eq!(info["supply"], "1000");
    assert_eq!(info["escrowed"], "100");
    // In the next block (1) the schedule has accrued one block.
    assert_eq!(info["emittable"], "5");
    assert_eq!(info["emission"]["rate"], "5");
    let none: Value = rpc.call("tokens_info", (2,)).await.expect("info");
    assert_eq!(none, Value::Null);

    let by: Value = rpc.call("tokens_bySymbol", ("GOLD",)).await.expect("by");
    assert_eq!(by["token"], 1);
    let none: Value = rpc.call("tokens_bySymbol", ("SILVER",)).await.expect("by");
    assert_eq!(none, Value::Null);
    assert_eq!(
        error_code(rpc.call("tokens_bySymbol", ("gold",)).await),
        INVALID_PARAMS
    );

    let page: Value = rpc
        .call("tokens_list", (Value::Null, 10))
        .await
        .expect("list");
    assert_eq!(page["tokens"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["next_after"], Value::Null);

    let bal: Value = rpc
        .call("tokens_balance", (1, alice.to_string()))
        .await
        .expect("balance");
    assert_eq!(
        bal,
        json!({"token": 1, "account": alice.to_string(), "free": "900", "locked": "0", "total": "900"})
    );
    assert_eq!(
        error_code(rpc.call("tokens_balance", (9, alice.to_string())).await),
        NOT_FOUND
    );

    let al: Value = rpc
        .call("tokens_allowance", (1, alice.to_string(), bob.to_string()))
        .await
        .expect("allowance");
    assert_eq!(al["amount"], "10");
    assert_eq!(al["expires_at"], 100);
    assert_eq!(al["expired"], false);

    let vs: Value = rpc
        .call("tokens_vestings", (bob.to_string(), Value::Null))
        .await
        .expect("vestings");
    assert_eq!(vs.as_array().map(Vec::len), Some(1));
    assert_eq!(vs[0]["vested"], "10");
    assert_eq!(vs[0]["claimable"], "10");
    let vs: Value = rpc
        .call("tokens_vestings", (alice.to_string(), 1))
        .await
        .expect("vestings");
    assert_eq!(vs, json!([]));

    let pending: Value = rpc
        .call("tokens_pendingActions", (1,))
        .await
        .expect("pending");
    assert_eq!(pending[0]["action_id"], 1);
    assert_eq!(pending[0]["ready_at"], genesis.admin_timelock_blocks);
    assert_eq!(pending[0]["executable"], false);
    assert_eq!(pending[0]["action"]["action"], "mint");
    assert_eq!(pending[0]["status"]["status"], "pending");
    assert_eq!(
        error_code(rpc.call("tokens_pendingActions", (5,)).await),
        NOT_FOUND
    );
    let action: Value = rpc.call("tokens_action", (1, 1)).await.expect("action");
    assert_eq!(action["role"], "mint_authority");

    let params: Value = rpc
        .call("tokens_params", Vec::<Value>::new())
        .await
        .expect("params");
    assert_eq!(params, json!({"admin_timelock_blocks": 20}));
}
