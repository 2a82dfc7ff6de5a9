//! The `subnets_*` JSON-RPC namespace: read views of the subnet economy over the newest
//! committed state.

use crate::params::{Params, SubnetHyperparams, SubnetParams};
use crate::query::{self, Metagraph, PoolView, RootValidatorView, StakePositionView, SubnetView};
use crate::wire::NetUid;
use jsonrpsee::core::async_trait;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use std::sync::Arc;
use synod_module::MethodDoc;
use synod_module::rpc::read_latest;
use synod_primitives::{AccountId, Balance};
use synod_storage::Store;

/// The subnet economy's methods (`subnets_*`).
#[rpc(server, client, namespace = "subnets")]
pub trait SubnetsApi {
    /// Every subnet (root excluded) with its pool, price, emission share and counts.
    #[method(name = "list")]
    async fn subnets(&self) -> Result<Vec<SubnetView>, ErrorObjectOwned>;

    /// One subnet, or null.
    #[method(name = "info")]
    async fn subnet_info(&self, netuid: NetUid) -> Result<Option<SubnetView>, ErrorObjectOwned>;

    /// A subnet's hyperparameters, or null.
    #[method(name = "hyperparams")]
    async fn subnet_hyperparams(
        &self,
        netuid: NetUid,
    ) -> Result<Option<SubnetHyperparams>, ErrorObjectOwned>;

    /// What registering a neuron on the subnet burns now (base units), or null.
    #[method(name = "burnCost")]
    async fn burn_cost(&self, netuid: NetUid) -> Result<Option<Balance>, ErrorObjectOwned>;

    /// What creating a subnet locks now (base units).
    #[method(name = "networkLockCost")]
    async fn network_lock_cost(&self) -> Result<Balance, ErrorObjectOwned>;

    /// The chain-wide subnet parameters (from genesis).
    #[method(name = "params")]
    async fn subnet_params(&self) -> Result<SubnetParams, ErrorObjectOwned>;

    /// A subnet's metagraph (every neuron's stake, ranks, trust, incentive, dividends,
    /// emission, axon), or null.
    #[method(name = "metagraph")]
    async fn metagraph(&self, netuid: NetUid) -> Result<Option<Metagraph>, ErrorObjectOwned>;

    /// A subnet's pool reserves and price, or null.
    #[method(name = "pool")]
    async fn subnet_pool(&self, netuid: NetUid) -> Result<Option<PoolView>, ErrorObjectOwned>;

    /// A coldkey's stake positions on every subnet.
    #[method(name = "stakePositions")]
    async fn stake_positions(
        &self,
        coldkey: AccountId,
    ) -> Result<Vec<StakePositionView>, ErrorObjectOwned>;

    /// Root-network validators with their root stake.
    #[method(name = "rootValidators")]
    async fn root_validators(&self) -> Result<Vec<RootValidatorView>, ErrorObjectOwned>;
}

/// Serves [`SubnetsApiServer`] from the node's store.
#[derive(Clone)]
pub struct SubnetsRpc {
    store: Store,
    params: Arc<Params>,
}

impl SubnetsRpc {
    /// The namespace over `store`, for a chain with subnet parameters `params`.
    pub fn new(store: Store, params: Params) -> Self {
        SubnetsRpc {
            store,
            params: Arc::new(params),
        }
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(
            &synod_storage::Snapshot,
            u64,
            &Params,
        ) -> Result<T, synod_storage::typed::StateError>
        + Send
        + 'static,
    ) -> Result<T, ErrorObjectOwned> {
        let params = self.params.clone();
        read_latest(&self.store, move |s, h| f(s, h, &params)).await
    }
}

#[async_trait]
impl SubnetsApiServer for SubnetsRpc {
    async fn subnets(&self) -> Result<Vec<SubnetView>, ErrorObjectOwned> {
        self.read(query::subnets).await
    }

