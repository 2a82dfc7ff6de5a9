//! The JSON-RPC API and its JSON types.

use jsonrpsee::core::SubscriptionResult;
use jsonrpsee::proc_macros::rpc;
use serde::{Deserialize, Serialize};
use synod_primitives::{AccountId, Balance, Hash, Header, Height, Nonce};
use synod_runtime::{Call, Event, Receipt, SignedTransaction};

/// A block by height, hash, or tag. JSON: a number, `"0x…"` hash, `"latest"` or `"finalized"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum BlockId {
    /// By height.
    Height(Height),
    /// `0x` hash, `latest`, `finalized`, or a decimal height as a string.
    Text(String),
}

/// A transaction as shown over RPC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TxJson {
    /// Transaction hash.
    pub hash: Hash,
    /// Sender.
    pub sender: AccountId,
    /// Nonce.
    pub nonce: Nonce,
    /// Fee offered (and charged).
    pub fee: Balance,
    /// The call.
    pub call: Call,
}

impl From<&SignedTransaction> for TxJson {
    fn from(t: &SignedTransaction) -> Self {
        TxJson {
            hash: t.hash(),
            sender: t.tx.sender,
            nonce: t.tx.nonce,
            fee: t.tx.fee,
            call: t.tx.call.clone(),
        }
    }
}

/// A block as shown over RPC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BlockJson {
    /// Block hash.
    pub hash: Hash,
    /// Header.
    pub header: Header,
    /// Transactions in order.
    pub transactions: Vec<TxJson>,
}

/// Chain heads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Heads {
    /// Newest finalized (and committed) block height.
    pub finalized_height: Height,
    /// Its hash.
    pub finalized_hash: Hash,
    /// Newest block this node has executed (finalized or not).
    pub latest_height: Height,
}

/// An account's balance and nonce.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccountJson {
    /// The account.
    pub account: AccountId,
    /// Free balance in base units.
    pub balance: Balance,
    /// Next nonce.
    pub nonce: Nonce,
    /// Height the values were read at.
    pub height: Height,
    /// The coldkey owning this account as a hotkey, if bound.
    pub hotkey_owner: Option<AccountId>,
}

/// Outcome of submitting one transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SubmitResult {
    /// Admitted to the pool.
    Accepted {
        /// Transaction hash.
        hash: Hash,
    },
    /// Refused, with the reason.
    Rejected {
        /// Machine-readable kind, e.g. `stale_nonce`.
        kind: String,
        /// Human-readable reason.
        message: String,
    },
}

/// Where a transaction is.
// An answer built once per query: the size of its largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxStatus {
    /// Waiting in this node's pool.
    Pending,
    /// Included in a finalized block.
    Finalized {
        /// Its receipt.
        receipt: Receipt,
    },
    /// Not known to this node.
    Unknown,
}

/// A state value, optionally with a proof against a finalized header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StateValueJson {
    /// Key, hex.
    pub key: String,
    /// Value, hex, or null when absent.
    pub value: Option<String>,
    /// Height read at.
    pub height: Height,
    /// Header at that height (its `state_root` is what the proof verifies against).
    pub header: Header,
    /// Encoded proof, hex (present when asked for).
    pub proof: Option<String>,
    /// Encoded finalization certificate of that header, hex (present when asked for).
    pub finalization: Option<String>,
}

/// A finalized header with its finality certificate, for light clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FinalizedHeader {
    /// Block hash.
    pub hash: Hash,
    /// The header.
    pub header: Header,
    /// Encoded finalization certificate, hex; absent when the block was finalized through a
    /// certificate of a descendant (follow `parent` links back from it).
    pub finalization: Option<String>,
}

/// Events of one transaction in a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TxEvents {
    /// Block height.
    pub height: Height,
    /// Transaction hash.
    pub tx_hash: Hash,
    /// Events in order.
    pub events: Vec<Event>,
}

