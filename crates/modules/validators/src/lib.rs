//! # synod-validators — the staking-driven validator set
//!
//! Validators join and leave by bonding stake with signed transactions; the set changes only at
//! epoch boundaries; equivocation proven by consensus evidence slashes and tombstones the
//! offender. A validator's account key *is* its consensus key (see `synod-consensus`'
//! `identity`), so the set is a list of accounts.
//!
//! It must not know the consensus engine's types (evidence is checked by an injected verifier)
//! nor move SYN except through the bank.
//!
//! ## Epochs
//! With `L = StakingParams::epoch_length` (at least 2), epoch `e` covers heights
//! `e*L ..= (e+1)*L - 1`: the numbering of the consensus engine's epocher (commonware
//! `FixedEpocher`), so both agree on every boundary when the engine runs with the same length.
//! Genesis (height 0) is in epoch 0, whose set is the genesis validators (all of them, with
//! their `GenesisValidator::stake` bonded). At the end of block `(e+1)*L - 1` (the last block
//! of epoch `e`, after its transactions) [`on_block_end`] computes the set of epoch `e+1`:
//! - every candidate with `bonded >= min_validator_bond` that is not tombstoned,
//! - ordered by bonded stake descending, ties by account bytes ascending,
//! - the first `max_validators`.
//!
//! If that gives nobody, the current set is kept (a chain without validators could never make
//! another block) and [`ValidatorEvent::EmptySetAvoided`] says so. The set is stored under
//! [`state::set_key`]`(e+1)` and read with [`set_for_epoch`]; [`current_epoch`] is then `e+1`
//! (always the epoch of the block after the state's head). Every boundary emits
//! [`ValidatorEvent::ValidatorSetChanged`] with the new set, in the block's end-block receipt.
//! The consensus engine reconfigures from the stored set; a validator that leaves (or is
//! slashed) keeps validating until the end of the current epoch.
//!
//! ## Calls ([`dispatch`])
//! - `Bond { amount }`: moves `amount` from the sender's balance into the bond. The bond after
//!   the call must reach `min_validator_bond`; tombstoned accounts cannot bond.
//! - `Unbond { amount }`: moves bonded stake to an unbonding entry that matures at epoch
//!   `e + 1 + unbonding_epochs` when created in epoch `e`: it still backs the current epoch, then
//!   waits `unbonding_epochs` full epochs. A partial unbond must leave 0 or at least the
//!   minimum bond. Entries maturing in the same epoch merge; at most
//!   [`state::MAX_UNBONDING_ENTRIES`] may be pending.
//! - `Withdraw`: pays every matured entry back to the sender's balance.
//! - `ReportEquivocation { evidence }`: see below.
//!
//! ## Slashing
//! The executor holds an injected [`EquivocationVerifier`] (the node wires the consensus
//! engine's); without one every report fails with `EvidenceNotSupported`. Every node of a
//! network must run the same verifier, since the result is part of the state. A report is
//! accepted when the verifier proves an [`Offence`] `(offender, epoch, view)` whose epoch has
//! started, is at most `unbonding_epochs` old (older stake may already be withdrawn, so such
//! evidence is refused as too old), whose offender was in that epoch's set, that was not
//! reported before, and whose offender is not already tombstoned. Then:
//! - `slash_bps` of the bonded stake and of each unbonding entry that has not matured is taken
//!   (each part rounded down);
//! - `reporter_reward_bps` of that goes to the reporter (a reward for watching; an offender
//!   reporting itself still loses the rest), the remainder is burned through the bank's
//!   issuance (`bank::burn`), so the supply shrinks by exactly that;
//! - the offender is tombstoned: never selected again and unable to bond, for good. Its
//!   remaining stake can still be unbonded and withdrawn. One offence slashes once; equivocating
//!   again is refused as already tombstoned rather than slashed again.
//!
//! ## Money
//! Bonded and unbonding SYN sit in the module account [`module_account`], so the bank's issuance
//! stays the sum of all balances and `issuance = free balances + bonded + unbonding`. Genesis
//! credits the module account with the genesis validators' stake and counts it in the issuance.
//!
//! ## State (`validators/` prefix, see [`state`])
//! the staking parameters (written at genesis, so the state root commits to them), records per
//! account, the candidate set, one set per epoch (kept for good: evidence is checked against
//! old sets and the engine re-reads every epoch's set on restart), the current epoch, totals,
//! and a marker per punished offence.
//!
//! ## Wiring (for the node)
//! - The engine's epoch length must equal `genesis.staking.epoch_length`, and its
//!   `Application::validator_set(e)` answers from [`set_for_epoch`] on committed state (the set
//!   of `e` exists once the last block of `e-1` is committed).
//! - The consensus crate's `verify_equivocation(namespace, validators_of_epoch, evidence)`
//!   fits [`EquivocationVerifier::verify`] directly (its `Equivocation { offender, epoch, view,
//!   .. }` maps to [`Offence`]); install it with `Executor::with_equivocation_verifier`.
//!
//! ## Limits
//! - No validator rewards beyond block fees (which go to the proposer), no delegation and no
//!   commission: a validator bonds its own SYN.
//! - Equivocation is the only slashable fault (no downtime slashing); tombstoning is forever.
//! - Selection reads every candidate's record at each boundary; candidates are bounded by the
//!   supply over `min_validator_bond`.

