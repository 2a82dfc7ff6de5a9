"""The subnet economy's calls (``crates/modules/subnets/src/wire.rs``): subnets, neurons,
weights with commit–reveal, axons, staking with limit orders, public identities of subnets and
hotkeys (``identity.rs``), and the hotkey swap.

Failure kinds of the identity and swap calls: ``invalid_identity`` (``detail``: the limit an
identity breaks), ``hotkey_in_use`` (``hotkey``: the new hotkey of a swap is registered or
staked somewhere already), ``not_subnet_owner``, ``not_hotkey_owner``,
``same_origin_and_destination``; a swap whose proof does not verify fails in the bank
(``invalid_hotkey_proof``). Events: ``subnet_identity_set`` (``netuid``, ``identity``),
``hotkey_identity_set`` (``hotkey``, ``identity``), ``hotkey_swapped`` (``coldkey``,
``old_hotkey``, ``new_hotkey``, ``netuids``: where it held a UID, ownership, stake or
commits; 0 is root).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..borsh import Writer
from ..codec import (
    ACCOUNT,
    BOOL,
    HASH,
    I16,
    SIGNATURE,
    STRING,
    U8,
    U16,
    U32,
    U64,
    U128_STRING,
    AdjacentlyTagged,
    InternallyTagged,
    OptionOf,
    Struct,
    VecOf,
)
from ..errors import InvalidIdentity
from ..keys import Keypair
from ..primitives import AccountId, Hash, HexLike, tagged_hash
from .bank import hotkey_binding_message

NAME = "subnets"

HYPERPARAMETER = AdjacentlyTagged(
    "name",
    "value",
    [
        ("tempo", U16),
        ("max_allowed_uids", U16),
        ("max_allowed_validators", U16),
        ("immunity_period", U64),
        ("min_allowed_weights", U16),
        ("max_weights_limit", U16),
        ("weights_rate_limit", U64),
        ("weights_version_key", U64),
        ("kappa", U16),
        ("bonds_moving_average", U64),
        ("bonds_penalty", U16),
        ("yuma3_enabled", BOOL),
        ("liquid_alpha_enabled", BOOL),
        ("alpha_values", Struct(("low", U16), ("high", U16))),
        ("alpha_sigmoid_steepness", I16),
        ("commit_reveal_enabled", BOOL),
        ("reveal_period_epochs", U64),
        ("activity_cutoff", U64),
        ("min_burn", U64),
        ("max_burn", U64),
        ("registration_allowed", BOOL),
        ("serving_rate_limit", U64),
        ("min_non_immune_uids", U16),
    ],
)

_UIDS = VecOf(U16)

#: A subnet's or a hotkey's public identity (``crates/modules/subnets/src/identity.rs``).
IDENTITY = Struct(("name", STRING), ("url", STRING), ("description", STRING))

#: Longest identity name, URL and description, in UTF-8 bytes (``identity.rs``).
MAX_IDENTITY_NAME = 64
MAX_IDENTITY_URL = 256
MAX_IDENTITY_DESCRIPTION = 1024


@dataclass(frozen=True)
class Identity:
    """A subnet's or a hotkey's public identity: what lists show beside a netuid or a
    validator (``Identity`` in ``identity.rs``)."""

    #: Display name, 1 to 64 bytes, one line.
    name: str
    #: Web page: empty, or an ``http://`` / ``https://`` URL of at most 256 bytes.
    url: str = ""
    #: What it is, at most 1024 bytes (several lines allowed).
    description: str = ""

    def check(self) -> None:
        """Raises :class:`~synod.errors.InvalidIdentity` with the chain's reason
        (``Identity::check``) when the chain would refuse this identity."""
        for field, value, most in (
            ("name", self.name, MAX_IDENTITY_NAME),
            ("url", self.url, MAX_IDENTITY_URL),
            ("description", self.description, MAX_IDENTITY_DESCRIPTION),
        ):
            if not isinstance(value, str):
                raise InvalidIdentity(f"{field} is not a string")
            size = len(value.encode("utf-8"))
            if size > most:
                raise InvalidIdentity(f"{field} is {size} bytes; at most {most}")
            if any(c != "\n" and unicodedata.category(c) == "Cc" for c in value):
                raise InvalidIdentity(f"{field} contains control characters")
        if not self.name.strip():
            raise InvalidIdentity("name is empty")
        if "\n" in self.name or "\n" in self.url:
            raise InvalidIdentity("name and url are one line each")
        if self.url and not self.url.startswith(("https://", "http://")):
            raise InvalidIdentity("url must start with http:// or https://")

    def to_json(self) -> dict[str, str]:
        """The chain's JSON form."""
        return {"name": self.name, "url": self.url, "description": self.description}

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> Identity:
        """From the chain's JSON form."""
        return cls(str(j["name"]), str(j["url"]), str(j["description"]))