/// Static facts about the chain and this node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChainInfo {
    /// Chain id.
    pub chain_id: String,
    /// Genesis hash.
    pub genesis_hash: Hash,
    /// Token symbol.
    pub token_symbol: String,
    /// Token decimals.
    pub token_decimals: u32,
    /// Fee per encoded byte.
    pub fee_per_byte: Balance,
    /// Fee per weight unit.
    pub fee_per_weight: Balance,
    /// Genesis validator set (consensus keys); later epochs' sets are in state (`validators`).
    pub validators: Vec<AccountId>,
    /// Node software version.
    pub node_version: String,
    /// Transactions in this node's pool.
    pub mempool_size: usize,
}

/// Synod's JSON-RPC API.
#[rpc(server, client, namespace = "synod")]
pub trait SynodApi {
    /// Submits one transaction (hex of its canonical encoding).
    #[method(name = "submitTransaction")]
    async fn submit_transaction(
        &self,
        tx_hex: String,
    ) -> Result<Hash, jsonrpsee::types::ErrorObjectOwned>;

    /// Submits many transactions at once; one result per transaction, in order.
    #[method(name = "submitTransactions")]
    async fn submit_transactions(
        &self,
        txs_hex: Vec<String>,
    ) -> Result<Vec<SubmitResult>, jsonrpsee::types::ErrorObjectOwned>;

    /// Where a transaction is.
    #[method(name = "transactionStatus")]
    async fn transaction_status(
        &self,
        hash: Hash,
    ) -> Result<TxStatus, jsonrpsee::types::ErrorObjectOwned>;

    /// A finalized transaction's receipt.
    #[method(name = "getReceipt")]
    async fn get_receipt(
        &self,
        hash: Hash,
    ) -> Result<Option<Receipt>, jsonrpsee::types::ErrorObjectOwned>;

    /// A block by height, hash or tag.
    #[method(name = "getBlock")]
    async fn get_block(
        &self,
        id: BlockId,
    ) -> Result<Option<BlockJson>, jsonrpsee::types::ErrorObjectOwned>;

    /// A finalized header and its finality certificate.
    #[method(name = "getFinalizedHeader")]
    async fn get_finalized_header(
        &self,
        height: Height,
    ) -> Result<Option<FinalizedHeader>, jsonrpsee::types::ErrorObjectOwned>;

    /// Latest and finalized heads.
    #[method(name = "heads")]
    async fn heads(&self) -> Result<Heads, jsonrpsee::types::ErrorObjectOwned>;

    /// An account at the finalized head, or at `height`.
    #[method(name = "getAccount")]
    async fn get_account(
        &self,
        account: AccountId,
        height: Option<Height>,
    ) -> Result<AccountJson, jsonrpsee::types::ErrorObjectOwned>;

    /// The nonce `account`'s next transaction should carry: its committed nonce, moved past the
    /// transactions of it this node's pool already holds without a gap.
    #[method(name = "nextNonce")]
    async fn next_nonce(
        &self,
        account: AccountId,
    ) -> Result<Nonce, jsonrpsee::types::ErrorObjectOwned>;

    /// A raw state value (key in hex) at the finalized head or `height`, with a proof if asked.
    #[method(name = "getStateValue")]
    async fn get_state_value(
        &self,
        key_hex: String,
        height: Option<Height>,
        prove: Option<bool>,
    ) -> Result<StateValueJson, jsonrpsee::types::ErrorObjectOwned>;

    /// Events emitted in the block at `height`.
    #[method(name = "getEvents")]
    async fn get_events(
        &self,
        height: Height,
    ) -> Result<Vec<TxEvents>, jsonrpsee::types::ErrorObjectOwned>;

    /// Chain and node facts.
    #[method(name = "chainInfo")]
    async fn chain_info(&self) -> Result<ChainInfo, jsonrpsee::types::ErrorObjectOwned>;

    /// New finalized blocks (headers with hash), as they are committed.
    #[subscription(name = "subscribeFinalizedBlocks" => "finalizedBlock", unsubscribe = "unsubscribeFinalizedBlocks", item = BlockJson, with_extensions)]
    async fn subscribe_finalized_blocks(&self) -> SubscriptionResult;

    /// Events of each newly finalized block.
    #[subscription(name = "subscribeEvents" => "events", unsubscribe = "unsubscribeEvents", item = TxEvents, with_extensions)]
    async fn subscribe_events(&self) -> SubscriptionResult;
}
