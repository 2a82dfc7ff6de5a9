"""synod.data without a node: the typed views against the data module's golden state records,
the local store (object names, ``file://`` urls as Rust writes them, the checks before
decryption), and the account helpers' reads over a node faked by its answers."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from synod.data import (
    DataAccount,
    DataApi,
    FileView,
    JobStatus,
    JobView,
    KeyRecord,
    NoEnvelope,
    NotSealedToKey,
    PoolParams,
    PoolView,
    ProofRecord,
    Scores,
    StakeView,
    StoreError,
    UnknownFile,
    UnsupportedUrl,
    WorkerEntry,
    file_url,
    object_name,
    path_of_file_url,
    program_hash,
    read_object,
    store_encrypted,
)
from synod.datacrypto import (
    ContentHashMismatch,
    DataKeypair,
    EncryptOptions,
    FileKey,
    KeyEnvelope,
    content_hash,
    decrypt,
)
from synod.keys import Keypair
from synod.modules import data as wire
from synod.primitives import AccountId, Hash, tagged_hash

from conftest import REPO, golden, module_golden

STATE = {g.name: g.json for g in golden(module_golden("data")) if g.name.startswith("state/")}

# ---- the views ----------------------------------------------------------------------------


def test_views_read_the_golden_state_records() -> None:
    k = KeyRecord.from_json(STATE["state/key"])
    assert (k.sequence, k.registered_at) == (2, 7)
    assert k.key.hex0x == STATE["state/key"]["key"]

    f = FileView.from_json({"id": 4, **STATE["state/file"]})
    assert (f.id, f.url, f.size, f.schema, f.proofs) == (4, "s3://bucket/x.enc", 10, None, 1)
    assert f.owner == AccountId(b"\x01" * 32) and f.content_hash == Hash(b"\x08" * 32)

    p = ProofRecord.from_json(STATE["state/proof"])
    assert p.metadata == b"\x01\x02\x03" and p.reward == 9 and p.accepted_at == 12
    assert p.scores == Scores(1_000_000, 900_000, 812_345, 5, 4)
    assert p.attested_by == [AccountId(b"\x03" * 32), AccountId(b"\x04" * 32)]

    extra = {"id": 1, "treasury_tokens": "340282366920938463463374607431768211455"}
    pool = PoolView.from_json({**extra, **STATE["state/pool"], "treasury_syn": 5, "workers": 2})
    assert pool.params.reward_per_unit == 10**21 and pool.params.schema == "conversations/v1"
    assert pool.pending is not None and pool.pending.ready_at == 50
    assert pool.reward_per_stake == 10**12 and pool.staker_dust == 17
    assert pool.treasury_tokens == 2**128 - 1 and pool.workers == 2
    assert pool.treasury == wire.treasury_account(1)
    assert pool.stats.accepted == 2
    # PoolParams back to the chain's JSON: what create_pool carries.
    assert pool.params.to_json() == STATE["state/pool"]["params"]
    assert wire.POOL_PARAMS.encode(pool.params.to_json())

    (w,) = [WorkerEntry.from_json(x) for x in STATE["state/workers"]]
    assert (w.bond, w.open_jobs, w.misses) == (200, 1, 0)

    j = JobView.from_json({"id": 5, **STATE["state/job"]})
    assert j.status == JobStatus("failed", 130, "out_of_rounds") and j.status.done
    assert j.workers == [AccountId(b"\x03" * 32)]
    assert j.assignments[0].posted is not None and j.assignments[0].posted.metadata == b"\x09"
    assert len(j.drawn) == 2 and (j.deadline, j.rounds, j.index_len) == (121, 1, 2)

    s = StakeView.from_json({**STATE["state/stake"], "claimable": 4})
    assert (s.amount, s.settled_at, s.owed, s.claimable) == (300, 2 * 10**12, 4, 4)


@pytest.mark.parametrize(
    "j,expected",
    [
        ({"status": "awaiting_draw", "at": 7}, JobStatus("awaiting_draw", 7)),
        ({"status": "scoring"}, JobStatus("scoring")),
        ({"status": "accepted", "at": 9}, JobStatus("accepted", 9)),
        (
            {"status": "failed", "at": 9, "cause": "keys_not_sealed"},
            JobStatus("failed", 9, "keys_not_sealed"),
        ),
    ],
)
def test_job_statuses(j: dict[str, Any], expected: JobStatus) -> None:
    assert JobStatus.from_json(j) == expected
    assert expected.done == (j["status"] in ("accepted", "failed"))


def test_an_unknown_job_status_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown job status"):
        JobStatus.from_json({"status": "pondering"})


def test_pool_params_defaults_are_the_clis() -> None:
    p = PoolParams(program_hash=Hash(b"\x07" * 32), program_url="file:///p.wasm", reward_per_unit=5)
    j = p.to_json()
    assert j["reward_per_unit"] == "5" and j["workers_per_job"] == 3 and j["job_timeout"] == 30
    assert j["min_worker_bond"] == 100 * 10**9 and j["job_fee"] == 10**8  # 100 SYN, 0.1 SYN
    assert PoolParams.from_json(j) == p


def test_program_hash_is_the_tagged_blake3_of_the_wasm() -> None:
    wasm = (REPO / "crates/modules/data-score/pools/conversations/conversations.wasm").read_bytes()
    assert program_hash(wasm) == tagged_hash("synod/data/scoring-program/v1", wasm)


# ---- urls and the local store ------------------------------------------------------------


@pytest.mark.parametrize(
    "path,url",
    [
        # crates/services/data-store/src/location.rs's tests.
        ("/srv/data", "file:///srv/data"),
        ("/srv/data/ab12", "file:///srv/data/ab12"),
        ("/srv/my data/%x", "file:///srv/my%20data/%25x"),
        # url's SPECIAL_PATH_SEGMENT set: these are kept, these are encoded, UTF-8 by bytes.
        ("/a/!$&'()*+,;=:@~_-.", "file:///a/!$&'()*+,;=:@~_-."),
        ('/a/"#<>?`{}\\', "file:///a/%22%23%3C%3E%3F%60%7B%7D%5C"),
        ("/caf\u00e9/\x01\x7f", "file:///caf%C3%A9/%01%7F"),
        ("/a//b/./c", "file:///a/b/c"),
    ],
)
def test_file_urls_are_written_as_rusts_url_crate_writes_them(path: str, url: str) -> None:
    assert file_url(path) == url
    assert path_of_file_url(url) == Path(path)


def test_relative_paths_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert file_url("some/dir") == file_url(tmp_path / "some" / "dir")


@pytest.mark.parametrize(
    "url,needle",
    [
        ("file://otherhost/x", "not host"),
        ("file:///x?y", "no query"),
        ("s3://bucket/x", "not a file:// url"),
    ],
)
def test_bad_file_urls_are_refused(url: str, needle: str) -> None:
    with pytest.raises(UnsupportedUrl, match=needle):
        path_of_file_url(url)


def test_localhost_is_a_local_file_url() -> None:
    assert path_of_file_url("file://localhost/srv/data") == Path("/srv/data")


@pytest.mark.parametrize("as_path", [False, True])
def test_the_store_names_an_object_by_its_content_hash(tmp_path: Path, as_path: bool) -> None:
    plaintext = os.urandom(150_000)
    key = FileKey.generate()
    store = tmp_path / "my store"
    source: bytes | Path = plaintext
    if as_path:
        source = tmp_path / "plain.bin"
        source.write_bytes(plaintext)
    stored = store_encrypted(source, store, key, EncryptOptions.random(64 * 1024))
    ciphertext = stored.path.read_bytes()
    assert stored.content_hash == content_hash(ciphertext)
    assert stored.path == store / object_name(stored.content_hash)
    assert stored.path.name == stored.content_hash.hex() and len(stored.path.name) == 64
    assert stored.url == file_url(stored.path) and "%20" in stored.url
    assert stored.size == len(ciphertext) and stored.plaintext_len == len(plaintext)
    assert decrypt(ciphertext, key) == plaintext
    assert sorted(os.listdir(store)) == [stored.path.name]  # no staging file left behind
    assert read_object(stored.url, stored.content_hash, stored.size) == ciphertext


def test_a_store_may_be_named_by_its_file_url(tmp_path: Path) -> None:
    store = tmp_path / "by url"
    stored = store_encrypted(b"x", file_url(store), FileKey.generate())
    assert stored.path.parent == store and stored.url.startswith(file_url(store) + "/")
    with pytest.raises(UnsupportedUrl, match="local directories"):
        store_encrypted(b"x", "s3://bucket/prefix", FileKey.generate())
    with pytest.raises(FileNotFoundError):
        store_encrypted(tmp_path / "missing", store, FileKey.generate())
    assert os.listdir(store) == [stored.path.name]


def test_reads_refuse_a_wrong_size_or_hash_before_decrypting(tmp_path: Path) -> None:
    stored = store_encrypted(b"secret", tmp_path, FileKey.generate())
    good = stored.path.read_bytes()
    h, n = stored.content_hash, stored.size
    stored.path.write_bytes(good[:-1])
    with pytest.raises(StoreError, match=f"holds {n - 1} bytes, the chain registered {n}"):
        read_object(stored.url, h, n)
    stored.path.write_bytes(good + b"x")
    with pytest.raises(StoreError, match=f"holds more than the {n} bytes"):
        read_object(stored.url, h, n)
    flipped = bytearray(good)
    flipped[-1] ^= 1
    stored.path.write_bytes(bytes(flipped))
    with pytest.raises(ContentHashMismatch):
        read_object(stored.url, h, n)
    stored.path.unlink()
    with pytest.raises(StoreError, match="not found"):
        read_object(stored.url, h, n)
    with pytest.raises(UnsupportedUrl, match="s3"):
        read_object("s3://bucket/" + h.hex(), h, n)


@pytest.fixture
def http_store(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """``tmp_path`` served over HTTP on a free loopback port."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_urls_are_read_and_checked(http_store: tuple[Path, str]) -> None:
    root, base = http_store
    stored = store_encrypted(os.urandom(5000), root, FileKey.generate())
    url = f"{base}/{stored.path.name}"
    assert read_object(url, stored.content_hash, stored.size) == stored.path.read_bytes()
    with pytest.raises(StoreError, match="holds more than the 5 bytes the chain registered"):
        read_object(url, stored.content_hash, 5)
    with pytest.raises(StoreError, match="not found"):
        read_object(f"{base}/missing", stored.content_hash, stored.size)


