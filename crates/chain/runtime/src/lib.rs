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
//! A new crate under `crates/modules/` implementing [`synod_module::Module`], then one entry in
//! the `runtime!` list below (its field, its `Call`/`Event`/`TxFailure` variants with the next
//! free tags, and how it is built from the genesis) and its genesis section in [`Genesis`]
//! (hashed and serialized only when configured, so existing chains keep their genesis hash).
//! The macro generates the enums, their borsh codec, call weights, the [`Runtime`] struct, and
//! every hook in list order (genesis, dispatch, end of block, RPC namespaces and their
//! descriptions). Tags are on-chain encodings: appended, never reused; a duplicate or a tag in
//! the bank's range does not compile (the decoder's arm would be unreachable, which is denied).
//! A module whose failures wrap the bank's adds a `From` for its failure type beside the list.
//! ARCHITECTURE.md walks through it.

pub mod genesis;

pub use genesis::Genesis;
pub use synod_agents::{self as agents, AgentCall, AgentEvent, AgentFailure};
pub use synod_assets::{self as assets, AssetCall, AssetEvent, AssetFailure};
pub use synod_bank::{self as bank, BankCall, BankEvent, BankFailure, GenesisAccount};
pub use synod_data::{self as data, DataCall, DataEvent, DataFailure};
pub use synod_payments::{self as payments, PaymentCall, PaymentEvent, PaymentFailure};
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
use synod_agents::Agents;
use synod_assets::Assets;
use synod_bank::Bank;
use synod_data::Data;
use synod_module::{
    BlockCtx, CallError, GenesisError, GenesisFailure, MethodDoc, Module, StateError,
};
use synod_payments::Payments;
use synod_primitives::tx::CallWeight;
use synod_primitives::{AccountId, Balance};
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

fn unknown_tag(what: &str, tag: u8) -> IoError {
    IoError::new(ErrorKind::InvalidData, format!("unknown {what} tag {tag}"))
}

