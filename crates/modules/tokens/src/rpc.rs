//! The `tokens` JSON-RPC namespace: the [`crate::query`] views over the newest committed state,
//! and [`rpc_doc`], the description of every method for the node's `rpc.discover` document.
//!
//! Amounts are decimal strings, accounts `0x`-prefixed hex. A method naming a token that does
//! not exist answers `null` where its result is optional (`info`, `bySymbol`, `action`) and
//! error [`NOT_FOUND`] otherwise.

use crate::query::{
    self, ActionView, AllowanceView, BalanceView, MAX_PAGE, MAX_SCAN, TokenPage, TokenView,
    VestingView,
};
use crate::wire::{ActionId, TokenId};
use crate::{TokensGenesis, ledger};
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use serde_json::{Value, json};
use synod_module::rpc::{INVALID_PARAMS, NOT_FOUND, invalid};
use synod_module::{MethodDoc, read_latest};
use synod_primitives::AccountId;
use synod_storage::Store;

/// The tokens module's JSON-RPC methods (namespace `tokens`).
#[rpc(server, client, namespace = "tokens")]
pub trait TokensApi {
    /// A token by id (`null` if none).
    #[method(name = "info")]
    async fn info(&self, token: TokenId) -> Result<Option<TokenView>, ErrorObjectOwned>;

    /// A token by symbol (`null` if none).
    #[method(name = "bySymbol")]
    async fn by_symbol(&self, symbol: String) -> Result<Option<TokenView>, ErrorObjectOwned>;

    /// A page of tokens in id order, after `after`.
    #[method(name = "list")]
    async fn list(
        &self,
        after: Option<TokenId>,
        limit: Option<u32>,
    ) -> Result<TokenPage, ErrorObjectOwned>;

    /// An account's free and locked balance of a token.
    #[method(name = "balance")]
    async fn balance(
        &self,
        token: TokenId,
        account: AccountId,
    ) -> Result<BalanceView, ErrorObjectOwned>;

    /// The allowance an owner gives a spender.
    #[method(name = "allowance")]
    async fn allowance(
        &self,
        token: TokenId,
        owner: AccountId,
        spender: AccountId,
    ) -> Result<AllowanceView, ErrorObjectOwned>;

    /// The open vesting schedules of a beneficiary, optionally of one token.
    #[method(name = "vestings")]
    async fn vestings(
        &self,
        beneficiary: AccountId,
        token: Option<TokenId>,
    ) -> Result<Vec<VestingView>, ErrorObjectOwned>;

    /// The pending admin actions of a token.
    #[method(name = "pendingActions")]
    async fn pending_actions(&self, token: TokenId) -> Result<Vec<ActionView>, ErrorObjectOwned>;

    /// One admin action of a token, whatever its status (`null` if none).
    #[method(name = "action")]
    async fn action(
        &self,
        token: TokenId,
        action_id: ActionId,
    ) -> Result<Option<ActionView>, ErrorObjectOwned>;

    /// The module's genesis parameters.
    #[method(name = "params")]
    async fn params(&self) -> Result<TokensGenesis, ErrorObjectOwned>;
}

/// Serves [`TokensApiServer`] from a store.
#[derive(Clone)]
pub struct TokensRpc {
    /// The node's database.
    pub store: Store,
    /// The module's genesis section (its parameters are not in state).
    pub genesis: TokensGenesis,
}

fn no_token(token: TokenId) -> ErrorObjectOwned {
    ErrorObject::owned(
        NOT_FOUND,
        format!("token {token} does not exist"),
        None::<()>,
    )
}

