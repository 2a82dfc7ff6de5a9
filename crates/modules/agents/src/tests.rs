//! Unit tests on an in-memory state: registration, intents, sessions, revocation, and the
//! session rules as `authorize` applies them.

use std::collections::BTreeSet;

use crate::*;
use synod_agents_rules::Asset;
use synod_primitives::Keypair;

type Mem = synod_storage::MemState;

struct Chain {
    mem: Mem,
    height: u64,
}

impl Chain {
    fn call(&mut self, sender: &Keypair, call: AgentCall) -> Result<Vec<AgentEvent>, AgentFailure> {
        let mut ov = Overlay::new(&self.mem);
        let ctx = BlockCtx {
            height: self.height,
            chain_id: "test",
            parent: Hash::ZERO,
        };
        let r = Agents.dispatch(&mut ov, &ctx, &sender.account(), &call);
        let ch = ov.into_changes();
        match r {
            Ok(ev) => {
                self.mem.apply(ch);
                Ok(ev)
            }
            Err(CallError::Failed(CallFailure::Agents(f))) => Err(f),
            Err(CallError::Failed(other)) => panic!("not an agents failure: {other}"),
            Err(CallError::State(e)) => panic!("{e}"),
        }
    }

    fn pay(
        &mut self,
        session: &Keypair,
        payee: AccountId,
        amount: u128,
    ) -> Result<AccountId, AgentFailure> {
        let mut ov = Overlay::new(&self.mem);
        let p = Payment {
            call_kind: call_kind::TRANSFER,
            payee,
            asset: Asset::Native,
            amount,
        };
        match authorize(&mut ov, self.height, &session.account(), &p) {
            Ok((user, _)) => {
                let ch = ov.into_changes();
                self.mem.apply(ch);
                Ok(user)
            }
            Err(CallError::Failed(f)) => Err(f),
            Err(CallError::State(e)) => panic!("{e}"),
        }
    }
}

fn register(
    c: &mut Chain,
    user: &Keypair,
    agent: &Keypair,
    name: &str,
) -> Result<Vec<AgentEvent>, AgentFailure> {
    let proof = agent.sign(&agent_binding_message("test", &user.account(), name));
    c.call(
        user,
        AgentCall::RegisterAgent {
            agent: agent.account(),
            name: name.into(),
            proof,
        },
    )
}

fn intent_for(user: &Keypair, agent: &Keypair, payee: &Keypair) -> Intent {
    Intent {
        user: user.account(),
        agent: agent.account(),
        asset: Asset::Native,
        start_height: 1,
        per_tx_cap: 100,
        total_cap: 1_000,
        period_blocks: 10,
        period_cap: 300,
        expires_at: 1_000,
        allowed_calls: BTreeSet::from([call_kind::TRANSFER]),
        allowed_payees: Some(BTreeSet::from([payee.account()])),
    }
}

fn scope_for(intent: &Intent, session: &Keypair) -> SessionScope {
    SessionScope {
        intent_hash: intent.hash(),
        session_key: session.account(),
        per_tx_cap: 100,
        total_cap: 1_000,
        period_cap: 300,
        expires_at: 500,
        allowed_calls: intent.allowed_calls.clone(),
        allowed_payees: intent.allowed_payees.clone(),
    }
}

