//! `rpc.discover`: the OpenRPC 1.2 document of every method the node serves.
//!
//! Each namespace describes its own methods beside its trait (the chain's here, each module's
//! in its crate, listed by `synod-runtime`); this module joins them with the shared schemas.
//! A test below fails when a served method has no description or a description names a method
//! that is not served, so the document cannot drift from the code.

use crate::api::{
    AccountJson, BlockId, BlockJson, ChainInfo, FinalizedHeader, Heads, StateValueJson,
    SubmitResult, TxEvents, TxStatus,
};
use crate::server::{NOT_FOUND, TX_REJECTED};
use schemars::{SchemaGenerator, generate::SchemaSettings};
use serde_json::{Value, json};
use synod_module::MethodDoc;
use synod_module::rpc::INVALID_PARAMS;
use synod_primitives::{AccountId, Hash, Height, Nonce};
use synod_runtime::Receipt;

/// The chain's own methods (`synod_*`).
pub fn chain_rpc_doc() -> Vec<MethodDoc> {
    let ns = "synod";
    vec![
        MethodDoc::new(ns, "submitTransaction", "Admits one signed transaction (borsh, hex) to the pool.")
            .param::<String>("tx_hex", "borsh(SignedTransaction), hex.")
            .returns::<Hash>("hash")
            .error(TX_REJECTED, "refused: `data` is the machine-readable kind, e.g. stale_nonce")
            .error(INVALID_PARAMS, "not hex"),
        MethodDoc::new(ns, "submitTransactions", "Admits many transactions; one result per transaction, in order.")
            .param::<Vec<String>>("txs_hex", "Signed transactions, hex.")
            .returns::<Vec<SubmitResult>>("results")
            .error(INVALID_PARAMS, "too many transactions in one call"),
        MethodDoc::new(ns, "transactionStatus", "Whether a transaction is pending, finalized (with its receipt) or unknown.")
            .param::<Hash>("hash", "Transaction hash.")
            .returns::<TxStatus>("status"),
        MethodDoc::new(ns, "getReceipt", "A finalized transaction's receipt, or null.")
            .param::<Hash>("hash", "Transaction hash.")
            .returns::<Option<Receipt>>("receipt"),
        MethodDoc::new(ns, "getBlock", "A block by height, hash, `latest` or `finalized`, or null.")
            .param::<BlockId>("id", "Height, 0x hash, `latest` or `finalized`.")
            .returns::<Option<BlockJson>>("block")
            .error(INVALID_PARAMS, "not a height, hash or tag"),
        MethodDoc::new(ns, "getFinalizedHeader", "A finalized header and its finality certificate, or null.")
            .param::<Height>("height", "Block height.")
            .returns::<Option<FinalizedHeader>>("header"),
        MethodDoc::new(ns, "heads", "Latest and finalized heads.").returns::<Heads>("heads"),
        MethodDoc::new(ns, "getAccount", "An account's balance, nonce and hotkey owner at the finalized head or `height`.")
            .param::<AccountId>("account", "The account.")
            .optional::<Height>("height", "Read at this committed height.")
            .returns::<AccountJson>("account")
            .error(NOT_FOUND, "no block at that height"),
        MethodDoc::new(ns, "nextNonce", "The nonce an account's next transaction should carry: its committed nonce, moved past its transactions already in this node's pool without a gap.")
            .param::<AccountId>("account", "The account.")
            .returns::<Nonce>("nonce"),
        MethodDoc::new(ns, "getStateValue", "A raw state value at the finalized head or `height`, with a Merkle proof and finality certificate if asked.")
            .param::<String>("key_hex", "State key, hex (at most 1,024 bytes).")
            .optional::<Height>("height", "Read at this committed height.")
            .optional::<bool>("prove", "Include a proof.")
            .returns::<StateValueJson>("value")
            .error(INVALID_PARAMS, "key not hex or too long")
            .error(NOT_FOUND, "no block at that height"),
        MethodDoc::new(ns, "getEvents", "Events of the block at `height`, per transaction (the end-block receipt under its own hash).")
            .param::<Height>("height", "Block height.")
            .returns::<Vec<TxEvents>>("events"),
        MethodDoc::new(ns, "chainInfo", "Chain id, genesis hash, token, fees, genesis validators, node version and pool size.")
            .returns::<ChainInfo>("info"),
        MethodDoc::new(ns, "subscribeFinalizedBlocks", "Subscription: each finalized block as it is committed (notifications `finalizedBlock`, items BlockJson).")
            .returns::<String>("subscription"),
        MethodDoc::new(ns, "unsubscribeFinalizedBlocks", "Ends a `subscribeFinalizedBlocks` subscription.")
            .param::<String>("subscription", "Subscription id.")
            .returns::<bool>("ended"),
        MethodDoc::new(ns, "subscribeEvents", "Subscription: the events of each finalized block (notifications `events`, items TxEvents).")
            .returns::<String>("subscription"),
        MethodDoc::new(ns, "unsubscribeEvents", "Ends a `subscribeEvents` subscription.")
            .param::<String>("subscription", "Subscription id.")
            .returns::<bool>("ended"),
        MethodDoc {
            name: "rpc.discover".into(),
            ..MethodDoc::new("rpc", "discover", "This document (OpenRPC 1.2).")
        }
        .returns::<serde_json::Value>("document"),
    ]
}

