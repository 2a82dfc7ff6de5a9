//! The ledger: creating tokens and moving, minting, burning, locking and emitting units. These
//! are the functions other modules call (see the crate documentation's *API* section); the
//! module's own calls go through them too.
//!
//! Every function checks everything first and writes last, so a failure leaves the overlay as
//! it found it even if a caller keeps the overlay after the failure.

use crate::state::{self, Allowance, TokenRecord};
use crate::wire::{
    Emission, MAX_DECIMALS, MAX_NAME_LEN, MAX_SYMBOL_LEN, TokenAmount, TokenEvent, TokenFailure,
    TokenId,
};
use synod_module::CallError;
use synod_primitives::AccountId;
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::{self as typed, StateError};

/// What a tokens function returns: a value, or the call's failure, or unreadable state.
pub type TokenResult<T> = Result<T, CallError<TokenFailure>>;

/// The account holding tokens in custody for the tokens module itself. Its id is a hash, so no
/// private key exists for it: no transaction can move what it holds.
pub fn module_account() -> AccountId {
    synod_module::module_account(crate::NAME)
}

/// A keyless account for one `purpose` of module `module` (a pool's treasury, a reward vault).
/// No private key exists for it, so only `module`, through this API, moves its tokens; every
/// `(module, purpose)` gives a distinct account.
pub fn custody_account(module: &str, purpose: &[u8]) -> AccountId {
    synod_module::derived_account(module, purpose)
}

/// What a new token is made of (the fields of `TokenCall::Create`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewToken {
    /// Unique symbol: 1–12 characters of `A–Z`, `0–9`.
    pub symbol: String,
    /// 1–64 bytes of UTF-8.
    pub name: String,
    /// 0–18.
    pub decimals: u8,
    /// Fixed maximum supply (positive).
    pub max_supply: TokenAmount,
    /// Minted to the creator, at most `max_supply`.
    pub initial_supply: TokenAmount,
    /// Emission schedule, accruing from the creation block.
    pub emission: Option<Emission>,
    /// Mint authority.
    pub mint_authority: AccountId,
    /// Admin.
    pub admin: AccountId,
}

/// Symbols no token may take: the native token's.
pub const RESERVED_SYMBOLS: [&str; 1] = [synod_primitives::token::SYMBOL];

/// Refuses a symbol that is not 1–12 characters of `A–Z`, `0–9`.
pub fn validate_symbol(symbol: &str) -> Result<(), TokenFailure> {
    let ok = !symbol.is_empty()
        && symbol.len() <= MAX_SYMBOL_LEN
        && symbol
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(TokenFailure::InvalidSymbol)
    }
}

fn validate_emission(e: &Option<Emission>) -> Result<(), TokenFailure> {
    match e {
        Some(e) if e.rate == 0 => Err(TokenFailure::InvalidEmission),
        _ => Ok(()),
    }
}

/// Creates a token owned by `creator` at `height`, minting its initial supply to `creator`.
/// Returns its id and the events (`TokenCreated`, then `Minted` if there is an initial supply).
pub fn create<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    creator: &AccountId,
    spec: &NewToken,
) -> TokenResult<(TokenId, Vec<TokenEvent>)> {
    validate_symbol(&spec.symbol)?;
    if RESERVED_SYMBOLS.contains(&spec.symbol.as_str()) {
        return Err(TokenFailure::SymbolReserved {
            symbol: spec.symbol.clone(),
        }
        .into());
    }
    if spec.name.is_empty() || spec.name.len() > MAX_NAME_LEN {
        return Err(TokenFailure::InvalidName {
            len: spec.name.len() as u64,
        }
        .into());
    }
    if spec.decimals > MAX_DECIMALS {
        return Err(TokenFailure::InvalidDecimals {
            decimals: spec.decimals,
        }
        .into());
    }
    if spec.max_supply == 0 {
        return Err(TokenFailure::InvalidMaxSupply.into());
    }
    if spec.initial_supply > spec.max_supply {
        return Err(TokenFailure::ExceedsMaxSupply {
            supply: 0,
            amount: spec.initial_supply,
            max: spec.max_supply,
        }
        .into());
    }
    validate_emission(&spec.emission)?;
    if let Some(token) = state::token_by_symbol(s, &spec.symbol)? {
        return Err(TokenFailure::SymbolTaken {
            symbol: spec.symbol.clone(),
            token,
        }
        .into());
    }
    let id = state::next_token_id(s)?;
    let next = id.checked_add(1).ok_or(TokenFailure::Overflow)?;
    let rec = TokenRecord {
        symbol: spec.symbol.clone(),
        name: spec.name.clone(),
        decimals: spec.decimals,
        max_supply: spec.max_supply,
        supply: spec.initial_supply,
        locked: 0,
        escrowed: 0,
        minted: spec.initial_supply,
        burned: 0,
        creator: *creator,
        created_at: height,
        mint_authority: spec.mint_authority,
        admin: spec.admin,
        emission: spec.emission,
        last_emission: height,
        next_vesting_id: 1,
        next_action_id: 1,
    };
    state::put_token(s, id, &rec);
    typed::put(s, state::symbol_key(&spec.symbol), &id);
    typed::put(s, state::NEXT_ID_KEY.to_vec(), &next);
    if spec.initial_supply > 0 {
        state::set_balance(s, id, creator, spec.initial_supply);
    }
    let mut events = vec![TokenEvent::TokenCreated {
        token: id,
        symbol: spec.symbol.clone(),
        creator: *creator,
        max_supply: spec.max_supply,
        mint_authority: spec.mint_authority,
        admin: spec.admin,
    }];
    if spec.initial_supply > 0 {
        events.push(TokenEvent::Minted {
            token: id,
            to: *creator,
            amount: spec.initial_supply,
            supply: spec.initial_supply,
        });
    }
    Ok((id, events))
}