pub mod query;
pub mod rpc;
pub mod state;

use std::cell::RefCell;
use synod_bank as bank;
pub mod wire;

pub use wire::{
    BPS_DENOMINATOR, GenesisValidator, InvalidStakingParams, MAX_EVIDENCE_LEN, SetMember,
    StakingParams, UnbondingEntry, ValidatorCall, ValidatorEvent, ValidatorFailure,
};

use std::sync::Arc;
use synod_bank::BankFailure;
use synod_module::{BlockCtx, GenesisError, GenesisFailure, Module, ModuleFailure};
use synod_primitives::{AccountId, Balance};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::{self as typed, StateError};

/// Why a validator-set call failed: its own reasons, or the bank's when moving SYN.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
    /// The bank refused a transfer (e.g. a bond above the balance).
    #[error(transparent)]
    Bank(#[from] BankFailure),
    /// A validator-set rule refused the call.
    #[error(transparent)]
    Validator(#[from] ValidatorFailure),
}

impl ModuleFailure for CallFailure {}

/// The error of a validator-set call.
pub type CallError = synod_module::CallError<CallFailure>;
/// The outcome of a validator-set call.
pub type CallResult = synod_module::CallResult<ValidatorEvent, CallFailure>;

pub use state::{MAX_UNBONDING_ENTRIES, Totals, ValidatorRecord, current_epoch, set_for_epoch};

/// The account that holds bonded and unbonding SYN. Its key is a hash, so nobody can sign for
/// it.
pub fn module_account() -> AccountId {
    synod_module::module_account(Validators::NAME)
}

/// A proven equivocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offence {
    /// The validator that signed two conflicting messages.
    pub offender: AccountId,
    /// The epoch in which it did.
    pub epoch: u64,
    /// The consensus view in which it did.
    pub view: u64,
}

/// Checks equivocation evidence. Implemented by the consensus engine (the evidence format is
/// its own); `set_for_epoch` gives the stored validator set of an epoch, so the verifier can
/// check that the signer was a member and that the signatures are under that epoch's keys.
pub trait EquivocationVerifier: Send + Sync {
    /// The offence the evidence proves, or why it proves none.
    fn verify(
        &self,
        evidence: &[u8],
        set_for_epoch: &dyn Fn(u64) -> Option<Vec<AccountId>>,
    ) -> Result<Offence, String>;
}

/// What a call needs besides state.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// Height of the block being executed.
    pub height: u64,
    /// Staking parameters (from genesis).
    pub params: &'a StakingParams,
    /// The equivocation verifier, if the node has one.
    pub verifier: Option<&'a dyn EquivocationVerifier>,
}

impl Ctx<'_> {
    /// Epoch of the block being executed.
    pub fn epoch(&self) -> u64 {
        self.params.epoch_of(self.height)
    }
}

fn vf(f: ValidatorFailure) -> CallError {
    CallError::Failed(CallFailure::Validator(f))
}

