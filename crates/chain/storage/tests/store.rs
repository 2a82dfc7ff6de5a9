//! Storage behaviour: atomic commits, pending views, proofs, persistence.

use std::sync::Arc;
use synod_primitives::tx::CallWeight;
use synod_primitives::{AccountId, Hash, Header};
use synod_storage::{
    BlockCommit, ChangeSet, PendingBlock, StateRead, StateView, Store, compute_state_root,
};

/// Storage does not look inside transactions; these blocks carry none.
#[derive(borsh::BorshSerialize, borsh::BorshDeserialize)]
struct NoCall;

impl CallWeight for NoCall {
    fn weight(&self) -> u64 {
        0
    }
}

type Block = synod_primitives::Block<NoCall>;
type Receipt = synod_primitives::Receipt<(), ()>;

fn changes(pairs: &[(&str, Option<&str>)]) -> ChangeSet {
    pairs
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
        .collect()
}

/// Executes `c` on `view` as block `height` with the given parent; returns block + pending.
fn exec(view: &StateView, height: u64, parent: Hash, c: ChangeSet) -> (Block, Arc<PendingBlock>) {
    let (root, tree) = compute_state_root(view, &c, height).expect("root");
    let header = Header {
        height,
        parent,
        timestamp_ms: height,
        proposer: AccountId::default(),
        tx_root: Hash::ZERO,
        receipts_root: Hash::ZERO,
        state_root: root,
    };
    let block = Block {
        header,
        txs: vec![],
    };
    let pending = Arc::new(PendingBlock {
        hash: block.hash(),
        height,
        state_root: root,
        changes: c,
        tree,
    });
    (block, pending)
}

fn commit(store: &Store, block: &Block, pending: &PendingBlock) {
    store
        .commit_block(BlockCommit {
            block,
            pending,
            receipts: &[] as &[Receipt],
            finalization: b"cert",
        })
        .expect("commit");
}

#[test]
fn pending_chain_reads_and_roots_match_committed() {
    let store = Store::in_memory().expect("db");
    let snap = Arc::new(store.snapshot().expect("snap"));
    let v0 = StateView::new(snap.clone(), vec![]);
    let (b0, p0) = exec(
        &v0,
        0,
        Hash::ZERO,
        changes(&[("a", Some("1")), ("b", Some("2"))]),
    );
    // Two uncommitted blocks on top of each other.
    let v1 = StateView::new(snap.clone(), vec![p0.clone()]);
    assert_eq!(v1.get(b"a").expect("read"), Some(b"1".to_vec()));
    let (b1, p1) = exec(&v1, 1, b0.hash(), changes(&[("a", None), ("c", Some("3"))]));
    let v2 = StateView::new(snap, vec![p0.clone(), p1.clone()]);
    assert_eq!(v2.get(b"a").expect("read"), None);
    assert_eq!(v2.get(b"c").expect("read"), Some(b"3".to_vec()));
    let (b2, p2) = exec(&v2, 2, b1.hash(), changes(&[("b", Some("20"))]));

    commit(&store, &b0, &p0);
    commit(&store, &b1, &p1);
    commit(&store, &b2, &p2);
    let snap = store.snapshot().expect("snap");
    assert_eq!(snap.height(), Some(2));
    assert_eq!(snap.state_root(), Some(p2.state_root));
    assert_eq!(snap.get(b"a").expect("read"), None);
    assert_eq!(snap.get(b"b").expect("read"), Some(b"20".to_vec()));

    // Recomputing block 2 from the committed state of block 1 gives the same root.
    let store2 = Store::in_memory().expect("db");
    commit(&store2, &b0, &p0);
    commit(&store2, &b1, &p1);
    let v = StateView::new(Arc::new(store2.snapshot().expect("snap")), vec![]);
    let (_, p2b) = exec(&v, 2, b1.hash(), changes(&[("b", Some("20"))]));
    assert_eq!(p2b.state_root, p2.state_root);
}

#[test]
fn proofs_of_presence_absence_and_history_verify_and_tampering_fails() {
    let store = Store::in_memory().expect("db");
    let snap = Arc::new(store.snapshot().expect("snap"));
    let (b0, p0) = exec(
        &StateView::new(snap, vec![]),
        0,
        Hash::ZERO,
        changes(&[("k", Some("old"))]),
    );
    commit(&store, &b0, &p0);
    let snap = Arc::new(store.snapshot().expect("snap"));
    let (b1, p1) = exec(
        &StateView::new(snap, vec![]),
        1,
        b0.hash(),
        changes(&[("k", Some("new"))]),
    );
    commit(&store, &b1, &p1);
    let snap = store.snapshot().expect("snap");

    let now = snap.prove(b"k", 1).expect("prove");
    assert_eq!(now.value.as_deref(), Some(&b"new"[..]));
    now.verify(&b1.header.state_root).expect("valid at 1");
    assert!(now.verify(&b0.header.state_root).is_err(), "wrong root");

    let then = snap.prove(b"k", 0).expect("prove");
    assert_eq!(then.value.as_deref(), Some(&b"old"[..]));
    then.verify(&b0.header.state_root).expect("valid at 0");

    let absent = snap.prove(b"missing", 1).expect("prove");
    assert_eq!(absent.value, None);
    absent
        .verify(&b1.header.state_root)
        .expect("absence verifies");

    let mut forged = now.clone();
    forged.value = Some(b"forged".to_vec());
    assert!(forged.verify(&b1.header.state_root).is_err());
    let mut forged = absent;
    forged.value = Some(b"x".to_vec());
    assert!(forged.verify(&b1.header.state_root).is_err());

    let bytes = now.to_bytes();
    let back = synod_storage::StateProof::from_bytes(&bytes).expect("decode");
    back.verify(&b1.header.state_root).expect("round trip");
    assert!(synod_storage::StateProof::from_bytes(&bytes[..bytes.len() / 2]).is_err());
}

