"""Cross-language tests of ``synod-request-v1`` on a devnet (marker ``cross``): the Python
validator calls the Rust miner (``synod axon serve-example``), the Rust validator
(``synod axon call``) calls the Python miner, and both miners answer the same bad requests
with the same status and the same bytes.

The example route both sides serve: ``POST /v1/echo`` with ``{"text": s}`` answers 200
``{"text": s, "caller_uid": <the caller's UID>}``.

CLI interface used (``crates/cli``):

- ``synod --rpc URL --keystore DIR --json axon serve-example --hotkey NAME --netuid N
  --listen HOST:PORT [--min-stake BASE_UNITS] [--no-checks]``, printing first one JSON line
  with its ``url`` (port 0 picks a free one);
- ``synod --rpc URL --keystore DIR --json axon call --from HOTKEY --netuid N --path /v1/echo
  --body JSON (--uids 0,1 | --url URL --target HOTKEY) --timeout-ms T``, printing a list of
  ``{uid, hotkey, url, status, latency_ms, body, error_kind, signature_ok}`` (``body`` as JSON
  when it parses, ``uid`` null for ``--url``).

Without checks both miners answer ``caller_uid: null``.

The module is skipped, saying so, when the binary does not have these commands.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from synod import Client, Keypair, Keystore, calls
from synod.axon import Axon, EchoRequest, EchoResponse, ServedAxon, add_echo_route
from synod.dendrite import Answer, Dendrite, Target
from synod.primitives import UNIT
from synod.protocol import (
    HEADER_CHAIN,
    HEADER_NETUID,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    HEADER_VERSION,
    sign_request,
)
from synod.subnet import Subnet

from conftest import Devnet, lock_cost, run_cli, synod_bin_path

pytestmark = [pytest.mark.cross, pytest.mark.devnet, pytest.mark.cli]

FUNDER = Keypair.dev("ferdie")


def _has_rust_axon_cli(bin: Path) -> str | None:
    """``None`` when the binary has ``axon serve-example`` and ``axon call``, else why not."""
    if not bin.is_file():
        return f"the synod binary is not at {bin}"
    for sub in ("serve-example", "call"):
        r = subprocess.run(
            [str(bin), "axon", sub, "--help"], capture_output=True, text=True, timeout=30
        )
        if r.returncode != 0:
            return f"`synod axon {sub}` does not exist in {bin} yet"
    return None


@pytest.fixture(scope="module")
def rust_cli() -> Path:
    bin = synod_bin_path()
    why = _has_rust_axon_cli(bin)
    if why is not None:
        pytest.skip(why)
    return bin


@dataclass
class Cross:
    devnet: Devnet
    keystore: Path
    subnet: Subnet
    validator: Keypair
    validator_uid: int
    poor: Keypair
    stranger: Keypair
    rust_miner: Keypair
    rust_url: str
    python_miner: Keypair
    python_uid: int
    python_axon: Axon
    python_served: ServedAxon

    def cli(self, *args: str, check: bool = True) -> Any:
        return run_cli(
            self.devnet.bin,
            "--rpc",
            self.devnet.url,
            "--keystore",
            str(self.keystore),
            *args,
            check=check,
        )


@dataclass
class RustMiner:
    """``synod axon serve-example`` as a child process, stopped by :meth:`stop`."""

    process: subprocess.Popen[str]
    url: str
    hotkey: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_rust_miner(
    bin: Path, rpc: str, keystore: Path, log: Path, hotkey: str, netuid: int, *extra: str
) -> RustMiner:
    """Starts the Rust example miner on a free port and reads where it listens (the JSON
    object it prints first)."""
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [
                str(bin), "--rpc", rpc, "--keystore", str(keystore), "--json",
                "axon", "serve-example", "--hotkey", hotkey, "--netuid", str(netuid),
                "--listen", "127.0.0.1:0", *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )  # fmt: skip
    assert proc.stdout is not None
    text = ""
    for _ in range(50):  # the JSON object is printed first (pretty, over a few lines)
        line = proc.stdout.readline()
        text += line
        try:
            started = json.loads(text)
        except json.JSONDecodeError:
            if line:
                continue
        else:
            return RustMiner(proc, started["url"], started["hotkey"])
        break
    proc.kill()
    proc.wait()
    raise RuntimeError(
        f"the Rust miner did not announce itself ({proc.returncode}): {text!r}\n{log.read_text()}"
    )


@pytest.fixture(scope="module")
def cross(
    rust_cli: Path, own_devnet: Devnet, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cross]:
    """A subnet with a staked validator, a stakeless neuron, two miners (one Rust, one
    Python, both serving their axon on chain), and a hotkey not on the subnet; every hotkey
    is in a keystore the CLI reads. On a devnet of its own (it creates a subnet)."""
    devnet = own_devnet
    tmp = tmp_path_factory.mktemp("cross")
    ks_dir = tmp / "keys"
    ks_dir.mkdir(mode=0o700)
    ks = Keystore(ks_dir)
    owner, ohot = Keypair.generate(), Keypair.generate()
    colds = [Keypair.generate() for _ in range(4)]
    validator, poor, rust_miner, python_miner, stranger = (Keypair.generate() for _ in range(5))
    for name, key in (
        ("validator", validator),
        ("poor", poor),
        ("rminer", rust_miner),
        ("pminer", python_miner),
        ("stranger", stranger),
    ):
        ks.save(name, "hot", key, None)
    with Client(devnet.url) as c:
        owner_funds = lock_cost(devnet.url) + 10 * UNIT
        for key, amount in ((owner, owner_funds), *((k, 100 * UNIT) for k in colds)):
            c.submit(calls.transfer(key.account, amount), FUNDER)
        sn = Subnet.create(c, owner, ohot, state_dir=tmp / "state", poll=0.1)
        sn.start(owner)
        v = sn.register(colds[0], validator)
        sn.add_stake(colds[0], validator.account, 50 * UNIT, tolerance=None)
        sn.register(colds[1], poor)
        sn.register(colds[2], rust_miner)
        pm = sn.register(colds[3], python_miner)

        rust = start_rust_miner(
            rust_cli, devnet.url, ks_dir, tmp / "rust-miner.log", "rminer", sn.netuid,
            "--min-stake", "1",
        )  # fmt: skip
        try:
            assert rust.hotkey == rust_miner.account.hex0x
            axon = Axon(python_miner, sn.netuid, client=devnet.url, min_stake=1, poll=0.2)
            add_echo_route(axon)
            with axon.start() as served:
                sn.serve_axon(colds[3], "127.0.0.1", served.port, hotkey=python_miner.account)
                yield Cross(
                    devnet,
                    ks_dir,
                    sn,
                    validator,
                    v.uid,
                    poor,
                    stranger,
                    rust_miner,
                    rust.url,
                    python_miner,
                    pm.uid,
                    axon,
                    served,
                )
        finally:
            rust.stop()


def _ask(x: Cross, key: Keypair, target: Target) -> Answer[EchoResponse]:
    async def run() -> Answer[EchoResponse]:
        async with Dendrite(key, x.subnet.netuid, client=x.devnet.url) as d:
            return await d.call(
                target,
                "/v1/echo",
                EchoRequest(text="from python"),
                response_model=EchoResponse,
                timeout=10,
            )

    return asyncio.run(run())


def test_the_python_validator_calls_the_rust_miner(cross: Cross) -> None:
    rust = Target(cross.rust_miner.account, cross.rust_url)
    a = _ask(cross, cross.validator, rust)
    assert a.ok and a.signature_ok and a.status == 200, a
    assert a.response == EchoResponse(text="from python", caller_uid=cross.validator_uid)
    poor = _ask(cross, cross.poor, rust)
    assert (poor.status, poor.error_kind, poor.signature_ok) == (403, "insufficient_stake", False)
    stranger = _ask(cross, cross.stranger, rust)
    assert (stranger.status, stranger.error_kind) == (403, "not_registered")
    assert stranger.message == f"{cross.stranger.account.hex0x} is not registered on this subnet"


def test_python_signed_headers_replayed_to_the_rust_miner_are_refused(cross: Cross) -> None:
    body = b'{"text":"once"}'
    hs = sign_request(
        cross.validator, "synod-dev", cross.subnet.netuid, cross.rust_miner.account,
        "POST", "/v1/echo", body,
    )  # fmt: skip
    # No content-type: the Rust example miner reads the body as JSON whatever it says.
    first = httpx.post(cross.rust_url + "/v1/echo", content=body, headers=hs)
    assert first.status_code == 200
    assert first.json() == {"text": "once", "caller_uid": cross.validator_uid}
    again = httpx.post(cross.rust_url + "/v1/echo", content=body, headers=hs)
    assert (again.status_code, again.json()["error"]) == (401, "replayed_request")


def _echo_json(entry: dict[str, Any]) -> Any:
    body = entry["body"]
    return json.loads(body) if isinstance(body, str) else body


def test_the_rust_validator_calls_the_python_miner(cross: Cross) -> None:
    common = ["axon", "call", "--netuid", str(cross.subnet.netuid), "--path", "/v1/echo"]
    body = json.dumps({"text": "from rust"})
    # Found through the chain by UID.
    (by_uid,) = cross.cli(
        *common, "--from", "validator", "--body", body,
        "--uids", str(cross.python_uid), "--timeout-ms", "10000",
    )  # fmt: skip
    # Named by URL and hotkey.
    (by_url,) = cross.cli(
        *common, "--from", "validator", "--body", body,
        "--url", cross.python_served.url, "--target", cross.python_miner.account.hex0x,
        "--timeout-ms", "10000",
    )  # fmt: skip
    for entry in (by_uid, by_url):
        assert entry["status"] == 200, entry
        assert entry["error_kind"] is None and entry["signature_ok"] is True, entry
        assert _echo_json(entry) == {"text": "from rust", "caller_uid": cross.validator_uid}
        assert entry["latency_ms"] >= 0
    assert by_uid["uid"] == cross.python_uid
    # A Rust caller that is not on the subnet is refused by the Python miner, with its kind.
    (refused,) = cross.cli(
        *common, "--from", "stranger", "--body", body,
        "--url", cross.python_served.url, "--target", cross.python_miner.account.hex0x,
        "--timeout-ms", "10000",
    )  # fmt: skip
    assert (refused["status"], refused["error_kind"]) == (403, "not_registered")
    assert refused["signature_ok"] is False


def test_the_rust_validator_calls_the_rust_miner(cross: Cross) -> None:
    body = json.dumps({"text": "rust to rust"})
    (entry,) = cross.cli(
        "axon", "call", "--netuid", str(cross.subnet.netuid), "--path", "/v1/echo",
        "--from", "validator", "--body", body,
        "--url", cross.rust_url, "--target", cross.rust_miner.account.hex0x,
        "--timeout-ms", "10000",
    )  # fmt: skip
    assert entry["status"] == 200, entry
    assert entry["error_kind"] is None and entry["signature_ok"] is True, entry
    assert _echo_json(entry) == {"text": "rust to rust", "caller_uid": cross.validator_uid}
    # A body that is not the route's JSON: a signed 400 from the miner, not a refusal.
    (bad,) = cross.cli(
        "axon", "call", "--netuid", str(cross.subnet.netuid), "--path", "/v1/echo",
        "--from", "validator", "--body", "not json",
        "--url", cross.rust_url, "--target", cross.rust_miner.account.hex0x,
    )  # fmt: skip
    assert (bad["status"], bad["error_kind"], bad["signature_ok"]) == (400, None, True), bad
    assert bad["body"]["error"] == "invalid_body"


def test_both_miners_refuse_the_same_bad_requests_with_the_same_bytes(cross: Cross) -> None:
    """Refusals whose text does not name the miner: the same status, the same body."""
    netuid = cross.subnet.netuid
    body = b'{"text":"x"}'

    def headers(miner: Keypair, **change: str) -> dict[str, str]:
        hs = sign_request(cross.validator, "synod-dev", netuid, miner.account, "POST",
                          "/v1/echo", body)  # fmt: skip
        return {**hs, **change}

    cases: dict[str, dict[str, str]] = {
        "no headers": {},
        "version": {HEADER_VERSION: "2"},
        "chain": {HEADER_CHAIN: "other"},
        "subnet": {HEADER_NETUID: str(netuid + 1)},
        "netuid": {HEADER_NETUID: "x"},
        "timestamp": {HEADER_TIMESTAMP: "soon"},
        "empty signature": {HEADER_SIGNATURE: ""},
        "other signature": {HEADER_SIGNATURE: "0x" + "11" * 64},
        "short signature": {HEADER_SIGNATURE: "0x11"},
    }
    for what, change in cases.items():
        got = []
        for miner, url in (
            (cross.rust_miner, cross.rust_url),
            (cross.python_miner, cross.python_served.url),
        ):
            hs = {} if what == "no headers" else headers(miner, **change)
            r = httpx.post(url + "/v1/echo", content=body, headers=hs)
            got.append((r.status_code, r.content))
        assert got[0] == got[1], f"{what}: Rust {got[0]} vs Python {got[1]}"
        assert got[0][0] >= 400, what


def test_without_checks_both_miners_answer_null_and_unsigned(cross: Cross) -> None:
    """The benchmark baseline of both languages: no checks, no signature, ``caller_uid``
    null; the dendrite says the answer is not signed."""
    rust = start_rust_miner(
        cross.devnet.bin, cross.devnet.url, cross.keystore,
        cross.keystore.parent / "rust-plain.log", "rminer", cross.subnet.netuid, "--no-checks",
    )  # fmt: skip
    plain = Axon(cross.python_miner, cross.subnet.netuid, checks=False)
    add_echo_route(plain)
    try:
        with plain.start() as served:
            bodies = []
            for url, hotkey in (
                (rust.url, cross.rust_miner.account),
                (served.url, cross.python_miner.account),
            ):
                a = _ask(cross, cross.validator, Target(hotkey, url))
                assert (a.status, a.error_kind, a.signature_ok) == (
                    200, "bad_response_signature", False
                )  # fmt: skip
                bodies.append(a.body)
                r = httpx.post(url + "/v1/echo", json={"text": "bare"})
                assert r.json() == {"text": "bare", "caller_uid": None}
            # Byte for byte the same JSON from both languages.
            assert bodies[0] == bodies[1] == b'{"text":"from python","caller_uid":null}'
    finally:
        rust.stop()
