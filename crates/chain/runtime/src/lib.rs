//! # synod-runtime — the one place that lists the chain's modules
//!
//! Owns the composition: which modules the chain runs and in what order their hooks run
//! ([`Runtime`]), the chain's [`Call`], [`Event`] and [`TxFailure`] as enums over the modules'
//! own types (with their on-chain borsh tags), the [`Genesis`] as the modules' sections, and the
//! envelope aliases every other chain crate uses ([`SignedTransaction`], [`Block`],
//! [`Receipt`]). The executor iterates the modules through [`Runtime`] and never names one.
//!
//! It must not hold logic of its own: what a call does belongs to its module, how a block is
//! executed to `synod-execution`. It performs no I/O.
//!
//! ## Adding a module
//! A new crate under `crates/modules/` implementing [`synod_module::Module`], then, here: one
//! variant in each of `Call`, `Event` and `TxFailure` with the next free tag (tags are on-chain
//! encodings: appended, never reused), one field in [`Runtime`] (its position in
//! [`Runtime::MODULES`] is the order its genesis and end-of-block hooks run in), one arm in
//! [`Runtime::dispatch`], one line in [`Runtime::end_block`] and [`Runtime::init_genesis`], its
//! genesis section in [`Genesis`] (hashed only when configured, so existing chains keep their
//! genesis hash), and its RPC namespace and descriptions in [`rpc`]. ARCHITECTURE.md walks through it.

pub mod genesis;
pub mod rpc;

pub use genesis::Genesis;
pub use synod_bank::{self as bank, BankCall, BankEvent, BankFailure, GenesisAccount};
pub use synod_subnets::{self as subnets, SubnetCall, SubnetEvent, SubnetFailure};
pub use synod_tokens::{self as tokens, TokenCall, TokenEvent, TokenFailure};
pub use synod_validators::{
    self as validators, GenesisValidator, StakingParams, ValidatorCall, ValidatorEvent,
    ValidatorFailure,
};

use borsh::de::EnumExt;
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use std::io::{Error as IoError, ErrorKind, Read, Write};
use std::sync::Arc;
use synod_bank::Bank;
use synod_module::{BlockCtx, CallError, GenesisError, GenesisFailure, Module, StateError};
use synod_primitives::AccountId;
use synod_primitives::tx::CallWeight;
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_subnets::Subnets;
use synod_tokens::Tokens;
use synod_validators::{EquivocationVerifier, Validators};

/// A transaction body carrying the chain's [`Call`].
pub type Transaction = synod_primitives::Transaction<Call>;
/// A signed transaction of this chain: the unit submitted, gossiped and included.
pub type SignedTransaction = synod_primitives::SignedTransaction<Call>;
/// A block of this chain.
pub type Block = synod_primitives::Block<Call>;
/// A receipt of this chain.
pub type Receipt = synod_primitives::Receipt<Event, TxFailure>;
/// Whether a call took effect.
pub type TxOutcome = synod_primitives::TxOutcome<TxFailure>;
/// Everything written when a block of this chain becomes final.
pub type BlockCommit<'a> = synod_storage::BlockCommit<'a, Call, Event, TxFailure>;

/// What a transaction asks the chain to do: one module's call.
///
/// Borsh: the bank's calls keep tags 0 and 1 (its own variant tags, written flat, as before
/// modules had types of their own); every later module has one tag followed by its call.
/// JSON: `{"type": "transfer", ...}` for the bank, `{"type": "subnets", "call": ...}` for the
/// others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Call {
    /// A subnet-economy call (tag 2).
    Subnets(SubnetCall),
    /// A validator-set call (tag 3).
    Validators(ValidatorCall),
    /// A tokens call (tag 4).
    Tokens(TokenCall),
    /// A bank call (tags 0 and 1).
    #[serde(untagged)]
    Bank(BankCall),
}

/// Something that happened during execution, for indexers, wallets and subscriptions.
///
/// Borsh: the bank's events keep tags 0 to 2 (flat), then one tag per module. JSON:
/// `{"type": "fee_paid", ...}` for the bank, `{"type": "subnet", "event": ...}` for the others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A subnet-economy event (tag 3).
    Subnet(SubnetEvent),
    /// A validator-set event (tag 4).
    Validator(ValidatorEvent),
    /// A tokens event (tag 5).
    Tokens(TokenEvent),
    /// A bank event (tags 0 to 2), fees included.
    #[serde(untagged)]
    Bank(BankEvent),
}