/// `amount * bps / 10_000`, rounded down.
pub fn bps_of(amount: Balance, bps: u16) -> Balance {
    let v = u128::from(amount) * u128::from(bps) / u128::from(BPS_DENOMINATOR);
    // bps ≤ 10_000 keeps it ≤ amount; a bad genesis above that saturates instead.
    Balance::try_from(v).unwrap_or(amount).min(amount)
}

/// Seeds genesis: the staking parameters, every genesis validator bonded with its stake
/// (duplicates merged), the set of epoch 0, the totals, and the module account credited with
/// the stake. Returns the amount
/// credited, which the caller must add to the issuance.
pub fn genesis<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    validators: &[GenesisValidator],
    params: &StakingParams,
) -> Result<Balance, StateError> {
    typed::put(s, state::PARAMS_KEY.to_vec(), params);
    let mut merged = std::collections::BTreeMap::<AccountId, Balance>::new();
    for v in validators {
        let e = merged.entry(v.account).or_default();
        *e = e.saturating_add(v.stake);
    }
    let mut module = bank::account(s, &module_account())?;
    let before = module.balance;
    let mut set = Vec::with_capacity(merged.len());
    for (account, stake) in merged {
        // Saturating keeps the module balance equal to the stake it backs even for absurd
        // genesis files (a real genesis is far below the supply cap).
        let room = Balance::MAX - module.balance;
        let stake = stake.min(room);
        module.balance += stake;
        let rec = ValidatorRecord {
            bonded: stake,
            ..ValidatorRecord::default()
        };
        state::set_record(s, &account, &rec)?;
        set.push((account, stake));
    }
    sort_set(&mut set);
    let credited = module.balance - before;
    bank::set_account(s, &module_account(), module);
    state::set_totals(
        s,
        &Totals {
            bonded: credited,
            ..Totals::default()
        },
    );
    state::put_set(s, 0, &set);
    Ok(credited)
}

fn sort_set(set: &mut [(AccountId, Balance)]) {
    set.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
}

/// The set the selection rule gives for the state as it is: eligible candidates by stake
/// descending then account bytes, at most `max_validators`. May be empty.
pub fn select(
    s: &(impl StateRead + ?Sized),
    params: &StakingParams,
) -> Result<Vec<(AccountId, Balance)>, StateError> {
    let mut set = Vec::new();
    for account in state::candidates(s)? {
        let Some(rec) = state::record(s, &account)? else {
            continue;
        };
        if !rec.tombstoned && rec.bonded > 0 && rec.bonded >= params.min_validator_bond {
            set.push((account, rec.bonded));
        }
    }
    sort_set(&mut set);
    set.truncate(usize::try_from(params.max_validators).unwrap_or(usize::MAX));
    Ok(set)
}

/// Members as event/view values.
pub fn members(set: &[(AccountId, Balance)]) -> Vec<SetMember> {
    set.iter()
        .map(|(account, stake)| SetMember {
            account: *account,
            stake: *stake,
        })
        .collect()
}

/// The per-block hook: at the end of the last block of an epoch, fixes the next epoch's set.
/// Returns the events for the block's end-block receipt (none in other blocks).
pub fn on_block_end<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    params: &StakingParams,
) -> Result<Vec<ValidatorEvent>, StateError> {
    if !params.is_epoch_end(height) {
        return Ok(Vec::new());
    }
    let next = params.epoch_of(height).saturating_add(1);
    let mut events = Vec::new();
    let mut set = select(s, params)?;
    if set.is_empty() {
        let current = current_epoch(s)?;
        set = set_for_epoch(s, current)?.unwrap_or_default();
        events.push(ValidatorEvent::EmptySetAvoided { epoch: next });
    }
    state::put_set(s, next, &set);
    events.push(ValidatorEvent::ValidatorSetChanged {
        epoch: next,
        validators: members(&set),
    });
    Ok(events)
}

/// Executes one validator-set call signed by `sender`.
pub fn dispatch<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    call: &ValidatorCall,
) -> CallResult {
    match call {
        ValidatorCall::Bond { amount } => bond(s, ctx, sender, *amount),
        ValidatorCall::Unbond { amount } => unbond(s, ctx, sender, *amount),
        ValidatorCall::Withdraw => withdraw(s, ctx, sender),
        ValidatorCall::ReportEquivocation { evidence } => {
            report_equivocation(s, ctx, sender, evidence)
        }
    }
}

