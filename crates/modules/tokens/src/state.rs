//! Stored records and their keys. Every key starts with `tokens/`; ids are 8-byte big-endian so
//! that keys sort numerically and a prefix scan walks them in id order. Execution only reads
//! single keys; the two index prefixes (`vben/`, `pend/`) exist for the read views, which scan
//! them on committed state.

use crate::wire::{
    ActionId, AdminAction, Emission, Role, TokenAmount, TokenFailure, TokenId, VestingId,
};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_module::CallError;
use synod_primitives::AccountId;
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::{self as typed, StateError};

/// Key of the id the next token gets (absent: 1).
pub const NEXT_ID_KEY: &[u8] = b"tokens/next_id";
/// Prefix of token records.
pub const TOKEN_PREFIX: &[u8] = b"tokens/t/";
/// Prefix of the symbol index.
pub const SYMBOL_PREFIX: &[u8] = b"tokens/sym/";
/// Prefix of free balances.
pub const BALANCE_PREFIX: &[u8] = b"tokens/bal/";
/// Prefix of locked balances.
pub const LOCKED_PREFIX: &[u8] = b"tokens/lock/";
/// Prefix of allowances.
pub const ALLOWANCE_PREFIX: &[u8] = b"tokens/allow/";
/// Prefix of open vesting schedules.
pub const VESTING_PREFIX: &[u8] = b"tokens/vest/";
/// Prefix of the index of open vesting schedules by beneficiary.
pub const BENEFICIARY_PREFIX: &[u8] = b"tokens/vben/";
/// Prefix of admin action records (kept for good, with their status).
pub const ACTION_PREFIX: &[u8] = b"tokens/act/";
/// Prefix of the index of pending admin actions.
pub const PENDING_PREFIX: &[u8] = b"tokens/pend/";

/// Everything the chain keeps about one token besides balances.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TokenRecord {
    /// Unique symbol.
    pub symbol: String,
    /// Display name.
    pub name: String,
    /// Decimals of one whole token.
    pub decimals: u8,
    /// Fixed maximum of `supply`.
    pub max_supply: TokenAmount,
    /// Units in existence: free balances + locked + escrowed in vesting.
    pub supply: TokenAmount,
    /// Sum of the locked balances.
    pub locked: TokenAmount,
    /// Sum still escrowed in open vesting schedules.
    pub escrowed: TokenAmount,
    /// Units ever minted (statistics; saturates rather than fail a call).
    pub minted: TokenAmount,
    /// Units ever burned (statistics; saturates rather than fail a call).
    pub burned: TokenAmount,
    /// Who created it.
    pub creator: AccountId,
    /// Creation height.
    pub created_at: u64,
    /// Holder of the mint authority role.
    pub mint_authority: AccountId,
    /// Holder of the admin role.
    pub admin: AccountId,
    /// The emission schedule, if any.
    pub emission: Option<Emission>,
    /// Height up to which the schedule's accrual was emitted (creation or last change at
    /// first).
    pub last_emission: u64,
    /// The id the next vesting schedule gets.
    pub next_vesting_id: VestingId,
    /// The id the next admin action gets.
    pub next_action_id: ActionId,
}

impl TokenRecord {
    /// Room left under the maximum supply.
    pub fn room(&self) -> TokenAmount {
        self.max_supply.saturating_sub(self.supply)
    }

    /// What `Emit` would mint at `height`, and how many blocks of accrual that covers. Lazy
    /// accrual: `rate × blocks` since the last emission, capped by the room left.
    pub fn emittable(&self, height: u64) -> (TokenAmount, u64) {
        let Some(e) = self.emission else {
            return (0, 0);
        };
        let blocks = height.saturating_sub(self.last_emission);
        // Saturating is exact here: the result is capped by the room, which fits.
        let accrued = e.rate.saturating_mul(TokenAmount::from(blocks));
        (accrued.min(self.room()), blocks)
    }

    /// The account holding `role`.
    pub fn holder(&self, role: Role) -> AccountId {
        match role {
            Role::MintAuthority => self.mint_authority,
            Role::Admin => self.admin,
        }
    }

    /// Refuses `sender` unless it holds `role`.
    pub fn require_role(&self, role: Role, sender: &AccountId) -> Result<(), TokenFailure> {
        if self.holder(role) == *sender {
            return Ok(());
        }
        Err(match role {
            Role::MintAuthority => TokenFailure::NotMintAuthority,
            Role::Admin => TokenFailure::NotAdmin,
        })
    }
}

