"""Keys from BIP-39 mnemonics, and signed messages, as
``crates/chain/primitives/src/mnemonic.rs``.

A mnemonic (12, 15, 18, 21 or 24 English words with their checksum) becomes a 64-byte seed by
BIP-39: PBKDF2-HMAC-SHA512, 2048 rounds, over the words and the salt ``"mnemonic" +
passphrase``, both NFKD-normalised. The ed25519 key is derived from that seed by SLIP-0010
along the hardened path ``m/44'/5957'/account'/0'/0'`` (:data:`DERIVATION_PATH`; the account
index is the third level), exactly as ``synod key new`` and ``synod key regen`` derive it; the
golden vectors in ``crates/chain/primitives/tests/golden/mnemonic.json`` keep the two equal.

The word list and the checksum are the ``mnemonic`` package's (Trezor's reference
implementation of BIP-39); PBKDF2 and SLIP-0010 are :mod:`hashlib` and :mod:`hmac`.

A signed message is an ed25519 signature over :func:`message_signing_hash`, the message's
BLAKE3 under the tag ``synod/message/v1``: signing a message can never produce a valid
signature over a transaction, a payment or anything else Synod signs.

>>> from synod.keys import Keypair
>>> key = Keypair.from_mnemonic("abandon " * 11 + "about")
>>> key.account.hex0x[:10]
'0x364f51ff'
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata

from mnemonic import Mnemonic as _Bip39

from .errors import MnemonicChecksum, MnemonicWordCount, UnknownMnemonicWord
from .primitives import Hash, tagged_hash

__all__ = [
    "COIN_TYPE",
    "DERIVATION_PATH",
    "MESSAGE_TAG",
    "WORD_COUNTS",
    "generate_mnemonic",
    "normalize_mnemonic",
    "mnemonic_to_seed",
    "slip10_ed25519",
    "derive_secret",
    "message_signing_hash",
]

#: The coin type in :data:`DERIVATION_PATH` (Synod's own, not a SLIP-44 registration).
COIN_TYPE = 5957
#: SLIP-0010 path of a Synod key, every level hardened: ``m/44'/5957'/account'/0'/0'``; the
#: account index (0 here) is the third element.
DERIVATION_PATH: tuple[int, ...] = (44, COIN_TYPE, 0, 0, 0)
#: Tag of :func:`message_signing_hash`.
MESSAGE_TAG = "synod/message/v1"
#: The lengths a BIP-39 mnemonic may have.
WORD_COUNTS = (12, 15, 18, 21, 24)

_HARDENED = 0x8000_0000
_U32_MAX = 0xFFFF_FFFF
_BIP39 = _Bip39("english")
_WORDS = frozenset(_BIP39.wordlist)


def generate_mnemonic(words: int = 12) -> str:
    """A fresh mnemonic of ``words`` words (12, 15, 18, 21 or 24) from the operating system's
    CSPRNG, the words separated by single spaces.

    Raises :class:`~synod.errors.MnemonicWordCount` for any other count.
    """
    if isinstance(words, bool) or words not in WORD_COUNTS:
        raise MnemonicWordCount(words)
    return _BIP39.to_mnemonic(os.urandom(words // 3 * 4))


def normalize_mnemonic(phrase: str) -> str:
    """The checked mnemonic: words separated by any whitespace, case-insensitive, returned
    lowercase and separated by single spaces.

    Raises, in this order, :class:`~synod.errors.MnemonicWordCount` (not 12, 15, 18, 21 or 24
    words), :class:`~synod.errors.UnknownMnemonicWord` (the first word not in the BIP-39
    English list, with its 1-based position) and :class:`~synod.errors.MnemonicChecksum`
    (valid words whose checksum does not match: a word is mistyped or out of order).
    """
    if not isinstance(phrase, str):
        raise TypeError(f"a mnemonic is a str, got {type(phrase).__name__}")
    words = phrase.lower().split()
    if len(words) not in WORD_COUNTS:
        raise MnemonicWordCount(len(words))
    for position, word in enumerate(words, start=1):
        if word not in _WORDS:
            raise UnknownMnemonicWord(position, word)
    try:
        _BIP39.to_entropy(words)
    except ValueError:
        raise MnemonicChecksum() from None
    return " ".join(words)


def mnemonic_to_seed(phrase: str, passphrase: str = "") -> bytes:
    """The 64-byte BIP-39 seed of ``phrase`` (checked by :func:`normalize_mnemonic`) under
    ``passphrase`` (empty for none): PBKDF2-HMAC-SHA512, 2048 rounds, salt ``"mnemonic" +
    passphrase``, both NFKD."""
    words = unicodedata.normalize("NFKD", normalize_mnemonic(phrase)).encode("utf-8")
    salt = unicodedata.normalize("NFKD", "mnemonic" + passphrase).encode("utf-8")
    return hashlib.pbkdf2_hmac("sha512", words, salt, 2048)


def _hmac_sha512(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha512).digest()


def slip10_ed25519(seed: bytes, path: tuple[int, ...] | list[int]) -> bytes:
    """SLIP-0010 private key derivation for ed25519 (every index hardened, as the curve
    requires): the 32-byte secret at ``path`` below the master key of ``seed``. Indexes are
    ``u32``; the hardened bit is set on each, as the chain's implementation does."""
    i = _hmac_sha512(b"ed25519 seed", bytes(seed))
    for index in path:
        if isinstance(index, bool) or not 0 <= index <= _U32_MAX:
            raise ValueError(f"derivation index {index!r} is not a u32")
        key, chain = i[:32], i[32:]
        i = _hmac_sha512(chain, b"\x00" + key + (index | _HARDENED).to_bytes(4, "big"))
    return i[:32]


def derive_secret(phrase: str, passphrase: str = "", account_index: int = 0) -> bytes:
    """The 32-byte ed25519 seed of account ``account_index`` of ``phrase`` under
    ``passphrase``: :func:`slip10_ed25519` of the BIP-39 seed along
    ``m/44'/5957'/account_index'/0'/0'``."""
    if isinstance(account_index, bool) or not 0 <= account_index <= _U32_MAX:
        raise ValueError(f"account index {account_index!r} is not a u32")
    path = list(DERIVATION_PATH)
    path[2] = account_index
    return slip10_ed25519(mnemonic_to_seed(phrase, passphrase), path)


def message_signing_hash(message: bytes) -> Hash:
    """What a signed message signs (``synod key sign``): ``message``'s tagged BLAKE3 under
    :data:`MESSAGE_TAG`."""
    return tagged_hash(MESSAGE_TAG, bytes(message))