fn bond<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    amount: Balance,
) -> CallResult {
    if amount == 0 {
        return Err(vf(ValidatorFailure::ZeroAmount));
    }
    let mut rec = state::record(s, sender)?.unwrap_or_default();
    if rec.tombstoned {
        return Err(vf(ValidatorFailure::Tombstoned { account: *sender }));
    }
    let bonded = rec
        .bonded
        .checked_add(amount)
        .ok_or(CallFailure::Bank(BankFailure::BalanceOverflow))?;
    if bonded < ctx.params.min_validator_bond {
        return Err(vf(ValidatorFailure::BelowMinBond {
            bonded_after: bonded,
            min: ctx.params.min_validator_bond,
        }));
    }
    bank::transfer(s, sender, &module_account(), amount)?;
    rec.bonded = bonded;
    state::set_record(s, sender, &rec)?;
    let mut t = state::totals(s)?;
    t.bonded = t
        .bonded
        .checked_add(amount)
        .ok_or(CallFailure::Bank(BankFailure::BalanceOverflow))?;
    state::set_totals(s, &t);
    Ok(vec![ValidatorEvent::Bonded {
        validator: *sender,
        amount,
        bonded,
    }])
}

fn unbond<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    amount: Balance,
) -> CallResult {
    if amount == 0 {
        return Err(vf(ValidatorFailure::ZeroAmount));
    }
    let Some(mut rec) = state::record(s, sender)? else {
        return Err(vf(ValidatorFailure::NotAValidator { account: *sender }));
    };
    if amount > rec.bonded {
        return Err(vf(ValidatorFailure::InsufficientBonded {
            requested: amount,
            bonded: rec.bonded,
        }));
    }
    let remaining = rec.bonded - amount;
    if remaining != 0 && remaining < ctx.params.min_validator_bond {
        return Err(vf(ValidatorFailure::UnbondBelowMin {
            remaining,
            min: ctx.params.min_validator_bond,
        }));
    }
    let release_epoch = ctx
        .epoch()
        .saturating_add(1)
        .saturating_add(ctx.params.unbonding_epochs);
    match rec
        .unbonding
        .iter_mut()
        .find(|e| e.release_epoch == release_epoch)
    {
        Some(e) => {
            e.amount = e
                .amount
                .checked_add(amount)
                .ok_or(CallFailure::Bank(BankFailure::BalanceOverflow))?;
        }
        None => {
            if rec.unbonding.len() >= MAX_UNBONDING_ENTRIES as usize {
                return Err(vf(ValidatorFailure::TooManyUnbondingEntries {
                    max: MAX_UNBONDING_ENTRIES,
                }));
            }
            rec.unbonding.push(UnbondingEntry {
                amount,
                release_epoch,
            });
            rec.unbonding.sort_by_key(|e| e.release_epoch);
        }
    }
    rec.bonded = remaining;
    state::set_record(s, sender, &rec)?;
    let mut t = state::totals(s)?;
    t.bonded = t.bonded.saturating_sub(amount);
    t.unbonding = t.unbonding.saturating_add(amount);
    state::set_totals(s, &t);
    Ok(vec![ValidatorEvent::Unbonded {
        validator: *sender,
        amount,
        bonded: remaining,
        release_epoch,
    }])
}

fn withdraw<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
) -> CallResult {
    let Some(mut rec) = state::record(s, sender)? else {
        return Err(vf(ValidatorFailure::NothingToWithdraw {
            next_release_epoch: None,
        }));
    };
    let epoch = ctx.epoch();
    let (matured, pending): (Vec<_>, Vec<_>) = rec
        .unbonding
        .iter()
        .cloned()
        .partition(|e| e.release_epoch <= epoch);
    let amount = matured.iter().fold(0u64, |a, e| a.saturating_add(e.amount));
    if amount == 0 {
        return Err(vf(ValidatorFailure::NothingToWithdraw {
            next_release_epoch: pending.iter().map(|e| e.release_epoch).min(),
        }));
    }
    rec.unbonding = pending;
    bank::transfer(s, &module_account(), sender, amount)?;
    state::set_record(s, sender, &rec)?;
    let mut t = state::totals(s)?;
    t.unbonding = t.unbonding.saturating_sub(amount);
    state::set_totals(s, &t);
    Ok(vec![ValidatorEvent::Withdrawn {
        validator: *sender,
        amount,
    }])
}

