"""Subnet helpers and the metagraph against a real devnet: a subnet is created and started,
two neurons register, one serves an axon; the metagraph shows them with arrays of one length
and the axon; weights with commit–reveal are committed, survive a restart (a new helper
reading the saved salt) and are revealed, and the chain records them; staking with slippage
protection goes through, and an impossible tolerance is refused with the chain's kind."""

from __future__ import annotations

import asyncio
import json
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from synod import Client, Keypair, calls
from synod.aio import AsyncClient
from synod.errors import NotFound, RevealWindowMissed, TransactionFailed
from synod.metagraph import Metagraph
from synod.primitives import UNIT
from synod.subnet import Subnet

from conftest import Devnet

pytestmark = pytest.mark.devnet

FUNDER = Keypair.dev("ferdie")
TEMPO = 10


@dataclass
class Net:
    subnet: Subnet
    state_dir: Path
    owner: Keypair
    vhot: Keypair
    miners: list[tuple[Keypair, Keypair]]  # (coldkey, hotkey)
    staker: Keypair


@pytest.fixture(scope="module")
def net(devnet: Devnet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    """A subnet owned by a fresh coldkey, tempo 10 (2.5 s epochs), commit–reveal on (the
    default), no weights rate limit, started, with two registered miners; the first serves
    an axon."""
    state_dir = tmp_path_factory.mktemp("sdk-state")
    owner, vhot, staker = Keypair.generate(), Keypair.generate(), Keypair.generate()
    miners = [(Keypair.generate(), Keypair.generate()) for _ in range(2)]
    with Client(devnet.url) as c:
        for key, amount in ((owner, 1_100), (staker, 1_000), *((m, 20) for m, _ in miners)):
            c.submit(calls.transfer(key.account, amount * UNIT), FUNDER)
        sn = Subnet.create(c, owner, vhot, state_dir=state_dir, poll=0.1)
        sn.set_hyperparameter(owner, "tempo", TEMPO)
        sn.set_hyperparameter(owner, "weights_rate_limit", 0)
        sn.start(owner)
        for cold, hot in miners:
            sn.register(cold, hot)
        sn.serve_axon(miners[0][0], "10.0.0.7", 8091, hotkey=miners[0][1].account, version=3)
        yield Net(sn, state_dir, owner, vhot, miners, staker)


def test_the_subnet_is_created_started_and_neurons_register(net: Net, client: Client) -> None:
    sn = net.subnet
    info = sn.info()
    assert info["owner_coldkey"] == net.owner.account.hex0x
    assert info["owner_hotkey"] == net.vhot.account.hex0x
    assert info["start_block"] is not None and info["tempo"] == TEMPO and info["n"] == 3
    assert sn.hyperparams()["commit_reveal_enabled"] is True
    # UID lookup by hotkey: the owner hotkey is UID 0, the miners 1 and 2.
    assert sn.uid(net.vhot) == 0
    assert [sn.uid(hot.account) for _, hot in net.miners] == [1, 2]
    assert sn.uid(Keypair.generate()) is None
    # Registering again sends nothing and answers the UID.
    again = sn.register(*net.miners[1])
    assert again.uid == 2 and again.receipt is None
    # A hotkey the chain saw bound to its coldkey.
    assert client.get_account(net.miners[0][1].account).hotkey_owner == net.miners[0][0].account


def test_the_metagraph_shows_the_neurons_and_the_axon(net: Net, client: Client) -> None:
    sn = net.subnet
    mg = sn.metagraph()
    assert mg.netuid == sn.netuid and mg.n == 3 and len(mg) == 3
    assert mg.block <= client.heads().finalized_height
    for name in (
        "uids", "hotkeys", "coldkeys", "stake", "alpha_stake", "root_stake", "ranks",
        "consensus", "incentive", "dividends", "validator_trust", "emission", "active",
        "validator_permit", "last_update", "block_at_registration", "axons", "S", "R", "C",
        "I", "D", "Tv", "E",
    ):  # fmt: skip
        assert len(getattr(mg, name)) == 3, name
    assert mg.weights.shape == mg.bonds.shape == mg.W.shape == mg.B.shape == (3, 3)
    assert mg.stake.dtype == np.uint64 and mg.consensus.dtype == np.uint16
    assert list(mg.uids) == [0, 1, 2]
    assert mg.hotkeys == [net.vhot.account, *(hot.account for _, hot in net.miners)]
    assert mg.coldkeys == [net.owner.account, *(cold.account for cold, _ in net.miners)]
    for uid, hotkey in enumerate(mg.hotkeys):  # the state read agrees with the metagraph
        assert mg.uid_of(hotkey) == uid == sn.uid(hotkey)
    axon = mg.axons[1]
    assert axon is not None and mg.axons[0] is None and mg.axons[2] is None
    assert (str(axon.ip), axon.port, axon.ip_type, axon.version) == ("10.0.0.7", 8091, 4, 3)
    assert axon.url() == "http://10.0.0.7:8091"
    assert mg.neuron(1)["axon"] == axon and mg.neuron(1)["hotkey"] == net.miners[0][1].account
    assert mg.hyperparams["tempo"] == TEMPO and mg.subnet["netuid"] == sn.netuid

    async def fetch() -> Metagraph:
        async with AsyncClient(client.url) as node:
            return await Metagraph.fetch_async(node, sn.netuid)

    assert asyncio.run(fetch()).hotkeys == mg.hotkeys
    # Before the subnet was created there was nothing to read.
    with pytest.raises(NotFound, match="at block 1"):
        Metagraph(sn.netuid, block=1, client=client)
    with pytest.raises(NotFound):
        Metagraph(999, url=client.url)


def test_set_weights_with_commit_reveal_survives_a_restart(net: Net, devnet: Devnet) -> None:
    sn, uids = net.subnet, [1, 2]
    committed = sn.set_weights(
        net.owner, uids, [0.75, 0.25], hotkey=net.vhot.account, wait_for_reveal=False
    )
    assert committed.status == "committed" and committed.receipt is not None
    (event,) = committed.receipt.events_of("subnet", "weights_committed")
    pending = committed.pending
    assert pending is not None and pending.commit_epoch is not None
    assert event["commit_hash"] == pending.commit_hash and event["uid"] == 0
    # The salt is on disk, private.
    assert pending.path is not None and pending.path.is_file()
    assert stat.S_IMODE(pending.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(pending.path.parent.stat().st_mode) == 0o700
    saved = json.loads(pending.path.read_text())
    assert len(bytes.fromhex(saved["salt"])) == 32 and saved["values"] == [65_535, 21_845]

    # "Restart": a new client and helper over the same state directory.
    with Client(devnet.url) as fresh:
        later = Subnet(fresh, sn.netuid, state_dir=net.state_dir, poll=0.1)
        assert [p.commit_hash for p in later.pending_commits()] == [pending.commit_hash]
        # A signer that may not act for the validator's hotkey leaves its commit alone.
        assert later.reveal_pending(net.miners[0][0], wait=False) == []
        assert pending.path.exists()
        (revealed,) = later.reveal_pending(net.owner, timeout=60)
        assert revealed.status == "revealed" and revealed.receipt is not None
        assert revealed.receipt.events_of("subnet", "weights_set") == [
            {"type": "subnet", "event": "weights_set", "netuid": sn.netuid, "uid": 0}
        ]
        assert later.pending_commits() == [] and not pending.path.exists()
        mg = later.metagraph()
    assert mg.weight_rows[0] == [(1, 65_535), (2, 21_845)]
    assert list(mg.weights[0]) == [0, 65_535, 21_845]
    assert mg.W[0].tolist() == pytest.approx([0.0, 0.75, 0.25], abs=1e-4)


def test_a_crash_right_after_sending_the_commit_still_reveals(
    net: Net, devnet: Devnet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies after the commit was sent, before its receipt: the file holds the
    salt and the transaction hash but not the commit's epoch; the next helper finds the
    commit on chain and reveals it."""

    class Crash(Exception):
        pass

    def crash(*_: object, **__: object) -> None:
        raise Crash

    with Client(devnet.url) as c:
        dying = Subnet(c, net.subnet.netuid, state_dir=net.state_dir, poll=0.1)
        monkeypatch.setattr(dying, "_settle_commit", crash)
        with pytest.raises(Crash):
            dying.set_weights(net.owner, [1, 2], [1, 5], hotkey=net.vhot.account)
        (left,) = dying.pending_commits()
        assert left.commit_epoch is None and left.tx_hash
    with Client(devnet.url) as c:
        later = Subnet(c, net.subnet.netuid, state_dir=net.state_dir, poll=0.1)
        (revealed,) = later.reveal_pending(net.owner, timeout=60)
        assert revealed.status == "revealed" and later.pending_commits() == []
        assert later.metagraph().weight_rows[0] == [(1, 13_107), (2, 65_535)]


def test_set_weights_commits_and_reveals_by_itself(net: Net) -> None:
    sn = net.subnet
    result = sn.set_weights(net.owner, np.array([2, 1]), np.array([3, 1]), hotkey=net.vhot.account)
    assert result.status == "revealed"
    assert result.commit_receipt is not None and result.receipt is not None
    assert result.receipt.height > result.commit_receipt.height
    assert sn.pending_commits() == []
    assert sn.metagraph().weight_rows[0] == [(1, 21_845), (2, 65_535)]


def test_a_reveal_after_its_window_is_refused_and_dropped(net: Net) -> None:
    sn = net.subnet
    committed = sn.set_weights(net.owner, [1], [1], hotkey=net.vhot.account, wait_for_reveal=False)
    assert committed.pending is not None and committed.pending.commit_epoch is not None
    due = committed.pending.commit_epoch + sn.hyperparams()["reveal_period_epochs"]
    deadline = time.monotonic() + 60
    while sn.info()["epoch_index"] <= due:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    with pytest.raises(RevealWindowMissed) as e:
        sn.reveal_pending(net.owner, wait=False)
    assert e.value.reveal_epoch == due and e.value.current_epoch > due
    assert sn.pending_commits() == []


def test_set_weights_directly_when_commit_reveal_is_off(net: Net) -> None:
    sn = net.subnet
    sn.set_hyperparameter(net.owner, "commit_reveal_enabled", False)
    try:
        result = sn.set_weights(net.owner, [1, 2], [10, 30], hotkey=net.vhot.account)
        assert result.status == "set" and result.commit_receipt is None
        assert result.receipt is not None
        assert result.receipt.events_of("subnet", "weights_set") != []
        assert sn.metagraph().weight_rows[0] == [(1, 21_845), (2, 65_535)]
    finally:
        sn.set_hyperparameter(net.owner, "commit_reveal_enabled", True)


def test_stake_with_slippage_protection(net: Net, client: Client) -> None:
    sn, hotkey = net.subnet, net.vhot.account
    quote = sn.quote_add_stake(10 * UNIT)
    assert quote.node_quote is not None and quote.node_quote.amount_in == 10 * UNIT
    # The limit is the node's spot price moved by the tolerance, as `synod stake add` sends.
    assert quote.limit_price == quote.price * 1_050_000_000 // 1_000_000_000
    assert quote.within_limit and quote.expected > 0

    staked = sn.add_stake(net.staker, hotkey, 10 * UNIT)  # 5 % by default
    assert staked.tao == 10 * UNIT and staked.alpha > 0
    (call,) = [
        t.call
        for t in (client.get_block(staked.receipt.height) or pytest.fail("no block")).transactions
        if t.hash == staked.receipt.tx_hash
    ]
    assert call["limit_price"] == staked.limit_price and call["allow_partial"] is False
    held = sn.stake_of(net.staker.account, hotkey)
    # The position is shares of the hotkey's pool: its value rounds down by a few units.
    assert staked.alpha - 10 <= held <= staked.alpha

    # No tolerance at all: any purchase moves the price past the limit; the chain refuses.
    with pytest.raises(TransactionFailed) as e:
        sn.add_stake(net.staker, hotkey, 10 * UNIT, tolerance=0)
    assert e.value.reason == "subnet" and e.value.kind == "price_limit_exceeded"
    assert sn.stake_of(net.staker.account, hotkey) == held

    # A tight tolerance with allow_partial fills only what stays within the limit.
    partial = sn.add_stake(net.staker, hotkey, 500 * UNIT, tolerance=0.001, allow_partial=True)
    assert 0 < partial.tao < 500 * UNIT

    back = sn.remove_stake(net.staker, hotkey, held // 2)
    assert back.alpha == held // 2 and back.tao > 0 and back.limit_price is not None
