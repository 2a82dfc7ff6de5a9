//! # synod-bank — the native ledger
//!
//! Owns SYN: accounts with balances and nonces, transfers, the total issuance (only [`mint`]
//! raises it, only [`burn`] lowers it), fees, and coldkey/hotkey bindings; its calls, events
//! and failures ([`wire`]); its genesis section (funded accounts). Other modules move SYN only
//! through these functions, and hold SYN in keyless module accounts so that the issuance is
//! always the sum of all balances. It must not know any other module.
//!
//! State layout:
//! - `bank/acct/<account>` → [`AccountInfo`]
//! - `bank/hotkey/<hotkey>` → owning coldkey
//! - `bank/owned/<coldkey><hotkey>` → empty (lists a coldkey's hotkeys)
//! - `bank/issuance` → total issuance (`u64`): the sum of every balance, including module
//!   accounts that hold funds in custody (e.g. the subnet pools). Genesis sets it to the sum of
//!   the genesis balances; only [`mint`] raises it and only [`burn`] lowers it, both checked.

pub mod rpc;
pub mod wire;

pub use wire::{BankCall, BankEvent, BankFailure, GenesisAccount, hotkey_binding_message};

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_module::{BlockCtx, CallError, GenesisFailure, Module};
use synod_primitives::{AccountId, Balance, Nonce, Signature};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::{self as state, StateError};

/// A bank operation that did not complete: the caller's fault ([`BankFailure`]) or unreadable
/// state. Converts with `?` into the call error of any module whose failures include the
/// bank's.
#[derive(Debug, thiserror::Error)]
pub enum BankError {
    /// The operation is refused.
    #[error(transparent)]
    Failed(#[from] BankFailure),
    /// State could not be read.
    #[error(transparent)]
    State(#[from] StateError),
}

impl<F: From<BankFailure>> From<BankError> for CallError<F> {
    fn from(e: BankError) -> Self {
        match e {
            BankError::Failed(f) => CallError::Failed(F::from(f)),
            BankError::State(e) => CallError::State(e),
        }
    }
}

/// Result of a bank operation that reports events.
pub type BankResult = Result<Vec<BankEvent>, BankError>;

/// An account's balance and nonce.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
pub struct AccountInfo {
    /// Number of transactions this account has had included.
    pub nonce: Nonce,
    /// Free balance in base units.
    pub balance: Balance,
}

/// State key of an account.
pub fn account_key(id: &AccountId) -> Vec<u8> {
    [b"bank/acct/".as_slice(), id.as_bytes()].concat()
}

/// State key of the total issuance.
pub const ISSUANCE_KEY: &[u8] = b"bank/issuance";

/// Total issuance in base units.
pub fn issuance(state: &(impl StateRead + ?Sized)) -> Result<Balance, StateError> {
    Ok(state::get(state, ISSUANCE_KEY)?.unwrap_or(0))
}

/// Overwrites the total issuance (genesis only; everything else goes through [`mint`] and
/// [`burn`]).
pub fn set_issuance<R: StateRead + ?Sized>(state: &mut Overlay<'_, R>, amount: Balance) {
    state::put(state, ISSUANCE_KEY.to_vec(), &amount);
}

/// Creates `amount` new base units in `to`'s balance, raising the total issuance. Fails (and
/// changes nothing) if the issuance or the balance would overflow.
pub fn mint<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    to: &AccountId,
    amount: Balance,
) -> Result<(), BankError> {
    let total = issuance(state)?
        .checked_add(amount)
        .ok_or(BankFailure::BalanceOverflow)?;
    let mut acct = account(state, to)?;
    acct.balance = acct
        .balance
        .checked_add(amount)
        .ok_or(BankFailure::BalanceOverflow)?;
    set_account(state, to, acct);
    set_issuance(state, total);
    Ok(())
}

/// Destroys `amount` base units from `from`'s balance, lowering the total issuance. Fails (and
/// changes nothing) if the balance is short.
pub fn burn<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    from: &AccountId,
    amount: Balance,
) -> Result<(), BankError> {
    let mut acct = account(state, from)?;
    if acct.balance < amount {
        return Err(BankFailure::InsufficientBalance {
            needed: amount,
            available: acct.balance,
        }
        .into());
    }
    acct.balance -= amount;
    // The issuance covers every balance, so it cannot be below this one; saturate anyway so a
    // corrupt record cannot make burning panic.
    let total = issuance(state)?.saturating_sub(amount);
    set_account(state, from, acct);
    set_issuance(state, total);
    Ok(())
}

/// State key of a hotkey's owner record.
pub fn hotkey_key(hotkey: &AccountId) -> Vec<u8> {
    [b"bank/hotkey/".as_slice(), hotkey.as_bytes()].concat()
}

/// State key prefix listing a coldkey's hotkeys.
pub fn owned_prefix(coldkey: &AccountId) -> Vec<u8> {
    [b"bank/owned/".as_slice(), coldkey.as_bytes()].concat()
}

/// Reads an account; a missing account is the zero account.
pub fn account(
    state: &(impl StateRead + ?Sized),
    id: &AccountId,
) -> Result<AccountInfo, StateError> {
    Ok(state::get(state, &account_key(id))?.unwrap_or_default())
}

/// Writes an account, deleting it when it is entirely zero so that state does not fill with
/// empty records.
pub fn set_account<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    id: &AccountId,
    info: AccountInfo,
) {
    if info == AccountInfo::default() {
        state.delete(account_key(id));
    } else {
        state::put(state, account_key(id), &info);
    }
}