    async fn subnet_info(&self, netuid: NetUid) -> Result<Option<SubnetView>, ErrorObjectOwned> {
        self.read(move |s, h, p| query::subnet(s, netuid, h, p))
            .await
    }

    async fn subnet_hyperparams(
        &self,
        netuid: NetUid,
    ) -> Result<Option<SubnetHyperparams>, ErrorObjectOwned> {
        self.read(move |s, _, _| query::hyperparams(s, netuid))
            .await
    }

    async fn burn_cost(&self, netuid: NetUid) -> Result<Option<Balance>, ErrorObjectOwned> {
        self.read(move |s, h, p| query::burn_cost(s, netuid, h, p))
            .await
    }

    async fn network_lock_cost(&self) -> Result<Balance, ErrorObjectOwned> {
        self.read(query::lock_cost).await
    }

    async fn subnet_params(&self) -> Result<SubnetParams, ErrorObjectOwned> {
        Ok(SubnetParams::clone(&self.params))
    }

    async fn metagraph(&self, netuid: NetUid) -> Result<Option<Metagraph>, ErrorObjectOwned> {
        self.read(move |s, h, p| query::metagraph(s, netuid, h, p))
            .await
    }

    async fn subnet_pool(&self, netuid: NetUid) -> Result<Option<PoolView>, ErrorObjectOwned> {
        self.read(move |s, _, _| query::pool(s, netuid)).await
    }

    async fn stake_positions(
        &self,
        coldkey: AccountId,
    ) -> Result<Vec<StakePositionView>, ErrorObjectOwned> {
        self.read(move |s, _, _| query::positions(s, &coldkey))
            .await
    }

    async fn root_validators(&self) -> Result<Vec<RootValidatorView>, ErrorObjectOwned> {
        self.read(|s, _, p| query::root_validators(s, p)).await
    }
}

/// Describes every `subnets_*` method for the node's OpenRPC document.
pub fn rpc_doc() -> Vec<MethodDoc> {
    let ns = "subnets";
    vec![
        MethodDoc::new(
            ns,
            "list",
            "Every subnet (root excluded) with pool, price and counts.",
        )
        .returns::<Vec<SubnetView>>("subnets"),
        MethodDoc::new(ns, "info", "One subnet, or null when it does not exist.")
            .param::<NetUid>("netuid", "Subnet id (0 = root).")
            .returns::<Option<SubnetView>>("subnet"),
        MethodDoc::new(ns, "hyperparams", "A subnet's hyperparameters, or null.")
            .param::<NetUid>("netuid", "Subnet id.")
            .returns::<Option<SubnetHyperparams>>("hyperparams"),
        MethodDoc::new(
            ns,
            "burnCost",
            "What registering a neuron burns now, or null.",
        )
        .param::<NetUid>("netuid", "Subnet id.")
        .returns::<Option<Balance>>("burn"),
        MethodDoc::new(ns, "networkLockCost", "What creating a subnet locks now.")
            .returns::<Balance>("lock"),
        MethodDoc::new(
            ns,
            "params",
            "The chain-wide subnet parameters (from genesis).",
        )
        .returns::<SubnetParams>("params"),
        MethodDoc::new(
            ns,
            "metagraph",
            "Every neuron of a subnet with its scores, or null.",
        )
        .param::<NetUid>("netuid", "Subnet id.")
        .returns::<Option<Metagraph>>("metagraph"),
        MethodDoc::new(ns, "pool", "A subnet's pool reserves and price, or null.")
            .param::<NetUid>("netuid", "Subnet id.")
            .returns::<Option<PoolView>>("pool"),
        MethodDoc::new(
            ns,
            "stakePositions",
            "A coldkey's stake positions on every subnet.",
        )
        .param::<AccountId>("coldkey", "The staking coldkey.")
        .returns::<Vec<StakePositionView>>("positions"),
        MethodDoc::new(
            ns,
            "rootValidators",
            "Root-network validators with their root stake.",
        )
        .returns::<Vec<RootValidatorView>>("validators"),
    ]
}
