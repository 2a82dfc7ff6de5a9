//! The `assets` and `attribution` JSON-RPC namespaces: the [`crate::query`] views over the
//! newest committed state, and [`rpc_doc`], the description of every method for `rpc.discover`.
//!
//! Amounts are decimal strings, accounts and hashes `0x`-prefixed hex. A method naming an asset
//! or commitment that does not exist answers `null` where its result is optional and error
//! [`NOT_FOUND`] otherwise.

use crate::AssetsGenesis;
use crate::query::{
    self, AssetPage, AssetView, ClaimView, CommitmentView, ContributionsView, LicenceView,
    LineageView, MAX_DEPTH, MAX_PAGE, OfferView, SplitPreview, VaultView, VersionView, WorkerView,
};
use crate::wire::{Amount, AssetId, CommitmentId, Currency};
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use synod_module::rpc::{INVALID_PARAMS, NOT_FOUND, invalid};
use synod_module::{MethodDoc, read_latest};
use synod_primitives::AccountId;
use synod_storage::Store;

/// Decimal string for amounts (u128 does not fit a JSON number).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct AmountParam(
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub Amount,
);

/// The `assets` namespace.
#[rpc(server, client, namespace = "assets")]
pub trait AssetsApi {
    /// An asset by id (`null` if none).
    #[method(name = "get")]
    async fn get(&self, asset: AssetId) -> Result<Option<AssetView>, ErrorObjectOwned>;

    /// A page of assets in id order.
    #[method(name = "list")]
    async fn list(
        &self,
        after: Option<AssetId>,
        limit: Option<u32>,
    ) -> Result<AssetPage, ErrorObjectOwned>;

    /// The assets an account owns.
    #[method(name = "byOwner")]
    async fn by_owner(&self, owner: AccountId) -> Result<Vec<AssetView>, ErrorObjectOwned>;

    /// An asset's versions.
    #[method(name = "versions")]
    async fn versions(&self, asset: AssetId) -> Result<Vec<VersionView>, ErrorObjectOwned>;

    /// Ancestors up to a depth.
    #[method(name = "ancestors")]
    async fn ancestors(
        &self,
        asset: AssetId,
        depth: Option<u32>,
    ) -> Result<LineageView, ErrorObjectOwned>;

    /// Descendants up to a depth.
    #[method(name = "descendants")]
    async fn descendants(
        &self,
        asset: AssetId,
        depth: Option<u32>,
    ) -> Result<LineageView, ErrorObjectOwned>;

    /// An asset's licence offers.
    #[method(name = "offers")]
    async fn offers(&self, asset: AssetId) -> Result<Vec<OfferView>, ErrorObjectOwned>;

    /// The licences an account holds.
    #[method(name = "licences")]
    async fn licences(&self, holder: AccountId) -> Result<Vec<LicenceView>, ErrorObjectOwned>;

    /// What an account may claim, vault by vault.
    #[method(name = "claimable")]
    async fn claimable(&self, account: AccountId) -> Result<Vec<ClaimView>, ErrorObjectOwned>;

    /// An asset's vault balance in a currency (default SYN).
    #[method(name = "vault")]
    async fn vault(
        &self,
        asset: AssetId,
        currency: Option<Currency>,
    ) -> Result<VaultView, ErrorObjectOwned>;

    /// What a payment would credit now.
    #[method(name = "splitPreview")]
    async fn split_preview(
        &self,
        asset: AssetId,
        amount: AmountParam,
    ) -> Result<SplitPreview, ErrorObjectOwned>;

    /// An asset's contribution records (`null` if none).
    #[method(name = "contributions")]
    async fn contributions(
        &self,
        asset: AssetId,
    ) -> Result<Option<ContributionsView>, ErrorObjectOwned>;
}

/// The `attribution` namespace.
#[rpc(server, client, namespace = "attribution")]
pub trait AttributionApi {
    /// A commitment by id (`null` if none).
    #[method(name = "commitment")]
    async fn commitment(
        &self,
        commitment: CommitmentId,
    ) -> Result<Option<CommitmentView>, ErrorObjectOwned>;

    /// The bonded workers.
    #[method(name = "workers")]
    async fn workers(&self) -> Result<Vec<WorkerView>, ErrorObjectOwned>;

    /// The module's genesis parameters.
    #[method(name = "params")]
    async fn params(&self) -> Result<AssetsGenesis, ErrorObjectOwned>;
}