#[jsonrpsee::core::async_trait]
impl TokensApiServer for TokensRpc {
    async fn info(&self, token: TokenId) -> Result<Option<TokenView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, h| query::token_info(s, token, h)).await
    }

    async fn by_symbol(&self, symbol: String) -> Result<Option<TokenView>, ErrorObjectOwned> {
        ledger::validate_symbol(&symbol).map_err(|e| invalid(e.to_string()))?;
        read_latest(&self.store, move |s, h| {
            query::token_by_symbol(s, &symbol, h)
        })
        .await
    }

    async fn list(
        &self,
        after: Option<TokenId>,
        limit: Option<u32>,
    ) -> Result<TokenPage, ErrorObjectOwned> {
        let limit = limit.unwrap_or(MAX_PAGE);
        read_latest(&self.store, move |s, h| {
            query::list_tokens(s, after, limit, h)
        })
        .await
    }

    async fn balance(
        &self,
        token: TokenId,
        account: AccountId,
    ) -> Result<BalanceView, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::balance(s, token, &account))
            .await?
            .ok_or_else(|| no_token(token))
    }

    async fn allowance(
        &self,
        token: TokenId,
        owner: AccountId,
        spender: AccountId,
    ) -> Result<AllowanceView, ErrorObjectOwned> {
        read_latest(&self.store, move |s, h| {
            query::allowance(s, token, &owner, &spender, h)
        })
        .await?
        .ok_or_else(|| no_token(token))
    }

    async fn vestings(
        &self,
        beneficiary: AccountId,
        token: Option<TokenId>,
    ) -> Result<Vec<VestingView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, h| {
            query::vestings(s, &beneficiary, token, h)
        })
        .await
    }

    async fn pending_actions(&self, token: TokenId) -> Result<Vec<ActionView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, h| query::pending_actions(s, token, h))
            .await?
            .ok_or_else(|| no_token(token))
    }

    async fn action(
        &self,
        token: TokenId,
        action_id: ActionId,
    ) -> Result<Option<ActionView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, h| {
            query::action(s, token, action_id, h)
        })
        .await
    }

    async fn params(&self) -> Result<TokensGenesis, ErrorObjectOwned> {
        Ok(self.genesis)
    }
}

fn account_schema() -> Value {
    json!({"type": "string", "pattern": "^0x[0-9a-fA-F]{64}$", "description": "account id, 0x-prefixed hex of 32 bytes"})
}

fn amount_schema() -> Value {
    json!({"type": "string", "pattern": "^[0-9]+$", "description": "u128 base units as a decimal string"})
}

fn token_id_schema() -> Value {
    json!({"type": "integer", "minimum": 1, "description": "token id"})
}

fn height_schema() -> Value {
    json!({"type": "integer", "minimum": 0, "description": "block height"})
}

fn emission_schema() -> Value {
    json!({
        "type": ["object", "null"],
        "properties": {"recipient": account_schema(), "rate": amount_schema()},
        "required": ["recipient", "rate"],
    })
}

fn admin_action_schema() -> Value {
    json!({
        "type": "object",
        "description": "tagged by `action`: mint {to, amount}, set_emission {schedule}, set_mint_authority {new}, set_admin {new}",
        "properties": {
            "action": {"enum": ["mint", "set_emission", "set_mint_authority", "set_admin"]},
            "to": account_schema(),
            "amount": amount_schema(),
            "schedule": emission_schema(),
            "new": account_schema(),
        },
        "required": ["action"],
    })
}

fn token_view_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "token": token_id_schema(),
            "symbol": {"type": "string", "pattern": "^[A-Z0-9]{1,12}$"},
            "name": {"type": "string"},
            "decimals": {"type": "integer", "minimum": 0, "maximum": 18},
            "max_supply": amount_schema(),
            "supply": amount_schema(),
            "locked": amount_schema(),
            "escrowed": amount_schema(),
            "minted": amount_schema(),
            "burned": amount_schema(),
            "creator": account_schema(),
            "created_at": height_schema(),
            "mint_authority": account_schema(),
            "admin": account_schema(),
            "emission": emission_schema(),
            "last_emission": height_schema(),
            "emittable": amount_schema(),
        },
    })
}

fn nullable(schema: Value) -> Value {
    json!({"oneOf": [schema, {"type": "null"}]})
}

fn vesting_view_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "token": token_id_schema(),
            "vesting_id": {"type": "integer", "minimum": 1},
            "funder": account_schema(),
            "beneficiary": account_schema(),
            "amount": amount_schema(),
            "claimed": amount_schema(),
            "start": height_schema(),
            "cliff": {"type": "integer", "minimum": 0},
            "duration": {"type": "integer", "minimum": 1},
            "cliff_ends": height_schema(),
            "ends_at": height_schema(),
            "vested": amount_schema(),
            "claimable": amount_schema(),
        },
    })
}

fn action_view_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "token": token_id_schema(),
            "action_id": {"type": "integer", "minimum": 1},
            "action": admin_action_schema(),
            "role": {"enum": ["mint_authority", "admin"]},
            "proposer": account_schema(),
            "queued_at": height_schema(),
            "ready_at": height_schema(),
            "status": {
                "type": "object",
                "description": "tagged by `status`: pending, executed {at}, cancelled {at}",
                "properties": {
                    "status": {"enum": ["pending", "executed", "cancelled"]},
                    "at": height_schema(),
                },
            },
            "executable": {"type": "boolean"},
        },
    })
}

