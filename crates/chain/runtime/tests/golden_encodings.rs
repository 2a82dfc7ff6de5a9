//! Golden encodings: one value of every call, failure and event variant (and the envelopes
//! around them), with the borsh bytes and JSON they had when the vectors were captured.
//!
//! The vectors in `golden/encodings.txt` were written by the binary *before* the module
//! framework moved these types into their modules; this test fails if any encoding that is
//! already on chain (or in a client) changes. `GOLDEN_BLESS=1` rewrites the file: only ever do
//! that for a newly appended variant, never to make an existing line pass.

use synod_primitives::receipt::end_block_receipt_hash;
use synod_primitives::{AccountId, Hash, Header, Keypair};
use synod_runtime::bank::hotkey_binding_message;
use synod_runtime::subnets::{Hyperparameter, weights_commit_hash};
use synod_runtime::subnets::{SubnetCall, SubnetEvent, SubnetFailure};
use synod_runtime::validators::SetMember;
use synod_runtime::validators::{ValidatorCall, ValidatorEvent, ValidatorFailure};
use synod_runtime::{BankCall, BankEvent, BankFailure};
use synod_runtime::{
    Block, Call, Event, Genesis, Receipt, SignedTransaction, Transaction, TxFailure, TxOutcome,
};

fn acct(n: u8) -> AccountId {
    AccountId([n; 32])
}

