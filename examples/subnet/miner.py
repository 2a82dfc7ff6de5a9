"""The example subnet's miner: sorts the validator's list behind ``synod.axon``'s checks.

A *good* miner (``error_rate=0``) always answers right; a *sloppy* one answers a shuffled
list ``error_rate`` of the time. Only hotkeys registered on the subnet with at least
``min_stake`` may ask (the axon reads both from the chain).

Run one by hand (a hotkey in the CLI's keystore, registered on the subnet)::

    python examples/subnet/miner.py --hotkey miner1 --netuid 1 --port 8091 --error-rate 0.3

and publish its endpoint once: ``Subnet(node, 1).serve_axon(coldkey, "203.0.113.7", 8091,
hotkey=hotkey.account)`` (``run_devnet.py`` does all of it).
"""

from __future__ import annotations

import argparse
import random

from synod import Keypair, Keystore
from synod.axon import Axon, Caller

from task import ROUTE, SortAnswer, SortTask


def make_miner(
    hotkey: Keypair,
    netuid: int,
    *,
    rpc: str,
    error_rate: float = 0.0,
    min_stake: int = 0,
    seed: int | None = None,
) -> Axon:
    """A miner's axon with the sorting route (serve it with ``.start()`` or ``.serve()``)."""
    rng = random.Random(seed)
    axon = Axon(hotkey, netuid, client=rpc, min_stake=min_stake)

    @axon.route(ROUTE)
    async def sort(task: SortTask, caller: Caller) -> SortAnswer:
        answer = sorted(task.numbers)
        if rng.random() < error_rate and len(answer) > 1:
            while answer == sorted(answer):
                rng.shuffle(answer)  # sloppy: a wrong order
        return SortAnswer(sorted=answer)

    return axon


def main() -> None:
    p = argparse.ArgumentParser(description="the example subnet's miner")
    p.add_argument("--hotkey", required=True, help="a hotkey in the CLI's keystore")
    p.add_argument("--keystore", default=None, help="default: SYNOD_KEYSTORE or ~/.synod/keys")
    p.add_argument("--netuid", type=int, required=True)
    p.add_argument("--rpc", default="http://127.0.0.1:9944")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8091)
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--min-stake", type=int, default=0, help="base units")
    a = p.parse_args()
    hotkey = Keystore(a.keystore).unlock(a.hotkey)
    make_miner(hotkey, a.netuid, rpc=a.rpc, error_rate=a.error_rate, min_stake=a.min_stake).serve(
        a.host, a.port
    )


if __name__ == "__main__":
    main()
