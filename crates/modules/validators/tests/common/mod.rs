//! An in-memory chain for validator-set tests: state is a `BTreeMap`, calls run in their own
//! overlay (kept only on success, like the executor), `end_block` runs the per-block hook, and
//! a test verifier accepts evidence of the form `"EQ" ‖ offender ‖ epoch ‖ view`.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::collections::BTreeSet;
use synod_bank as bank;
use synod_primitives::{AccountId, Balance, Keypair};
use synod_runtime::{Event, TxFailure};
use synod_storage::delta::Overlay;

use synod_validators::ValidatorCall;
use synod_validators::{Ctx, EquivocationVerifier, Offence, module_account, state};
use synod_validators::{GenesisValidator, StakingParams, ValidatorFailure};

/// A call's outcome in the chain's terms (what its receipt would record).
pub type CallError = synod_module::CallError<TxFailure>;
/// See [`CallError`].
pub type CallResult = Result<Vec<Event>, CallError>;

pub type Mem = synod_storage::MemState;

/// Evidence the test verifier accepts.
pub fn evidence(offender: &AccountId, epoch: u64, view: u64) -> Vec<u8> {
    let mut e = b"EQ".to_vec();
    e.extend_from_slice(offender.as_bytes());
    e.extend_from_slice(&epoch.to_be_bytes());
    e.extend_from_slice(&view.to_be_bytes());
    e
}

/// Accepts [`evidence`] whose offender is in the claimed epoch's stored set (as a real verifier
/// checks signatures under that set's keys).
pub struct TestVerifier;

impl EquivocationVerifier for TestVerifier {
    fn verify(
        &self,
        evidence: &[u8],
        set_for_epoch: &dyn Fn(u64) -> Option<Vec<AccountId>>,
    ) -> Result<Offence, String> {
        if evidence.len() != 2 + 32 + 16 || &evidence[..2] != b"EQ" {
            return Err("malformed evidence".into());
        }
        let mut offender = [0u8; 32];
        offender.copy_from_slice(&evidence[2..34]);
        let mut n = [0u8; 8];
        n.copy_from_slice(&evidence[34..42]);
        let epoch = u64::from_be_bytes(n);
        n.copy_from_slice(&evidence[42..50]);
        let view = u64::from_be_bytes(n);
        let offender = AccountId(offender);
        match set_for_epoch(epoch) {
            Some(set) if set.contains(&offender) => Ok(Offence {
                offender,
                epoch,
                view,
            }),
            Some(_) => Err(format!("signer is not in the set of epoch {epoch}")),
            None => Err(format!("no set for epoch {epoch}")),
        }
    }
}

pub fn key(name: &str) -> AccountId {
    Keypair::dev(name).account()
}

pub struct Sim {
    pub mem: Mem,
    /// Height of the block being executed.
    pub height: u64,
    pub params: StakingParams,
    pub with_verifier: bool,
    pub accounts: BTreeSet<AccountId>,
}

impl Sim {
    /// Genesis with `validators` (name, stake), then block 1 is open.
    pub fn new(params: StakingParams, validators: &[(&str, Balance)]) -> Self {
        let mut sim = Sim {
            mem: Mem::default(),
            height: 1,
            params,
            with_verifier: true,
            accounts: BTreeSet::new(),
        };
        let gv: Vec<GenesisValidator> = validators
            .iter()
            .map(|(n, stake)| GenesisValidator {
                account: key(n),
                stake: *stake,
            })
            .collect();
        let mut ov = Overlay::new(&sim.mem);
        let credited = synod_validators::genesis(&mut ov, &gv, &params).expect("genesis");
        bank::set_issuance(&mut ov, credited);
        let c = ov.into_changes();
        sim.mem.apply(c);
        for v in &gv {
            sim.accounts.insert(v.account);
        }
        sim
    }

