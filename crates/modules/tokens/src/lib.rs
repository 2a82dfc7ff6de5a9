//! # synod-tokens — fungible tokens beside SYN
//!
//! Owns the chain's second ledger: tokens that any account creates, each with a unique symbol,
//! a fixed maximum supply that can never be raised, an optional emission schedule, allowances
//! with expiry, linear vesting escrows, and admin actions (minting, schedule and role changes)
//! that wait behind a timelock. It also owns the API other modules use to hold, move, mint,
//! burn and lock tokens ([`ledger`]), its read views ([`query`]) and its JSON-RPC namespace
//! `tokens` ([`rpc`]).
//!
//! It must not touch SYN: SYN and fees stay in the bank module, and this module never reads or
//! writes the bank's state. It writes nothing at genesis (chains started before it existed
//! keep their block-0 state root), runs nothing per block (emission accrues lazily), and, like
//! every module, is deterministic: block height is its only clock, every amount that moves is
//! checked, and only ordered keys are iterated (by the read views, never by execution).
//!
//! ## Tokens
//! A token id ([`TokenId`]) is assigned sequentially from 1. Amounts ([`TokenAmount`]) are
//! `u128` base units. `supply` is every unit in existence: free balances + locked balances +
//! units escrowed in open vesting schedules, and never exceeds `max_supply`. Burning lowers
//! the supply, which makes room under the maximum again. A token has two roles, each held by
//! one account: the *mint authority* (queues `Mint`) and the *admin* (queues `SetEmission`,
//! `SetMintAuthority`, `SetAdmin`).
//!
//! ## Calls ([`TokenCall`], dispatched by [`Tokens`])
//! - `Create`: symbol 1–12 of `A–Z0–9`, unique and not `SYN`, name 1–64 bytes, decimals
//!   0–18, positive maximum supply, initial supply (≤ maximum) minted to the creator, optional
//!   emission.
//! - `Transfer`, `Approve` (replaces the allowance; 0 revokes; optional expiry height, the
//!   first height at which it no longer works), `TransferFrom`, `Burn`.
//! - `Emit`: anyone mints to the schedule's recipient `rate × blocks since the last emission`,
//!   capped by the room under the maximum supply.
//! - `CreateVesting` / `ClaimVested`: escrow from the sender's balance; the beneficiary claims
//!   `amount × min(h − start, duration) / duration` (rounded down, nothing before
//!   `start + cliff`, everything from `start + duration`) minus what it already claimed.
//! - `QueueAdminAction` / `ExecuteAdminAction` / `CancelAdminAction`: see [`admin`]. The
//!   timelock is [`TokensGenesis::admin_timelock_blocks`].
//!
//! Every failure ([`TokenFailure`]) leaves state untouched: each function computes and checks
//! everything before its first write.
//!
//! ## API for other modules ([`ledger`], [`vesting`], re-exported here)
//! [`balance_of`], [`locked_of`], [`transfer`], [`approve`], [`transfer_from`], [`mint`], [`mint_within_cap`], [`burn`],
//! [`lock`] / [`unlock`], [`create`], [`emit`], [`create_vesting`], [`claim_vested`]. They run
//! inside the caller's overlay and return the [`TokenEvent`] describing what they did. A module
//! keeps tokens in keyless accounts: [`module_account`] (this module's) and
//! [`custody_account`]`(module, purpose)`; no private key exists for them, so only their module
//! moves what they hold. Minting through the API skips the timelock: it is meant for tokens
//! whose mint authority is a module's keyless account, whose code is the policy.
//!
//! ## State (`tokens/` prefix, see [`state`]; ids are 8-byte big-endian)
//! | key | value |
//! |---|---|
//! | `tokens/next_id` | `u64`: the id the next token gets (absent: 1) |
//! | `tokens/t/<token>` | [`state::TokenRecord`]: metadata, supply, totals, roles, schedule, counters |
//! | `tokens/sym/<symbol>` | `u64`: the token with that symbol |
//! | `tokens/bal/<token><account:32>` | `u128`: free balance (absent: 0) |
//! | `tokens/lock/<token><account:32>` | `u128`: locked balance (absent: 0) |
//! | `tokens/allow/<token><owner:32><spender:32>` | [`state::Allowance`] (absent: none) |
//! | `tokens/vest/<token><vesting>` | [`state::VestingRecord`] while anything is unclaimed |
//! | `tokens/vben/<beneficiary:32><token><vesting>` | `1u8`: index of open schedules by beneficiary |
//! | `tokens/act/<token><action>` | [`state::ActionRecord`], kept with its status |
//! | `tokens/pend/<token><action>` | `u64` ready height: index of pending actions |
//!
//! The timelock is a genesis parameter held by [`Tokens`], not written to state.
//!
//! ## Limits
//! - The locked balance is one amount per `(token, owner)`, shared by the modules that lock;
//!   each must unlock only what it locked.
//! - Allowances have no "infinite" value: `u128::MAX` is simply very large and is consumed.
//! - Vesting schedules cannot be revoked by their funder.
//! - Views that scan (vestings of an account, pending actions) return at most
//!   [`query::MAX_SCAN`] entries.

pub mod admin;
pub mod ledger;
pub mod query;
pub mod rpc;
pub mod state;
pub mod vesting;
pub mod wire;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use ledger::{
    NewToken, TokenResult, approve, balance_of, burn, create, custody_account, emit, lock,
    locked_of, mint, mint_within_cap, module_account, transfer, transfer_from, unlock,
};
pub use vesting::{VestingTerms, claim_vested, create_vesting};
pub use wire::{
    ActionId, AdminAction, Emission, Role, TokenAmount, TokenCall, TokenEvent, TokenFailure,
    TokenId, VestingId,
};

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use synod_module::{BlockCtx, CallResult, GenesisError, Module};
use synod_primitives::AccountId;
use synod_storage::StateRead;
use synod_storage::delta::Overlay;

