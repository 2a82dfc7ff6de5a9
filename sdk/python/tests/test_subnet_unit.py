"""The subnet helpers and the metagraph without a node: weight conversion, the pool math and
limit prices, the commit files, the typed answers of the subnets_* methods, identities as the
chain checks them, the hotkey swap's proof, and the metagraph's arrays."""

from __future__ import annotations

import ipaddress
import json
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from synod.calls import decode_call, encode_call
from synod.errors import (
    CommitRevealError,
    InvalidIdentity,
    RevealWindowMissed,
    SlowConsumer,
    SubscriptionClosed,
    SynodError,
)
from synod.keys import Keypair, verify
from synod.metagraph import AxonInfo, Metagraph
from synod.modules import bank
from synod.modules import subnets as calls
from synod.primitives import Hash
from synod.subnet import (
    CommitStore,
    Identity,
    PendingCommit,
    _buy_limit,
    _sell_limit,
    quote_buy,
    quote_sell,
    to_u16_weights,
)
from synod.types import StakePosition, SwapQuote, WeightCommit

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
    # subnets_quote's spot output and impact: amount at the spot price, and the share lost.
    assert q.expected_at_spot == 10 * 10**9
    assert q.slippage_ppm == (q.expected_at_spot - q.expected) * 10**6 // q.expected_at_spot


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
    assert q.expected_at_spot == 20 * 10**9 and 0 < q.slippage_ppm < 10**6


def test_limits_from_the_nodes_spot_price_as_the_cli_computes_them() -> None:
    # As `synod stake add|remove`: price × (1 ± tolerance), a buy limit floored, a sell one
    # rounded up.
    assert _buy_limit(10**9, 0.05) == 1_050_000_000
    assert _buy_limit(3, 0.05) == 3  # 3.15 floored: never above the tolerance
    assert _sell_limit(3, 0.05) == 3  # 2.85 rounded up: never below it
    assert _sell_limit(2 * 10**9, 0.05) == 1_900_000_000
    assert _buy_limit(10**9, 0) == 10**9 and _sell_limit(10**9, 2.0) == 0
    assert _buy_limit((1 << 64) - 1, 0.5) == (1 << 64) - 1


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


def test_the_typed_answers_of_the_subnets_methods() -> None:
    hk, ck = Keypair.dev("alice").account, Keypair.dev("bob").account
    c = WeightCommit.from_json(
        {
            "hash": "0x" + "01" * 32,
            "block": 101,
            "epoch": 6,
            "reveal_epoch": 7,
            "current_epoch": 6,
            "next_epoch_block": 110,
            "status": "waiting",
        }
    )
    assert (c.hash, c.block, c.epoch, c.reveal_epoch, c.status) == (
        Hash(b"\x01" * 32),
        101,
        6,
        7,
        "waiting",
    )
    with pytest.raises(ValueError):
        WeightCommit.from_json({**c.__dict__, "hash": c.hash.hex0x, "status": "late"})
    q = SwapQuote.from_json(
        {
            "netuid": 1,
            "side": "stake",
            "amount_in": 10,
            "amount_out": 9,
            "amount_out_at_spot": 10,
            "price_before": 10**9,
            "price_after": 10**9 + 2,
            "slippage_ppm": 100_000,
        }
    )
    assert q.side == "stake" and q.amount_out == 9 and q.slippage_ppm == 100_000
    p = StakePosition.from_json(
        {
            "coldkey": ck.hex0x,
            "hotkey": hk.hex0x,
            "netuid": 0,
            "alpha": 5,
            "shares": 5,
            "tao_value": 5,
        }
    )
    assert (p.coldkey, p.hotkey, p.netuid, p.alpha) == (ck, hk, 0, 5)


# ---- identities and the hotkey swap ---------------------------------------------------------