/// Maps a module's events into the chain's.
fn wrap<E>(events: Vec<E>, f: impl Fn(E) -> Event) -> Vec<Event> {
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

/// Generates the chain's types and hooks from the module list. The bank is always first and
/// keeps its flat tags (calls 0–1, events 0–2, failures 0–4), as the chain had them before
/// modules owned their types; every other module gets one tag in each enum.
macro_rules! runtime {
    (
        $(
            $(#[doc = $doc:literal])*
            $field:ident: $Module:ty {
                call: $CallVar:ident($CallTy:ty) = $ctag:literal,
                event: $EventVar:ident($EventTy:ty) = $etag:literal,
                failure: $FailVar:ident($FailTy:ty) = $ftag:literal,
                new: |$g:ident| $new:expr $(,)?
            }
        ),* $(,)?
    ) => {
        /// What a transaction asks the chain to do: one module's call.
        ///
        /// Borsh: the bank's calls keep tags 0 and 1 (its own variant tags, written flat);
        /// every other module has one tag followed by its call. JSON: `{"type": "transfer",
        /// ...}` for the bank, `{"type": "subnets", "call": ...}` for the others.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum Call {
            $(
                #[doc = concat!("A call of the `", stringify!($field), "` module (tag ", stringify!($ctag), ").")]
                $CallVar($CallTy),
            )*
            /// A bank call (tags 0 and 1).
            #[serde(untagged)]
            Bank(BankCall),
        }

        /// Something that happened during execution, for indexers, wallets and subscriptions.
        ///
        /// Borsh: the bank's events keep tags 0 to 2 (flat), then one tag per module. JSON:
        /// `{"type": "fee_paid", ...}` for the bank, `{"type": "subnet", "event": ...}` for the
        /// others.
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum Event {
            $(
                #[doc = concat!("An event of the `", stringify!($field), "` module (tag ", stringify!($etag), ").")]
                $EventVar($EventTy),
            )*
            /// A bank event (tags 0 to 2), fees included.
            #[serde(untagged)]
            Bank(BankEvent),
        }

        /// Why an included transaction's call failed. The fee was still charged and the nonce
        /// still advanced; every other effect of the call was discarded.
        ///
        /// Borsh: the bank's failures keep tags 0 to 4 (flat), then one tag per module. JSON:
        /// `{"reason": "insufficient_balance", ...}` for the bank, `{"reason": "subnet",
        /// "kind": ...}` for the others.
        #[derive(
            Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, schemars::JsonSchema,
        )]
        #[serde(tag = "reason", rename_all = "snake_case")]
        pub enum TxFailure {
            $(
                #[doc = concat!("A call of the `", stringify!($field), "` module failed (tag ", stringify!($ftag), ").")]
                #[error(transparent)]
                $FailVar($FailTy),
            )*
            /// The bank refused (tags 0 to 4); any module that moves SYN reports these.
            #[error(transparent)]
            #[serde(untagged)]
            Bank(BankFailure),
        }

        impl Call {
            /// The module the call belongs to (its `NAME`) and the call's encoding as that
            /// module's own `Call` type (what a module's RPC method decodes).
            pub fn module_call(&self) -> (&'static str, Vec<u8>) {
                match self {
                    Call::Bank(c) => (<Bank as Module>::NAME, synod_primitives::encode(c)),
                    $( Call::$CallVar(c) => (<$Module as Module>::NAME, synod_primitives::encode(c)), )*
                }
            }
        }

        impl BorshSerialize for Call {
            fn serialize<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
                match self {
                    Call::Bank(c) => BorshSerialize::serialize(c, w),
                    $( Call::$CallVar(c) => BorshSerialize::serialize(&($ctag as u8, c), w), )*
                }
            }
        }

        impl BorshDeserialize for Call {
            // A reused tag, or one in the bank's range, is an unreachable arm: refuse to build.
            #[deny(unreachable_patterns)]
            fn deserialize_reader<R: Read>(r: &mut R) -> std::io::Result<Self> {
                let tag = u8::deserialize_reader(r)?;
                Ok(match tag {
                    0..=1 => Call::Bank(BankCall::deserialize_variant(r, tag)?),
                    $( $ctag => Call::$CallVar(<$CallTy>::deserialize_reader(r)?), )*
                    _ => return Err(unknown_tag("call", tag)),
                })
            }
        }

        impl BorshSerialize for Event {
            fn serialize<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
                match self {
                    Event::Bank(e) => BorshSerialize::serialize(e, w),
                    $( Event::$EventVar(e) => BorshSerialize::serialize(&($etag as u8, e), w), )*
                }
            }
        }

        impl BorshDeserialize for Event {
            // A reused tag, or one in the bank's range, is an unreachable arm: refuse to build.
            #[deny(unreachable_patterns)]
            fn deserialize_reader<R: Read>(r: &mut R) -> std::io::Result<Self> {
                let tag = u8::deserialize_reader(r)?;
                Ok(match tag {
                    0..=2 => Event::Bank(BankEvent::deserialize_variant(r, tag)?),
                    $( $etag => Event::$EventVar(<$EventTy>::deserialize_reader(r)?), )*
                    _ => return Err(unknown_tag("event", tag)),
                })
            }
        }

        impl BorshSerialize for TxFailure {
            fn serialize<W: Write>(&self, w: &mut W) -> std::io::Result<()> {
                match self {
                    TxFailure::Bank(f) => BorshSerialize::serialize(f, w),
                    $( TxFailure::$FailVar(f) => BorshSerialize::serialize(&($ftag as u8, f), w), )*
                }
            }
        }

        impl BorshDeserialize for TxFailure {
            // A reused tag, or one in the bank's range, is an unreachable arm: refuse to build.
            #[deny(unreachable_patterns)]
            fn deserialize_reader<R: Read>(r: &mut R) -> std::io::Result<Self> {
                let tag = u8::deserialize_reader(r)?;
                Ok(match tag {
                    0..=4 => TxFailure::Bank(BankFailure::deserialize_variant(r, tag)?),
                    $( $ftag => TxFailure::$FailVar(<$FailTy>::deserialize_reader(r)?), )*
                    _ => return Err(unknown_tag("failure", tag)),
                })
            }
        }

        impl CallWeight for Call {
            fn weight(&self) -> u64 {
                let own = match self {
                    Call::Bank(c) => Bank::call_weight(c),
                    $( Call::$CallVar(c) => <$Module>::call_weight(c), )*
                };
                // A session's `Execute` also pays for the call it carries.
                own.saturating_add(delegated(self).map_or(0, |inner| inner.weight()))
            }

            fn spend_bound(&self) -> Balance {
                match self {
                    Call::Bank(c) => Bank::call_spend(c),
                    $( Call::$CallVar(c) => <$Module>::call_spend(c), )*
                }
            }
        }

        impl From<BankFailure> for TxFailure {
            fn from(f: BankFailure) -> Self {
                TxFailure::Bank(f)
            }
        }

        $(
            impl From<$FailTy> for TxFailure {
                fn from(f: $FailTy) -> Self {
                    TxFailure::$FailVar(f)
                }
            }
        )*

        /// The chain's modules, built from the genesis, in the order their hooks run.
        #[derive(Clone, Debug)]
        pub struct Runtime {
            /// SYN: accounts, fees, transfers, hotkeys (always first).
            pub bank: Bank,
            $( $(#[doc = $doc])* pub $field: $Module, )*
        }

        impl Runtime {
            /// Module names (and RPC namespaces) in hook order.
            pub const MODULES: &'static [&'static str] =
                &[<Bank as Module>::NAME, $( <$Module as Module>::NAME, )*];

            /// The modules of the chain described by `genesis`.
            pub fn new(genesis: &Genesis) -> Self {
                Runtime {
                    bank: Bank::new(genesis.accounts.clone()),
                    $( $field: { let $g = genesis; $new }, )*
                }
            }

            /// Checks every module's genesis section.
            pub fn validate_genesis(&self) -> Result<(), GenesisError> {
                self.bank.validate_genesis()?;
                $( self.$field.validate_genesis()?; )*
                Ok(())
            }

            /// Writes every module's genesis state, in module order.
            pub fn init_genesis<R: StateRead + ?Sized>(
                &self,
                state: &mut Overlay<'_, R>,
            ) -> Result<(), GenesisFailure> {
                self.bank.init_genesis(state)?;
                $( self.$field.init_genesis(state)?; )*
                Ok(())
            }

            /// Executes one call signed by `sender` with the module it belongs to (a
            /// session's `Execute` goes through [`Runtime::dispatch`] first).
            fn dispatch_module<R: StateRead + ?Sized>(
                &self,
                state: &mut Overlay<'_, R>,
                ctx: &BlockCtx<'_>,
                sender: &AccountId,
                call: &Call,
            ) -> Result<Vec<Event>, CallError<TxFailure>> {
                match call {
                    Call::Bank(c) => outcome(self.bank.dispatch(state, ctx, sender, c), Event::Bank),
                    $(
                        Call::$CallVar(c) => outcome(
                            self.$field.dispatch(state, ctx, sender, c),
                            Event::$EventVar,
                        ),
                    )*
                }
            }

            /// Runs every module's end-of-block hook in module order; returns their events for
            /// the block's end-block receipt.
            pub fn end_block<R: StateRead + ?Sized>(
                &self,
                state: &mut Overlay<'_, R>,
                ctx: &BlockCtx<'_>,
            ) -> Result<Vec<Event>, StateError> {
                let mut events = wrap(self.bank.end_block(state, ctx)?, Event::Bank);
                $( events.extend(wrap(self.$field.end_block(state, ctx)?, Event::$EventVar)); )*
                Ok(events)
            }

            /// Every module's JSON-RPC namespace, served from `store`, merged in module order.
            pub fn rpc(&self, env: &synod_module::RpcEnv) -> Result<jsonrpsee::Methods, RpcMergeError> {
                let mut all = self.bank.rpc(env);
                $( all.merge(self.$field.rpc(env))?; )*
                Ok(all)
            }

            /// The description of every module method, in module order.
            pub fn rpc_doc() -> Vec<MethodDoc> {
                let mut docs = Bank::rpc_doc();
                $( docs.extend(<$Module>::rpc_doc()); )*
                docs
            }
        }
    };
}