fn calls() -> Vec<(String, Call)> {
    let a = acct(7);
    let b = acct(9);
    let mut v: Vec<(String, Call)> = vec![
        (
            "call/transfer".into(),
            Call::Bank(BankCall::Transfer {
                to: a,
                amount: 1_500_000_000,
            }),
        ),
        (
            "call/bind_hotkey".into(),
            Call::Bank(BankCall::BindHotkey {
                hotkey: a,
                proof: Keypair::dev("alice").sign(b"proof"),
            }),
        ),
    ];
    let params = vec![
        Hyperparameter::Tempo(10),
        Hyperparameter::MaxAllowedUids(256),
        Hyperparameter::MaxAllowedValidators(64),
        Hyperparameter::ImmunityPeriod(5000),
        Hyperparameter::MinAllowedWeights(1),
        Hyperparameter::MaxWeightsLimit(65535),
        Hyperparameter::WeightsRateLimit(100),
        Hyperparameter::WeightsVersionKey(7),
        Hyperparameter::Kappa(32767),
        Hyperparameter::BondsMovingAverage(900_000),
        Hyperparameter::BondsPenalty(65535),
        Hyperparameter::Yuma3Enabled(true),
        Hyperparameter::LiquidAlphaEnabled(false),
        Hyperparameter::AlphaValues {
            low: 45875,
            high: 58982,
        },
        Hyperparameter::AlphaSigmoidSteepness(-1000),
        Hyperparameter::CommitRevealEnabled(true),
        Hyperparameter::RevealPeriodEpochs(1),
        Hyperparameter::ActivityCutoff(5000),
        Hyperparameter::MinBurn(500_000),
        Hyperparameter::MaxBurn(100_000_000_000),
        Hyperparameter::RegistrationAllowed(true),
        Hyperparameter::ServingRateLimit(50),
        Hyperparameter::MinNonImmuneUids(10),
    ];
    for (i, p) in params.into_iter().enumerate() {
        v.push((
            format!("call/subnets/set_hyperparameter/{i}"),
            Call::Subnets(SubnetCall::SetHyperparameter {
                netuid: 3,
                param: p,
            }),
        ));
    }
    let subnet_calls = vec![
        (
            "register_network",
            SubnetCall::RegisterNetwork {
                hotkey: a,
                max_lock_cost: 1_000,
            },
        ),
        ("start_call", SubnetCall::StartCall { netuid: 1 }),
        (
            "burned_register",
            SubnetCall::BurnedRegister {
                netuid: 1,
                hotkey: a,
                max_burn: 5,
            },
        ),
        (
            "serve_axon",
            SubnetCall::ServeAxon {
                netuid: 1,
                hotkey: a,
                ip: u128::from(u32::MAX) + (1u128 << 100),
                ip_type: 6,
                port: 8091,
                protocol: 4,
                version: 3,
            },
        ),
        (
            "set_weights",
            SubnetCall::SetWeights {
                netuid: 1,
                hotkey: a,
                uids: vec![0, 1, 4095],
                values: vec![1, 2, 65535],
                version_key: 9,
            },
        ),
        (
            "commit_weights",
            SubnetCall::CommitWeights {
                netuid: 1,
                hotkey: a,
                commit_hash: Hash::digest(b"c"),
            },
        ),
        (
            "reveal_weights",
            SubnetCall::RevealWeights {
                netuid: 1,
                hotkey: a,
                uids: vec![1],
                values: vec![2],
                salt: vec![3, 4, 5],
                version_key: 0,
            },
        ),
        (
            "add_stake",
            SubnetCall::AddStake {
                hotkey: a,
                netuid: 2,
                amount: 1,
                limit_price: Some(2),
                allow_partial: true,
            },
        ),
        (
            "remove_stake",
            SubnetCall::RemoveStake {
                hotkey: a,
                netuid: 0,
                amount: 1,
                limit_price: None,
                allow_partial: false,
            },
        ),
        (
            "move_stake",
            SubnetCall::MoveStake {
                origin_hotkey: a,
                destination_hotkey: b,
                origin_netuid: 1,
                destination_netuid: 2,
                amount: 3,
            },
        ),
        (
            "transfer_stake",
            SubnetCall::TransferStake {
                destination_coldkey: b,
                hotkey: a,
                origin_netuid: 1,
                destination_netuid: 2,
                amount: 3,
            },
        ),
        (
            "swap_stake",
            SubnetCall::SwapStake {
                hotkey: a,
                origin_netuid: 1,
                destination_netuid: 2,
                amount: 3,
                limit_price: Some(1),
                allow_partial: false,
            },
        ),
        (
            "set_delegate_take",
            SubnetCall::SetDelegateTake { hotkey: a, take: 9 },
        ),
        (
            "set_subnet_identity",
            SubnetCall::SetSubnetIdentity {
                netuid: 1,
                identity: Some(synod_subnets::identity::Identity {
                    name: "Text".into(),
                    url: "https://t.example".into(),
                    description: "answers".into(),
                }),
            },
        ),
        (
            "set_hotkey_identity",
            SubnetCall::SetHotkeyIdentity {
                hotkey: a,
                identity: None,
            },
        ),
        (
            "swap_hotkey",
            SubnetCall::SwapHotkey {
                old_hotkey: a,
                new_hotkey: b,
                proof: synod_primitives::Signature([7; 64]),
            },
        ),
    ];
    for (n, c) in subnet_calls {
        v.push((format!("call/subnets/{n}"), Call::Subnets(c)));
    }
    let validator_calls = vec![
        ("bond", ValidatorCall::Bond { amount: 100 }),
        ("unbond", ValidatorCall::Unbond { amount: 50 }),
        ("withdraw", ValidatorCall::Withdraw),
        (
            "report_equivocation",
            ValidatorCall::ReportEquivocation {
                evidence: vec![1, 2, 3, 255],
            },
        ),
    ];
    for (n, c) in validator_calls {
        v.push((format!("call/validators/{n}"), Call::Validators(c)));
    }
    v
}