#[test]
fn a_session_spends_within_its_rules_and_stops_when_its_agent_is_revoked() {
    let (user, agent, session, shop, other) = (
        Keypair::dev("alice"),
        Keypair::dev("agent-1"),
        Keypair::dev("session-1"),
        Keypair::dev("shop"),
        Keypair::dev("other"),
    );
    let mut c = Chain {
        mem: Mem::default(),
        height: 1,
    };
    // The agent key must consent, under the right user and name.
    let bad = agent.sign(&agent_binding_message(
        "test",
        &user.account(),
        "other-name",
    ));
    assert_eq!(
        c.call(
            &user,
            AgentCall::RegisterAgent {
                agent: agent.account(),
                name: "shopper".into(),
                proof: bad
            }
        ),
        Err(AgentFailure::BadProof)
    );
    assert_eq!(
        register(&mut c, &user, &agent, "Shopper"),
        Err(AgentFailure::InvalidName)
    );
    register(&mut c, &user, &agent, "shopper").expect("registered");
    assert_eq!(
        register(&mut c, &user, &Keypair::dev("agent-2"), "shopper"),
        Err(AgentFailure::NameTaken {
            name: "shopper".into()
        })
    );
    let intent = intent_for(&user, &agent, &shop);
    assert_eq!(
        c.call(
            &agent,
            AgentCall::SetIntent {
                intent: intent.clone()
            }
        ),
        Err(AgentFailure::NotUser)
    );
    c.call(
        &user,
        AgentCall::SetIntent {
            intent: intent.clone(),
        },
    )
    .expect("intent");
    let scope = scope_for(&intent, &session);
    assert_eq!(
        c.call(
            &user,
            AgentCall::OpenSession {
                scope: scope.clone()
            }
        ),
        Err(AgentFailure::NotAgent)
    );
    let mut wide = scope.clone();
    wide.per_tx_cap = 101;
    assert!(matches!(
        c.call(&agent, AgentCall::OpenSession { scope: wide }),
        Err(AgentFailure::ScopeNotWithinIntent { .. })
    ));
    c.call(&agent, AgentCall::OpenSession { scope })
        .expect("session");

    assert_eq!(c.pay(&session, shop.account(), 100), Ok(user.account()));
    assert!(matches!(
        c.pay(&session, shop.account(), 101),
        Err(AgentFailure::CapPerTxExceeded { .. })
    ));
    assert!(matches!(
        c.pay(&session, other.account(), 1),
        Err(AgentFailure::PayeeNotAllowed { .. })
    ));
    c.pay(&session, shop.account(), 100).expect("second");
    c.pay(&session, shop.account(), 100).expect("third");
    assert!(matches!(
        c.pay(&session, shop.account(), 1),
        Err(AgentFailure::PeriodCapExceeded { .. })
    ));
    c.height = 11; // the next period
    c.pay(&session, shop.account(), 100).expect("new period");
    c.call(
        &user,
        AgentCall::RevokeAgent {
            agent: agent.account(),
        },
    )
    .expect("revoked");
    assert_eq!(
        c.pay(&session, shop.account(), 1),
        Err(AgentFailure::SessionRevoked)
    );
    c.height = 600;
    assert!(matches!(
        c.pay(&session, shop.account(), 1),
        Err(AgentFailure::SessionRevoked | AgentFailure::SessionExpired { .. })
    ));
}

#[test]
fn revoking_a_session_or_intent_stops_it_at_once() {
    let (user, agent, s1, s2, shop) = (
        Keypair::dev("alice"),
        Keypair::dev("agent-1"),
        Keypair::dev("session-1"),
        Keypair::dev("session-2"),
        Keypair::dev("shop"),
    );
    let mut c = Chain {
        mem: Mem::default(),
        height: 1,
    };
    register(&mut c, &user, &agent, "a").expect("registered");
    let intent = intent_for(&user, &agent, &shop);
    c.call(
        &user,
        AgentCall::SetIntent {
            intent: intent.clone(),
        },
    )
    .expect("intent");
    c.call(
        &agent,
        AgentCall::OpenSession {
            scope: scope_for(&intent, &s1),
        },
    )
    .expect("s1");
    c.call(
        &agent,
        AgentCall::OpenSession {
            scope: scope_for(&intent, &s2),
        },
    )
    .expect("s2");
    assert!(matches!(
        c.call(
            &agent,
            AgentCall::OpenSession {
                scope: scope_for(&intent, &s2)
            }
        ),
        Err(AgentFailure::SessionExists { .. })
    ));
    c.call(
        &agent,
        AgentCall::RevokeSession {
            session: s1.account(),
        },
    )
    .expect("revoke s1");
    assert_eq!(
        c.pay(&s1, shop.account(), 1),
        Err(AgentFailure::SessionRevoked)
    );
    c.pay(&s2, shop.account(), 1).expect("s2 still works");
    c.call(
        &user,
        AgentCall::RevokeIntent {
            intent: intent.hash(),
        },
    )
    .expect("revoke intent");
    assert_eq!(
        c.pay(&s2, shop.account(), 1),
        Err(AgentFailure::SessionRevoked)
    );
    // The intent's counters are shared by its sessions.
    let rec = crate::intent(&c.mem, &intent.hash())
        .expect("read")
        .expect("exists");
    assert_eq!(rec.spent.spent_total, 1);
    assert_eq!(
        c.pay(&Keypair::dev("nobody"), shop.account(), 1),
        Err(AgentFailure::UnknownSession {
            session: Keypair::dev("nobody").account()
        })
    );
}

