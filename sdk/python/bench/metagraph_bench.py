"""How long reading a full subnet's metagraph takes: the node's ``subnets_metagraph`` and the
SDK's :class:`~synod.metagraph.Metagraph` on top of it, now and at a past block.

It starts ``synod dev --tmp`` on free ports (``--synod-bin``, else ``$SYNOD_BIN``, else
``target/debug/synod``), creates and starts a subnet, and as its owner raises
``max_allowed_uids`` to 4,096 and pins the registration burn to one base unit (``min_burn`` =
``max_burn`` = 1: the burn would otherwise rise 1.26× per registration). Coldkeys funded by the
dev account ``ferdie`` then bind and register the hotkeys, each coldkey's ``bind_hotkey`` and
``burned_register`` transactions signed ahead with consecutive nonces and sent in batches
(``synod_submitTransactions``); the pool admits 1,024 pending transactions per sender, so
each coldkey carries at most 512 hotkeys. The owner hotkey is UID 0, so ``--neurons 4095``
(the default) fills the subnet's 4,096 UIDs. The devnet runs with ``--max-block-txs 256``:
registering all at once in the default blocks of up to 20,000 transactions put thousands of
registrations in one block, which the debug build had not finished executing after 15
minutes, while blocks of 256 register them all in about 20 seconds.

Then, with the subnet full, it times (``--calls`` times each, median and p90):

- ``rpc``: the ``subnets_metagraph`` JSON-RPC round trip, the answer's bytes read (httpx);
- ``json``: decoding those bytes;
- ``from_json``: :meth:`Metagraph.from_json` (typed lists and numpy arrays) on the decoded
  answer;
- ``Metagraph()``: the whole SDK call, ``Metagraph(netuid, client=…)``;

at the head and at a past block (the block that completed the registrations, read once the
chain has moved on), and prints a table with the answer's size. ``--json`` prints the report
as JSON instead. It is a benchmark, not a test: ``tests/test_metagraph_bench_smoke.py`` runs
it with a handful of UIDs.

    python sdk/python/bench/metagraph_bench.py                       # 4,096 UIDs
    python sdk/python/bench/metagraph_bench.py --neurons 64 --calls 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from synod import Client, Keypair, Metagraph, calls
from synod.devnet import local_devnet
from synod.modules import bank
from synod.primitives import UNIT
from synod.subnet import Subnet
from synod.types import ChainInfo

REPO = Path(__file__).resolve().parents[3]
FUNDER = Keypair.dev("ferdie")
#: The pool's limit of pending transactions per sender (``mempool.max_per_sender``).
MAX_PER_SENDER = 1024
#: Transactions per ``synod_submitTransactions`` call.
BATCH = 2000


def say(quiet: bool, *what: object) -> None:
    if not quiet:
        print(*what, file=sys.stderr, flush=True)


def submit_all(c: Client, txs: Sequence[Any]) -> None:
    """Submits signed transactions in batches; any refusal is fatal."""
    for i in range(0, len(txs), BATCH):
        for r in c.submit_transactions(txs[i : i + BATCH]):
            if isinstance(r, Exception):
                raise r


def signed(
    c: Client, info: ChainInfo, signer: Keypair, nonce: int, call: dict[str, Any], fee: int
) -> Any:
    return c.build(call, signer, nonce=nonce, fee=fee, info=info)


def fill(
    c: Client, sn: Subnet, owner: Keypair, neurons: int, quiet: bool
) -> tuple[int, float, int]:
    """Registers ``neurons`` new hotkeys; returns the block that completed them, the seconds
    it took and the number of transactions sent."""
    info = c.chain_info()
    per_cold = MAX_PER_SENDER // 2
    colds = [Keypair.generate() for _ in range(-(-neurons // per_cold))]
    hots = [Keypair.generate() for _ in range(neurons)]
    # Fees: every bind (and every registration) has the same size and weight.
    probe_bind = bank.bind_hotkey(info.chain_id, owner.account, hots[0])
    probe_reg = {
        "type": "subnets",
        "call": "burned_register",
        "netuid": sn.netuid,
        "hotkey": hots[0].account.hex0x,
        "max_burn": 1,
    }
    fee_bind = c.build(probe_bind, owner, nonce=0, info=info).tx.fee
    fee_reg = c.build(probe_reg, owner, nonce=0, info=info).tx.fee
    need = per_cold * (fee_bind + fee_reg + 1) + UNIT
    start_nonce = c.next_nonce(FUNDER.account)
    funding = [
        c.build(calls.transfer(k.account, need), FUNDER, nonce=start_nonce + i, info=info)
        for i, k in enumerate(colds)
    ]
    submit_all(c, funding)
    c.wait_for_receipt(funding[-1].hash, timeout=120)
    say(quiet, f"funded {len(colds)} coldkeys; signing {2 * neurons} transactions")
    txs = []
    for ci, cold in enumerate(colds):
        mine = hots[ci * per_cold : (ci + 1) * per_cold]
        for j, hot in enumerate(mine):
            bind = bank.bind_hotkey(info.chain_id, cold.account, hot)
            reg = {**probe_reg, "hotkey": hot.account.hex0x}
            txs.append(signed(c, info, cold, 2 * j, bind, fee_bind))
            txs.append(signed(c, info, cold, 2 * j + 1, reg, fee_reg))
    # Interleave the senders so that every block takes some of each.
    by_sender: dict[bytes, list[Any]] = {}
    for t in txs:
        by_sender.setdefault(bytes(t.tx.sender), []).append(t)
    lanes = list(by_sender.values())
    order = [lane[i] for i in range(max(map(len, lanes))) for lane in lanes if i < len(lane)]
    target = int(sn.info()["n"]) + neurons
    t0 = time.perf_counter()
    submit_all(c, order)
    say(quiet, f"submitted {len(order)} transactions; waiting for {target} UIDs")
    last = 0
    while True:
        n = int(sn.info()["n"])
        if n != last:
            say(quiet, f"  {time.perf_counter() - t0:7.1f} s  n = {n}")
            last = n
        if n >= target:
            break
        if time.perf_counter() - t0 > 1800:
            raise RuntimeError(f"only {n} of {target} UIDs after 30 minutes")
        time.sleep(0.5)
    took = time.perf_counter() - t0
    # The block that completed the registrations: the latest of each sender's last receipt.
    done = max(c.wait_for_receipt(lane[-1].hash).height for lane in lanes)
    return done, took, len(order) + len(funding)


def timed(f: Callable[[], Any], calls_: int) -> tuple[list[float], Any]:
    out = []
    result = None
    for _ in range(calls_):
        t = time.perf_counter()
        result = f()
        out.append(time.perf_counter() - t)
    return out, result


def summary(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    p90 = s[min(len(s) - 1, max(0, round(0.9 * len(s)) - 1))]
    return {"median_ms": statistics.median(s) * 1e3, "p90_ms": p90 * 1e3, "n": len(s)}


def measure(url: str, c: Client, netuid: int, block: int | None, calls_: int) -> dict[str, Any]:
    params: list[Any] = [netuid] if block is None else [netuid, block]
    body = {"jsonrpc": "2.0", "id": 1, "method": "subnets_metagraph", "params": params}
    with httpx.Client(timeout=120) as http:
        http.post(url, json=body).raise_for_status()  # warm: connection, caches
        rpc, raw = timed(lambda: http.post(url, json=body).content, calls_)
    dec, answer = timed(lambda: json.loads(raw), calls_)
    result = answer["result"]
    conv, mg = timed(lambda: Metagraph.from_json(result), calls_)
    whole, _ = timed(lambda: Metagraph(netuid, block, client=c), calls_)
    return {
        "block": result["block"],
        "n": result["n"],
        "bytes": len(raw),
        "rpc": summary(rpc),
        "json": summary(dec),
        "from_json": summary(conv),
        "Metagraph()": summary(whole),
        "stake_dtype": str(mg.stake.dtype),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    synod_bin = Path(args.synod_bin or os.environ.get("SYNOD_BIN") or REPO / "target/debug/synod")
    extra = ("--max-block-txs", str(args.max_block_txs))
    with (
        tempfile.TemporaryDirectory() as d,
        local_devnet(synod_bin, *extra, log=Path(d) / "synod-dev.log") as net,
    ):
        url = net.url
        with Client(url, timeout=120) as c:
            owner, ohot = Keypair.generate(), Keypair.generate()
            lock = int(c.request("subnets_networkLockCost", []))
            c.submit(calls.transfer(owner.account, lock + 100 * UNIT), FUNDER)
            sn = Subnet.create(c, owner, ohot, state_dir=Path(d) / "state")
            sn.start(owner)
            uids = max(args.neurons + 1, 64)
            for name, value in (
                ("max_allowed_uids", uids),
                ("min_burn", 1),
                ("max_burn", 1),
                ("tempo", args.tempo),
            ):
                sn.set_hyperparameter(owner, name, value)
            say(args.quiet, f"subnet {sn.netuid} started, max_allowed_uids {uids}, burn 1")
            done, took, sent = fill(c, sn, owner, args.neurons, args.quiet)
            # Let the chain move past the completing block before reading it as the past.
            while c.heads().finalized_height < done + 3:
                time.sleep(0.1)
            head = measure(url, c, sn.netuid, None, args.calls)
            past = measure(url, c, sn.netuid, done, args.calls)
            return {
                "device": "this machine's CPUs; synod dev (" + synod_bin.name + ")",
                "synod_bin": str(synod_bin),
                "netuid": sn.netuid,
                "uids": head["n"],
                "registration": {
                    "neurons": args.neurons,
                    "transactions": sent,
                    "seconds": took,
                    "registrations_per_second": args.neurons / took if took else 0.0,
                },
                "head": head,
                "past": past,
            }


def table(report: dict[str, Any]) -> str:
    reg = report["registration"]
    lines = [
        f"subnet {report['netuid']}: {report['uids']} UIDs; registered {reg['neurons']} in "
        f"{reg['seconds']:.1f} s ({reg['registrations_per_second']:.0f}/s, "
        f"{reg['transactions']} transactions)",
        "",
        f"{'read':<10} {'block':>7} {'size':>10}  {'what':<12} {'median':>10} {'p90':>10}",
    ]
    for label in ("head", "past"):
        r = report[label]
        size = f"{r['bytes'] / 1e6:.2f} MB"
        for i, what in enumerate(("rpc", "json", "from_json", "Metagraph()")):
            s = r[what]
            lines.append(
                f"{label if i == 0 else '':<10} {r['block'] if i == 0 else '':>7} "
                f"{size if i == 0 else '':>10}  {what:<12} {s['median_ms']:>8.1f}ms "
                f"{s['p90_ms']:>8.1f}ms"
            )
    lines.append("")
    lines.append(
        "rpc: the subnets_metagraph round trip (bytes read); json: decoding them; "
        "from_json: the SDK's arrays from the decoded answer; Metagraph(): all of it."
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--neurons", type=int, default=4095, help="hotkeys to register (4095)")
    p.add_argument("--calls", type=int, default=20, help="timed calls per figure (20)")
    p.add_argument("--tempo", type=int, default=50_400, help="subnet tempo (no epochs: 50400)")
    p.add_argument(
        "--max-block-txs",
        type=int,
        default=256,
        help="synod dev --max-block-txs (256): smaller blocks register faster in all",
    )
    p.add_argument("--synod-bin", help="the synod binary (default $SYNOD_BIN)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = p.parse_args(argv)
    if not 1 <= args.neurons <= 4095:
        p.error("--neurons is 1 to 4095 (UID 0 is the owner hotkey)")
    report = run(args)
    print(json.dumps(report, indent=2) if args.json else table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