/// An allowance an owner gave a spender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Allowance {
    /// Base units the spender may still move.
    pub amount: TokenAmount,
    /// First height at which it no longer works.
    pub expires_at: Option<u64>,
}

/// An open vesting schedule: escrowed units releasing linearly to the beneficiary.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VestingRecord {
    /// Who funded it.
    pub funder: AccountId,
    /// Who may claim.
    pub beneficiary: AccountId,
    /// Units escrowed at creation.
    pub amount: TokenAmount,
    /// Units paid out so far.
    pub claimed: TokenAmount,
    /// Start height.
    pub start: u64,
    /// Blocks after `start` before anything vests.
    pub cliff: u64,
    /// Blocks after `start` until everything vests (at least 1).
    pub duration: u64,
    /// Height it was created at.
    pub created_at: u64,
}

impl VestingRecord {
    /// First height at which something is vested.
    pub fn cliff_ends(&self) -> u64 {
        self.start.saturating_add(self.cliff)
    }

    /// First height at which everything is vested.
    pub fn ends_at(&self) -> u64 {
        self.start.saturating_add(self.duration)
    }

    /// Units vested at `height` (see [`vested_amount`]).
    pub fn vested_at(&self, height: u64) -> TokenAmount {
        vested_amount(self.amount, self.start, self.cliff, self.duration, height)
    }

    /// Still in escrow.
    pub fn unclaimed(&self) -> TokenAmount {
        self.amount.saturating_sub(self.claimed)
    }
}

/// Units of `amount` vested at `height` for a schedule starting at `start`: nothing before
/// `start + cliff`, then `amount × (height − start) / duration` rounded down, and all of it from
/// `start + duration` (the rounding remainder comes at the end). A `duration` of 0 (refused at
/// creation) counts as fully vested.
pub fn vested_amount(
    amount: TokenAmount,
    start: u64,
    cliff: u64,
    duration: u64,
    height: u64,
) -> TokenAmount {
    if height < start.saturating_add(cliff) {
        return 0;
    }
    let elapsed = height.saturating_sub(start);
    if duration == 0 || elapsed >= duration {
        return amount;
    }
    mul_div_below(amount, elapsed, duration)
}

/// `⌊amount × num / den⌋` for `num < den`, without a 256-bit product: with `amount = q·den + r`
/// it is `q·num + ⌊r·num / den⌋`, where `r·num < den² ≤ 2^128` and `q·num < amount`.
fn mul_div_below(amount: TokenAmount, num: u64, den: u64) -> TokenAmount {
    let (num, den) = (TokenAmount::from(num), TokenAmount::from(den));
    let q = amount / den;
    let r = amount % den;
    q * num + r * num / den
}

/// Whether an action is waiting, applied or dropped.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ActionStatus {
    /// Waiting for its timelock or for execution.
    Pending,
    /// Applied.
    Executed {
        /// Height of execution.
        at: u64,
    },
    /// Dropped.
    Cancelled {
        /// Height of cancellation.
        at: u64,
    },
}

/// A queued admin action and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ActionRecord {
    /// What it does.
    pub action: AdminAction,
    /// Who queued it.
    pub proposer: AccountId,
    /// Height it was queued at.
    pub queued_at: u64,
    /// First height at which it can be executed.
    pub ready_at: u64,
    /// What became of it.
    pub status: ActionStatus,
}

fn id_key(prefix: &[u8], token: TokenId) -> Vec<u8> {
    [prefix, &token.to_be_bytes()].concat()
}

/// Key of a token record.
pub fn token_key(token: TokenId) -> Vec<u8> {
    id_key(TOKEN_PREFIX, token)
}

/// Key of the symbol index entry (value: the token id).
pub fn symbol_key(symbol: &str) -> Vec<u8> {
    [SYMBOL_PREFIX, symbol.as_bytes()].concat()
}

/// Key of a free balance (value: `u128`, absent when 0).
pub fn balance_key(token: TokenId, account: &AccountId) -> Vec<u8> {
    [id_key(BALANCE_PREFIX, token).as_slice(), account.as_bytes()].concat()
}

/// Key of a locked balance (value: `u128`, absent when 0).
pub fn locked_key(token: TokenId, account: &AccountId) -> Vec<u8> {
    [id_key(LOCKED_PREFIX, token).as_slice(), account.as_bytes()].concat()
}

/// Key of an allowance (value: [`Allowance`], absent when 0).
pub fn allowance_key(token: TokenId, owner: &AccountId, spender: &AccountId) -> Vec<u8> {
    [
        id_key(ALLOWANCE_PREFIX, token).as_slice(),
        owner.as_bytes(),
        spender.as_bytes(),
    ]
    .concat()
}

