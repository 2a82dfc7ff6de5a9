"""The Python axon with membership and stake read from a real devnet: a subnet with a staked
validator, a registered neuron without stake, and a hotkey not on the subnet. The miner
serves its axon on chain; the validator finds it through the metagraph and is answered; the
unregistered caller is refused ``not_registered``, the stakeless one ``insufficient_stake``;
a hotkey registered while the miner runs is known once its block is final."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from synod import AsyncClient, Client, Keypair, calls
from synod.axon import Axon, Caller, EchoRequest, EchoResponse, ServedAxon, add_echo_route
from synod.dendrite import Answer, Dendrite, Target
from synod.membership import ChainMembership
from synod.primitives import UNIT, AccountId
from synod.subnet import Subnet

from conftest import Devnet, lock_cost

pytestmark = pytest.mark.devnet

FUNDER = Keypair.dev("ferdie")
MIN_STAKE = 10 * UNIT


@dataclass
class Net:
    url: str
    subnet: Subnet
    validator: Keypair
    validator_uid: int
    poor: Keypair
    poor_uid: int
    stranger: Keypair
    stranger_cold: Keypair
    axon: Axon
    served: ServedAxon


@pytest.fixture(scope="module")
def net(own_devnet: Devnet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    devnet = own_devnet
    state: Path = tmp_path_factory.mktemp("axon-state")
    owner, ohot = Keypair.generate(), Keypair.generate()
    colds = [Keypair.generate() for _ in range(4)]
    validator, poor, miner, stranger = (Keypair.generate() for _ in range(4))
    with Client(devnet.url) as c:
        owner_funds = lock_cost(devnet.url) + 10 * UNIT
        for key, amount in ((owner, owner_funds), *((k, 100 * UNIT) for k in colds)):
            c.submit(calls.transfer(key.account, amount), FUNDER)
        sn = Subnet.create(c, owner, ohot, state_dir=state, poll=0.1)
        sn.start(owner)
        v = sn.register(colds[0], validator)
        sn.add_stake(colds[0], validator.account, 50 * UNIT, tolerance=None)
        p = sn.register(colds[1], poor)
        sn.register(colds[2], miner)
        axon = Axon(miner, sn.netuid, client=devnet.url, min_stake=MIN_STAKE, poll=0.2)
        add_echo_route(axon)

        @axon.route("/whoami")
        async def whoami(caller: Caller) -> dict[str, object]:
            return {"hotkey": caller.hotkey.hex0x, "uid": caller.uid, "stake": caller.stake}

        with axon.start() as served:
            sn.serve_axon(colds[2], "127.0.0.1", served.port, hotkey=miner.account)
            yield Net(
                devnet.url, sn, validator, v.uid, poor, p.uid, stranger, colds[3], axon, served
            )


def ask(net: Net, key: Keypair, path: str = "/v1/echo", body: object = None) -> Answer[object]:
    target = Target(net.axon.hotkey.account, net.served.url)

    async def run() -> Answer[object]:
        async with Dendrite(key, net.subnet.netuid, client=net.url) as d:
            return await d.call(target, path, body if body is not None else {"text": "hi"})

    return asyncio.run(run())


def test_the_validator_finds_the_miner_on_chain_and_is_answered(net: Net) -> None:
    mg = net.subnet.metagraph()
    targets = Dendrite.targets(mg)
    miner_uid = mg.uid_of(net.axon.hotkey.account)
    assert targets == [Target(net.axon.hotkey.account, net.served.url, miner_uid)]

    async def run() -> list[Answer[EchoResponse]]:
        async with Dendrite(net.validator, net.subnet.netuid, client=net.url) as d:
            assert await d.chain() == "synod-dev"  # read from the node
            return await d.query(
                targets, "/v1/echo", EchoRequest(text="hello"), response_model=EchoResponse
            )

    (a,) = asyncio.run(run())
    assert a.ok and a.signature_ok and a.uid == miner_uid
    assert a.response == EchoResponse(text="hello", caller_uid=net.validator_uid)
    who = ask(net, net.validator, "/whoami", b"")
    assert who.ok
    stake = int(mg.stake[net.validator_uid])
    assert who.json() == {"hotkey": net.validator.account.hex0x, "uid": net.validator_uid,
                          "stake": stake}  # fmt: skip
    assert stake >= MIN_STAKE


def test_an_unregistered_caller_is_refused(net: Net) -> None:
    a = ask(net, net.stranger)
    assert (a.status, a.error_kind, a.signature_ok) == (403, "not_registered", False)
    assert a.message == f"{net.stranger.account.hex0x} is not registered on this subnet"


def test_a_caller_below_the_stake_minimum_is_refused(net: Net) -> None:
    a = ask(net, net.poor)
    assert (a.status, a.error_kind) == (403, "insufficient_stake")
    assert a.message == f"stake 0 is below the required {MIN_STAKE}"


def test_a_new_registration_is_seen_once_final(net: Net) -> None:
    assert ask(net, net.stranger).error_kind == "not_registered"
    with Client(net.url) as c:
        sn = Subnet(c, net.subnet.netuid, state_dir=net.subnet.commits.root, poll=0.1)
        sn.register(net.stranger_cold, net.stranger)
    deadline = time.monotonic() + 10
    while (kind := ask(net, net.stranger).error_kind) == "not_registered":
        assert time.monotonic() < deadline, "the registration never reached the axon"
        time.sleep(0.1)
    # Known now; still without stake.
    assert kind == "insufficient_stake"


def test_membership_reads_the_chain_once_per_final_block(net: Net) -> None:
    async def run() -> tuple[int, int, int]:
        m = ChainMembership(net.url, net.subnet.netuid, poll=60)
        try:
            found = [await m.lookup(net.validator.account) for _ in range(50)]
            assert all(x is not None and x.uid == net.validator_uid for x in found)
            assert await m.lookup(AccountId(bytes(32))) is None
            assert m.reads == 1  # within the poll interval nothing is asked
            m.poll = 0.0  # every lookup asks for the head; the metagraph only on a new block
            async with AsyncClient(net.url) as node:
                h0 = (await node.heads()).finalized_height
                for _ in range(40):
                    await m.lookup(net.validator.account)
                h1 = (await node.heads()).finalized_height
            return m.reads - 1, h1 - h0, 40
        finally:
            await m.close()

    reads, blocks, lookups = asyncio.run(run())
    assert reads <= blocks + 1 < lookups, (reads, blocks)


def test_a_subnet_that_does_not_exist_is_chain_unavailable(net: Net) -> None:
    axon = Axon(net.axon.hotkey, 999, client=net.url)
    add_echo_route(axon)
    with axon.start() as served:

        async def run() -> Answer[object]:
            async with Dendrite(net.validator, 999, client=net.url) as d:
                return await d.call(Target(axon.hotkey.account, served.url), "/v1/echo", {})

        a = asyncio.run(run())
    assert (a.status, a.error_kind) == (503, "chain_unavailable")
    assert a.message == "cannot check the caller on chain: subnet 999 does not exist"
