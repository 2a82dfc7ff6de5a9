//! Golden encodings of every call, event and failure variant of the agents module and of its
//! stored records, with borsh bytes (hex) and JSON as first blessed: on-chain encodings that
//! may never change. `GOLDEN_BLESS=1 cargo test -p synod-agents --test golden` rewrites the
//! file: only for a newly appended variant.

use std::collections::BTreeSet;
use std::path::PathBuf;
use synod_agents::*;
use synod_agents_rules::{Asset, Intent, SessionScope, SpendState};
use synod_primitives::{AccountId, Hash, Signature, encode};

fn acct(n: u8) -> AccountId {
    AccountId([n; 32])
}

fn intent() -> Intent {
    Intent {
        user: acct(1),
        agent: acct(2),
        asset: Asset::Token(7),
        start_height: 10,
        per_tx_cap: 5,
        total_cap: 100,
        period_blocks: 20,
        period_cap: 30,
        expires_at: 1_000,
        allowed_calls: BTreeSet::from([call_kind::TRANSFER, call_kind::ASSET_PAY]),
        allowed_payees: Some(BTreeSet::from([acct(3)])),
    }
}

fn scope() -> SessionScope {
    SessionScope {
        intent_hash: intent().hash(),
        session_key: acct(4),
        per_tx_cap: 5,
        total_cap: 50,
        period_cap: 30,
        expires_at: 500,
        allowed_calls: BTreeSet::from([call_kind::TRANSFER]),
        allowed_payees: None,
    }
}

fn terms() -> synod_agents_rules::Terms {
    synod_agents_rules::Terms {
        buyer: acct(1),
        seller: acct(2),
        deliverable: Hash([3; 32]),
        acceptance_criteria: Hash([4; 32]),
        price: 500,
        asset: Asset::Native,
        funding_deadline: 10,
        delivery_deadline: 20,
        review_period: 3,
        arbiter: Some(acct(9)),
        appeal_period: 4,
        arbitration_period: 5,
        salt: 6,
    }
}

fn signed() -> synod_agents_rules::SignedChannelState {
    synod_agents_rules::SignedChannelState {
        state: synod_agents_rules::ChannelState {
            channel_id: Hash([6; 32]),
            nonce: 9,
            cumulative_paid: 400,
        },
        payer_sig: Signature([1; 64]),
        payee_sig: Signature([2; 64]),
    }
}

fn call_index(c: &AgentCall) -> usize {
    match c {
        AgentCall::RegisterAgent { .. } => 0,
        AgentCall::RevokeAgent { .. } => 1,
        AgentCall::SetIntent { .. } => 2,
        AgentCall::RevokeIntent { .. } => 3,
        AgentCall::OpenSession { .. } => 4,
        AgentCall::RevokeSession { .. } => 5,
        AgentCall::Execute { .. } => 6,
        AgentCall::ProposeDeal { .. } => 7,
        AgentCall::DealAction { .. } => 8,
        AgentCall::OpenChannel { .. } => 9,
        AgentCall::CloseChannel { .. } => 10,
        AgentCall::StartClose { .. } => 11,
        AgentCall::ChallengeClose { .. } => 12,
        AgentCall::SettleChannel { .. } => 13,
        AgentCall::SetCapGrowth { .. } => 14,
        AgentCall::LinkAsset { .. } => 15,
    }
}

fn calls() -> Vec<AgentCall> {
    vec![
        AgentCall::RegisterAgent {
            agent: acct(2),
            name: "shopper".into(),
            proof: Signature([9; 64]),
        },
        AgentCall::RevokeAgent { agent: acct(2) },
        AgentCall::SetIntent { intent: intent() },
        AgentCall::RevokeIntent {
            intent: Hash([5; 32]),
        },
        AgentCall::OpenSession { scope: scope() },
        AgentCall::RevokeSession { session: acct(4) },
        AgentCall::Execute {
            inner: vec![0, 1, 2, 255],
        },
        AgentCall::ProposeDeal { terms: terms() },
        AgentCall::DealAction {
            deal: terms().hash(),
            action: synod_agents_rules::Action::Resolve { to_seller: 3 },
        },
        AgentCall::OpenChannel {
            payee: acct(2),
            asset: Asset::Token(4),
            deposit: 1_000,
            challenge_period: 50,
        },
        AgentCall::CloseChannel { close: signed() },
        AgentCall::StartClose {
            channel: Hash([6; 32]),
            latest: Some(signed()),
        },
        AgentCall::ChallengeClose { newer: signed() },
        AgentCall::SettleChannel {
            channel: Hash([6; 32]),
        },
        AgentCall::SetCapGrowth {
            intent: Hash([5; 32]),
            growth: Some(synod_agents_rules::CapGrowth {
                points_per_step: 10,
                step_bps: 500,
                max_bps: 20_000,
            }),
        },
        AgentCall::LinkAsset {
            agent: acct(2),
            asset: 9,
        },
    ]
}