// The chain's modules, once. The bank comes first implicitly; the order below is the order of
// every hook after it.
runtime! {
    /// The subnet economy (subnets, neurons, weights, Yuma epochs, dTAO pools, staking).
    subnets: Subnets {
        call: Subnets(SubnetCall) = 2,
        event: Subnet(SubnetEvent) = 3,
        failure: Subnet(SubnetFailure) = 5,
        new: |g| subnets_module(g),
    },
    /// The validator set, staking and slashing.
    validators: Validators {
        call: Validators(ValidatorCall) = 3,
        event: Validator(ValidatorEvent) = 4,
        failure: Validator(ValidatorFailure) = 6,
        new: |g| Validators::new(g.validators.clone(), g.staking),
    },
    /// Fungible tokens.
    tokens: Tokens {
        call: Tokens(TokenCall) = 4,
        event: Tokens(TokenEvent) = 5,
        failure: Tokens(TokenFailure) = 7,
        new: |g| Tokens::new(g.tokens),
    },
    /// AI assets: lineage, licences, revenue vaults, attribution.
    assets: Assets {
        call: Assets(AssetCall) = 5,
        event: Assets(AssetEvent) = 6,
        failure: Assets(AssetFailure) = 8,
        new: |g| Assets::new(g.assets),
    },
    /// Agents, standing intents and session keys.
    agents: Agents {
        call: Agents(AgentCall) = 6,
        event: Agents(AgentEvent) = 7,
        failure: Agents(AgentFailure) = 9,
        new: |_g| Agents,
    },
    /// Pay-per-call: services and batched settlement of signed authorizations.
    payments: Payments {
        call: Payments(PaymentCall) = 7,
        event: Payments(PaymentEvent) = 8,
        failure: Payments(PaymentFailure) = 10,
        new: |g| Payments::new(g.chain_id.clone(), g.assets),
    },
    /// Data liquidity pools: files by reference, key envelopes, scoring workers, pool rewards.
    data: Data {
        call: Data(DataCall) = 8,
        event: Data(DataEvent) = 9,
        failure: Data(DataFailure) = 11,
        new: |g| Data::new(g.data.clone(), g.tokens.admin_timelock_blocks),
    },
}

