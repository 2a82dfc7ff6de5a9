//! Synod's bank module: accounts, balances, nonces, transfers, total issuance, and
//! coldkey/hotkey bindings.
//!
//! State layout:
//! - `bank/acct/<account>` → [`AccountInfo`]
//! - `bank/hotkey/<hotkey>` → owning coldkey
//! - `bank/owned/<coldkey><hotkey>` → empty (lists a coldkey's hotkeys)
//! - `bank/issuance` → total issuance (`u64`): the sum of every balance, including module
//!   accounts that hold funds in custody (e.g. the subnet pools). Genesis sets it to the sum of
//!   the genesis balances; only [`mint`] raises it and only [`burn`] lowers it, both checked.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_primitives::tx::hotkey_binding_message;
use synod_primitives::{AccountId, Balance, Event, Nonce, Signature, TxFailure};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::{self as state, StateError};
pub use synod_storage::typed::{CallError, CallResult};

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
) -> Result<(), CallError> {
    let total = issuance(state)?
        .checked_add(amount)
        .ok_or(TxFailure::BalanceOverflow)?;
    let mut acct = account(state, to)?;
    acct.balance = acct
        .balance
        .checked_add(amount)
        .ok_or(TxFailure::BalanceOverflow)?;
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
) -> Result<(), CallError> {
    let mut acct = account(state, from)?;
    if acct.balance < amount {
        return Err(TxFailure::InsufficientBalance {
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
) -> CallResult {
    let mut src = account(state, from)?;
    if src.balance < amount {
        return Err(TxFailure::InsufficientBalance {
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
            .ok_or(TxFailure::BalanceOverflow)?;
        src.balance -= amount;
        set_account(state, from, src);
        set_account(state, to, dst);
    }
    Ok(vec![Event::Transfer {
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
) -> CallResult {
    if hotkey == coldkey {
        return Err(TxFailure::HotkeyIsColdkey.into());
    }
    if let Some(owner) = hotkey_owner(state, hotkey)? {
        return Err(TxFailure::HotkeyAlreadyBound { owner }.into());
    }
    hotkey
        .verify(&hotkey_binding_message(chain_id, coldkey), proof)
        .map_err(|_| TxFailure::InvalidHotkeyProof)?;
    state::put(state, hotkey_key(hotkey), coldkey);
    state.put(
        [owned_prefix(coldkey), hotkey.as_bytes().to_vec()].concat(),
        Vec::new(),
    );
    Ok(vec![Event::HotkeyBound {
        coldkey: *coldkey,
        hotkey: *hotkey,
    }])
}
