//! `rpc.discover`: the OpenRPC 1.2 document of every method the node serves.
//!
//! Each namespace describes its own methods beside its trait (the chain's here, each module's
//! in its crate, listed by `synod-runtime`); this module joins them with the shared schemas.
//! A test below fails when a served method has no description or a description names a method
//! that is not served, so the document cannot drift from the code.

use crate::server::{NOT_FOUND, TX_REJECTED};
use serde_json::{Value, json};
use synod_module::MethodDoc;
use synod_module::rpc::INVALID_PARAMS;

/// The chain's own methods (`synod_*`).
pub fn chain_rpc_doc() -> Vec<MethodDoc> {
    let ns = "synod";
    let hash = json!({"$ref": "#/components/schemas/Hash"});
    let height = json!({"type": "integer", "minimum": 0});
    let object = |title: &str| json!({"type": "object", "title": title});
    let nullable =
        |title: &str| json!({"oneOf": [{"type": "object", "title": title}, {"type": "null"}]});
    let hex = json!({"type": "string", "pattern": "^(0x)?([0-9a-fA-F]{2})*$"});
    vec![
        MethodDoc::new(ns, "submitTransaction", "Admits one signed transaction (borsh, hex) to the pool.")
            .param("tx_hex", "borsh(SignedTransaction), hex.", hex.clone())
            .returns("hash", hash.clone())
            .error(TX_REJECTED, "refused: `data` is the machine-readable kind, e.g. stale_nonce")
            .error(INVALID_PARAMS, "not hex"),
        MethodDoc::new(ns, "submitTransactions", "Admits many transactions; one result per transaction, in order.")
            .param("txs_hex", "Signed transactions, hex.", json!({"type": "array", "items": hex.clone()}))
            .returns("results", json!({"type": "array", "items": object("SubmitResult")}))
            .error(INVALID_PARAMS, "too many transactions in one call"),
        MethodDoc::new(ns, "transactionStatus", "Whether a transaction is pending, finalized (with its receipt) or unknown.")
            .param("hash", "Transaction hash.", hash.clone())
            .returns("status", object("TxStatus")),
        MethodDoc::new(ns, "getReceipt", "A finalized transaction's receipt, or null.")
            .param("hash", "Transaction hash.", hash.clone())
            .returns("receipt", nullable("Receipt")),
        MethodDoc::new(ns, "getBlock", "A block by height, hash, `latest` or `finalized`, or null.")
            .param("id", "Height, 0x hash, `latest` or `finalized`.", json!({"oneOf": [height.clone(), {"type": "string"}]}))
            .returns("block", nullable("BlockJson"))
            .error(INVALID_PARAMS, "not a height, hash or tag"),
        MethodDoc::new(ns, "getFinalizedHeader", "A finalized header and its finality certificate, or null.")
            .param("height", "Block height.", height.clone())
            .returns("header", nullable("FinalizedHeader")),
        MethodDoc::new(ns, "heads", "Latest and finalized heads.").returns("heads", object("Heads")),
        MethodDoc::new(ns, "getAccount", "An account's balance, nonce and hotkey owner at the finalized head or `height`.")
            .param("account", "The account.", json!({"$ref": "#/components/schemas/AccountId"}))
            .optional("height", "Read at this committed height.", height.clone())
            .returns("account", object("AccountJson"))
            .error(NOT_FOUND, "no block at that height"),
        MethodDoc::new(ns, "getStateValue", "A raw state value at the finalized head or `height`, with a Merkle proof and finality certificate if asked.")
            .param("key_hex", "State key, hex (at most 1,024 bytes).", hex)
            .optional("height", "Read at this committed height.", height.clone())
            .optional("prove", "Include a proof.", json!({"type": "boolean"}))
            .returns("value", object("StateValueJson"))
            .error(INVALID_PARAMS, "key not hex or too long")
            .error(NOT_FOUND, "no block at that height"),
        MethodDoc::new(ns, "getEvents", "Events of the block at `height`, per transaction (the end-block receipt under the zero hash).")
            .param("height", "Block height.", height)
            .returns("events", json!({"type": "array", "items": object("TxEvents")})),
        MethodDoc::new(ns, "chainInfo", "Chain id, genesis hash, token, fees, genesis validators, node version and pool size.")
            .returns("info", object("ChainInfo")),
        MethodDoc::new(ns, "subscribeFinalizedBlocks", "Subscription: each finalized block as it is committed (notification `finalizedBlock`).")
            .returns("subscription", json!({"type": "string"})),
        MethodDoc::new(ns, "unsubscribeFinalizedBlocks", "Ends a `subscribeFinalizedBlocks` subscription.")
            .param("subscription", "Subscription id.", json!({"type": "string"}))
            .returns("ended", json!({"type": "boolean"})),
        MethodDoc::new(ns, "subscribeEvents", "Subscription: the events of each finalized block (notification `events`).")
            .returns("subscription", json!({"type": "string"})),
        MethodDoc::new(ns, "unsubscribeEvents", "Ends a `subscribeEvents` subscription.")
            .param("subscription", "Subscription id.", json!({"type": "string"}))
            .returns("ended", json!({"type": "boolean"})),
        MethodDoc {
            name: "rpc.discover".into(),
            ..MethodDoc::new("rpc", "discover", "This document (OpenRPC 1.2).")
        }
        .returns("document", json!({"type": "object", "title": "OpenRPC"})),
    ]
}

/// Every method the node serves, chain first, then the modules in composition order.
pub fn all_docs() -> Vec<MethodDoc> {
    let mut docs = chain_rpc_doc();
    docs.extend(synod_runtime::Runtime::rpc_doc());
    docs
}

fn method_object(d: &MethodDoc) -> Value {
    let mut m = json!({
        "name": d.name,
        "summary": d.summary,
        "params": d.params.iter().map(|p| json!({
            "name": p.name,
            "description": p.description,
            "required": p.required,
            "schema": p.schema,
        })).collect::<Vec<_>>(),
        "result": {"name": d.result.0, "schema": d.result.1},
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
}

/// The OpenRPC document.
pub fn document() -> Value {
    json!({
        "openrpc": "1.2.6",
        "info": {
            "title": "Synod JSON-RPC",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Chain methods are synod_*; each module serves its own namespace. Amounts are base units (1 SYN = 10^9): integers for SYN, decimal strings for token amounts (u128).",
        },
        "methods": all_docs().iter().map(method_object).collect::<Vec<_>>(),
        "components": {"schemas": {
            "AccountId": {"type": "string", "pattern": "^0x[0-9a-f]{64}$", "description": "An ed25519 public key."},
            "Hash": {"type": "string", "pattern": "^0x[0-9a-f]{64}$", "description": "A 32-byte BLAKE3 hash."},
            "Amount": {"type": "integer", "minimum": 0, "description": "SYN in base units (u64)."},
            "TokenAmount": {"type": "string", "pattern": "^[0-9]+$", "description": "Token base units (u128) as a decimal string."},
        }},
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
    }
}
