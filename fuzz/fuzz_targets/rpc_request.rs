#![no_main]
//! Arbitrary text as a JSON-RPC request to the full API over an in-memory chain: the server
//! answers (result or error) and never panics; the chain state never changes except through
//! an accepted transaction.

use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};
use synod_execution::Executor;
use synod_mempool::{ChainRules, Mempool, MempoolConfig};
use synod_primitives::{Genesis, Keypair};
use synod_rpc::{Metrics, NodeStatus, RpcContext, SynodApiServer};
use synod_storage::{BlockCommit, StateView, Store};

struct Harness {
    rt: tokio::runtime::Runtime,
    module: jsonrpsee::RpcModule<RpcContext>,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let genesis = Genesis::dev(vec![Keypair::dev("validator-0").account()]);
        let executor = Executor::new(genesis.clone());
        let store = Store::in_memory().expect("db");
        let view = StateView::new(Arc::new(store.snapshot().expect("snap")), vec![]);
        let g = executor.genesis_block(&view).expect("genesis");
        store
            .commit_block(BlockCommit {
                block: &g.block,
                pending: &g.pending,
                receipts: &g.receipts,
                finalization: &[],
            })
            .expect("commit");
        let mempool = Arc::new(Mempool::new(
            MempoolConfig::default(),
            ChainRules {
                chain_id: genesis.chain_id.clone(),
                genesis_hash: genesis.hash(),
                fees: genesis.fees,
            },
        ));
        let (finalized, _) = tokio::sync::broadcast::channel(16);
        let ctx = RpcContext {
            store,
            mempool,
            executor,
            finalized,
            status: Arc::new(NodeStatus::default()),
            metrics: Arc::new(Metrics::new()),
            validators: vec![],
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        Harness {
            rt,
            module: ctx.into_rpc(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let h = harness();
    let _ = h.rt.block_on(h.module.raw_json_request(text, 1));
});
