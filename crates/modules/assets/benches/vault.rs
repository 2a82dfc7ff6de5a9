//! Cost of one vault payment (a `Pay` call: lineage read from state, exact split, vault moves,
//! claimable credits) as the lineage above the paid asset grows: chains of depth 1, 10 and 100,
//! and a wide DAG of 1,000 ancestors, each asset with three contributors. State is an in-memory
//! map behind the same `Overlay` the executor uses, so this is the module's own cost without
//! disk or the JMT.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use synod_assets::state::{self, AssetRecord, Contributions, Edge};
use synod_assets::{AssetCall, AssetKind, Assets, AssetsGenesis, Currency, PayItem, Relation};
use synod_module::{BlockCtx, Module};
use synod_primitives::{AccountId, Hash};
use synod_storage::delta::Overlay;
use synod_storage::typed;

type Mem = synod_storage::MemState;

fn acct(i: u64) -> AccountId {
    AccountId(Hash::digest(&i.to_be_bytes()).0)
}

/// Writes `n + 1` assets: asset 0 is paid; `parents(i)` gives each asset's parents.
fn lineage(n: u64, parents: impl Fn(u64) -> Vec<u64>) -> Mem {
    let mut mem = Mem::default();
    let mut ov = Overlay::new(&mem);
    for i in 0..=n {
        let rec = AssetRecord {
            kind: AssetKind::Model,
            owner: acct(1_000_000 + i),
            name: format!("a{i}"),
            metadata_uri: String::new(),
            metadata_hash: Hash::ZERO,
            registered_at: 1,
            versions: 1,
            offers: 0,
            parents: parents(i)
                .into_iter()
                .map(|p| Edge {
                    parent: p + 1,
                    relation: Relation::DerivedFrom,
                    share_bp: 1_000,
                    licence: None,
                    at: 1,
                })
                .collect(),
            pending: None,
        };
        state::put_asset(&mut ov, i + 1, &rec);
        let mut weights: Vec<(AccountId, u64)> =
            (0..3).map(|c| (acct(i * 3 + c), 333_333)).collect();
        weights.sort();
        weights[0].1 += 1;
        typed::put(
            &mut ov,
            state::contrib_key(i + 1),
            &Contributions {
                commitment: 1,
                evidence_hash: Hash::ZERO,
                weights,
                since: 1,
            },
        );
    }
    synod_bank::mint(&mut ov, &acct(u64::MAX), 1 << 60).expect("mint");
    let changes = ov.into_changes();
    mem.apply(changes);
    mem
}

/// Each asset's parents, by index.
type ParentsOf = Box<dyn Fn(u64) -> Vec<u64>>;

fn wide_parents(i: u64) -> Vec<u64> {
    match i {
        0 => (1..=10).collect(),
        1..=10 => (0..10).map(|k| 11 + (i - 1) * 10 + k).collect(),
        11..=110 => {
            let j = i - 11;
            // 890 = 90 · 9 + 10 · 8
            let (start, count) = if j < 90 {
                (111 + j * 9, 9)
            } else {
                (111 + 810 + (j - 90) * 8, 8)
            };
            (start..start + count).collect()
        }
        _ => vec![],
    }
}

fn bench(c: &mut Criterion) {
    let module = Assets::new(AssetsGenesis::default());
    let ctx = BlockCtx {
        height: 10,
        chain_id: "bench",
        parent: Hash::ZERO,
    };
    let payer = acct(u64::MAX);
    let call = AssetCall::Pay {
        currency: Currency::Syn,
        items: vec![PayItem {
            asset: 1,
            amount: 1_000_000_000_000,
            licence: None,
            work_bound: 65_536,
        }],
    };
    let mut group = c.benchmark_group("vault_payment");
    let cases: Vec<(&str, u64, ParentsOf)> = vec![
        (
            "depth",
            1,
            Box::new(|i| if i < 1 { vec![i + 1] } else { vec![] }),
        ),
        (
            "depth",
            10,
            Box::new(|i| if i < 10 { vec![i + 1] } else { vec![] }),
        ),
        (
            "depth",
            100,
            Box::new(|i| if i < 100 { vec![i + 1] } else { vec![] }),
        ),
        // A wide DAG of 1,000 ancestors within the module's limits (at most 32 parents, shares
        // at most the whole): the paid asset has 10 parents, each of those 10 parents, and
        // those 100 share the last 890 assets as parents (9 or 8 each).
        ("wide", 1000, Box::new(wide_parents)),
    ];
    for (name, n, parents) in cases {
        let mem = lineage(n, parents);
        group.bench_with_input(BenchmarkId::new(name, n), &mem, |b, mem| {
            b.iter(|| {
                let mut ov = Overlay::new(mem);
                let r = module.dispatch(&mut ov, &ctx, &payer, black_box(&call));
                assert!(r.is_ok(), "{r:?}");
                black_box(ov.into_changes())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
