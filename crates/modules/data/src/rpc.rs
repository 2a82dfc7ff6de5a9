//! The `data` JSON-RPC namespace over the newest committed state, and [`rpc_doc`].

use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use serde::{Deserialize, Serialize};
use synod_data_crypto::KeyEnvelope;
use synod_module::rpc::{INVALID_PARAMS, invalid};
use synod_module::{MethodDoc, read_latest};
use synod_primitives::AccountId;
use synod_storage::Store;

use crate::query::{
    self, EmissionView, FileView, GrantView, IndexEntry, JobView, PoolView, StakeView,
};
use crate::state::{KeyRecord, ProofRecord, WorkerEntry};
use crate::{DataGenesis, FileId, JobId, PoolId};

/// The module's chain parameters, as served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DataParams {
    /// The genesis section.
    #[serde(flatten)]
    pub genesis: DataGenesis,
    /// Blocks a pool parameter change waits (the tokens module's admin timelock).
    pub timelock_blocks: u64,
}

/// The `data` namespace.
#[rpc(server, client, namespace = "data")]
pub trait DataApi {
    /// The module's parameters.
    #[method(name = "params")]
    async fn params(&self) -> Result<DataParams, ErrorObjectOwned>;

    /// An account's registered data key (`null` if none).
    #[method(name = "key")]
    async fn key(&self, account: AccountId) -> Result<Option<KeyRecord>, ErrorObjectOwned>;

    /// A file by id (`null` if none).
    #[method(name = "file")]
    async fn file(&self, file: FileId) -> Result<Option<FileView>, ErrorObjectOwned>;

    /// The file registered with a url (`null` if none).
    #[method(name = "fileByUrl")]
    async fn file_by_url(&self, url: String) -> Result<Option<FileView>, ErrorObjectOwned>;

    /// An owner's files in id order, after `after` (at most 256).
    #[method(name = "files")]
    async fn files(
        &self,
        owner: AccountId,
        after: Option<FileId>,
    ) -> Result<Vec<FileView>, ErrorObjectOwned>;

    /// The key envelope of a file for an account (`null` if none).
    #[method(name = "envelope")]
    async fn envelope(
        &self,
        file: FileId,
        account: AccountId,
    ) -> Result<Option<KeyEnvelope>, ErrorObjectOwned>;

    /// Every key envelope an account holds (at most 256).
    #[method(name = "envelopes")]
    async fn envelopes(&self, account: AccountId) -> Result<Vec<GrantView>, ErrorObjectOwned>;

    /// A file's proofs, oldest first.
    #[method(name = "proofs")]
    async fn proofs(&self, file: FileId) -> Result<Vec<ProofRecord>, ErrorObjectOwned>;

    /// A pool by id (`null` if none).
    #[method(name = "pool")]
    async fn pool(&self, pool: PoolId) -> Result<Option<PoolView>, ErrorObjectOwned>;

    /// A pool by name (`null` if none).
    #[method(name = "poolByName")]
    async fn pool_by_name(&self, name: String) -> Result<Option<PoolView>, ErrorObjectOwned>;

    /// Every pool (at most 256).
    #[method(name = "pools")]
    async fn pools(&self) -> Result<Vec<PoolView>, ErrorObjectOwned>;

    /// A pool's worker set.
    #[method(name = "workers")]
    async fn workers(&self, pool: PoolId) -> Result<Vec<WorkerEntry>, ErrorObjectOwned>;

    /// A job (`null` if none).
    #[method(name = "job")]
    async fn job(&self, job: JobId) -> Result<Option<JobView>, ErrorObjectOwned>;

    /// The open jobs a worker is drawn for.
    #[method(name = "jobsOf")]
    async fn jobs_of(&self, worker: AccountId) -> Result<Vec<JobView>, ErrorObjectOwned>;

    /// Entries of a pool's uniqueness index from `from` (at most 256).
    #[method(name = "index")]
    async fn index(
        &self,
        pool: PoolId,
        from: u64,
        limit: u64,
    ) -> Result<Vec<IndexEntry>, ErrorObjectOwned>;

