//! The `subnets_*` JSON-RPC namespace: read views of the subnet economy over the newest
//! committed state.

use crate::params::{Params, SubnetHyperparams, SubnetParams};
use crate::query::{
    self, CommitView, Metagraph, PoolView, QuoteError, QuoteSide, RootValidatorView,
    StakePositionView, SubnetView, SwapQuote,
};
use crate::wire::{NetUid, Uid};
use jsonrpsee::core::async_trait;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use std::sync::Arc;
use synod_module::MethodDoc;
use synod_module::rpc::{INVALID_PARAMS, internal, invalid, read_at, read_latest};
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
    /// emission, axon), or null; after block `block` when given (any committed block).
    #[method(name = "metagraph")]
    async fn metagraph(
        &self,
        netuid: NetUid,
        block: Option<u64>,
    ) -> Result<Option<Metagraph>, ErrorObjectOwned>;

    /// The UID of a hotkey on a subnet, or null; after block `block` when given.
    #[method(name = "uid")]
    async fn uid(
        &self,
        netuid: NetUid,
        hotkey: AccountId,
        block: Option<u64>,
    ) -> Result<Option<Uid>, ErrorObjectOwned>;

    /// A hotkey's unrevealed weight commits on a subnet, with their reveal epochs.
    #[method(name = "commits")]
    async fn commits(
        &self,
        netuid: NetUid,
        hotkey: AccountId,
    ) -> Result<Vec<CommitView>, ErrorObjectOwned>;

    /// What staking `amount` SYN (`stake`) or unstaking `amount` alpha (`unstake`) on a subnet
    /// would give now, with the price before and after and the price impact.
    #[method(name = "quote")]
    async fn quote(
        &self,
        netuid: NetUid,
        side: QuoteSide,
        amount: Balance,
    ) -> Result<SwapQuote, ErrorObjectOwned>;

    /// A subnet's pool reserves and price, or null.
    #[method(name = "pool")]
    async fn subnet_pool(&self, netuid: NetUid) -> Result<Option<PoolView>, ErrorObjectOwned>;

    /// A coldkey's stake positions on every subnet; after block `block` when given.
    #[method(name = "stakePositions")]
    async fn stake_positions(
        &self,
        coldkey: AccountId,
        block: Option<u64>,
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

    async fn metagraph(
        &self,
        netuid: NetUid,
        block: Option<u64>,
    ) -> Result<Option<Metagraph>, ErrorObjectOwned> {
        let params = self.params.clone();
        read_at(&self.store, block, move |s, h| {
            query::metagraph(s, netuid, h, &params)
        })
        .await
    }

    async fn uid(
        &self,
        netuid: NetUid,
        hotkey: AccountId,
        block: Option<u64>,
    ) -> Result<Option<Uid>, ErrorObjectOwned> {
        read_at(&self.store, block, move |s, _| {
            query::uid_of(s, netuid, &hotkey)
        })
        .await
    }

    async fn commits(
        &self,
        netuid: NetUid,
        hotkey: AccountId,
    ) -> Result<Vec<CommitView>, ErrorObjectOwned> {
        self.read(move |s, _, _| query::commits(s, netuid, &hotkey))
            .await
    }

    async fn quote(
        &self,
        netuid: NetUid,
        side: QuoteSide,
        amount: Balance,
    ) -> Result<SwapQuote, ErrorObjectOwned> {
        self.read(move |s, _, p| Ok(query::quote(s, netuid, side, amount, p)))
            .await?
            .map_err(|e| match e {
                QuoteError::State(e) => internal(e),
                e => invalid(e.to_string()),
            })
    }

    async fn subnet_pool(&self, netuid: NetUid) -> Result<Option<PoolView>, ErrorObjectOwned> {
        self.read(move |s, _, _| query::pool(s, netuid)).await
    }

    async fn stake_positions(
        &self,
        coldkey: AccountId,
        block: Option<u64>,
    ) -> Result<Vec<StakePositionView>, ErrorObjectOwned> {
        read_at(&self.store, block, move |s, _| {
            query::positions(s, &coldkey)
        })
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
        .optional::<u64>(
            "block",
            "A committed block: the metagraph as it was after it.",
        )
        .returns::<Option<Metagraph>>("metagraph"),
        MethodDoc::new(ns, "uid", "The UID of a hotkey on a subnet, or null.")
            .param::<NetUid>("netuid", "Subnet id.")
            .param::<AccountId>("hotkey", "The neuron's hotkey.")
            .optional::<u64>("block", "A committed block: the UID as it was after it.")
            .returns::<Option<Uid>>("uid"),
        MethodDoc::new(
            ns,
            "commits",
            "A hotkey's unrevealed weight commits with their reveal epochs and status.",
        )
        .param::<NetUid>("netuid", "Subnet id.")
        .param::<AccountId>("hotkey", "The committing hotkey.")
        .returns::<Vec<CommitView>>("commits"),
        MethodDoc::new(
            ns,
            "quote",
            "What staking SYN or unstaking alpha would give now: output, prices, impact.",
        )
        .param::<NetUid>("netuid", "Subnet id (0 = root, 1:1).")
        .param::<QuoteSide>("side", "`stake` (SYN in) or `unstake` (alpha in).")
        .param::<Balance>("amount", "Base units going in.")
        .returns::<SwapQuote>("quote")
        .error(
            INVALID_PARAMS,
            "no such subnet, not started, or the pool cannot fill it",
        ),
        MethodDoc::new(ns, "pool", "A subnet's pool reserves and price, or null.")
            .param::<NetUid>("netuid", "Subnet id.")
            .returns::<Option<PoolView>>("pool"),
        MethodDoc::new(
            ns,
            "stakePositions",
            "A coldkey's stake positions on every subnet.",
        )
        .param::<AccountId>("coldkey", "The staking coldkey.")
        .optional::<u64>(
            "block",
            "A committed block: the positions as they were after it.",
        )
        .returns::<Vec<StakePositionView>>("positions"),
        MethodDoc::new(
            ns,
            "rootValidators",
            "Root-network validators with their root stake.",
        )
        .returns::<Vec<RootValidatorView>>("validators"),
    ]
}
