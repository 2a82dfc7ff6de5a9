"""The bank's calls (``crates/modules/bank/src/wire.rs``): SYN transfers and hotkey binding.

At the chain level the bank's calls are written flat (tags 0 and 1) and their JSON keeps
``{"type": "transfer", …}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..borsh import Writer
from ..codec import ACCOUNT, SIGNATURE, U64, InternallyTagged, Struct
from ..keys import Keypair
from ..primitives import AccountId, HexLike

NAME = "bank"

CALL = InternallyTagged(
    "type",
    [
        ("transfer", Struct(("to", ACCOUNT), ("amount", U64))),
        ("bind_hotkey", Struct(("hotkey", ACCOUNT), ("proof", SIGNATURE))),
    ],
)

_WEIGHTS = {"transfer": 1_000, "bind_hotkey": 2_000}


def weight(call: Mapping[str, Any]) -> int:
    """``BankCall::weight``."""
    return _WEIGHTS[call["type"]]


def hotkey_binding_message(chain_id: str, coldkey: HexLike) -> bytes:
    """What a hotkey signs to be bound to ``coldkey`` on ``chain_id``:
    ``b"synod/bind-hotkey/v1" ‖ borsh(chain_id) ‖ coldkey``."""
    w = Writer()
    w.raw(b"synod/bind-hotkey/v1")
    w.string(chain_id)
    w.raw(bytes(AccountId(coldkey)))
    return w.to_bytes()


def bind_hotkey(chain_id: str, coldkey: HexLike, hotkey: Keypair) -> dict[str, Any]:
    """The call (sent by ``coldkey``) binding ``hotkey``, with the hotkey's proof of
    possession."""
    proof = hotkey.sign(hotkey_binding_message(chain_id, coldkey))
    return {"type": "bind_hotkey", "hotkey": hotkey.account.hex0x, "proof": proof.hex0x}
