"""The subnet helpers and the metagraph without a node: weight conversion, the pool math and
limit prices, the commit files, the chain's commit records, and the metagraph's arrays."""

from __future__ import annotations

import ipaddress
import json
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synod.borsh import Writer
from synod.errors import (
    CommitRevealError,
    RevealWindowMissed,
    SlowConsumer,
    SubscriptionClosed,
    SynodError,
    Unsupported,
)
from synod.keys import Keypair
from synod.metagraph import AxonInfo, Metagraph
from synod.primitives import Hash
from synod.subnet import (
    CommitStore,
    PendingCommit,
    _commits_key,
    _decode_commits,
    _uid_key,
    quote_buy,
    quote_sell,
    to_u16_weights,
)

# ---- weights ------------------------------------------------------------------------------


def test_integer_weights_are_kept_and_floats_max_upscaled_as_the_chain_does() -> None:
    assert to_u16_weights([1, 2, 4]) == [1, 2, 4]
    assert to_u16_weights(np.array([7, 0], dtype=np.uint16)) == [7, 0]
    # weights.rs `max_upscale`: ((v * 65535 + max/2) / max), the largest → 65535.
    assert to_u16_weights([0.25, 0.5, 1.0]) == [16_384, 32_768, 65_535]
    assert to_u16_weights(np.array([0.75, 0.25])) == [65_535, 21_845]
    assert to_u16_weights([0.0, 0.0]) == [0, 0]
    for bad in ([-1], [70_000], [float("nan")], [-0.5, 1.0], [float("inf")]):
        with pytest.raises(ValueError):
            to_u16_weights(bad)


# ---- pool math ----------------------------------------------------------------------------


def test_buy_quote_and_limit_price() -> None:
    tao, alpha = 1_000 * 10**9, 1_000 * 10**9  # price exactly 1.0
    q = quote_buy(1, tao, alpha, 10 * 10**9)
    assert q.side == "add" and q.price == 10**9
    assert q.expected == alpha * 10 * 10**9 // (tao + 10 * 10**9)  # 9.900990099 alpha
    assert q.limit_price == 1_050_000_000  # 5 % above
    assert q.price_after == (tao + q.amount) * 10**9 // (alpha - q.expected)
    assert q.within_limit
    # A purchase that moves the price by more than the tolerance is outside the limit.
    assert not quote_buy(1, tao, alpha, 100 * 10**9).within_limit
    # No tolerance: any purchase crosses the limit (the chain refuses it).
    zero = quote_buy(1, tao, alpha, 10**9, tolerance=0)
    assert zero.limit_price == 10**9 and not zero.within_limit
    assert quote_buy(1, tao, alpha, 10**9, tolerance=None).limit_price is None
    # The limit never exceeds price × (1 + tolerance): floored.
    odd = quote_buy(1, 3 * 10**9, 7 * 10**9, 10**6, tolerance=0.05)
    assert odd.limit_price == 3 * 10**9 * 1_050_000_000 // (7 * 10**9)
    with pytest.raises(ValueError):
        quote_buy(1, tao, alpha, 1, tolerance=-0.1)


