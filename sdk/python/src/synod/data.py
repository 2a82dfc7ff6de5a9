"""Data pools from Python (issue 11): the ``data_*`` reads typed, a local directory store, and
an account's helpers (register its data key, add, read and share encrypted files, ask a pool
for a proof of contribution, post a worker's score).

::

    from synod import Client, Keypair
    from synod.data import DataAccount

    with Client() as node:
        me = DataAccount(node, Keypair.dev("bob"))
        me.register_key()                              # derived from bob's seed, as the CLI
        f = me.add_file(b"my chat export", "/srv/synod-store")   # encrypt, store, register
        assert me.get_file(f.id) == b"my chat export"  # hash checked before decrypting
        me.grant(f.id, Keypair.dev("ferdie").account)  # ferdie's registered data key
        print(node.data.file(f.id), node.data.envelopes(me.account))

**Data keys.** An account's data key with rotation ``n`` is derived from its signing seed
(:meth:`synod.datacrypto.DataKeypair.from_account_seed_at`), exactly as ``synod data key
register`` does, so keys registered by either open the same envelopes, and are recovered with
the account's mnemonic. A file sealed to an older key still opens after a rotation.

**The local store** is what ``synod data add --store DIR`` writes (``crates/services/
data-store``): the ciphertext under ``DIR/<BLAKE3 of the ciphertext, lowercase hex>``, named on
chain by its ``file:///…`` url (the absolute path, each component percent-encoded as Rust's
``url`` crate does). :meth:`DataAccount.get_file` reads ``file://`` and ``http(s)://`` urls
(not ``s3://``), refuses a size or BLAKE3 hash other than the chain's before decrypting
anything, then opens the account's key envelope and decrypts.

**Proofs.** :meth:`DataAccount.request_proof` asks a pool to score a file (the job fee is
escrowed); the chain draws workers at the end of the next block, and the file key must be
sealed to exactly them: :meth:`DataAccount.wait_job` does that as they are drawn
(replacements included) and returns when the job is accepted or has failed. A worker reads
the file sealed to it with :meth:`DataAccount.job_file` and posts with
:meth:`DataAccount.submit_score`.

Types follow the node's JSON (``crates/modules/data/src/{rpc,query,state}.rs``): ``u128``
amounts arrive as decimal strings and are ints here, metadata and envelopes arrive as ``0x``
hex and are bytes and :class:`~synod.datacrypto.KeyEnvelope` here; each view keeps what it was
built from in ``raw``.
"""

from __future__ import annotations

import io
import os
import secrets
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TypeVar

import blake3 as _blake3
import httpx

from .datacrypto import (
    DEFAULT_CHUNK_SIZE,
    ContentHashMismatch,
    DataKeypair,
    DataKeyRegistration,
    DataPublicKey,
    EncryptOptions,
    FileKey,
    KeyEnvelope,
    decrypt_checked,
    decrypt_stream,
    encrypt_stream,
)
from .errors import SynodError, TransactionFailed
from .keys import Keypair
from .primitives import AccountId, Hash, HexLike, parse_hex, tagged_hash

if TYPE_CHECKING:
    from .aio import AsyncClient
    from .rpc import Client
    from .types import Receipt

__all__ = [
    # errors
    "DataError",
    "NoDataKey",
    "ForeignDataKey",
    "UnknownFile",
    "UnknownPool",
    "UnknownJob",
    "NoEnvelope",
    "NotSealedToKey",
    "StoreError",
    "UnsupportedUrl",
    "JobTimeout",
    # views
    "Scores",
    "KeyRecord",
    "FileView",
    "GrantView",
    "ProofRecord",
    "PoolParams",
    "PendingUpdate",
    "EpochStats",
    "PoolView",
    "WorkerEntry",
    "Posted",
    "Assignment",
    "JobStatus",
    "JobStatusName",
    "JobView",
    "IndexEntry",
    "StakeView",
    "EmissionView",
    "PerformanceWeights",
    "DataParams",
    # RPC
    "DataApi",
    "AsyncDataApi",
    # store
    "STORE_SCHEMES",
    "object_name",
    "file_url",
    "path_of_file_url",
    "StoredFile",
    "store_encrypted",
    "read_object",
    "program_hash",
    "PROGRAM_TAG",
    # helpers
    "DataAccount",
]

_MODULE = "data"

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class DataError(SynodError):
    """Base of the refusals of :mod:`synod.data` made here, before or instead of the chain
    (the chain's own refusals are :class:`~synod.errors.TransactionFailed` with reason
    ``"data"`` and the :class:`DataFailure` kind)."""


class NoDataKey(DataError):
    """The account has no registered data key (nothing can be sealed to it)."""

    def __init__(self, account: HexLike) -> None:
        self.account = AccountId(account)
        super().__init__(
            f"{self.account} has no registered data key (it registers one with "
            "DataAccount.register_key or `synod data key register`)"
        )


class ForeignDataKey(DataError):
    """The account's registered data key was not derived from this signing key's seed (it was
    registered by other software): register the next rotation with ``rotate=True``."""

    def __init__(self, account: HexLike, sequence: int) -> None:
        self.account = AccountId(account)
        self.sequence = sequence
        super().__init__(
            f"the data key {self.account} registered (sequence {sequence}) was not derived from "
            "this key's seed; register a rotation (register_key(rotate=True))"
        )


class UnknownFile(DataError):
    """No file with this id is registered."""

    def __init__(self, file: int) -> None:
        self.file = file
        super().__init__(f"no file {file} on chain")


class UnknownPool(DataError):
    """No pool with this id or name."""

    def __init__(self, pool: int | str) -> None:
        self.pool = pool
        super().__init__(f"no pool {pool!r} on chain")


class UnknownJob(DataError):
    """No job with this id."""

    def __init__(self, job: int) -> None:
        self.job = job
        super().__init__(f"no job {job} on chain")