fn failures() -> Vec<(String, TxFailure)> {
    let a = acct(7);
    let mut v: Vec<(String, TxFailure)> = vec![
        (
            "failure/insufficient_balance".into(),
            TxFailure::Bank(BankFailure::InsufficientBalance {
                needed: 10,
                available: 3,
            }),
        ),
        (
            "failure/balance_overflow".into(),
            TxFailure::Bank(BankFailure::BalanceOverflow),
        ),
        (
            "failure/hotkey_already_bound".into(),
            TxFailure::Bank(BankFailure::HotkeyAlreadyBound { owner: a }),
        ),
        (
            "failure/invalid_hotkey_proof".into(),
            TxFailure::Bank(BankFailure::InvalidHotkeyProof),
        ),
        (
            "failure/hotkey_is_coldkey".into(),
            TxFailure::Bank(BankFailure::HotkeyIsColdkey),
        ),
    ];
    let subnet = vec![
        SubnetFailure::SubnetNotFound { netuid: 4 },
        SubnetFailure::RootNotAllowed,
        SubnetFailure::HotkeyNotBound { hotkey: a },
        SubnetFailure::NotHotkeyOwner { hotkey: a },
        SubnetFailure::NotSubnetOwner,
        SubnetFailure::CostAboveMaximum { cost: 5, max: 4 },
        SubnetFailure::NetworkRateLimited { next: 77 },
        SubnetFailure::SubnetLimitReached,
        SubnetFailure::AlreadyStarted { netuid: 1 },
        SubnetFailure::NotStarted { netuid: 1 },
        SubnetFailure::InvalidHyperparameter {
            param: "tempo".into(),
            detail: "too low".into(),
        },
        SubnetFailure::RegistrationDisabled { netuid: 1 },
        SubnetFailure::AlreadyRegistered { netuid: 1 },
        SubnetFailure::NoPrunableUid,
        SubnetFailure::NotRegistered { netuid: 1 },
        SubnetFailure::RateLimited { next: 12 },
        SubnetFailure::InvalidAxon {
            detail: "port 0".into(),
        },
        SubnetFailure::CommitRevealEnabled,
        SubnetFailure::CommitRevealDisabled,
        SubnetFailure::WeightVecLength { detail: "x".into() },
        SubnetFailure::DuplicateUid { uid: 3 },
        SubnetFailure::UidNotFound { uid: 4 },
        SubnetFailure::TooFewWeights { got: 1, min: 2 },
        SubnetFailure::MaxWeightExceeded { limit: 100 },
        SubnetFailure::IncorrectVersionKey {
            got: 1,
            required: 2,
        },
        SubnetFailure::NoValidatorPermit,
        SubnetFailure::TooManyCommits { max: 10 },
        SubnetFailure::NoMatchingCommit,
        SubnetFailure::RevealTooEarly {
            reveal_epoch: 2,
            current_epoch: 1,
        },
        SubnetFailure::CommitExpired { reveal_epoch: 2 },
        SubnetFailure::SaltTooLong,
        SubnetFailure::AmountTooLow { amount: 1, min: 2 },
        SubnetFailure::InsufficientStake {
            wanted: 3,
            available: 2,
        },
        SubnetFailure::InsufficientLiquidity,
        SubnetFailure::PriceLimitExceeded { limit_price: 3 },
        SubnetFailure::SameOriginAndDestination,
        SubnetFailure::TakeTooHigh {
            take: 20000,
            max: 11796,
        },
        SubnetFailure::Overflow,
        SubnetFailure::InvalidIdentity {
            detail: "name is empty".into(),
        },
        SubnetFailure::HotkeyInUse { hotkey: acct(9) },
        SubnetFailure::WeightCommitsOpen { netuid: 2 },
    ];
    for (i, f) in subnet.into_iter().enumerate() {
        v.push((format!("failure/subnet/{i}"), TxFailure::Subnet(f)));
    }
    let validator = vec![
        ValidatorFailure::ZeroAmount,
        ValidatorFailure::BelowMinBond {
            bonded_after: 1,
            min: 2,
        },
        ValidatorFailure::NotAValidator { account: a },
        ValidatorFailure::InsufficientBonded {
            requested: 3,
            bonded: 2,
        },
        ValidatorFailure::UnbondBelowMin {
            remaining: 1,
            min: 2,
        },
        ValidatorFailure::TooManyUnbondingEntries { max: 32 },
        ValidatorFailure::NothingToWithdraw {
            next_release_epoch: Some(9),
        },
        ValidatorFailure::NothingToWithdraw {
            next_release_epoch: None,
        },
        ValidatorFailure::Tombstoned { account: a },
        ValidatorFailure::EvidenceNotSupported,
        ValidatorFailure::EvidenceTooLarge {
            size: 9000,
            max: 8192,
        },
        ValidatorFailure::InvalidEvidence {
            detail: "bad".into(),
        },
        ValidatorFailure::EvidenceFromFuture {
            epoch: 5,
            current: 4,
        },
        ValidatorFailure::EvidenceTooOld {
            epoch: 1,
            oldest: 2,
        },
        ValidatorFailure::OffenderNotInSet {
            offender: a,
            epoch: 3,
        },
        ValidatorFailure::DuplicateEvidence {
            offender: a,
            epoch: 3,
            view: 4,
        },
        ValidatorFailure::OffenderAlreadyTombstoned { offender: a },
    ];
    for (i, f) in validator.into_iter().enumerate() {
        v.push((format!("failure/validator/{i}"), TxFailure::Validator(f)));
    }
    v
}