/// Why an included transaction's call failed. The fee was still charged and the nonce still
/// advanced; every other effect of the call was discarded.
///
/// Borsh: the bank's failures keep tags 0 to 4 (flat), then one tag per module. JSON:
/// `{"reason": "insufficient_balance", ...}` for the bank, `{"reason": "subnet", "kind": ...}`
/// for the others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum TxFailure {
    /// A subnet call failed (tag 5).
    #[error(transparent)]
    Subnet(SubnetFailure),
    /// A validator-set call failed (tag 6).
    #[error(transparent)]
    Validator(ValidatorFailure),
    /// A tokens call failed (tag 7).
    #[error(transparent)]
    Tokens(TokenFailure),
    /// The bank refused (tags 0 to 4); any module that moves SYN reports these.
    #[error(transparent)]
    #[serde(untagged)]
    Bank(BankFailure),
}

fn unknown_tag(what: &str, tag: u8) -> IoError {
    IoError::new(ErrorKind::InvalidData, format!("unknown {what} tag {tag}"))
}

impl BorshSerialize for Call {
    fn serialize<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        match self {
            Call::Bank(c) => BorshSerialize::serialize(c, w),
            Call::Subnets(c) => BorshSerialize::serialize(&(2u8, c), w),
            Call::Validators(c) => BorshSerialize::serialize(&(3u8, c), w),
            Call::Tokens(c) => BorshSerialize::serialize(&(4u8, c), w),
        }
    }
}

impl BorshDeserialize for Call {
    fn deserialize_reader<R: Read>(r: &mut R) -> std::io::Result<Self> {
        let tag = u8::deserialize_reader(r)?;
        Ok(match tag {
            0..=1 => Call::Bank(BankCall::deserialize_variant(r, tag)?),
            2 => Call::Subnets(SubnetCall::deserialize_reader(r)?),
            3 => Call::Validators(ValidatorCall::deserialize_reader(r)?),
            4 => Call::Tokens(TokenCall::deserialize_reader(r)?),
            _ => return Err(unknown_tag("call", tag)),
        })
    }
}

impl BorshSerialize for Event {
    fn serialize<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        match self {
            Event::Bank(e) => BorshSerialize::serialize(e, w),
            Event::Subnet(e) => BorshSerialize::serialize(&(3u8, e), w),
            Event::Validator(e) => BorshSerialize::serialize(&(4u8, e), w),
            Event::Tokens(e) => BorshSerialize::serialize(&(5u8, e), w),
        }
    }
}

impl BorshDeserialize for Event {
    fn deserialize_reader<R: Read>(r: &mut R) -> std::io::Result<Self> {
        let tag = u8::deserialize_reader(r)?;
        Ok(match tag {
            0..=2 => Event::Bank(BankEvent::deserialize_variant(r, tag)?),
            3 => Event::Subnet(SubnetEvent::deserialize_reader(r)?),
            4 => Event::Validator(ValidatorEvent::deserialize_reader(r)?),
            5 => Event::Tokens(TokenEvent::deserialize_reader(r)?),
            _ => return Err(unknown_tag("event", tag)),
        })
    }
}

impl BorshSerialize for TxFailure {
    fn serialize<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
        match self {
            TxFailure::Bank(f) => BorshSerialize::serialize(f, w),
            TxFailure::Subnet(f) => BorshSerialize::serialize(&(5u8, f), w),
            TxFailure::Validator(f) => BorshSerialize::serialize(&(6u8, f), w),
            TxFailure::Tokens(f) => BorshSerialize::serialize(&(7u8, f), w),
        }
    }
}

impl BorshDeserialize for TxFailure {
    fn deserialize_reader<R: Read>(r: &mut R) -> std::io::Result<Self> {
        let tag = u8::deserialize_reader(r)?;
        Ok(match tag {
            0..=4 => TxFailure::Bank(BankFailure::deserialize_variant(r, tag)?),
            5 => TxFailure::Subnet(SubnetFailure::deserialize_reader(r)?),
            6 => TxFailure::Validator(ValidatorFailure::deserialize_reader(r)?),
            7 => TxFailure::Tokens(TokenFailure::deserialize_reader(r)?),
            _ => return Err(unknown_tag("failure", tag)),
        })
    }
}

impl CallWeight for Call {
    fn weight(&self) -> u64 {
        match self {
            Call::Bank(c) => Bank::call_weight(c),
            Call::Subnets(c) => Subnets::call_weight(c),
            Call::Validators(c) => Validators::call_weight(c),
            Call::Tokens(c) => Tokens::call_weight(c),
        }
    }
}

impl Call {
    /// Execution weight of the call, in abstract units priced by the fee schedule.
    pub fn weight(&self) -> u64 {
        CallWeight::weight(self)
    }
}

impl From<BankFailure> for TxFailure {
    fn from(f: BankFailure) -> Self {
        TxFailure::Bank(f)
    }
}

impl From<SubnetFailure> for TxFailure {
    fn from(f: SubnetFailure) -> Self {
        TxFailure::Subnet(f)
    }
}

impl From<ValidatorFailure> for TxFailure {
    fn from(f: ValidatorFailure) -> Self {
        TxFailure::Validator(f)
    }
}

