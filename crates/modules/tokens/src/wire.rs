//! Wire types of the tokens module: its calls, the admin actions queued behind the timelock,
//! its typed failures and its events. Their borsh encoding is pinned by `tests/golden.rs`:
//! variants are appended only, fields are never reordered.
//!
//! In JSON every `u128` (token amounts) is a decimal string: serde cannot buffer `u128` inside
//! internally tagged enums, and JavaScript clients cannot hold it as a number anyway.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_primitives::AccountId;

/// A token's id: assigned sequentially from 1 in creation order, never reused.
pub type TokenId = u64;
/// An amount of a token, in its base units (`10^-decimals` of one whole token).
pub type TokenAmount = u128;
/// A vesting schedule's id, sequential from 1 within its token.
pub type VestingId = u64;
/// A queued admin action's id, sequential from 1 within its token.
pub type ActionId = u64;

/// Longest symbol, in characters (each one of `A–Z`, `0–9`).
pub const MAX_SYMBOL_LEN: usize = 12;
/// Longest token name, in bytes of UTF-8.
pub const MAX_NAME_LEN: usize = 64;
/// Most decimals a token may have.
pub const MAX_DECIMALS: u8 = 18;

/// A token's emission schedule: anyone may mint, with `Emit`, what it has accrued since the
/// last emission (`rate` base units per block), up to the maximum supply, to `recipient`.
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
#[serde(deny_unknown_fields)]
pub struct Emission {
    /// Who receives what is emitted.
    pub recipient: AccountId,
    /// Base units accrued per block (at least 1; a decimal string in JSON).
    #[serde(with = "synod_primitives::json::u128_string")]
    #[schemars(with = "String")]
    pub rate: TokenAmount,
}

/// A privileged change to a token, queued with `QueueAdminAction` and applied with
/// `ExecuteAdminAction` once the timelock has passed. Appended only.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AdminAction {
    /// Mint `amount` to `to`, within the maximum supply (the mint authority's action).
    Mint {
        /// Receiver.
        to: AccountId,
        /// Base units (a decimal string in JSON).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
    },
    /// Replace the emission schedule, or end it with `None` (the admin's action). What the old
    /// schedule accrued until execution is emitted to its recipient first.
    SetEmission {
        /// The new schedule.
        schedule: Option<Emission>,
    },
    /// Hand the mint authority to `new` (the admin's action).
    SetMintAuthority {
        /// The new mint authority.
        new: AccountId,
    },
    /// Hand the admin role to `new` (the admin's action).
    SetAdmin {
        /// The new admin.
        new: AccountId,
    },
}

/// Which role a token grants; every admin action belongs to one.
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
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May queue, execute and cancel `Mint`.
    MintAuthority,
    /// May queue, execute and cancel every other admin action.
    Admin,
}

impl AdminAction {
    /// The role that queues, executes and cancels this action.
    pub fn role(&self) -> Role {
        match self {
            AdminAction::Mint { .. } => Role::MintAuthority,
            AdminAction::SetEmission { .. }
            | AdminAction::SetMintAuthority { .. }
            | AdminAction::SetAdmin { .. } => Role::Admin,
        }
    }
}