/// Serves both namespaces from a store.
#[derive(Clone)]
pub struct AssetsRpc {
    /// The node's database.
    pub store: Store,
    /// The module's genesis section.
    pub genesis: AssetsGenesis,
}

/// Both namespaces' methods.
pub fn methods(store: Store, genesis: AssetsGenesis) -> jsonrpsee::Methods {
    let rpc = AssetsRpc { store, genesis };
    let mut m = jsonrpsee::RpcModule::new(());
    // The two traits' method names are in different namespaces, so they cannot collide.
    let _ = m.merge(AssetsApiServer::into_rpc(rpc.clone()));
    let _ = m.merge(AttributionApiServer::into_rpc(rpc));
    m.into()
}

fn no_asset(asset: AssetId) -> ErrorObjectOwned {
    ErrorObject::owned(
        NOT_FOUND,
        format!("asset {asset} does not exist"),
        None::<()>,
    )
}

#[jsonrpsee::core::async_trait]
impl AssetsApiServer for AssetsRpc {
    async fn get(&self, asset: AssetId) -> Result<Option<AssetView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::asset(s, asset)).await
    }

    async fn list(
        &self,
        after: Option<AssetId>,
        limit: Option<u32>,
    ) -> Result<AssetPage, ErrorObjectOwned> {
        let limit = limit.unwrap_or(MAX_PAGE);
        read_latest(&self.store, move |s, _| query::list(s, after, limit)).await
    }

    async fn by_owner(&self, owner: AccountId) -> Result<Vec<AssetView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::by_owner(s, &owner)).await
    }

    async fn versions(&self, asset: AssetId) -> Result<Vec<VersionView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::versions(s, asset))
            .await?
            .ok_or_else(|| no_asset(asset))
    }

    async fn ancestors(
        &self,
        asset: AssetId,
        depth: Option<u32>,
    ) -> Result<LineageView, ErrorObjectOwned> {
        let depth = depth.unwrap_or(MAX_DEPTH);
        read_latest(&self.store, move |s, _| query::ancestors(s, asset, depth))
            .await?
            .ok_or_else(|| no_asset(asset))
    }

    async fn descendants(
        &self,
        asset: AssetId,
        depth: Option<u32>,
    ) -> Result<LineageView, ErrorObjectOwned> {
        let depth = depth.unwrap_or(MAX_DEPTH);
        read_latest(&self.store, move |s, _| query::descendants(s, asset, depth))
            .await?
            .ok_or_else(|| no_asset(asset))
    }

    async fn offers(&self, asset: AssetId) -> Result<Vec<OfferView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::offers(s, asset))
            .await?
            .ok_or_else(|| no_asset(asset))
    }

    async fn licences(&self, holder: AccountId) -> Result<Vec<LicenceView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, h| query::licences(s, &holder, h)).await
    }

    async fn claimable(&self, account: AccountId) -> Result<Vec<ClaimView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::claimable(s, &account)).await
    }

    async fn vault(
        &self,
        asset: AssetId,
        currency: Option<Currency>,
    ) -> Result<VaultView, ErrorObjectOwned> {
        let currency = currency.unwrap_or(Currency::Syn);
        read_latest(&self.store, move |s, _| query::vault(s, asset, currency))
            .await?
            .ok_or_else(|| no_asset(asset))
    }

    async fn split_preview(
        &self,
        asset: AssetId,
        amount: AmountParam,
    ) -> Result<SplitPreview, ErrorObjectOwned> {
        let g = self.genesis;
        read_latest(&self.store, move |s, _| {
            query::split_preview(s, &g, asset, amount.0)
        })
        .await?
        .map_err(invalid)
    }

    async fn contributions(
        &self,
        asset: AssetId,
    ) -> Result<Option<ContributionsView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::contributions(s, asset)).await
    }
}

#[jsonrpsee::core::async_trait]
impl AttributionApiServer for AssetsRpc {
    async fn commitment(
        &self,
        commitment: CommitmentId,
    ) -> Result<Option<CommitmentView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::commitment(s, commitment)).await
    }

    async fn workers(&self) -> Result<Vec<WorkerView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::workers(s)).await
    }

    async fn params(&self) -> Result<AssetsGenesis, ErrorObjectOwned> {
        Ok(self.genesis)
    }
}