/// The subnets module, with the data pools' share of block emission carved out when the
/// genesis gives them one.
fn subnets_module(g: &Genesis) -> Subnets {
    let module = Subnets::new(g.subnets.clone());
    if g.data.emission_share_ppm == 0 {
        return module;
    }
    module.with_carve_out(synod_subnets::EmissionCarveOut {
        ppm: g.data.emission_share_ppm,
        to: synod_data::emission_account(),
    })
}

/// The inner call of a session's `Execute`, if `call` is one and its bytes decode.
fn delegated(call: &Call) -> Option<Call> {
    match call {
        Call::Agents(AgentCall::Execute { inner }) => {
            synod_primitives::decode_exact::<Call>(inner, synod_agents::wire::MAX_INNER_CALL_BYTES)
                .ok()
        }
        _ => None,
    }
}

/// What an inner call pays, as the session rules see it; `None` for calls a session cannot
/// make (only payments: SYN and token transfers, single-item asset payments).
pub fn session_payment(call: &Call) -> Option<synod_agents_rules::Payment> {
    use synod_agents::call_kind;
    use synod_agents_rules::{Asset, Payment};
    match call {
        Call::Bank(BankCall::Transfer { to, amount }) => Some(Payment {
            call_kind: call_kind::TRANSFER,
            payee: *to,
            asset: Asset::Native,
            amount: u128::from(*amount),
        }),
        Call::Tokens(TokenCall::Transfer { token, to, amount }) => Some(Payment {
            call_kind: call_kind::TOKEN_TRANSFER,
            payee: *to,
            asset: Asset::Token(*token),
            amount: *amount,
        }),
        Call::Assets(AssetCall::Pay { currency, items }) if items.len() == 1 => {
            let item = &items[0];
            Some(Payment {
                call_kind: call_kind::ASSET_PAY,
                payee: synod_assets::vault_account(item.asset),
                asset: match currency {
                    synod_assets::Currency::Syn => Asset::Native,
                    synod_assets::Currency::Token(t) => Asset::Token(*t),
                },
                amount: item.amount,
            })
        }
        _ => None,
    }
}

impl Runtime {
    /// Executes one call signed by `sender`. A session's `Execute` is checked against the
    /// session's rules (its spend recorded) and its inner call runs as the session's user.
    pub fn dispatch<R: StateRead + ?Sized>(
        &self,
        state: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
        sender: &AccountId,
        call: &Call,
    ) -> Result<Vec<Event>, CallError<TxFailure>> {
        let Call::Agents(AgentCall::Execute { inner }) = call else {
            return self.dispatch_module(state, ctx, sender, call);
        };
        let (user, event, inner) = self.authorize_session(state, ctx.height, sender, inner)?;
        let mut events = vec![Event::Agents(event)];
        events.extend(self.dispatch_module(state, ctx, &user, &inner)?);
        Ok(events)
    }