/// Key of an open vesting schedule (value: [`VestingRecord`]).
pub fn vesting_key(token: TokenId, vesting: VestingId) -> Vec<u8> {
    [
        id_key(VESTING_PREFIX, token).as_slice(),
        &vesting.to_be_bytes(),
    ]
    .concat()
}

/// Key of the beneficiary index entry of a vesting schedule (value: the marker byte 1).
pub fn beneficiary_key(beneficiary: &AccountId, token: TokenId, vesting: VestingId) -> Vec<u8> {
    [
        BENEFICIARY_PREFIX,
        beneficiary.as_bytes(),
        &token.to_be_bytes(),
        &vesting.to_be_bytes(),
    ]
    .concat()
}

/// Prefix of a beneficiary's index entries, optionally of one token only.
pub fn beneficiary_prefix(beneficiary: &AccountId, token: Option<TokenId>) -> Vec<u8> {
    let mut k = [BENEFICIARY_PREFIX, beneficiary.as_bytes()].concat();
    if let Some(t) = token {
        k.extend_from_slice(&t.to_be_bytes());
    }
    k
}

/// Key of an admin action record (value: [`ActionRecord`]).
pub fn action_key(token: TokenId, action: ActionId) -> Vec<u8> {
    [
        id_key(ACTION_PREFIX, token).as_slice(),
        &action.to_be_bytes(),
    ]
    .concat()
}

/// Key of a pending action's index entry (value: its `ready_at`).
pub fn pending_key(token: TokenId, action: ActionId) -> Vec<u8> {
    [
        id_key(PENDING_PREFIX, token).as_slice(),
        &action.to_be_bytes(),
    ]
    .concat()
}

/// Prefix of a token's pending-action index entries.
pub fn pending_prefix(token: TokenId) -> Vec<u8> {
    id_key(PENDING_PREFIX, token)
}

/// The id the next token gets.
pub fn next_token_id(s: &(impl StateRead + ?Sized)) -> Result<TokenId, StateError> {
    Ok(typed::get(s, NEXT_ID_KEY)?.unwrap_or(1))
}

/// A token's record, if it exists.
pub fn token(
    s: &(impl StateRead + ?Sized),
    id: TokenId,
) -> Result<Option<TokenRecord>, StateError> {
    typed::get(s, &token_key(id))
}

/// A token's record, or `TokenNotFound`.
pub fn require_token(
    s: &(impl StateRead + ?Sized),
    id: TokenId,
) -> Result<TokenRecord, CallError<TokenFailure>> {
    token(s, id)?.ok_or(CallError::Failed(TokenFailure::TokenNotFound { token: id }))
}

/// Writes a token record.
pub fn put_token<R: StateRead + ?Sized>(s: &mut Overlay<'_, R>, id: TokenId, rec: &TokenRecord) {
    typed::put(s, token_key(id), rec);
}

/// The token with `symbol`, if any.
pub fn token_by_symbol(
    s: &(impl StateRead + ?Sized),
    symbol: &str,
) -> Result<Option<TokenId>, StateError> {
    typed::get(s, &symbol_key(symbol))
}

fn amount_at(s: &(impl StateRead + ?Sized), key: &[u8]) -> Result<TokenAmount, StateError> {
    Ok(typed::get(s, key)?.unwrap_or(0))
}

fn put_amount<R: StateRead + ?Sized>(s: &mut Overlay<'_, R>, key: Vec<u8>, v: TokenAmount) {
    // Zero is the absence of a record, so emptied balances leave no state behind.
    if v == 0 {
        s.delete(key);
    } else {
        typed::put(s, key, &v);
    }
}

/// A free balance.
pub fn balance(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    account: &AccountId,
) -> Result<TokenAmount, StateError> {
    amount_at(s, &balance_key(token, account))
}

/// Writes a free balance.
pub fn set_balance<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    account: &AccountId,
    v: TokenAmount,
) {
    put_amount(s, balance_key(token, account), v);
}

/// A locked balance.
pub fn locked(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    account: &AccountId,
) -> Result<TokenAmount, StateError> {
    amount_at(s, &locked_key(token, account))
}

/// Writes a locked balance.
pub fn set_locked<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    account: &AccountId,
    v: TokenAmount,
) {
    put_amount(s, locked_key(token, account), v);
}

