//! Genesis, block building (proposer side) and block execution (verifier side).

use std::sync::Arc;
use synod_module::{BlockCtx, CallError, GenesisError, GenesisFailure};
use synod_primitives::block::MAX_BLOCK_TXS;
use synod_primitives::hash::merkle_root;
use synod_primitives::receipt::end_block_receipt_hash;
use synod_primitives::tx::verify_signatures;
use synod_primitives::{AccountId, Hash, Header, TxError};
use synod_runtime::bank::{self, AccountInfo};
use synod_runtime::subnets::Params as SubnetParams;
use synod_runtime::validators::{EquivocationVerifier, StakingParams};
use synod_runtime::{Block, Event, Genesis, Receipt, Runtime, SignedTransaction, TxOutcome};
use synod_storage::delta::Overlay;
use synod_storage::typed::StateError;
use synod_storage::{
    ChangeSet, PendingBlock, StateRead, StateView, StorageError, compute_state_root,
};

/// Why a transaction cannot be included in a block on top of the current state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Inadmissible {
    /// Fails a stateless check (chain id, fee floor, signature).
    #[error(transparent)]
    Static(#[from] TxError),
    /// Nonce is not the account's next nonce.
    #[error("nonce {got} is not the account's next nonce {expected}")]
    BadNonce {
        /// The account's next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
    /// The sender cannot pay the fee.
    #[error("balance {balance} cannot pay the fee {fee}")]
    CannotPayFee {
        /// Fee offered.
        fee: u64,
        /// Sender's balance.
        balance: u64,
    },
}

/// A transaction being applied and where it sits in its block.
#[derive(Clone, Copy)]
struct TxPosition<'a> {
    tx: &'a SignedTransaction,
    hash: Hash,
    height: u64,
    parent: Hash,
    index: u32,
}

/// A transaction the proposer left out, and why.
#[derive(Debug, Clone)]
pub struct RejectedTx {
    /// Its hash.
    pub hash: Hash,
    /// Why it was left out.
    pub reason: Inadmissible,
}