def test_identities_are_checked_as_the_chain_checks_them() -> None:
    """The cases of ``identity.rs``'s ``identities_are_checked``, with the same reasons."""
    Identity("Synod Labs", "https://example.org", "we validate").check()
    Identity("x", "", "multi\nline\ndescription").check()
    Identity("n" * 64, "http://" + "u" * 249, "d" * 1024).check()
    for bad, why in [
        (Identity("", "", ""), "empty"),
        (Identity("   ", "", ""), "empty"),
        (Identity("n" * 65, "", ""), "at most 64"),
        (Identity("é" * 33, "", ""), "66 bytes; at most 64"),
        (Identity("a", "ftp://x", ""), "http"),
        (Identity("a", "example.org", ""), "http"),
        (Identity("a", "https://x\n", ""), "one line"),
        (Identity("a\nb", "", ""), "one line"),
        (Identity("a\x07", "", ""), "control"),
        (Identity("a", "", "tab\there"), "control"),
        (Identity("a", "", "d" * 1025), "at most 1024"),
    ]:
        with pytest.raises(InvalidIdentity) as e:
            bad.check()
        assert why in e.value.detail, (bad, e.value.detail)
        assert isinstance(e.value, ValueError) and isinstance(e.value, SynodError)
    # The builders check before anything is signed.
    with pytest.raises(InvalidIdentity, match="http"):
        calls.set_subnet_identity(1, {"name": "x", "url": "echo.example"})
    with pytest.raises(InvalidIdentity, match="unknown field"):
        calls.set_hotkey_identity("0x" + "07" * 32, {"name": "x", "website": "https://x"})
    with pytest.raises(InvalidIdentity, match="no name"):
        calls.set_hotkey_identity("0x" + "07" * 32, {"url": "https://x"})


def test_identity_calls_encode_as_the_golden_vectors() -> None:
    call = calls.set_subnet_identity(1, Identity("Text", "https://t.example", "answers"))
    assert call == {
        "type": "subnets",
        "call": "set_subnet_identity",
        "netuid": 1,
        "identity": {"name": "Text", "url": "https://t.example", "description": "answers"},
    }
    # call/subnets/set_subnet_identity of the runtime's golden file.
    assert encode_call(call).hex() == (
        "020e01000104000000546578741100000068747470733a2f2f742e6578616d706c6507000000616e7377657273"
    )
    cleared = calls.set_hotkey_identity("0x" + "07" * 32, None)
    assert encode_call(cleared).hex() == "020f" + "07" * 32 + "00"
    assert decode_call(encode_call(cleared)) == cleared
    assert Identity.from_json(call["identity"]) == Identity("Text", "https://t.example", "answers")


def test_a_hotkey_swap_carries_the_new_hotkeys_binding_proof() -> None:
    cold, old, new = (Keypair.dev(n) for n in ("alice", "bob", "charlie"))
    call = calls.swap_hotkey("synod-dev", cold.account, old.account, new)
    assert call["old_hotkey"] == old.account.hex0x and call["new_hotkey"] == new.account.hex0x
    message = bank.hotkey_binding_message("synod-dev", cold.account)
    assert verify(new.account, message, call["proof"])
    other_chain = bank.hotkey_binding_message("other", cold.account)
    assert not verify(new.account, other_chain, call["proof"])
    assert decode_call(encode_call(call)) == call


def test_errors_are_typed() -> None:
    slow = SlowConsumer("synod_subscribeEvents", "subscription closed: slow consumer (…)")
    assert isinstance(slow, SubscriptionClosed) and isinstance(slow, SynodError)
    assert not slow.connection_lost and "slow consumer" in str(slow)
    missed = RevealWindowMissed("0xab", 5, 6)
    assert isinstance(missed, CommitRevealError) and missed.reveal_epoch == 5
    assert issubclass(InvalidIdentity, SynodError)


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
        "identities": [
            None,
            {"name": "Miner B", "url": "https://b.example", "description": ""},
            None,
        ],
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


def test_identities_in_the_metagraph_and_bad_lengths_refused() -> None:
    mg = Metagraph.from_json(_metagraph_json())
    assert mg.identities == [None, Identity("Miner B", "https://b.example", ""), None]
    assert mg.neuron(1)["identity"] == mg.identities[1] and mg.subnet_identity is None
    j = _metagraph_json()
    j["subnet"] = {**j["subnet"], "identity": {"name": "S", "url": "", "description": "d"}}
    assert Metagraph.from_json(j).subnet_identity == Identity("S", "", "d")
    bad = _metagraph_json()
    bad["identities"] = [None]
    with pytest.raises(ValueError, match="identities"):
        Metagraph.from_json(bad)
    bad = _metagraph_json()
    bad["incentive"] = [0, 0]
    with pytest.raises(ValueError, match="incentive"):
        Metagraph.from_json(bad)