fn fund(c: &mut Chain, who: &Keypair, amount: u64) {
    let mut ov = Overlay::new(&c.mem);
    synod_bank::mint(&mut ov, &who.account(), amount).expect("mint");
    let ch = ov.into_changes();
    c.mem.apply(ch);
}

fn syn(c: &Chain, who: &AccountId) -> u64 {
    synod_bank::account(&c.mem, who).expect("read").balance
}

fn end_block(c: &mut Chain) -> Vec<AgentEvent> {
    let mut ov = Overlay::new(&c.mem);
    let ctx = BlockCtx {
        height: c.height,
        chain_id: "test",
        parent: Hash::ZERO,
    };
    let ev = Agents.end_block(&mut ov, &ctx).expect("end block");
    let ch = ov.into_changes();
    c.mem.apply(ch);
    c.height += 1;
    ev
}

fn terms(buyer: &Keypair, seller: &Keypair, salt: u64) -> synod_agents_rules::Terms {
    synod_agents_rules::Terms {
        buyer: buyer.account(),
        seller: seller.account(),
        deliverable: Hash::digest(b"a labelled dataset"),
        acceptance_criteria: Hash::digest(b"95% agreement"),
        price: 1_000,
        asset: Asset::Native,
        funding_deadline: 10,
        delivery_deadline: 20,
        review_period: 5,
        arbiter: None,
        appeal_period: 5,
        arbitration_period: 5,
        salt,
    }
}

#[test]
fn an_undelivered_deal_refunds_the_buyer_when_its_deadline_passes() {
    use synod_agents_rules::Action;
    let (buyer, seller) = (Keypair::dev("alice"), Keypair::dev("bob"));
    let mut c = Chain {
        mem: Mem::default(),
        height: 1,
    };
    fund(&mut c, &buyer, 10_000);
    let t = terms(&buyer, &seller, 1);
    let id = t.hash();
    c.call(&buyer, AgentCall::ProposeDeal { terms: t.clone() })
        .expect("proposed");
    assert_eq!(
        c.call(&buyer, AgentCall::ProposeDeal { terms: t.clone() }),
        Err(AgentFailure::DealExists { deal: id })
    );
    // Out of order and wrong party are refused with the rules' reasons.
    assert!(matches!(
        c.call(
            &buyer,
            AgentCall::DealAction {
                deal: id,
                action: Action::Fund
            }
        ),
        Err(AgentFailure::DealRefused { .. })
    ));
    c.call(
        &seller,
        AgentCall::DealAction {
            deal: id,
            action: Action::Sign { terms_hash: id },
        },
    )
    .expect("signed");
    c.call(
        &buyer,
        AgentCall::DealAction {
            deal: id,
            action: Action::Fund,
        },
    )
    .expect("funded");
    let escrow = deals::escrow_account(&id);
    assert_eq!(syn(&c, &escrow), 1_000);
    assert_eq!(syn(&c, &buyer.account()), 9_000);
    // The seller never delivers: at the delivery deadline the buyer is refunded.
    while c.height < 20 {
        end_block(&mut c);
    }
    assert_eq!(syn(&c, &buyer.account()), 9_000);
    let ev = end_block(&mut c);
    assert!(
        ev.iter()
            .any(|e| matches!(e, AgentEvent::DealChanged { state, .. } if state == "expired")),
        "{ev:?}"
    );
    assert_eq!(syn(&c, &buyer.account()), 10_000);
    assert_eq!(syn(&c, &escrow), 0);
    assert_eq!(
        deals::reputation(&c.mem, &seller.account())
            .expect("read")
            .expired_deliveries,
        1
    );
}

