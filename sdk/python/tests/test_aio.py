"""WebSocket subscriptions against a real devnet: the next finalized blocks, the events of a
transfer submitted meanwhile, unsubscribing on exit, and the errors when the node ends a
subscription (a slow consumer, a node that stops)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from synod import Client, Keypair, calls
from synod.aio import AsyncClient, ws_url_of
from synod.devnet import free_port, stop
from synod.errors import SlowConsumer, SubscriptionClosed, TransportError
from synod.primitives import UNIT
from synod.tx import Transaction
from synod.types import Block

from conftest import Devnet, running_devnet

pytestmark = pytest.mark.devnet

ALICE, BOB = Keypair.dev("alice"), Keypair.dev("bob")


def test_ws_url_of() -> None:
    assert ws_url_of("http://127.0.0.1:9944") == "ws://127.0.0.1:9944"
    assert ws_url_of("https://rpc.example/x") == "wss://rpc.example/x"
    assert ws_url_of("ws://h:1") == "ws://h:1"


def test_a_subscription_yields_the_next_finalized_blocks(devnet: Devnet, client: Client) -> None:
    async def run() -> tuple[int, list[Block], bool | None, bool]:
        async with AsyncClient(devnet.url) as node:
            before = (await node.heads()).finalized_height
            got: list[Block] = []
            async with node.subscribe_finalized_blocks() as blocks:
                assert blocks.id is not None
                async for b in blocks:
                    got.append(b)
                    if len(got) == 3:
                        break
            return before, got, blocks.unsubscribed, blocks.closed

    before, got, unsubscribed, closed = asyncio.run(run())
    heights = [b.header.height for b in got]
    assert heights[0] >= before and heights == list(range(heights[0], heights[0] + 3))
    for b in got:  # the very blocks the node serves, hash-linked
        assert client.get_block(b.header.height) == b
    assert got[1].header.parent == got[0].hash and got[2].header.parent == got[1].hash
    assert unsubscribed is True and closed


def test_a_subscription_yields_the_events_of_a_submitted_transfer(devnet: Devnet) -> None:
    async def run() -> None:
        async with AsyncClient(devnet.url) as node:
            async with node.subscribe_events() as events:
                tx_hash = await node.submit_nowait(calls.transfer(BOB.account, 4_242), ALICE)
                seen = None
                while seen is None:
                    ev = await events.next(timeout=30)
                    if ev.tx_hash == tx_hash:
                        seen = ev
            assert events.unsubscribed is True
            receipt = await node.get_receipt(tx_hash)
            assert receipt is not None
            assert seen.height == receipt.height and seen.events == receipt.events
            assert {
                "type": "transfer",
                "from": ALICE.account.hex0x,
                "to": BOB.account.hex0x,
                "amount": 4_242,
            } in seen.events

    asyncio.run(run())


def test_closing_the_client_unsubscribes_what_it_opened(devnet: Devnet) -> None:
    async def run() -> None:
        node = AsyncClient(devnet.url)
        blocks = node.subscribe_finalized_blocks()
        events = node.subscribe_events()
        first = await blocks.next(timeout=30)  # connects on first use
        await events.start()
        assert first.header.height >= 1 and not blocks.closed
        await node.close()
        assert blocks.closed and blocks.unsubscribed is True
        assert events.closed and events.unsubscribed is True
        with pytest.raises(StopAsyncIteration):
            await blocks.__anext__()

    asyncio.run(run())


def test_closing_the_client_ends_a_consumer_that_is_iterating(devnet: Devnet) -> None:
    async def run() -> None:
        node = AsyncClient(devnet.url)
        seen: list[int] = []
        started = asyncio.Event()

        async def consume() -> str:
            async with node.subscribe_finalized_blocks() as blocks:
                async for b in blocks:
                    seen.append(b.header.height)
                    started.set()
            return "ended"

        task = asyncio.create_task(consume())
        await asyncio.wait_for(started.wait(), 30)
        await node.close()  # while the consumer waits in the middle of a read
        assert await asyncio.wait_for(task, 10) == "ended" and seen

    asyncio.run(run())


def test_the_async_client_reads_and_submits(devnet: Devnet, client: Client) -> None:
    async def run() -> None:
        async with AsyncClient(devnet.url) as node:
            info = await node.chain_info()
            sync_info = client.chain_info()
            assert (info.chain_id, info.genesis_hash) == (
                sync_info.chain_id,
                sync_info.genesis_hash,
            )
            payee = Keypair.generate()
            receipt = await node.submit(calls.transfer(payee.account, UNIT), ALICE)
            assert receipt.succeeded and await node.balance(payee.account) == UNIT
            assert (await node.get_events(receipt.height))[receipt.index].events == receipt.events
            assert await node.namespace("bank").total_issuance() > 0
            assert (await node.heads()).finalized_height >= receipt.height

    asyncio.run(run())


def test_a_node_that_is_not_there_is_a_transport_error() -> None:
    async def run() -> None:
        async with AsyncClient(f"http://127.0.0.1:{free_port()}") as node:
            with pytest.raises(TransportError):
                await node.subscribe_finalized_blocks().start()

    asyncio.run(run())


def _small_receive_buffer(url: str) -> socket.socket:
    """A connected socket whose receive buffer is small, so that unread notifications stay
    with the node (where its per-connection budget counts them) rather than in our kernel."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65_536)
    s.connect((host, int(port)))
    return s


