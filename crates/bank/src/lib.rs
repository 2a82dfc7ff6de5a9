//! Synod's bank module: accounts, balances, nonces, transfers, and coldkey/hotkey bindings.
//!
//! State layout:
//! - `bank/acct/<account>` → [`AccountInfo`]
//! - `bank/hotkey/<hotkey>` → owning coldkey
//! - `bank/owned/<coldkey><hotkey>` → empty (lists a coldkey's hotkeys)

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