/// The module's name: its RPC namespace and state key prefix.
pub const NAME: &str = "tokens";

/// Production timelock: 48 hours of 250 ms blocks.
pub const DEFAULT_ADMIN_TIMELOCK_BLOCKS: u64 = 48 * 60 * 60 * 4;

/// The tokens module's genesis section.
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
#[serde(default, deny_unknown_fields)]
pub struct TokensGenesis {
    /// Blocks between queueing an admin action and the first height it can be executed at
    /// (at least 1).
    pub admin_timelock_blocks: u64,
}

impl Default for TokensGenesis {
    /// A real network's: 48 hours ([`DEFAULT_ADMIN_TIMELOCK_BLOCKS`]).
    fn default() -> Self {
        TokensGenesis {
            admin_timelock_blocks: DEFAULT_ADMIN_TIMELOCK_BLOCKS,
        }
    }
}

impl TokensGenesis {
    /// Devnet values: a 20-block timelock (5 seconds).
    pub fn dev() -> Self {
        TokensGenesis {
            admin_timelock_blocks: 20,
        }
    }

    /// Checks the bounds a genesis must respect.
    pub fn validate(&self) -> Result<(), GenesisError> {
        if self.admin_timelock_blocks == 0 {
            return Err(GenesisError {
                module: NAME,
                reason: "admin_timelock_blocks must be at least 1".into(),
            });
        }
        Ok(())
    }
}

/// The tokens module, as the composition crate holds it.
#[derive(Clone, Debug)]
pub struct Tokens {
    genesis: TokensGenesis,
}

impl Tokens {
    /// The module configured by its genesis section.
    pub fn new(genesis: TokensGenesis) -> Self {
        Tokens { genesis }
    }

    /// Its genesis section.
    pub fn genesis(&self) -> &TokensGenesis {
        &self.genesis
    }
}

impl Module for Tokens {
    const NAME: &'static str = NAME;
    type Call = TokenCall;
    type Event = TokenEvent;
    type Failure = TokenFailure;

    fn validate_genesis(&self) -> Result<(), GenesisError> {
        self.genesis.validate()
    }

    // `init_genesis` keeps the default, which writes nothing: see the crate documentation.

    fn rpc(&self, env: &synod_module::RpcEnv) -> jsonrpsee::Methods {
        let store = &env.store;
        use rpc::TokensApiServer;
        rpc::TokensRpc {
            store: store.clone(),
            genesis: self.genesis,
        }
        .into_rpc()
        .into()
    }

    fn rpc_doc() -> Vec<synod_module::MethodDoc> {
        rpc::rpc_doc()
    }

    fn call_weight(call: &TokenCall) -> u64 {
        call.weight()
    }

    fn dispatch<R: StateRead + ?Sized>(
        &self,
        s: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
        sender: &AccountId,
        call: &TokenCall,
    ) -> CallResult<TokenEvent, TokenFailure> {
        let h = ctx.height;
        match call {
            TokenCall::Create {
                symbol,
                name,
                decimals,
                max_supply,
                initial_supply,
                emission,
                mint_authority,
                admin,
            } => {
                let spec = NewToken {
                    symbol: symbol.clone(),
                    name: name.clone(),
                    decimals: *decimals,
                    max_supply: *max_supply,
                    initial_supply: *initial_supply,
                    emission: *emission,
                    mint_authority: *mint_authority,
                    admin: *admin,
                };
                Ok(create(s, h, sender, &spec)?.1)
            }
            TokenCall::Transfer { token, to, amount } => {
                Ok(vec![transfer(s, *token, sender, to, *amount)?])
            }
            TokenCall::Approve {
                token,
                spender,
                amount,
                expires_at,
            } => Ok(vec![ledger::approve(
                s,
                h,
                *token,
                sender,
                spender,
                *amount,
                *expires_at,
            )?]),
            TokenCall::TransferFrom {
                token,
                owner,
                to,
                amount,
            } => Ok(vec![transfer_from(
                s, h, *token, sender, owner, to, *amount,
            )?]),
            TokenCall::Burn { token, amount } => Ok(vec![burn(s, *token, sender, *amount)?]),
            TokenCall::Emit { token } => Ok(vec![emit(s, h, *token)?]),
            TokenCall::CreateVesting {
                token,
                beneficiary,
                amount,
                start,
                cliff,
                duration,
            } => {
                let terms = VestingTerms {
                    beneficiary: *beneficiary,
                    amount: *amount,
                    start: *start,
                    cliff: *cliff,
                    duration: *duration,
                };
                Ok(vec![create_vesting(s, h, *token, sender, &terms)?.1])
            }
            TokenCall::ClaimVested { token, vesting_id } => {
                Ok(vec![claim_vested(s, h, *token, *vesting_id, sender)?])
            }
            TokenCall::QueueAdminAction { token, action } => Ok(vec![
                admin::queue(
                    s,
                    h,
                    self.genesis.admin_timelock_blocks,
                    *token,
                    sender,
                    action,
                )?
                .1,
            ]),
            TokenCall::ExecuteAdminAction { token, action_id } => {
                admin::execute(s, h, *token, sender, *action_id)
            }
            TokenCall::CancelAdminAction { token, action_id } => {
                Ok(vec![admin::cancel(s, h, *token, sender, *action_id)?])
            }
        }
    }
}
