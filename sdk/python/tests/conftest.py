"""Shared fixtures: the repository's golden vectors, the ``synod`` binary, a devnet.

Environment:
- ``SYNOD_BIN``: the ``synod`` binary (default ``<repo>/target/debug/synod``, what
  ``cargo build -p synod-cli`` or ``cargo test`` leaves there);
- ``SYNOD_REPO``: the repository root (default: two levels above ``sdk/python``).

Tests that run the binary are marked ``cli``, those that start a devnet ``devnet``;
``pytest -m "not cli and not devnet"`` runs the others.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from synod import Client
from synod.devnet import LocalDevnet, local_devnet

REPO = Path(os.environ.get("SYNOD_REPO", Path(__file__).resolve().parents[3]))


def synod_bin_path() -> Path:
    return Path(os.environ.get("SYNOD_BIN", REPO / "target" / "debug" / "synod"))


@dataclass(frozen=True)
class GoldenLine:
    """One line of a golden file: ``name<TAB>borsh hex<TAB>json``."""

    file: Path
    name: str
    hex: str
    json_text: str

    @property
    def bytes(self) -> bytes:
        return bytes.fromhex(self.hex)

    @property
    def json(self) -> Any:
        return json.loads(self.json_text)


def golden(path: Path) -> list[GoldenLine]:
    """Every vector of a golden file (comments skipped)."""
    out = []
    for line in path.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, hx, js = line.split("\t")
        out.append(GoldenLine(path, name, hx, js))
    return out


RUNTIME_GOLDEN = REPO / "crates/chain/runtime/tests/golden/encodings.txt"


def module_golden(module: str) -> Path:
    return REPO / "crates/modules" / module / "tests/golden/encodings.txt"


def golden_line(path: Path, name: str) -> GoldenLine:
    for g in golden(path):
        if g.name == name:
            return g
    raise KeyError(f"{name} not in {path}")


@pytest.fixture(scope="session")
def synod_bin() -> Path:
    p = synod_bin_path()
    if not p.is_file():
        pytest.fail(
            f"the synod binary is not at {p}: build it (cargo build -p synod-cli) or set SYNOD_BIN"
        )
    return p


@dataclass
class Devnet(LocalDevnet):
    """A running ``synod dev --tmp`` (:class:`synod.devnet.LocalDevnet`) with the CLI at hand."""

    def cli(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> Any:
        """Runs ``synod --rpc <url> --json ARGS`` and returns its JSON output."""
        return run_cli(self.bin, "--rpc", self.url, *args, env=env, check=check)


def run_cli(bin: Path, *args: str, env: dict[str, str] | None = None, check: bool = True) -> Any:
    full_env = {**os.environ, **(env or {})}
    r = subprocess.run(
        [str(bin), "--json", *args], capture_output=True, text=True, env=full_env, timeout=120
    )
    if check and r.returncode != 0:
        raise AssertionError(
            f"synod {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
        )
    try:
        return json.loads(r.stdout) if r.stdout.strip() else None
    except json.JSONDecodeError:
        raise AssertionError(
            f"synod {' '.join(args)} printed no JSON:\n{r.stdout}\n{r.stderr}"
        ) from None


@contextmanager
def running_devnet(synod_bin: Path, log_dir: Path, *extra: str) -> Iterator[Devnet]:
    """``synod dev --tmp`` on free ports with ``extra`` flags, stopped on exit."""
    with local_devnet(synod_bin, *extra, log=log_dir / "synod-dev.log") as net:
        yield Devnet(net.url, net.bin, net.process, net.log)


@pytest.fixture(scope="session")
def devnet(synod_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    with running_devnet(synod_bin, tmp_path_factory.mktemp("devnet")) as net:
        yield net


@pytest.fixture(scope="module")
def own_devnet(synod_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    """A devnet for one test module alone: for modules that create subnets, since each
    creation raises the network lock cost the session devnet's other tests pay."""
    with running_devnet(synod_bin, tmp_path_factory.mktemp("own-devnet")) as net:
        yield net


def lock_cost(url: str) -> int:
    """What creating a subnet locks now (base units)."""
    with Client(url) as c:
        return int(c.request("subnets_networkLockCost", []))


@pytest.fixture
def client(devnet: Devnet) -> Iterator[Client]:
    with Client(devnet.url) as c:
        yield c


@pytest.fixture
def keystore_dir() -> Iterator[Path]:
    """A fresh, private keystore directory (0700)."""
    with tempfile.TemporaryDirectory() as d:
        ks = Path(d) / "keys"
        ks.mkdir(mode=0o700)
        yield ks