/// A description of every method, for `rpc.discover`.
pub fn rpc_doc() -> Vec<MethodDoc> {
    let ns = crate::NAME;
    let at = crate::ATTRIBUTION_NAMESPACE;
    let no_asset = "the asset does not exist";
    vec![
        MethodDoc::new(ns, "get", "An asset by id.")
            .param::<AssetId>("asset", "Asset id.")
            .returns::<Option<AssetView>>("asset"),
        MethodDoc::new(ns, "list", "Assets in id order, one page at a time.")
            .optional::<AssetId>("after", "Return assets with ids above this.")
            .optional::<u32>("limit", "Page size, 1 to 100 (default 100).")
            .returns::<AssetPage>("page"),
        MethodDoc::new(ns, "byOwner", "The assets an account owns (at most 256).")
            .param::<AccountId>("owner", "The owner.")
            .returns::<Vec<AssetView>>("assets"),
        MethodDoc::new(ns, "versions", "An asset's versions (the newest 256).")
            .param::<AssetId>("asset", "Asset id.")
            .returns::<Vec<VersionView>>("versions")
            .error(NOT_FOUND, no_asset),
        MethodDoc::new(
            ns,
            "ancestors",
            "The assets upstream of an asset, breadth first, up to a depth (at most 64).",
        )
        .param::<AssetId>("asset", "Asset id.")
        .optional::<u32>("depth", "Most edges walked (default 64).")
        .returns::<LineageView>("lineage")
        .error(NOT_FOUND, no_asset),
        MethodDoc::new(
            ns,
            "descendants",
            "The assets derived from an asset, breadth first, up to a depth (at most 64).",
        )
        .param::<AssetId>("asset", "Asset id.")
        .optional::<u32>("depth", "Most edges walked (default 64).")
        .returns::<LineageView>("lineage")
        .error(NOT_FOUND, no_asset),
        MethodDoc::new(ns, "offers", "An asset's licence offers.")
            .param::<AssetId>("asset", "Asset id.")
            .returns::<Vec<OfferView>>("offers")
            .error(NOT_FOUND, no_asset),
        MethodDoc::new(
            ns,
            "licences",
            "The licences an account holds (at most 256).",
        )
        .param::<AccountId>("holder", "The holder.")
        .returns::<Vec<LicenceView>>("licences"),
        MethodDoc::new(
            ns,
            "claimable",
            "What an account may claim, vault by vault (at most 256).",
        )
        .param::<AccountId>("account", "The beneficiary.")
        .returns::<Vec<ClaimView>>("claims"),
        MethodDoc::new(ns, "vault", "An asset's vault balance in one currency.")
            .param::<AssetId>("asset", "Asset id.")
            .optional::<Currency>("currency", "\"syn\" (default) or {\"token\": id}.")
            .returns::<VaultView>("vault")
            .error(NOT_FOUND, no_asset),
        MethodDoc::new(
            ns,
            "splitPreview",
            "What a payment of an amount to an asset would credit now, per vault and account, \
             and the work it takes (the least work_bound that pays it).",
        )
        .param::<AssetId>("asset", "Asset id.")
        .param::<AmountParam>("amount", "Amount, a decimal string.")
        .returns::<SplitPreview>("preview")
        .error(
            INVALID_PARAMS,
            "the asset does not exist or its lineage is too large",
        ),
        MethodDoc::new(ns, "contributions", "An asset's contribution records.")
            .param::<AssetId>("asset", "Asset id.")
            .returns::<Option<ContributionsView>>("contributions"),
        MethodDoc::new(
            at,
            "commitment",
            "An attribution commitment with its challenge, jury and outcome.",
        )
        .param::<CommitmentId>("commitment", "Commitment id.")
        .returns::<Option<CommitmentView>>("commitment"),
        MethodDoc::new(
            at,
            "workers",
            "Workers bonded to recompute challenged attributions.",
        )
        .returns::<Vec<WorkerView>>("workers"),
        MethodDoc::new(at, "params", "The assets module's genesis parameters.")
            .returns::<AssetsGenesis>("params"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_served_method_is_described_and_every_description_is_served() {
        let methods = methods(Store::in_memory().expect("store"), AssetsGenesis::dev(20));
        let served: BTreeSet<String> = methods.method_names().map(str::to_owned).collect();
        let described: BTreeSet<String> = rpc_doc().into_iter().map(|d| d.name).collect();
        assert_eq!(served, described);
        assert!(served.contains("attribution_commitment"), "{served:?}");
    }
}