impl From<TokenFailure> for TxFailure {
    fn from(f: TokenFailure) -> Self {
        TxFailure::Tokens(f)
    }
}

impl From<synod_subnets::CallFailure> for TxFailure {
    fn from(f: synod_subnets::CallFailure) -> Self {
        match f {
            synod_subnets::CallFailure::Bank(f) => TxFailure::Bank(f),
            synod_subnets::CallFailure::Subnet(f) => TxFailure::Subnet(f),
        }
    }
}

impl From<synod_validators::CallFailure> for TxFailure {
    fn from(f: synod_validators::CallFailure) -> Self {
        match f {
            synod_validators::CallFailure::Bank(f) => TxFailure::Bank(f),
            synod_validators::CallFailure::Validator(f) => TxFailure::Validator(f),
        }
    }
}

/// The chain's modules, built from the genesis, in the order their hooks run.
#[derive(Clone, Debug)]
pub struct Runtime {
    /// SYN: accounts, fees, transfers, hotkeys.
    pub bank: Bank,
    /// The subnet economy.
    pub subnets: Subnets,
    /// The validator set, staking and slashing.
    pub validators: Validators,
    /// Fungible tokens.
    pub tokens: Tokens,
}

/// Maps a module's events into the chain's.
fn wrap<E, T>(events: Vec<E>, f: impl Fn(E) -> T) -> Vec<T> {
    events.into_iter().map(f).collect()
}

/// Maps a module's call outcome into the chain's.
fn outcome<E, F>(
    r: synod_module::CallResult<E, F>,
    f: impl Fn(E) -> Event,
) -> Result<Vec<Event>, CallError<TxFailure>>
where
    TxFailure: From<F>,
{
    match r {
        Ok(events) => Ok(wrap(events, f)),
        Err(e) => Err(e.widen()),
    }
}

impl Runtime {
    /// Module names in hook order (genesis and end of block).
    pub const MODULES: [&'static str; 4] = [
        <Bank as Module>::NAME,
        <Subnets as Module>::NAME,
        <Validators as Module>::NAME,
        <Tokens as Module>::NAME,
    ];

    /// The modules of the chain described by `genesis`.
    pub fn new(genesis: &Genesis) -> Self {
        Runtime {
            bank: Bank::new(genesis.accounts.clone()),
            subnets: Subnets::new(genesis.subnets.clone()),
            validators: Validators::new(genesis.validators.clone(), genesis.staking),
            tokens: Tokens::new(genesis.tokens),
        }
    }

    /// Installs the equivocation verifier of the validator module.
    pub fn set_equivocation_verifier(&mut self, verifier: Arc<dyn EquivocationVerifier>) {
        self.validators.set_verifier(verifier);
    }

    /// Checks every module's genesis section.
    pub fn validate_genesis(&self) -> Result<(), GenesisError> {
        self.bank.validate_genesis()?;
        self.subnets.validate_genesis()?;
        self.validators.validate_genesis()?;
        self.tokens.validate_genesis()?;
        Ok(())
    }

    /// Writes every module's genesis state, in module order.
    pub fn init_genesis<R: StateRead + ?Sized>(
        &self,
        state: &mut Overlay<'_, R>,
    ) -> Result<(), GenesisFailure> {
        self.bank.init_genesis(state)?;
        self.subnets.init_genesis(state)?;
        self.validators.init_genesis(state)?;
        self.tokens.init_genesis(state)?;
        Ok(())
    }

    /// Executes one call signed by `sender` with the module it belongs to.
    pub fn dispatch<R: StateRead + ?Sized>(
        &self,
        state: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
        sender: &AccountId,
        call: &Call,
    ) -> Result<Vec<Event>, CallError<TxFailure>> {
        match call {
            Call::Bank(c) => outcome(self.bank.dispatch(state, ctx, sender, c), Event::Bank),
            Call::Subnets(c) => {
                outcome(self.subnets.dispatch(state, ctx, sender, c), Event::Subnet)
            }
            Call::Validators(c) => outcome(
                self.validators.dispatch(state, ctx, sender, c),
                Event::Validator,
            ),
            Call::Tokens(c) => outcome(self.tokens.dispatch(state, ctx, sender, c), Event::Tokens),
        }
    }

    /// Runs every module's end-of-block hook in module order; returns their events for the
    /// block's end-block receipt.
    pub fn end_block<R: StateRead + ?Sized>(
        &self,
        state: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
    ) -> Result<Vec<Event>, StateError> {
        let mut events = wrap(self.bank.end_block(state, ctx)?, Event::Bank);
        events.extend(wrap(self.subnets.end_block(state, ctx)?, Event::Subnet));
        events.extend(wrap(
            self.validators.end_block(state, ctx)?,
            Event::Validator,
        ));
        events.extend(wrap(self.tokens.end_block(state, ctx)?, Event::Tokens));
        Ok(events)
    }
}
