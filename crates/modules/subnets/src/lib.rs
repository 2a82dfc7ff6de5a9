//! # synod-subnets — the subnet economy (Bittensor's model) as a chain module
//!
//! Subnets, neurons (UIDs), weights with commit–reveal, Yuma Consensus epochs (through
//! [`synod_yuma::run_epoch`]), dTAO constant-product pools with staking and limit orders,
//! per-hotkey share pools with delegate take, root stake (netuid 0) weighted by TaoWeight, and
//! the block emission that feeds it all.
//!
//! It must not move SYN except through the bank, nor read clocks or iterate hash maps; chain-
//! level types (`Call`, `Event`) are the runtime's, not its.
//!
//! The executor calls two entry points: [`dispatch`] for a transaction's
//! [`synod_primitives::SubnetCall`] (inside the transaction's own overlay) and [`on_block_end`]
//! once per block after the transactions (inside the block's overlay, before the state root).
//! Everything is deterministic: block height is the only clock, arithmetic is integer or
//! fixed point, and only ordered collections are iterated.
//!
//! Modules: [`pool`] and [`emission`] are the pure math (benchable alone, property-tested);
//! [`state`] the stored records and keys; [`params`] chain parameters and hyperparameter
//! bounds; `registration`, `weights`, `staking` the calls; [`coinbase`] the per-block step and
//! epochs; [`query`] the read-only views served over RPC (metagraph, pools, positions).
//!
//! Money flows. SYN held by the module (pool reserves, pending root dividends, root stake) sits
//! in the module account [`module_account`], so the bank's total issuance stays the sum of all
//! balances. Emission is minted into it; registration burns and the part of a subnet lock above
//! the pool seed are burned from the payer.

pub mod coinbase;
pub mod emission;
pub mod identity;
pub mod params;
pub mod pool;
pub mod query;
mod registration;
pub mod rpc;
mod staking;
pub mod state;
mod weights;
pub mod wire;

pub use coinbase::{EmissionCarveOut, on_block_end, on_block_end_with};
pub use params::{Params, SubnetHyperparams, SubnetParams, SubnetParamsError};
pub use registration::{current_burn, network_lock_cost};
pub use staking::stake_of;
pub use weights::{WeightRow, max_upscale};

pub use wire::{
    AxonInfo, Hyperparameter, MAX_SALT_LEN, MAX_WEIGHTS_LEN, NetUid, ROOT_NETUID, SubnetCall,
    SubnetEvent, SubnetFailure, Uid, weights_commit_hash,
};

use synod_bank::BankFailure;
use synod_module::{BlockCtx, GenesisError, Module, ModuleFailure};
use synod_primitives::{AccountId, Balance};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::StateError;

/// Why a subnet call failed: its own reasons, or the bank's when moving SYN (a stake or a
/// registration burn above the balance).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
    /// The bank refused.
    #[error(transparent)]
    Bank(#[from] BankFailure),
    /// A subnet rule refused the call.
    #[error(transparent)]
    Subnet(#[from] SubnetFailure),
}

impl ModuleFailure for CallFailure {}

/// The error of a subnet call.
pub type CallError = synod_module::CallError<CallFailure>;
/// The outcome of a subnet call.
pub type CallResult = synod_module::CallResult<SubnetEvent, CallFailure>;

/// The account that holds the module's SYN in custody. Its key is a hash, so nobody can sign
/// for it.
pub fn module_account() -> AccountId {
    synod_module::module_account(Subnets::NAME)
}

/// What a call needs besides state: the block height and the chain parameters.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    /// Height of the block being executed.
    pub height: u64,
    /// The chain id (bound into hotkey binding proofs).
    pub chain_id: &'a str,
    /// Chain parameters.
    pub params: &'a Params,
}

/// A subnet failure as a call error.
pub(crate) fn sf(f: SubnetFailure) -> CallError {
    CallError::Failed(CallFailure::Subnet(f))
}