def test_sell_quote_and_limit_price() -> None:
    tao, alpha = 2_000 * 10**9, 1_000 * 10**9  # price 2.0
    q = quote_sell(1, tao, alpha, 10 * 10**9)
    assert q.side == "remove" and q.price == 2 * 10**9
    assert q.expected == tao * 10 * 10**9 // (alpha + 10 * 10**9)
    assert q.limit_price == 1_900_000_000 and q.within_limit
    assert not quote_sell(1, tao, alpha, 100 * 10**9).within_limit
    # Rounded up, so the limit is never below price × (1 − tolerance).
    odd = quote_sell(1, 10**9, 3 * 10**9, 10**6, tolerance=0.05)
    assert odd.limit_price == -(-(10**9) * 950_000_000 // (3 * 10**9))
    assert quote_sell(1, tao, alpha, 1, tolerance=2.0).limit_price == 0


# ---- commit files and the chain's records -------------------------------------------------


def _pending(netuid: int = 1, created: int = 1) -> PendingCommit:
    return PendingCommit(
        chain_id="synod-dev",
        genesis_hash="0x" + "ab" * 32,
        netuid=netuid,
        hotkey="0x" + "11" * 32,
        uids=[1, 2],
        values=[65_535, 21_845],
        salt="cd" * 32,
        version_key=0,
        commit_hash="0x" + f"{netuid:02x}" * 32,
        tx_hash="0x" + "22" * 32,
        created_ms=created,
    )


def test_the_commit_store_keeps_salts_privately_per_chain(tmp_path: Path) -> None:
    store = CommitStore(tmp_path / "state")
    a, b = _pending(1, created=2), _pending(2, created=1)
    path = store.save(a)
    store.save(b)
    assert path.parent == tmp_path / "state" / "weights" / ("ab" * 32)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for d in (tmp_path / "state", tmp_path / "state" / "weights", path.parent):
        assert stat.S_IMODE(d.stat().st_mode) == 0o700
    assert json.loads(path.read_text())["salt"] == "cd" * 32
    assert [p.netuid for p in store.load(a.genesis_hash)] == [2, 1]  # oldest first
    assert store.load(a.genesis_hash, netuid=1) == [a]
    assert store.load("0x" + "00" * 32) == []
    a.commit_epoch, a.commit_block = 7, 123
    store.save(a)  # rewritten in place
    (again,) = store.load(a.genesis_hash, netuid=1)
    assert (again.commit_epoch, again.commit_block, again.salt_bytes) == (7, 123, b"\xcd" * 32)
    store.remove(again)
    assert store.load(a.genesis_hash, netuid=1) == [] and not list(path.parent.glob(".tmp-*"))


def test_the_chain_records_read_through_getstatevalue() -> None:
    hotkey = Keypair.dev("alice").account
    assert _uid_key(3, hotkey) == b"subnets/uid/\x00\x03" + bytes(hotkey)
    assert _commits_key(258, hotkey) == b"subnets/commits/\x01\x02" + bytes(hotkey)
    w = Writer()
    w.u32(2)
    for i in range(2):
        w.raw(bytes([i]) * 32)
        w.u64(100 + i)
        w.u64(5 + i)
    commits = _decode_commits(w.to_bytes())
    assert [(c.hash, c.block, c.epoch) for c in commits] == [
        (Hash(b"\x00" * 32), 100, 5),
        (Hash(b"\x01" * 32), 101, 6),
    ]
    assert _decode_commits(b"\x00\x00\x00\x00") == []


def test_errors_are_typed() -> None:
    slow = SlowConsumer("synod_subscribeEvents", "subscription closed: slow consumer (…)")
    assert isinstance(slow, SubscriptionClosed) and isinstance(slow, SynodError)
    assert not slow.connection_lost and "slow consumer" in str(slow)
    missed = RevealWindowMissed("0xab", 5, 6)
    assert isinstance(missed, CommitRevealError) and missed.reveal_epoch == 5
    assert issubclass(Unsupported, SynodError)


# ---- metagraph ----------------------------------------------------------------------------


def _metagraph_json(block: int = 50) -> dict[str, Any]:
    hk = [Keypair.dev(n).account.hex0x for n in ("alice", "bob", "charlie")]
    return {
        "netuid": 4,
        "block": block,
        "n": 3,
        "subnet": {"netuid": 4, "tempo": 10},
        "blocks_since_last_step": 3,
        "epoch_block": 47,
        "hyperparams": {"tempo": 10},
        "uids": [0, 1, 2],
        "hotkeys": hk,
        "coldkeys": [hk[0], None, hk[2]],
        "alpha_stake": [5 * 10**9, 0, 1],
        "root_stake": [0, 0, 0],
        "total_stake": [5 * 10**9, 0, 1],
        "stake_weight": [65_535, 0, 0],
        "active": [True, False, True],
        "consensus": [0, 32_768, 65_535],
        "incentive": [0, 21_845, 43_690],
        "dividends": [65_535, 0, 0],
        "validator_trust": [65_535, 0, 0],
        "emission": [10, 20, 30],
        "validator_permit": [True, False, False],
        "last_update": [45, 46, 47],
        "block_at_registration": [1, 2, 3],
        "axons": [
            None,
            {
                "ip": "167772167",
                "ip_type": 4,
                "port": 8091,
                "protocol": 4,
                "version": 1,
                "block": 9,
            },
            {
                "ip": str(int(ipaddress.IPv6Address("2001:db8::1"))),
                "ip_type": 6,
                "port": 443,
                "protocol": 0,
                "version": 0,
                "block": 10,
            },
        ],
        "weights": [[[1, 65_535], [2, 21_845]], [], []],
        "bonds": [[[2, 100]], [], []],
    }


def test_the_metagraph_from_json() -> None:
    mg = Metagraph.from_json(_metagraph_json())
    assert (mg.netuid, mg.block, mg.n, mg.epoch_block) == (4, 50, 3, 47)
    assert mg.stake.dtype == np.uint64 and list(mg.stake) == [5 * 10**9, 0, 1]
    assert mg.S.tolist() == [5.0, 0.0, 1e-9]
    assert list(mg.ranks) == list(mg.incentive) and mg.R.tolist() == mg.I.tolist()
    assert mg.C.tolist() == pytest.approx([0.0, 0.5, 1.0], abs=1e-4)
    assert mg.weights.tolist() == [[0, 65_535, 21_845], [0, 0, 0], [0, 0, 0]]
    assert mg.W[0].tolist() == pytest.approx([0.0, 0.75, 0.25]) and mg.W[1].tolist() == [0, 0, 0]
    assert mg.bonds[0, 2] == 100 and mg.B[0, 2] == pytest.approx(100 / 65_535)
    assert mg.coldkeys[1] is None and mg.uid_of(Keypair.dev("charlie").account) == 2
    assert mg.uid_of(Keypair.dev("dave").account) is None
    v4, v6 = mg.axons[1], mg.axons[2]
    assert isinstance(v4, AxonInfo) and v4.address == "10.0.0.7:8091" and v4.ip_type == 4
    assert isinstance(v6, AxonInfo) and v6.url("https") == "https://[2001:db8::1]:443"
    n1 = mg.neuron(1)
    assert n1["axon"] == v4 and n1["consensus"] == 32_768 and n1["rank"] == 21_845
    assert n1["active"] is False and n1["weights"] == []
    with pytest.raises(IndexError):
        mg.neuron(3)


def test_a_metagraph_at_another_block_is_unsupported_and_bad_lengths_refused() -> None:
    mg = Metagraph.__new__(Metagraph)
    mg._load(_metagraph_json(block=50), 50)  # the block the node answered at: fine
    with pytest.raises(Unsupported):
        mg._load(_metagraph_json(block=50), 49)
    bad = _metagraph_json()
    bad["incentive"] = [0, 0]
    with pytest.raises(ValueError, match="incentive"):
        Metagraph.from_json(bad)
