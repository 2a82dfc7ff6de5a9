"""The payments module's calls (``crates/modules/payments/src/wire.rs``): paid services and
batched settlement of signed authorizations (the chain side of HTTP 402)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..codec import (
    ACCOUNT,
    HASH,
    SIGNATURE,
    STRING,
    U16,
    U32,
    U64,
    U128_STRING,
    InternallyTagged,
    OptionOf,
    Struct,
    UnitEnum,
    VecOf,
)
from .agents import ASSET
from .assets import WEIGHT_PER_WORK_UNIT

NAME = "payments"

#: Weight of one settled authorization besides its asset-vault work.
SETTLE_ITEM_WEIGHT = 6_000

PRICING = UnitEnum("exact", "upto")
ENDPOINT = Struct(
    ("method", STRING),
    ("path", STRING),
    ("price", U128_STRING),
    ("asset", ASSET),
    ("pricing", PRICING),
)
ASSET_USE = Struct(("asset", U64), ("share_bps", U16))
MIN_REPUTATION = Struct(
    ("settled_payments", U64), ("deals_completed", U64), ("max_disputes_lost", U64)
)
SERVICE_SPEC = Struct(
    ("name", STRING),
    ("url", STRING),
    ("payee", ACCOUNT),
    ("endpoints", VecOf(ENDPOINT)),
    ("uses", VecOf(ASSET_USE)),
    ("min_reputation", OptionOf(MIN_REPUTATION)),
)
AUTHORIZATION = Struct(
    ("payer", ACCOUNT),
    ("signer", ACCOUNT),
    ("service", U64),
    ("payee", ACCOUNT),
    ("asset", ASSET),
    ("max_amount", U128_STRING),
    ("valid_after", U64),
    ("valid_before", U64),
    ("nonce", HASH),
    ("request_hash", HASH),
)
SIGNED_AUTHORIZATION = Struct(("authorization", AUTHORIZATION), ("signature", SIGNATURE))
SETTLE_ITEM = Struct(("authorization", SIGNED_AUTHORIZATION), ("amount", U128_STRING))

CALL = InternallyTagged(
    "call",
    [
        ("register_service", Struct(("spec", SERVICE_SPEC))),
        ("update_service", Struct(("service", U64), ("spec", SERVICE_SPEC))),
        ("settle", Struct(("service", U64), ("work_bound", U32), ("items", VecOf(SETTLE_ITEM)))),
    ],
)

_U64_MAX = (1 << 64) - 1


def weight(call: Mapping[str, Any]) -> int:
    """``PaymentCall::weight`` (saturating, as in Rust)."""
    if call["call"] == "settle":
        per_item = min(
            _U64_MAX, SETTLE_ITEM_WEIGHT + WEIGHT_PER_WORK_UNIT * int(call["work_bound"])
        )
        return min(_U64_MAX, 2_000 + per_item * len(call["items"]))
    spec = call["spec"]
    return min(_U64_MAX, 10_000 + (len(spec["endpoints"]) + len(spec["uses"])) * 500)
