//! Read-only views served over RPC. They read a committed state whose head is at `height`;
//! what depends on time (emittable, vested, claimable, expired, executable) is given for the
//! next block, `height + 1`, the first one a transaction could act in.

use crate::state::{self, ActionRecord, ActionStatus, TokenRecord, VestingRecord};
use crate::wire::{ActionId, AdminAction, Emission, Role, TokenAmount, TokenId, VestingId};
use serde::{Deserialize, Serialize};
use synod_primitives::AccountId;
use synod_storage::typed::StateError;
use synod_storage::{Snapshot, StateRead};

/// Most entries a scanning view returns.
pub const MAX_SCAN: usize = 256;
/// Most tokens one page of [`list_tokens`] holds.
pub const MAX_PAGE: u32 = 100;

/// Key/value pairs of a prefix scan, in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// State that can list its keys under a prefix, in key order. Committed snapshots can; the
/// execution overlay cannot, which is why only views scan.
pub trait PrefixScan: StateRead {
    /// At most `limit` entries whose key starts with `prefix`, in key order.
    fn scan(&self, prefix: &[u8], limit: usize) -> Result<Entries, StateError>;
}

impl PrefixScan for Snapshot {
    fn scan(&self, prefix: &[u8], limit: usize) -> Result<Entries, StateError> {
        Ok(self.scan_prefix(prefix, limit)?)
    }
}

/// A token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TokenView {
    /// Its id.
    pub token: TokenId,
    /// Its symbol.
    pub symbol: String,
    /// Its name.
    pub name: String,
    /// Decimals of one whole token.
    pub decimals: u8,
    /// Fixed maximum supply.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub max_supply: TokenAmount,
    /// Units in existence (free + locked + escrowed).
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub supply: TokenAmount,
    /// Units locked by modules.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub locked: TokenAmount,
    /// Units escrowed in open vesting schedules.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub escrowed: TokenAmount,
    /// Units ever minted.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub minted: TokenAmount,
    /// Units ever burned.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub burned: TokenAmount,
    /// Who created it.
    pub creator: AccountId,
    /// Creation height.
    pub created_at: u64,
    /// Mint authority.
    pub mint_authority: AccountId,
    /// Admin.
    pub admin: AccountId,
    /// Emission schedule.
    pub emission: Option<Emission>,
    /// Height up to which the schedule's accrual was emitted.
    pub last_emission: u64,
    /// What `Emit` would mint in the next block.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub emittable: TokenAmount,
}

/// One page of tokens, in id order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TokenPage {
    /// The tokens.
    pub tokens: Vec<TokenView>,
    /// Pass as `after` for the next page; `None` when this is the last.
    pub next_after: Option<TokenId>,
}

/// An account's holding of a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BalanceView {
    /// The token.
    pub token: TokenId,
    /// The account.
    pub account: AccountId,
    /// Transferable balance.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub free: TokenAmount,
    /// Balance locked by modules.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub locked: TokenAmount,
    /// `free + locked` (saturating: both are within the supply, so it never does).
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub total: TokenAmount,
}

/// An allowance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AllowanceView {
    /// The token.
    pub token: TokenId,
    /// Whose balance.
    pub owner: AccountId,
    /// Who may spend.
    pub spender: AccountId,
    /// What may still be spent (0: none given).
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub amount: TokenAmount,
    /// First height at which it no longer works.
    pub expires_at: Option<u64>,
    /// Whether it no longer works in the next block.
    pub expired: bool,
}

/// An open vesting schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct VestingView {
    /// The token.
    pub token: TokenId,
    /// The schedule's id.
    pub vesting_id: VestingId,
    /// Who funded it.
    pub funder: AccountId,
    /// Who may claim.
    pub beneficiary: AccountId,
    /// Units escrowed at creation.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub amount: TokenAmount,
    /// Units claimed so far.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub claimed: TokenAmount,
    /// Start height.
    pub start: u64,
    /// Cliff, in blocks after `start`.
    pub cliff: u64,
    /// Duration, in blocks after `start`.
    pub duration: u64,
    /// First height at which something is vested.
    pub cliff_ends: u64,
    /// First height at which everything is vested.
    pub ends_at: u64,
    /// Units vested in the next block.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub vested: TokenAmount,
    /// What `ClaimVested` would pay in the next block.
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub claimable: TokenAmount,
}

