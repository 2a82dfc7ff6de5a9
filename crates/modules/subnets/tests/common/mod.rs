//! An in-memory chain for subnet tests: state is a `BTreeMap`, calls run in their own overlay
//! (kept only on success, like the executor), and `step` runs the per-block hook.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::BTreeSet;
use synod_bank as bank;
use synod_primitives::{AccountId, Keypair};
use synod_runtime::{Event, TxFailure};
use synod_storage::delta::Overlay;

use synod_subnets::coinbase::BlockReport;
use synod_subnets::state::{self, Globals, HotkeyPool, SubnetState};
use synod_subnets::{Ctx, Params};
use synod_subnets::{NetUid, SubnetCall};

/// A call's outcome in the chain's terms (what its receipt would record).
pub type CallError = synod_module::CallError<TxFailure>;
/// See [`CallError`].
pub type CallResult = Result<Vec<Event>, CallError>;

pub type Mem = synod_storage::MemState;

pub struct Sim {
    pub mem: Mem,
    pub height: u64,
    pub params: Params,
    pub accounts: BTreeSet<AccountId>,
}

/// The chain id the simulated chain runs under (bound into hotkey proofs).
pub const CHAIN_ID: &str = "synod-test";

pub fn key(name: &str) -> AccountId {
    Keypair::dev(name).account()
}

impl Sim {
    pub fn new(params: Params) -> Self {
        let mut sim = Sim {
            mem: Mem::default(),
            height: 1,
            params,
            accounts: BTreeSet::new(),
        };
        sim.accounts.insert(synod_subnets::module_account());
        sim
    }

    /// Funds `name` with `amount` (minted: issuance follows).
    pub fn fund(&mut self, who: AccountId, amount: u64) {
        self.with(|ov| {
            bank::mint(ov, &who, amount)
                .map(|_| Vec::new())
                .map_err(CallError::from)
        })
        .expect("mint");
        self.accounts.insert(who);
    }

    /// Binds `hotkey` to `coldkey` directly (the signature check is the bank's business).
    pub fn bind(&mut self, coldkey: AccountId, hotkey: AccountId) {
        let mut ov = Overlay::new(&self.mem);
        synod_storage::typed::put(&mut ov, bank::hotkey_key(&hotkey), &coldkey);
        let c = ov.into_changes();
        self.mem.apply(c);
        self.accounts.insert(coldkey);
        self.accounts.insert(hotkey);
    }