/// Executes one subnet call signed by `sender`.
pub fn dispatch<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    ctx: &Ctx<'_>,
    sender: &AccountId,
    call: &SubnetCall,
) -> CallResult {
    match call {
        SubnetCall::RegisterNetwork {
            hotkey,
            max_lock_cost,
        } => registration::register_network(s, ctx, sender, hotkey, *max_lock_cost),
        SubnetCall::StartCall { netuid } => registration::start_call(s, ctx, sender, *netuid),
        SubnetCall::SetHyperparameter { netuid, param } => {
            registration::set_hyperparameter(s, ctx, sender, *netuid, param)
        }
        SubnetCall::BurnedRegister {
            netuid,
            hotkey,
            max_burn,
        } => registration::burned_register(s, ctx, sender, *netuid, hotkey, *max_burn),
        SubnetCall::ServeAxon {
            netuid,
            hotkey,
            ip,
            ip_type,
            port,
            protocol,
            version,
        } => registration::serve_axon(
            s,
            ctx,
            sender,
            *netuid,
            hotkey,
            wire::AxonInfo {
                ip: *ip,
                ip_type: *ip_type,
                port: *port,
                protocol: *protocol,
                version: *version,
                block: ctx.height,
            },
        ),
        SubnetCall::SetWeights {
            netuid,
            hotkey,
            uids,
            values,
            version_key,
        } => weights::set_weights(s, ctx, sender, *netuid, hotkey, uids, values, *version_key),
        SubnetCall::CommitWeights {
            netuid,
            hotkey,
            commit_hash,
        } => weights::commit_weights(s, ctx, sender, *netuid, hotkey, *commit_hash),
        SubnetCall::RevealWeights {
            netuid,
            hotkey,
            uids,
            values,
            salt,
            version_key,
        } => weights::reveal_weights(
            s,
            ctx,
            sender,
            *netuid,
            hotkey,
            uids,
            values,
            salt,
            *version_key,
        ),
        SubnetCall::AddStake {
            hotkey,
            netuid,
            amount,
            limit_price,
            allow_partial,
        } => staking::add_stake(
            s,
            ctx,
            sender,
            hotkey,
            *netuid,
            *amount,
            *limit_price,
            *allow_partial,
        ),
        SubnetCall::RemoveStake {
            hotkey,
            netuid,
            amount,
            limit_price,
            allow_partial,
        } => staking::remove_stake(
            s,
            ctx,
            sender,
            hotkey,
            *netuid,
            *amount,
            *limit_price,
            *allow_partial,
        ),
        SubnetCall::MoveStake {
            origin_hotkey,
            destination_hotkey,
            origin_netuid,
            destination_netuid,
            amount,
        } => staking::move_position(
            s,
            ctx,
            staking::Position {
                coldkey: *sender,
                hotkey: *origin_hotkey,
                netuid: *origin_netuid,
            },
            staking::Position {
                coldkey: *sender,
                hotkey: *destination_hotkey,
                netuid: *destination_netuid,
            },
            *amount,
            None,
            false,
        ),
        SubnetCall::TransferStake {
            destination_coldkey,
            hotkey,
            origin_netuid,
            destination_netuid,
            amount,
        } => staking::move_position(
            s,
            ctx,
            staking::Position {
                coldkey: *sender,
                hotkey: *hotkey,
                netuid: *origin_netuid,
            },
            staking::Position {
                coldkey: *destination_coldkey,
                hotkey: *hotkey,
                netuid: *destination_netuid,
            },
            *amount,
            None,
            false,
        ),
        SubnetCall::SwapStake {
            hotkey,
            origin_netuid,
            destination_netuid,
            amount,
            limit_price,
            allow_partial,
        } => staking::move_position(
            s,
            ctx,
            staking::Position {
                coldkey: *sender,
                hotkey: *hotkey,
                netuid: *origin_netuid,
            },
            staking::Position {
                coldkey: *sender,
                hotkey: *hotkey,
                netuid: *destination_netuid,
            },
            *amount,
            *limit_price,
            *allow_partial,
        ),
        SubnetCall::SetDelegateTake { hotkey, take } => {
            staking::set_delegate_take(s, ctx, sender, hotkey, *take)
        }
        SubnetCall::SetSubnetIdentity { netuid, identity } => {
            identity::set_subnet_identity(s, sender, *netuid, identity)
        }
        SubnetCall::SetHotkeyIdentity { hotkey, identity } => {
            identity::set_hotkey_identity(s, sender, hotkey, identity)
        }
        SubnetCall::SwapHotkey {
            old_hotkey,
            new_hotkey,
            proof,
        } => identity::swap_hotkey(s, ctx, sender, old_hotkey, new_hotkey, proof),
    }
}