    /// Funds `who` with `amount` (minted: issuance follows).
    pub fn fund(&mut self, who: AccountId, amount: Balance) {
        self.with(|ov| {
            bank::mint(ov, &who, amount)
                .map(|_| Vec::new())
                .map_err(CallError::from)
        })
        .expect("mint");
        self.accounts.insert(who);
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

    pub fn call(&mut self, sender: AccountId, call: ValidatorCall) -> CallResult {
        self.accounts.insert(sender);
        let params = self.params;
        let height = self.height;
        let verifier = TestVerifier;
        let with_verifier = self.with_verifier;
        self.with(|ov| {
            synod_validators::dispatch(
                ov,
                &Ctx {
                    height,
                    params: &params,
                    verifier: if with_verifier { Some(&verifier) } else { None },
                },
                &sender,
                &call,
            )
            .map(|events| events.into_iter().map(Event::Validator).collect())
            .map_err(synod_module::CallError::widen)
        })
    }

    pub fn ok(&mut self, sender: AccountId, call: ValidatorCall) -> Vec<Event> {
        match self.call(sender, call.clone()) {
            Ok(ev) => ev,
            Err(e) => panic!("{call:?} failed at block {}: {e}", self.height),
        }
    }

    /// The failure of a call that must fail; also checks it left no trace.
    pub fn fails(&mut self, sender: AccountId, call: ValidatorCall) -> TxFailure {
        let before = self.mem.clone();
        let r = self.call(sender, call);
        assert_eq!(self.mem, before, "a failed call changed state");
        match r {
            Err(CallError::Failed(f)) => f,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    /// The validator failure of a call that must fail.
    pub fn vfails(&mut self, sender: AccountId, call: ValidatorCall) -> ValidatorFailure {
        match self.fails(sender, call) {
            TxFailure::Validator(f) => f,
            other => panic!("expected a validator failure, got {other:?}"),
        }
    }

    /// Ends the current block (per-block hook) and opens the next; returns the hook's events.
    pub fn end_block(&mut self) -> Vec<Event> {
        let mut ov = Overlay::new(&self.mem);
        let events =
            synod_validators::on_block_end(&mut ov, self.height, &self.params).expect("hook");
        let c = ov.into_changes();
        self.mem.apply(c);
        self.height += 1;
        events.into_iter().map(Event::Validator).collect()
    }

    /// Ends blocks until `height` is the open block; returns every hook event on the way.
    pub fn advance_to(&mut self, height: u64) -> Vec<Event> {
        let mut all = Vec::new();
        while self.height < height {
            all.extend(self.end_block());
        }
        all
    }

    /// Opens the first block of `epoch`.
    pub fn advance_to_epoch(&mut self, epoch: u64) -> Vec<Event> {
        self.advance_to(self.params.first_height_of(epoch))
    }

    pub fn balance(&self, who: &AccountId) -> Balance {
        bank::account(&self.mem, who).expect("read").balance
    }

    pub fn issuance(&self) -> Balance {
        bank::issuance(&self.mem).expect("read")
    }

    pub fn record(&self, who: &AccountId) -> Option<state::ValidatorRecord> {
        state::record(&self.mem, who).expect("read")
    }

    pub fn bonded(&self, who: &AccountId) -> Balance {
        self.record(who).map(|r| r.bonded).unwrap_or(0)
    }

    pub fn set(&self, epoch: u64) -> Option<Vec<(AccountId, Balance)>> {
        state::set_for_epoch(&self.mem, epoch).expect("read")
    }

    pub fn set_accounts(&self, epoch: u64) -> Vec<AccountId> {
        self.set(epoch)
            .expect("set stored")
            .into_iter()
            .map(|(a, _)| a)
            .collect()
    }

    pub fn current_epoch(&self) -> u64 {
        state::current_epoch(&self.mem).expect("read")
    }

    /// Supply and bookkeeping invariants: issuance = free balances + bonded + unbonding; the
    /// module account holds exactly bonded + unbonding; the totals equal the records' sums; the
    /// candidate set lists exactly the records holding stake.
    pub fn check_invariants(&self) {
        let t = state::totals(&self.mem).expect("totals");
        let mut free: u128 = 0;
        for a in &self.accounts {
            assert_ne!(*a, module_account());
            free += u128::from(self.balance(a));
        }
        let module = self.balance(&module_account());
        assert_eq!(
            u128::from(self.issuance()),
            free + u128::from(t.bonded) + u128::from(t.unbonding),
            "issuance = balances + bonded + unbonding"
        );
        assert_eq!(
            u128::from(module),
            u128::from(t.bonded) + u128::from(t.unbonding),
            "module custody"
        );
        let cands = state::candidates(&self.mem).expect("candidates");
        let (mut bonded, mut unbonding) = (0u128, 0u128);
        for a in &self.accounts {
            if let Some(r) = self.record(a) {
                bonded += u128::from(r.bonded);
                unbonding += u128::from(r.unbonding_total());
                assert_eq!(cands.contains(a), r.holds_stake(), "candidate set of {a}");
            } else {
                assert!(!cands.contains(a));
            }
        }
        assert_eq!(bonded, u128::from(t.bonded), "bonded total");
        assert_eq!(unbonding, u128::from(t.unbonding), "unbonding total");
    }
}