/// Every method the node serves, chain first, then the modules in composition order.
pub fn all_docs() -> Vec<MethodDoc> {
    let mut docs = chain_rpc_doc();
    docs.extend(synod_runtime::Runtime::rpc_doc());
    docs
}

/// The OpenRPC document. Every schema is generated from the Rust type a method takes or
/// returns; named types are collected once under `components.schemas`.
pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    let mut generator = SchemaGenerator::new(settings);
    let methods: Vec<Value> = all_docs()
        .iter()
        .map(|d| {
            let params: Vec<Value> = d
                .params
                .iter()
                .map(|p| {
                    json!({
                        "name": p.name,
                        "description": p.description,
                        "required": p.required,
                        "schema": (p.schema)(&mut generator),
                    })
                })
                .collect();
            let mut m = json!({
                "name": d.name,
                "summary": d.summary,
                "params": params,
                "result": {"name": d.result.0, "schema": (d.result.1)(&mut generator)},
                "paramStructure": "by-position",
            });
            if !d.errors.is_empty() {
                m["errors"] = Value::Array(
                    d.errors
                        .iter()
                        .map(|(code, message)| json!({"code": code, "message": message}))
                        .collect(),
                );
            }
            m
        })
        .collect();
    json!({
        "openrpc": "1.2.6",
        "info": {
            "title": "Synod JSON-RPC",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Chain methods are synod_*; each module serves its own namespace. SYN amounts are integers in base units (1 SYN = 10^9); token amounts (u128) are decimal strings.",
        },
        "methods": methods,
        "components": {"schemas": generator.take_definitions(true)},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RpcContext, rpc_module};
    use std::collections::BTreeSet;
    use synod_primitives::Keypair;

    #[tokio::test]
    async fn every_served_method_is_described_and_nothing_else() {
        let genesis = synod_runtime::Genesis::dev(vec![Keypair::dev("validator-0").account()]);
        let module = rpc_module(RpcContext::in_memory(genesis).expect("api")).expect("register");
        let served: BTreeSet<String> = module.method_names().map(String::from).collect();
        let described: BTreeSet<String> = all_docs().into_iter().map(|d| d.name).collect();
        let undocumented: Vec<_> = served.difference(&described).collect();
        assert!(
            undocumented.is_empty(),
            "served but not described: {undocumented:?}"
        );
        let phantom: Vec<_> = described.difference(&served).collect();
        assert!(phantom.is_empty(), "described but not served: {phantom:?}");
        // Every module namespace is present.
        for ns in ["synod_", "bank_", "subnets_", "validators_", "tokens_"] {
            assert!(served.iter().any(|m| m.starts_with(ns)), "{ns}");
        }

        // The document is served and lists the same methods.
        let (response, _) = module
            .raw_json_request(
                r#"{"jsonrpc":"2.0","id":1,"method":"rpc.discover","params":[]}"#,
                1,
            )
            .await
            .expect("request");
        let v: Value = serde_json::from_str(response.get()).expect("json");
        let listed: BTreeSet<String> = v["result"]["methods"]
            .as_array()
            .expect("methods")
            .iter()
            .map(|m| m["name"].as_str().expect("name").to_string())
            .collect();
        assert_eq!(listed, served);
        assert_eq!(v["result"]["openrpc"], "1.2.6");

        // Schemas come from the types: every $ref resolves, and the chain's envelopes and
        // every module's wire types are described in full.
        let text = v["result"].to_string();
        let schemas = v["result"]["components"]["schemas"]
            .as_object()
            .expect("schemas");
        for r in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = r.split('"').next().expect("name");
            assert!(schemas.contains_key(name), "dangling $ref {name}");
        }
        for name in [
            "Receipt",
            "Event",
            "TxFailure",
            "Metagraph",
            "ValidatorSetView",
            "TokenView",
            "AccountId",
        ] {
            assert!(schemas.contains_key(name), "{name} not described");
        }
    }
}