/// Why a block is invalid or could not be executed.
#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    /// Reading state failed (environmental, not the block's fault).
    #[error(transparent)]
    State(#[from] StateError),
    /// The commitment or storage failed (environmental).
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A header field does not match what executing the block gives.
    #[error("header field {field} is wrong: expected {expected}, got {got}")]
    Header {
        /// Field name.
        field: &'static str,
        /// What it should be.
        expected: String,
        /// What the block says.
        got: String,
    },
    /// A transaction in the block could not be included at all.
    #[error("transaction {index} ({hash}) is not includable: {reason}")]
    InvalidTx {
        /// Position in the block.
        index: usize,
        /// Transaction hash.
        hash: Hash,
        /// Why.
        reason: Inadmissible,
    },
    /// Too many transactions.
    #[error("block has {0} transactions, over the limit")]
    TooManyTxs(usize),
    /// A module refuses its genesis section.
    #[error(transparent)]
    InvalidGenesis(#[from] GenesisError),
}

/// A block together with the result of executing it.
#[derive(Debug, Clone)]
pub struct ExecutedBlock {
    /// The block.
    pub block: Arc<Block>,
    /// Its writes, tree nodes and resulting root, ready to commit.
    pub pending: Arc<PendingBlock>,
    /// One receipt per transaction.
    pub receipts: Arc<Vec<Receipt>>,
}

/// What the proposer built.
#[derive(Debug)]
pub struct BuiltBlock {
    /// The new block, executed.
    pub executed: ExecutedBlock,
    /// Candidates left out, for the mempool to drop.
    pub rejected: Vec<RejectedTx>,
}

/// Limits the proposer applies when filling a block.
#[derive(Debug, Clone, Copy)]
pub struct BlockLimits {
    /// Most transactions.
    pub max_txs: usize,
    /// Most encoded transaction bytes.
    pub max_bytes: usize,
}

impl Default for BlockLimits {
    fn default() -> Self {
        BlockLimits {
            max_txs: MAX_BLOCK_TXS,
            max_bytes: synod_primitives::block::MAX_BLOCK_SIZE - 64 * 1024,
        }
    }
}

/// The state machine for one chain.
#[derive(Debug, Clone)]
pub struct Executor {
    genesis: Arc<Genesis>,
    genesis_hash: Hash,
    runtime: Arc<Runtime>,
}

impl From<GenesisFailure> for BlockError {
    fn from(e: GenesisFailure) -> Self {
        match e {
            GenesisFailure::Invalid(e) => BlockError::InvalidGenesis(e),
            GenesisFailure::State(e) => BlockError::State(e),
        }
    }
}

impl Executor {
    /// The state machine of the chain described by `genesis`, including its subnet
    /// parameters (`genesis.subnets`; checked when block 0 is built).
    pub fn new(genesis: Genesis) -> Self {
        let genesis_hash = genesis.hash();
        let runtime = Arc::new(Runtime::new(&genesis));
        Executor {
            genesis: Arc::new(genesis),
            genesis_hash,
            runtime,
        }
    }

    /// The state machine of `genesis` with its subnet parameters replaced by `params` (tests
    /// and simulations). The genesis, and so its hash, carries the replacement.
    pub fn with_subnet_params(mut genesis: Genesis, params: SubnetParams) -> Self {
        genesis.subnets = params;
        Self::new(genesis)
    }

    /// Installs the equivocation verifier that checks `ReportEquivocation` evidence (the node
    /// wires the consensus engine's). Without one every report fails with
    /// `EvidenceNotSupported`. Every node of a chain must use the same verifier, since its
    /// verdict is part of the state.
    pub fn with_equivocation_verifier(mut self, verifier: Arc<dyn EquivocationVerifier>) -> Self {
        Arc::make_mut(&mut self.runtime).set_equivocation_verifier(verifier);
        self
    }

    /// The chain's modules.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// The staking parameters (from genesis).
    pub fn staking_params(&self) -> &StakingParams {
        self.runtime.validators.params()
    }

    /// The subnet parameters.
    pub fn subnet_params(&self) -> &SubnetParams {
        self.runtime.subnets.params()
    }

    fn block_ctx(&self, height: u64, parent: Hash) -> BlockCtx<'_> {
        BlockCtx {
            height,
            chain_id: &self.genesis.chain_id,
            parent,
        }
    }

    /// The per-block hook, run after the block's transactions inside its overlay and before
    /// the state root is computed: every module's end-of-block hook in the runtime's module
    /// order (today: subnet emission and due epochs, then at the last block of a validator
    /// epoch the next epoch's validator set). Block height is its only clock. Returns the
    /// events for the block's end-block receipt.
    pub fn end_block<R: StateRead + ?Sized>(
        &self,
        block_state: &mut Overlay<'_, R>,
        height: u64,
        parent: Hash,
    ) -> Result<Vec<Event>, BlockError> {
        Ok(self
            .runtime
            .end_block(block_state, &self.block_ctx(height, parent))?)
    }

    /// Runs [`Self::end_block`] and, when it emitted events, appends the end-block receipt
    /// (`tx_hash` = [`end_block_receipt_hash`], index = number of transactions).
    fn end_block_receipt<R: StateRead + ?Sized>(
        &self,
        block_state: &mut Overlay<'_, R>,
        height: u64,
        parent: Hash,
        receipts: &mut Vec<Receipt>,
    ) -> Result<(), BlockError> {
        let events = self.end_block(block_state, height, parent)?;
        if !events.is_empty() {
            receipts.push(Receipt {
                tx_hash: end_block_receipt_hash(height),
                height,
                index: receipts.len() as u32,
                sender: AccountId::default(),
                nonce: 0,
                fee_paid: 0,
                outcome: TxOutcome::Success,
                events,
            });
        }
        Ok(())
    }

    /// The genesis description.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The genesis hash (signed by every transaction).
    pub fn genesis_hash(&self) -> Hash {
        self.genesis_hash
    }

    /// Chain id.
    pub fn chain_id(&self) -> &str {
        &self.genesis.chain_id
    }

    /// Builds block 0 on `empty`, a view of an empty database.
    pub fn genesis_block(&self, empty: &StateView) -> Result<ExecutedBlock, BlockError> {
        self.runtime.validate_genesis()?;
        let mut ov = Overlay::new(empty);
        self.runtime.init_genesis(&mut ov)?;
        let changes = ov.into_changes();
        let (state_root, tree) = compute_state_root(empty, &changes, 0)?;
        let header = Header {
            height: 0,
            parent: Hash::ZERO,
            timestamp_ms: self.genesis.timestamp_ms,
            proposer: AccountId::default(),
            tx_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root,
        };
        let block = Block {
            header,
            txs: Vec::new(),
        };
        Ok(ExecutedBlock {
            pending: Arc::new(PendingBlock {
                hash: block.hash(),
                height: 0,
                state_root,
                changes,
                tree,
            }),
            block: Arc::new(block),
            receipts: Arc::new(Vec::new()),
        })
    }

    /// Checks what can be checked without state: chain id, fee floor, and (if asked) the
    /// signature. Used by the mempool at admission.
    pub fn check_static(&self, tx: &SignedTransaction, size: usize) -> Result<(), TxError> {
        tx.check_static(&self.genesis.chain_id, &self.genesis.fees, size)
    }

    /// Checks the stateful admission rules for `tx` against `state`: exact nonce and a balance
    /// that covers the fee.
    fn check_stateful(
        &self,
        state: &(impl StateRead + ?Sized),
        tx: &SignedTransaction,
    ) -> Result<AccountInfo, BlockError> {
        let info = bank::account(state, &tx.tx.sender)?;
        if tx.tx.nonce != info.nonce {
            return Err(Inadmissible::BadNonce {
                expected: info.nonce,
                got: tx.tx.nonce,
            }
            .into_block_error());
        }
        if info.balance < tx.tx.fee {
            return Err(Inadmissible::CannotPayFee {
                fee: tx.tx.fee,
                balance: info.balance,
            }
            .into_block_error());
        }
        Ok(info)
    }

    /// Charges the fee, advances the nonce, runs the call in its own overlay and keeps its
    /// writes only on success. Returns the receipt.
    fn apply_tx<R: StateRead + ?Sized>(
        &self,
        block_state: &mut Overlay<'_, R>,
        proposer: &AccountId,
        at: TxPosition<'_>,
        sender: AccountInfo,
    ) -> Result<Receipt, BlockError> {
        let TxPosition {
            tx,
            hash: tx_hash,
            height,
            parent,
            index,
        } = at;
        let t = &tx.tx;
        let fee = bank::charge_fee(block_state, &t.sender, sender, proposer, t.fee)?;
        let mut events = vec![Event::Bank(fee)];

        let (result, changes) = {
            let mut call_state = Overlay::new(&*block_state);
            let result = self.runtime.dispatch(
                &mut call_state,
                &self.block_ctx(height, parent),
                &t.sender,
                &t.call,
            );
            (result, call_state.into_changes())
        };
        let outcome = match result {
            Ok(call_events) => {
                block_state.absorb(changes);
                events.extend(call_events);
                TxOutcome::Success
            }
            Err(CallError::Failed(failure)) => TxOutcome::Failed { failure },
            Err(CallError::State(e)) => return Err(e.into()),
        };
        Ok(Receipt {
            tx_hash,
            height,
            index,
            sender: t.sender,
            nonce: t.nonce,
            fee_paid: t.fee,
            outcome,
            events,
        })
    }

    fn finish(
        &self,
        view: &StateView,
        header: Header,
        txs: Vec<SignedTransaction>,
        tx_hashes: &[Hash],
        changes: ChangeSet,
        receipts: Vec<Receipt>,
    ) -> Result<(ExecutedBlock, Header), BlockError> {
        let (state_root, tree) = compute_state_root(view, &changes, header.height)?;
        let receipt_hashes: Vec<Hash> = receipts.iter().map(Receipt::hash).collect();
        let computed = Header {
            tx_root: merkle_root(tx_hashes),
            receipts_root: merkle_root(&receipt_hashes),
            state_root,
            ..header
        };
        let block = Block {
            header: computed.clone(),
            txs,
        };
        let executed = ExecutedBlock {
            pending: Arc::new(PendingBlock {
                hash: block.hash(),
                height: computed.height,
                state_root,
                changes,
                tree,
            }),
            block: Arc::new(block),
            receipts: Arc::new(receipts),
        };
        Ok((executed, computed))
    }

    /// Proposer side: builds a child of `parent` from `candidates` (in priority order; each
    /// sender's transactions in nonce order), skipping any that are not includable. The
    /// candidates' signatures must already have been verified (the mempool does so at
    /// admission).
    pub fn build_block(
        &self,
        view: &StateView,
        parent: &Header,
        proposer: AccountId,
        timestamp_ms: u64,
        candidates: impl IntoIterator<Item = Arc<SignedTransaction>>,
        limits: BlockLimits,
    ) -> Result<BuiltBlock, BlockError> {
        let height = parent.height + 1;
        let parent_hash = parent.hash();
        let mut block_state = Overlay::new(view);
        let mut txs = Vec::new();
        let mut receipts = Vec::new();
        let mut rejected = Vec::new();
        let mut hashes = Vec::new();
        let mut bytes = 0usize;
        for tx in candidates {
            if txs.len() >= limits.max_txs {
                break;
            }
            // One encoding per transaction gives both its size and its hash.
            let encoded = tx.encode();
            let size = encoded.len();
            let hash = SignedTransaction::hash_encoded(&encoded);
            if bytes + size > limits.max_bytes {
                break;
            }
            if let Err(e) = self.check_static(&tx, size) {
                rejected.push(RejectedTx {
                    hash,
                    reason: e.into(),
                });
                continue;
            }
            let sender = match self.check_stateful(&block_state, &tx) {
                Ok(s) => s,
                Err(BlockError::InvalidTx { reason, .. }) => {
                    rejected.push(RejectedTx { hash, reason });
                    continue;
                }
                Err(e) => return Err(e),
            };
            let receipt = self.apply_tx(
                &mut block_state,
                &proposer,
                TxPosition {
                    tx: &tx,
                    hash,
                    height,
                    parent: parent_hash,
                    index: txs.len() as u32,
                },
                sender,
            )?;
            receipts.push(receipt);
            bytes += size;
            hashes.push(hash);
            txs.push(SignedTransaction::clone(&tx));
        }
        let header = Header {
            height,
            parent: parent_hash,
            timestamp_ms: timestamp_ms.max(parent.timestamp_ms + 1),
            proposer,
            tx_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
            state_root: Hash::ZERO,
        };
        self.end_block_receipt(&mut block_state, height, header.parent, &mut receipts)?;
        let changes = block_state.into_changes();
        let (executed, _) = self.finish(view, header, txs, &hashes, changes, receipts)?;
        Ok(BuiltBlock { executed, rejected })
    }

    /// Verifier side: executes `block` on `view` (the state after `parent`) and checks every
    /// header field against the result. `check_signatures` is false only for blocks this node
    /// built itself.
    pub fn execute_block(
        &self,
        view: &StateView,
        parent: &Header,
        block: &Block,
        check_signatures: bool,
    ) -> Result<ExecutedBlock, BlockError> {
        let h = &block.header;
        expect_eq("height", parent.height + 1, h.height)?;
        expect_eq("parent", parent.hash(), h.parent)?;
        if h.timestamp_ms <= parent.timestamp_ms {
            return Err(BlockError::Header {
                field: "timestamp_ms",
                expected: format!("> {}", parent.timestamp_ms),
                got: h.timestamp_ms.to_string(),
            });
        }
        if block.txs.len() > MAX_BLOCK_TXS {
            return Err(BlockError::TooManyTxs(block.txs.len()));
        }
        if check_signatures {
            let refs: Vec<&SignedTransaction> = block.txs.iter().collect();
            let results = verify_signatures(&refs, &self.genesis_hash);
            if let Some((index, Err(e))) = results.into_iter().enumerate().find(|(_, r)| r.is_err())
            {
                return Err(BlockError::InvalidTx {
                    index,
                    hash: block.txs[index].hash(),
                    reason: e.into(),
                });
            }
        }
        let mut block_state = Overlay::new(view);
        let mut receipts = Vec::with_capacity(block.txs.len());
        let mut hashes = Vec::with_capacity(block.txs.len());
        for (index, tx) in block.txs.iter().enumerate() {
            let encoded = tx.encode();
            let size = encoded.len();
            let hash = SignedTransaction::hash_encoded(&encoded);
            let with_index = |reason: Inadmissible| BlockError::InvalidTx {
                index,
                hash,
                reason,
            };
            self.check_static(tx, size)
                .map_err(|e| with_index(e.into()))?;
            let sender = match self.check_stateful(&block_state, tx) {
                Ok(s) => s,
                Err(BlockError::InvalidTx { reason, .. }) => return Err(with_index(reason)),
                Err(e) => return Err(e),
            };
            receipts.push(self.apply_tx(
                &mut block_state,
                &h.proposer,
                TxPosition {
                    tx,
                    hash,
                    height: h.height,
                    parent: h.parent,
                    index: index as u32,
                },
                sender,
            )?);
            hashes.push(hash);
        }
        self.end_block_receipt(&mut block_state, h.height, h.parent, &mut receipts)?;
        let changes = block_state.into_changes();
        let (executed, computed) = self.finish(
            view,
            h.clone(),
            block.txs.clone(),
            &hashes,
            changes,
            receipts,
        )?;
        expect_eq("tx_root", computed.tx_root, h.tx_root)?;
        expect_eq("receipts_root", computed.receipts_root, h.receipts_root)?;
        expect_eq("state_root", computed.state_root, h.state_root)?;
        Ok(executed)
    }
}

impl Inadmissible {
    fn into_block_error(self) -> BlockError {
        BlockError::InvalidTx {
            index: 0,
            hash: Hash::ZERO,
            reason: self,
        }
    }
}

fn expect_eq<T: PartialEq + std::fmt::Display>(
    field: &'static str,
    expected: T,
    got: T,
) -> Result<(), BlockError> {
    if expected == got {
        Ok(())
    } else {
        Err(BlockError::Header {
            field,
            expected: expected.to_string(),
            got: got.to_string(),
        })
    }
}