/// Descriptions of every method of the namespace, for the node's OpenRPC document.
pub fn rpc_doc() -> Vec<MethodDoc> {
    let ns = crate::NAME;
    let no_token = "the token does not exist";
    vec![
        MethodDoc::new(
            ns,
            "info",
            "A token by id, with what Emit would mint in the next block.",
        )
        .param("token", "Token id.", token_id_schema())
        .returns("token", nullable(token_view_schema())),
        MethodDoc::new(ns, "bySymbol", "A token by its symbol.")
            .param(
                "symbol",
                "1 to 12 characters of A-Z and 0-9.",
                json!({"type": "string", "pattern": "^[A-Z0-9]{1,12}$"}),
            )
            .returns("token", nullable(token_view_schema()))
            .error(INVALID_PARAMS, "the symbol is malformed"),
        MethodDoc::new(ns, "list", "Tokens in id order, one page at a time.")
            .optional(
                "after",
                "Return tokens with ids above this (the previous page's next_after).",
                json!({"type": "integer", "minimum": 0}),
            )
            .optional(
                "limit",
                "Page size, 1 to 100 (default 100).",
                json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
            )
            .returns(
                "page",
                json!({
                    "type": "object",
                    "properties": {
                        "tokens": {"type": "array", "items": token_view_schema()},
                        "next_after": nullable(json!({"type": "integer"})),
                    },
                }),
            ),
        MethodDoc::new(
            ns,
            "balance",
            "An account's free and locked balance of a token.",
        )
        .param("token", "Token id.", token_id_schema())
        .param("account", "The holder.", account_schema())
        .returns(
            "balance",
            json!({
                "type": "object",
                "properties": {
                    "token": token_id_schema(),
                    "account": account_schema(),
                    "free": amount_schema(),
                    "locked": amount_schema(),
                    "total": amount_schema(),
                },
            }),
        )
        .error(NOT_FOUND, no_token),
        MethodDoc::new(
            ns,
            "allowance",
            "What a spender may still move of an owner's balance.",
        )
        .param("token", "Token id.", token_id_schema())
        .param("owner", "Whose balance.", account_schema())
        .param("spender", "Who may spend.", account_schema())
        .returns(
            "allowance",
            json!({
                "type": "object",
                "properties": {
                    "token": token_id_schema(),
                    "owner": account_schema(),
                    "spender": account_schema(),
                    "amount": amount_schema(),
                    "expires_at": nullable(height_schema()),
                    "expired": {"type": "boolean"},
                },
            }),
        )
        .error(NOT_FOUND, no_token),
        MethodDoc::new(
            ns,
            "vestings",
            "Open vesting schedules of a beneficiary (at most 256), with what is vested and \
             claimable in the next block.",
        )
        .param("beneficiary", "Who may claim.", account_schema())
        .optional("token", "Only this token's schedules.", token_id_schema())
        .returns(
            "vestings",
            json!({"type": "array", "maxItems": MAX_SCAN, "items": vesting_view_schema()}),
        ),
        MethodDoc::new(
            ns,
            "pendingActions",
            "Admin actions of a token not yet executed or cancelled (at most 256).",
        )
        .param("token", "Token id.", token_id_schema())
        .returns(
            "actions",
            json!({"type": "array", "maxItems": MAX_SCAN, "items": action_view_schema()}),
        )
        .error(NOT_FOUND, no_token),
        MethodDoc::new(
            ns,
            "action",
            "One admin action of a token, whatever its status.",
        )
        .param("token", "Token id.", token_id_schema())
        .param(
            "action_id",
            "Action id.",
            json!({"type": "integer", "minimum": 1}),
        )
        .returns("action", nullable(action_view_schema())),
        MethodDoc::new(ns, "params", "The module's genesis parameters.").returns(
            "params",
            json!({
                "type": "object",
                "properties": {"admin_timelock_blocks": {"type": "integer", "minimum": 1}},
            }),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_served_method_is_described_and_every_description_is_served() {
        let module = TokensRpc {
            store: Store::in_memory().expect("store"),
            genesis: TokensGenesis::dev(),
        }
        .into_rpc();
        let served: BTreeSet<String> = module.method_names().map(str::to_owned).collect();
        let described: BTreeSet<String> = rpc_doc().into_iter().map(|d| d.name).collect();
        assert_eq!(served, described);
        assert!(served.contains("tokens_pendingActions"), "{served:?}");
    }

    #[test]
    fn descriptions_serialize() {
        for d in rpc_doc() {
            let j = serde_json::to_value(&d).expect("json");
            assert!(j["params"].is_array(), "{j}");
        }
    }
}