    /// The checks of a session's `Execute`: the inner call decodes, is not itself an
    /// `Execute`, is a payment a session may make, and passes the session's rules (recorded).
    fn authorize_session<R: StateRead + ?Sized>(
        &self,
        state: &mut Overlay<'_, R>,
        height: u64,
        session: &AccountId,
        inner: &[u8],
    ) -> Result<(AccountId, AgentEvent, Call), CallError<TxFailure>> {
        let fail = |f: AgentFailure| CallError::Failed(TxFailure::Agents(f));
        let call =
            synod_primitives::decode_exact::<Call>(inner, synod_agents::wire::MAX_INNER_CALL_BYTES)
                .map_err(|e| {
                    fail(AgentFailure::UndecodableCall {
                        detail: e.to_string(),
                    })
                })?;
        if matches!(call, Call::Agents(AgentCall::Execute { .. })) {
            return Err(fail(AgentFailure::NestedExecute));
        }
        let payment =
            session_payment(&call).ok_or(fail(AgentFailure::CallNotAllowed { call_kind: 0 }))?;
        let (user, event) =
            synod_agents::authorize(state, height, session, &payment).map_err(|e| e.widen())?;
        Ok((user, event, call))
    }

    /// The admission check of a session's transaction against committed state (`height` is
    /// the next block's): the same rules as execution, without recording. Other transactions
    /// pass.
    pub fn admission_check<R: StateRead + ?Sized>(
        &self,
        state: &R,
        height: u64,
        sender: &AccountId,
        call: &Call,
    ) -> Result<(), AgentFailure> {
        let Call::Agents(AgentCall::Execute { inner }) = call else {
            return Ok(());
        };
        let mut scratch = Overlay::new(state);
        match self.authorize_session(&mut scratch, height, sender, inner) {
            Ok(_) => Ok(()),
            Err(CallError::Failed(TxFailure::Agents(f))) => Err(f),
            // A session's check fails only with the agents module's failures.
            Err(CallError::Failed(_)) => Ok(()),
            // Unreadable state is not the sender's fault; execution will decide.
            Err(CallError::State(_)) => Ok(()),
        }
    }
}

/// Two modules registered the same RPC method name.
pub type RpcMergeError = jsonrpsee::core::RegisterMethodError;

// Modules whose calls move SYN report the bank's failures beside their own.
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

impl From<synod_agents::CallFailure> for TxFailure {
    fn from(f: synod_agents::CallFailure) -> Self {
        match f {
            synod_agents::CallFailure::Bank(f) => TxFailure::Bank(f),
            synod_agents::CallFailure::Tokens(f) => TxFailure::Tokens(f),
            synod_agents::CallFailure::Agents(f) => TxFailure::Agents(f),
        }
    }
}

impl From<synod_data::CallFailure> for TxFailure {
    fn from(f: synod_data::CallFailure) -> Self {
        match f {
            synod_data::CallFailure::Bank(f) => TxFailure::Bank(f),
            synod_data::CallFailure::Tokens(f) => TxFailure::Tokens(f),
            synod_data::CallFailure::Data(f) => TxFailure::Data(f),
        }
    }
}

impl From<synod_assets::CallFailure> for TxFailure {
    fn from(f: synod_assets::CallFailure) -> Self {
        match f {
            synod_assets::CallFailure::Bank(f) => TxFailure::Bank(f),
            synod_assets::CallFailure::Tokens(f) => TxFailure::Tokens(f),
            synod_assets::CallFailure::Assets(f) => TxFailure::Assets(f),
        }
    }
}

impl Call {
    /// Execution weight of the call, in abstract units priced by the fee schedule.
    pub fn weight(&self) -> u64 {
        CallWeight::weight(self)
    }
}

impl Runtime {
    /// Installs the equivocation verifier of the validator module.
    pub fn set_equivocation_verifier(&mut self, verifier: Arc<dyn EquivocationVerifier>) {
        self.validators.set_verifier(verifier);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_run_in_list_order_with_the_bank_first() {
        assert_eq!(
            Runtime::MODULES,
            &[
                "bank",
                "subnets",
                "validators",
                "tokens",
                "assets",
                "agents",
                "payments",
                "data"
            ][..]
        );
    }

    #[test]
    fn unknown_tags_are_refused_with_a_clear_error() {
        let e = borsh::from_slice::<Call>(&[200]).expect_err("no module has tag 200");
        assert!(e.to_string().contains("unknown call tag 200"), "{e}");
        assert!(borsh::from_slice::<Event>(&[6]).is_err());
        assert!(borsh::from_slice::<TxFailure>(&[8]).is_err());
        // The bank's flat range decodes its own variants and nothing else.
        assert!(
            borsh::from_slice::<Call>(&[1]).is_err(),
            "truncated BindHotkey"
        );
    }

    #[test]
    fn every_module_namespace_is_described() {
        let docs = Runtime::rpc_doc();
        for m in Runtime::MODULES {
            assert!(
                docs.iter().any(|d| d.name.starts_with(&format!("{m}_"))),
                "{m} has no described method"
            );
        }
    }
}