#[test]
fn a_delivered_deal_pays_the_seller_when_accepted_or_when_review_passes() {
    use synod_agents_rules::Action;
    let (buyer, seller) = (Keypair::dev("alice"), Keypair::dev("bob"));
    let mut c = Chain {
        mem: Mem::default(),
        height: 1,
    };
    fund(&mut c, &buyer, 10_000);
    for (salt, accept) in [(1u64, true), (2, false)] {
        let t = terms(&buyer, &seller, salt);
        let id = t.hash();
        c.call(&seller, AgentCall::ProposeDeal { terms: t })
            .expect("proposed");
        c.call(
            &buyer,
            AgentCall::DealAction {
                deal: id,
                action: Action::Sign { terms_hash: id },
            },
        )
        .expect("signed");
        c.call(
            &buyer,
            AgentCall::DealAction {
                deal: id,
                action: Action::Fund,
            },
        )
        .expect("funded");
        assert!(matches!(
            c.call(
                &buyer,
                AgentCall::DealAction {
                    deal: id,
                    action: Action::Deliver {
                        delivery: Hash::ZERO
                    }
                }
            ),
            Err(AgentFailure::DealRefused { .. })
        ));
        c.call(
            &seller,
            AgentCall::DealAction {
                deal: id,
                action: Action::Deliver {
                    delivery: Hash::digest(b"done"),
                },
            },
        )
        .expect("delivered");
        if accept {
            c.call(
                &buyer,
                AgentCall::DealAction {
                    deal: id,
                    action: Action::Accept,
                },
            )
            .expect("accepted");
        } else {
            let until = c.height + 6;
            while c.height < until {
                end_block(&mut c);
            }
        }
        assert_eq!(syn(&c, &deals::escrow_account(&id)), 0);
    }
    assert_eq!(syn(&c, &seller.account()), 2_000);
    assert_eq!(syn(&c, &buyer.account()), 8_000);
    assert_eq!(
        deals::reputation(&c.mem, &seller.account())
            .expect("read")
            .deals_completed,
        2
    );
}

fn co_sign(
    payer: &Keypair,
    payee: &Keypair,
    state: synod_agents_rules::ChannelState,
) -> synod_agents_rules::SignedChannelState {
    synod_agents_rules::SignedChannelState {
        state,
        payer_sig: payer.sign(&state.signing_payload()),
        payee_sig: payee.sign(&state.signing_payload()),
    }
}

#[test]
fn a_channel_with_10000_updates_settles_exactly_and_a_stale_close_is_overridden() {
    let (payer, payee) = (Keypair::dev("alice"), Keypair::dev("bob"));
    let mut c = Chain {
        mem: Mem::default(),
        height: 1,
    };
    fund(&mut c, &payer, 1_000_000);
    let ev = c
        .call(
            &payer,
            AgentCall::OpenChannel {
                payee: payee.account(),
                asset: Asset::Native,
                deposit: 500_000,
                challenge_period: 10,
            },
        )
        .expect("opened");
    let Some(AgentEvent::ChannelOpened { channel, .. }) = ev.first().cloned() else {
        panic!("{ev:?}")
    };
    assert_eq!(syn(&c, &payer.account()), 500_000);
    // 10,000 off-chain payments of varying size, each co-signed.
    let mut state = synod_agents_rules::ChannelState::initial(channel);
    let mut stale = None;
    let mut total = 0u128;
    for i in 0..10_000u128 {
        let amount = 1 + i % 7;
        total += amount;
        state = state.next(amount).expect("next");
        if i == 5_000 {
            stale = Some(co_sign(&payer, &payee, state));
        }
    }
    let latest = co_sign(&payer, &payee, state);
    assert_eq!(state.nonce, 10_000);
    // The payer tries to close on a stale state; the payee overrides it within the window.
    c.call(
        &payer,
        AgentCall::StartClose {
            channel,
            latest: stale,
        },
    )
    .expect("close started");
    assert!(matches!(
        c.call(
            &payee,
            AgentCall::ChallengeClose {
                newer: stale.expect("stale")
            }
        ),
        Err(AgentFailure::ChannelRefused { .. })
    ));
    c.call(&payee, AgentCall::ChallengeClose { newer: latest })
        .expect("overridden");
    assert!(matches!(
        c.call(&payee, AgentCall::SettleChannel { channel }),
        Err(AgentFailure::ChannelRefused { .. })
    ));
    let until = c.height + 11;
    while c.height < until {
        end_block(&mut c);
    }
    assert_eq!(syn(&c, &payee.account()) as u128, total);
    assert_eq!(syn(&c, &payer.account()) as u128, 1_000_000 - total);
    assert_eq!(syn(&c, &channels::deposit_account(&channel)), 0);
    // A forged state is refused.
    let mut forged = latest;
    forged.state.cumulative_paid += 1;
    assert!(matches!(
        c.call(&payer, AgentCall::CloseChannel { close: forged }),
        Err(AgentFailure::ChannelRefused { .. })
    ));
}

