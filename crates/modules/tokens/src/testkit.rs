//! An in-memory chain for the unit tests: state is a `BTreeMap`, every call runs in its own
//! overlay, kept on success like the executor does and checked to hold no write on failure.

use crate::query::PrefixScan;
use crate::{TokenCall, TokenEvent, TokenFailure, TokenId, Tokens, TokensGenesis};
use std::collections::BTreeMap;
use synod_module::{BlockCtx, CallError, Module};
use synod_primitives::{AccountId, Keypair};
use synod_storage::delta::Overlay;
use synod_storage::typed::StateError;
use synod_storage::{ChangeSet, StateRead};

#[derive(Default, Clone, PartialEq, Eq, Debug)]
pub(crate) struct Mem(pub(crate) BTreeMap<Vec<u8>, Vec<u8>>);

impl StateRead for Mem {
    fn get(&self, key: &[u8]) -> synod_storage::Result<Option<Vec<u8>>> {
        Ok(self.0.get(key).cloned())
    }
}

impl PrefixScan for Mem {
    fn scan(&self, prefix: &[u8], limit: usize) -> Result<crate::query::Entries, StateError> {
        Ok(self
            .0
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

impl Mem {
    pub(crate) fn apply(&mut self, changes: ChangeSet) {
        for (k, v) in changes {
            match v {
                Some(v) => {
                    self.0.insert(k, v);
                }
                None => {
                    self.0.remove(&k);
                }
            }
        }
    }
}

pub(crate) fn key(name: &str) -> AccountId {
    Keypair::dev(name).account()
}

pub(crate) struct Chain {
    pub(crate) mem: Mem,
    pub(crate) height: u64,
    pub(crate) module: Tokens,
}

impl Chain {
    pub(crate) fn new() -> Self {
        Chain {
            mem: Mem::default(),
            height: 1,
            module: Tokens::new(TokensGenesis::dev()),
        }
    }

    pub(crate) fn timelock(&self) -> u64 {
        self.module.genesis().admin_timelock_blocks
    }

    /// Runs `call` as `sender` in the current block. A failure must leave no write.
    pub(crate) fn call(
        &mut self,
        sender: AccountId,
        call: &TokenCall,
    ) -> Result<Vec<TokenEvent>, CallError<TokenFailure>> {
        let mut ov = Overlay::new(&self.mem);
        let ctx = BlockCtx {
            height: self.height,
            chain_id: "test",
            parent: synod_primitives::Hash::ZERO,
        };
        let r = self.module.dispatch(&mut ov, &ctx, &sender, call);
        let changes = ov.into_changes();
        match &r {
            Ok(_) => self.mem.apply(changes),
            Err(e) => assert!(
                changes.is_empty(),
                "failed call {call:?} ({e:?}) left writes: {changes:?}"
            ),
        }
        r
    }

    /// Runs a ledger API function on an overlay, kept on success; a failure must leave no
    /// write.
    pub(crate) fn api<T: std::fmt::Debug>(
        &mut self,
        f: impl FnOnce(&mut Overlay<'_, Mem>) -> Result<T, CallError<TokenFailure>>,
    ) -> Result<T, CallError<TokenFailure>> {
        let mut ov = Overlay::new(&self.mem);
        let r = f(&mut ov);
        let changes = ov.into_changes();
        match &r {
            Ok(_) => self.mem.apply(changes),
            Err(e) => assert!(changes.is_empty(), "failed ({e:?}) but wrote {changes:?}"),
        }
        r
    }

    /// The failure of an API function that must fail.
    pub(crate) fn api_fails<T: std::fmt::Debug>(
        &mut self,
        f: impl FnOnce(&mut Overlay<'_, Mem>) -> Result<T, CallError<TokenFailure>>,
    ) -> TokenFailure {
        let before = self.mem.clone();
        let f = match self.api(f) {
            Err(CallError::Failed(f)) => f,
            other => panic!("expected a failure, got {other:?}"),
        };
        assert_eq!(self.mem, before, "state changed by a failed call");
        f
    }

    pub(crate) fn ok(&mut self, sender: AccountId, call: TokenCall) -> Vec<TokenEvent> {
        match self.call(sender, &call) {
            Ok(ev) => ev,
            Err(e) => panic!("{call:?} failed at block {}: {e:?}", self.height),
        }
    }

    /// The failure of a call that must fail; state must be exactly as before.
    pub(crate) fn fails(&mut self, sender: AccountId, call: TokenCall) -> TokenFailure {
        let before = self.mem.clone();
        let f = match self.call(sender, &call) {
            Err(CallError::Failed(f)) => f,
            other => panic!("expected {call:?} to fail, got {other:?}"),
        };
        assert_eq!(self.mem, before, "state changed by a failed call");
        f
    }

    pub(crate) fn advance(&mut self, blocks: u64) {
        self.height += blocks;
    }

    /// Creates a token `symbol` by `creator`, who holds both roles; returns its id.
    pub(crate) fn token(
        &mut self,
        creator: AccountId,
        symbol: &str,
        max: u128,
        initial: u128,
    ) -> TokenId {
        let events = self.ok(
            creator,
            TokenCall::Create {
                symbol: symbol.into(),
                name: format!("{symbol} token"),
                decimals: 9,
                max_supply: max,
                initial_supply: initial,
                emission: None,
                mint_authority: creator,
                admin: creator,
            },
        );
        match events.first() {
            Some(TokenEvent::TokenCreated { token, .. }) => *token,
            other => panic!("no TokenCreated: {other:?}"),
        }
    }

    pub(crate) fn free(&self, token: TokenId, who: &AccountId) -> u128 {
        crate::balance_of(&self.mem, token, who).expect("read")
    }

    pub(crate) fn record(&self, token: TokenId) -> crate::state::TokenRecord {
        crate::state::token(&self.mem, token)
            .expect("read")
            .expect("exists")
    }
}
