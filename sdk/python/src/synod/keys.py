"""ed25519 signing keys, as ``crates/chain/primitives/src/keys.rs``.

A :class:`Keypair` is built from a 32-byte secret seed; its account is the public key.
:meth:`Keypair.dev` gives the well-known development keys of ``synod dev`` (``alice``, ``bob``,
…): the seed is ``Hash::tagged("synod/dev-key", lowercase name)``, so anyone can derive them and
they must never hold real value.

:meth:`Keypair.from_mnemonic` derives a key from BIP-39 words as ``synod key regen`` does, and
:meth:`Keypair.create_with_mnemonic` makes a fresh key with its words, as ``synod key new``
(see :mod:`synod.mnemonics`). :meth:`Keypair.sign_message` and :func:`verify_message` are
``synod key sign`` and ``synod key verify``: signatures over the message's tagged hash, which
can never pass for a transaction's signature.
"""

from __future__ import annotations

import os

import nacl.exceptions
import nacl.signing

from .mnemonics import derive_secret, generate_mnemonic, message_signing_hash
from .primitives import AccountId, HexLike, Signature, parse_hex, tagged_hash

__all__ = ["Keypair", "DEV_ACCOUNT_NAMES", "verify", "verify_message"]

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

    @classmethod
    def from_mnemonic(cls, phrase: str, passphrase: str = "", account_index: int = 0) -> Keypair:
        """The key of account ``account_index`` of BIP-39 ``phrase`` under ``passphrase``
        (SLIP-0010 along ``m/44'/5957'/account_index'/0'/0'``), as ``synod key regen``
        derives it (the CLI uses the empty passphrase; ``--index`` is ``account_index``).

        Words are separated by any whitespace, in any case. Raises
        :class:`~synod.errors.MnemonicWordCount`, :class:`~synod.errors.UnknownMnemonicWord`
        (with the word's 1-based position) or :class:`~synod.errors.MnemonicChecksum`.
        """
        return cls(derive_secret(phrase, passphrase, account_index))

    @classmethod
    def create_with_mnemonic(
        cls, words: int = 12, passphrase: str = "", account_index: int = 0
    ) -> tuple[Keypair, str]:
        """A fresh key and the mnemonic it comes from (``words`` words: 12, 15, 18, 21 or 24),
        as ``synod key new`` makes one. The words are the key's backup: keep them secret."""
        phrase = generate_mnemonic(words)
        return cls.from_mnemonic(phrase, passphrase, account_index), phrase

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

    def sign_message(self, message: bytes | str) -> Signature:
        """A signed message, as ``synod key sign``: the signature of
        :func:`~synod.mnemonics.message_signing_hash` of ``message`` (a ``str`` is signed as
        its UTF-8 bytes, as ``--message`` is)."""
        return self.sign(bytes(message_signing_hash(_message_bytes(message))))

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


def verify_message(account: HexLike, message: bytes | str, signature: HexLike) -> bool:
    """Whether ``signature`` is ``account``'s signed message ``message`` (what
    :meth:`Keypair.sign_message` and ``synod key sign`` make; ``synod key verify``)."""
    return verify(account, bytes(message_signing_hash(_message_bytes(message))), signature)


def _message_bytes(message: bytes | str) -> bytes:
    return message.encode("utf-8") if isinstance(message, str) else bytes(message)