class NoEnvelope(DataError):
    """The account holds no key envelope of the file: its owner has not granted it access."""

    def __init__(self, file: int, account: HexLike) -> None:
        self.file = file
        self.account = AccountId(account)
        super().__init__(
            f"no key envelope of file {file} for {self.account}: the file's owner has not "
            "granted this account access"
        )


class NotSealedToKey(DataError):
    """The account's envelope is sealed to none of the data keys this signing key derives."""

    def __init__(self, file: int, account: HexLike, recipient: HexLike) -> None:
        self.file = file
        self.account = AccountId(account)
        self.recipient = DataPublicKey(recipient)
        super().__init__(
            f"the key envelope of file {file} for {self.account} is sealed to {self.recipient}, "
            "none of this key's data keys"
        )


class StoreError(DataError):
    """The ciphertext could not be read or written, or is not the size the chain registered.
    (A wrong hash is :class:`~synod.datacrypto.ContentHashMismatch`.)"""


class UnsupportedUrl(StoreError):
    """A url this SDK cannot read or write (``s3://``, or a malformed ``file://``)."""


class JobTimeout(DataError):
    """A job was not decided within the time given (it may still be)."""

    def __init__(self, job: int, seconds: float) -> None:
        self.job = job
        self.seconds = seconds
        super().__init__(f"job {job} not decided within {seconds:g} s")


# --------------------------------------------------------------------------------------------
# Typed views of the data_* answers
# --------------------------------------------------------------------------------------------


def _bytes(v: str) -> bytes:
    return parse_hex(v)


def _opt_int(v: Any) -> int | None:
    return int(v) if v is not None else None


@dataclass(frozen=True)
class Scores:
    """What a scoring program reports for one file, each part in parts per million."""

    authenticity: int
    ownership: int
    quality: int
    uniqueness: int
    score: int

    def to_json(self) -> dict[str, int]:
        return {
            "authenticity": self.authenticity,
            "ownership": self.ownership,
            "quality": self.quality,
            "uniqueness": self.uniqueness,
            "score": self.score,
        }

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> Scores:
        return cls(
            int(j["authenticity"]),
            int(j["ownership"]),
            int(j["quality"]),
            int(j["uniqueness"]),
            int(j["score"]),
        )


@dataclass(frozen=True)
class KeyRecord:
    """An account's registered data key (``data_key``)."""

    key: DataPublicKey
    sequence: int
    registered_at: int

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> KeyRecord:
        return cls(DataPublicKey(j["key"]), int(j["sequence"]), int(j["registered_at"]))


@dataclass(frozen=True)
class FileView:
    """A registered file (``data_file``): the ciphertext is at ``url``, ``size`` bytes
    hashing to ``content_hash``."""

    id: int
    owner: AccountId
    url: str
    content_hash: Hash
    size: int
    schema: str | None
    registered_at: int
    proofs: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> FileView:
        return cls(
            int(j["id"]),
            AccountId(j["owner"]),
            j["url"],
            Hash(j["content_hash"]),
            int(j["size"]),
            j.get("schema"),
            int(j["registered_at"]),
            int(j["proofs"]),
            raw=j,
        )


@dataclass(frozen=True)
class GrantView:
    """A key envelope an account holds (``data_envelopes``)."""

    file: int
    envelope: KeyEnvelope

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> GrantView:
        return cls(int(j["file"]), KeyEnvelope.from_hex(j["envelope"]))


@dataclass(frozen=True)
class ProofRecord:
    """An accepted proof of contribution of a file (``data_proofs``)."""

    pool: int
    job: int
    scores: Scores
    metadata: bytes
    attested_by: list[AccountId]
    reward: int
    accepted_at: int

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> ProofRecord:
        return cls(
            int(j["pool"]),
            int(j["job"]),
            Scores.from_json(j["scores"]),
            _bytes(j["metadata"]),
            [AccountId(a) for a in j["attested_by"]],
            int(j["reward"]),
            int(j["accepted_at"]),
        )


@dataclass(frozen=True)
class PoolParams:
    """A pool's parameters (``PoolParams``): SYN amounts are base units, ``reward_per_unit``
    pool-token base units for a score of 10^6 ppm."""

    program_hash: Hash
    program_url: str
    reward_per_unit: int
    description: str = ""
    schema: str | None = None
    workers_per_job: int = 3
    min_worker_bond: int = 100_000_000_000
    job_timeout: int = 30
    job_fee: int = 100_000_000
    slash_ppm: int = 250_000
    miss_slash_ppm: int = 50_000
    max_misses: int = 3
    staker_share_ppm: int = 500_000

    def to_json(self) -> dict[str, Any]:
        """The chain's JSON form (what ``create_pool`` carries)."""
        return {
            "description": self.description,
            "schema": self.schema,
            "program_hash": Hash(self.program_hash).hex0x,
            "program_url": self.program_url,
            "reward_per_unit": str(self.reward_per_unit),
            "workers_per_job": self.workers_per_job,
            "min_worker_bond": self.min_worker_bond,
            "job_timeout": self.job_timeout,
            "job_fee": self.job_fee,
            "slash_ppm": self.slash_ppm,
            "miss_slash_ppm": self.miss_slash_ppm,
            "max_misses": self.max_misses,
            "staker_share_ppm": self.staker_share_ppm,
        }

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> PoolParams:
        return cls(
            program_hash=Hash(j["program_hash"]),
            program_url=j["program_url"],
            reward_per_unit=int(j["reward_per_unit"]),
            description=j["description"],
            schema=j.get("schema"),
            workers_per_job=int(j["workers_per_job"]),
            min_worker_bond=int(j["min_worker_bond"]),
            job_timeout=int(j["job_timeout"]),
            job_fee=int(j["job_fee"]),
            slash_ppm=int(j["slash_ppm"]),
            miss_slash_ppm=int(j["miss_slash_ppm"]),
            max_misses=int(j["max_misses"]),
            staker_share_ppm=int(j["staker_share_ppm"]),
        )


