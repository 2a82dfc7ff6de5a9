"""A throwaway local chain from Python: ``synod dev --tmp`` on free loopback ports, ready when
its first block is final, stopped (Ctrl-C, then kill) when the ``with`` block ends.

::

    from synod import Client
    from synod.devnet import local_devnet

    with local_devnet() as net:                 # the `synod` binary: SYNOD_BIN, else PATH
        with Client(net.url) as node:
            print(node.heads().finalized_height)

Tests, benchmarks and the example subnet all start their chains this way.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .rpc import Client


def find_synod(synod_bin: str | os.PathLike[str] | None = None) -> Path:
    """The ``synod`` binary: ``synod_bin``, else ``$SYNOD_BIN``, else ``synod`` on ``PATH``."""
    if synod_bin is not None:
        return Path(synod_bin)
    env = os.environ.get("SYNOD_BIN")
    if env:
        return Path(env)
    found = shutil.which("synod")
    if found is None:
        raise FileNotFoundError("no synod binary: set SYNOD_BIN or put synod on PATH")
    return Path(found)


def free_port() -> int:
    """A loopback port free now, drawn below the kernel's ephemeral range (32768 and up), so
    no outgoing connection can take it before the node binds it."""
    rng = random.SystemRandom()
    for _ in range(1000):
        port = rng.randrange(10_000, 30_000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 10000..30000")


@dataclass
class LocalDevnet:
    """A running ``synod dev --tmp``."""

    #: Its JSON-RPC URL (HTTP; WebSocket on the same port).
    url: str
    #: The binary it runs.
    bin: Path
    #: The process.
    process: subprocess.Popen[bytes]
    #: Its combined stdout and stderr.
    log: Path


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stops a node as Ctrl-C does; kills it if it has not exited within 30 s."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def local_devnet(
    synod_bin: str | os.PathLike[str] | None = None,
    *extra: str,
    log: str | os.PathLike[str] | None = None,
    ready_timeout: float = 120.0,
) -> Iterator[LocalDevnet]:
    """Runs ``synod dev --tmp`` with ``extra`` flags (e.g. ``"--max-block-txs", "256"``) on free
    ports until the block ends. ``log`` is where its output goes (default: a temporary file,
    kept until the end). Raises ``RuntimeError`` with the log's tail if the node exits or is
    not ready within ``ready_timeout`` seconds."""
    binary = find_synod(synod_bin)
    with tempfile.TemporaryDirectory(prefix="synod-devnet-") as tmp:
        log_path = Path(log) if log is not None else Path(tmp) / "synod-dev.log"
        rpc, metrics, p2p = free_port(), free_port(), free_port()
        with open(log_path, "wb") as out:
            proc = subprocess.Popen(
                [
                    str(binary),
                    "dev",
                    "--tmp",
                    "--rpc-addr",
                    f"127.0.0.1:{rpc}",
                    "--metrics-addr",
                    f"127.0.0.1:{metrics}",
                    "--p2p-addr",
                    f"127.0.0.1:{p2p}",
                    *extra,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        net = LocalDevnet(f"http://127.0.0.1:{rpc}", binary, proc, log_path)
        try:
            _wait_ready(net, ready_timeout)
            yield net
        finally:
            stop(proc)


def _wait_ready(net: LocalDevnet, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with Client(net.url, timeout=2.0) as c:
        while True:
            if net.process.poll() is not None:
                tail = net.log.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"synod dev exited ({net.process.returncode}):\n{tail}")
            try:
                if c.heads().finalized_height >= 1:
                    return
            except Exception:  # not listening yet
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"synod dev not ready within {timeout:.0f} s; see {net.log}")
            time.sleep(0.2)