/// `account`'s free (transferable) balance of `token`; 0 for an unknown token.
pub fn balance_of(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    account: &AccountId,
) -> Result<TokenAmount, StateError> {
    state::balance(s, token, account)
}

/// `account`'s locked balance of `token`; 0 for an unknown token.
pub fn locked_of(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    account: &AccountId,
) -> Result<TokenAmount, StateError> {
    state::locked(s, token, account)
}

fn nonzero(amount: TokenAmount) -> Result<(), TokenFailure> {
    if amount == 0 {
        Err(TokenFailure::ZeroAmount)
    } else {
        Ok(())
    }
}

/// `from`'s free balance after paying `amount`, or `InsufficientBalance`.
fn debit(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    from: &AccountId,
    amount: TokenAmount,
) -> TokenResult<TokenAmount> {
    let available = state::balance(s, token, from)?;
    available.checked_sub(amount).ok_or(
        TokenFailure::InsufficientBalance {
            needed: amount,
            available,
        }
        .into(),
    )
}

/// `to`'s free balance after receiving `amount`.
fn credit(
    s: &(impl StateRead + ?Sized),
    token: TokenId,
    to: &AccountId,
    amount: TokenAmount,
) -> TokenResult<TokenAmount> {
    Ok(state::balance(s, token, to)?
        .checked_add(amount)
        .ok_or(TokenFailure::Overflow)?)
}

/// Moves `amount` of `from`'s free balance to `to`. A module may move its own custody
/// accounts' tokens or those of the account that signed its call; it must never move anyone
/// else's.
pub fn transfer<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    from: &AccountId,
    to: &AccountId,
    amount: TokenAmount,
) -> TokenResult<TokenEvent> {
    nonzero(amount)?;
    state::require_token(s, token)?;
    move_free(s, token, from, to, amount)?;
    Ok(TokenEvent::Transferred {
        token,
        from: *from,
        to: *to,
        amount,
    })
}

/// The checked balance move shared by `transfer` and `transfer_from` (token known to exist).
fn move_free<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    from: &AccountId,
    to: &AccountId,
    amount: TokenAmount,
) -> TokenResult<()> {
    let from_after = debit(s, token, from, amount)?;
    if from == to {
        // Paying oneself changes nothing once the balance is known to cover it.
        return Ok(());
    }
    let to_after = credit(s, token, to, amount)?;
    state::set_balance(s, token, from, from_after);
    state::set_balance(s, token, to, to_after);
    Ok(())
}

/// Sets the allowance `owner` gives `spender` (0 revokes it). `expires_at`, if given, must be
/// after `height`.
pub fn approve<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    token: TokenId,
    owner: &AccountId,
    spender: &AccountId,
    amount: TokenAmount,
    expires_at: Option<u64>,
) -> TokenResult<TokenEvent> {
    state::require_token(s, token)?;
    if let Some(e) = expires_at
        && e <= height
    {
        return Err(TokenFailure::ExpiryInPast {
            expires_at: e,
            height,
        }
        .into());
    }
    // Revoking an allowance that does not exist writes nothing (a deletion of an absent key
    // would still be a write in the block's change set).
    if amount > 0 || state::allowance(s, token, owner, spender)?.is_some() {
        state::set_allowance(s, token, owner, spender, &Allowance { amount, expires_at });
    }
    Ok(TokenEvent::Approved {
        token,
        owner: *owner,
        spender: *spender,
        amount,
        expires_at,
    })
}