/// A call of the tokens module, signed by `sender`. Appended only. In JSON the variant is named
/// by a `call` field.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum TokenCall {
    /// Create a token; the sender is its creator and receives `initial_supply`.
    Create {
        /// Unique across the chain: 1–12 characters of `A–Z` and `0–9`.
        symbol: String,
        /// 1–64 bytes of UTF-8.
        name: String,
        /// 0–18.
        decimals: u8,
        /// The most that may ever be in supply at once; fixed for good (a decimal string in
        /// JSON).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        max_supply: TokenAmount,
        /// Minted to the sender at creation, at most `max_supply` (a decimal string in JSON).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        initial_supply: TokenAmount,
        /// The emission schedule, if any; it accrues from the creation block.
        emission: Option<Emission>,
        /// Who may queue `Mint` actions.
        mint_authority: AccountId,
        /// Who may queue every other admin action.
        admin: AccountId,
    },
    /// Move `amount` of the sender's free balance to `to`.
    Transfer {
        /// The token.
        token: TokenId,
        /// Receiver.
        to: AccountId,
        /// Base units (a decimal string in JSON).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
    },
    /// Let `spender` move up to `amount` of the sender's balance (replacing any earlier
    /// allowance; 0 revokes it).
    Approve {
        /// The token.
        token: TokenId,
        /// Who may spend.
        spender: AccountId,
        /// Base units (a decimal string in JSON).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
        /// First height at which the allowance no longer works (`None`: never expires).
        expires_at: Option<u64>,
    },
    /// Move `amount` of `owner`'s balance to `to` under the allowance `owner` gave the sender.
    TransferFrom {
        /// The token.
        token: TokenId,
        /// Whose balance pays.
        owner: AccountId,
        /// Receiver.
        to: AccountId,
        /// Base units (a decimal string in JSON).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
    },
    /// Destroy `amount` of the sender's free balance (the supply shrinks by it).
    Burn {
        /// The token.
        token: TokenId,
        /// Base units (a decimal string in JSON).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
    },
    /// Mint what the token's emission schedule accrued since the last emission (anyone may).
    Emit {
        /// The token.
        token: TokenId,
    },
    /// Move `amount` of the sender's balance into an escrow that releases linearly to
    /// `beneficiary` from `start + cliff` until `start + duration`.
    CreateVesting {
        /// The token.
        token: TokenId,
        /// Who may claim.
        beneficiary: AccountId,
        /// Base units (a decimal string in JSON).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
        /// Height at which vesting starts (may be in the past).
        start: u64,
        /// Blocks after `start` before anything can be claimed (at most `duration`).
        cliff: u64,
        /// Blocks after `start` at which everything is vested (at least 1).
        duration: u64,
    },
    /// Pay the sender (the beneficiary) what has vested and is not claimed yet.
    ClaimVested {
        /// The token.
        token: TokenId,
        /// The vesting schedule.
        vesting_id: VestingId,
    },
    /// Queue an admin action behind the timelock (the action's role only).
    QueueAdminAction {
        /// The token.
        token: TokenId,
        /// What to do.
        action: AdminAction,
    },
    /// Apply a queued action whose timelock has passed (the action's role only).
    ExecuteAdminAction {
        /// The token.
        token: TokenId,
        /// The queued action.
        action_id: ActionId,
    },
    /// Drop a queued action that has not been executed (the action's role only).
    CancelAdminAction {
        /// The token.
        token: TokenId,
        /// The queued action.
        action_id: ActionId,
    },
}

impl TokenCall {
    /// Execution weight, priced by the fee schedule's `per_weight`: a base per call plus its
    /// reads and writes (creation writes the most records).
    pub fn weight(&self) -> u64 {
        match self {
            TokenCall::Create { .. } => 20_000,
            TokenCall::Transfer { .. } => 5_000,
            TokenCall::Approve { .. } => 3_000,
            TokenCall::TransferFrom { .. } => 6_000,
            TokenCall::Burn { .. } => 4_000,
            TokenCall::Emit { .. } => 5_000,
            TokenCall::CreateVesting { .. } => 8_000,
            TokenCall::ClaimVested { .. } => 6_000,
            TokenCall::QueueAdminAction { .. } => 5_000,
            // May settle the old emission schedule as well as apply the action.
            TokenCall::ExecuteAdminAction { .. } => 8_000,
            TokenCall::CancelAdminAction { .. } => 3_000,
        }
    }
}