fn event_index(e: &AgentEvent) -> usize {
    match e {
        AgentEvent::AgentRegistered { .. } => 0,
        AgentEvent::AgentRevoked { .. } => 1,
        AgentEvent::IntentSet { .. } => 2,
        AgentEvent::IntentRevoked { .. } => 3,
        AgentEvent::SessionOpened { .. } => 4,
        AgentEvent::SessionRevoked { .. } => 5,
        AgentEvent::SessionSpent { .. } => 6,
        AgentEvent::DealProposed { .. } => 7,
        AgentEvent::DealChanged { .. } => 8,
        AgentEvent::Escrow { .. } => 9,
        AgentEvent::ChannelOpened { .. } => 10,
        AgentEvent::ChannelClosing { .. } => 11,
        AgentEvent::ChannelSettled { .. } => 12,
        AgentEvent::CapGrowthSet { .. } => 13,
        AgentEvent::AgentAssetLinked { .. } => 14,
    }
}

fn events() -> Vec<AgentEvent> {
    vec![
        AgentEvent::AgentRegistered {
            user: acct(1),
            agent: acct(2),
            name: "shopper".into(),
        },
        AgentEvent::AgentRevoked { agent: acct(2) },
        AgentEvent::IntentSet {
            intent: Hash([5; 32]),
            user: acct(1),
            agent: acct(2),
        },
        AgentEvent::IntentRevoked {
            intent: Hash([5; 32]),
        },
        AgentEvent::SessionOpened {
            session: acct(4),
            intent: Hash([5; 32]),
        },
        AgentEvent::SessionRevoked { session: acct(4) },
        AgentEvent::SessionSpent {
            session: acct(4),
            user: acct(1),
            call_kind: call_kind::ASSET_PAY,
            payee: acct(3),
            asset: Asset::Native,
            amount: 1 << 70,
        },
        AgentEvent::DealProposed {
            deal: Hash([8; 32]),
            buyer: acct(1),
            seller: acct(2),
        },
        AgentEvent::DealChanged {
            deal: Hash([8; 32]),
            action: "deadline".into(),
            state: "expired".into(),
        },
        AgentEvent::Escrow {
            deal: Hash([8; 32]),
            account: acct(1),
            asset: Asset::Token(3),
            amount: 1_000,
            into: true,
        },
        AgentEvent::ChannelOpened {
            channel: Hash([6; 32]),
            payer: acct(1),
            payee: acct(2),
            deposit: 1_000,
        },
        AgentEvent::ChannelClosing {
            channel: Hash([6; 32]),
            nonce: 9,
            cumulative_paid: 400,
            challenge_ends: 77,
        },
        AgentEvent::ChannelSettled {
            channel: Hash([6; 32]),
            to_payee: 400,
            to_payer: 600,
        },
        AgentEvent::CapGrowthSet {
            intent: Hash([5; 32]),
            growth: None,
        },
        AgentEvent::AgentAssetLinked {
            agent: acct(2),
            asset: 9,
        },
    ]
}

