//! Unit tests on an in-memory state: registration rules, settlement with asset shares,
//! idempotency, every refusal of an item (which changes nothing), sessions' rules on what
//! their keys sign, the least record, and forgetting nonces when their window closes.

use std::collections::BTreeSet;

use crate::wire::{AssetUse, MinReputation, VaultShare};
use crate::*;
use synod_agents::{AgentCall, Agents, agent_binding_message};
use synod_agents_rules::{Intent, SessionScope};
use synod_assets::{AssetCall, AssetKind, Assets};
use synod_primitives::Keypair;

type Mem = synod_storage::MemState;
const CHAIN: &str = "test";

struct Chain {
    mem: Mem,
    height: u64,
    payments: Payments,
}

fn ctx(height: u64) -> BlockCtx<'static> {
    BlockCtx {
        height,
        chain_id: CHAIN,
        parent: Hash::ZERO,
    }
}

impl Chain {
    fn new() -> Self {
        Chain {
            mem: Mem::default(),
            height: 1,
            payments: Payments::new(CHAIN.into(), AssetsGenesis::default()),
        }
    }

    fn fund(&mut self, who: &AccountId, amount: u64) {
        let mut ov = Overlay::new(&self.mem);
        let mut a = synod_bank::account(&ov, who).expect("read");
        a.balance += amount;
        synod_bank::set_account(&mut ov, who, a);
        let ch = ov.into_changes();
        self.mem.apply(ch);
    }

    fn balance(&self, who: &AccountId) -> u64 {
        synod_bank::account(&self.mem, who).expect("read").balance
    }

    fn call(
        &mut self,
        sender: &Keypair,
        call: PaymentCall,
    ) -> Result<Vec<PaymentEvent>, PaymentFailure> {
        let mut ov = Overlay::new(&self.mem);
        let r = self
            .payments
            .dispatch(&mut ov, &ctx(self.height), &sender.account(), &call);
        let ch = ov.into_changes();
        match r {
            Ok(ev) => {
                self.mem.apply(ch);
                Ok(ev)
            }
            Err(CallError::Failed(f)) => Err(f),
            Err(CallError::State(e)) => panic!("{e}"),
        }
    }

    fn agents(&mut self, sender: &Keypair, call: AgentCall) {
        let mut ov = Overlay::new(&self.mem);
        Agents
            .dispatch(&mut ov, &ctx(self.height), &sender.account(), &call)
            .unwrap_or_else(|e| panic!("agents call failed: {e:?}"));
        let ch = ov.into_changes();
        self.mem.apply(ch);
    }

    fn asset(&mut self, owner: &Keypair, name: &str) -> u64 {
        let mut ov = Overlay::new(&self.mem);
        let ev = Assets::new(AssetsGenesis::default())
            .dispatch(
                &mut ov,
                &ctx(self.height),
                &owner.account(),
                &AssetCall::Register {
                    kind: AssetKind::Model,
                    name: name.into(),
                    metadata_uri: String::new(),
                    metadata_hash: Hash::ZERO,
                    content_hash: Hash([1; 32]),
                },
            )
            .unwrap_or_else(|e| panic!("asset: {e:?}"));
        let ch = ov.into_changes();
        self.mem.apply(ch);
        match &ev[0] {
            synod_assets::AssetEvent::Registered { asset, .. } => *asset,
            other => panic!("unexpected {other:?}"),
        }
    }

    fn end_block(&mut self) {
        let mut ov = Overlay::new(&self.mem);
        self.payments
            .end_block(&mut ov, &ctx(self.height))
            .expect("end block");
        let ch = ov.into_changes();
        self.mem.apply(ch);
        self.height += 1;
    }
}

fn spec(payee: &Keypair, uses: Vec<AssetUse>) -> ServiceSpec {
    ServiceSpec {
        name: "llm.example".into(),
        url: "http://127.0.0.1:8080".into(),
        payee: payee.account(),
        endpoints: vec![
            Endpoint {
                method: "POST".into(),
                path: "/v1/complete".into(),
                price: 1_000,
                asset: Asset::Native,
                pricing: Pricing::Upto,
            },
            Endpoint {
                method: "GET".into(),
                path: "/v1/models".into(),
                price: 10,
                asset: Asset::Native,
                pricing: Pricing::Exact,
            },
        ],
        uses,
        min_reputation: None,
    }
}