#[test]
fn a_cooperative_close_settles_at_once() {
    let (payer, payee) = (Keypair::dev("alice"), Keypair::dev("bob"));
    let mut c = Chain {
        mem: Mem::default(),
        height: 1,
    };
    fund(&mut c, &payer, 1_000);
    let ev = c
        .call(
            &payer,
            AgentCall::OpenChannel {
                payee: payee.account(),
                asset: Asset::Native,
                deposit: 1_000,
                challenge_period: 10,
            },
        )
        .expect("opened");
    let Some(AgentEvent::ChannelOpened { channel, .. }) = ev.first().cloned() else {
        panic!("{ev:?}")
    };
    let state = synod_agents_rules::ChannelState::initial(channel)
        .next(250)
        .expect("next");
    // An update signature cannot close: the close payload has its own tag.
    assert!(matches!(
        c.call(
            &payer,
            AgentCall::CloseChannel {
                close: co_sign(&payer, &payee, state)
            }
        ),
        Err(AgentFailure::ChannelRefused { .. })
    ));
    let close = synod_agents_rules::SignedChannelState {
        state,
        payer_sig: payer.sign(&state.close_payload()),
        payee_sig: payee.sign(&state.close_payload()),
    };
    c.call(&payee, AgentCall::CloseChannel { close })
        .expect("closed");
    assert_eq!(syn(&c, &payee.account()), 250);
    assert_eq!(syn(&c, &payer.account()), 750);
}

/// Caps grow with the agent's record only when the user says so, by the rule's steps, up to
/// its maximum; a session opened before growth keeps its own caps, a new one may use the
/// grown ones; removing the rule returns the caps as signed.
#[test]
fn caps_grow_with_the_agents_record_when_the_user_lets_them() {
    let (user, agent, s1, s2, shop) = (
        Keypair::dev("alice"),
        Keypair::dev("agent-1"),
        Keypair::dev("session-1"),
        Keypair::dev("session-2"),
        Keypair::dev("shop"),
    );
    let mut c = Chain {
        mem: Mem::default(),
        height: 1,
    };
    register(&mut c, &user, &agent, "shopper").expect("registered");
    let intent = intent_for(&user, &agent, &shop);
    let hash = intent.hash();
    c.call(
        &user,
        AgentCall::SetIntent {
            intent: intent.clone(),
        },
    )
    .expect("intent");
    c.call(
        &agent,
        AgentCall::OpenSession {
            scope: scope_for(&intent, &s1),
        },
    )
    .expect("session");
    let rule = CapGrowth {
        points_per_step: 2,
        step_bps: 1_000,
        max_bps: 5_000,
    };
    // Only the user sets the rule, and only a well-formed one.
    assert_eq!(
        c.call(
            &agent,
            AgentCall::SetCapGrowth {
                intent: hash,
                growth: Some(rule)
            }
        ),
        Err(AgentFailure::NotUser)
    );
    assert!(matches!(
        c.call(
            &user,
            AgentCall::SetCapGrowth {
                intent: hash,
                growth: Some(CapGrowth {
                    points_per_step: 0,
                    ..rule
                })
            }
        ),
        Err(AgentFailure::InvalidIntent { .. })
    ));
    // Four settled payments: 2 steps, +20 %.
    for _ in 0..4 {
        c.pay(&s1, shop.account(), 10).expect("pay");
    }
    let mut wide = scope_for(&intent, &s2);
    wide.per_tx_cap = 120;
    wide.period_cap = 360;
    wide.total_cap = 1_200;
    assert!(matches!(
        c.call(
            &agent,
            AgentCall::OpenSession {
                scope: wide.clone()
            }
        ),
        Err(AgentFailure::ScopeNotWithinIntent { .. })
    ));
    c.call(
        &user,
        AgentCall::SetCapGrowth {
            intent: hash,
            growth: Some(rule),
        },
    )
    .expect("growth");
    c.call(&agent, AgentCall::OpenSession { scope: wide })
        .expect("a session with the grown caps");
    // The old session keeps its own per-transaction cap of 100; the new one pays 120.
    assert!(matches!(
        c.pay(&s1, shop.account(), 101),
        Err(AgentFailure::CapPerTxExceeded { cap: 100, .. })
    ));
    c.pay(&s2, shop.account(), 120).expect("grown cap");
    // Growth stops at max_bps however long the record: 200 points would be +1000 %.
    let rep_key = deals::reputation_key(&agent.account());
    let mut rep = deals::reputation(&c.mem, &agent.account()).expect("rep");
    rep.settled_payments = 200;
    c.mem.apply(synod_storage::delta::ChangeSet::from_iter([(
        rep_key.clone(),
        Some(synod_primitives::encode(&rep)),
    )]));
    let grown = growth_bonus(
        &c.mem,
        &crate::intent(&c.mem, &hash).expect("read").expect("intent"),
    )
    .expect("bonus");
    assert_eq!(grown, 5_000);
    // A lost dispute costs ten points.
    rep.settled_payments = 11;
    rep.disputes_lost = 1;
    c.mem.apply(synod_storage::delta::ChangeSet::from_iter([(
        rep_key,
        Some(synod_primitives::encode(&rep)),
    )]));
    let irec = crate::intent(&c.mem, &hash).expect("read").expect("intent");
    assert_eq!(growth_bonus(&c.mem, &irec).expect("bonus"), 0);
    // Removing the rule: the caps as signed.
    c.call(
        &user,
        AgentCall::SetCapGrowth {
            intent: hash,
            growth: None,
        },
    )
    .expect("removed");
    assert!(matches!(
        c.pay(&s2, shop.account(), 101),
        Err(AgentFailure::CapPerTxExceeded { cap: 100, .. })
    ));
}