/// Moves `amount` of `owner`'s free balance to `to` on behalf of `spender`, consuming that much
/// of the allowance `owner` gave `spender`.
pub fn transfer_from<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    token: TokenId,
    spender: &AccountId,
    owner: &AccountId,
    to: &AccountId,
    amount: TokenAmount,
) -> TokenResult<TokenEvent> {
    nonzero(amount)?;
    state::require_token(s, token)?;
    let allowance = state::allowance(s, token, owner, spender)?.unwrap_or(Allowance {
        amount: 0,
        expires_at: None,
    });
    if let Some(e) = allowance.expires_at
        && height >= e
    {
        return Err(TokenFailure::AllowanceExpired { expired_at: e }.into());
    }
    let left = allowance
        .amount
        .checked_sub(amount)
        .ok_or(TokenFailure::InsufficientAllowance {
            needed: amount,
            available: allowance.amount,
        })?;
    // move_free checks before it writes; the allowance is written only once it succeeded.
    move_free(s, token, owner, to, amount)?;
    state::set_allowance(
        s,
        token,
        owner,
        spender,
        &Allowance {
            amount: left,
            ..allowance
        },
    );
    Ok(TokenEvent::TransferredFrom {
        token,
        spender: *spender,
        owner: *owner,
        to: *to,
        amount,
        allowance: left,
    })
}

/// Destroys `amount` of `owner`'s free balance; the supply shrinks by it (and the room under
/// the maximum supply grows by it).
pub fn burn<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    owner: &AccountId,
    amount: TokenAmount,
) -> TokenResult<TokenEvent> {
    nonzero(amount)?;
    let mut rec = state::require_token(s, token)?;
    let after = debit(s, token, owner, amount)?;
    // The supply covers every balance, so this fails only on corrupt state.
    rec.supply = rec
        .supply
        .checked_sub(amount)
        .ok_or(TokenFailure::Overflow)?;
    rec.burned = rec.burned.saturating_add(amount);
    state::set_balance(s, token, owner, after);
    state::put_token(s, token, &rec);
    Ok(TokenEvent::Burned {
        token,
        owner: *owner,
        amount,
        supply: rec.supply,
    })
}

/// Mints `amount` to `to` within the maximum supply, updating `rec` and writing it. Checks
/// before writing.
pub(crate) fn mint_into<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    rec: &mut TokenRecord,
    to: &AccountId,
    amount: TokenAmount,
) -> TokenResult<TokenEvent> {
    let supply = rec
        .supply
        .checked_add(amount)
        .filter(|v| *v <= rec.max_supply)
        .ok_or(TokenFailure::ExceedsMaxSupply {
            supply: rec.supply,
            amount,
            max: rec.max_supply,
        })?;
    let to_after = credit(s, token, to, amount)?;
    rec.supply = supply;
    rec.minted = rec.minted.saturating_add(amount);
    state::set_balance(s, token, to, to_after);
    state::put_token(s, token, rec);
    Ok(TokenEvent::Minted {
        token,
        to: *to,
        amount,
        supply,
    })
}

/// Mints exactly `amount` to `to`, or fails with `ExceedsMaxSupply`. `authority` must be the
/// token's mint authority.
///
/// This is for modules whose keyless account (see [`custody_account`]) is a token's mint
/// authority: it mints at once, without the timelock that guards a keyed authority's
/// `Mint` action. A module must pass only an authority it acts for.
pub fn mint<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    authority: &AccountId,
    to: &AccountId,
    amount: TokenAmount,
) -> TokenResult<TokenEvent> {
    nonzero(amount)?;
    let mut rec = state::require_token(s, token)?;
    rec.require_role(crate::wire::Role::MintAuthority, authority)?;
    mint_into(s, token, &mut rec, to, amount)
}