fn failures() -> Vec<AgentFailure> {
    use AgentFailure::*;
    vec![
        SessionExpired {
            expires_at: 5,
            now: 6,
        },
        CapPerTxExceeded { amount: 2, cap: 1 },
        TotalCapExceeded {
            amount: 2,
            cap: 3,
            spent: 2,
        },
        PeriodCapExceeded {
            amount: 2,
            cap: 3,
            spent: 2,
            period: 4,
        },
        PayeeNotAllowed { payee: acct(5) },
        CallNotAllowed { call_kind: 0 },
        AssetNotAllowed {
            asset: Asset::Native,
            allowed: Asset::Token(1),
        },
        SessionRevoked,
        NotYetActive {
            start_height: 9,
            now: 8,
        },
        InvalidIntent {
            detail: "caps".into(),
        },
        ScopeNotWithinIntent {
            detail: "wider".into(),
        },
        Overflow,
        UnknownAgent { agent: acct(6) },
        AgentExists { agent: acct(6) },
        NameTaken {
            name: "shopper".into(),
        },
        InvalidName,
        BadProof,
        NotUser,
        NotAgent,
        UnknownIntent {
            intent: Hash([1; 32]),
        },
        IntentExists {
            intent: Hash([1; 32]),
        },
        UnknownSession { session: acct(7) },
        SessionExists { session: acct(7) },
        UndecodableCall {
            detail: "eof".into(),
        },
        NestedExecute,
        UnknownDeal {
            deal: Hash([8; 32]),
        },
        DealExists {
            deal: Hash([8; 32]),
        },
        DealRefused {
            refusal: synod_agents_rules::DealError::NoArbiter,
        },
        UnknownChannel {
            channel: Hash([6; 32]),
        },
        ChannelRefused {
            refusal: synod_agents_rules::ChannelError::StaleState {
                offered: 3,
                pending: 4,
            },
        },
        BadAgentAsset {
            asset: 9,
            detail: "its kind is not agent".into(),
        },
    ]
}

use synod_golden::line;

fn all_lines() -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = [false; 16];
    for (i, c) in calls().iter().enumerate() {
        seen[call_index(c)] = true;
        assert_eq!(
            &borsh::from_slice::<AgentCall>(&encode(c)).expect("borsh"),
            c
        );
        out.push(line(&format!("call/{i}"), c));
    }
    assert!(seen.iter().all(|s| *s), "a call variant has no vector");
    let mut seen = [false; 15];
    for (i, e) in events().iter().enumerate() {
        seen[event_index(e)] = true;
        assert_eq!(
            &borsh::from_slice::<AgentEvent>(&encode(e)).expect("borsh"),
            e
        );
        out.push(line(&format!("event/{i}"), e));
    }
    assert!(seen.iter().all(|s| *s), "an event variant has no vector");
    let failures = failures();
    // Every failure has a distinct kind, and each is listed.
    let kinds: BTreeSet<&str> = failures.iter().map(AgentFailure::kind).collect();
    assert_eq!(kinds.len(), failures.len());
    for (i, f) in failures.iter().enumerate() {
        assert_eq!(
            &borsh::from_slice::<AgentFailure>(&encode(f)).expect("borsh"),
            f
        );
        let json = serde_json::to_value(f).expect("json");
        assert_eq!(json["kind"], f.kind(), "{json}");
        out.push(line(&format!("failure/{i}"), f));
    }
    out.push(line(
        "state/agent",
        &AgentRecord {
            user: acct(1),
            name: "shopper".into(),
            registered_at: 3,
            revoked_at: Some(9),
        },
    ));
    out.push(line(
        "state/intent",
        &IntentRecord {
            intent: intent(),
            revoked_at: None,
            spent: SpendState {
                spent_total: 7,
                period_index: 2,
                spent_in_period: 3,
            },
        },
    ));
    out.push(line(
        "state/session",
        &SessionRecord {
            scope: scope(),
            opened_at: 11,
            revoked_at: None,
            spent: SpendState::default(),
        },
    ));
    out.push(line(
        "state/reputation",
        &synod_agents::deals::Reputation {
            settled_payments: 1,
            deals_completed: 2,
            disputes_lost: 3,
            expired_deliveries: 4,
        },
    ));
    out.push(format!(
        "message/agent_binding\t{}\t-",
        hex::encode(agent_binding_message("synod-dev", &acct(1), "shopper"))
    ));
    out
}

#[test]
fn encodings_match_the_golden_file() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/encodings.txt");
    synod_golden::check(&path, &all_lines());
}