/// An admin action.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActionView {
    /// The token.
    pub token: TokenId,
    /// Its id.
    pub action_id: ActionId,
    /// What it does.
    pub action: AdminAction,
    /// The role that executes or cancels it.
    pub role: Role,
    /// Who queued it.
    pub proposer: AccountId,
    /// Height it was queued at.
    pub queued_at: u64,
    /// First height at which it can be executed.
    pub ready_at: u64,
    /// What became of it.
    pub status: ActionStatus,
    /// Whether it could be executed in the next block.
    pub executable: bool,
}

fn next(height: u64) -> u64 {
    height.saturating_add(1)
}

/// The view of token `id` whose record is `rec`.
pub fn token_view(id: TokenId, rec: &TokenRecord, height: u64) -> TokenView {
    TokenView {
        token: id,
        symbol: rec.symbol.clone(),
        name: rec.name.clone(),
        decimals: rec.decimals,
        max_supply: rec.max_supply,
        supply: rec.supply,
        locked: rec.locked,
        escrowed: rec.escrowed,
        minted: rec.minted,
        burned: rec.burned,
        creator: rec.creator,
        created_at: rec.created_at,
        mint_authority: rec.mint_authority,
        admin: rec.admin,
        emission: rec.emission,
        last_emission: rec.last_emission,
        emittable: rec.emittable(next(height)).0,
    }
}

/// Token `id`, if it exists.
pub fn token_info(
    s: &(impl StateRead + ?Sized),
    id: TokenId,
    height: u64,
) -> Result<Option<TokenView>, StateError> {
    Ok(state::token(s, id)?.map(|rec| token_view(id, &rec, height)))
}

/// The token with `symbol`, if any.
pub fn token_by_symbol(
    s: &(impl StateRead + ?Sized),
    symbol: &str,
    height: u64,
) -> Result<Option<TokenView>, StateError> {
    match state::token_by_symbol(s, symbol)? {
        Some(id) => token_info(s, id, height),
        None => Ok(None),
    }
}

/// Up to `limit` (1 to [`MAX_PAGE`]) tokens with ids after `after`, in id order. Ids are
/// dense and tokens are never deleted, so this reads ids, never scans.
pub fn list_tokens(
    s: &(impl StateRead + ?Sized),
    after: Option<TokenId>,
    limit: u32,
    height: u64,
) -> Result<TokenPage, StateError> {
    let end = state::next_token_id(s)?;
    let first = after.unwrap_or(0).saturating_add(1).max(1);
    let limit = u64::from(limit.clamp(1, MAX_PAGE));
    let stop = first.saturating_add(limit).min(end);
    let mut tokens = Vec::new();
    for id in first..stop {
        if let Some(v) = token_info(s, id, height)? {
            tokens.push(v);
        }
    }
    let next_after = (stop < end).then(|| stop.saturating_sub(1));
    Ok(TokenPage { tokens, next_after })
}

/// `account`'s holding of `token`, or `None` if the token does not exist.
pub fn balance(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    account: &AccountId,
) -> Result<Option<BalanceView>, StateError> {
    if state::token(s, token)?.is_none() {
        return Ok(None);
    }
    let free = state::balance(s, token, account)?;
    let locked = state::locked(s, token, account)?;
    Ok(Some(BalanceView {
        token,
        account: *account,
        free,
        locked,
        total: free.saturating_add(locked),
    }))
}

