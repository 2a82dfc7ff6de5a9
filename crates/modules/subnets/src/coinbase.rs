//! The per-block step: block emission, its split across subnets, pool injection, alpha
//! emission and pending accumulation, moving prices, and the epochs that are due.
//!
//! Order within a block (after its transactions): (1) compute the block emission from the
//! issuance; (2) SYN shares ∝ moving price over started subnets; (3) for each started subnet:
//! mint and inject, mint alpha, split it 18/41/41 with the root part sold for SYN, accumulate
//! pending; then update its moving price (after it was used); (4) run at most
//! `max_epochs_per_block` due epochs, oldest first (ties: lower netuid), the rest next block.
//! Each subnet's step runs in its own overlay, so a step that cannot complete leaves no trace.

use crate::CallError;
use crate::emission::{self, PayoutUid, Pending};
use crate::module_account;
use crate::params::Params;
use crate::registration::{globals, subnet_state, uid_of};
use crate::staking::{self, Position};
use crate::state::{self, EpochResults, Neuron, SubnetInfo, SubnetState};
use crate::wire::{NetUid, ROOT_NETUID, SubnetEvent};
use synod_bank as bank;
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::StateError;
use synod_yuma::{EpochInput, Hyperparameters, NeuronInput, SparseRow};

/// What one block's step did (for tests and tooling; not stored).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockReport {
    /// SYN minted into pools.
    pub minted_tao: u64,
    /// SYN set aside for another module by an [`EmissionCarveOut`].
    pub carved_out: u64,
    /// Epochs that ran.
    pub epochs: Vec<EpochReport>,
}

/// One epoch's accounting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochReport {
    /// The subnet.
    pub netuid: NetUid,
    /// What was pending.
    pub pending: Pending,
    /// How it was paid.
    pub payout: emission::Payout,
    /// The event recorded for it (`None` when Yuma refused the stored input and the pending
    /// emission was kept).
    pub event: Option<SubnetEvent>,
}

/// A part of every block's SYN emission minted to another module's account instead of the
/// subnets (the data pools' share). Configured by the composition crate, not by this module's
/// genesis section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EmissionCarveOut {
    /// The part, in parts per million of the block emission (rounded down).
    pub ppm: u32,
    /// Who receives it.
    pub to: synod_primitives::AccountId,
}

/// Runs the subnet part of a block. Called once per block, after the transactions, inside the
/// block's overlay.
pub fn on_block_end<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    params: &Params,
) -> Result<BlockReport, StateError> {
    on_block_end_with(s, height, params, None)
}

/// [`on_block_end`] with part of the block emission carved out first: `floor(E × ppm / 10^6)`
/// of the block emission `E` (computed from the issuance before anything of this block is
/// minted) goes to `carve_out.to`, the rest to the subnets as usual. Minted even when no
/// subnet runs yet.
pub fn on_block_end_with<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    height: u64,
    params: &Params,
    carve_out: Option<&EmissionCarveOut>,
) -> Result<BlockReport, StateError> {
    let mut report = BlockReport::default();
    let issuance = bank::issuance(s)?;
    let full_emission =
        emission::block_emission(issuance, params.total_supply, params.base_block_emission);
    if let Some(c) = carve_out.filter(|c| c.ppm > 0) {
        let carved = emission::mul_div_u64(full_emission, u64::from(c.ppm), 1_000_000);
        if carved > 0 {
            bank::mint(s, &c.to, carved).map_err(|e| StateError::Corrupt {
                key: "bank/issuance".into(),
                reason: format!("carving out block emission: {e:?}"),
            })?;
            report.carved_out = carved;
        }
    }
    let g = globals(s)?;
    if g.netuids.is_empty() {
        return Ok(report);
    }
    let mut started: Vec<(NetUid, u128)> = Vec::new();
    for &netuid in &g.netuids {
        let Some(info) = state::get::<SubnetInfo>(s, &state::info_key(netuid))? else {
            continue;
        };
        if info.start_block.is_some() {
            started.push((netuid, subnet_state(s, netuid)?.moving_price));
        }
    }
    let block_emission = full_emission - report.carved_out;
    let prices: Vec<u128> = started.iter().map(|(_, p)| *p).collect();
    let shares = emission::tao_shares(block_emission, &prices);
    for ((netuid, _), share) in started.iter().zip(shares) {
        let mut sub = Overlay::new(&*s);
        match emit_to_subnet(&mut sub, *netuid, share, height, params) {
            Ok(minted) => {
                let changes = sub.into_changes();
                s.absorb(changes);
                report.minted_tao += minted;
            }
            Err(CallError::State(e)) => return Err(e),
            Err(CallError::Failed(_)) => {}
        }
    }

    let mut due: Vec<(u64, NetUid)> = Vec::new();
    for &netuid in &g.netuids {
        let Some(info) = state::get::<SubnetInfo>(s, &state::info_key(netuid))? else {
            continue;
        };
        let st = subnet_state(s, netuid)?;
        if height.saturating_sub(st.last_epoch_block) >= u64::from(info.hyperparams.tempo) {
            due.push((st.last_epoch_block, netuid));
        }
    }
    due.sort_unstable();
    due.truncate(usize::try_from(params.max_epochs_per_block).unwrap_or(usize::MAX));
    for (_, netuid) in due {
        let mut sub = Overlay::new(&*s);
        match run_epoch(&mut sub, netuid, height, params) {
            Ok(r) => {
                let changes = sub.into_changes();
                s.absorb(changes);
                report.epochs.push(r);
            }
            Err(CallError::State(e)) => return Err(e),
            Err(CallError::Failed(_)) => {
                // Cannot happen with consistent state; skip the epoch rather than halt.
                drop(sub);
                let mut st = subnet_state(s, netuid)?;
                st.last_epoch_block = height;
                st.epoch_index += 1;
                state::put(s, state::state_key(netuid), &st);
            }
        }
    }
    Ok(report)
}