fn auth(
    payer: &Keypair,
    signer: &Keypair,
    payee: &Keypair,
    max: u128,
    nonce: u8,
) -> SignedAuthorization {
    auth_from(payer, signer, payee, max, nonce, 1)
}

/// An authorization valid for 49 blocks from `after`.
fn auth_from(
    payer: &Keypair,
    signer: &Keypair,
    payee: &Keypair,
    max: u128,
    nonce: u8,
    after: u64,
) -> SignedAuthorization {
    Authorization {
        payer: payer.account(),
        signer: signer.account(),
        service: 0,
        payee: payee.account(),
        asset: Asset::Native,
        max_amount: max,
        valid_after: after,
        valid_before: after + 49,
        nonce: Hash([nonce; 32]),
        request_hash: request_hash("POST", "/v1/complete", b"{}"),
    }
    .sign(signer, CHAIN)
}

fn settle(items: Vec<(SignedAuthorization, u128)>) -> PaymentCall {
    PaymentCall::Settle {
        service: 0,
        work_bound: 64,
        items: items
            .into_iter()
            .map(|(authorization, amount)| SettleItem {
                authorization,
                amount,
            })
            .collect(),
    }
}

fn refused(ev: &PaymentEvent) -> &PaymentFailure {
    match ev {
        PaymentEvent::SettlementRefused { failure, .. } => failure,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn registration_rules() {
    let (owner, payee, other) = (
        Keypair::dev("owner"),
        Keypair::dev("payee"),
        Keypair::dev("x"),
    );
    let mut c = Chain::new();
    let bad = |f: &dyn Fn(&mut ServiceSpec)| {
        let mut s = spec(&payee, vec![]);
        f(&mut s);
        s
    };
    let cases: Vec<ServiceSpec> = vec![
        bad(&|s| s.name = "Upper".into()),
        bad(&|s| s.endpoints.clear()),
        bad(&|s| s.endpoints[0].method = "TRACE".into()),
        bad(&|s| s.endpoints[0].path = "no-slash".into()),
        bad(&|s| s.endpoints[0].path = "/a?b=1".into()),
        bad(&|s| s.endpoints[0].price = 0),
        bad(&|s| s.endpoints[1] = s.endpoints[0].clone()),
        bad(&|s| {
            s.uses = vec![AssetUse {
                asset: 7,
                share_bps: 100,
            }]
        }),
    ];
    for (n, s) in cases.into_iter().enumerate() {
        assert!(
            matches!(
                c.call(&owner, PaymentCall::RegisterService { spec: s }),
                Err(PaymentFailure::InvalidService { .. })
            ),
            "case {n}"
        );
    }
    let a = c.asset(&other, "m1");
    let b = c.asset(&other, "m2");
    let over = spec(
        &payee,
        vec![
            AssetUse {
                asset: a,
                share_bps: 6_000,
            },
            AssetUse {
                asset: b,
                share_bps: 5_000,
            },
        ],
    );
    assert!(matches!(
        c.call(&owner, PaymentCall::RegisterService { spec: over }),
        Err(PaymentFailure::InvalidService { .. })
    ));
    c.call(
        &owner,
        PaymentCall::RegisterService {
            spec: spec(&payee, vec![]),
        },
    )
    .expect("registered");
    assert_eq!(
        c.call(
            &other,
            PaymentCall::RegisterService {
                spec: spec(&payee, vec![])
            }
        ),
        Err(PaymentFailure::NameTaken {
            name: "llm.example".into()
        })
    );
    assert_eq!(
        c.call(
            &other,
            PaymentCall::UpdateService {
                service: 0,
                spec: spec(&other, vec![])
            }
        ),
        Err(PaymentFailure::NotServiceOwner)
    );
    let mut renamed = spec(&payee, vec![]);
    renamed.name = "llm2".into();
    c.call(
        &owner,
        PaymentCall::UpdateService {
            service: 0,
            spec: renamed,
        },
    )
    .expect("updated");
    assert_eq!(service_by_name(&c.mem, "llm2").expect("read"), Some(0));
    assert_eq!(service_by_name(&c.mem, "llm.example").expect("read"), None);
}

/// A batch settles each item on its own; the asset shares go to the vaults (and the receipt
/// names them), the rest to the payee; resending the batch changes nothing; every refusal
/// leaves the payer's balance as it was.
#[test]
fn settlement_pays_payee_and_vaults_exactly_and_is_idempotent() {
    let (owner, payee, payer, modeler) = (
        Keypair::dev("owner"),
        Keypair::dev("payee"),
        Keypair::dev("payer"),
        Keypair::dev("modeler"),
    );
    let mut c = Chain::new();
    let model = c.asset(&modeler, "model");
    c.call(
        &owner,
        PaymentCall::RegisterService {
            spec: spec(
                &payee,
                vec![AssetUse {
                    asset: model,
                    share_bps: 2_500,
                }],
            ),
        },
    )
    .expect("registered");
    c.fund(&payer.account(), 10_000);
    let batch = vec![
        (auth(&payer, &payer, &payee, 1_000, 1), 1_000),
        (auth(&payer, &payer, &payee, 1_000, 2), 401),
        // the same nonce again inside the batch
        (auth(&payer, &payer, &payee, 1_000, 1), 1_000),
        // above its maximum
        (auth(&payer, &payer, &payee, 100, 3), 101),
        // another payee
        (auth(&payer, &payer, &owner, 100, 4), 10),
    ];
    // Only the owner or payee settles.
    assert_eq!(
        c.call(&payer, settle(batch.clone())),
        Err(PaymentFailure::NotServiceOwner)
    );
    let ev = c.call(&owner, settle(batch.clone())).expect("settled");
    assert_eq!(ev.len(), 5);
    let PaymentEvent::Settled { receipt } = &ev[0] else {
        panic!("{:?}", ev[0]);
    };
    assert_eq!(receipt.amount, 1_000);
    assert_eq!(receipt.to_payee, 750);
    assert_eq!(
        receipt.vaults,
        vec![VaultShare {
            asset: model,
            amount: 250
        }]
    );
    let PaymentEvent::Settled { receipt } = &ev[1] else {
        panic!("{:?}", ev[1]);
    };
    // 25 % of 401 rounds down to 100; the payee gets the rest.
    assert_eq!((receipt.to_payee, receipt.vaults[0].amount), (301, 100));
    assert!(matches!(ev[2], PaymentEvent::AlreadySettled { .. }));
    assert!(matches!(
        refused(&ev[3]),
        PaymentFailure::AboveMaximum { .. }
    ));
    assert!(matches!(
        refused(&ev[4]),
        PaymentFailure::PayeeMismatch { .. }
    ));
    assert_eq!(c.balance(&payer.account()), 10_000 - 1_401);
    assert_eq!(c.balance(&payee.account()), 1_051);
    assert_eq!(
        c.balance(&synod_assets::vault_account(model)),
        350,
        "the model's vault"
    );
    assert_eq!(service(&c.mem, 0).expect("read").expect("svc").settled, 2);
    // The whole batch again: nothing moves.
    let before = c.mem.clone();
    let ev = c.call(&owner, settle(batch)).expect("resent");
    assert!(matches!(ev[0], PaymentEvent::AlreadySettled { .. }));
    assert!(matches!(ev[1], PaymentEvent::AlreadySettled { .. }));
    assert_eq!(c.mem, before);
}

#[test]
fn every_bad_authorization_is_refused_and_changes_nothing() {
    let (owner, payee, payer, thief) = (
        Keypair::dev("owner"),
        Keypair::dev("payee"),
        Keypair::dev("payer"),
        Keypair::dev("thief"),
    );
    let mut c = Chain::new();
    c.call(
        &owner,
        PaymentCall::RegisterService {
            spec: spec(&payee, vec![]),
        },
    )
    .expect("registered");
    c.fund(&payer.account(), 500);
    let base = || Authorization {
        payer: payer.account(),
        signer: payer.account(),
        service: 0,
        payee: payee.account(),
        asset: Asset::Native,
        max_amount: 100,
        valid_after: 1,
        valid_before: 50,
        nonce: Hash([9; 32]),
        request_hash: Hash([3; 32]),
    };
    let cases: Vec<(SignedAuthorization, u128, &str)> = vec![
        (
            Authorization {
                valid_after: 5,
                ..base()
            }
            .sign(&payer, CHAIN),
            10,
            "not_yet_valid",
        ),
        (
            Authorization {
                valid_before: 1,
                valid_after: 0,
                ..base()
            }
            .sign(&payer, CHAIN),
            10,
            "authorization_expired",
        ),
        (
            Authorization {
                valid_before: 1 + wire::MAX_AUTH_WINDOW + 1,
                ..base()
            }
            .sign(&payer, CHAIN),
            10,
            "bad_window",
        ),
        (base().sign(&payer, "other-chain"), 10, "bad_signature"),
        (base().sign(&thief, CHAIN), 10, "bad_signature"),
        (
            Authorization {
                signer: thief.account(),
                ..base()
            }
            .sign(&thief, CHAIN),
            10,
            "signer_not_authorized",
        ),
        (
            Authorization {
                asset: Asset::Token(3),
                ..base()
            }
            .sign(&payer, CHAIN),
            10,
            "asset_not_accepted",
        ),
        (
            Authorization {
                service: 4,
                ..base()
            }
            .sign(&payer, CHAIN),
            10,
            "wrong_service",
        ),
        (base().sign(&payer, CHAIN), 0, "zero_amount"),
        (
            Authorization {
                max_amount: 1_000,
                ..base()
            }
            .sign(&payer, CHAIN),
            600,
            "insufficient_funds",
        ),
    ];
    for (signed, amount, kind) in cases {
        let before = c.mem.clone();
        let ev = c
            .call(&owner, settle(vec![(signed, amount)]))
            .expect("the batch itself is well formed");
        assert_eq!(refused(&ev[0]).kind(), kind);
        assert_eq!(c.mem, before, "{kind} changed state");
    }
    assert_eq!(
        c.call(
            &owner,
            PaymentCall::Settle {
                service: 9,
                work_bound: 1,
                items: vec![]
            }
        ),
        Err(PaymentFailure::UnknownService { service: 9 })
    );
    assert_eq!(
        c.call(
            &owner,
            PaymentCall::Settle {
                service: 0,
                work_bound: 1,
                items: vec![]
            }
        ),
        Err(PaymentFailure::BadBatch {
            max: wire::MAX_SETTLE_ITEMS as u32
        })
    );
}

/// What a session key signs is charged to its user within the session's rules: the period cap
/// refuses with the session rule's own kind, a revoked session is refused at once, and the
/// service's least record counts the agent's settled payments.
#[test]
fn sessions_sign_within_their_rules_and_records_gate_services() {
    let (owner, payee, user, agent, session) = (
        Keypair::dev("owner"),
        Keypair::dev("payee"),
        Keypair::dev("user"),
        Keypair::dev("agent"),
        Keypair::dev("session"),
    );
    let mut c = Chain::new();
    let mut s = spec(&payee, vec![]);
    s.min_reputation = Some(MinReputation {
        settled_payments: 0,
        deals_completed: 0,
        max_disputes_lost: 0,
    });
    c.call(&owner, PaymentCall::RegisterService { spec: s })
        .expect("registered");
    c.fund(&user.account(), 10_000);
    let proof = agent.sign(&agent_binding_message(CHAIN, &user.account(), "buyer"));
    c.agents(
        &user,
        AgentCall::RegisterAgent {
            agent: agent.account(),
            name: "buyer".into(),
            proof,
        },
    );
    let intent = Intent {
        user: user.account(),
        agent: agent.account(),
        asset: Asset::Native,
        start_height: 1,
        per_tx_cap: 100,
        total_cap: 10_000,
        period_blocks: 100,
        period_cap: 250,
        expires_at: 1_000,
        allowed_calls: BTreeSet::from([synod_agents::call_kind::SERVICE_PAY]),
        allowed_payees: Some(BTreeSet::from([payee.account()])),
    };
    c.agents(
        &user,
        AgentCall::SetIntent {
            intent: intent.clone(),
        },
    );
    c.agents(
        &agent,
        AgentCall::OpenSession {
            scope: SessionScope {
                intent_hash: intent.hash(),
                session_key: session.account(),
                per_tx_cap: 100,
                total_cap: 10_000,
                period_cap: 250,
                expires_at: 900,
                allowed_calls: intent.allowed_calls.clone(),
                allowed_payees: intent.allowed_payees.clone(),
            },
        },
    );
    let ev = c
        .call(
            &owner,
            settle(vec![
                (auth(&user, &session, &payee, 100, 1), 100),
                (auth(&user, &session, &payee, 100, 2), 100),
                (auth(&user, &session, &payee, 100, 3), 100),
                (auth(&user, &session, &payee, 200, 4), 101),
            ]),
        )
        .expect("batch");
    assert!(matches!(ev[0], PaymentEvent::Settled { .. }));
    assert!(matches!(ev[1], PaymentEvent::Settled { .. }));
    assert_eq!(refused(&ev[2]).kind(), "period_cap_exceeded");
    assert_eq!(refused(&ev[3]).kind(), "cap_per_tx_exceeded");
    assert_eq!(c.balance(&user.account()), 10_000 - 200);
    // What the service accepted and has not settled counts against the period cap: 200
    // settled, 40 pending, 10 more fits; 41 pending does not.
    let svc = service(&c.mem, 0).expect("read").expect("svc");
    let next = auth(&user, &session, &payee, 100, 9);
    let check = |pending: u128| {
        check_authorization(&c.mem, CHAIN, c.height, 0, &svc, &next, 10, pending)
            .map_err(|e| match e {
                CallError::Failed(f) => f.kind(),
                CallError::State(e) => panic!("{e}"),
            })
            .map(|_| ())
    };
    assert_eq!(check(40), Ok(()));
    assert_eq!(check(41), Err("period_cap_exceeded"));
    assert_eq!(
        synod_agents::deals::reputation(&c.mem, &agent.account())
            .expect("rep")
            .settled_payments,
        2
    );
    // The service now requires three settled payments: the agent has two.
    let mut s = spec(&payee, vec![]);
    s.min_reputation = Some(MinReputation {
        settled_payments: 3,
        deals_completed: 0,
        max_disputes_lost: 0,
    });
    c.call(
        &owner,
        PaymentCall::UpdateService {
            service: 0,
            spec: s,
        },
    )
    .expect("updated");
    c.height = 150; // the next period
    let ev = c
        .call(
            &owner,
            settle(vec![(auth_from(&user, &session, &payee, 100, 5, 140), 50)]),
        )
        .expect("batch");
    assert_eq!(refused(&ev[0]).kind(), "reputation_too_low");
    c.call(
        &owner,
        PaymentCall::UpdateService {
            service: 0,
            spec: spec(&payee, vec![]),
        },
    )
    .expect("updated");
    // A service whose payee is outside the session's scope.
    let mut other = spec(&owner, vec![]);
    other.name = "other".into();
    c.call(&owner, PaymentCall::RegisterService { spec: other })
        .expect("registered");
    let to_other = Authorization {
        payer: user.account(),
        signer: session.account(),
        service: 1,
        payee: owner.account(),
        asset: Asset::Native,
        max_amount: 10,
        valid_after: 140,
        valid_before: 189,
        nonce: Hash([77; 32]),
        request_hash: Hash::ZERO,
    }
    .sign(&session, CHAIN);
    let ev = c
        .call(
            &owner,
            PaymentCall::Settle {
                service: 1,
                work_bound: 64,
                items: vec![SettleItem {
                    authorization: to_other,
                    amount: 10,
                }],
            },
        )
        .expect("batch");
    assert_eq!(refused(&ev[0]).kind(), "payee_not_allowed");
    c.agents(
        &user,
        AgentCall::RevokeSession {
            session: session.account(),
        },
    );
    let ev = c
        .call(
            &owner,
            settle(vec![(auth_from(&user, &session, &payee, 100, 5, 140), 50)]),
        )
        .expect("batch");
    assert_eq!(refused(&ev[0]).kind(), "session_revoked");
}

/// A settled nonce is kept while its authorization could settle, and forgotten at the end of
/// the block before its window closes.
#[test]
fn nonces_are_forgotten_when_their_window_closes() {
    let (owner, payee, payer) = (
        Keypair::dev("owner"),
        Keypair::dev("payee"),
        Keypair::dev("payer"),
    );
    let mut c = Chain::new();
    c.call(
        &owner,
        PaymentCall::RegisterService {
            spec: spec(&payee, vec![]),
        },
    )
    .expect("registered");
    c.fund(&payer.account(), 1_000);
    let a = auth(&payer, &payer, &payee, 10, 1);
    c.call(&owner, settle(vec![(a.clone(), 10)]))
        .expect("settled");
    let nonce = Hash([1; 32]);
    while c.height < 48 {
        c.end_block();
    }
    assert!(
        settlement(&c.mem, &payer.account(), &nonce)
            .expect("read")
            .is_some()
    );
    c.end_block(); // end of block 48; the window closes at 50
    c.end_block(); // end of block 49
    assert!(
        settlement(&c.mem, &payer.account(), &nonce)
            .expect("read")
            .is_none()
    );
    assert!(
        typed::get::<Vec<(AccountId, Hash)>>(&c.mem, &expiry_key(50))
            .expect("read")
            .is_none()
    );
    // And it cannot settle again: its window has closed.
    let ev = c.call(&owner, settle(vec![(a, 10)])).expect("batch");
    assert_eq!(refused(&ev[0]).kind(), "authorization_expired");
}

/// A full batch of the largest authorizations fits one transaction.
#[test]
fn a_full_batch_fits_a_transaction() {
    let key = Keypair::dev("payer");
    let item = SettleItem {
        authorization: Authorization {
            payer: key.account(),
            signer: key.account(),
            service: u64::MAX,
            payee: key.account(),
            asset: Asset::Token(u64::MAX),
            max_amount: u128::MAX,
            valid_after: u64::MAX,
            valid_before: u64::MAX,
            nonce: Hash([0xff; 32]),
            request_hash: Hash([0xff; 32]),
        }
        .sign(&key, CHAIN),
        amount: u128::MAX,
    };
    let call = PaymentCall::Settle {
        service: u64::MAX,
        work_bound: u32::MAX,
        items: vec![item; wire::MAX_SETTLE_ITEMS],
    };
    // Room for the envelope: chain id, sender, nonce, fee, signature, module tag.
    let size = synod_primitives::encode(&call).len() + 512;
    assert!(size <= synod_primitives::tx::MAX_TX_SIZE, "{size}");
}

/// A nonce settles once per payer: the same authorization again is reported as settled and
/// changes nothing; another authorization reusing the nonce is refused with `nonce_used`.
#[test]
fn a_nonce_settles_once() {
    let (owner, payee, payer) = (
        Keypair::dev("owner"),
        Keypair::dev("payee"),
        Keypair::dev("payer"),
    );
    let mut c = Chain::new();
    c.call(
        &owner,
        PaymentCall::RegisterService {
            spec: spec(&payee, vec![]),
        },
    )
    .expect("registered");
    c.fund(&payer.account(), 1_000);
    let first = auth(&payer, &payer, &payee, 10, 1);
    c.call(&owner, settle(vec![(first.clone(), 10)]))
        .expect("settled");
    let mut reuse = first.authorization.clone();
    reuse.request_hash = Hash([42; 32]);
    let reuse = reuse.sign(&payer, CHAIN);
    let before = c.mem.clone();
    let ev = c
        .call(&owner, settle(vec![(first, 10), (reuse, 10)]))
        .expect("batch");
    assert!(matches!(ev[0], PaymentEvent::AlreadySettled { .. }));
    assert_eq!(refused(&ev[1]).kind(), "nonce_used");
    assert_eq!(c.mem, before);
}