/// The coldkey that owns `hotkey`, if bound.
pub fn hotkey_owner(
    state: &(impl StateRead + ?Sized),
    hotkey: &AccountId,
) -> Result<Option<AccountId>, StateError> {
    state::get(state, &hotkey_key(hotkey))
}

/// Moves `amount` from `from` to `to`.
pub fn transfer<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    from: &AccountId,
    to: &AccountId,
    amount: Balance,
) -> BankResult {
    let mut src = account(state, from)?;
    if src.balance < amount {
        return Err(BankFailure::InsufficientBalance {
            needed: amount,
            available: src.balance,
        }
        .into());
    }
    if from != to {
        let mut dst = account(state, to)?;
        dst.balance = dst
            .balance
            .checked_add(amount)
            .ok_or(BankFailure::BalanceOverflow)?;
        src.balance -= amount;
        set_account(state, from, src);
        set_account(state, to, dst);
    }
    Ok(vec![BankEvent::Transfer {
        from: *from,
        to: *to,
        amount,
    }])
}

/// Binds `hotkey` to `coldkey` after checking the hotkey's proof of possession.
pub fn bind_hotkey<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    chain_id: &str,
    coldkey: &AccountId,
    hotkey: &AccountId,
    proof: &Signature,
) -> BankResult {
    if hotkey == coldkey {
        return Err(BankFailure::HotkeyIsColdkey.into());
    }
    if let Some(owner) = hotkey_owner(state, hotkey)? {
        return Err(BankFailure::HotkeyAlreadyBound { owner }.into());
    }
    hotkey
        .verify(&hotkey_binding_message(chain_id, coldkey), proof)
        .map_err(|_| BankFailure::InvalidHotkeyProof)?;
    state::put(state, hotkey_key(hotkey), coldkey);
    state.put(
        [owned_prefix(coldkey), hotkey.as_bytes().to_vec()].concat(),
        Vec::new(),
    );
    Ok(vec![BankEvent::HotkeyBound {
        coldkey: *coldkey,
        hotkey: *hotkey,
    }])
}

/// Removes `hotkey`'s binding to `coldkey` (the caller checked that `coldkey` owns it). Used
/// by a hotkey swap, which binds the new hotkey first.
pub fn unbind_hotkey<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    coldkey: &AccountId,
    hotkey: &AccountId,
) {
    state.delete(hotkey_key(hotkey));
    state.delete([owned_prefix(coldkey), hotkey.as_bytes().to_vec()].concat());
}

/// Charges `fee` to `sender` (whose record the caller has read and checked covers it),
/// advances its nonce, and pays the fee to `collector`. Fees cannot overflow a balance below
/// the supply cap; if they ever would, they are burned instead.
pub fn charge_fee<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    sender_id: &AccountId,
    mut sender: AccountInfo,
    collector_id: &AccountId,
    fee: Balance,
) -> Result<BankEvent, StateError> {
    sender.balance -= fee;
    sender.nonce += 1;
    set_account(state, sender_id, sender);
    let mut collector = account(state, collector_id)?;
    match collector.balance.checked_add(fee) {
        Some(b) => {
            collector.balance = b;
            set_account(state, collector_id, collector);
        }
        None => {
            let total = issuance(state)?.saturating_sub(fee);
            set_issuance(state, total);
        }
    }
    Ok(BankEvent::FeePaid {
        payer: *sender_id,
        collector: *collector_id,
        amount: fee,
    })
}

/// The bank as a chain module: funds the genesis accounts and executes [`BankCall`]s.
#[derive(Clone, Debug)]
pub struct Bank {
    accounts: Vec<GenesisAccount>,
}

impl Bank {
    /// The bank of a chain whose genesis funds `accounts`.
    pub fn new(accounts: Vec<GenesisAccount>) -> Self {
        Bank { accounts }
    }
}

impl Module for Bank {
    const NAME: &'static str = "bank";
    type Call = BankCall;
    type Event = BankEvent;
    type Failure = BankFailure;

    /// Credits every genesis account and sets the issuance to their sum. Saturating both ways
    /// keeps issuance == sum of balances even for absurd genesis files (a real genesis is far
    /// below the 21M SYN cap).
    fn init_genesis<R: StateRead + ?Sized>(
        &self,
        state: &mut Overlay<'_, R>,
    ) -> Result<(), GenesisFailure> {
        let mut total = issuance(state)?;
        for a in &self.accounts {
            let mut info = account(state, &a.account)?;
            let before = info.balance;
            info.balance = info.balance.saturating_add(a.balance);
            total = total.saturating_add(info.balance - before);
            set_account(state, &a.account, info);
        }
        set_issuance(state, total);
        Ok(())
    }

    fn call_weight(call: &BankCall) -> u64 {
        call.weight()
    }

    fn call_spend(call: &BankCall) -> Balance {
        match call {
            BankCall::Transfer { amount, .. } => *amount,
            BankCall::BindHotkey { .. } => 0,
        }
    }

    fn rpc(&self, env: &synod_module::RpcEnv) -> jsonrpsee::Methods {
        let store = &env.store;
        use rpc::BankApiServer;
        rpc::BankRpc::new(store.clone()).into_rpc().into()
    }

    fn rpc_doc() -> Vec<synod_module::MethodDoc> {
        rpc::rpc_doc()
    }

    fn dispatch<R: StateRead + ?Sized>(
        &self,
        state: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
        sender: &AccountId,
        call: &BankCall,
    ) -> synod_module::CallResult<BankEvent, BankFailure> {
        Ok(match call {
            BankCall::Transfer { to, amount } => transfer(state, sender, to, *amount)?,
            BankCall::BindHotkey { hotkey, proof } => {
                bind_hotkey(state, ctx.chain_id, sender, hotkey, proof)?
            }
        })
    }
}
