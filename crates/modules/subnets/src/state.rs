//! Stored records and their keys. Every key starts with `subnets/`; netuids and UIDs are
//! big-endian so that keys sort numerically. Sets that queries must list (subnets, a coldkey's
//! positions, a subnet's stakers) are stored as one ordered set per key, so no prefix scan is
//! ever needed and iteration order is always the set's order.

use crate::params::SubnetHyperparams;
use crate::wire::{AxonInfo, NetUid, Uid};
use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use synod_primitives::{AccountId, Balance, Hash};
use synod_storage::StateRead;
use synod_storage::delta::Overlay;
use synod_storage::typed::{self as typed, StateError};

/// A subnet's identity, ownership and hyperparameters.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct SubnetInfo {
    /// Its id.
    pub netuid: NetUid,
    /// Owner coldkey.
    pub owner_coldkey: AccountId,
    /// Owner hotkey.
    pub owner_hotkey: AccountId,
    /// Creation block.
    pub registered_at: u64,
    /// SYN locked at creation.
    pub lock: Balance,
    /// Block at which the owner started emissions.
    pub start_block: Option<u64>,
    /// Hyperparameters.
    pub hyperparams: SubnetHyperparams,
}

/// A subnet's pool, pending emission and schedule.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct SubnetState {
    /// SYN reserve of the pool.
    pub tao_reserve: Balance,
    /// Alpha reserve of the pool ("alpha in").
    pub alpha_reserve: Balance,
    /// Alpha outside the pool ("alpha out"): staked, plus minted and pending.
    pub alpha_outstanding: Balance,
    /// Moving price, Q64.64 bits (`1.0 = 2^64`), capped at 1.
    pub moving_price: u128,
    /// Miners' alpha accumulated since the last epoch.
    pub pending_server: Balance,
    /// Validators' alpha accumulated since the last epoch.
    pub pending_validator: Balance,
    /// Owner cut accumulated since the last epoch.
    pub pending_owner: Balance,
    /// Root stakers' SYN (root alpha sold) accumulated since the last epoch.
    pub pending_root_tao: Balance,
    /// Block of the last epoch.
    pub last_epoch_block: u64,
    /// Epochs run so far (commit-reveal counts in these).
    pub epoch_index: u64,
    /// Registration burn as of `burn_block`.
    pub burn: Balance,
    /// Block at which `burn` was last set.
    pub burn_block: u64,
    /// Number of UIDs.
    pub n: u16,
    /// Last block's SYN injection.
    pub tao_in_emission: Balance,
    /// Last block's alpha injection into the pool.
    pub alpha_in_emission: Balance,
    /// Last block's alpha emission to participants.
    pub alpha_out_emission: Balance,
    /// Total alpha burned (owner-hotkey incentive, rounding, registrations never burn alpha).
    pub alpha_burned: Balance,
}

impl SubnetState {
    /// Alpha issuance: pool reserve plus outstanding.
    pub fn alpha_issuance(&self) -> Balance {
        self.alpha_reserve.saturating_add(self.alpha_outstanding)
    }

    /// The pool reserves.
    pub fn reserves(&self) -> crate::pool::Reserves {
        crate::pool::Reserves {
            tao: self.tao_reserve,
            alpha: self.alpha_reserve,
        }
    }

    /// Sets the pool reserves.
    pub fn set_reserves(&mut self, r: crate::pool::Reserves) {
        self.tao_reserve = r.tao;
        self.alpha_reserve = r.alpha;
    }
}

/// A registered neuron (one UID).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Neuron {
    /// Its hotkey.
    pub hotkey: AccountId,
    /// Block at which this hotkey took the UID.
    pub registered_at: u64,
    /// Last weight set, commit or reveal (activity); the registration block initially.
    pub last_update: u64,
    /// Last direct weight set or commit, for the rate limit.
    pub last_weights_call: Option<u64>,
    /// Block as of which the stored weight row was decided: the set block, or for revealed
    /// weights the commit block. Weights to UIDs registered after it are masked.
    pub weights_block: Option<u64>,
    /// Advertised endpoint.
    pub axon: Option<AxonInfo>,
}

/// The epoch's per-UID outputs (one vector entry per UID), as of `block`.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct EpochResults {
    /// Block of the epoch that produced them.
    pub block: u64,
    /// Active flags.
    pub active: Vec<bool>,
    /// Normalised stake, u16.
    pub stake_weight: Vec<u16>,
    /// Consensus, u16.
    pub consensus: Vec<u16>,
    /// Incentive, u16.
    pub incentive: Vec<u16>,
    /// Dividends, u16.
    pub dividends: Vec<u16>,
    /// Validator trust, u16.
    pub trust: Vec<u16>,
    /// Alpha emitted to the UID in the last epoch (miner + validator), the pruning score.
    pub emission: Vec<Balance>,
    /// Validator permits (granted by the last epoch, they gate the next).
    pub permit: Vec<bool>,
}

impl EpochResults {
    /// Grows every vector to `n` entries.
    pub fn resize(&mut self, n: usize) {
        self.active.resize(n, false);
        self.stake_weight.resize(n, 0);
        self.consensus.resize(n, 0);
        self.incentive.resize(n, 0);
        self.dividends.resize(n, 0);
        self.trust.resize(n, 0);
        self.emission.resize(n, 0);
        self.permit.resize(n, false);
    }