/// An allowance, if one was given.
pub fn allowance(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    owner: &AccountId,
    spender: &AccountId,
) -> Result<Option<Allowance>, StateError> {
    typed::get(s, &allowance_key(token, owner, spender))
}

/// Writes an allowance, deleting it when its amount is 0.
pub fn set_allowance<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    owner: &AccountId,
    spender: &AccountId,
    a: &Allowance,
) {
    let key = allowance_key(token, owner, spender);
    if a.amount == 0 {
        s.delete(key);
    } else {
        typed::put(s, key, a);
    }
}

/// An open vesting schedule.
pub fn vesting(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    id: VestingId,
) -> Result<Option<VestingRecord>, StateError> {
    typed::get(s, &vesting_key(token, id))
}

/// Writes an open vesting schedule with its index entry, or deletes both once it is fully
/// claimed.
pub fn set_vesting<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    id: VestingId,
    v: &VestingRecord,
) {
    let index = beneficiary_key(&v.beneficiary, token, id);
    if v.unclaimed() == 0 {
        s.delete(vesting_key(token, id));
        s.delete(index);
    } else {
        typed::put(s, vesting_key(token, id), v);
        typed::put(s, index, &1u8);
    }
}

/// An admin action record.
pub fn action(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    id: ActionId,
) -> Result<Option<ActionRecord>, StateError> {
    typed::get(s, &action_key(token, id))
}

/// Writes an admin action record and keeps the pending index in step with its status.
pub fn set_action<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    id: ActionId,
    a: &ActionRecord,
) {
    typed::put(s, action_key(token, id), a);
    if a.status == ActionStatus::Pending {
        typed::put(s, pending_key(token, id), &a.ready_at);
    } else {
        s.delete(pending_key(token, id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vesting_is_linear_after_the_cliff_with_the_remainder_at_the_end() {
        // 10 units over 3 blocks from 100, cliff 1.
        let v = |h| vested_amount(10, 100, 1, 3, h);
        assert_eq!(v(0), 0);
        assert_eq!(v(100), 0);
        assert_eq!(v(101), 3);
        assert_eq!(v(102), 6);
        assert_eq!(v(103), 10);
        assert_eq!(v(u64::MAX), 10);
        // No cliff: nothing before the start either.
        assert_eq!(vested_amount(10, 100, 0, 3, 99), 0);
        assert_eq!(vested_amount(10, 100, 0, 3, 100), 0);
        // Cliff equal to duration: all at the end.
        assert_eq!(vested_amount(10, 100, 3, 3, 102), 0);
        assert_eq!(vested_amount(10, 100, 3, 3, 103), 10);
    }

    #[test]
    fn vesting_math_never_overflows() {
        let d = u64::MAX;
        let half = vested_amount(u128::MAX, 0, 0, d, d / 2);
        // (2^128−1) = (2^64−1)(2^64+1), so the exact result is (2^64+1)(2^63−1).
        assert_eq!(half, (1u128 << 127) - (1u128 << 63) - 1);
        assert_eq!(vested_amount(u128::MAX, 0, 0, d, d), u128::MAX);
        assert_eq!(vested_amount(u128::MAX, u64::MAX, 5, 10, u64::MAX), 0);
        for (amount, num, den) in [(1_000_000u128, 7u64, 9u64), (u128::from(u64::MAX), 3, 5)] {
            assert_eq!(
                mul_div_below(amount, num, den),
                amount * u128::from(num) / u128::from(den)
            );
        }
    }

    #[test]
    fn keys_are_distinct_and_sort_by_id() {
        let a = AccountId([1; 32]);
        assert!(token_key(2) < token_key(256));
        assert!(action_key(1, 9) < action_key(1, 10));
        assert_ne!(balance_key(1, &a), locked_key(1, &a));
        assert!(beneficiary_key(&a, 3, 4).starts_with(&beneficiary_prefix(&a, Some(3))));
        assert!(beneficiary_key(&a, 3, 4).starts_with(&beneficiary_prefix(&a, None)));
        assert!(pending_key(5, 1).starts_with(&pending_prefix(5)));
        assert!(!pending_key(5, 1).starts_with(&pending_prefix(6)));
        for k in [
            NEXT_ID_KEY.to_vec(),
            token_key(1),
            symbol_key("ABC"),
            balance_key(1, &a),
            allowance_key(1, &a, &a),
            vesting_key(1, 1),
            beneficiary_key(&a, 1, 1),
            action_key(1, 1),
            pending_key(1, 1),
        ] {
            assert!(k.starts_with(b"tokens/"));
        }
    }
}
