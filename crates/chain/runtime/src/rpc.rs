//! The modules' JSON-RPC namespaces, merged in module order, and their descriptions.

use jsonrpsee::RpcModule;
use synod_bank::rpc::{BankApiServer, BankRpc};
use synod_module::MethodDoc;
use synod_storage::Store;
use synod_subnets::rpc::{SubnetsApiServer, SubnetsRpc};
use synod_tokens::rpc::{TokensApiServer, TokensRpc};
use synod_validators::rpc::{ValidatorsApiServer, ValidatorsRpc};

use crate::Genesis;

/// Every module's methods (`bank_*`, `subnets_*`, `validators_*`, `tokens_*`), served from
/// `store` for the chain of `genesis`.
pub fn module_rpc(store: &Store, genesis: &Genesis) -> Result<RpcModule<()>, RpcMergeError> {
    let mut all = RpcModule::new(());
    all.merge(BankRpc::new(store.clone()).into_rpc())?;
    all.merge(SubnetsRpc::new(store.clone(), genesis.subnets.clone()).into_rpc())?;
    all.merge(ValidatorsRpc::new(store.clone(), genesis.staking).into_rpc())?;
    all.merge(
        TokensRpc {
            store: store.clone(),
            genesis: genesis.tokens,
        }
        .into_rpc(),
    )?;
    Ok(all)
}

/// The descriptions of every module method, in module order.
pub fn module_rpc_doc() -> Vec<MethodDoc> {
    let mut docs = synod_bank::rpc::rpc_doc();
    docs.extend(synod_subnets::rpc::rpc_doc());
    docs.extend(synod_validators::rpc::rpc_doc());
    docs.extend(synod_tokens::rpc::rpc_doc());
    docs
}

/// Two modules registered the same method name.
pub type RpcMergeError = jsonrpsee::core::RegisterMethodError;