# ---- the account helpers over a faked node --------------------------------------------------


class FakeNode:
    """Answers ``data_*`` reads from dicts, as a node would (the rest is not asked)."""

    url = "fake://node"

    def __init__(self) -> None:
        self.files: dict[int, dict[str, Any]] = {}
        self.keys: dict[str, dict[str, Any]] = {}
        self.envelopes: dict[tuple[int, str], str] = {}
        self.calls: list[str] = []

    def request(self, method: str, params: list[Any] | None = None) -> Any:
        self.calls.append(method)
        p = [x.hex0x if isinstance(x, AccountId) else x for x in (params or [])]
        if method == "data_file":
            return self.files.get(p[0])
        if method == "data_key":
            return self.keys.get(p[0])
        if method == "data_envelope":
            return self.envelopes.get((p[0], p[1]))
        raise AssertionError(f"unexpected {method}")


def _register(node: FakeNode, who: Keypair, sequence: int = 0) -> DataKeypair:
    kp = DataKeypair.from_account_seed_at(who.seed, sequence)
    node.keys[who.account.hex0x] = {
        "key": kp.public.hex0x,
        "sequence": sequence,
        "registered_at": 1,
    }
    return kp


def _file(node: FakeNode, tmp_path: Path, plaintext: bytes) -> tuple[int, FileKey, Path]:
    key = FileKey.generate()
    stored = store_encrypted(plaintext, tmp_path / "store", key)
    fid = len(node.files) + 1
    node.files[fid] = {
        "id": fid,
        "owner": "0x" + "01" * 32,
        "url": stored.url,
        "content_hash": stored.content_hash.hex0x,
        "size": stored.size,
        "schema": None,
        "registered_at": 2,
        "proofs": 0,
    }
    return fid, key, stored.path