/// The subnet economy as a chain module: executes [`SubnetCall`]s and, after every block's
/// transactions, runs emission and due epochs ([`on_block_end`]).
#[derive(Clone, Debug)]
pub struct Subnets {
    params: Params,
    carve_out: Option<EmissionCarveOut>,
}

impl Subnets {
    /// The module with the chain's subnet parameters (the genesis' `subnets` section).
    pub fn new(params: Params) -> Self {
        Subnets {
            params,
            carve_out: None,
        }
    }

    /// Mints `carve_out.ppm` of every block's emission to `carve_out.to` instead of the
    /// subnets (the composition crate wires another module's share here).
    pub fn with_carve_out(mut self, carve_out: EmissionCarveOut) -> Self {
        self.carve_out = Some(carve_out);
        self
    }

    /// The chain's subnet parameters.
    pub fn params(&self) -> &Params {
        &self.params
    }
}

impl Module for Subnets {
    const NAME: &'static str = "subnets";
    type Call = SubnetCall;
    type Event = SubnetEvent;
    type Failure = CallFailure;

    fn validate_genesis(&self) -> Result<(), GenesisError> {
        self.params.validate().map_err(|e| GenesisError {
            module: Self::NAME,
            reason: e.to_string(),
        })
    }

    fn call_weight(call: &SubnetCall) -> u64 {
        call.weight()
    }

    fn call_spend(call: &SubnetCall) -> Balance {
        match call {
            // A cap of `Balance::MAX` is "no cap" (what the CLI sends without --max-*): the
            // call states no bound, and reserving the whole balance for it would block every
            // other transaction of the sender until it is included.
            SubnetCall::RegisterNetwork { max_lock_cost, .. } if *max_lock_cost < Balance::MAX => {
                *max_lock_cost
            }
            SubnetCall::BurnedRegister { max_burn, .. } if *max_burn < Balance::MAX => *max_burn,
            SubnetCall::RegisterNetwork { .. } | SubnetCall::BurnedRegister { .. } => 0,
            SubnetCall::AddStake { amount, .. } => *amount,
            // Alpha moves, weights, axons and settings take no SYN from the free balance.
            SubnetCall::StartCall { .. }
            | SubnetCall::SetHyperparameter { .. }
            | SubnetCall::ServeAxon { .. }
            | SubnetCall::SetWeights { .. }
            | SubnetCall::CommitWeights { .. }
            | SubnetCall::RevealWeights { .. }
            | SubnetCall::RemoveStake { .. }
            | SubnetCall::MoveStake { .. }
            | SubnetCall::TransferStake { .. }
            | SubnetCall::SwapStake { .. }
            | SubnetCall::SetDelegateTake { .. }
            | SubnetCall::SetSubnetIdentity { .. }
            | SubnetCall::SetHotkeyIdentity { .. }
            | SubnetCall::SwapHotkey { .. } => 0,
        }
    }

    fn rpc(&self, env: &synod_module::RpcEnv) -> jsonrpsee::Methods {
        let store = &env.store;
        use rpc::SubnetsApiServer;
        rpc::SubnetsRpc::new(store.clone(), self.params.clone())
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
        call: &SubnetCall,
    ) -> CallResult {
        dispatch(
            state,
            &Ctx {
                height: ctx.height,
                chain_id: ctx.chain_id,
                params: &self.params,
            },
            sender,
            call,
        )
    }

    fn end_block<R: StateRead + ?Sized>(
        &self,
        state: &mut Overlay<'_, R>,
        ctx: &BlockCtx<'_>,
    ) -> Result<Vec<SubnetEvent>, StateError> {
        let report = on_block_end_with(state, ctx.height, &self.params, self.carve_out.as_ref())?;
        Ok(report.epochs.into_iter().filter_map(|e| e.event).collect())
    }
}