    /// A stake on a pool and what it can claim.
    #[method(name = "stake")]
    async fn stake(&self, pool: PoolId, staker: AccountId) -> Result<StakeView, ErrorObjectOwned>;

    /// Emission waiting for the next epoch's split.
    #[method(name = "emission")]
    async fn emission(&self) -> Result<EmissionView, ErrorObjectOwned>;
}

/// Serves [`DataApiServer`] from a store.
#[derive(Clone)]
pub struct DataRpc {
    /// The node's database.
    pub store: Store,
    /// The module's parameters.
    pub params: DataParams,
}

#[jsonrpsee::core::async_trait]
impl DataApiServer for DataRpc {
    async fn params(&self) -> Result<DataParams, ErrorObjectOwned> {
        Ok(self.params.clone())
    }

    async fn key(&self, account: AccountId) -> Result<Option<KeyRecord>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| crate::state::data_key(s, &account)).await
    }

    async fn file(&self, file: FileId) -> Result<Option<FileView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::file(s, file)).await
    }

    async fn file_by_url(&self, url: String) -> Result<Option<FileView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::file_by_url(s, &url)).await
    }

    async fn files(
        &self,
        owner: AccountId,
        after: Option<FileId>,
    ) -> Result<Vec<FileView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::files_of(s, &owner, after)).await
    }

    async fn envelope(
        &self,
        file: FileId,
        account: AccountId,
    ) -> Result<Option<KeyEnvelope>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| {
            crate::state::envelope(s, file, &account)
        })
        .await
    }

    async fn envelopes(&self, account: AccountId) -> Result<Vec<GrantView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::grants_of(s, &account)).await
    }

    async fn proofs(&self, file: FileId) -> Result<Vec<ProofRecord>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::proofs(s, file)).await
    }

    async fn pool(&self, pool: PoolId) -> Result<Option<PoolView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::pool(s, pool)).await
    }

    async fn pool_by_name(&self, name: String) -> Result<Option<PoolView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::pool_by_name(s, &name)).await
    }

    async fn pools(&self) -> Result<Vec<PoolView>, ErrorObjectOwned> {
        read_latest(&self.store, |s, _| query::pools(s)).await
    }

    async fn workers(&self, pool: PoolId) -> Result<Vec<WorkerEntry>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::workers(s, pool)).await
    }

    async fn job(&self, job: JobId) -> Result<Option<JobView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::job(s, job)).await
    }

    async fn jobs_of(&self, worker: AccountId) -> Result<Vec<JobView>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::jobs_of(s, &worker)).await
    }

    async fn index(
        &self,
        pool: PoolId,
        from: u64,
        limit: u64,
    ) -> Result<Vec<IndexEntry>, ErrorObjectOwned> {
        if limit == 0 {
            return Err(invalid("limit must be positive"));
        }
        read_latest(&self.store, move |s, _| query::index(s, pool, from, limit)).await
    }

    async fn stake(&self, pool: PoolId, staker: AccountId) -> Result<StakeView, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| query::stake(s, pool, &staker)).await
    }

    async fn emission(&self) -> Result<EmissionView, ErrorObjectOwned> {
        let epoch_blocks = self.params.genesis.epoch_blocks;
        read_latest(&self.store, move |s, h| query::emission(s, h, epoch_blocks)).await
    }
}