@dataclass(frozen=True)
class PendingUpdate:
    """Parameters waiting for the timelock."""

    params: PoolParams
    ready_at: int

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> PendingUpdate:
        return cls(PoolParams.from_json(j["params"]), int(j["ready_at"]))


@dataclass(frozen=True)
class EpochStats:
    """What a pool did in one epoch, as the chain measured it."""

    epoch: int
    accepted: int
    contributors: int
    access_fees: int

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> EpochStats:
        return cls(
            int(j["epoch"]), int(j["accepted"]), int(j["contributors"]), int(j["access_fees"])
        )


@dataclass(frozen=True)
class PoolView:
    """A data pool with what its treasury holds (``data_pool``, ``data_poolByName``)."""

    id: int
    name: str
    owner: AccountId
    reward_token: int
    treasury: AccountId
    params: PoolParams
    pending: PendingUpdate | None
    created_at: int
    index_len: int
    accepted_total: int
    stats: EpochStats
    stake_total: int
    reward_per_stake: int
    staker_reserve: int
    staker_dust: int
    treasury_tokens: int
    treasury_syn: int
    workers: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> PoolView:
        pending = j.get("pending")
        return cls(
            id=int(j["id"]),
            name=j["name"],
            owner=AccountId(j["owner"]),
            reward_token=int(j["reward_token"]),
            treasury=AccountId(j["treasury"]),
            params=PoolParams.from_json(j["params"]),
            pending=PendingUpdate.from_json(pending) if pending is not None else None,
            created_at=int(j["created_at"]),
            index_len=int(j["index_len"]),
            accepted_total=int(j["accepted_total"]),
            stats=EpochStats.from_json(j["stats"]),
            stake_total=int(j["stake_total"]),
            reward_per_stake=int(j["reward_per_stake"]),
            staker_reserve=int(j["staker_reserve"]),
            staker_dust=int(j["staker_dust"]),
            treasury_tokens=int(j["treasury_tokens"]),
            treasury_syn=int(j["treasury_syn"]),
            workers=int(j["workers"]),
            raw=j,
        )


@dataclass(frozen=True)
class WorkerEntry:
    """A member of a pool's worker set (``data_workers``)."""

    account: AccountId
    bond: int
    open_jobs: int
    misses: int

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> WorkerEntry:
        return cls(AccountId(j["account"]), int(j["bond"]), int(j["open_jobs"]), int(j["misses"]))


@dataclass(frozen=True)
class Posted:
    """A drawn worker's posted score."""

    scores: Scores
    metadata: bytes

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> Posted:
        return cls(Scores.from_json(j["scores"]), _bytes(j["metadata"]))


@dataclass(frozen=True)
class Assignment:
    """A drawn worker's place in a job."""

    worker: AccountId
    drawn_at: int
    posted: Posted | None

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> Assignment:
        posted = j.get("posted")
        return cls(
            AccountId(j["worker"]),
            int(j["drawn_at"]),
            Posted.from_json(posted) if posted is not None else None,
        )


#: Where a job is: waiting for its draw at the end of block ``at``, being scored, accepted
#: (at ``at``), or failed (at ``at``, for ``cause``).
JobStatusName = Literal["awaiting_draw", "scoring", "accepted", "failed"]

_JOB_STATUSES = ("awaiting_draw", "scoring", "accepted", "failed")


@dataclass(frozen=True)
class JobStatus:
    """A job's status: ``status`` with the height it refers to (``at``; ``None`` while
    scoring) and, when it failed, its ``cause`` (``not_enough_workers``, ``no_majority``,
    ``keys_not_sealed``, ``out_of_rounds``)."""

    status: JobStatusName
    at: int | None = None
    cause: str | None = None

    @property
    def done(self) -> bool:
        """Whether the job has ended (accepted or failed)."""
        return self.status in ("accepted", "failed")

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> JobStatus:
        status = j["status"]
        if status not in _JOB_STATUSES:
            raise ValueError(f"unknown job status {status!r}")
        return cls(status, _opt_int(j.get("at")), j.get("cause"))


@dataclass(frozen=True)
class JobView:
    """A proof-of-contribution job (``data_job``, ``data_jobsOf``)."""

    id: int
    file: int
    pool: int
    requester: AccountId
    fee: int
    requested_at: int
    status: JobStatus
    assignments: list[Assignment]
    drawn: list[AccountId]
    index_len: int
    deadline: int
    rounds: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def workers(self) -> list[AccountId]:
        """The workers drawn for the current round."""
        return [a.worker for a in self.assignments]

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> JobView:
        return cls(
            id=int(j["id"]),
            file=int(j["file"]),
            pool=int(j["pool"]),
            requester=AccountId(j["requester"]),
            fee=int(j["fee"]),
            requested_at=int(j["requested_at"]),
            status=JobStatus.from_json(j["status"]),
            assignments=[Assignment.from_json(a) for a in j["assignments"]],
            drawn=[AccountId(a) for a in j["drawn"]],
            index_len=int(j["index_len"]),
            deadline=int(j["deadline"]),
            rounds=int(j["rounds"]),
            raw=j,
        )


@dataclass(frozen=True)
class IndexEntry:
    """An entry of a pool's uniqueness index (accepted metadata)."""

    n: int
    metadata: bytes

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> IndexEntry:
        return cls(int(j["n"]), _bytes(j["metadata"]))


@dataclass(frozen=True)
class StakeView:
    """A stake on a pool and what it can claim now (``data_stake``)."""

    amount: int
    settled_at: int
    owed: int
    claimable: int

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> StakeView:
        return cls(int(j["amount"]), int(j["settled_at"]), int(j["owed"]), int(j["claimable"]))


@dataclass(frozen=True)
class EmissionView:
    """Data-pool emission waiting for the epoch's split (``data_emission``)."""

    pending: int
    epoch: int
    epoch_ends_at: int

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> EmissionView:
        return cls(int(j["pending"]), int(j["epoch"]), int(j["epoch_ends_at"]))


