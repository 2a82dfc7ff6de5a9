"""The example subnet end to end on a devnet: start ``synod dev --tmp`` (or use ``--rpc``),
create and start a subnet with a short tempo, register a validator (staked, so it earns a
validator permit) and two miners (one good, one sloppy), serve the miners' axons and publish
them on chain, run the validator until the chain has run a few epochs with its weights, and
print the metagraph: the good miner earns the larger incentive, the validator dividends.

::

    SYNOD_BIN=target/debug/synod python examples/subnet/run_devnet.py
    python examples/subnet/run_devnet.py --rpc http://127.0.0.1:9944 --epochs 3 --json
    python examples/subnet/run_devnet.py --keep     # then read the chain; Ctrl-C stops it
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from synod import UNIT, Client, Keypair, Metagraph, calls
from synod.devnet import local_devnet
from synod.subnet import Subnet

from miner import make_miner
from validator import Validator

HERE = Path(__file__).resolve().parent
#: A ``synod dev`` account to fund the example's fresh keys.
FUNDER = Keypair.dev("ferdie")


def run(
    url: str,
    *,
    state_dir: Path,
    epochs: int = 4,
    tempo: int = 10,
    error_rate: float = 0.5,
    seed: int = 7,
    log: Any = print,
) -> dict[str, Any]:
    """Builds the subnet on the node at ``url`` and runs it; returns what happened."""
    owner, owner_hot = Keypair.generate(), Keypair.generate()
    vcold, vhot = Keypair.generate(), Keypair.generate()
    miners = {name: (Keypair.generate(), Keypair.generate()) for name in ("good", "sloppy")}
    with Client(url) as node:
        lock = int(node.request("subnets_networkLockCost", []))
        for key, amount in (
            (owner, lock + 10 * UNIT),
            (vcold, 100 * UNIT),
            *((cold, 10 * UNIT) for cold, _ in miners.values()),
        ):
            node.submit(calls.transfer(key.account, amount), FUNDER)
        sn = Subnet.create(node, owner, owner_hot, state_dir=state_dir, poll=0.1)
        sn.set_hyperparameter(owner, "tempo", tempo)
        sn.set_hyperparameter(owner, "weights_rate_limit", 0)
        sn.start(owner)
        log(f"subnet {sn.netuid}: tempo {tempo}, commit-reveal "
            f"{'on' if sn.hyperparams()['commit_reveal_enabled'] else 'off'}")  # fmt: skip

        v = sn.register(vcold, vhot)
        staked = sn.add_stake(vcold, vhot.account, 50 * UNIT, tolerance=None)
        log(f"validator uid {v.uid}: staked 50 SYN for {staked.alpha / UNIT:.3f} alpha")
        uids: dict[str, int] = {"validator": v.uid}
        served = []
        try:
            for name, (cold, hot) in miners.items():
                reg = sn.register(cold, hot)
                uids[name] = reg.uid
                rate = 0.0 if name == "good" else error_rate
                axon = make_miner(hot, sn.netuid, rpc=url, error_rate=rate, min_stake=UNIT,
                                  seed=seed + reg.uid)  # fmt: skip
                s = axon.start("127.0.0.1", 0)
                served.append(s)
                sn.serve_axon(cold, "127.0.0.1", s.port, hotkey=hot.account)
                log(f"{name} miner uid {reg.uid}: {s.url} (wrong {rate:.0%} of the time)")

            validator = Validator(node, sn.netuid, vcold, vhot, state_dir=state_dir, seed=seed,
                                  log=log)  # fmt: skip
            try:
                mg = validator.run(epochs_with_weights=epochs, timeout=60 + 10 * epochs * tempo)
            finally:
                validator.close()
        finally:
            for s in served:
                s.stop()
        roles = {uid: name for name, uid in uids.items()}
        log(table(mg, roles, validator))
        return {
            "rpc": url,
            "netuid": sn.netuid,
            "uids": uids,
            "block": mg.block,
            "epoch_index": int(mg.subnet["epoch_index"]),
            "incentive": [int(x) for x in mg.incentive],
            "dividends": [int(x) for x in mg.dividends],
            "emission": [int(x) for x in mg.emission],
            "validator_permit": [bool(x) for x in mg.validator_permit],
            "scores": {str(u): s for u, s in validator.scores.items()},
            "asked": {str(u): n for u, n in validator.asked.items()},
            "right": {str(u): n for u, n in validator.right.items()},
        }


def table(mg: Metagraph, roles: dict[int, str], v: Validator) -> str:
    """The metagraph as a table."""
    lines = [
        f"metagraph of subnet {mg.netuid} at block {mg.block} (epoch {mg.subnet['epoch_index']})",
        f"{'uid':>3} {'role':<9} {'hotkey':<14} {'stake':>10} {'permit':>6} {'incentive':>9} "
        f"{'dividends':>9} {'emission':>10} {'right':>7}",
    ]
    for uid in range(mg.n):
        hk = mg.hotkeys[uid].hex0x
        right = f"{v.right.get(uid, 0)}/{v.asked[uid]}" if uid in v.asked else ""
        lines.append(
            f"{uid:>3} {roles.get(uid, 'owner'):<9} {hk[:8]}…{hk[-4:]} {mg.S[uid]:>10.3f} "
            f"{'yes' if mg.validator_permit[uid] else 'no':>6} {mg.I[uid]:>9.4f} "
            f"{mg.D[uid]:>9.4f} {mg.E[uid]:>10.4f} {right:>7}"
        )
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description="the example subnet on a devnet")
    p.add_argument("--rpc", help="use this node (a synod dev) instead of starting one")
    p.add_argument("--epochs", type=int, default=4, help="epochs to run with weights set")
    p.add_argument("--tempo", type=int, default=10, help="blocks per epoch")
    p.add_argument("--error-rate", type=float, default=0.5, help="the sloppy miner's")
    p.add_argument("--json", action="store_true", help="print the result as one JSON line")
    p.add_argument("--keep", action="store_true", help="keep the devnet running until Ctrl-C")
    a = p.parse_args()

    def log(line: str) -> None:
        print(line, file=sys.stderr if a.json else sys.stdout, flush=True)

    def done(result: dict[str, Any]) -> None:
        if a.json:
            print(json.dumps(result), flush=True)
        if a.keep:
            log(f"the devnet keeps running at {result['rpc']}; Ctrl-C stops it")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass

    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state"
        if a.rpc:
            done(run(a.rpc, state_dir=state, epochs=a.epochs, tempo=a.tempo,
                     error_rate=a.error_rate, log=log))  # fmt: skip
        else:
            repo = HERE.parents[1]
            bin = Path(os.environ.get("SYNOD_BIN", repo / "target" / "debug" / "synod"))
            with local_devnet(bin, log=Path(tmp) / "synod-dev.log") as net:
                done(run(net.url, state_dir=state, epochs=a.epochs, tempo=a.tempo,
                         error_rate=a.error_rate, log=log))  # fmt: skip


if __name__ == "__main__":
    main()