/// Longest verifier explanation kept in a receipt.
const MAX_DETAIL_LEN: usize = 256;

fn report_equivocation<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    reporter: &AccountId,
    evidence: &[u8],
) -> CallResult {
    let Some(verifier) = ctx.verifier else {
        return Err(vf(ValidatorFailure::EvidenceNotSupported));
    };
    if evidence.len() > MAX_EVIDENCE_LEN {
        return Err(vf(ValidatorFailure::EvidenceTooLarge {
            size: evidence.len() as u64,
            max: MAX_EVIDENCE_LEN as u64,
        }));
    }
    let read_error: RefCell<Option<StateError>> = RefCell::new(None);
    let verdict = {
        let view: &Overlay<'_, R> = s;
        let lookup = |epoch: u64| -> Option<Vec<AccountId>> {
            match set_for_epoch(view, epoch) {
                Ok(set) => set.map(|v| v.into_iter().map(|(a, _)| a).collect()),
                Err(e) => {
                    *read_error.borrow_mut() = Some(e);
                    None
                }
            }
        };
        verifier.verify(evidence, &lookup)
    };
    if let Some(e) = read_error.into_inner() {
        return Err(e.into());
    }
    let offence = verdict.map_err(|mut detail| {
        if detail.len() > MAX_DETAIL_LEN {
            let mut cut = MAX_DETAIL_LEN;
            while !detail.is_char_boundary(cut) {
                cut -= 1;
            }
            detail.truncate(cut);
        }
        vf(ValidatorFailure::InvalidEvidence { detail })
    })?;
    let Offence {
        offender,
        epoch,
        view,
    } = offence;
    let current = ctx.epoch();
    if epoch > current {
        return Err(vf(ValidatorFailure::EvidenceFromFuture { epoch, current }));
    }
    let oldest = current.saturating_sub(ctx.params.unbonding_epochs);
    if epoch < oldest {
        return Err(vf(ValidatorFailure::EvidenceTooOld { epoch, oldest }));
    }
    let in_set =
        set_for_epoch(s, epoch)?.is_some_and(|set| set.iter().any(|(a, _)| *a == offender));
    if !in_set {
        return Err(vf(ValidatorFailure::OffenderNotInSet { offender, epoch }));
    }
    let marker = state::offence_key(&offender, epoch, view);
    if typed::get::<u64>(s, &marker)?.is_some() {
        return Err(vf(ValidatorFailure::DuplicateEvidence {
            offender,
            epoch,
            view,
        }));
    }
    let mut rec = state::record(s, &offender)?.unwrap_or_default();
    if rec.tombstoned {
        return Err(vf(ValidatorFailure::OffenderAlreadyTombstoned { offender }));
    }
    let bps = ctx.params.slash_bps;
    let from_bonded = bps_of(rec.bonded, bps);
    rec.bonded -= from_bonded;
    let mut from_unbonding: Balance = 0;
    for e in rec
        .unbonding
        .iter_mut()
        .filter(|e| e.release_epoch > current)
    {
        let cut = bps_of(e.amount, bps);
        e.amount -= cut;
        from_unbonding = from_unbonding.saturating_add(cut);
    }
    rec.unbonding.retain(|e| e.amount > 0);
    let slashed = from_bonded.saturating_add(from_unbonding);
    let reward = bps_of(slashed, ctx.params.reporter_reward_bps);
    let burned = slashed - reward;
    bank::burn(s, &module_account(), burned)?;
    if reward > 0 {
        bank::transfer(s, &module_account(), reporter, reward)?;
    }
    rec.tombstoned = true;
    rec.slashed = rec.slashed.saturating_add(slashed);
    state::set_record(s, &offender, &rec)?;
    let mut t = state::totals(s)?;
    t.bonded = t.bonded.saturating_sub(from_bonded);
    t.unbonding = t.unbonding.saturating_sub(from_unbonding);
    t.burned = t.burned.saturating_add(burned);
    state::set_totals(s, &t);
    typed::put(s, marker, &ctx.height);
    Ok(vec![
        ValidatorEvent::Slashed {
            offender,
            epoch,
            view,
            slashed,
            burned,
            reporter: *reporter,
            reward,
        },
        ValidatorEvent::Tombstoned {
            validator: offender,
        },
    ])
}

