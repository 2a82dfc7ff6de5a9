"""Accepted requests per second of a Python miner (``synod.axon`` on uvicorn, one worker) with
the protocol's checks and without them, in the same run.

Each miner runs in its own process (``miner_bench.py serve``) and answers ``POST /v1/echo``
(the typed example route). In the checked run every request is parsed, its signature
verified, the caller looked up (a fixed table: the chain is not what is measured) and its id
recorded, and the answer is signed; the unchecked run serves the same route with none of it.

The driver (``--client python``, the default) sends ``--requests`` requests over
``--concurrency`` keep-alive connections from a minimal asyncio HTTP/1.1 client, every
request signed beforehand with its own id (the miner is measured, not the signer); a sample
of answers has its signature checked. ``--client rust`` drives the miners with ``synod axon
bench`` instead (``SYNOD_BIN``; it reads the chain id from a node, so a ``synod dev --tmp``
is started for it), for ``--seconds``.

::

    python sdk/python/bench/miner_bench.py                     # 20,000 requests, 64 in flight
    python sdk/python/bench/miner_bench.py --client rust --seconds 5
    python sdk/python/bench/miner_bench.py --json

Both the driver and the miner share the machine: on a small one, the driver's own CPU use is
part of what limits the figure, equally for both runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from synod import Keypair, Keystore
from synod.axon import Axon, Member, StaticMembership, add_echo_route
from synod.devnet import free_port, local_devnet
from synod.protocol import HEADER_REQUEST_ID, response_signature_ok, sign_request

VALIDATOR = Keypair.dev("bench-validator")
MINER = Keypair.dev("bench-miner")
NETUID = 1
PATH = "/v1/echo"
BODY = b'{"text":"ping"}'


# ---- the miner process ------------------------------------------------------------------


def serve(checks: bool, chain_id: str, port: int, loop: str, http: str) -> None:
    """Runs one miner until killed (uvicorn, one worker, in this process's main thread)."""
    import uvicorn

    axon = Axon(
        MINER,
        NETUID,
        chain_id=chain_id,
        membership=StaticMembership({VALIDATOR.account: Member(0, 1)}),
        max_skew=600,  # requests are signed before the run starts
        checks=checks,
    )
    add_echo_route(axon)
    config = uvicorn.Config(
        axon.app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop=loop,  # type: ignore[arg-type]
        http=http,  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    # What uvicorn uses ("auto": uvloop and httptools when installed).
    loop_name = loop if loop != "auto" else ("uvloop" if _has("uvloop") else "asyncio")
    http_name = http if http != "auto" else ("httptools" if _has("httptools") else "h11")
    print(json.dumps({"port": port, "loop": loop_name, "http": http_name}), flush=True)
    server.run()


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@dataclass
class Miner:
    process: subprocess.Popen[str]
    port: int
    loop: str
    http: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def miner(checks: bool, chain_id: str, loop: str, http: str) -> Iterator[Miner]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "serve",
            "--chain-id",
            chain_id,
            "--port",
            str(port),
            "--loop",
            loop,
            "--http",
            http,
        ]
        + ([] if checks else ["--no-checks"]),  # fmt: skip
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the miner did not start (exit {proc.returncode})")
            time.sleep(0.05)
        yield Miner(proc, port, info["loop"], info["http"])
    finally:
        proc.terminate()  # uvicorn shuts down cleanly on SIGTERM
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# ---- the Python driver ------------------------------------------------------------------


def presign(chain_id: str, n: int) -> list[tuple[bytes, str]]:
    """``n`` requests as raw HTTP/1.1 bytes, each with its own id; and each id (hex)."""
    out = []
    for _ in range(n):
        hs = sign_request(VALIDATOR, chain_id, NETUID, MINER.account, "POST", PATH, BODY)
        head = "".join(f"{k}: {v}\r\n" for k, v in hs.items())
        raw = (
            f"POST {PATH} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
            f"content-length: {len(BODY)}\r\n{head}\r\n"
        ).encode("ascii") + BODY
        out.append((raw, hs[HEADER_REQUEST_ID]))
    return out


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


@dataclass
class Run:
    mode: str
    requests: int
    accepted: int
    refused: int
    seconds: float
    accepted_per_second: float
    signatures_checked: int
    signatures_ok: int


async def drive(
    url_port: int, requests: list[tuple[bytes, str]], concurrency: int, check_sample: int
) -> tuple[int, int, float, int, int]:
    """Sends every request over ``concurrency`` keep-alive connections; returns (accepted,
    refused, seconds, signatures checked, signatures ok)."""
    queue = iter(range(len(requests)))
    accepted = refused = checked = good = 0

    async def worker() -> None:
        nonlocal accepted, refused, checked, good
        reader, writer = await asyncio.open_connection("127.0.0.1", url_port)
        try:
            for i in queue:
                raw, rid = requests[i]
                writer.write(raw)
                status, headers, body = await _read_answer(reader)
                if status == 200:
                    accepted += 1
                else:
                    refused += 1
                if checked < check_sample:
                    checked += 1
                    good += response_signature_ok(MINER.account, rid, status, body, headers)
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return accepted, refused, time.perf_counter() - started, checked, good


def python_run(m: Miner, mode: str, chain_id: str, n: int, concurrency: int) -> Run:
    warm = presign(chain_id, min(500, n))
    asyncio.run(drive(m.port, warm, concurrency, 0))
    reqs = presign(chain_id, n)
    sample = 50 if mode == "checked" else 0
    acc, ref, secs, checked, good = asyncio.run(drive(m.port, reqs, concurrency, sample))
    return Run(mode, n, acc, ref, secs, acc / secs, checked, good)


# ---- the Rust driver (synod axon bench) ---------------------------------------------------


def rust_run(bin: Path, rpc: str, m: Miner, mode: str, seconds: int, concurrency: int) -> Run:
    with tempfile.TemporaryDirectory() as d:
        ks = Path(d) / "keys"
        ks.mkdir(mode=0o700)
        Keystore(ks).save("validator", "hot", VALIDATOR, None)
        r = subprocess.run(
            [str(bin), "--rpc", rpc, "--keystore", str(ks), "--json", "axon", "bench",
             "--from", "validator", "--netuid", str(NETUID), "--url", m.url,
             "--target", MINER.account.hex0x, "--path", PATH, "--body", BODY.decode(),
             "--concurrency", str(concurrency), "--seconds", str(seconds)],
            capture_output=True, text=True, timeout=seconds + 120,
        )  # fmt: skip
    if r.returncode != 0:
        raise RuntimeError(f"synod axon bench failed:\n{r.stdout}\n{r.stderr}")
    j = json.loads(r.stdout)
    acc, ref = int(j["accepted"]), int(j["refused"])
    return Run(mode, acc + ref, acc, ref, j["seconds"], j["accepted_per_second"], 0, 0)


# ---- main -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = p.add_subparsers(dest="command")
    s = sub.add_parser("serve", help="(internal) run one miner")
    s.add_argument("--chain-id", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--no-checks", action="store_true")
    for q in (s, p):
        q.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
        q.add_argument("--http", choices=("auto", "h11", "httptools"), default="auto")
    p.add_argument("--client", choices=("python", "rust"), default="python")
    p.add_argument("--requests", type=int, default=20_000, help="per run (python client)")
    p.add_argument("--seconds", type=int, default=5, help="per run (rust client)")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    a = p.parse_args(argv)
    if a.command == "serve":
        serve(not a.no_checks, a.chain_id, a.port, a.loop, a.http)
        return {}

    runs: list[Run] = []
    info: dict[str, str] = {}

    def both(chain_id: str, one: Any) -> None:
        for mode, checks in (("checked", True), ("unchecked", False)):
            with miner(checks, chain_id, a.loop, a.http) as m:
                info.update(loop=m.loop, http=m.http)
                runs.append(one(m, mode))

    if a.client == "python":
        both("bench", lambda m, mode: python_run(m, mode, "bench", a.requests, a.concurrency))
    else:
        bin = Path(os.environ.get("SYNOD_BIN", shutil.which("synod") or "target/debug/synod"))
        with local_devnet(bin) as net:
            from synod import Client

            rpc = net.url
            with Client(rpc) as c:
                chain_id = c.chain_info().chain_id
            both(chain_id, lambda m, mode: rust_run(bin, rpc, m, mode, a.seconds, a.concurrency))
    checked, unchecked = runs
    report = {
        "client": a.client,
        "concurrency": a.concurrency,
        "server": f"uvicorn, one worker, {info['loop']} + {info['http']}",
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "runs": [asdict(r) for r in runs],
        "checked_over_unchecked": checked.accepted_per_second / unchecked.accepted_per_second,
    }
    if a.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"Python miner ({report['server']}), {a.client} client, {a.concurrency} in flight")
        for r in runs:
            extra = (
                f", {r.signatures_ok}/{r.signatures_checked} answer signatures ok"
                if r.signatures_checked
                else ""
            )
            print(
                f"  {r.mode:>9}: {r.accepted_per_second:8.0f} accepted requests/s "
                f"({r.accepted} accepted, {r.refused} refused, {r.seconds:.2f} s{extra})"
            )
        print(f"  checks cost: checked = {report['checked_over_unchecked']:.0%} of unchecked")
    return report


if __name__ == "__main__":
    main()