/// The allowance `owner` gives `spender` on `token`, or `None` if the token does not exist.
pub fn allowance(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    owner: &AccountId,
    spender: &AccountId,
    height: u64,
) -> Result<Option<AllowanceView>, StateError> {
    if state::token(s, token)?.is_none() {
        return Ok(None);
    }
    let a = state::allowance(s, token, owner, spender)?;
    let (amount, expires_at) = a.map_or((0, None), |a| (a.amount, a.expires_at));
    Ok(Some(AllowanceView {
        token,
        owner: *owner,
        spender: *spender,
        amount,
        expires_at,
        expired: expires_at.is_some_and(|e| next(height) >= e),
    }))
}

/// The view of vesting `id` of `token`.
pub fn vesting_view(token: TokenId, id: VestingId, v: &VestingRecord, height: u64) -> VestingView {
    let vested = v.vested_at(next(height));
    VestingView {
        token,
        vesting_id: id,
        funder: v.funder,
        beneficiary: v.beneficiary,
        amount: v.amount,
        claimed: v.claimed,
        start: v.start,
        cliff: v.cliff,
        duration: v.duration,
        cliff_ends: v.cliff_ends(),
        ends_at: v.ends_at(),
        vested,
        claimable: vested.saturating_sub(v.claimed),
    }
}

fn be_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

fn corrupt_key(key: &[u8]) -> StateError {
    StateError::Corrupt {
        key: key.iter().map(|b| format!("{b:02x}")).collect(),
        reason: "malformed tokens index key".into(),
    }
}

/// The open vesting schedules of which `beneficiary` is the beneficiary (of `token` only, if
/// given), by token then id; at most [`MAX_SCAN`].
pub fn vestings(
    s: &(impl PrefixScan + ?Sized),
    beneficiary: &AccountId,
    token: Option<TokenId>,
    height: u64,
) -> Result<Vec<VestingView>, StateError> {
    let prefix = state::beneficiary_prefix(beneficiary, None);
    let mut out = Vec::new();
    for (key, _) in s.scan(&state::beneficiary_prefix(beneficiary, token), MAX_SCAN)? {
        let rest = key.get(prefix.len()..).ok_or_else(|| corrupt_key(&key))?;
        let (t, id) = match (
            rest.get(..8).and_then(be_u64),
            rest.get(8..).and_then(be_u64),
        ) {
            (Some(t), Some(id)) => (t, id),
            _ => return Err(corrupt_key(&key)),
        };
        if let Some(v) = state::vesting(s, t, id)? {
            out.push(vesting_view(t, id, &v, height));
        }
    }
    Ok(out)
}

/// The view of action `id` of `token`.
pub fn action_view(token: TokenId, id: ActionId, a: &ActionRecord, height: u64) -> ActionView {
    ActionView {
        token,
        action_id: id,
        action: a.action.clone(),
        role: a.action.role(),
        proposer: a.proposer,
        queued_at: a.queued_at,
        ready_at: a.ready_at,
        status: a.status,
        executable: a.status == ActionStatus::Pending && next(height) >= a.ready_at,
    }
}

/// Admin action `id` of `token`, whatever its status.
pub fn action(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    id: ActionId,
    height: u64,
) -> Result<Option<ActionView>, StateError> {
    Ok(state::action(s, token, id)?.map(|a| action_view(token, id, &a, height)))
}

/// The pending admin actions of `token` by id (at most [`MAX_SCAN`]), or `None` if the token
/// does not exist.
pub fn pending_actions(
    s: &(impl PrefixScan + ?Sized),
    token: TokenId,
    height: u64,
) -> Result<Option<Vec<ActionView>>, StateError> {
    if state::token(s, token)?.is_none() {
        return Ok(None);
    }
    let prefix = state::pending_prefix(token);
    let mut out = Vec::new();
    for (key, _) in s.scan(&prefix, MAX_SCAN)? {
        let id = key
            .get(prefix.len()..)
            .and_then(be_u64)
            .ok_or_else(|| corrupt_key(&key))?;
        if let Some(a) = state::action(s, token, id)? {
            out.push(action_view(token, id, &a, height));
        }
    }
    Ok(Some(out))
}
