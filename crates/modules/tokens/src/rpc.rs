//! The `tokens` JSON-RPC namespace: the [`crate::query`] views over the newest committed state,
//! and [`rpc_doc`], the description of every method for the node's `rpc.discover` document.
//!
//! Amounts are decimal strings, accounts `0x`-prefixed hex. A method naming a token that does
//! not exist answers `null` where its result is optional (`info`, `bySymbol`, `action`) and
//! error [`NOT_FOUND`] otherwise.

use crate::query::{
    self, ActionView, AllowanceView, BalanceView, MAX_PAGE, TokenPage, TokenView, VestingView,
};
use crate::wire::{ActionId, TokenId};
use crate::{TokensGenesis, ledger};
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
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
        .param::<TokenId>("token", "Token id.")
        .returns::<Option<TokenView>>("token"),
        MethodDoc::new(
            ns,
            "bySymbol",
            "A token by its symbol (1 to 12 of A-Z 0-9).",
        )
        .param::<String>("symbol", "The symbol.")
        .returns::<Option<TokenView>>("token")
        .error(INVALID_PARAMS, "the symbol is malformed"),
        MethodDoc::new(ns, "list", "Tokens in id order, one page at a time.")
            .optional::<TokenId>(
                "after",
                "Return tokens with ids above this (the previous page's next_after).",
            )
            .optional::<u32>("limit", "Page size, 1 to 100 (default 100).")
            .returns::<TokenPage>("page"),
        MethodDoc::new(
            ns,
            "balance",
            "An account's free and locked balance of a token.",
        )
        .param::<TokenId>("token", "Token id.")
        .param::<AccountId>("account", "The holder.")
        .returns::<BalanceView>("balance")
        .error(NOT_FOUND, no_token),
        MethodDoc::new(
            ns,
            "allowance",
            "What a spender may still move of an owner's balance.",
        )
        .param::<TokenId>("token", "Token id.")
        .param::<AccountId>("owner", "Whose balance.")
        .param::<AccountId>("spender", "Who may spend.")
        .returns::<AllowanceView>("allowance")
        .error(NOT_FOUND, no_token),
        MethodDoc::new(
            ns,
            "vestings",
            "Open vesting schedules of a beneficiary (at most 256), with what is vested and \
             claimable in the next block.",
        )
        .param::<AccountId>("beneficiary", "Who may claim.")
        .optional::<TokenId>("token", "Only this token's schedules.")
        .returns::<Vec<VestingView>>("vestings"),
        MethodDoc::new(
            ns,
            "pendingActions",
            "Admin actions of a token not yet executed or cancelled (at most 256).",
        )
        .param::<TokenId>("token", "Token id.")
        .returns::<Vec<ActionView>>("actions")
        .error(NOT_FOUND, no_token),
        MethodDoc::new(
            ns,
            "action",
            "One admin action of a token, whatever its status.",
        )
        .param::<TokenId>("token", "Token id.")
        .param::<ActionId>("action_id", "Action id.")
        .returns::<Option<ActionView>>("action"),
        MethodDoc::new(ns, "params", "The module's genesis parameters.")
            .returns::<TokensGenesis>("params"),
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
    fn every_description_has_a_schema_for_each_parameter_and_result() {
        let mut generator = schemars::SchemaGenerator::default();
        for d in rpc_doc() {
            for p in &d.params {
                let schema = (p.schema)(&mut generator);
                assert!(schema.as_value().is_object() || schema.as_value().is_boolean());
            }
            let _ = (d.result.1)(&mut generator);
        }
        assert!(generator.definitions().contains_key("TokenView"));
    }
}
