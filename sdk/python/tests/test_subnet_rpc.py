"""The subnet module's new reads and calls against a devnet of their own (this module creates
a subnet, which raises the lock cost the session devnet's other tests pay):

- the metagraph, a hotkey's UID and stake positions after a past block: what the node says
  about block B later is what it said at B;
- a commit's status moving from ``waiting`` to ``revealable`` (``subnets_commits``);
- the node's stake quote against the chain's own pool math, and against what ``add_stake``
  then buys;
- identities of a subnet and of hotkeys in ``subnets_list``/``subnets_info``,
  ``subnets_rootValidators`` and the metagraph;
- a hotkey swap that keeps the UID and the weights and moves every stake position.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from synod import Client, Keypair, calls
from synod.aio import AsyncClient
from synod.errors import InvalidIdentity, NotFound, TransactionFailed
from synod.metagraph import Metagraph
from synod.primitives import UNIT
from synod.subnet import Identity, Subnet, quote_buy, set_hotkey_identity

from conftest import Devnet, running_devnet

pytestmark = pytest.mark.devnet

FUNDER = Keypair.dev("ferdie")
TEMPO = 10


@dataclass
class Net:
    client: Client
    subnet: Subnet
    owner: Keypair
    vhot: Keypair
    miners: list[tuple[Keypair, Keypair]]  # (coldkey, hotkey)
    staker: Keypair


@pytest.fixture(scope="module")
def chain(synod_bin: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    with running_devnet(synod_bin, tmp_path_factory.mktemp("subnet-rpc")) as net:
        yield net


@pytest.fixture(scope="module")
def net(chain: Devnet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    """A started subnet (tempo 10, no weights rate limit, commit–reveal on) with two miners."""
    owner, vhot, staker = Keypair.generate(), Keypair.generate(), Keypair.generate()
    miners = [(Keypair.generate(), Keypair.generate()) for _ in range(2)]
    with Client(chain.url) as c:
        lock = int(c.request("subnets_networkLockCost", []))
        for key, amount in ((owner, lock + 100 * UNIT), (staker, 1_000 * UNIT)):
            c.submit(calls.transfer(key.account, amount), FUNDER)
        for cold, _ in miners:
            c.submit(calls.transfer(cold.account, 20 * UNIT), FUNDER)
        sn = Subnet.create(c, owner, vhot, state_dir=tmp_path_factory.mktemp("state"), poll=0.1)
        sn.set_hyperparameter(owner, "tempo", TEMPO)
        sn.set_hyperparameter(owner, "weights_rate_limit", 0)
        sn.start(owner)
        for cold, hot in miners:
            sn.register(cold, hot)
        yield Net(c, sn, owner, vhot, miners, staker)


def wait_until(what: str, ok: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


def test_the_metagraph_uid_and_positions_after_a_past_block(net: Net) -> None:
    sn, c = net.subnet, net.client
    then = sn.metagraph()
    block = then.block
    assert then.n == 3
    cold, hot = Keypair.generate(), Keypair.generate()
    c.submit(calls.transfer(cold.account, 20 * UNIT), FUNDER)
    reg = sn.register(cold, hot)
    staked = sn.add_stake(net.staker, hot.account, 5 * UNIT)
    now = sn.metagraph()
    assert now.n == 4 and now.block > block and now.hotkeys[reg.uid] == hot.account
    # What the node says about block B now is what it said at B.
    past = Metagraph(sn.netuid, block=block, client=c)
    assert past.n == 3 and past.block == block
    assert past.raw == then.raw
    assert c.metagraph(sn.netuid, block).raw == then.raw

    async def fetch() -> Metagraph:
        async with AsyncClient(c.url) as node:
            assert await node.subnet_uid(sn.netuid, hot.account, block) is None
            return await Metagraph.fetch_async(node, sn.netuid, block)

    assert asyncio.run(fetch()).raw == then.raw
    # The UID: none at B, one now; both agree with the metagraphs.
    assert sn.uid(hot, block=block) is None and past.uid_of(hot.account) is None
    assert sn.uid(hot) == reg.uid == now.uid_of(hot.account)
    assert sn.uid(net.vhot, block=block) == 0
    # Stake positions: none before the stake, the stake's value after its block.
    assert sn.stake_positions(net.staker.account, block=block) == []
    after = staked.receipt.height
    (pos,) = c.stake_positions(net.staker.account, block=after)
    assert (pos.hotkey, pos.netuid, pos.coldkey) == (hot.account, sn.netuid, net.staker.account)
    assert staked.alpha - 10 <= pos.alpha <= staked.alpha and pos.shares > 0
    assert sn.stake_of(net.staker.account, hot.account, block=after - 1) == 0
    # A block the node has not committed is refused, saying so.
    head = c.heads().latest_height
    with pytest.raises(NotFound, match="not committed"):
        Metagraph(sn.netuid, block=head + 1_000, client=c)
    with pytest.raises(NotFound, match="not committed"):
        c.subnet_uid(sn.netuid, hot.account, head + 1_000)
    # A subnet that did not exist then.
    with pytest.raises(NotFound, match="at block 1"):
        sn.metagraph(block=1)


def test_a_commit_moves_from_waiting_to_revealable(net: Net) -> None:
    sn = net.subnet
    wait_until("the first epoch (validator permits)", lambda: sn.info()["epoch_index"] >= 1)
    committed = sn.set_weights(
        net.owner, [1, 2], [1, 1], hotkey=net.vhot.account, wait_for_reveal=False
    )
    pending = committed.pending
    assert pending is not None and pending.commit_epoch is not None
    (c,) = sn.chain_commits(net.vhot)
    period = sn.hyperparams()["reveal_period_epochs"]
    assert c.hash.hex0x == pending.commit_hash and c.block == pending.commit_block
    assert (c.epoch, c.reveal_epoch) == (pending.commit_epoch, pending.commit_epoch + period)
    assert c.status == "waiting" and c.current_epoch < c.reveal_epoch
    assert c.next_epoch_block > c.block
    wait_until("the reveal epoch", lambda: sn.chain_commits(net.vhot)[0].status == "revealable")
    (now,) = sn.chain_commits(net.vhot)
    assert now.current_epoch == now.reveal_epoch
    (revealed,) = sn.reveal_pending(net.owner, timeout=60)
    assert revealed.status == "revealed" and sn.chain_commits(net.vhot) == []
    assert sn.metagraph().weight_rows[0] == [(1, 65_535), (2, 65_535)]
    assert net.client.weight_commits(sn.netuid, Keypair.generate().account) == []
    # A commit file that never learnt its epoch (a crash) whose commit the chain no longer
    # lists (revealed meanwhile): the epoch is still found, from the state before its block.
    lost = dataclasses.replace(pending, commit_epoch=None, commit_block=None, path=None)
    sn._settle_commit(lost)
    assert (lost.commit_block, lost.commit_epoch) == (pending.commit_block, pending.commit_epoch)
    sn.commits.remove(lost)
    assert sn.pending_commits() == []


def _consistent_quote(sn: Subnet, amount: int) -> tuple[Any, dict[str, Any]]:
    """The node's quote with the pool it was made on: a quote read between two metagraph
    reads of the same block."""
    for _ in range(50):
        before = sn.client.subnet_metagraph_json(sn.netuid)
        q = sn.quote("stake", amount)
        after = sn.client.subnet_metagraph_json(sn.netuid)
        if before["block"] == after["block"]:
            return q, before["subnet"]["pool"]
    raise AssertionError("no quiet moment between two blocks")


def test_the_quote_is_the_chains_pool_math_and_what_add_stake_buys(net: Net) -> None:
    sn, c = net.subnet, net.client
    amount = 7 * UNIT
    q, pool = _consistent_quote(sn, amount)
    local = quote_buy(sn.netuid, pool["tao_reserve"], pool["alpha_reserve"], amount)
    assert (q.amount_out, q.price_before, q.price_after) == (
        local.expected,
        local.price,
        local.price_after,
    )
    assert (q.amount_out_at_spot, q.slippage_ppm) == (local.expected_at_spot, local.slippage_ppm)
    assert q.amount_in == amount and q.side == "stake" and 0 < q.slippage_ppm < 1_000_000
    unstake = sn.quote("unstake", UNIT)
    assert unstake.side == "unstake" and unstake.amount_out > 0

    staked = sn.add_stake(net.staker, net.vhot.account, amount, tolerance=None)
    assert staked.tao == amount
    # Exactly the pool math on the reserves the trade met: those after the block before it.
    before = Metagraph(sn.netuid, block=staked.receipt.height - 1, client=c).subnet["pool"]
    assert quote_buy(
        sn.netuid, before["tao_reserve"], before["alpha_reserve"], amount
    ).expected == (staked.alpha)
    # Against the quote made a few blocks earlier: when nothing moved the pool in between,
    # exactly what it said. Otherwise the blocks between only injected SYN and alpha at the
    # pool's price (a deeper pool: more alpha for the same SYN, up to rounding) and sold the
    # root share of their alpha (a lower price: more alpha again).
    if (before["tao_reserve"], before["alpha_reserve"]) == (
        pool["tao_reserve"],
        pool["alpha_reserve"],
    ):
        assert staked.alpha == q.amount_out
    else:
        assert q.amount_out - 1 <= staked.alpha <= q.amount_out + q.amount_out // 100, q

    # Root trades 1:1; a subnet that does not exist has no quote.
    root = c.stake_quote(0, "stake", UNIT)
    assert (root.amount_out, root.price_before, root.slippage_ppm) == (UNIT, UNIT, 0)
    with pytest.raises(Exception, match="no subnet"):
        c.stake_quote(999, "stake", UNIT)


def test_identities_in_lists_the_root_list_and_the_metagraph(net: Net) -> None:
    sn, c = net.subnet, net.client
    ident = Identity("Echo subnet", "https://echo.example", "echoes\nwhat it hears")
    receipt = sn.set_identity(net.owner, ident)
    (ev,) = receipt.events_of("subnet", "subnet_identity_set")
    assert ev["netuid"] == sn.netuid and ev["identity"] == ident.to_json()
    assert sn.identity() == ident
    (listed,) = [s for s in c.request("subnets_list", []) if s["netuid"] == sn.netuid]
    assert listed["identity"] == ident.to_json()
    assert sn.info()["identity"] == ident.to_json()

    val = Identity("Val One")
    r = set_hotkey_identity(c, net.owner, net.vhot, val)
    assert r.events_of("subnet", "hotkey_identity_set")[0]["identity"] == val.to_json()
    Subnet(c, 0).add_stake(net.staker, net.vhot.account, 3 * UNIT)  # root lists staked hotkeys
    (root,) = [
        v for v in c.request("subnets_rootValidators", []) if v["hotkey"] == net.vhot.account.hex0x
    ]
    assert root["identity"] == val.to_json()
    mg = sn.metagraph()
    assert mg.identities[0] == val and mg.subnet_identity == ident
    assert all(i is None for i in mg.identities[1:])
    assert mg.neuron(0)["identity"] == val

    # Checked here first; the chain refuses the same identity with the same reason.
    bad = {"name": "x", "url": "echo.example", "description": ""}
    with pytest.raises(InvalidIdentity, match="http"):
        sn.set_identity(net.owner, bad)
    raw = {"type": "subnets", "call": "set_subnet_identity", "netuid": sn.netuid, "identity": bad}
    with pytest.raises(TransactionFailed) as e:
        c.submit(raw, net.owner)
    assert e.value.kind == "invalid_identity" and "http" in e.value.failure["detail"]
    with pytest.raises(TransactionFailed) as e:
        sn.set_identity(net.miners[0][0], Identity("mine"))
    assert e.value.kind == "not_subnet_owner"
    with pytest.raises(TransactionFailed) as e:
        sn.set_hotkey_identity(net.miners[0][0], net.vhot, Identity("mine"))
    assert e.value.kind == "not_hotkey_owner"
    # Cleared with None.
    sn.set_identity(net.owner, None)
    assert sn.identity() is None and sn.metagraph().subnet_identity is None


def test_a_hotkey_swap_keeps_the_uid_and_moves_the_stake(net: Net) -> None:
    sn, c = net.subnet, net.client
    old = net.vhot
    sn.set_hyperparameter(net.owner, "commit_reveal_enabled", False)
    sn.set_weights(net.owner, [1, 2], [3, 1], hotkey=old.account)
    nominator = net.staker
    sn.add_stake(nominator, old.account, 4 * UNIT)
    before = sn.metagraph()
    uid = before.uid_of(old.account)
    assert uid == 0
    on_subnet = sn.stake_of(nominator.account, old.account)
    on_root = Subnet(c, 0).stake_of(nominator.account, old.account)
    own = sn.stake_of(net.owner.account, old.account)
    assert on_subnet > 0 and on_root > 0

    # Refusals: the new hotkey is registered already; the sender does not own the old one.
    with pytest.raises(TransactionFailed) as e:
        sn.swap_hotkey(net.owner, old, net.miners[0][1])
    assert e.value.kind == "hotkey_in_use"
    assert e.value.failure["hotkey"] == net.miners[0][1].account.hex0x
    with pytest.raises(TransactionFailed) as e:
        sn.swap_hotkey(net.miners[0][0], old, Keypair.generate())
    assert e.value.kind == "not_hotkey_owner"

    new = Keypair.generate()
    swap = sn.swap_hotkey(net.owner, old, new)
    assert (swap.old_hotkey, swap.new_hotkey, swap.coldkey) == (
        old.account,
        new.account,
        net.owner.account,
    )
    assert swap.netuids == [0, sn.netuid]
    after = sn.metagraph()
    assert after.n == before.n and after.hotkeys[uid] == new.account
    assert after.weight_rows[uid] == before.weight_rows[uid] == [(1, 65_535), (2, 21_845)]
    assert after.block_at_registration[uid] == before.block_at_registration[uid]
    assert after.subnet["owner_hotkey"] == new.account.hex0x
    assert after.identities[uid] == Identity("Val One")
    assert sn.uid(new) == uid and sn.uid(old) is None
    assert sn.uid(old, block=swap.receipt.height - 1) == uid  # the past is kept
    assert sn.stake_of(nominator.account, new.account) == on_subnet
    assert Subnet(c, 0).stake_of(nominator.account, new.account) == on_root
    assert sn.stake_of(net.owner.account, new.account) == own
    assert sn.stake_of(nominator.account, old.account) == 0
    assert {p.hotkey for p in c.stake_positions(nominator.account)} >= {new.account}
    assert old.account not in {p.hotkey for p in c.stake_positions(nominator.account)}
    assert c.get_account(new.account).hotkey_owner == net.owner.account
    assert c.get_account(old.account).hotkey_owner is None
    # The new hotkey acts for the UID from now on.
    sn.set_weights(net.owner, [1, 2], [1, 1], hotkey=new.account)
    assert sn.metagraph().weight_rows[uid] == [(1, 65_535), (2, 65_535)]