IdentityLike = Identity | Mapping[str, Any]


def identity_json(identity: IdentityLike | None) -> dict[str, str] | None:
    """An identity (an :class:`Identity` or its JSON form) checked and in JSON form, or
    ``None`` (which clears it on chain)."""
    if identity is None:
        return None
    if isinstance(identity, Identity):
        ident = identity
    else:
        unknown = set(identity) - {"name", "url", "description"}
        if unknown or "name" not in identity:
            what = f"unknown field(s) {sorted(unknown)}" if unknown else "no name"
            raise InvalidIdentity(f"{what} (an identity has name, url, description)")
        ident = Identity(**identity)
    ident.check()
    return ident.to_json()


CALL = InternallyTagged(
    "call",
    [
        ("register_network", Struct(("hotkey", ACCOUNT), ("max_lock_cost", U64))),
        ("start_call", Struct(("netuid", U16))),
        ("set_hyperparameter", Struct(("netuid", U16), ("param", HYPERPARAMETER))),
        ("burned_register", Struct(("netuid", U16), ("hotkey", ACCOUNT), ("max_burn", U64))),
        (
            "serve_axon",
            Struct(
                ("netuid", U16),
                ("hotkey", ACCOUNT),
                ("ip", U128_STRING),
                ("ip_type", U8),
                ("port", U16),
                ("protocol", U8),
                ("version", U32),
            ),
        ),
        (
            "set_weights",
            Struct(
                ("netuid", U16),
                ("hotkey", ACCOUNT),
                ("uids", _UIDS),
                ("values", VecOf(U16)),
                ("version_key", U64),
            ),
        ),
        ("commit_weights", Struct(("netuid", U16), ("hotkey", ACCOUNT), ("commit_hash", HASH))),
        (
            "reveal_weights",
            Struct(
                ("netuid", U16),
                ("hotkey", ACCOUNT),
                ("uids", _UIDS),
                ("values", VecOf(U16)),
                ("salt", VecOf(U8)),
                ("version_key", U64),
            ),
        ),
        (
            "add_stake",
            Struct(
                ("hotkey", ACCOUNT),
                ("netuid", U16),
                ("amount", U64),
                ("limit_price", OptionOf(U64)),
                ("allow_partial", BOOL),
            ),
        ),
        (
            "remove_stake",
            Struct(
                ("hotkey", ACCOUNT),
                ("netuid", U16),
                ("amount", U64),
                ("limit_price", OptionOf(U64)),
                ("allow_partial", BOOL),
            ),
        ),
        (
            "move_stake",
            Struct(
                ("origin_hotkey", ACCOUNT),
                ("destination_hotkey", ACCOUNT),
                ("origin_netuid", U16),
                ("destination_netuid", U16),
                ("amount", U64),
            ),
        ),
        (
            "transfer_stake",
            Struct(
                ("destination_coldkey", ACCOUNT),
                ("hotkey", ACCOUNT),
                ("origin_netuid", U16),
                ("destination_netuid", U16),
                ("amount", U64),
            ),
        ),
        (
            "swap_stake",
            Struct(
                ("hotkey", ACCOUNT),
                ("origin_netuid", U16),
                ("destination_netuid", U16),
                ("amount", U64),
                ("limit_price", OptionOf(U64)),
                ("allow_partial", BOOL),
            ),
        ),
        ("set_delegate_take", Struct(("hotkey", ACCOUNT), ("take", U16))),
        ("set_subnet_identity", Struct(("netuid", U16), ("identity", OptionOf(IDENTITY)))),
        ("set_hotkey_identity", Struct(("hotkey", ACCOUNT), ("identity", OptionOf(IDENTITY)))),
        (
            "swap_hotkey",
            Struct(("old_hotkey", ACCOUNT), ("new_hotkey", ACCOUNT), ("proof", SIGNATURE)),
        ),
    ],
)