    /// Resets the entries of `uid` (a replaced neuron starts from zero).
    pub fn clear(&mut self, uid: usize) {
        self.resize(self.active.len().max(uid + 1));
        self.active[uid] = false;
        self.stake_weight[uid] = 0;
        self.consensus[uid] = 0;
        self.incentive[uid] = 0;
        self.dividends[uid] = 0;
        self.trust[uid] = 0;
        self.emission[uid] = 0;
        self.permit[uid] = false;
    }
}

/// An unrevealed weight commit.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct WeightCommit {
    /// The committed hash.
    pub hash: Hash,
    /// Block of the commit.
    pub block: u64,
    /// Epoch index at the commit.
    pub epoch: u64,
}

/// A hotkey's stake pool on one subnet: nominators own shares of `alpha`.
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
pub struct HotkeyPool {
    /// Alpha (SYN on root) owned by all of the hotkey's stakers together.
    pub alpha: Balance,
    /// Shares outstanding. Share value never falls below 1, so shares ≤ alpha.
    pub shares: u64,
}

/// Global subnet bookkeeping.
#[derive(
    Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct Globals {
    /// Existing subnets (root excluded).
    pub netuids: BTreeSet<NetUid>,
    /// Lock paid by the last subnet creation.
    pub last_lock: Balance,
    /// Block of the last subnet creation.
    pub last_lock_block: Option<u64>,
    /// Total SYN staked on root.
    pub root_stake: Balance,
}

// --- keys -------------------------------------------------------------------------------

fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut k = b"subnets/".to_vec();
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

/// Key of [`Globals`].
pub fn globals_key() -> Vec<u8> {
    key(&[b"globals"])
}
/// Key of a [`SubnetInfo`].
pub fn info_key(netuid: NetUid) -> Vec<u8> {
    key(&[b"info/", &netuid.to_be_bytes()])
}
/// Key of a [`SubnetState`].
pub fn state_key(netuid: NetUid) -> Vec<u8> {
    key(&[b"state/", &netuid.to_be_bytes()])
}
/// Key of a [`Neuron`].
pub fn neuron_key(netuid: NetUid, uid: Uid) -> Vec<u8> {
    key(&[b"neuron/", &netuid.to_be_bytes(), &uid.to_be_bytes()])
}
/// Key of a hotkey's UID on a subnet.
pub fn uid_key(netuid: NetUid, hotkey: &AccountId) -> Vec<u8> {
    key(&[b"uid/", &netuid.to_be_bytes(), hotkey.as_bytes()])
}
/// Key of a weight row.
pub fn weights_key(netuid: NetUid, uid: Uid) -> Vec<u8> {
    key(&[b"weights/", &netuid.to_be_bytes(), &uid.to_be_bytes()])
}
/// Key of a bond row.
pub fn bonds_key(netuid: NetUid, uid: Uid) -> Vec<u8> {
    key(&[b"bonds/", &netuid.to_be_bytes(), &uid.to_be_bytes()])
}
/// Key of [`EpochResults`].
pub fn epoch_key(netuid: NetUid) -> Vec<u8> {
    key(&[b"epoch/", &netuid.to_be_bytes()])
}
/// Key of a hotkey's open commits on a subnet.
pub fn commits_key(netuid: NetUid, hotkey: &AccountId) -> Vec<u8> {
    key(&[b"commits/", &netuid.to_be_bytes(), hotkey.as_bytes()])
}
/// Key of a [`HotkeyPool`].
pub fn pool_key(netuid: NetUid, hotkey: &AccountId) -> Vec<u8> {
    key(&[b"hkpool/", &netuid.to_be_bytes(), hotkey.as_bytes()])
}
/// Key of a position's shares.
pub fn position_key(netuid: NetUid, hotkey: &AccountId, coldkey: &AccountId) -> Vec<u8> {
    key(&[
        b"pos/",
        &netuid.to_be_bytes(),
        hotkey.as_bytes(),
        coldkey.as_bytes(),
    ])
}
/// Key of a coldkey's position index: set of `(netuid, hotkey)`.
pub fn coldkey_index_key(coldkey: &AccountId) -> Vec<u8> {
    key(&[b"ckidx/", coldkey.as_bytes()])
}
/// Key of a subnet's staker index: set of `(hotkey, coldkey)`.
pub fn stakers_key(netuid: NetUid) -> Vec<u8> {
    key(&[b"stakers/", &netuid.to_be_bytes()])
}
/// Key of a hotkey's delegate take.
pub fn take_key(hotkey: &AccountId) -> Vec<u8> {
    key(&[b"take/", hotkey.as_bytes()])
}

// --- typed access ------------------------------------------------------------------------

/// Reads a value or its default.
pub fn get_or_default<T: BorshDeserialize + Default>(
    s: &(impl StateRead + ?Sized),
    k: &[u8],
) -> Result<T, StateError> {
    Ok(typed::get(s, k)?.unwrap_or_default())
}

/// Reads a value.
pub fn get<T: BorshDeserialize>(
    s: &(impl StateRead + ?Sized),
    k: &[u8],
) -> Result<Option<T>, StateError> {
    typed::get(s, k)
}

/// Writes a value.
pub fn put<R: StateRead + ?Sized, T: BorshSerialize>(s: &mut Overlay<'_, R>, k: Vec<u8>, v: &T) {
    typed::put(s, k, v)
}

/// Writes a value, or deletes the key when it equals the default.
pub fn put_or_delete<R: StateRead + ?Sized, T: BorshSerialize + Default + PartialEq>(
    s: &mut Overlay<'_, R>,
    k: Vec<u8>,
    v: &T,
) {
    if *v == T::default() {
        s.delete(k);
    } else {
        typed::put(s, k, v)
    }
}