/// One subnet's emission for this block. Returns the SYN minted.
fn emit_to_subnet<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    netuid: NetUid,
    tao_share: u64,
    height: u64,
    params: &Params,
) -> Result<u64, CallError> {
    let info: SubnetInfo =
        state::get(s, &state::info_key(netuid))?.unwrap_or_else(|| unreachable_info(netuid));
    let mut st = subnet_state(s, netuid)?;
    let g = globals(s)?;
    let alpha_emission = emission::block_emission(
        st.alpha_issuance(),
        params.total_supply,
        params.base_block_emission,
    );
    let inj = emission::injection(tao_share, st.tao_reserve, st.alpha_reserve, alpha_emission);
    bank::mint(s, &module_account(), inj.tao_in)?;
    let r = st
        .reserves()
        .inject(inj.tao_in, inj.alpha_in)
        .map_err(|_| crate::sf(crate::wire::SubnetFailure::Overflow))?;
    st.set_reserves(r);
    st.alpha_outstanding = st
        .alpha_outstanding
        .checked_add(inj.alpha_out)
        .ok_or(crate::sf(crate::wire::SubnetFailure::Overflow))?;
    let rp = emission::root_proportion(params.tao_weight, g.root_stake, st.alpha_issuance());
    let split = emission::split_alpha(inj.alpha_out, params.owner_cut, rp);
    st.pending_owner = st.pending_owner.saturating_add(split.owner);
    st.pending_server = st.pending_server.saturating_add(split.server);
    st.pending_validator = st.pending_validator.saturating_add(split.validator);
    if split.root > 0 {
        match st
            .reserves()
            .sell_alpha(split.root, params.min_pool_reserve)
        {
            Ok((tao, r)) => {
                st.set_reserves(r);
                st.alpha_outstanding -= split.root;
                st.pending_root_tao = st.pending_root_tao.saturating_add(tao);
            }
            // Too small to sell (or no liquidity): validators keep it.
            Err(_) => st.pending_validator = st.pending_validator.saturating_add(split.root),
        }
    }
    st.tao_in_emission = inj.tao_in;
    st.alpha_in_emission = inj.alpha_in;
    st.alpha_out_emission = inj.alpha_out;
    let since_start = height.saturating_sub(info.start_block.unwrap_or(height));
    st.moving_price = emission::update_moving_price(
        st.moving_price,
        emission::capped_spot_price(st.tao_reserve, st.alpha_reserve),
        params.moving_alpha_ppb,
        since_start,
        params.ema_halving_blocks,
    );
    state::put(s, state::state_key(netuid), &st);
    Ok(inj.tao_in)
}

fn unreachable_info(netuid: NetUid) -> SubnetInfo {
    // Only called for netuids listed in the globals, which always have info; an empty record
    // keeps the step total.
    SubnetInfo {
        netuid,
        owner_coldkey: Default::default(),
        owner_hotkey: Default::default(),
        registered_at: 0,
        lock: 0,
        start_block: None,
        hyperparams: Default::default(),
    }
}

