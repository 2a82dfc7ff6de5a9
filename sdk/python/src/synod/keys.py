"""ed25519 signing keys, as ``crates/chain/primitives/src/keys.rs``.

A :class:`Keypair` is built from a 32-byte secret seed; its account is the public key.
:meth:`Keypair.dev` gives the well-known development keys of ``synod dev`` (``alice``, ``bob``,
…): the seed is ``Hash::tagged("synod/dev-key", lowercase name)``, so anyone can derive them and
they must never hold real value.
"""

from __future__ import annotations

import os

import nacl.exceptions
import nacl.signing

from .primitives import AccountId, HexLike, Signature, parse_hex, tagged_hash

__all__ = ["Keypair", "DEV_ACCOUNT_NAMES", "verify"]

#: The development accounts ``synod dev`` funds, in order.
DEV_ACCOUNT_NAMES = ("alice", "bob", "charlie", "dave", "eve", "ferdie")


class Keypair:
    """An ed25519 signing key with its account. The seed never appears in ``repr``."""

    __slots__ = ("_signing", "_account")

    def __init__(self, seed: HexLike) -> None:
        """A keypair from its 32-byte secret seed (bytes, or hex with optional ``0x``)."""
        raw = parse_hex(seed, 32) if isinstance(seed, str) else bytes(seed)
        if len(raw) != 32:
            raise ValueError(f"a seed is 32 bytes, got {len(raw)}")
        self._signing = nacl.signing.SigningKey(raw)
        self._account = AccountId(bytes(self._signing.verify_key))

    @classmethod
    def from_seed(cls, seed: HexLike) -> Keypair:
        """The same as ``Keypair(seed)``."""
        return cls(seed)

    @classmethod
    def generate(cls) -> Keypair:
        """A fresh key from the operating system's CSPRNG."""
        return cls(os.urandom(32))

    @classmethod
    def dev(cls, name: str) -> Keypair:
        """The public development key for ``name`` (case-insensitive), as ``Keypair::dev``."""
        return cls(bytes(tagged_hash("synod/dev-key", name.lower().encode("utf-8"))))

    @property
    def account(self) -> AccountId:
        """The account (public key)."""
        return self._account

    @property
    def seed(self) -> bytes:
        """The 32-byte secret seed; store it encrypted (see :mod:`synod.keystore`)."""
        return bytes(self._signing)

    def sign(self, message: bytes) -> Signature:
        """The 64-byte ed25519 signature of ``message``."""
        return Signature(self._signing.sign(bytes(message)).signature)

    def __repr__(self) -> str:
        return f"Keypair({self._account.hex0x})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Keypair) and other._account == self._account

    def __hash__(self) -> int:
        return hash(self._account)


def verify(account: HexLike, message: bytes, signature: HexLike) -> bool:
    """Whether ``signature`` is ``account``'s signature of ``message`` (RFC 8032 check).

    The chain's own rule (ZIP-215, no small-order keys) accepts every signature this accepts
    that an honest signer makes; use the node to judge adversarial input.
    """
    key = nacl.signing.VerifyKey(bytes(AccountId(account)))
    try:
        key.verify(bytes(message), bytes(Signature(signature)))
    except nacl.exceptions.BadSignatureError:
        return False
    return True
