"""The example subnet's validator: asks every miner to sort a random list through the
dendrite, keeps a moving average of each miner's score, and sets weights once per epoch from
those scores (the SDK commits and reveals by itself when the subnet uses commit–reveal).
Yuma then pays the miners in proportion to the weights (incentive) and the validator for its
bonds (dividends).

Run it by hand (coldkey and hotkey in the CLI's keystore; the hotkey registered and staked)::

    SYNOD_PASSWORD=... python examples/subnet/validator.py --coldkey vcold --hotkey vhot \\
        --netuid 1

``run_devnet.py`` runs it on a fresh devnet.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from pathlib import Path

from synod import Client, Keypair, Keystore, Metagraph
from synod.dendrite import BlockingDendrite, Dendrite
from synod.errors import RevealWindowMissed
from synod.subnet import Subnet, WeightsResult

from task import ROUTE, SortAnswer, new_task, score


class Validator:
    """One validator of ``netuid``: ``coldkey`` signs the weights for ``hotkey``, which signs
    the requests to miners."""

    def __init__(
        self,
        node: Client,
        netuid: int,
        coldkey: Keypair,
        hotkey: Keypair,
        *,
        state_dir: str | Path | None = None,
        smoothing: float = 0.2,
        timeout: float = 5.0,
        seed: int | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        self.node = node
        self.netuid = netuid
        self.coldkey = coldkey
        self.hotkey = hotkey
        self.subnet = Subnet(node, netuid, state_dir=state_dir, poll=0.1)
        self.dendrite = BlockingDendrite(hotkey, netuid, client=node.url, timeout=timeout)
        self.smoothing = smoothing
        self.rng = random.Random(seed)
        self.log = log
        #: Each miner's moving-average score, by UID.
        self.scores: dict[int, float] = {}
        #: Queries sent, and answers scored right, by UID.
        self.asked: dict[int, int] = {}
        self.right: dict[int, int] = {}
        #: The epoch in which weights were last set (committed), and the first epoch in
        #: which the chain held revealed weights of this validator.
        self.weights_epoch: int | None = None
        self.first_revealed_epoch: int | None = None

    def close(self) -> None:
        """Closes the dendrite."""
        self.dendrite.close()

    # ---- one round ---------------------------------------------------------------------

    def query(self, mg: Metagraph) -> dict[int, float]:
        """Asks every miner serving an axon (not itself) the same new task; returns this
        round's scores and folds them into the moving averages."""
        me = mg.uid_of(self.hotkey.account)
        targets = [t for t in Dendrite.targets(mg) if t.uid != me]
        if not targets:
            return {}
        task = new_task(self.rng)
        answers = self.dendrite.query(targets, ROUTE, task, response_model=SortAnswer)
        round_scores = {}
        for a in answers:
            assert a.uid is not None
            s = score(task, a.response if a.ok else None)
            round_scores[a.uid] = s
            old = self.scores.get(a.uid, s)
            self.scores[a.uid] = (1 - self.smoothing) * old + self.smoothing * s
            self.asked[a.uid] = self.asked.get(a.uid, 0) + 1
            self.right[a.uid] = self.right.get(a.uid, 0) + int(s)
            if not a.ok:
                self.log(f"  uid {a.uid}: {a.error_kind} {a.message or ''}".rstrip())
        return round_scores

    def set_weights_if_due(self, mg: Metagraph) -> WeightsResult | None:
        """Once per epoch, with a validator permit: weights = the moving-average scores."""
        epoch = int(mg.subnet["epoch_index"])
        me = mg.uid_of(self.hotkey.account)
        if me is None or epoch == self.weights_epoch:
            return None
        if not mg.validator_permit[me]:
            self.log(f"epoch {epoch}: waiting for a validator permit (uid {me})")
            return None
        uids = sorted(u for u, s in self.scores.items() if s > 0)
        if not uids:
            return None
        result = self.subnet.set_weights(
            self.coldkey,
            uids,
            [self.scores[u] for u in uids],
            hotkey=self.hotkey.account,
            wait_for_reveal=False,  # revealed by reveal_due() in a later round
        )
        self.weights_epoch = epoch
        shown = ", ".join(f"{u}: {self.scores[u]:.2f}" for u in uids)
        self.log(f"epoch {epoch}: weights {result.status} ({shown})")
        if result.status == "set" and self.first_revealed_epoch is None:
            self.first_revealed_epoch = epoch
        return result

    def reveal_due(self) -> None:
        """Reveals the commits whose reveal epoch has come."""
        try:
            revealed = self.subnet.reveal_pending(
                self.coldkey, hotkey=self.hotkey.account, wait=False
            )
        except RevealWindowMissed as e:
            self.log(f"a commit's reveal window passed: {e}")
            return
        for r in revealed:
            epoch = int(self.subnet.info()["epoch_index"])
            where = f" in block {r.receipt.height}" if r.receipt is not None else ""
            self.log(f"epoch {epoch}: weights revealed{where}")
            if self.first_revealed_epoch is None:
                self.first_revealed_epoch = epoch

    def step(self) -> Metagraph:
        """One round: read the metagraph, query, reveal what is due, set weights if due."""
        mg = self.subnet.metagraph()
        self.query(mg)
        self.reveal_due()
        self.set_weights_if_due(mg)
        return mg

    def run(
        self,
        *,
        epochs_with_weights: int | None = None,
        interval: float = 0.5,
        timeout: float | None = None,
    ) -> Metagraph:
        """Runs rounds every ``interval`` seconds: forever, or until the chain has run
        ``epochs_with_weights`` epochs with this validator's revealed weights. Returns the
        last metagraph read."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            started = time.monotonic()
            mg = self.step()
            if epochs_with_weights is not None and self.first_revealed_epoch is not None:
                done = int(mg.subnet["epoch_index"]) - self.first_revealed_epoch
                if done >= epochs_with_weights:
                    return self.subnet.metagraph()
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"the validator did not finish within {timeout} s")
            time.sleep(max(0.0, interval - (time.monotonic() - started)))


def main() -> None:
    p = argparse.ArgumentParser(description="the example subnet's validator")
    p.add_argument("--coldkey", required=True, help="keystore name (SYNOD_PASSWORD unlocks)")
    p.add_argument("--hotkey", required=True, help="keystore name")
    p.add_argument("--keystore", default=None)
    p.add_argument("--netuid", type=int, required=True)
    p.add_argument("--rpc", default="http://127.0.0.1:9944")
    a = p.parse_args()
    ks = Keystore(a.keystore)
    coldkey = ks.unlock(a.coldkey, os.environ.get("SYNOD_PASSWORD"))
    hotkey = ks.unlock(a.hotkey)
    with Client(a.rpc) as node:
        v = Validator(node, a.netuid, coldkey, hotkey)
        try:
            v.run()
        finally:
            v.close()


if __name__ == "__main__":
    main()