/// Why a tokens call failed. Every failure leaves state as it was. Appended only.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    thiserror::Error,
    schemars::JsonSchema,
)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TokenFailure {
    /// Another token already has this symbol.
    #[error("symbol {symbol} is taken by token {token}")]
    SymbolTaken {
        /// The symbol.
        symbol: String,
        /// The token that has it.
        token: TokenId,
    },
    /// The symbol is empty, too long, or has a character outside `A–Z`, `0–9`.
    #[error("a symbol is 1 to {MAX_SYMBOL_LEN} characters of A-Z and 0-9")]
    InvalidSymbol,
    /// The name is empty or longer than [`MAX_NAME_LEN`] bytes.
    #[error("a name is 1 to {MAX_NAME_LEN} bytes, got {len}")]
    InvalidName {
        /// Its length in bytes.
        len: u64,
    },
    /// More than [`MAX_DECIMALS`] decimals.
    #[error("decimals must be at most {MAX_DECIMALS}, got {decimals}")]
    InvalidDecimals {
        /// Requested decimals.
        decimals: u8,
    },
    /// No token has this id.
    #[error("token {token} does not exist")]
    TokenNotFound {
        /// The id.
        token: TokenId,
    },
    /// Minting would take the supply over the maximum.
    #[error("minting {amount} on a supply of {supply} would exceed the maximum supply {max}")]
    ExceedsMaxSupply {
        /// Supply before the mint.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        supply: TokenAmount,
        /// Amount to mint.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
        /// The maximum supply.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        max: TokenAmount,
    },
    /// The free balance is too small.
    #[error("needs {needed} but the free balance is {available}")]
    InsufficientBalance {
        /// Amount needed.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        needed: TokenAmount,
        /// Free balance.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        available: TokenAmount,
    },
    /// The allowance is too small (0 when there is none).
    #[error("needs an allowance of {needed} but it is {available}")]
    InsufficientAllowance {
        /// Amount needed.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        needed: TokenAmount,
        /// The allowance.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        available: TokenAmount,
    },
    /// The allowance expired.
    #[error("the allowance expired at block {expired_at}")]
    AllowanceExpired {
        /// Its expiry height.
        expired_at: u64,
    },
    /// Approving with an expiry that is not after the current block.
    #[error("expiry {expires_at} is not after the current block {height}")]
    ExpiryInPast {
        /// The requested expiry.
        expires_at: u64,
        /// The current block.
        height: u64,
    },
    /// The sender is not the token's mint authority.
    #[error("only the token's mint authority may do this")]
    NotMintAuthority,
    /// The sender is not the token's admin.
    #[error("only the token's admin may do this")]
    NotAdmin,
    /// The action's timelock has not passed.
    #[error("the action cannot be executed before block {ready_at}")]
    TimelockActive {
        /// First height at which it can be executed.
        ready_at: u64,
    },
    /// No queued action of the token has this id.
    #[error("token has no action {action_id}")]
    ActionNotFound {
        /// The id.
        action_id: ActionId,
    },
    /// The action was already executed.
    #[error("action {action_id} was already executed")]
    ActionAlreadyExecuted {
        /// The id.
        action_id: ActionId,
    },
    /// The action was cancelled.
    #[error("action {action_id} was cancelled")]
    ActionCancelled {
        /// The id.
        action_id: ActionId,
    },
    /// The vesting parameters are inconsistent.
    #[error("invalid vesting: {detail}")]
    InvalidVesting {
        /// What is wrong.
        detail: String,
    },
    /// No open vesting schedule of the token has this id (it may have been fully claimed).
    #[error("token has no open vesting {vesting_id}")]
    VestingNotFound {
        /// The id.
        vesting_id: VestingId,
    },
    /// Only the beneficiary may claim.
    #[error("only the beneficiary may claim")]
    NotBeneficiary,
    /// The cliff has not passed.
    #[error("nothing can be claimed before block {cliff_ends}")]
    ClaimBeforeCliff {
        /// First height at which something is vested.
        cliff_ends: u64,
    },
    /// Everything vested so far was already claimed.
    #[error("nothing new has vested since the last claim")]
    NothingToClaim,
    /// An amount of zero.
    #[error("amount must be positive")]
    ZeroAmount,
    /// A total would not fit in 128 bits (or a height in 64).
    #[error("arithmetic overflow")]
    Overflow,
    /// The token has no emission schedule.
    #[error("the token has no emission schedule")]
    NoEmission,
    /// Nothing has accrued since the last emission, or the supply is at its maximum.
    #[error("nothing to emit")]
    NothingToEmit,
    /// A maximum supply of zero.
    #[error("the maximum supply must be positive")]
    InvalidMaxSupply,
    /// An emission schedule with a rate of zero.
    #[error("an emission rate must be positive")]
    InvalidEmission,
    /// Unlocking more than is locked.
    #[error("needs {needed} locked but {available} is")]
    InsufficientLocked {
        /// Amount needed.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        needed: TokenAmount,
        /// Locked amount.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        available: TokenAmount,
    },
    /// The symbol is reserved (the native token's, so that no token can pass for SYN).
    #[error("symbol {symbol} is reserved")]
    SymbolReserved {
        /// The symbol.
        symbol: String,
    },
}

impl synod_module::ModuleFailure for TokenFailure {}

