"""Borsh, the chain's canonical binary encoding, written out by hand.

Only what the chain uses: little-endian fixed-width integers (``u8`` … ``u128``, ``i8`` …
``i128``), ``bool`` as one byte ``0``/``1``, strings and vectors as a ``u32`` length then the
items, ``Option`` as a tag byte ``0``/``1`` then the value, fixed arrays as their items with no
length, and enums as a ``u8`` variant index then the variant's fields.

:class:`Writer` appends to a buffer; :class:`Reader` reads one value at a time and refuses what
borsh-rs refuses (a bool other than 0/1, an option tag other than 0/1, invalid UTF-8, reading
past the end), so that :meth:`Reader.finish` after the last value gives the chain's
"exactly one accepted encoding" rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

__all__ = ["BorshError", "Writer", "Reader", "INT_RANGES"]

T = TypeVar("T")

#: ``(min, max)`` of every integer type by name.
INT_RANGES: dict[str, tuple[int, int]] = {
    **{f"u{b}": (0, (1 << b) - 1) for b in (8, 16, 32, 64, 128)},
    **{f"i{b}": (-(1 << (b - 1)), (1 << (b - 1)) - 1) for b in (8, 16, 32, 64, 128)},
}


class BorshError(ValueError):
    """Bytes that are not a valid encoding, or a value that cannot be encoded."""


def _width(kind: str) -> int:
    return int(kind[1:]) // 8


class Writer:
    """Appends borsh encodings to a buffer; :meth:`to_bytes` returns what was written."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def to_bytes(self) -> bytes:
        """Everything written so far."""
        return bytes(self._buf)

    def integer(self, kind: str, value: int) -> None:
        """An integer of type ``kind`` (``"u8"`` … ``"i128"``), range-checked."""
        lo, hi = INT_RANGES[kind]
        if isinstance(value, bool) or not isinstance(value, int):
            raise BorshError(f"{kind} must be an int, got {type(value).__name__}")
        if not lo <= value <= hi:
            raise BorshError(f"{value} does not fit in {kind}")
        self._buf += value.to_bytes(_width(kind), "little", signed=kind[0] == "i")

    def u8(self, value: int) -> None:
        """A ``u8``."""
        self.integer("u8", value)

    def u32(self, value: int) -> None:
        """A ``u32``."""
        self.integer("u32", value)

    def u64(self, value: int) -> None:
        """A ``u64``."""
        self.integer("u64", value)

    def u128(self, value: int) -> None:
        """A ``u128``."""
        self.integer("u128", value)

    def boolean(self, value: bool) -> None:
        """A ``bool``: one byte, 0 or 1."""
        if not isinstance(value, bool):
            raise BorshError(f"bool must be a bool, got {type(value).__name__}")
        self._buf.append(1 if value else 0)

    def raw(self, data: bytes) -> None:
        """Bytes as they are (a fixed-size array of ``u8``)."""
        self._buf += data

    def fixed(self, data: bytes, size: int) -> None:
        """A ``[u8; size]`` array: exactly ``size`` bytes, no length prefix."""
        if len(data) != size:
            raise BorshError(f"expected {size} bytes, got {len(data)}")
        self._buf += data

    def bytes_vec(self, data: bytes) -> None:
        """A ``Vec<u8>``: ``u32`` length then the bytes."""
        self.u32(len(data))
        self._buf += data

    def string(self, value: str) -> None:
        """A ``String``: ``u32`` length of its UTF-8, then the UTF-8."""
        if not isinstance(value, str):
            raise BorshError(f"string must be a str, got {type(value).__name__}")
        self.bytes_vec(value.encode("utf-8"))

    def vec(self, items: Iterable[T], item: Callable[[T], None]) -> None:
        """A ``Vec<T>``: ``u32`` count, then each item written by ``item``."""
        seq = list(items)
        self.u32(len(seq))
        for x in seq:
            item(x)

    def option(self, value: T | None, some: Callable[[T], None]) -> None:
        """An ``Option<T>``: ``0`` for ``None``, else ``1`` then the value written by ``some``."""
        if value is None:
            self._buf.append(0)
        else:
            self._buf.append(1)
            some(value)


class Reader:
    """Reads borsh values from ``data`` in order; :meth:`finish` checks nothing is left."""

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._pos = 0

    @property
    def remaining(self) -> int:
        """Bytes not read yet."""
        return len(self._data) - self._pos

    def take(self, n: int) -> bytes:
        """The next ``n`` bytes."""
        if n > self.remaining:
            raise BorshError(f"unexpected end of input: wanted {n} bytes, {self.remaining} left")
        out = self._data[self._pos : self._pos + n]
        self._pos += n
        return out

    def integer(self, kind: str) -> int:
        """An integer of type ``kind``."""
        return int.from_bytes(self.take(_width(kind)), "little", signed=kind[0] == "i")

    def u8(self) -> int:
        """A ``u8``."""
        return self.integer("u8")

    def u32(self) -> int:
        """A ``u32``."""
        return self.integer("u32")

    def u64(self) -> int:
        """A ``u64``."""
        return self.integer("u64")

    def boolean(self) -> bool:
        """A ``bool``; any byte but 0 or 1 is refused."""
        b = self.u8()
        if b > 1:
            raise BorshError(f"invalid bool byte {b}")
        return b == 1

    def bytes_vec(self) -> bytes:
        """A ``Vec<u8>``."""
        return self.take(self.u32())

    def string(self) -> str:
        """A ``String``; invalid UTF-8 is refused."""
        raw = self.bytes_vec()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BorshError(f"string is not UTF-8: {e}") from None

    def vec(self, item: Callable[[], T]) -> list[T]:
        """A ``Vec<T>``, each item read by ``item``."""
        n = self.u32()
        return [item() for _ in range(n)]

    def option(self, some: Callable[[], T]) -> T | None:
        """An ``Option<T>``; a tag byte other than 0 or 1 is refused."""
        tag = self.u8()
        if tag == 0:
            return None
        if tag == 1:
            return some()
        raise BorshError(f"invalid option tag {tag}")

    def finish(self) -> None:
        """Refuses trailing bytes (the chain decodes exactly one value)."""
        if self.remaining:
            raise BorshError(f"{self.remaining} trailing bytes after the value")