/// Only the user links its agent, and only to an asset of kind agent it owns.
#[test]
fn an_agent_links_to_the_asset_that_represents_it() {
    let (user, agent, other) = (
        Keypair::dev("alice"),
        Keypair::dev("agent-1"),
        Keypair::dev("other"),
    );
    let mut c = Chain {
        mem: Mem::default(),
        height: 1,
    };
    register(&mut c, &user, &agent, "shopper").expect("registered");
    let mut asset = |owner: &Keypair, kind: synod_assets::AssetKind| -> u64 {
        let mut ov = Overlay::new(&c.mem);
        let ctx = BlockCtx {
            height: 1,
            chain_id: "test",
            parent: Hash::ZERO,
        };
        let ev = synod_assets::Assets::new(synod_assets::AssetsGenesis::default())
            .dispatch(
                &mut ov,
                &ctx,
                &owner.account(),
                &synod_assets::AssetCall::Register {
                    kind,
                    name: "a".into(),
                    metadata_uri: String::new(),
                    metadata_hash: Hash::ZERO,
                    content_hash: Hash::ZERO,
                },
            )
            .expect("asset");
        let ch = ov.into_changes();
        c.mem.apply(ch);
        match &ev[0] {
            synod_assets::AssetEvent::Registered { asset, .. } => *asset,
            e => panic!("{e:?}"),
        }
    };
    let model = asset(&user, synod_assets::AssetKind::Model);
    let theirs = asset(&other, synod_assets::AssetKind::Agent);
    let mine = asset(&user, synod_assets::AssetKind::Agent);
    let link = |asset: u64| AgentCall::LinkAsset {
        agent: agent.account(),
        asset,
    };
    for (who, a, kind) in [
        (&user, model, "bad_agent_asset"),
        (&user, theirs, "bad_agent_asset"),
        (&user, 99, "bad_agent_asset"),
        (&other, mine, "not_user"),
    ] {
        assert_eq!(c.call(who, link(a)).expect_err("refused").kind(), kind);
    }
    assert_eq!(agent_asset(&c.mem, &agent.account()).expect("read"), None);
    c.call(&user, link(mine)).expect("linked");
    assert_eq!(
        agent_asset(&c.mem, &agent.account()).expect("read"),
        Some(mine)
    );
}