fn events() -> Vec<(String, Event)> {
    let a = acct(7);
    let b = acct(9);
    let mut v: Vec<(String, Event)> = vec![
        (
            "event/fee_paid".into(),
            Event::Bank(BankEvent::FeePaid {
                payer: a,
                collector: b,
                amount: 300,
            }),
        ),
        (
            "event/transfer".into(),
            Event::Bank(BankEvent::Transfer {
                from: a,
                to: b,
                amount: 5,
            }),
        ),
        (
            "event/hotkey_bound".into(),
            Event::Bank(BankEvent::HotkeyBound {
                coldkey: a,
                hotkey: b,
            }),
        ),
    ];
    let subnet = vec![
        SubnetEvent::NetworkRegistered {
            netuid: 1,
            owner: a,
            hotkey: b,
            lock: 1,
        },
        SubnetEvent::NetworkDissolved {
            netuid: 1,
            refunded: 2,
        },
        SubnetEvent::SubnetStarted { netuid: 1 },
        SubnetEvent::HyperparameterSet {
            netuid: 1,
            param: Hyperparameter::Kappa(1),
        },
        SubnetEvent::NeuronRegistered {
            netuid: 1,
            uid: 0,
            hotkey: a,
            burned: 1,
            replaced: Some(b),
        },
        SubnetEvent::NeuronRegistered {
            netuid: 1,
            uid: 2,
            hotkey: a,
            burned: 1,
            replaced: None,
        },
        SubnetEvent::AxonServed {
            netuid: 1,
            hotkey: a,
        },
        SubnetEvent::WeightsSet { netuid: 1, uid: 3 },
        SubnetEvent::WeightsCommitted {
            netuid: 1,
            uid: 3,
            commit_hash: Hash::digest(b"w"),
        },
        SubnetEvent::StakeAdded {
            coldkey: a,
            hotkey: b,
            netuid: 1,
            tao: 10,
            alpha: 9,
        },
        SubnetEvent::StakeRemoved {
            coldkey: a,
            hotkey: b,
            netuid: 1,
            alpha: 9,
            tao: 8,
        },
        SubnetEvent::StakeMoved {
            from_coldkey: a,
            from_hotkey: a,
            from_netuid: 1,
            to_coldkey: b,
            to_hotkey: b,
            to_netuid: 2,
            alpha_in: 1,
            alpha_out: 1,
        },
        SubnetEvent::DelegateTakeSet {
            hotkey: a,
            take: 11796,
        },
        SubnetEvent::EpochRun {
            netuid: 3,
            block: 90,
            epoch_index: 4,
            miner_alpha: 5,
            validator_alpha: 6,
            owner_alpha: 7,
            burned_alpha: 8,
            root_tao: 9,
            carried_root_tao: 10,
        },
        SubnetEvent::SubnetIdentitySet {
            netuid: 1,
            identity: Some(synod_subnets::identity::Identity {
                name: "Text".into(),
                url: String::new(),
                description: String::new(),
            }),
        },
        SubnetEvent::HotkeyIdentitySet {
            hotkey: a,
            identity: None,
        },
        SubnetEvent::HotkeySwapped {
            coldkey: a,
            old_hotkey: b,
            new_hotkey: acct(3),
            netuids: vec![0, 1],
        },
    ];
    for (i, e) in subnet.into_iter().enumerate() {
        v.push((format!("event/subnet/{i}"), Event::Subnet(e)));
    }
    let validator = vec![
        ValidatorEvent::Bonded {
            validator: a,
            amount: 1,
            bonded: 2,
        },
        ValidatorEvent::Unbonded {
            validator: a,
            amount: 1,
            bonded: 1,
            release_epoch: 7,
        },
        ValidatorEvent::Withdrawn {
            validator: a,
            amount: 1,
        },
        ValidatorEvent::Slashed {
            offender: a,
            epoch: 1,
            view: 2,
            slashed: 3,
            burned: 4,
            reporter: b,
            reward: 5,
        },
        ValidatorEvent::Tombstoned { validator: a },
        ValidatorEvent::ValidatorSetChanged {
            epoch: 2,
            validators: vec![
                SetMember {
                    account: a,
                    stake: 1,
                },
                SetMember {
                    account: b,
                    stake: 2,
                },
            ],
        },
        ValidatorEvent::EmptySetAvoided { epoch: 3 },
    ];
    for (i, e) in validator.into_iter().enumerate() {
        v.push((format!("event/validator/{i}"), Event::Validator(e)));
    }
    v
}