@dataclass(frozen=True)
class PerformanceWeights:
    """How an epoch's emission is split across pools: each measure's weight (ppm)."""

    accepted_ppm: int
    contributors_ppm: int
    access_fees_ppm: int
    stake_ppm: int

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> PerformanceWeights:
        return cls(
            int(j["accepted_ppm"]),
            int(j["contributors_ppm"]),
            int(j["access_fees_ppm"]),
            int(j["stake_ppm"]),
        )


@dataclass(frozen=True)
class DataParams:
    """The module's genesis parameters and the pool-update timelock (``data_params``)."""

    emission_share_ppm: int
    epoch_blocks: int
    weights: PerformanceWeights
    max_workers_per_pool: int
    max_metadata_bytes: int
    max_job_rounds: int
    timelock_blocks: int

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> DataParams:
        return cls(
            int(j["emission_share_ppm"]),
            int(j["epoch_blocks"]),
            PerformanceWeights.from_json(j["weights"]),
            int(j["max_workers_per_pool"]),
            int(j["max_metadata_bytes"]),
            int(j["max_job_rounds"]),
            int(j["timelock_blocks"]),
        )


# --------------------------------------------------------------------------------------------
# The data_* namespace
# --------------------------------------------------------------------------------------------


_T = TypeVar("_T")


def _opt(parse: Callable[[Any], _T], j: Any) -> _T | None:
    return parse(j) if j is not None else None


def _index_params(pool: int, start: int, limit: int) -> list[Any]:
    if limit <= 0:
        raise ValueError("limit must be positive")
    return [pool, start, limit]


class DataApi:
    """The ``data_*`` methods of a node, typed (``client.data`` is one). Reads see the newest
    committed state; ``None`` where the node answers ``null``."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"DataApi({self.client.url!r})"

    def _call(self, method: str, *params: Any) -> Any:
        return self.client.request(f"data_{method}", list(params))

    def params(self) -> DataParams:
        """The module's parameters."""
        return DataParams.from_json(self._call("params"))

    def key(self, account: HexLike) -> KeyRecord | None:
        """An account's registered data key."""
        return _opt(KeyRecord.from_json, self._call("key", AccountId(account)))

    def file(self, file: int) -> FileView | None:
        """A file by id."""
        return _opt(FileView.from_json, self._call("file", file))

    def file_by_url(self, url: str) -> FileView | None:
        """The file registered with ``url``."""
        return _opt(FileView.from_json, self._call("fileByUrl", url))

    def files(self, owner: HexLike, after: int | None = None) -> list[FileView]:
        """An owner's files in id order after ``after`` (at most 256 per call)."""
        return [FileView.from_json(f) for f in self._call("files", AccountId(owner), after)]

    def envelope(self, file: int, account: HexLike) -> KeyEnvelope | None:
        """The file key of ``file`` sealed to ``account``, if granted."""
        return _opt(KeyEnvelope.from_hex, self._call("envelope", file, AccountId(account)))

    def envelopes(self, account: HexLike) -> list[GrantView]:
        """Every key envelope ``account`` holds (at most 256)."""
        return [GrantView.from_json(g) for g in self._call("envelopes", AccountId(account))]

    def proofs(self, file: int) -> list[ProofRecord]:
        """A file's accepted proofs, oldest first."""
        return [ProofRecord.from_json(p) for p in self._call("proofs", file)]

    def pool(self, pool: int) -> PoolView | None:
        """A pool by id."""
        return _opt(PoolView.from_json, self._call("pool", pool))

    def pool_by_name(self, name: str) -> PoolView | None:
        """A pool by its unique name."""
        return _opt(PoolView.from_json, self._call("poolByName", name))

    def pools(self) -> list[PoolView]:
        """Every pool (at most 256)."""
        return [PoolView.from_json(p) for p in self._call("pools")]

    def workers(self, pool: int) -> list[WorkerEntry]:
        """A pool's worker set."""
        return [WorkerEntry.from_json(w) for w in self._call("workers", pool)]

    def job(self, job: int) -> JobView | None:
        """A job by id."""
        return _opt(JobView.from_json, self._call("job", job))

    def jobs_of(self, worker: HexLike) -> list[JobView]:
        """The open jobs ``worker`` is drawn for."""
        return [JobView.from_json(j) for j in self._call("jobsOf", AccountId(worker))]

    def index(self, pool: int, start: int = 0, limit: int = 256) -> list[IndexEntry]:
        """Entries of a pool's uniqueness index from ``start`` (at most 256)."""
        return [
            IndexEntry.from_json(e) for e in self._call("index", *_index_params(pool, start, limit))
        ]

    def stake(self, pool: int, staker: HexLike) -> StakeView:
        """A stake on a pool and what it can claim now."""
        return StakeView.from_json(self._call("stake", pool, AccountId(staker)))

    def emission(self) -> EmissionView:
        """Emission waiting for the next epoch's split."""
        return EmissionView.from_json(self._call("emission"))


