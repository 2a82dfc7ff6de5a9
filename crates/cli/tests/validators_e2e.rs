//! The validator set end to end against a real `synod dev` process (100 ms blocks, 20-block
//! epochs): `synod validator bond|unbond|withdraw|list|show` with `--json` and text output,
//! typed refusals through the CLI, the new set stored at the boundary and announced in the
//! boundary block's end-block receipt (`synod_getEvents`), and the `validators` / `validator`
//! RPC views.

mod common;

use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};
use synod_bank::rpc::BankApiClient;
use synod_execution::validators::query::{ValidatorSetView, ValidatorView};
use synod_primitives::Keypair;
use synod_primitives::receipt::end_block_receipt_hash;
use synod_primitives::token::UNIT;
use synod_rpc::SynodApiClient;
use synod_runtime::{Event, Receipt, TxOutcome};
use synod_validators::StakingParams;
use synod_validators::rpc::ValidatorsApiClient;
use synod_validators::{SetMember, UnbondingEntry, ValidatorEvent};

/// Runs `synod --rpc URL --dev --json ARGS`; returns (success, stdout).
fn cli(rpc: &str, args: &[&str]) -> (bool, String) {
    let out = synod()
        .args(["--rpc", rpc, "--dev", "--json"])
        .args(args)
        .output()
        .expect("run synod");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The first JSON document of a CLI output (a failed call prints its receipt, then the error).
fn first_json(out: &str) -> Value {
    serde_json::Deserializer::from_str(out)
        .into_iter::<Value>()
        .next()
        .expect("some JSON")
        .expect("valid JSON")
}

fn ok_receipt(rpc: &str, args: &[&str]) -> Receipt {
    let (ok, out) = cli(rpc, args);
    assert!(ok, "synod {args:?} failed: {out}");
    let r: Receipt = serde_json::from_value(first_json(&out)).expect("receipt JSON");
    assert_eq!(r.outcome, TxOutcome::Success);
    r
}

fn failure_kind(rpc: &str, args: &[&str]) -> String {
    let (ok, out) = cli(rpc, args);
    assert!(!ok, "synod {args:?} should fail: {out}");
    let r: Receipt = serde_json::from_value(first_json(&out)).expect("receipt JSON");
    match r.outcome {
        TxOutcome::Failed { failure } => serde_json::to_value(&failure).expect("json")["kind"]
            .as_str()
            .expect("kind")
            .to_string(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn validators_bond_unbond_list_show_and_the_boundary_set() {
    let dir = tempfile::tempdir().expect("tmp");
    let net = Devnet::start(&dir.path().join("dev"));
    let rt = runtime();
    let c = net.client();
    let params = StakingParams::dev();
    let len = params.epoch_length;
    let validator0 = Keypair::dev("validator-0").account();
    let (alice, bob) = (
        Keypair::dev("alice").account(),
        Keypair::dev("bob").account(),
    );

    // Genesis: the devnet validator alone, 1,000 SYN bonded.
    let (ok, out) = cli(&net.rpc, &["validator", "list"]);
    assert!(ok, "{out}");
    let v: ValidatorSetView = serde_json::from_str(&out).expect("set JSON");
    assert_eq!(
        v.validators,
        vec![SetMember {
            account: validator0,
            stake: 1_000 * UNIT
        }]
    );
    assert_eq!(v.params, params);
    assert_eq!(v.epoch_length, len);

    // Writes start early in an epoch so that they usually share one.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let h = rt.block_on(c.heads()).expect("heads").finalized_height;
        if h % len >= 1 && h % len <= 4 {
            break;
        }
        assert!(Instant::now() < deadline, "chain not advancing");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut heights = Vec::new();
    let r = ok_receipt(
        &net.rpc,
        &["validator", "bond", "--from", "alice", "--amount", "300"],
    );
    assert!(r.events.contains(&Event::Validator(ValidatorEvent::Bonded {
        validator: alice,
        amount: 300 * UNIT,
        bonded: 300 * UNIT
    })));
    heights.push(r.height);
    assert_eq!(
        failure_kind(
            &net.rpc,
            &["validator", "bond", "--from", "bob", "--amount", "50"]
        ),
        "below_min_bond"
    );
    heights.push(
        ok_receipt(
            &net.rpc,
            &["validator", "bond", "--from", "bob", "--amount", "200"],
        )
        .height,
    );
    let r = ok_receipt(
        &net.rpc,
        &["validator", "unbond", "--from", "bob", "--amount", "50"],
    );
    heights.push(r.height);
    let release_epoch = params.epoch_of(r.height) + 1 + params.unbonding_epochs;
    assert_eq!(
        failure_kind(&net.rpc, &["validator", "withdraw", "--from", "bob"]),
        "nothing_to_withdraw"
    );
    assert_eq!(
        failure_kind(
            &net.rpc,
            &["validator", "unbond", "--from", "charlie", "--amount", "1"]
        ),
        "not_a_validator"
    );

    // The boundary after the last write fixes the set with both newcomers.
    let last = heights.iter().copied().max().expect("heights");
    let epoch = params.epoch_of(last) + 1;
    let boundary = params.last_height_of(epoch - 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    while rt.block_on(c.heads()).expect("heads").finalized_height < boundary {
        assert!(Instant::now() < deadline, "boundary {boundary} not reached");
        std::thread::sleep(Duration::from_millis(50));
    }
    let expected = vec![
        SetMember {
            account: validator0,
            stake: 1_000 * UNIT,
        },
        SetMember {
            account: alice,
            stake: 300 * UNIT,
        },
        SetMember {
            account: bob,
            stake: 150 * UNIT,
        },
    ];
    let (ok, out) = cli(&net.rpc, &["validator", "list"]);
    assert!(ok, "{out}");
    let v: ValidatorSetView = serde_json::from_str(&out).expect("set JSON");
    assert!(v.epoch >= epoch);
    assert_eq!(v.validators, expected);
    assert_eq!(v.next_candidates, expected);
    assert_eq!(v.total_bonded, 1_450 * UNIT);
    assert_eq!(v.total_unbonding, 50 * UNIT);

    // The boundary block's end-block receipt announces it.
    let events = rt.block_on(c.get_events(boundary)).expect("events");
    let end = events.last().expect("end-block receipt");
    assert_eq!(end.tx_hash, end_block_receipt_hash(boundary));
    assert_eq!(
        end.events,
        vec![Event::Validator(ValidatorEvent::ValidatorSetChanged {
            epoch,
            validators: expected
        })]
    );

    let (ok, out) = cli(&net.rpc, &["validator", "show", "bob"]);
    assert!(ok, "{out}");
    let b: ValidatorView = serde_json::from_str(&out).expect("validator JSON");
    assert_eq!(b.bonded, 150 * UNIT);
    assert_eq!(
        b.unbonding,
        vec![UnbondingEntry {
            amount: 50 * UNIT,
            release_epoch
        }]
    );
    assert!(b.in_current_set && b.in_next_set && !b.tombstoned);
    let rpc_view = rt.block_on(c.validator(bob)).expect("rpc");
    assert_eq!(rpc_view.bonded, b.bonded);

    // Text mode.
    let out = synod()
        .args(["--rpc", &net.rpc, "--dev", "validator", "list"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("validators (3)"), "{text}");
    assert!(text.contains(&alice.to_string()), "{text}");
}

/// Slashing through the real node: evidence of the devnet validator signing two notarize votes
/// in one view (made with the consensus crate's drill, byte-identical to what the engine
/// reports) is filed by alice over the CLI; the node's installed verifier (the consensus
/// engine's) attributes it, 5% of the bond is taken, 10% of that paid to alice, the rest
/// burned, and the validator is tombstoned. Repeats, tampered evidence and evidence under
/// another chain's namespace are refused with their own kinds.
#[test]
fn a_reported_equivocation_slashes_the_offender() {
    let dir = tempfile::tempdir().expect("tmp");
    let net = Devnet::start(&dir.path().join("dev"));
    let rt = runtime();
    let c = net.client();
    let params = StakingParams::dev();
    let validator0 = Keypair::dev("validator-0");
    let alice = Keypair::dev("alice").account();
    let info = rt.block_on(c.chain_info()).expect("chain info");
    let ns = synod_consensus::namespace(&info.chain_id, &info.genesis_hash);
    let set = [validator0.account()];
    let evidence = synod_consensus::drill::double_notarize(&validator0, &set, &ns, 0, 3)
        .expect("drill evidence");
    let hex_evidence = hex::encode(&evidence);

    let issuance_before = rt.block_on(c.total_issuance()).expect("issuance");
    let r = ok_receipt(
        &net.rpc,
        &[
            "validator",
            "report-equivocation",
            "--from",
            "alice",
            "--evidence",
            &hex_evidence,
        ],
    );
    let slashed = 1_000 * UNIT * u64::from(params.slash_bps) / 10_000;
    let reward = slashed * u64::from(params.reporter_reward_bps) / 10_000;
    assert!(
        r.events
            .contains(&Event::Validator(ValidatorEvent::Slashed {
                offender: validator0.account(),
                epoch: 0,
                view: 3,
                slashed,
                burned: slashed - reward,
                reporter: alice,
                reward,
            })),
        "{:?}",
        r.events
    );
    let issuance_after = rt.block_on(c.total_issuance()).expect("issuance");
    assert_eq!(issuance_before - issuance_after, slashed - reward, "burned");
    let alice_at = |h| {
        rt.block_on(c.get_account(alice, Some(h)))
            .expect("alice")
            .balance
    };
    let (alice_before, alice_after) = (alice_at(r.height - 1), alice_at(r.height));
    assert_eq!(alice_after, alice_before - r.fee_paid + reward);

    let (ok, out) = cli(
        &net.rpc,
        &["validator", "show", &validator0.account().to_string()],
    );
    assert!(ok, "{out}");
    let v: ValidatorView = serde_json::from_str(&out).expect("validator JSON");
    assert_eq!(v.bonded, 1_000 * UNIT - slashed);
    assert!(v.tombstoned);

    // The same offence again, tampered evidence, another chain's evidence: refused.
    assert_eq!(
        failure_kind(
            &net.rpc,
            &[
                "validator",
                "report-equivocation",
                "--from",
                "bob",
                "--evidence",
                &hex_evidence
            ]
        ),
        "duplicate_evidence"
    );
    let mut tampered = evidence.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        failure_kind(
            &net.rpc,
            &[
                "validator",
                "report-equivocation",
                "--from",
                "bob",
                "--evidence",
                &hex::encode(&tampered)
            ]
        ),
        "invalid_evidence"
    );
    let foreign = synod_consensus::drill::double_notarize(&validator0, &set, b"other-chain", 0, 4)
        .expect("drill evidence");
    assert_eq!(
        failure_kind(
            &net.rpc,
            &[
                "validator",
                "report-equivocation",
                "--from",
                "bob",
                "--evidence",
                &hex::encode(&foreign)
            ]
        ),
        "invalid_evidence"
    );
}