/// `(name, borsh hex, json)` for every vector, in file order.
fn vectors() -> Vec<(String, String, String)> {
    fn line<T: borsh::BorshSerialize + serde::Serialize>(
        name: &str,
        v: &T,
    ) -> (String, String, String) {
        let bytes = borsh::to_vec(v).expect("borsh");
        let json = serde_json::to_string(v).expect("json");
        (name.to_string(), hex::encode(bytes), json)
    }
    fn raw(name: &str, bytes: &[u8]) -> (String, String, String) {
        (name.to_string(), hex::encode(bytes), "null".into())
    }
    let mut out = Vec::new();
    for (n, c) in calls() {
        out.push(line(&n, &c));
    }
    for (n, f) in failures() {
        out.push(line(&n, &f));
    }
    for (n, e) in events() {
        out.push(line(&n, &e));
    }
    // Envelopes: a signed transaction, a block carrying it, a success and a failure receipt,
    // and the dev genesis (whose hash every devnet transaction signs).
    let alice = Keypair::dev("alice");
    let genesis = Genesis::dev(vec![Keypair::dev("validator-0").account()]);
    let g = genesis.hash();
    let stx: SignedTransaction = Transaction {
        chain_id: "synod-dev".into(),
        sender: alice.account(),
        nonce: 3,
        fee: 1_000_000,
        call: Call::Subnets(SubnetCall::StartCall { netuid: 1 }),
    }
    .sign(&alice, &g);
    out.push(line("envelope/signed_transaction", &stx));
    out.push(raw("envelope/tx_hash", &stx.hash().0));
    out.push(raw("envelope/signing_payload", &stx.tx.signing_payload(&g)));
    let header = Header {
        height: 5,
        parent: Hash::digest(b"parent"),
        timestamp_ms: 1_767_225_600_123,
        proposer: acct(1),
        tx_root: Block::compute_tx_root(std::slice::from_ref(&stx)),
        receipts_root: Hash::digest(b"receipts"),
        state_root: Hash::digest(b"state"),
    };
    out.push(line("envelope/header", &header));
    out.push(raw("envelope/header_hash", &header.hash().0));
    let block = Block {
        header,
        txs: vec![stx.clone()],
    };
    out.push(line("envelope/block", &block));
    let ok = Receipt {
        tx_hash: stx.hash(),
        height: 5,
        index: 0,
        sender: alice.account(),
        nonce: 3,
        fee_paid: 1_000_000,
        outcome: TxOutcome::Success,
        events: vec![
            Event::Bank(BankEvent::FeePaid {
                payer: alice.account(),
                collector: acct(1),
                amount: 1_000_000,
            }),
            Event::Subnet(SubnetEvent::SubnetStarted { netuid: 1 }),
        ],
    };
    out.push(line("envelope/receipt_success", &ok));
    out.push(raw("envelope/receipt_hash", &ok.hash().0));
    let failed = Receipt {
        outcome: TxOutcome::Failed {
            failure: TxFailure::Subnet(SubnetFailure::NotSubnetOwner),
        },
        events: vec![ok.events[0].clone()],
        ..ok.clone()
    };
    out.push(line("envelope/receipt_failed", &failed));
    out.push(raw(
        "envelope/end_block_receipt_hash",
        &end_block_receipt_hash(20).0,
    ));
    out.push(line("genesis/dev", &genesis));
    out.push(raw("genesis/dev_hash", &g.0));
    out.push(raw(
        "message/hotkey_binding",
        &hotkey_binding_message("synod-dev", &acct(7)),
    ));
    out.push(raw(
        "message/weights_commit_hash",
        &weights_commit_hash(&acct(7), 1, &[0, 1], &[10, 20], b"salt", 5).0,
    ));
    out
}

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/encodings.txt");

