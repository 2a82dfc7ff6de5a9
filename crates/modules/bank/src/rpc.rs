//! The `bank_*` JSON-RPC namespace. An account's balance and nonce stay a chain method
//! (`synod_getAccount`), since every wallet needs the nonce to sign.

use jsonrpsee::core::async_trait;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use synod_module::MethodDoc;
use synod_module::rpc::read_latest;
use synod_primitives::{AccountId, Balance};
use synod_storage::Store;

/// The bank's methods (`bank_*`).
#[rpc(server, client, namespace = "bank")]
pub trait BankApi {
    /// Total SYN issuance in base units (the sum of every balance, module accounts included).
    #[method(name = "totalIssuance")]
    async fn total_issuance(&self) -> Result<Balance, ErrorObjectOwned>;

    /// The hotkeys bound to a coldkey.
    #[method(name = "hotkeys")]
    async fn hotkeys(&self, coldkey: AccountId) -> Result<Vec<AccountId>, ErrorObjectOwned>;
}

/// Serves [`BankApiServer`] from the node's store.
#[derive(Clone)]
pub struct BankRpc {
    store: Store,
}

impl BankRpc {
    /// The namespace over `store`.
    pub fn new(store: Store) -> Self {
        BankRpc { store }
    }
}

/// Most hotkeys listed for one coldkey.
const MAX_HOTKEYS: usize = 4096;

#[async_trait]
impl BankApiServer for BankRpc {
    async fn total_issuance(&self) -> Result<Balance, ErrorObjectOwned> {
        read_latest(&self.store, |s, _| crate::issuance(s)).await
    }

    async fn hotkeys(&self, coldkey: AccountId) -> Result<Vec<AccountId>, ErrorObjectOwned> {
        read_latest(&self.store, move |s, _| {
            let prefix = crate::owned_prefix(&coldkey);
            let entries = s.scan_prefix(&prefix, MAX_HOTKEYS)?;
            Ok(entries
                .into_iter()
                .filter_map(|(k, _)| {
                    let tail: [u8; 32] = k.get(prefix.len()..)?.try_into().ok()?;
                    Some(AccountId(tail))
                })
                .collect())
        })
        .await
    }
}

/// Describes every `bank_*` method for the node's OpenRPC document.
pub fn rpc_doc() -> Vec<MethodDoc> {
    vec![
        MethodDoc::new("bank", "totalIssuance", "Total SYN issuance in base units.")
            .returns::<Balance>("issuance"),
        MethodDoc::new("bank", "hotkeys", "The hotkeys bound to a coldkey.")
            .param::<AccountId>("coldkey", "The owning coldkey.")
            .returns::<Vec<AccountId>>("hotkeys"),
    ]
}
