"""The chain's ``Call``: one module's call, in its JSON form, to and from borsh.

JSON (what the node prints and the golden vectors hold): the bank's calls are
``{"type": "transfer", "to": …, "amount": …}`` and ``{"type": "bind_hotkey", …}``; every other
module's are ``{"type": "<module>", "call": "<variant>", <fields>…}``, e.g.
``{"type": "tokens", "call": "transfer", "token": 1, "to": "0x…", "amount": "5"}``.

Borsh (``crates/chain/runtime/src/lib.rs``): the bank keeps its flat tags 0–1; every other
module has one tag byte (subnets 2, validators 3, tokens 4, assets 5, agents 6, payments 7,
data 8) followed by its own call enum.

:func:`call_weight` is the runtime's ``CallWeight::weight``: the module's weight, plus, for an
agents ``execute``, the weight of the inner call it carries (when those bytes decode).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from .borsh import BorshError, Reader
from .codec import Codec
from .errors import EncodingError
from .modules import agents, assets, bank, data, payments, subnets, tokens, validators
from .primitives import HexLike, parse_hex

__all__ = [
    "MODULE_TAGS",
    "MODULES",
    "encode_call",
    "decode_call",
    "call_weight",
    "module_call_codec",
    "transfer",
    "module_call",
]

#: The chain-level tag of each module's calls (the bank's calls are flat, tags 0 and 1).
MODULE_TAGS: dict[str, int] = {
    "subnets": 2,
    "validators": 3,
    "tokens": 4,
    "assets": 5,
    "agents": 6,
    "payments": 7,
    "data": 8,
}

#: Every module by name, the bank first.
MODULES: dict[str, ModuleType] = {
    m.NAME: m for m in (bank, subnets, validators, tokens, assets, agents, payments, data)
}

_BY_TAG = {tag: MODULES[name] for name, tag in MODULE_TAGS.items()}
_U64_MAX = (1 << 64) - 1


def module_call_codec(module: str) -> Codec:
    """The codec of ``module``'s own call enum (its JSON form without the ``type`` wrapper)."""
    try:
        return MODULES[module].CALL  # type: ignore[no-any-return]
    except KeyError:
        raise EncodingError(
            "type", f"unknown module {module!r} (one of: {', '.join(MODULES)})"
        ) from None


def _split(call: Mapping[str, Any]) -> tuple[ModuleType, Mapping[str, Any]]:
    if not isinstance(call, Mapping):
        raise EncodingError("call", f"a call is a JSON object, got {call!r}")
    kind = call.get("type")
    if not isinstance(kind, str):
        raise EncodingError("call.type", f"a call names its type (a string), got {kind!r}")
    if kind in MODULE_TAGS:
        return MODULES[kind], {k: v for k, v in call.items() if k != "type"}
    if kind in bank.CALL.index:
        return bank, call
    names = ", ".join([*bank.CALL.index, *MODULE_TAGS])
    raise EncodingError("call.type", f"unknown call type {kind!r} (one of: {names})")


def encode_call(call: Mapping[str, Any]) -> bytes:
    """The borsh encoding of a chain call given in its JSON form."""
    module, inner = _split(call)
    body: bytes = module.CALL.encode(inner, "call")
    if module is bank:
        return body
    return bytes([MODULE_TAGS[module.NAME]]) + body


def decode_call(data: bytes) -> dict[str, Any]:
    """A chain call's JSON form from its borsh (exactly one call; trailing bytes refused)."""
    r = Reader(data)
    try:
        tag = r.u8()
        if tag <= 1:
            r = Reader(data)
            out: dict[str, Any] = bank.CALL.decode_from(r, "call")
        elif tag in _BY_TAG:
            module = _BY_TAG[tag]
            out = {"type": module.NAME, **module.CALL.decode_from(r, "call")}
        else:
            raise BorshError(f"unknown call tag {tag}")
        r.finish()
    except BorshError as e:
        raise EncodingError("call", str(e)) from None
    return out


def call_weight(call: Mapping[str, Any]) -> int:
    """The call's execution weight, as the chain prices it (``CallWeight::weight``).

    The call is validated (encoded) first, so a malformed call raises :class:`EncodingError`.
    """
    encode_call(call)
    module, inner = _split(call)
    own: int = module.weight(inner)
    if module is agents and inner["call"] == "execute":
        own = min(_U64_MAX, own + _delegated_weight(inner["inner"]))
    return own


def _delegated_weight(inner: Any) -> int:
    data = parse_hex(inner) if isinstance(inner, str) else bytes(inner)
    if len(data) > agents.MAX_INNER_CALL_BYTES:
        return 0
    try:
        return call_weight(decode_call(data))
    except EncodingError:
        # The runtime adds nothing for inner bytes that do not decode (the call then fails).
        return 0


def transfer(to: HexLike, amount: int) -> dict[str, Any]:
    """A SYN transfer of ``amount`` base units to ``to``."""
    return {"type": "transfer", "to": _hex(to), "amount": amount}


def module_call(module: str, call: str, **fields: Any) -> dict[str, Any]:
    """A module call in JSON form: ``module_call("tokens", "transfer", token=1, to=…, amount=5)``.

    Accounts and hashes may be given as bytes (e.g. :class:`~synod.primitives.AccountId`).
    """
    if module not in MODULE_TAGS:
        raise EncodingError("type", f"unknown module {module!r} (one of: {', '.join(MODULE_TAGS)})")
    return {"type": module, "call": call, **fields}


def _hex(v: HexLike) -> str:
    if isinstance(v, str):
        return v
    return "0x" + bytes(v).hex()
