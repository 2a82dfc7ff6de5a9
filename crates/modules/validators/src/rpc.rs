//! The `validators_*` JSON-RPC namespace: the validator set and one account's standing, over
//! the newest committed state.

use crate::query::{self, ValidatorSetView, ValidatorView};
use crate::wire::StakingParams;
use jsonrpsee::core::async_trait;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use synod_module::MethodDoc;
use synod_module::rpc::read_latest;
use synod_primitives::AccountId;
use synod_storage::Store;

/// The validator set's methods (`validators_*`).
#[rpc(server, client, namespace = "validators")]
pub trait ValidatorsApi {
    /// The current set, its epoch, and the candidates for the next epoch.
    #[method(name = "list")]
    async fn validators(&self) -> Result<ValidatorSetView, ErrorObjectOwned>;

    /// One account's bond, unbonding entries and standing.
    #[method(name = "get")]
    async fn validator(&self, account: AccountId) -> Result<ValidatorView, ErrorObjectOwned>;

    /// The staking parameters (from genesis).
    #[method(name = "params")]
    async fn staking_params(&self) -> Result<StakingParams, ErrorObjectOwned>;
}

/// Serves [`ValidatorsApiServer`] from the node's store.
#[derive(Clone)]
pub struct ValidatorsRpc {
    store: Store,
    params: StakingParams,
}

impl ValidatorsRpc {
    /// The namespace over `store` for a chain with staking parameters `params`.
    pub fn new(store: Store, params: StakingParams) -> Self {
        ValidatorsRpc { store, params }
    }
}

#[async_trait]
impl ValidatorsApiServer for ValidatorsRpc {
    async fn validators(&self) -> Result<ValidatorSetView, ErrorObjectOwned> {
        let params = self.params;
        read_latest(&self.store, move |s, h| query::validator_set(s, h, &params)).await
    }

    async fn validator(&self, account: AccountId) -> Result<ValidatorView, ErrorObjectOwned> {
        let params = self.params;
        read_latest(&self.store, move |s, h| {
            query::validator(s, &account, h, &params)
        })
        .await
    }

    async fn staking_params(&self) -> Result<StakingParams, ErrorObjectOwned> {
        Ok(self.params)
    }
}

/// Describes every `validators_*` method for the node's OpenRPC document.
pub fn rpc_doc() -> Vec<MethodDoc> {
    let ns = "validators";
    vec![
        MethodDoc::new(
            ns,
            "list",
            "The current set, its epoch, and next epoch's candidates.",
        )
        .returns::<ValidatorSetView>("set"),
        MethodDoc::new(
            ns,
            "get",
            "One account's bond, unbonding entries and standing.",
        )
        .param::<AccountId>("account", "The validator's account.")
        .returns::<ValidatorView>("validator"),
        MethodDoc::new(ns, "params", "The staking parameters (from genesis).")
            .returns::<StakingParams>("params"),
    ]
}