    pub fn with(&mut self, f: impl FnOnce(&mut Overlay<'_, Mem>) -> CallResult) -> CallResult {
        let mut ov = Overlay::new(&self.mem);
        let r = f(&mut ov);
        if r.is_ok() {
            let c = ov.into_changes();
            self.mem.apply(c);
        }
        r
    }

    /// Executes a call as `sender` in the current block.
    pub fn call(&mut self, sender: AccountId, call: SubnetCall) -> CallResult {
        self.accounts.insert(sender);
        let params = self.params.clone();
        let height = self.height;
        self.with(|ov| {
            synod_subnets::dispatch(
                ov,
                &Ctx {
                    height,
                    chain_id: CHAIN_ID,
                    params: &params,
                },
                &sender,
                &call,
            )
            .map(|events| events.into_iter().map(Event::Subnet).collect())
            .map_err(synod_module::CallError::widen)
        })
    }

    /// Like `call` but panics on failure.
    pub fn ok(&mut self, sender: AccountId, call: SubnetCall) -> Vec<Event> {
        match self.call(sender, call.clone()) {
            Ok(ev) => ev,
            Err(e) => panic!("{call:?} failed at block {}: {e}", self.height),
        }
    }

    /// The subnet failure of a call that must fail.
    pub fn fails(&mut self, sender: AccountId, call: SubnetCall) -> synod_subnets::SubnetFailure {
        match self.call(sender, call) {
            Err(CallError::Failed(synod_runtime::TxFailure::Subnet(f))) => f,
            other => panic!("expected a subnet failure, got {other:?}"),
        }
    }

    /// Ends the current block (per-block hook) and moves to the next.
    pub fn step(&mut self) -> BlockReport {
        let mut ov = Overlay::new(&self.mem);
        let r = synod_subnets::on_block_end(&mut ov, self.height, &self.params).expect("hook");
        let c = ov.into_changes();
        self.mem.apply(c);
        self.height += 1;
        r
    }

    pub fn steps(&mut self, n: u64) -> Vec<BlockReport> {
        (0..n).map(|_| self.step()).collect()
    }

    pub fn balance(&self, who: &AccountId) -> u64 {
        bank::account(&self.mem, who).expect("acct").balance
    }

    pub fn issuance(&self) -> u64 {
        bank::issuance(&self.mem).expect("issuance")
    }

    pub fn state(&self, netuid: NetUid) -> SubnetState {
        state::get_or_default(&self.mem, &state::state_key(netuid)).expect("state")
    }

    pub fn globals(&self) -> Globals {
        state::get_or_default(&self.mem, &state::globals_key()).expect("globals")
    }

    pub fn stake(&self, netuid: NetUid, hotkey: &AccountId, coldkey: &AccountId) -> u64 {
        synod_subnets::stake_of(&self.mem, netuid, hotkey, coldkey).expect("stake")
    }

    pub fn metagraph(&self, netuid: NetUid) -> synod_subnets::query::Metagraph {
        synod_subnets::query::metagraph(&self.mem, netuid, self.height, &self.params)
            .expect("read")
            .expect("exists")
    }

    /// Checks every accounting invariant; panics with a description on the first failure.
    pub fn check_invariants(&self) {
        // Issuance is the sum of all balances.
        let total: u128 = self
            .accounts
            .iter()
            .map(|a| u128::from(self.balance(a)))
            .sum();
        assert_eq!(
            total,
            u128::from(self.issuance()),
            "issuance != sum of balances"
        );
        // The module account holds exactly the pools, pending root SYN and root stake.
        let g = self.globals();
        let mut custody: u128 = u128::from(g.root_stake);
        let mut root_pools: u128 = 0;
        for (netuid, hotkey) in self.all_pools() {
            let p: HotkeyPool =
                state::get_or_default(&self.mem, &state::pool_key(netuid, &hotkey)).expect("pool");
            assert!(p.shares <= p.alpha, "share value below 1");
            if netuid == 0 {
                root_pools += u128::from(p.alpha);
            }
        }
        assert_eq!(
            root_pools,
            u128::from(g.root_stake),
            "root stake != root pools"
        );
        for &netuid in &g.netuids {
            let st = self.state(netuid);
            custody += u128::from(st.tao_reserve) + u128::from(st.pending_root_tao);
            assert!(st.tao_reserve >= self.params.min_pool_reserve.min(st.tao_reserve));
            // Alpha outstanding = staked + pending.
            let staked: u128 = self
                .all_pools()
                .into_iter()
                .filter(|(n, _)| *n == netuid)
                .map(|(n, h)| {
                    let p: HotkeyPool =
                        state::get_or_default(&self.mem, &state::pool_key(n, &h)).expect("pool");
                    u128::from(p.alpha)
                })
                .sum();
            let pending = u128::from(st.pending_server)
                + u128::from(st.pending_validator)
                + u128::from(st.pending_owner);
            assert_eq!(
                u128::from(st.alpha_outstanding),
                staked + pending,
                "alpha outstanding != staked + pending on {netuid}"
            );
            // Permits never exceed the maximum (+ the owner).
            let m = self.metagraph(netuid);
            let permits = m.validator_permit.iter().filter(|p| **p).count();
            assert!(permits <= usize::from(m.hyperparams.max_allowed_validators) + 1);
        }
        assert_eq!(
            custody,
            u128::from(self.balance(&synod_subnets::module_account())),
            "module custody mismatch"
        );
    }

    /// Every (netuid, hotkey) that has a stake pool, from the staker indexes.
    pub fn all_pools(&self) -> BTreeSet<(NetUid, AccountId)> {
        let mut out = BTreeSet::new();
        let mut netuids: Vec<NetUid> = self.globals().netuids.into_iter().collect();
        netuids.push(0);
        for netuid in netuids {
            let stakers: BTreeSet<(AccountId, AccountId)> =
                state::get_or_default(&self.mem, &state::stakers_key(netuid)).expect("stakers");
            for (h, _) in stakers {
                out.insert((netuid, h));
            }
        }
        out
    }
}