class AsyncDataApi:
    """:class:`DataApi` for :class:`~synod.aio.AsyncClient` (``client.data``): the same
    methods as coroutines."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    def __repr__(self) -> str:
        return f"AsyncDataApi({self.client.url!r})"

    async def _call(self, method: str, *params: Any) -> Any:
        return await self.client.request(f"data_{method}", list(params))

    async def params(self) -> DataParams:
        return DataParams.from_json(await self._call("params"))

    async def key(self, account: HexLike) -> KeyRecord | None:
        return _opt(KeyRecord.from_json, await self._call("key", AccountId(account)))

    async def file(self, file: int) -> FileView | None:
        return _opt(FileView.from_json, await self._call("file", file))

    async def file_by_url(self, url: str) -> FileView | None:
        return _opt(FileView.from_json, await self._call("fileByUrl", url))

    async def files(self, owner: HexLike, after: int | None = None) -> list[FileView]:
        return [FileView.from_json(f) for f in await self._call("files", AccountId(owner), after)]

    async def envelope(self, file: int, account: HexLike) -> KeyEnvelope | None:
        j = await self._call("envelope", file, AccountId(account))
        return _opt(KeyEnvelope.from_hex, j)

    async def envelopes(self, account: HexLike) -> list[GrantView]:
        return [GrantView.from_json(g) for g in await self._call("envelopes", AccountId(account))]

    async def proofs(self, file: int) -> list[ProofRecord]:
        return [ProofRecord.from_json(p) for p in await self._call("proofs", file)]

    async def pool(self, pool: int) -> PoolView | None:
        return _opt(PoolView.from_json, await self._call("pool", pool))

    async def pool_by_name(self, name: str) -> PoolView | None:
        return _opt(PoolView.from_json, await self._call("poolByName", name))

    async def pools(self) -> list[PoolView]:
        return [PoolView.from_json(p) for p in await self._call("pools")]

    async def workers(self, pool: int) -> list[WorkerEntry]:
        return [WorkerEntry.from_json(w) for w in await self._call("workers", pool)]

    async def job(self, job: int) -> JobView | None:
        return _opt(JobView.from_json, await self._call("job", job))

    async def jobs_of(self, worker: HexLike) -> list[JobView]:
        return [JobView.from_json(j) for j in await self._call("jobsOf", AccountId(worker))]

    async def index(self, pool: int, start: int = 0, limit: int = 256) -> list[IndexEntry]:
        j = await self._call("index", *_index_params(pool, start, limit))
        return [IndexEntry.from_json(e) for e in j]

    async def stake(self, pool: int, staker: HexLike) -> StakeView:
        return StakeView.from_json(await self._call("stake", pool, AccountId(staker)))

    async def emission(self) -> EmissionView:
        return EmissionView.from_json(await self._call("emission"))


# --------------------------------------------------------------------------------------------
# The local store
# --------------------------------------------------------------------------------------------

#: The url schemes :func:`read_object` reads.
STORE_SCHEMES = ("file", "http", "https")

#: Domain tag of a scoring program's hash (``synod_data_score::program_hash``).
PROGRAM_TAG = "synod/data/scoring-program/v1"

# Bytes Rust's `url` crate percent-encodes in a file path's segment (SPECIAL_PATH_SEGMENT):
# C0 controls, DEL, non-ASCII, and these.
_URL_PATH_ENCODED = frozenset(b' "#<>?`{}%/\\')
_READ_BLOCK = 64 * 1024


def program_hash(wasm: bytes) -> Hash:
    """A scoring program's hash, what a pool registers: ``tagged("synod/data/scoring-
    program/v1", wasm)``."""
    return tagged_hash(PROGRAM_TAG, bytes(wasm))


def object_name(content_hash: HexLike) -> str:
    """The name of the object holding a ciphertext in a store: its content hash in lowercase
    hex, no ``0x`` (so the same ciphertext always has the same url)."""
    return bytes(Hash(content_hash)).hex()


def _encode_segment(segment: bytes) -> str:
    return "".join(
        f"%{b:02X}" if b < 0x20 or b >= 0x7F or b in _URL_PATH_ENCODED else chr(b) for b in segment
    )


def file_url(path: str | os.PathLike[str]) -> str:
    """The ``file:///…`` url of a local path as the Rust store writes it: the path made
    absolute (against the current directory, no symlink resolved), each component
    percent-encoded as ``url::Url::from_file_path`` does."""
    p = Path(path).absolute()
    parts = [_encode_segment(os.fsencode(c)) for c in p.parts[1:]]
    return "file:///" + "/".join(parts)


def path_of_file_url(url: str) -> Path:
    """The local path of a ``file://`` url (host empty or ``localhost``, no query or
    fragment); :class:`UnsupportedUrl` otherwise."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme.lower() != "file":
        raise UnsupportedUrl(f"{url!r} is not a file:// url")
    if parts.query or parts.fragment:
        raise UnsupportedUrl(f"bad store url {url!r}: a file url takes no query or fragment")
    if parts.netloc not in ("", "localhost"):
        raise UnsupportedUrl(
            f"bad store url {url!r}: file urls must name a local path (file:///abs/dir), "
            f"not host {parts.netloc!r}"
        )
    if not parts.path.startswith("/"):
        raise UnsupportedUrl(f"bad store url {url!r}: not an absolute local path")
    return Path(os.fsdecode(urllib.parse.unquote_to_bytes(parts.path)))


@dataclass(frozen=True)
class StoredFile:
    """A ciphertext put in a local store: what the chain registers about it."""

    url: str
    path: Path
    content_hash: Hash
    size: int
    plaintext_len: int


class _Counting:
    """A writable that passes bytes on and counts them."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.n = 0

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.n += len(data)
        return len(data)


def _source(source: bytes | bytearray | memoryview | str | os.PathLike[str]) -> Any:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source))
    return open(source, "rb")  # noqa: SIM115 - closed by the caller's `with`


def _store_path(store_dir: str | os.PathLike[str]) -> Path:
    """A local store given as a path or a ``file://`` url (``s3://`` and ``http(s)://`` are
    not written here)."""
    text = os.fspath(store_dir)
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme != "file":
            raise UnsupportedUrl(
                f"cannot write to {text!r}: this SDK writes to local directories (a path or a "
                "file:// url)"
            )
        return path_of_file_url(text)
    return Path(text).absolute()