/// Something the tokens module did. Appended only.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TokenEvent {
    /// A token was created (its initial supply is reported by a following `Minted`).
    TokenCreated {
        /// Its id.
        token: TokenId,
        /// Its symbol.
        symbol: String,
        /// Who created it.
        creator: AccountId,
        /// Its maximum supply.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        max_supply: TokenAmount,
        /// Its mint authority.
        mint_authority: AccountId,
        /// Its admin.
        admin: AccountId,
    },
    /// Free balance moved.
    Transferred {
        /// The token.
        token: TokenId,
        /// Payer.
        from: AccountId,
        /// Receiver.
        to: AccountId,
        /// Base units.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
    },
    /// An allowance was set (0 revoked it).
    Approved {
        /// The token.
        token: TokenId,
        /// Whose balance.
        owner: AccountId,
        /// Who may spend.
        spender: AccountId,
        /// Base units.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
        /// First height at which it no longer works.
        expires_at: Option<u64>,
    },
    /// A spender moved an owner's balance under an allowance.
    TransferredFrom {
        /// The token.
        token: TokenId,
        /// Who spent.
        spender: AccountId,
        /// Payer.
        owner: AccountId,
        /// Receiver.
        to: AccountId,
        /// Base units.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
        /// Allowance left.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        allowance: TokenAmount,
    },
    /// Free balance was destroyed.
    Burned {
        /// The token.
        token: TokenId,
        /// Whose balance.
        owner: AccountId,
        /// Base units.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
        /// Supply afterwards.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        supply: TokenAmount,
    },
    /// New units were minted (at creation, by an executed `Mint`, or by a module).
    Minted {
        /// The token.
        token: TokenId,
        /// Receiver.
        to: AccountId,
        /// Base units.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
        /// Supply afterwards.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        supply: TokenAmount,
    },
    /// The emission schedule's accrual was minted.
    Emitted {
        /// The token.
        token: TokenId,
        /// The schedule's recipient.
        to: AccountId,
        /// Base units.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
        /// Blocks of accrual this covers.
        blocks: u64,
        /// Supply afterwards.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        supply: TokenAmount,
    },
    /// Balance moved into a vesting escrow.
    VestingCreated {
        /// The token.
        token: TokenId,
        /// The schedule's id.
        vesting_id: VestingId,
        /// Who funded it.
        funder: AccountId,
        /// Who may claim.
        beneficiary: AccountId,
        /// Base units escrowed.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
        /// Vesting start height.
        start: u64,
        /// Blocks of cliff.
        cliff: u64,
        /// Blocks until fully vested.
        duration: u64,
    },
    /// Vested units were paid to the beneficiary.
    VestingClaimed {
        /// The token.
        token: TokenId,
        /// The schedule's id.
        vesting_id: VestingId,
        /// Receiver.
        beneficiary: AccountId,
        /// Base units paid now.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
        /// Still in escrow afterwards (0: the schedule is closed).
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        remaining: TokenAmount,
    },
    /// An admin action was queued.
    AdminActionQueued {
        /// The token.
        token: TokenId,
        /// Its id.
        action_id: ActionId,
        /// What it does.
        action: AdminAction,
        /// First height at which it can be executed.
        ready_at: u64,
    },
    /// A queued admin action was applied.
    AdminActionExecuted {
        /// The token.
        token: TokenId,
        /// Its id.
        action_id: ActionId,
        /// What it did.
        action: AdminAction,
    },
    /// A queued admin action was dropped.
    AdminActionCancelled {
        /// The token.
        token: TokenId,
        /// Its id.
        action_id: ActionId,
    },
    /// Free balance was locked by a module.
    Locked {
        /// The token.
        token: TokenId,
        /// Whose balance.
        owner: AccountId,
        /// Base units.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
    },
    /// Locked balance was released to free balance by a module.
    Unlocked {
        /// The token.
        token: TokenId,
        /// Whose balance.
        owner: AccountId,
        /// Base units.
        #[serde(with = "synod_primitives::json::u128_string")]
        #[schemars(with = "String")]
        amount: TokenAmount,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_decimal_strings_and_round_trip_in_tagged_enums() {
        let a = AccountId([3; 32]);
        let call = TokenCall::QueueAdminAction {
            token: 1,
            action: AdminAction::SetEmission {
                schedule: Some(Emission {
                    recipient: a,
                    rate: u128::MAX,
                }),
            },
        };
        let j = serde_json::to_string(&call).expect("json");
        assert!(j.contains(&format!("\"{}\"", u128::MAX)), "{j}");
        assert_eq!(serde_json::from_str::<TokenCall>(&j).expect("back"), call);
        let f = TokenFailure::ExceedsMaxSupply {
            supply: 1,
            amount: u128::MAX,
            max: 2,
        };
        let j = serde_json::to_string(&f).expect("json");
        assert!(j.contains("\"kind\":\"exceeds_max_supply\""), "{j}");
        assert_eq!(serde_json::from_str::<TokenFailure>(&j).expect("back"), f);
        let e = TokenEvent::Minted {
            token: 2,
            to: a,
            amount: 5,
            supply: 7,
        };
        let j = serde_json::to_string(&e).expect("json");
        assert!(j.contains("\"event\":\"minted\""), "{j}");
        assert_eq!(serde_json::from_str::<TokenEvent>(&j).expect("back"), e);
    }

    #[test]
    fn roles_of_actions() {
        let a = AccountId([1; 32]);
        assert_eq!(
            AdminAction::Mint { to: a, amount: 1 }.role(),
            Role::MintAuthority
        );
        assert_eq!(AdminAction::SetAdmin { new: a }.role(), Role::Admin);
        assert_eq!(AdminAction::SetMintAuthority { new: a }.role(), Role::Admin);
        assert_eq!(
            AdminAction::SetEmission { schedule: None }.role(),
            Role::Admin
        );
    }
}