_WEIGHTS = {
    "register_network": 50_000,
    "start_call": 5_000,
    "set_hyperparameter": 5_000,
    "burned_register": 20_000,
    "serve_axon": 3_000,
    "commit_weights": 5_000,
    "add_stake": 10_000,
    "remove_stake": 10_000,
    "move_stake": 15_000,
    "transfer_stake": 15_000,
    "swap_stake": 15_000,
    "set_delegate_take": 3_000,
    "set_subnet_identity": 5_000,
    "set_hotkey_identity": 5_000,
    # Reads every subnet's staker index and moves each nominator's position.
    "swap_hotkey": 200_000,
}


def set_subnet_identity(netuid: int, identity: IdentityLike | None) -> dict[str, Any]:
    """The call (sent by the subnet's owner coldkey) setting its identity, or clearing it
    with ``None``; the identity is checked first (:class:`~synod.errors.InvalidIdentity`)."""
    return {
        "type": NAME,
        "call": "set_subnet_identity",
        "netuid": netuid,
        "identity": identity_json(identity),
    }


def set_hotkey_identity(hotkey: HexLike, identity: IdentityLike | None) -> dict[str, Any]:
    """The call (sent by the hotkey's owner coldkey) setting its identity, or clearing it."""
    return {
        "type": NAME,
        "call": "set_hotkey_identity",
        "hotkey": AccountId(hotkey).hex0x,
        "identity": identity_json(identity),
    }


def swap_hotkey(
    chain_id: str, coldkey: HexLike, old_hotkey: HexLike, new_hotkey: Keypair
) -> dict[str, Any]:
    """The call (sent by ``coldkey``, which owns ``old_hotkey``) replacing ``old_hotkey``
    by ``new_hotkey`` everywhere, with the new hotkey's proof of possession: its signature
    of :func:`~synod.modules.bank.hotkey_binding_message` for ``chain_id`` and ``coldkey``,
    as for ``bind_hotkey``."""
    proof = new_hotkey.sign(hotkey_binding_message(chain_id, coldkey))
    return {
        "type": NAME,
        "call": "swap_hotkey",
        "old_hotkey": AccountId(old_hotkey).hex0x,
        "new_hotkey": new_hotkey.account.hex0x,
        "proof": proof.hex0x,
    }


def weight(call: Mapping[str, Any]) -> int:
    """``SubnetCall::weight``: a base per kind, plus 20 per UID for weight vectors."""
    kind = call["call"]
    if kind in ("set_weights", "reveal_weights"):
        return 10_000 + 20 * len(call["uids"])
    return _WEIGHTS[kind]


def weights_commit_hash(
    hotkey: HexLike,
    netuid: int,
    uids: Sequence[int],
    values: Sequence[int],
    salt: bytes,
    version_key: int,
) -> Hash:
    """The hash a validator commits to for commit–reveal weights: tagged BLAKE3 of
    ``borsh((hotkey, netuid, uids, values, salt, version_key))``."""
    w = Writer()
    w.raw(bytes(AccountId(hotkey)))
    w.integer("u16", netuid)
    w.vec(uids, lambda u: w.integer("u16", u))
    w.vec(values, lambda v: w.integer("u16", v))
    w.bytes_vec(bytes(salt))
    w.u64(version_key)
    return tagged_hash("synod/weights-commit/v1", w.to_bytes())