def store_encrypted(
    source: bytes | bytearray | memoryview | str | os.PathLike[str],
    store_dir: str | os.PathLike[str],
    file_key: FileKey,
    options: EncryptOptions | None = None,
) -> StoredFile:
    """Encrypts ``source`` (bytes, or the path of a file, read one chunk at a time) with
    ``file_key`` into the local directory store ``store_dir`` (a path or a ``file://`` url;
    made if missing), as ``synod data add --store DIR`` does: written to a temporary file in
    the directory, then renamed to ``DIR/<content hash hex>`` so a reader never sees half an
    object."""
    opts = options if options is not None else EncryptOptions.random(DEFAULT_CHUNK_SIZE)
    store = _store_path(store_dir)
    store.mkdir(parents=True, exist_ok=True)
    # Created as any file is (the umask decides who may read it: it is ciphertext), never
    # over an existing one.
    tmp = store / f".incoming-{secrets.token_hex(12)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as out, _source(source) as src:
            counted = _Counting(out)
            summary = encrypt_stream(src, counted, file_key, opts)
            out.flush()
            os.fsync(out.fileno())
        target = store / object_name(summary.content_hash)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return StoredFile(
        file_url(target), target, summary.content_hash, counted.n, summary.plaintext_len
    )


def _chunks(url: str, limit: int, timeout: float) -> Iterator[bytes]:
    """The bytes at ``url`` in pieces, at most ``limit + 1`` of them (enough to see an object
    that is too large)."""
    scheme = urllib.parse.urlsplit(url.strip()).scheme.lower()
    if scheme == "file":
        path = path_of_file_url(url)
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:
            raise StoreError(f"object not found: {url}") from None
        except OSError as e:
            raise StoreError(f"cannot read {url}: {e}") from e
        with f:
            left = limit + 1
            while left > 0:
                b = f.read(min(_READ_BLOCK, left))
                if not b:
                    return
                left -= len(b)
                yield b
        return
    if scheme in ("http", "https"):
        try:
            with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as r:
                if r.status_code == 404:
                    raise StoreError(f"object not found: {url}")
                if r.status_code != 200:
                    raise StoreError(f"{url}: HTTP {r.status_code}")
                left = limit + 1
                for b in r.iter_bytes():
                    yield b[:left]
                    left -= len(b)
                    if left <= 0:
                        return
        except httpx.HTTPError as e:
            raise StoreError(f"cannot read {url}: {e}") from e
        return
    raise UnsupportedUrl(
        f"cannot read {url!r}: this SDK reads {', '.join(s + '://' for s in STORE_SCHEMES)} "
        "urls (fetch s3:// objects with an S3 client and decrypt with "
        "synod.datacrypto.decrypt_checked)"
    )


def _size_mismatch(url: str, expected: int, got: int) -> StoreError:
    if got > expected:
        held = f"holds more than the {expected} bytes the chain registered"
    else:
        held = f"holds {got} bytes, the chain registered {expected}"
    return StoreError(f"{url} {held}: not the registered ciphertext (nothing decrypted)")


def read_object(
    url: str, expected_hash: HexLike, expected_size: int, *, timeout: float = 60.0
) -> bytes:
    """The ciphertext at ``url``, refused (before anything is decrypted) unless it is exactly
    ``expected_size`` bytes (:class:`StoreError`) hashing to ``expected_hash``
    (:class:`~synod.datacrypto.ContentHashMismatch`)."""
    data = b"".join(_chunks(url, expected_size, timeout))
    if len(data) != expected_size:
        raise _size_mismatch(url, expected_size, len(data))
    want = Hash(expected_hash)
    actual = Hash(_blake3.blake3(data).digest())
    if actual != want:
        raise ContentHashMismatch(want, actual)
    return data


def _download_checked(
    url: str, expected_hash: Hash, expected_size: int, dest: BinaryIO, timeout: float
) -> None:
    """Copies the object at ``url`` into ``dest`` while hashing it; refuses a wrong size or
    hash."""
    h = _blake3.blake3()
    n = 0
    for b in _chunks(url, expected_size, timeout):
        h.update(b)
        dest.write(b)
        n += len(b)
    if n != expected_size:
        raise _size_mismatch(url, expected_size, n)
    actual = Hash(h.digest())
    if actual != expected_hash:
        raise ContentHashMismatch(expected_hash, actual)


# --------------------------------------------------------------------------------------------
# An account's helpers
# --------------------------------------------------------------------------------------------


def _account_of(who: HexLike | Keypair) -> AccountId:
    return who.account if isinstance(who, Keypair) else AccountId(who)