/// The stake weight Yuma sees for a hotkey: alpha on the subnet plus TaoWeight × root stake.
pub fn stake_weight(alpha: u64, root: u64, tao_weight: u64) -> u64 {
    let root_part = (u128::from(root) * u128::from(tao_weight)) >> 64;
    alpha.saturating_add(root_part as u64)
}

/// A subnet's epoch input with the per-UID records it was built from.
#[derive(Clone, Debug)]
pub struct EpochData {
    /// The Yuma input.
    pub input: EpochInput,
    /// Neuron records by UID.
    pub neurons: Vec<Neuron>,
    /// `(alpha stake, root stake)` by UID.
    pub stakes: Vec<(u64, u64)>,
}

/// Builds the Yuma input of a subnet from state.
pub fn epoch_input(
    s: &(impl StateRead + ?Sized),
    info: &SubnetInfo,
    st: &SubnetState,
    height: u64,
    params: &Params,
) -> Result<EpochData, StateError> {
    let netuid = info.netuid;
    let hp = &info.hyperparams;
    let prev: EpochResults = state::get_or_default(s, &state::epoch_key(netuid))?;
    let mut neurons = Vec::with_capacity(usize::from(st.n));
    let mut stakes = Vec::with_capacity(usize::from(st.n));
    let mut inputs = Vec::with_capacity(usize::from(st.n));
    let mut weights: Vec<SparseRow> = Vec::with_capacity(usize::from(st.n));
    let mut bonds: Vec<SparseRow> = Vec::with_capacity(usize::from(st.n));
    for uid in 0..st.n {
        let n: Neuron = state::get(s, &state::neuron_key(netuid, uid))?.unwrap_or(Neuron {
            hotkey: Default::default(),
            registered_at: height,
            last_update: 0,
            last_weights_call: None,
            weights_block: None,
            axon: None,
        });
        let alpha = staking::hotkey_pool(s, netuid, &n.hotkey)?.alpha;
        let root = staking::hotkey_pool(s, ROOT_NETUID, &n.hotkey)?.alpha;
        inputs.push(NeuronInput {
            stake: stake_weight(alpha, root, params.tao_weight),
            validator_permit: prev.permit.get(usize::from(uid)).copied().unwrap_or(false),
            last_update: n.last_update,
            block_at_registration: n.registered_at,
            commit_block: n.weights_block,
        });
        weights.push(state::get_or_default(s, &state::weights_key(netuid, uid))?);
        bonds.push(state::get_or_default(s, &state::bonds_key(netuid, uid))?);
        stakes.push((alpha, root));
        neurons.push(n);
    }
    let owner_uid = uid_of(s, netuid, &info.owner_hotkey)?;
    let input = EpochInput {
        hyperparameters: Hyperparameters {
            kappa: hp.kappa,
            bonds_moving_average: hp.bonds_moving_average,
            bonds_penalty: hp.bonds_penalty,
            yuma3: hp.yuma3_enabled,
            liquid_alpha: hp.liquid_alpha_enabled,
            alpha_low: hp.alpha_low,
            alpha_high: hp.alpha_high,
            alpha_sigmoid_steepness: hp.alpha_sigmoid_steepness,
            max_allowed_validators: hp.max_allowed_validators,
            activity_cutoff: hp.activity_cutoff,
            stake_threshold: 0,
            tempo: u64::from(hp.tempo),
        },
        current_block: height,
        last_epoch_block: (st.last_epoch_block > 0).then_some(st.last_epoch_block),
        emission: st.pending_server.saturating_add(st.pending_validator),
        owner_uid,
        neurons: inputs,
        weights,
        bonds,
    };
    Ok(EpochData {
        input,
        neurons,
        stakes,
    })
}

