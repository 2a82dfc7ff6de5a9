"""The tokens module's calls (``crates/modules/tokens/src/wire.rs``): fungible tokens with
caps, allowances, burns, emission schedules, vesting and timelocked admin actions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..codec import (
    ACCOUNT,
    STRING,
    U8,
    U64,
    U128_STRING,
    InternallyTagged,
    OptionOf,
    Struct,
)

NAME = "tokens"

EMISSION = Struct(("recipient", ACCOUNT), ("rate", U128_STRING))

ADMIN_ACTION = InternallyTagged(
    "action",
    [
        ("mint", Struct(("to", ACCOUNT), ("amount", U128_STRING))),
        ("set_emission", Struct(("schedule", OptionOf(EMISSION)))),
        ("set_mint_authority", Struct(("new", ACCOUNT))),
        ("set_admin", Struct(("new", ACCOUNT))),
    ],
)

CALL = InternallyTagged(
    "call",
    [
        (
            "create",
            Struct(
                ("symbol", STRING),
                ("name", STRING),
                ("decimals", U8),
                ("max_supply", U128_STRING),
                ("initial_supply", U128_STRING),
                ("emission", OptionOf(EMISSION)),
                ("mint_authority", ACCOUNT),
                ("admin", ACCOUNT),
            ),
        ),
        ("transfer", Struct(("token", U64), ("to", ACCOUNT), ("amount", U128_STRING))),
        (
            "approve",
            Struct(
                ("token", U64),
                ("spender", ACCOUNT),
                ("amount", U128_STRING),
                ("expires_at", OptionOf(U64)),
            ),
        ),
        (
            "transfer_from",
            Struct(("token", U64), ("owner", ACCOUNT), ("to", ACCOUNT), ("amount", U128_STRING)),
        ),
        ("burn", Struct(("token", U64), ("amount", U128_STRING))),
        ("emit", Struct(("token", U64))),
        (
            "create_vesting",
            Struct(
                ("token", U64),
                ("beneficiary", ACCOUNT),
                ("amount", U128_STRING),
                ("start", U64),
                ("cliff", U64),
                ("duration", U64),
            ),
        ),
        ("claim_vested", Struct(("token", U64), ("vesting_id", U64))),
        ("queue_admin_action", Struct(("token", U64), ("action", ADMIN_ACTION))),
        ("execute_admin_action", Struct(("token", U64), ("action_id", U64))),
        ("cancel_admin_action", Struct(("token", U64), ("action_id", U64))),
    ],
)

_WEIGHTS = {
    "create": 20_000,
    "transfer": 5_000,
    "approve": 3_000,
    "transfer_from": 6_000,
    "burn": 4_000,
    "emit": 5_000,
    "create_vesting": 8_000,
    "claim_vested": 6_000,
    "queue_admin_action": 5_000,
    "execute_admin_action": 8_000,
    "cancel_admin_action": 3_000,
}


def weight(call: Mapping[str, Any]) -> int:
    """``TokenCall::weight``."""
    return _WEIGHTS[call["call"]]