fn render(v: &[(String, String, String)]) -> String {
    let mut s = String::from(
        "# name<TAB>borsh hex<TAB>json: captured before the module framework; never edit a line\n",
    );
    for (n, h, j) in v {
        s.push_str(&format!("{n}\t{h}\t{j}\n"));
    }
    s
}

#[test]
fn encodings_match_the_golden_vectors() {
    let now = vectors();
    if std::env::var_os("GOLDEN_BLESS").is_some() {
        std::fs::write(FILE, render(&now)).expect("write golden file");
        return;
    }
    let text = std::fs::read_to_string(FILE).expect("golden file present");
    let golden: Vec<(String, String, String)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut p = l.splitn(3, '\t');
            let n = p.next().unwrap_or_default().to_string();
            let h = p.next().unwrap_or_default().to_string();
            let j = p.next().unwrap_or_default().to_string();
            (n, h, j)
        })
        .collect();
    assert_eq!(golden.len(), now.len(), "vector count changed");
    for ((gn, gh, gj), (n, h, j)) in golden.iter().zip(&now) {
        assert_eq!(gn, n, "vector order or name changed");
        assert_eq!(gh, h, "borsh encoding of {n} changed");
        assert_eq!(gj, j, "JSON of {n} changed");
    }
}

#[test]
fn golden_bytes_decode_back_to_the_same_values() {
    let text = std::fs::read_to_string(FILE).expect("golden file present");
    let column = |name: &str, i: usize| -> String {
        let line = text
            .lines()
            .find(|l| l.split('\t').next() == Some(name))
            .unwrap_or_else(|| panic!("{name} missing"));
        line.split('\t').nth(i).expect("column").to_string()
    };
    let hex_of = |name: &str| -> Vec<u8> { hex::decode(column(name, 1)).expect("hex") };
    // Both encodings decode back, so old clients' JSON and old blocks' bytes stay readable.
    for (n, c) in calls() {
        assert_eq!(
            borsh::from_slice::<Call>(&hex_of(&n)).expect("decodes"),
            c,
            "{n}"
        );
        assert_eq!(
            serde_json::from_str::<Call>(&column(&n, 2)).expect("json"),
            c,
            "{n}"
        );
    }
    for (n, f) in failures() {
        assert_eq!(
            borsh::from_slice::<TxFailure>(&hex_of(&n)).expect("decodes"),
            f,
            "{n}"
        );
        assert_eq!(
            serde_json::from_str::<TxFailure>(&column(&n, 2)).expect("json"),
            f,
            "{n}"
        );
    }
    for (n, e) in events() {
        assert_eq!(
            borsh::from_slice::<Event>(&hex_of(&n)).expect("decodes"),
            e,
            "{n}"
        );
        assert_eq!(
            serde_json::from_str::<Event>(&column(&n, 2)).expect("json"),
            e,
            "{n}"
        );
    }
    let block = Block::decode(&hex_of("envelope/block")).expect("block decodes");
    assert_eq!(block.txs.len(), 1);
    let stx = SignedTransaction::decode(&hex_of("envelope/signed_transaction")).expect("tx");
    assert_eq!(stx, block.txs[0]);
    let _: Receipt = borsh::from_slice(&hex_of("envelope/receipt_failed")).expect("receipt");
}
