"""The AI assets module's calls (``crates/modules/assets/src/wire.rs``): registration,
versions, lineage, licences, revenue vaults and payments, attribution commitments with
challenges and juries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..codec import (
    ACCOUNT,
    HASH,
    I64,
    STRING,
    U16,
    U32,
    U64,
    U128_STRING,
    ExternallyTagged,
    InternallyTagged,
    OptionOf,
    Struct,
    UnitEnum,
    VecOf,
)

NAME = "assets"

#: Weight per unit of a payment's declared work bound.
WEIGHT_PER_WORK_UNIT = 200

ASSET_KIND = UnitEnum("dataset", "model", "agent", "pipeline", "service")
RELATION = UnitEnum("trained_on", "finetuned_from", "derived_from", "uses")
LICENCE_KIND = UnitEnum("open", "non_commercial", "commercial", "commercial_remix")
#: ``"syn"`` or ``{"token": <id>}``.
CURRENCY = ExternallyTagged(("syn", None), ("token", U64))
ATTRIBUTION_METHOD = InternallyTagged(
    "method",
    [
        ("knn_shapley", Struct(("k", U32))),
        ("monte_carlo_shapley", Struct(("permutations", U32), ("seed", U64))),
        ("declared", Struct()),
    ],
)
CONTRIBUTOR_VALUE = Struct(("contributor", ACCOUNT), ("value_micro", I64), ("weight", U64))
PAY_ITEM = Struct(
    ("asset", U64), ("amount", U128_STRING), ("licence", OptionOf(U32)), ("work_bound", U32)
)
VERDICT = UnitEnum("original", "challenger", "neither")

CALL = InternallyTagged(
    "call",
    [
        (
            "register",
            Struct(
                ("kind", ASSET_KIND),
                ("name", STRING),
                ("metadata_uri", STRING),
                ("metadata_hash", HASH),
                ("content_hash", HASH),
            ),
        ),
        ("transfer", Struct(("asset", U64), ("to", ACCOUNT))),
        ("add_version", Struct(("asset", U64), ("content_hash", HASH), ("uri", STRING))),
        (
            "link",
            Struct(
                ("child", U64), ("parent", U64), ("relation", RELATION), ("licence", OptionOf(U32))
            ),
        ),
        (
            "offer_licence",
            Struct(
                ("asset", U64),
                ("kind", LICENCE_KIND),
                ("currency", CURRENCY),
                ("price", U128_STRING),
                ("upstream_share_bp", U16),
                ("duration_blocks", U64),
            ),
        ),
        ("withdraw_licence", Struct(("asset", U64), ("offer", U32))),
        (
            "buy_licence",
            Struct(("asset", U64), ("offer", U32), ("max_price", U128_STRING), ("work_bound", U32)),
        ),
        ("pay", Struct(("currency", CURRENCY), ("items", VecOf(PAY_ITEM)))),
        ("claim", Struct(("asset", U64), ("currency", CURRENCY))),
        ("transfer_contribution", Struct(("asset", U64), ("to", ACCOUNT))),
        (
            "commit",
            Struct(
                ("asset", U64),
                ("method", ATTRIBUTION_METHOD),
                ("datasets", VecOf(U64)),
                ("metric", STRING),
                ("values", VecOf(CONTRIBUTOR_VALUE)),
                ("evidence_hash", HASH),
                ("evidence_uri", STRING),
                ("bond", U64),
            ),
        ),
        (
            "challenge",
            Struct(
                ("commitment", U64),
                ("values", VecOf(CONTRIBUTOR_VALUE)),
                ("evidence_hash", HASH),
                ("evidence_uri", STRING),
                ("bond", U64),
            ),
        ),
        ("worker_bond", Struct(("amount", U64))),
        ("worker_unbond", Struct(("amount", U64))),
        ("vote", Struct(("commitment", U64), ("verdict", VERDICT))),
    ],
)

_U64_MAX = (1 << 64) - 1

_WEIGHTS = {
    "register": 10_000,
    "transfer": 5_000,
    "add_version": 4_000,
    "link": 20_000,
    "offer_licence": 4_000,
    "withdraw_licence": 3_000,
    "claim": 5_000,
    "transfer_contribution": 1_000,
    "worker_bond": 5_000,
    "worker_unbond": 5_000,
    "vote": 5_000,
}


def weight(call: Mapping[str, Any]) -> int:
    """``AssetCall::weight``: payments are priced on their declared work bound."""
    kind = call["call"]
    if kind == "buy_licence":
        return 10_000 + WEIGHT_PER_WORK_UNIT * int(call["work_bound"])
    if kind == "pay":
        w = 5_000
        for item in call["items"]:
            w = min(_U64_MAX, w + 2_000 + WEIGHT_PER_WORK_UNIT * int(item["work_bound"]))
        return w
    if kind in ("commit", "challenge"):
        return 8_000 + 100 * len(call["values"])
    return _WEIGHTS[kind]