/// A description of every method, for `rpc.discover`.
pub fn rpc_doc() -> Vec<MethodDoc> {
    let ns = crate::NAME;
    vec![
        MethodDoc::new(
            ns,
            "params",
            "The module's genesis parameters and the pool-update timelock.",
        )
        .returns::<DataParams>("params"),
        MethodDoc::new(
            ns,
            "key",
            "An account's registered data key (X25519), with its sequence.",
        )
        .param::<AccountId>("account", "The account.")
        .returns::<Option<KeyRecord>>("key"),
        MethodDoc::new(
            ns,
            "file",
            "A registered file: owner, url, ciphertext hash and size, schema, proofs.",
        )
        .param::<FileId>("file", "The file id.")
        .returns::<Option<FileView>>("file"),
        MethodDoc::new(ns, "fileByUrl", "The file registered with a url.")
            .param::<String>("url", "The url.")
            .returns::<Option<FileView>>("file"),
        MethodDoc::new(
            ns,
            "files",
            "An owner's files in id order (at most 256 per call).",
        )
        .param::<AccountId>("owner", "The owner.")
        .param::<Option<FileId>>("after", "Only files with a larger id (pagination).")
        .returns::<Vec<FileView>>("files"),
        MethodDoc::new(
            ns,
            "envelope",
            "The file key of a file sealed to an account, if granted.",
        )
        .param::<FileId>("file", "The file id.")
        .param::<AccountId>("account", "The grantee.")
        .returns::<Option<KeyEnvelope>>("envelope"),
        MethodDoc::new(
            ns,
            "envelopes",
            "Every key envelope an account holds (at most 256).",
        )
        .param::<AccountId>("account", "The grantee.")
        .returns::<Vec<GrantView>>("grants"),
        MethodDoc::new(
            ns,
            "proofs",
            "A file's accepted proofs of contribution, oldest first.",
        )
        .param::<FileId>("file", "The file id.")
        .returns::<Vec<ProofRecord>>("proofs"),
        MethodDoc::new(
            ns,
            "pool",
            "A data pool with its parameters, counters and treasury.",
        )
        .param::<PoolId>("pool", "The pool id.")
        .returns::<Option<PoolView>>("pool"),
        MethodDoc::new(ns, "poolByName", "A data pool by its unique name.")
            .param::<String>("name", "The name.")
            .returns::<Option<PoolView>>("pool"),
        MethodDoc::new(ns, "pools", "Every data pool (at most 256).")
            .returns::<Vec<PoolView>>("pools"),
        MethodDoc::new(
            ns,
            "workers",
            "A pool's worker set: bonds, open jobs, misses.",
        )
        .param::<PoolId>("pool", "The pool id.")
        .returns::<Vec<WorkerEntry>>("workers"),
        MethodDoc::new(
            ns,
            "job",
            "A proof-of-contribution job: status, drawn workers, posted scores, deadline.",
        )
        .param::<JobId>("job", "The job id.")
        .returns::<Option<JobView>>("job"),
        MethodDoc::new(ns, "jobsOf", "The open jobs a worker is drawn for.")
            .param::<AccountId>("worker", "The worker.")
            .returns::<Vec<JobView>>("jobs"),
        MethodDoc::new(
            ns,
            "index",
            "Entries of a pool's uniqueness index (accepted metadata).",
        )
        .param::<PoolId>("pool", "The pool id.")
        .param::<u64>("from", "First entry (from 0).")
        .param::<u64>("limit", "Most entries (at most 256).")
        .returns::<Vec<IndexEntry>>("entries")
        .error(INVALID_PARAMS, "limit is 0"),
        MethodDoc::new(
            ns,
            "stake",
            "A stake on a pool and the rewards it can claim.",
        )
        .param::<PoolId>("pool", "The pool id.")
        .param::<AccountId>("staker", "The staker.")
        .returns::<StakeView>("stake"),
        MethodDoc::new(
            ns,
            "emission",
            "Data-pool emission waiting for the epoch's split.",
        )
        .returns::<EmissionView>("emission"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_served_method_is_described_and_every_description_is_served() {
        let module = DataRpc {
            store: Store::in_memory().expect("store"),
            params: DataParams {
                genesis: DataGenesis::default(),
                timelock_blocks: 1,
            },
        }
        .into_rpc();
        let served: BTreeSet<String> = module.method_names().map(str::to_owned).collect();
        let described: BTreeSet<String> = rpc_doc().into_iter().map(|d| d.name).collect();
        assert_eq!(served, described);
    }
}