def test_a_slow_consumer_is_told_why_and_a_stopped_node_ends_the_subscription(
    synod_bin: Path, tmp_path: Path
) -> None:
    """A devnet that queues at most 16 KiB of unread notifications per connection for 300 ms:
    a subscriber that does not read while large blocks are finalized is dropped, and the
    iterator raises :class:`SlowConsumer` with the node's reason. Then the node stops under
    a fresh subscription: :class:`SubscriptionClosed` with ``connection_lost``."""
    flags = ("--rpc-ws-max-buffered-bytes", "16384", "--rpc-ws-slow-consumer-timeout-ms", "300")
    with running_devnet(synod_bin, tmp_path, *flags) as net:

        async def run() -> None:
            async with AsyncClient(net.url) as node:
                info = await node.chain_info()
                sock = _small_receive_buffer(net.url)
                blocks = node.subscribe_finalized_blocks(ws_options={"sock": sock})
                await blocks.start()
                # 200 transactions of ~16 KB (a 4096-entry weight vector each; the call fails,
                # but the block carries it): about 4 MB of block notifications nobody reads.
                sender = Keypair.dev("dave")
                call = calls.module_call(
                    "subnets",
                    "set_weights",
                    netuid=999,
                    hotkey=sender.account.hex0x,
                    uids=list(range(4096)),
                    values=[65_535 - i for i in range(4096)],
                    version_key=0,
                )
                nonce = await node.next_nonce(sender.account)
                probe = Transaction(info.chain_id, sender.account, nonce, 0, call)
                size = len(probe.sign(sender, info.genesis_hash).encode())
                fee = info.fees.min_fee(size, call)
                txs = [
                    Transaction(info.chain_id, sender.account, nonce + i, fee, call).sign(
                        sender, info.genesis_hash
                    )
                    for i in range(200)
                ]
                results = await node.submit_transactions(txs)
                assert all(not isinstance(r, Exception) for r in results)
                await asyncio.sleep(4)
                with pytest.raises(SlowConsumer) as e:
                    for _ in range(10_000):
                        await blocks.next(timeout=30)
                assert "slow consumer" in e.value.reason and not e.value.connection_lost
                assert e.value.method == "synod_subscribeFinalizedBlocks"
                assert blocks.closed

                again = node.subscribe_events()
                await again.start()
                stop(net.process)
                with pytest.raises(SubscriptionClosed) as closed:
                    for _ in range(10_000):
                        await again.next(timeout=30)
                assert not isinstance(closed.value, SlowConsumer)
                assert closed.value.connection_lost and again.closed

        asyncio.run(run())
