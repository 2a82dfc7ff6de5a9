"""The data module from Python against a devnet and the ``synod`` CLI: data keys derived the
same way on both sides, files added by one and read by the other through a local store, grants
and refusals, and a pool (created with the CLI) scoring a Python contribution with scores
posted from Python by the drawn workers.

Everything here runs on a devnet of its own, so the accounts' data keys and files start empty.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synod import UNIT, AsyncClient, Client, Keypair, Keystore, calls
from synod.data import (
    DataAccount,
    JobView,
    NoDataKey,
    NoEnvelope,
    Scores,
    file_url,
    object_name,
    program_hash,
)
from synod.datacrypto import ContentHashMismatch, DataKeypair
from synod.errors import TransactionFailed
from synod.primitives import AccountId

from conftest import REPO, Devnet

pytestmark = [pytest.mark.devnet, pytest.mark.cli]

ALICE, BOB, CHARLIE = Keypair.dev("alice"), Keypair.dev("bob"), Keypair.dev("charlie")
DAVE, EVE, FERDIE = Keypair.dev("dave"), Keypair.dev("eve"), Keypair.dev("ferdie")
WASM = REPO / "crates/modules/data-score/pools/conversations/conversations.wasm"
SAMPLE = REPO / "crates/modules/data-score/pools/conversations/samples/sourdough.jsonl"


@pytest.fixture(scope="module")
def node(own_devnet: Devnet) -> Iterator[Client]:
    with Client(own_devnet.url) as c:
        yield c


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CLI's ``SYNOD_DATA_DIR`` (its default store is under it)."""
    return tmp_path_factory.mktemp("synod-data")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local store whose path needs percent-encoding in its url."""
    return tmp_path_factory.mktemp("stores") / "a store caf\u00e9"


def cli(net: Devnet, data_dir: Path, *args: str, check: bool = True) -> Any:
    """``synod --dev ARGS`` against the devnet with the data directory set."""
    return net.cli("--dev", *args, env={"SYNOD_DATA_DIR": str(data_dir)}, check=check)


def cli_failure(net: Devnet, data_dir: Path, *args: str) -> str:
    """The error ``synod --dev ARGS`` fails with."""
    out = cli(net, data_dir, *args, check=False)
    assert isinstance(out, dict) and "error" in out, out
    return str(out["error"])


# ---- data keys ----------------------------------------------------------------------------


def test_python_and_the_cli_derive_the_same_data_keys(
    own_devnet: Devnet, node: Client, data_dir: Path
) -> None:
    # Registered here, read by the CLI.
    bob = DataAccount(node, BOB)
    record = bob.register_key()
    assert record.sequence == 0
    assert record.key == DataKeypair.from_account_seed(BOB.seed).public
    shown = cli(own_devnet, data_dir, "data", "key", "show", "bob")
    assert shown["key"] == record.key.hex0x and shown["sequence"] == 0
    assert bob.register_key() == record  # already registered: nothing sent

    # Registered and rotated by the CLI, derived here.
    cli(own_devnet, data_dir, "data", "key", "register", "--from", "ferdie")
    ferdie = DataAccount(node, FERDIE)
    k0 = node.data.key(FERDIE.account)
    assert k0 is not None and k0.key == DataKeypair.from_account_seed_at(FERDIE.seed, 0).public
    cli(own_devnet, data_dir, "data", "key", "register", "--from", "ferdie", "--rotate")
    k1 = node.data.key(FERDIE.account)
    assert k1 is not None and k1.sequence == 1
    assert (
        k1.key
        == DataKeypair.from_account_seed_at(FERDIE.seed, 1).public
        == ferdie.data_keypair(1).public
    )
    assert k1.key != k0.key
    assert ferdie.register_key() == k1  # derived here too: nothing to do
    # Rotated here, recognised by the CLI.
    k2 = ferdie.register_key(rotate=True)
    assert k2.sequence == 2 and k2.key == DataKeypair.from_account_seed_at(FERDIE.seed, 2).public
    again = cli(own_devnet, data_dir, "data", "key", "register", "--from", "ferdie")
    assert again["key"] == k2.key.hex0x and again["sequence"] == 2


def test_a_keystore_key_registers_the_same_data_key_in_both(
    own_devnet: Devnet, node: Client, data_dir: Path, keystore_dir: Path
) -> None:
    key = Keypair.generate()
    Keystore(keystore_dir).save("datakey", "cold", key, None)
    node.submit(calls.transfer(key.account, 2 * UNIT), ALICE)
    own_devnet.cli(
        "--keystore", str(keystore_dir), "data", "key", "register", "--from", "datakey",
        env={"SYNOD_DATA_DIR": str(data_dir)},
    )  # fmt: skip
    got = node.data.key(key.account)
    assert got is not None and got.key == DataKeypair.from_account_seed(key.seed).public


# ---- files between Python and the CLI ----------------------------------------------------


def test_a_file_added_in_python_is_read_by_the_cli(
    own_devnet: Devnet, node: Client, data_dir: Path, store: Path, tmp_path: Path
) -> None:
    plaintext = os.urandom(200_000) + b"the end\n"
    bob = DataAccount(node, BOB)
    f = bob.add_file(plaintext, store, schema="bytes/v1")
    assert f.owner == BOB.account and f.schema == "bytes/v1" and f.proofs == 0
    stored = store / object_name(f.content_hash)
    assert stored.is_file() and stored.stat().st_size == f.size
    assert f.url == file_url(stored) and "caf%C3%A9" in f.url and "a%20store" in f.url
    assert node.data.file_by_url(f.url) == f
    assert f.id in [x.id for x in node.data.files(BOB.account)]
    (own,) = [g for g in node.data.envelopes(BOB.account) if g.file == f.id]
    assert own.envelope.recipient == bob.data_keypair(0).public

    out = tmp_path / "from-cli.bin"
    got = cli(own_devnet, data_dir, "data", "get", str(f.id), "--from", "bob", "--out", str(out))
    assert got == {"file": f.id, "bytes": len(plaintext)}
    assert out.read_bytes() == plaintext
    assert bob.get_file(f.id) == plaintext


def test_a_file_added_by_the_cli_is_read_in_python(
    own_devnet: Devnet, node: Client, data_dir: Path, store: Path, tmp_path: Path
) -> None:
    plaintext = b"".join(b"line %d of a file the CLI encrypted\n" % i for i in range(5000))
    src = tmp_path / "plain.txt"
    src.write_bytes(plaintext)
    added = cli(
        own_devnet, data_dir, "data", "add", str(src), "--from", "dave", "--store", str(store)
    )
    f = node.data.file(int(added["id"]))
    assert f is not None and f.owner == DAVE.account and f.url == added["url"]
    # The Rust store's object name and url are the ones written here.
    assert f.url == file_url(store / object_name(f.content_hash))
    dave = DataAccount(node, DAVE)
    assert dave.get_file(f.id) == plaintext
    out = tmp_path / "out.txt"
    assert dave.get_file_to(f.id, out) == len(plaintext) and out.read_bytes() == plaintext


# ---- grants and refusals -------------------------------------------------------------------


def test_a_grant_from_python_lets_another_account_read(
    own_devnet: Devnet, node: Client, data_dir: Path, store: Path, tmp_path: Path
) -> None:
    bob, eve, charlie = DataAccount(node, BOB), DataAccount(node, EVE), DataAccount(node, CHARLIE)
    f = bob.add_file(b"shared with eve only", store)
    eve.register_key()
    charlie.register_key()

    # Not granted yet: a clear refusal, here and in the CLI.
    with pytest.raises(NoEnvelope, match=f"no key envelope of file {f.id} for {EVE.account}"):
        eve.get_file(f.id)
    receipt = bob.grant(f.id, EVE.account)
    assert receipt.events_of("data", "access_granted") == [
        {"type": "data", "event": "access_granted", "file": f.id, "grantee": EVE.account.hex0x}
    ]
    assert eve.get_file(f.id) == b"shared with eve only"
    out = tmp_path / "eve.txt"
    cli(own_devnet, data_dir, "data", "get", str(f.id), "--from", "eve", "--out", str(out))
    assert out.read_bytes() == b"shared with eve only"

    # charlie has a data key but no envelope.
    with pytest.raises(NoEnvelope, match="has not granted this account access"):
        charlie.get_file(f.id)
    err = cli_failure(own_devnet, data_dir, "data", "get", str(f.id), "--from", "charlie")
    assert f"no key envelope of file {f.id}" in err

    # The chain's refusals: a second grant, a grant by a non-owner.
    with pytest.raises(TransactionFailed) as e:
        bob.grant(f.id, EVE.account)
    assert (e.value.reason, e.value.kind) == ("data", "already_granted")
    with pytest.raises(TransactionFailed) as e:
        eve.grant(f.id, CHARLIE.account)
    assert e.value.kind == "not_file_owner"
    # Nothing can be sealed to an account without a data key.
    nobody = Keypair.generate().account
    with pytest.raises(NoDataKey, match=f"{nobody} has no registered data key"):
        bob.grant(f.id, nobody)


def test_a_grant_by_the_cli_opens_in_python_after_rotations(
    own_devnet: Devnet, node: Client, data_dir: Path, store: Path
) -> None:
    bob = DataAccount(node, BOB)
    f = bob.add_file(b"for ferdie", store)
    ferdie = DataAccount(node, FERDIE)
    ferdie.register_key()  # whatever its rotation, derived from its seed
    cli(own_devnet, data_dir, "data", "grant", str(f.id), "ferdie", "--from", "bob")
    envelope = node.data.envelope(f.id, FERDIE.account)
    record = ferdie.key_record()
    assert envelope is not None and record is not None
    assert envelope.recipient == record.key
    assert ferdie.get_file(f.id) == b"for ferdie"


def test_a_ciphertext_changed_in_the_store_is_refused_before_decryption(
    own_devnet: Devnet, node: Client, data_dir: Path, store: Path
) -> None:
    bob = DataAccount(node, BOB)
    f = bob.add_file(b"do not touch", store)
    path = store / object_name(f.content_hash)
    good = path.read_bytes()
    bad = bytearray(good)
    bad[-1] ^= 1
    path.write_bytes(bytes(bad))
    try:
        with pytest.raises(ContentHashMismatch):
            bob.get_file(f.id)
        err = cli_failure(own_devnet, data_dir, "data", "get", str(f.id), "--from", "bob")
        assert "hash" in err.lower()
    finally:
        path.write_bytes(good)
    assert bob.get_file(f.id) == b"do not touch"


# ---- a pool scores a Python contribution ---------------------------------------------------


def _token_created(out: Any) -> int:
    (ev,) = [
        e for e in out["events"] if e.get("type") == "tokens" and e.get("event") == "token_created"
    ]
    return int(ev["token"])


def test_a_pool_scores_a_contribution_made_and_scored_in_python(
    own_devnet: Devnet, node: Client, data_dir: Path, store: Path
) -> None:
    token = _token_created(
        cli(
            own_devnet,
            data_dir,
            "token",
            "create",
            "--from",
            "alice",
            "--symbol",
            "CONVO",
            "--name",
            "Conversations",
            "--decimals",
            "0",
            "--max-supply",
            "1000000000",
            "--initial-supply",
            "1000000000",
        )  # fmt: skip
    )
    cli(
        own_devnet, data_dir, "data", "pool", "create", "convos", "--token", str(token),
        "--from", "alice", "--reward-per-unit", "1000", "--program", str(WASM),
        "--store", str(store), "--description", "chat exports",
    )  # fmt: skip
    cli(
        own_devnet,
        data_dir,
        "data",
        "pool",
        "fund",
        "convos",
        "--amount",
        "1000000",
        "--from",
        "alice",
    )
    alice = DataAccount(node, ALICE)
    pool = alice.pool("convos")
    assert pool.owner == ALICE.account and pool.reward_token == token
    assert pool.params.program_hash == program_hash(WASM.read_bytes())
    assert pool.params.reward_per_unit == 1000 and pool.params.workers_per_job == 3
    assert pool.treasury_tokens == 1_000_000 and node.data.pools()[0].id == pool.id

    workers = {w.account: DataAccount(node, w) for w in (CHARLIE, DAVE, EVE)}
    for w in workers.values():
        w.bond_worker("convos", 200 * UNIT)  # registers its data key first if needed
    assert {w.account for w in node.data.workers(pool.id)} == set(workers)

    bob = DataAccount(node, BOB)
    plaintext = SAMPLE.read_bytes()
    f = bob.add_file(plaintext, store, schema=pool.params.schema)
    job_id = bob.request_proof(f, "convos")
    scores = Scores(
        authenticity=1_000_000,
        ownership=900_000,
        quality=800_000,
        uniqueness=1_000_000,
        score=500_000,
    )
    posted: set[AccountId] = set()
    job: JobView = bob.job(job_id)
    deadline = time.monotonic() + 120
    while not job.status.done:
        if job.status.status == "scoring":
            bob.seal_to_workers(job)  # what wait_job does on each poll
            for w in job.workers:
                if w in posted:
                    continue
                worker = workers[w]
                assert job_id in [j.id for j in worker.open_jobs()]
                assert worker.job_file(job) == plaintext  # the key sealed to it opens
                worker.submit_score(job, scores, b"fingerprint")
                posted.add(w)
        assert time.monotonic() < deadline, job.raw
        time.sleep(0.2)
        job = bob.job(job_id)
    done = bob.wait_job(job_id, timeout=60)
    assert done.status.status == "accepted", done.raw
    assert posted == set(done.drawn) and len(posted) == 3

    (proof,) = bob.proofs(f.id)
    assert proof.job == job_id and proof.pool == pool.id and proof.scores == scores
    assert proof.reward == 1000 * 500_000 // 1_000_000 and proof.metadata == b"fingerprint"
    assert set(proof.attested_by) == posted
    assert [e.metadata for e in node.data.index(pool.id)] == [b"fingerprint"]
    after = alice.pool("convos")
    assert after.treasury_tokens == 1_000_000 - 500 and after.accepted_total == 1
    tokens = node.request("tokens_balance", [token, BOB.account.hex0x])
    assert int(tokens["free"]) == 500, tokens
    # The CLI shows the same job.
    shown = cli(own_devnet, data_dir, "data", "job", str(job_id))
    assert json.dumps(shown, sort_keys=True) == json.dumps(done.raw, sort_keys=True)


def test_the_async_api_reads_what_the_blocking_one_reads(own_devnet: Devnet, node: Client) -> None:
    async def reads() -> tuple[Any, ...]:
        async with AsyncClient(own_devnet.url) as c:
            return (
                await c.data.params(),
                await c.data.key(BOB.account),
                await c.data.files(BOB.account),
                await c.data.envelopes(BOB.account),
                await c.data.pools(),
                await c.data.emission(),
                await c.data.stake(1, BOB.account),
                await c.data.file(10**9),
            )

    params, key, files, envelopes, pools, emission, stake, missing = asyncio.run(reads())
    assert params == node.data.params() and params.timelock_blocks > 0
    assert sum(vars(params.weights).values()) == 1_000_000
    assert key == node.data.key(BOB.account)
    assert files == node.data.files(BOB.account)
    assert envelopes == node.data.envelopes(BOB.account)
    assert pools == node.data.pools()
    assert emission.epoch_ends_at >= emission.epoch
    assert stake == node.data.stake(1, BOB.account)
    assert missing is None and node.data.job(10**9) is None
