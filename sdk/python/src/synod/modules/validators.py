"""The validator set's calls (``crates/modules/validators/src/wire.rs``): bond, unbond,
withdraw, report an equivocation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..codec import HEX_BYTES, U64, InternallyTagged, Struct
from ..primitives import parse_hex

NAME = "validators"

CALL = InternallyTagged(
    "call",
    [
        ("bond", Struct(("amount", U64))),
        ("unbond", Struct(("amount", U64))),
        ("withdraw", Struct()),
        ("report_equivocation", Struct(("evidence", HEX_BYTES))),
    ],
)


def weight(call: Mapping[str, Any]) -> int:
    """``ValidatorCall::weight``: 5,000, or 50,000 plus the evidence's length."""
    if call["call"] == "report_equivocation":
        ev = call["evidence"]
        return 50_000 + len(parse_hex(ev) if isinstance(ev, str) else bytes(ev))
    return 5_000