def _seal(node: FakeNode, fid: int, key: FileKey, to: Keypair, data_key: DataKeypair) -> None:
    h = node.files[fid]["content_hash"]
    node.envelopes[(fid, to.account.hex0x)] = KeyEnvelope.seal(key, data_key.public, fid, h).hex0x


def test_get_file_opens_the_accounts_envelope_and_checks_the_hash_first(tmp_path: Path) -> None:
    node = FakeNode()
    bob, eve = Keypair.dev("bob"), Keypair.dev("eve")
    me = DataAccount(node, bob)  # type: ignore[arg-type]
    fid, key, path = _file(node, tmp_path, b"hello, data")
    _seal(node, fid, key, bob, _register(node, bob))
    assert me.get_file(fid) == b"hello, data"
    out = tmp_path / "out.txt"
    assert me.get_file_to(fid, out) == 11 and out.read_bytes() == b"hello, data"

    # Another account without an envelope: a clear refusal, before any download.
    _register(node, eve)
    with pytest.raises(NoEnvelope, match=f"no key envelope of file {fid} for {eve.account}"):
        DataAccount(node, eve).get_file(fid)  # type: ignore[arg-type]
    with pytest.raises(UnknownFile):
        me.get_file(99)

    # A ciphertext altered in place is refused by its hash, not by the decryption.
    good = path.read_bytes()
    bad = bytearray(good)
    bad[70] ^= 0xFF
    path.write_bytes(bytes(bad))
    with pytest.raises(ContentHashMismatch):
        me.get_file(fid)
    with pytest.raises(ContentHashMismatch):
        me.get_file_to(fid, tmp_path / "bad.txt")
    assert not (tmp_path / "bad.txt").exists()


def test_a_rotated_account_still_opens_files_sealed_to_its_older_key(tmp_path: Path) -> None:
    node = FakeNode()
    bob = Keypair.dev("bob")
    fid, key, _ = _file(node, tmp_path, b"old")
    _seal(node, fid, key, bob, _register(node, bob, 0))
    _register(node, bob, 2)  # rotated twice since
    assert DataAccount(node, bob).get_file(fid) == b"old"  # type: ignore[arg-type]
    # Sealed to a key this seed never derived: said so.
    fid2, key2, _ = _file(node, tmp_path, b"other")
    _seal(node, fid2, key2, bob, DataKeypair.generate())
    with pytest.raises(NotSealedToKey, match="none of this key's data keys"):
        DataAccount(node, bob).get_file(fid2)  # type: ignore[arg-type]


def test_the_api_answers_none_where_the_node_answers_null() -> None:
    api = DataApi(FakeNode())  # type: ignore[arg-type]
    assert api.file(1) is None and api.key(Keypair.dev("bob").account) is None
    assert api.envelope(1, b"\x01" * 32) is None
    with pytest.raises(ValueError, match="limit"):
        api.index(1, 0, 0)