/// Mints up to `amount` to `to`: as much as the room under the maximum supply allows (a pool
/// paying rewards of a capped token). Returns what was minted, with its event unless that is 0.
/// `authority` must be the token's mint authority, as for [`mint`].
pub fn mint_within_cap<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    authority: &AccountId,
    to: &AccountId,
    amount: TokenAmount,
) -> TokenResult<(TokenAmount, Option<TokenEvent>)> {
    let mut rec = state::require_token(s, token)?;
    rec.require_role(crate::wire::Role::MintAuthority, authority)?;
    let amount = amount.min(rec.room());
    if amount == 0 {
        return Ok((0, None));
    }
    let event = mint_into(s, token, &mut rec, to, amount)?;
    Ok((amount, Some(event)))
}

/// Moves `amount` of `owner`'s free balance into its locked balance: still counted in the
/// supply, no longer transferable or burnable until [`unlock`]ed.
///
/// The locked balance is one amount per `(token, owner)`, shared by every module that locks:
/// a module must unlock only what it locked itself (it keeps its own record of that).
pub fn lock<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    owner: &AccountId,
    amount: TokenAmount,
) -> TokenResult<TokenEvent> {
    nonzero(amount)?;
    let mut rec = state::require_token(s, token)?;
    let free = debit(s, token, owner, amount)?;
    let locked = state::locked(s, token, owner)?
        .checked_add(amount)
        .ok_or(TokenFailure::Overflow)?;
    rec.locked = rec
        .locked
        .checked_add(amount)
        .ok_or(TokenFailure::Overflow)?;
    state::set_balance(s, token, owner, free);
    state::set_locked(s, token, owner, locked);
    state::put_token(s, token, &rec);
    Ok(TokenEvent::Locked {
        token,
        owner: *owner,
        amount,
    })
}

/// Moves `amount` of `owner`'s locked balance back to its free balance.
pub fn unlock<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    token: TokenId,
    owner: &AccountId,
    amount: TokenAmount,
) -> TokenResult<TokenEvent> {
    nonzero(amount)?;
    let mut rec = state::require_token(s, token)?;
    let available = state::locked(s, token, owner)?;
    let locked = available
        .checked_sub(amount)
        .ok_or(TokenFailure::InsufficientLocked {
            needed: amount,
            available,
        })?;
    let free = credit(s, token, owner, amount)?;
    rec.locked = rec
        .locked
        .checked_sub(amount)
        .ok_or(TokenFailure::Overflow)?;
    state::set_balance(s, token, owner, free);
    state::set_locked(s, token, owner, locked);
    state::put_token(s, token, &rec);
    Ok(TokenEvent::Unlocked {
        token,
        owner: *owner,
        amount,
    })
}

/// Mints what `rec`'s schedule accrued up to `height` to its recipient and restarts accrual at
/// `height`, updating `rec` (written by the caller). Returns the event, or `None` when nothing
/// accrued. Checks before writing the recipient's balance.
pub(crate) fn settle_emission<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    token: TokenId,
    rec: &mut TokenRecord,
) -> TokenResult<Option<TokenEvent>> {
    let Some(schedule) = rec.emission else {
        return Ok(None);
    };
    let (amount, blocks) = rec.emittable(height);
    if amount == 0 {
        rec.last_emission = height;
        return Ok(None);
    }
    let supply = rec
        .supply
        .checked_add(amount)
        .ok_or(TokenFailure::Overflow)?;
    let to_after = credit(s, token, &schedule.recipient, amount)?;
    rec.supply = supply;
    rec.minted = rec.minted.saturating_add(amount);
    rec.last_emission = height;
    state::set_balance(s, token, &schedule.recipient, to_after);
    Ok(Some(TokenEvent::Emitted {
        token,
        to: schedule.recipient,
        amount,
        blocks,
        supply,
    }))
}

/// Mints what `token`'s emission schedule accrued since the last emission (`rate` per block,
/// capped by the maximum supply) to the schedule's recipient. Anyone may call it; accrual is
/// lazy, so nothing runs per block.
pub fn emit<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    token: TokenId,
) -> TokenResult<TokenEvent> {
    let mut rec = state::require_token(s, token)?;
    if rec.emission.is_none() {
        return Err(TokenFailure::NoEmission.into());
    }
    if rec.emittable(height).0 == 0 {
        return Err(TokenFailure::NothingToEmit.into());
    }
    match settle_emission(s, height, token, &mut rec)? {
        Some(event) => {
            state::put_token(s, token, &rec);
            Ok(event)
        }
        // Unreachable after the check above; refusing keeps the no-write promise anyway.
        None => Err(TokenFailure::NothingToEmit.into()),
    }
}
