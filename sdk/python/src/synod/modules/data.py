"""The data module's calls, events and failures (``crates/modules/data/src/wire.rs``): data
keys, the file registry with key envelopes, data pools, scoring workers, pool staking.

``EVENT`` and ``FAILURE`` describe :class:`DataEvent` (tag ``event``) and :class:`DataFailure`
(tag ``kind``) as the node prints them inside a receipt (``{"type": "data", "event": …}``,
``{"reason": "data", "kind": …}``); they are checked against the module's golden vectors like
the calls. :func:`add_file_message` is what a file's owner signs for a relayer's ``add_file``;
:func:`treasury_account` and :func:`emission_account` are the module's keyless accounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..borsh import Writer
from ..codec import (
    ACCOUNT,
    HASH,
    HEX_BYTES,
    SIGNATURE,
    STRING,
    U8,
    U32,
    U64,
    U128,
    U128_STRING,
    FixedBytes,
    InternallyTagged,
    OptionOf,
    Struct,
    TupleOf,
    UnitEnum,
    VecOf,
)
from ..primitives import AccountId, Hash, HexLike, parse_hex, tagged_hash

NAME = "data"

#: Parts per million: every score part and every share is out of this.
PPM = 1_000_000
#: Longest file url, in bytes.
MAX_URL_LEN = 512
#: Longest schema id (of a file or a pool), in bytes.
MAX_SCHEMA_LEN = 64
#: Longest pool name, in bytes (``a-z``, ``0-9``, ``-``, starting with a letter).
MAX_POOL_NAME_LEN = 32
#: Longest pool description, in bytes.
MAX_DESCRIPTION_LEN = 1024
#: Most workers a job may ask for.
MAX_WORKERS_PER_JOB = 15

#: Domain tag of :func:`add_file_message`.
ADD_FILE_TAG = "synod/data/add-file/v1"

#: An X25519 data public key (``0x`` hex).
DATA_PUBLIC_KEY = FixedBytes(32)
#: A :class:`synod.datacrypto.KeyEnvelope`: 113 bytes of borsh, shown as ``0x`` hex.
KEY_ENVELOPE = FixedBytes(113)

#: :class:`synod.datacrypto.DataKeyRegistration`.
REGISTRATION = Struct(
    ("account", ACCOUNT),
    ("data_key", DATA_PUBLIC_KEY),
    ("sequence", U64),
    ("signature", SIGNATURE),
)

SCORES = Struct(
    ("authenticity", U32),
    ("ownership", U32),
    ("quality", U32),
    ("uniqueness", U32),
    ("score", U32),
)

POOL_PARAMS = Struct(
    ("description", STRING),
    ("schema", OptionOf(STRING)),
    ("program_hash", HASH),
    ("program_url", STRING),
    ("reward_per_unit", U128_STRING),
    ("workers_per_job", U8),
    ("min_worker_bond", U64),
    ("job_timeout", U64),
    ("job_fee", U64),
    ("slash_ppm", U32),
    ("miss_slash_ppm", U32),
    ("max_misses", U32),
    ("staker_share_ppm", U32),
)

CALL = InternallyTagged(
    "call",
    [
        ("register_key", Struct(("registration", REGISTRATION))),
        (
            "add_file",
            Struct(
                ("owner", ACCOUNT),
                ("url", STRING),
                ("content_hash", HASH),
                ("size", U64),
                ("schema", OptionOf(STRING)),
                ("owner_signature", OptionOf(SIGNATURE)),
            ),
        ),
        (
            "grant_access",
            Struct(("file", U64), ("grantee", ACCOUNT), ("envelope", KEY_ENVELOPE)),
        ),
        (
            "create_pool",
            Struct(("name", STRING), ("reward_token", U64), ("params", POOL_PARAMS)),
        ),
        ("fund_pool", Struct(("pool", U64), ("amount", U128_STRING))),
        ("queue_pool_update", Struct(("pool", U64), ("params", POOL_PARAMS))),
        ("apply_pool_update", Struct(("pool", U64))),
        ("cancel_pool_update", Struct(("pool", U64))),
        ("bond_worker", Struct(("pool", U64), ("amount", U64))),
        ("unbond_worker", Struct(("pool", U64))),
        ("request_proof", Struct(("file", U64), ("pool", U64))),
        ("submit_score", Struct(("job", U64), ("scores", SCORES), ("metadata", HEX_BYTES))),
        ("stake_pool", Struct(("pool", U64), ("amount", U64))),
        ("unstake_pool", Struct(("pool", U64), ("amount", U64))),
        ("claim_stake_rewards", Struct(("pool", U64))),
        ("withdraw_treasury", Struct(("pool", U64), ("amount", U64))),
    ],
)

JOB_FAILURE_CAUSE = UnitEnum(
    "not_enough_workers", "no_majority", "keys_not_sealed", "out_of_rounds"
)
SLASH_CAUSE = UnitEnum("outvoted", "missed")

EVENT = InternallyTagged(
    "event",
    [
        (
            "key_registered",
            Struct(("account", ACCOUNT), ("key", DATA_PUBLIC_KEY), ("sequence", U64)),
        ),
        (
            "file_added",
            Struct(
                ("file", U64),
                ("owner", ACCOUNT),
                ("url", STRING),
                ("content_hash", HASH),
                ("size", U64),
            ),
        ),
        ("access_granted", Struct(("file", U64), ("grantee", ACCOUNT))),
        (
            "pool_created",
            Struct(("pool", U64), ("name", STRING), ("owner", ACCOUNT), ("treasury", ACCOUNT)),
        ),
        ("pool_funded", Struct(("pool", U64), ("from", ACCOUNT), ("amount", U128_STRING))),
        ("pool_update_queued", Struct(("pool", U64), ("ready_at", U64))),
        ("pool_updated", Struct(("pool", U64))),
        ("pool_update_cancelled", Struct(("pool", U64))),
        ("worker_bonded", Struct(("pool", U64), ("worker", ACCOUNT), ("bond", U64))),
        ("worker_unbonded", Struct(("pool", U64), ("worker", ACCOUNT), ("returned", U64))),
        (
            "proof_requested",
            Struct(("job", U64), ("file", U64), ("pool", U64), ("draw_at", U64)),
        ),
        (
            "job_assigned",
            Struct(
                ("job", U64),
                ("workers", VecOf(ACCOUNT)),
                ("deadline", U64),
                ("index_len", U64),
            ),
        ),
        ("score_posted", Struct(("job", U64), ("worker", ACCOUNT))),
        (
            "proof_accepted",
            Struct(
                ("job", U64),
                ("file", U64),
                ("pool", U64),
                ("scores", SCORES),
                ("reward", U128_STRING),
                ("proof_index", U32),
            ),
        ),
        (
            "worker_slashed",
            Struct(
                ("pool", U64),
                ("worker", ACCOUNT),
                ("slashed", U64),
                ("returned", U64),
                ("cause", SLASH_CAUSE),
            ),
        ),
        ("worker_missed", Struct(("job", U64), ("worker", ACCOUNT), ("misses", U32))),
        (
            "job_failed",
            Struct(("job", U64), ("cause", JOB_FAILURE_CAUSE), ("refunded", U64)),
        ),
        ("pool_staked", Struct(("pool", U64), ("staker", ACCOUNT), ("amount", U64))),
        ("pool_unstaked", Struct(("pool", U64), ("staker", ACCOUNT), ("amount", U64))),
        ("stake_rewards_paid", Struct(("pool", U64), ("staker", ACCOUNT), ("amount", U64))),
        (
            "epoch_rewards",
            Struct(("epoch", U64), ("total", U64), ("pools", VecOf(TupleOf(U64, U64)))),
        ),
        ("treasury_withdrawn", Struct(("pool", U64), ("amount", U64))),
    ],
)

FAILURE = InternallyTagged(
    "kind",
    [
        ("invalid_key_registration", Struct(("detail", STRING))),
        ("wrong_key_sequence", Struct(("expected", U64), ("got", U64))),
        ("no_data_key", Struct(("account", ACCOUNT))),
        ("invalid_field", Struct(("field", STRING), ("detail", STRING))),
        ("duplicate_url", Struct(("file", U64))),
        ("bad_owner_signature", Struct()),
        ("unknown_file", Struct(("file", U64))),
        ("not_file_owner", Struct(("file", U64))),
        ("already_granted", Struct(("file", U64), ("grantee", ACCOUNT))),
        ("bad_envelope", Struct(("detail", STRING))),
        ("pool_name_taken", Struct(("name", STRING))),
        ("unknown_pool", Struct(("pool", U64))),
        ("not_pool_owner", Struct(("pool", U64))),
        ("invalid_param", Struct(("field", STRING), ("detail", STRING))),
        ("unknown_token", Struct(("token", U64))),
        ("no_pending_update", Struct(("pool", U64))),
        ("update_pending", Struct(("pool", U64))),
        ("timelock_active", Struct(("ready_at", U64))),
        ("zero_amount", Struct()),
        ("worker_set_full", Struct(("pool", U64), ("max", U32))),
        ("bond_too_small", Struct(("bond", U64), ("minimum", U64))),
        ("not_a_worker", Struct(("pool", U64))),
        ("worker_busy", Struct(("open", U32))),
        ("already_rewarded", Struct(("file", U64), ("pool", U64))),
        ("job_open", Struct(("job", U64))),
        (
            "schema_mismatch",
            Struct(("file_schema", OptionOf(STRING)), ("pool_schema", OptionOf(STRING))),
        ),
        ("not_enough_workers", Struct(("pool", U64), ("eligible", U32), ("needed", U8))),
        ("unknown_job", Struct(("job", U64))),
        ("job_not_open", Struct(("job", U64))),
        ("not_assigned", Struct(("job", U64))),
        ("already_posted", Struct(("job", U64))),
        ("score_out_of_range", Struct(("field", STRING), ("value", U32))),
        ("metadata_too_large", Struct(("len", U32), ("max", U32))),
        # ``available`` is a plain u128: a JSON number, not a decimal string.
        ("insufficient", Struct(("available", U128))),
        ("overflow", Struct()),
    ],
)


def weight(call: Mapping[str, Any]) -> int:
    """``Data::call_weight``: a signature check for keys and files, more for scores with
    large metadata."""
    kind = call["call"]
    if kind in ("register_key", "add_file"):
        return 3
    if kind == "submit_score":
        metadata = call["metadata"]
        n = len(parse_hex(metadata) if isinstance(metadata, str) else bytes(metadata))
        return 4 + n // 1_024
    if kind in ("create_pool", "queue_pool_update", "request_proof"):
        return 2
    return 1


def add_file_message(
    chain_id: str,
    owner: HexLike,
    url: str,
    content_hash: HexLike,
    size: int,
    schema: str | None,
) -> Hash:
    """What a file's owner signs so that a relayer may register the file for it:
    ``tagged("synod/data/add-file/v1", borsh(chain_id, owner, url, content_hash, size,
    schema))``. The url is unique on chain, so the signature registers its file once."""
    w = Writer()
    w.string(chain_id)
    w.raw(bytes(AccountId(owner)))
    w.string(url)
    w.raw(bytes(Hash(content_hash)))
    w.u64(size)
    w.option(schema, w.string)
    return tagged_hash(ADD_FILE_TAG, w.to_bytes())


def module_account() -> AccountId:
    """The account holding worker bonds, job fees, stakes and staker rewards."""
    return AccountId(tagged_hash("synod/module", NAME.encode()))


def derived_account(purpose: bytes) -> AccountId:
    """A keyless account of this module for one purpose (``synod_module::derived_account``)."""
    name = NAME.encode()
    return AccountId(
        tagged_hash("synod/module-derived", len(name).to_bytes(2, "little") + name + bytes(purpose))
    )


def emission_account() -> AccountId:
    """The account the data pools' share of block emission collects in until each epoch's
    split."""
    return derived_account(b"emission")


def treasury_account(pool: int) -> AccountId:
    """Pool ``pool``'s treasury (a keyless account)."""
    return derived_account(b"treasury" + pool.to_bytes(8, "big"))
