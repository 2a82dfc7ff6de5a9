"""What every part of the chain shares: hashes, accounts, signatures, SYN amounts.

Mirrors ``crates/chain/primitives``: a :class:`Hash` is a 32-byte BLAKE3 digest, an
:class:`AccountId` is a 32-byte ed25519 public key, a :class:`Signature` 64 bytes; all three are
shown as ``0x``-prefixed lowercase hex. :func:`tagged_hash` is ``Hash::tagged``, the domain
separated BLAKE3 used for every kind of object.
"""

from __future__ import annotations

import string
from typing import TypeVar

import blake3 as _blake3

__all__ = [
    "AccountId",
    "Hash",
    "Signature",
    "HexLike",
    "parse_hex",
    "tagged_hash",
    "blake3",
    "SYMBOL",
    "DECIMALS",
    "UNIT",
    "MAX_SUPPLY",
    "parse_amount",
    "format_amount",
]

#: Ticker of the native token.
SYMBOL = "SYN"
#: Decimal places of the native token.
DECIMALS = 9
#: Base units in one SYN.
UNIT: int = 10**DECIMALS
#: Hard cap on the native supply: 21 million SYN, in base units.
MAX_SUPPLY = 21_000_000 * UNIT

_HEX = frozenset(string.hexdigits)

F = TypeVar("F", bound="_Fixed")

#: Anything accepted where fixed-size bytes are expected: the bytes themselves or their hex.
HexLike = str | bytes | bytearray | memoryview


def parse_hex(text: str, size: int | None = None) -> bytes:
    """Bytes from hex with an optional ``0x`` prefix (surrounding whitespace ignored).

    Raises :class:`ValueError` on anything that is not hex, or on a length other than ``size``.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a hex string, got {type(text).__name__}")
    s = text.strip()
    if s.startswith("0x"):
        s = s[2:]
    if len(s) % 2 or not _HEX.issuperset(s):
        raise ValueError(f"invalid hex: {text!r}")
    data = bytes.fromhex(s)
    if size is not None and len(data) != size:
        raise ValueError(f"expected {size} bytes, got {len(data)}")
    return data


class _Fixed(bytes):
    """Fixed-size bytes shown as ``0x`` hex; compares and hashes as the bytes."""

    SIZE = 0

    def __new__(cls: type[F], value: HexLike) -> F:
        if isinstance(value, str):
            data = parse_hex(value, cls.SIZE)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            data = bytes(value)
            if len(data) != cls.SIZE:
                raise ValueError(f"{cls.__name__} is {cls.SIZE} bytes, got {len(data)}")
        else:
            raise TypeError(f"{cls.__name__} from {type(value).__name__}")
        return super().__new__(cls, data)

    @classmethod
    def from_hex(cls: type[F], text: str) -> F:
        """Parses ``0x``-optional hex of exactly the right length."""
        return cls(parse_hex(text, cls.SIZE))

    @property
    def hex0x(self) -> str:
        """``0x`` and the lowercase hex (what the chain's JSON shows)."""
        return "0x" + self.hex()

    def __str__(self) -> str:
        return self.hex0x

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.hex0x})"


class Hash(_Fixed):
    """A 32-byte BLAKE3 digest."""

    SIZE = 32


class AccountId(_Fixed):
    """An account: its 32-byte ed25519 public key."""

    SIZE = 32


class Signature(_Fixed):
    """A 64-byte ed25519 signature."""

    SIZE = 64


def blake3(data: bytes) -> Hash:
    """Plain BLAKE3 of ``data`` (``Hash::digest``)."""
    return Hash(_blake3.blake3(data).digest())


def tagged_hash(tag: str, data: bytes) -> Hash:
    """``Hash::tagged``: BLAKE3 over the tag's length (``u32`` little endian), the tag, the data.

    Hashes of different kinds of objects can never collide by construction.
    """
    t = tag.encode("utf-8")
    h = _blake3.blake3(len(t).to_bytes(4, "little"))
    h.update(t)
    h.update(data)
    return Hash(h.digest())


def parse_amount(text: str) -> int:
    """``"1.5"`` (SYN) → ``1_500_000_000`` base units, exactly as the CLI parses amounts.

    Refuses signs, exponents, more than 9 decimals and amounts above ``u64``.
    """
    t = text.strip()
    whole, _, frac = t.partition(".")
    digits = whole + frac
    if not digits or not all(c in "0123456789" for c in digits):
        raise ValueError(f"{text!r} is not a decimal amount")
    if len(frac) > DECIMALS:
        raise ValueError(f"{text!r} has more than {DECIMALS} decimal places")
    value = int(whole or "0") * UNIT + int((frac or "0").ljust(DECIMALS, "0"))
    if value >= 1 << 64:
        raise ValueError(f"{text!r} is too large")
    return value


def format_amount(base_units: int) -> str:
    """Base units as SYN with all 9 decimals: ``1500000001`` → ``"1.500000001 SYN"``."""
    return f"{base_units // UNIT}.{base_units % UNIT:09d} {SYMBOL}"