#[test]
fn the_state_after_any_committed_block_can_be_read_back() {
    let store = Store::in_memory().expect("db");
    let blocks: [&[(&str, Option<&str>)]; 4] = [
        &[("a", Some("a0")), ("b", Some("b0"))],
        &[("a", Some("a1"))],
        &[("b", None), ("c", Some("c2"))],
        &[("b", Some("b3"))],
    ];
    let mut parent = Hash::ZERO;
    for (h, c) in blocks.iter().enumerate() {
        let view = StateView::new(Arc::new(store.snapshot().expect("snap")), vec![]);
        let (b, p) = exec(&view, h as u64, parent, changes(c));
        commit(&store, &b, &p);
        parent = b.hash();
    }
    let snap = store.snapshot().expect("snap");
    let read = |h: u64, k: &str| {
        snap.at(h)
            .expect("committed")
            .get(k.as_bytes())
            .expect("read")
            .map(|v| String::from_utf8(v).expect("utf8"))
    };
    let expected: [[Option<&str>; 3]; 4] = [
        [Some("a0"), Some("b0"), None],
        [Some("a1"), Some("b0"), None],
        [Some("a1"), None, Some("c2")],
        [Some("a1"), Some("b3"), Some("c2")],
    ];
    for (h, row) in expected.iter().enumerate() {
        for (k, want) in ["a", "b", "c"].iter().zip(row) {
            assert_eq!(read(h as u64, k).as_deref(), *want, "key {k} at block {h}");
        }
    }
    // The newest height reads the same as the live state.
    for k in ["a", "b", "c", "missing"] {
        assert_eq!(
            snap.at(3).expect("head").get(k.as_bytes()).expect("read"),
            snap.get(k.as_bytes()).expect("read")
        );
    }
    let err = snap.at(4).err().expect("not committed");
    assert!(
        err.to_string().contains("block 4 is not committed"),
        "{err}"
    );
}

#[test]
fn out_of_order_commit_is_refused_and_leaves_no_trace() {
    let store = Store::in_memory().expect("db");
    let snap = Arc::new(store.snapshot().expect("snap"));
    let (b0, p0) = exec(
        &StateView::new(snap.clone(), vec![]),
        0,
        Hash::ZERO,
        changes(&[("a", Some("1"))]),
    );
    let (b5, p5) = exec(
        &StateView::new(snap, vec![]),
        5,
        Hash::ZERO,
        changes(&[("z", Some("1"))]),
    );
    assert!(
        store
            .commit_block(BlockCommit {
                block: &b5,
                pending: &p5,
                receipts: &[] as &[Receipt],
                finalization: &[]
            })
            .is_err()
    );
    let snap = store.snapshot().expect("snap");
    assert_eq!(snap.height(), None);
    assert_eq!(snap.get(b"z").expect("read"), None);
    commit(&store, &b0, &p0);
    assert!(
        store
            .commit_block(BlockCommit {
                block: &b0,
                pending: &p0,
                receipts: &[] as &[Receipt],
                finalization: &[]
            })
            .is_err(),
        "same height twice"
    );
}

#[test]
fn empty_block_keeps_root_and_data_survives_reopen() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("chain.redb");
    let (root0, hash1);
    {
        let store = Store::open(&path).expect("open");
        let snap = Arc::new(store.snapshot().expect("snap"));
        let (b0, p0) = exec(
            &StateView::new(snap, vec![]),
            0,
            Hash::ZERO,
            changes(&[("a", Some("1"))]),
        );
        commit(&store, &b0, &p0);
        let snap = Arc::new(store.snapshot().expect("snap"));
        let (b1, p1) = exec(
            &StateView::new(snap, vec![]),
            1,
            b0.hash(),
            ChangeSet::new(),
        );
        assert_eq!(p1.state_root, p0.state_root, "no writes, same root");
        commit(&store, &b1, &p1);
        root0 = p0.state_root;
        hash1 = b1.hash();
    }
    let store = Store::open(&path).expect("reopen");
    let snap = store.snapshot().expect("snap");
    assert_eq!(snap.height(), Some(1));
    assert_eq!(snap.head_hash(), Some(hash1));
    assert_eq!(snap.block_height(&hash1).expect("idx"), Some(1));
    assert_eq!(snap.finalization(1).expect("cert"), Some(b"cert".to_vec()));
    snap.prove(b"a", 1)
        .expect("prove")
        .verify(&root0)
        .expect("verifies");
}