/// The validator set as a chain module: writes the genesis set, executes [`ValidatorCall`]s
/// and fixes the next epoch's set at each epoch's last block.
#[derive(Clone)]
pub struct Validators {
    params: StakingParams,
    genesis_set: Vec<GenesisValidator>,
    verifier: Option<Arc<dyn EquivocationVerifier>>,
}

impl std::fmt::Debug for Validators {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validators")
            .field("params", &self.params)
            .field("genesis_set", &self.genesis_set.len())
            .field("verifier", &self.verifier.is_some())
            .finish()
    }
}

impl Validators {
    /// The module of a chain whose genesis has `genesis_set` and `params`, with no
    /// equivocation verifier (every report fails with `EvidenceNotSupported`).
    pub fn new(genesis_set: Vec<GenesisValidator>, params: StakingParams) -> Self {
        Validators {
            params,
            genesis_set,
            verifier: None,
        }
    }

    /// Installs the verifier that checks `ReportEquivocation` evidence. Every node of a chain
    /// must use the same one, since its verdict is part of the state.
    pub fn set_verifier(&mut self, verifier: Arc<dyn EquivocationVerifier>) {
        self.verifier = Some(verifier);
    }

    /// The staking parameters.
    pub fn params(&self) -> &StakingParams {
        &self.params
    }
}

impl Module for Validators {
    const NAME: &'static str = "validators";
    type Call = ValidatorCall;
    type Event = ValidatorEvent;
    type Failure = CallFailure;

    fn validate_genesis(&self) -> Result<(), GenesisError> {
        self.params.validate().map_err(|e| GenesisError {
            module: Self::NAME,
            reason: e.0,
        })
    }

    /// Bonds the genesis validators' stake into the module account and counts it in the
    /// issuance (after the bank has credited the genesis accounts).
    fn init_genesis<R: StateRead + ?Sized>(
        &self,
        state: &mut Overlay<'_, R>,
    ) -> Result<(), GenesisFailure> {
        let staked = genesis(state, &self.genesis_set, &self.params)?;
        let total = bank::issuance(state)?.saturating_add(staked);
        bank::set_issuance(state, total);
        Ok(())
    }

    fn call_weight(call: &ValidatorCall) -> u64 {
        call.weight()
    }

    fn call_spend(call: &ValidatorCall) -> Balance {
        match call {
            ValidatorCall::Bond { amount } => *amount,
            ValidatorCall::Unbond { .. }
            | ValidatorCall::Withdraw
            | ValidatorCall::ReportEquivocation { .. } => 0,
        }
    }

    fn rpc(&self, env: &synod_module::RpcEnv) -> jsonrpsee::Methods {
        let store = &env.store;
        use rpc::ValidatorsApiServer;
        rpc::ValidatorsRpc::new(store.clone(), self.params)
            .into_rpc()
            .into()
    }

    fn rpc_doc() -> Vec<synod_module::MethodDoc> {
        rpc::rpc_doc()
    }

    fn dispatch<R: StateRead + ?Sized>(
        &self,
        state: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
        sender: &AccountId,
        call: &ValidatorCall,
    ) -> CallResult {
        dispatch(
            state,
            &Ctx {
                height: ctx.height,
                params: &self.params,
                verifier: self.verifier.as_deref(),
            },
            sender,
            call,
        )
    }

    fn end_block<R: StateRead + ?Sized>(
        &self,
        state: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
    ) -> Result<Vec<ValidatorEvent>, StateError> {
        on_block_end(state, ctx.height, &self.params)
    }
}