/// Runs a subnet's epoch: Yuma on the stored state, then the payout of its pending emission.
fn run_epoch<R: StateRead + ?Sized>(
    s: &mut Overlay<'_, R>,
    netuid: NetUid,
    height: u64,
    params: &Params,
) -> Result<EpochReport, CallError> {
    let info: SubnetInfo =
        state::get(s, &state::info_key(netuid))?.unwrap_or_else(|| unreachable_info(netuid));
    let mut st = subnet_state(s, netuid)?;
    let EpochData {
        input,
        neurons,
        stakes,
    } = epoch_input(s, &info, &st, height, params)?;
    let mut report = EpochReport {
        netuid,
        ..EpochReport::default()
    };
    st.last_epoch_block = height;
    st.epoch_index += 1;
    let out = match synod_yuma::run_epoch(&input) {
        Ok(o) => o,
        Err(_) => {
            // Stored state never violates the epoch's input rules; keep pending for later.
            state::put(s, state::state_key(netuid), &st);
            return Ok(report);
        }
    };
    let pending = Pending {
        server: st.pending_server,
        validator: st.pending_validator,
        owner: st.pending_owner,
        root_tao: st.pending_root_tao,
    };
    let uids: Vec<PayoutUid> = neurons
        .iter()
        .enumerate()
        .map(|(i, n)| PayoutUid {
            server: out.server_emission[i],
            validator: out.validator_emission[i],
            alpha_stake: stakes[i].0,
            root_stake: stakes[i].1,
            owner_hotkey: n.hotkey == info.owner_hotkey,
        })
        .collect();
    let pay = emission::payout(&pending, &uids, params.tao_weight);
    let mut burned = pay.burned_alpha;
    let mut root_paid: u64 = 0;
    let (mut miners_paid, mut validators_paid) = (0u64, 0u64);
    for (i, n) in neurons.iter().enumerate() {
        let Some(owner) = bank::hotkey_owner(s, &n.hotkey)? else {
            burned = burned
                .saturating_add(pay.miner_alpha[i])
                .saturating_add(pay.validator_alpha[i]);
            continue;
        };
        miners_paid = miners_paid.saturating_add(pay.miner_alpha[i]);
        validators_paid = validators_paid.saturating_add(pay.validator_alpha[i]);
        let pos = Position {
            coldkey: owner,
            hotkey: n.hotkey,
            netuid,
        };
        staking::deposit(s, &pos, pay.miner_alpha[i])?;
        if pay.validator_alpha[i] > 0 {
            staking::credit_validator(
                s,
                params,
                netuid,
                &n.hotkey,
                &owner,
                pay.validator_alpha[i],
            )?;
        }
        if pay.root_tao[i] > 0 {
            staking::credit_validator(s, params, ROOT_NETUID, &n.hotkey, &owner, pay.root_tao[i])?;
            root_paid = root_paid.saturating_add(pay.root_tao[i]);
        }
    }
    let owner_pos = Position {
        coldkey: info.owner_coldkey,
        hotkey: info.owner_hotkey,
        netuid,
    };
    staking::deposit(s, &owner_pos, pay.owner_alpha)?;
    let mut g = globals(s)?;
    g.root_stake = g.root_stake.saturating_add(root_paid);
    state::put(s, state::globals_key(), &g);
    // Unpaid root SYN for UIDs without an owner (cannot happen) stays pending too.
    st.pending_root_tao = pending.root_tao - root_paid;
    st.pending_server = 0;
    st.pending_validator = 0;
    st.pending_owner = 0;
    st.alpha_outstanding = st.alpha_outstanding.saturating_sub(burned);
    st.alpha_burned = st.alpha_burned.saturating_add(burned);
    state::put(s, state::state_key(netuid), &st);

    let results = EpochResults {
        block: height,
        active: out.active.clone(),
        stake_weight: out.stake_weight.clone(),
        consensus: out.consensus.clone(),
        incentive: out.incentive.clone(),
        dividends: out.dividends.clone(),
        trust: out.validator_trust.clone(),
        emission: out
            .server_emission
            .iter()
            .zip(&out.validator_emission)
            .map(|(a, b)| a.saturating_add(*b))
            .collect(),
        permit: out.validator_permit.clone(),
    };
    state::put(s, state::epoch_key(netuid), &results);
    for (uid, row) in out.bonds.iter().enumerate() {
        state::put_or_delete(s, state::bonds_key(netuid, uid as u16), row);
    }
    report.event = Some(SubnetEvent::EpochRun {
        netuid,
        block: height,
        epoch_index: st.epoch_index,
        miner_alpha: miners_paid,
        validator_alpha: validators_paid,
        owner_alpha: pay.owner_alpha,
        burned_alpha: burned,
        root_tao: root_paid,
        carried_root_tao: st.pending_root_tao,
    });
    report.pending = pending;
    report.payout = emission::Payout {
        burned_alpha: burned,
        ..pay
    };
    Ok(report)
}