class DataAccount:
    """One account's data: its data key, its files and grants, its proofs, and (as a worker)
    the jobs it is drawn for. Transactions are signed by ``key`` and sent through ``client``
    (:meth:`synod.rpc.Client.submit`: they wait for finality, and a call the chain refuses
    raises :class:`~synod.errors.TransactionFailed` with reason ``"data"``)."""

    def __init__(self, client: Client, key: Keypair, *, poll: float = 0.25) -> None:
        self.client = client
        self.key = key
        self.poll = poll
        self.api = DataApi(client)

    def __repr__(self) -> str:
        return f"DataAccount({self.key.account.hex0x}, {self.client.url!r})"

    @property
    def account(self) -> AccountId:
        """The account."""
        return self.key.account

    def _submit(self, call: Mapping[str, Any]) -> Receipt:
        return self.client.submit({"type": _MODULE, **call}, self.key)

    # ---- data keys ---------------------------------------------------------------------

    def data_keypair(self, sequence: int = 0) -> DataKeypair:
        """This account's data key with rotation ``sequence``, derived from its seed as the
        CLI derives it."""
        return DataKeypair.from_account_seed_at(self.key.seed, sequence)

    def key_record(self) -> KeyRecord | None:
        """The data key registered for this account, if any."""
        return self.api.key(self.account)

    def register_key(self, *, rotate: bool = False) -> KeyRecord:
        """Registers this account's data key (sequence 0), as ``synod data key register``;
        with ``rotate``, the next rotation. A key already registered and derived here is
        returned as it is (:class:`ForeignDataKey` if it was not derived from this seed and
        ``rotate`` is not set)."""
        current = self.key_record()
        if current is None:
            sequence = 0
        elif rotate:
            sequence = current.sequence + 1
        elif current.key == self.data_keypair(current.sequence).public:
            return current
        else:
            raise ForeignDataKey(self.account, current.sequence)
        chain_id = self.client.chain_info().chain_id
        registration = DataKeyRegistration.sign(
            self.key, chain_id, self.data_keypair(sequence).public, sequence
        )
        self._submit({"call": "register_key", "registration": registration.to_json()})
        record = self.key_record()
        assert record is not None, "a registered key is readable once final"
        return record

    def ensure_key(self) -> int:
        """Registers the data key (sequence 0) unless one is; returns the newest sequence
        (:class:`ForeignDataKey` when the registered key is not derived from this seed)."""
        record = self.register_key()
        return record.sequence

    def _opening_keypair(self, file: int, envelope: KeyEnvelope) -> DataKeypair:
        record = self.key_record()
        newest = record.sequence if record is not None else 0
        for sequence in range(newest, -1, -1):
            kp = self.data_keypair(sequence)
            if kp.public == envelope.recipient:
                return kp
        raise NotSealedToKey(file, self.account, envelope.recipient)

    # ---- files -------------------------------------------------------------------------

    def file(self, file: int | FileView) -> FileView:
        """A file's record (:class:`UnknownFile` if there is none)."""
        if isinstance(file, FileView):
            return file
        f = self.api.file(file)
        if f is None:
            raise UnknownFile(file)
        return f

    def add_file(
        self,
        source: bytes | bytearray | memoryview | str | os.PathLike[str],
        store_dir: str | os.PathLike[str],
        *,
        schema: str | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> FileView:
        """Encrypts ``source`` (bytes, or a file's path) with a fresh file key into the local
        store ``store_dir``, registers it (``add_file``) and seals the file key to this
        account's own data key (``grant_access``), as ``synod data add --store DIR`` does; the
        data key is registered first if it is not. Returns the registered file."""
        sequence = self.ensure_key()
        file_key = FileKey.generate()
        stored = store_encrypted(source, store_dir, file_key, EncryptOptions.random(chunk_size))
        receipt = self._submit(
            {
                "call": "add_file",
                "owner": self.account.hex0x,
                "url": stored.url,
                "content_hash": stored.content_hash.hex0x,
                "size": stored.size,
                "schema": schema,
                "owner_signature": None,
            }
        )
        (ev,) = receipt.events_of(_MODULE, "file_added")
        file_id = int(ev["file"])
        own = KeyEnvelope.seal(
            file_key, self.data_keypair(sequence).public, file_id, stored.content_hash
        )
        self._grant(file_id, self.account, own)
        return self.file(file_id)

    def file_key(self, file: int | FileView) -> FileKey:
        """Opens this account's key envelope of ``file`` (:class:`NoEnvelope` when it holds
        none: the owner has not granted it access)."""
        f = self.file(file)
        envelope = self.api.envelope(f.id, self.account)
        if envelope is None:
            raise NoEnvelope(f.id, self.account)
        return envelope.open(self._opening_keypair(f.id, envelope), f.id, f.content_hash)

    def get_file(self, file: int | FileView, *, timeout: float = 60.0) -> bytes:
        """A file's plaintext: opens this account's envelope, downloads the ciphertext from
        its ``file://`` or ``http(s)://`` url, refuses a size or BLAKE3 hash other than the
        registered ones before decrypting (:class:`StoreError`,
        :class:`~synod.datacrypto.ContentHashMismatch`), and decrypts."""
        f = self.file(file)
        key = self.file_key(f)
        ciphertext = read_object(f.url, f.content_hash, f.size, timeout=timeout)
        return decrypt_checked(ciphertext, key, f.content_hash)

    def get_file_to(
        self, file: int | FileView, out: str | os.PathLike[str], *, timeout: float = 60.0
    ) -> int:
        """:meth:`get_file` in constant memory into the path ``out``: the ciphertext is
        copied to a temporary file while it is hashed, checked, then decrypted one chunk at a
        time into a temporary file renamed to ``out``. Returns the plaintext's length."""
        f = self.file(file)
        key = self.file_key(f)
        dest = Path(out).absolute()
        with tempfile.TemporaryFile() as cipher:
            _download_checked(f.url, f.content_hash, f.size, cipher, timeout)
            cipher.seek(0)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
            try:
                with os.fdopen(fd, "wb") as plain:
                    n = decrypt_stream(cipher, plain, key)
                os.replace(tmp_name, dest)
            except BaseException:
                Path(tmp_name).unlink(missing_ok=True)
                raise
        return n

    def _grant(self, file: int, grantee: AccountId, envelope: KeyEnvelope) -> Receipt:
        return self._submit(
            {
                "call": "grant_access",
                "file": file,
                "grantee": grantee.hex0x,
                "envelope": envelope.hex0x,
            }
        )

    def grant(self, file: int | FileView, grantee: HexLike | Keypair) -> Receipt:
        """Seals ``file``'s key to ``grantee``'s registered data key (:class:`NoDataKey` if it
        has none), as ``synod data grant``; only the owner may (the chain refuses others with
        ``not_file_owner``), once per account (``already_granted``)."""
        f = self.file(file)
        who = _account_of(grantee)
        their = self.api.key(who)
        if their is None:
            raise NoDataKey(who)
        envelope = KeyEnvelope.seal(self.file_key(f), their.key, f.id, f.content_hash)
        return self._grant(f.id, who, envelope)

    # ---- pools and proofs --------------------------------------------------------------

    def pool(self, pool: int | str) -> PoolView:
        """A pool by id or name (:class:`UnknownPool` if there is none)."""
        found = self.api.pool(pool) if isinstance(pool, int) else self.api.pool_by_name(pool)
        if found is None:
            raise UnknownPool(pool)
        return found

    def job(self, job: int) -> JobView:
        """A job (:class:`UnknownJob` if there is none)."""
        found = self.api.job(job)
        if found is None:
            raise UnknownJob(job)
        return found

    def create_pool(self, name: str, reward_token: int, params: PoolParams) -> PoolView:
        """Creates a pool owned by this account; returns it."""
        receipt = self._submit(
            {
                "call": "create_pool",
                "name": name,
                "reward_token": reward_token,
                "params": params.to_json(),
            }
        )
        (ev,) = receipt.events_of(_MODULE, "pool_created")
        return self.pool(int(ev["pool"]))

    def fund_pool(self, pool: int | str, amount: int) -> Receipt:
        """Moves ``amount`` reward-token base units into the pool's treasury."""
        return self._submit(
            {"call": "fund_pool", "pool": self.pool(pool).id, "amount": str(amount)}
        )

    def request_proof(self, file: int | FileView, pool: int | str) -> int:
        """Asks ``pool`` (id or name) to score ``file`` (this account's own; the pool's job
        fee is escrowed); returns the job's id. Workers are drawn at the end of the next
        block: :meth:`wait_job` seals the file key to them."""
        f = self.file(file)
        receipt = self._submit({"call": "request_proof", "file": f.id, "pool": self.pool(pool).id})
        (ev,) = receipt.events_of(_MODULE, "proof_requested")
        return int(ev["job"])

    def seal_to_workers(self, job: int | JobView) -> list[AccountId]:
        """Seals the job's file key to each worker drawn for its current round that holds
        no envelope of the file yet (and to nobody else); returns those it sealed to.
        Nothing while the job waits for its draw or has ended."""
        j = job if isinstance(job, JobView) else self.job(job)
        if j.status.status != "scoring":
            return []
        f = self.file(j.file)
        missing = [w for w in j.workers if self.api.envelope(f.id, w) is None]
        if not missing:
            return []
        file_key = self.file_key(f)
        info = self.client.chain_info()
        nonce = self.client.next_nonce(self.account)
        hashes = []
        for i, worker in enumerate(missing):
            their = self.api.key(worker)
            if their is None:
                raise NoDataKey(worker)
            envelope = KeyEnvelope.seal(file_key, their.key, f.id, f.content_hash)
            call = {
                "type": _MODULE,
                "call": "grant_access",
                "file": f.id,
                "grantee": worker.hex0x,
                "envelope": envelope.hex0x,
            }
            tx = self.client.build(call, self.key, nonce=nonce + i, info=info)
            hashes.append(self.client.submit_transaction(tx))
        for h in hashes:
            receipt = self.client.wait_for_receipt(h)
            if not receipt.succeeded:
                raise TransactionFailed(receipt)
        return missing

    def wait_job(
        self, job: int, *, timeout: float = 300.0, seal: bool = True, poll: float | None = None
    ) -> JobView:
        """Follows ``job`` until it is accepted or has failed and returns it; with ``seal``
        (the default) and this account the requester, seals the file key to the workers as
        they are drawn (:meth:`seal_to_workers`). :class:`JobTimeout` after ``timeout``
        seconds."""
        deadline = time.monotonic() + timeout
        interval = self.poll if poll is None else poll
        while True:
            j = self.job(job)
            if j.status.done:
                return j
            if seal and j.requester == self.account:
                self.seal_to_workers(j)
            if time.monotonic() > deadline:
                raise JobTimeout(job, timeout)
            time.sleep(interval)

    def contribute(
        self,
        source: bytes | bytearray | memoryview | str | os.PathLike[str],
        pool: int | str,
        store_dir: str | os.PathLike[str],
        *,
        timeout: float = 300.0,
    ) -> tuple[FileView, JobView]:
        """``synod data contribute``: adds the file (with the pool's schema), requests a
        proof, seals the key to the drawn workers and waits for the verdict."""
        p = self.pool(pool)
        f = self.add_file(source, store_dir, schema=p.params.schema)
        job = self.request_proof(f, p.id)
        return self.file(f.id), self.wait_job(job, timeout=timeout)

    def proofs(self, file: int | FileView) -> list[ProofRecord]:
        """A file's accepted proofs."""
        return self.api.proofs(self.file(file).id)

    # ---- workers and staking -----------------------------------------------------------

    def bond_worker(self, pool: int | str, amount: int) -> Receipt:
        """Bonds ``amount`` SYN base units into the pool's worker set (registers the data key
        first if needed: files are sealed to it)."""
        self.ensure_key()
        return self._submit({"call": "bond_worker", "pool": self.pool(pool).id, "amount": amount})

    def unbond_worker(self, pool: int | str) -> Receipt:
        """Leaves the pool's worker set with the bond."""
        return self._submit({"call": "unbond_worker", "pool": self.pool(pool).id})

    def open_jobs(self) -> list[JobView]:
        """The open jobs this account is drawn for."""
        return self.api.jobs_of(self.account)

    def job_file(self, job: int | JobView, *, timeout: float = 60.0) -> bytes:
        """As a drawn worker: the plaintext of the job's file, through the envelope sealed to
        this account (:class:`NoEnvelope` while the requester has not sealed it)."""
        j = job if isinstance(job, JobView) else self.job(job)
        return self.get_file(j.file, timeout=timeout)

    def submit_score(self, job: int | JobView, scores: Scores, metadata: bytes = b"") -> Receipt:
        """As a drawn worker: posts ``scores`` and the program's ``metadata`` for ``job``."""
        job_id = job.id if isinstance(job, JobView) else job
        return self._submit(
            {
                "call": "submit_score",
                "job": job_id,
                "scores": scores.to_json(),
                "metadata": "0x" + bytes(metadata).hex(),
            }
        )

    def stake(self, pool: int | str, amount: int) -> Receipt:
        """Stakes ``amount`` SYN base units on a pool."""
        return self._submit({"call": "stake_pool", "pool": self.pool(pool).id, "amount": amount})

    def unstake(self, pool: int | str, amount: int) -> Receipt:
        """Withdraws stake (and pays its rewards)."""
        return self._submit({"call": "unstake_pool", "pool": self.pool(pool).id, "amount": amount})

    def claim(self, pool: int | str) -> Receipt:
        """Pays out this account's staking rewards of a pool."""
        return self._submit({"call": "claim_stake_rewards", "pool": self.pool(pool).id})
