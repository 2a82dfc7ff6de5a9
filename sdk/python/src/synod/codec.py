"""Typed descriptions of the chain's wire types, between their JSON form and borsh.

Each Rust wire type is described once by a :class:`Codec` built from the pieces below; the
description both *encodes* a value in the chain's JSON form (what ``serde_json`` prints for the
Rust type) to borsh and *decodes* borsh back to that JSON form. The JSON conventions are the
chain's:

- integers are JSON numbers, except ``u128`` fields marked ``u128_string`` in Rust (token
  amounts, caps), which are decimal strings (ints are accepted too on input);
- accounts, hashes and signatures are ``0x`` hex (bytes accepted on input); ``Vec<u8>`` fields
  marked ``hex_bytes`` are ``0x`` hex;
- ``Option`` is ``null`` or the value; a missing ``Option`` field is ``None`` (as serde reads
  it); ``BTreeSet`` is an array (sorted and de-duplicated on encoding, as the set would be); a
  tuple is an array of its elements;
- enums follow their serde attribute: internally tagged (``{"call": "transfer", …}``),
  externally tagged (``"native"``, ``{"token": 7}``), adjacently tagged
  (``{"name": "tempo", "value": 10}``), or unit-only (``"dataset"``).

Unlike serde, fields a type does not have are refused rather than ignored, so a misspelt
field name is an error instead of a silently different transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .borsh import INT_RANGES, BorshError, Reader, Writer
from .errors import EncodingError
from .primitives import parse_hex

__all__ = [
    "Codec",
    "Int",
    "Bool",
    "Str",
    "FixedBytes",
    "HexBytes",
    "VecOf",
    "SetOf",
    "OptionOf",
    "TupleOf",
    "Struct",
    "Field",
    "InternallyTagged",
    "ExternallyTagged",
    "AdjacentlyTagged",
    "UnitEnum",
    "U8",
    "U16",
    "U32",
    "U64",
    "I16",
    "I64",
    "U128",
    "U128_STRING",
    "BOOL",
    "STRING",
    "ACCOUNT",
    "HASH",
    "SIGNATURE",
    "HEX_BYTES",
]


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class Codec:
    """A wire type: JSON form ↔ borsh."""

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        """Writes ``value`` (JSON form) to ``w``; raises :class:`EncodingError` at ``path``."""
        raise NotImplementedError

    def decode_from(self, r: Reader, path: str) -> Any:
        """Reads one value and returns its JSON form."""
        raise NotImplementedError

    def order_key(self, value: Any, path: str) -> Any:
        """The sort key of ``value`` as the Rust type orders it (for sets)."""
        raise EncodingError(path, f"{type(self).__name__} values cannot be set elements")

    def encode(self, value: Any, path: str = "") -> bytes:
        """``value`` (JSON form) as borsh."""
        w = Writer()
        self.encode_into(value, w, path)
        return w.to_bytes()

    def decode(self, data: bytes, path: str = "") -> Any:
        """Exactly one value from ``data`` (trailing bytes refused), in JSON form."""
        r = Reader(data)
        try:
            v = self.decode_from(r, path)
            r.finish()
        except BorshError as e:
            raise EncodingError(path, str(e)) from None
        return v


class Int(Codec):
    """A fixed-width integer (``u8`` … ``i128``); ``as_string`` for serde's ``u128_string``."""

    def __init__(self, kind: str, as_string: bool = False) -> None:
        if kind not in INT_RANGES:
            raise ValueError(f"unknown integer type {kind}")
        self.kind = kind
        self.as_string = as_string

    def _value(self, value: Any, path: str) -> int:
        if isinstance(value, bool):
            raise EncodingError(path, f"{self.kind} expected, got a bool")
        if isinstance(value, int):
            n = value
        elif self.as_string and isinstance(value, str):
            if not value.isdigit() or not value.isascii():
                raise EncodingError(path, f"'{value}' is not a {self.kind} decimal string")
            n = int(value)
        else:
            want = "an int or a decimal string" if self.as_string else "an int"
            raise EncodingError(path, f"{self.kind} expected ({want}), got {value!r}")
        lo, hi = INT_RANGES[self.kind]
        if not lo <= n <= hi:
            raise EncodingError(path, f"{n} does not fit in {self.kind}")
        return n

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        w.integer(self.kind, self._value(value, path))

    def decode_from(self, r: Reader, path: str) -> Any:
        n = r.integer(self.kind)
        return str(n) if self.as_string else n

    def order_key(self, value: Any, path: str) -> Any:
        return self._value(value, path)


class Bool(Codec):
    """``bool``."""

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        if not isinstance(value, bool):
            raise EncodingError(path, f"bool expected, got {value!r}")
        w.boolean(value)

    def decode_from(self, r: Reader, path: str) -> Any:
        return r.boolean()


class Str(Codec):
    """``String`` (UTF-8)."""

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        if not isinstance(value, str):
            raise EncodingError(path, f"string expected, got {value!r}")
        w.string(value)

    def decode_from(self, r: Reader, path: str) -> Any:
        return r.string()


def _bytes_of(value: Any, size: int | None, path: str) -> bytes:
    if isinstance(value, str):
        try:
            return parse_hex(value, size)
        except ValueError as e:
            raise EncodingError(path, str(e)) from None
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        if size is not None and len(data) != size:
            raise EncodingError(path, f"expected {size} bytes, got {len(data)}")
        return data
    raise EncodingError(path, f"hex string or bytes expected, got {value!r}")


class FixedBytes(Codec):
    """``[u8; N]`` newtypes shown as ``0x`` hex: ``AccountId`` (32), ``Hash`` (32),
    ``Signature`` (64)."""

    def __init__(self, size: int) -> None:
        self.size = size

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        w.raw(_bytes_of(value, self.size, path))

    def decode_from(self, r: Reader, path: str) -> Any:
        return "0x" + r.take(self.size).hex()

    def order_key(self, value: Any, path: str) -> Any:
        return _bytes_of(value, self.size, path)


class HexBytes(Codec):
    """``Vec<u8>`` shown as ``0x`` hex (serde ``hex_bytes``)."""

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        w.bytes_vec(_bytes_of(value, None, path))

    def decode_from(self, r: Reader, path: str) -> Any:
        return "0x" + r.bytes_vec().hex()


class VecOf(Codec):
    """``Vec<T>`` as a JSON array."""

    def __init__(self, item: Codec) -> None:
        self.item = item

    def _items(self, value: Any, path: str) -> Sequence[Any]:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            raise EncodingError(path, f"array expected, got {value!r}")
        return value

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        items = self._items(value, path)
        w.u32(len(items))
        for i, x in enumerate(items):
            self.item.encode_into(x, w, _at(path, i))

    def decode_from(self, r: Reader, path: str) -> Any:
        n = r.u32()
        return [self.item.decode_from(r, _at(path, i)) for i in range(n)]


class SetOf(VecOf):
    """``BTreeSet<T>``: a JSON array, encoded ascending without repeats. Decoding refuses
    elements out of order or repeated, as the chain's strict set decoder does."""

    def _items(self, value: Any, path: str) -> Sequence[Any]:
        if isinstance(value, (set, frozenset)):
            value = list(value)
        items = super()._items(value, path)
        keyed: dict[Any, Any] = {}
        for i, x in enumerate(items):
            keyed.setdefault(self.item.order_key(x, _at(path, i)), x)
        return [keyed[k] for k in sorted(keyed)]

    def decode_from(self, r: Reader, path: str) -> Any:
        items = super().decode_from(r, path)
        keys = [self.item.order_key(x, path) for x in items]
        if any(a >= b for a, b in zip(keys, keys[1:], strict=False)):
            raise BorshError("set elements must be strictly ascending")
        return items


class OptionOf(Codec):
    """``Option<T>``: ``null`` or the value."""

    def __init__(self, item: Codec) -> None:
        self.item = item

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        if value is None:
            w.u8(0)
        else:
            w.u8(1)
            self.item.encode_into(value, w, path)

    def decode_from(self, r: Reader, path: str) -> Any:
        return r.option(lambda: self.item.decode_from(r, path))


class TupleOf(Codec):
    """A tuple ``(A, B, …)``: a JSON array of exactly its elements, encoded one after the other
    (borsh has no length for a tuple)."""

    def __init__(self, *items: Codec) -> None:
        self.items = items

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
            raise EncodingError(path, f"array expected, got {value!r}")
        if len(value) != len(self.items):
            raise EncodingError(path, f"{len(self.items)} elements expected, got {len(value)}")
        for i, (codec, x) in enumerate(zip(self.items, value, strict=True)):
            codec.encode_into(x, w, _at(path, i))

    def decode_from(self, r: Reader, path: str) -> Any:
        return [codec.decode_from(r, _at(path, i)) for i, codec in enumerate(self.items)]


Field = tuple[str, Codec]


class Struct(Codec):
    """A struct (or an enum variant's fields): a JSON object, fields encoded in order."""

    def __init__(self, *fields: Field) -> None:
        self.fields = fields
        self.names = frozenset(name for name, _ in fields)

    def encode_fields(self, obj: Mapping[str, Any], w: Writer, path: str, ignore: str = "") -> None:
        """Writes the fields of ``obj`` (a JSON object), refusing unknown keys but ``ignore``."""
        unknown = [k for k in obj if k not in self.names and k != ignore]
        if unknown:
            raise EncodingError(path, f"unknown field(s) {', '.join(map(repr, unknown))}")
        for name, codec in self.fields:
            if name in obj:
                codec.encode_into(obj[name], w, _at(path, name))
            elif isinstance(codec, OptionOf):
                w.u8(0)
            else:
                raise EncodingError(path, f"missing field '{name}'")

    def decode_fields(self, r: Reader, path: str) -> dict[str, Any]:
        """Reads the fields into a JSON object."""
        return {name: codec.decode_from(r, _at(path, name)) for name, codec in self.fields}

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        if not isinstance(value, Mapping):
            raise EncodingError(path, f"object expected, got {value!r}")
        self.encode_fields(value, w, path)

    def decode_from(self, r: Reader, path: str) -> Any:
        return self.decode_fields(r, path)


class _Enum(Codec):
    def __init__(self, variants: Sequence[tuple[str, Any]]) -> None:
        if len(variants) > 256:
            raise ValueError("borsh enums have at most 256 variants")
        self.variants = list(variants)
        self.index = {name: i for i, (name, _) in enumerate(self.variants)}

    def _variant(self, name: Any, path: str) -> int:
        if not isinstance(name, str) or name not in self.index:
            known = ", ".join(self.index)
            raise EncodingError(path, f"unknown variant {name!r} (one of: {known})")
        return self.index[name]

    def _tag(self, r: Reader, path: str) -> int:
        tag = r.u8()
        if tag >= len(self.variants):
            raise BorshError(f"unknown variant index {tag}")
        return tag

    def variant_names(self) -> list[str]:
        """The variants' JSON names in index order."""
        return [name for name, _ in self.variants]


class InternallyTagged(_Enum):
    """``#[serde(tag = "…")]``: ``{"<tag>": "<variant>", <fields>…}``. Each variant is a
    :class:`Struct` (``Struct()`` for a unit variant)."""

    def __init__(self, tag: str, variants: Sequence[tuple[str, Struct]]) -> None:
        super().__init__(variants)
        self.tag = tag

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        if not isinstance(value, Mapping):
            raise EncodingError(path, f"object expected, got {value!r}")
        if self.tag not in value:
            raise EncodingError(path, f"missing '{self.tag}'")
        i = self._variant(value[self.tag], _at(path, self.tag))
        w.u8(i)
        self.variants[i][1].encode_fields(value, w, path, ignore=self.tag)

    def decode_from(self, r: Reader, path: str) -> Any:
        i = self._tag(r, path)
        name, fields = self.variants[i]
        return {self.tag: name, **fields.decode_fields(r, path)}

    def fields_of(self, name: str) -> Struct:
        """The fields of variant ``name``."""
        fields: Struct = self.variants[self._variant(name, "")][1]
        return fields


class UnitEnum(_Enum):
    """An enum of unit variants, shown as its variant's name (``"dataset"``)."""

    def __init__(self, *names: str) -> None:
        super().__init__([(n, None) for n in names])

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        w.u8(self._variant(value, path))

    def decode_from(self, r: Reader, path: str) -> Any:
        return self.variants[self._tag(r, path)][0]

    def order_key(self, value: Any, path: str) -> Any:
        return self._variant(value, path)


class ExternallyTagged(_Enum):
    """serde's default enum form: a unit variant is ``"name"``, another ``{"name": payload}``.
    Variants are ``(name, None)`` for unit, ``(name, codec)`` for a newtype or struct."""

    def __init__(self, *variants: tuple[str, Codec | None]) -> None:
        super().__init__(variants)

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        if isinstance(value, str):
            i = self._variant(value, path)
            if self.variants[i][1] is not None:
                raise EncodingError(path, f"variant '{value}' needs a value: {{\"{value}\": …}}")
            w.u8(i)
            return
        if not isinstance(value, Mapping) or len(value) != 1:
            raise EncodingError(path, f"a variant name or a one-key object expected, got {value!r}")
        ((name, payload),) = value.items()
        i = self._variant(name, path)
        codec = self.variants[i][1]
        if codec is None:
            raise EncodingError(path, f"variant '{name}' has no value: write \"{name}\"")
        w.u8(i)
        codec.encode_into(payload, w, _at(path, name))

    def decode_from(self, r: Reader, path: str) -> Any:
        name, codec = self.variants[self._tag(r, path)]
        if codec is None:
            return name
        return {name: codec.decode_from(r, _at(path, name))}

    def order_key(self, value: Any, path: str) -> Any:
        if isinstance(value, str):
            return (self._variant(value, path),)
        if not isinstance(value, Mapping) or len(value) != 1:
            raise EncodingError(path, f"a variant name or a one-key object expected, got {value!r}")
        ((name, payload),) = value.items()
        i = self._variant(name, path)
        codec = self.variants[i][1]
        assert codec is not None
        return (i, codec.order_key(payload, _at(path, name)))


class AdjacentlyTagged(_Enum):
    """``#[serde(tag = "name", content = "value")]``: ``{"name": "tempo", "value": 10}``."""

    def __init__(self, tag: str, content: str, variants: Sequence[tuple[str, Codec]]) -> None:
        super().__init__(variants)
        self.tag = tag
        self.content = content

    def encode_into(self, value: Any, w: Writer, path: str) -> None:
        if not isinstance(value, Mapping):
            raise EncodingError(path, f"object expected, got {value!r}")
        unknown = set(value) - {self.tag, self.content}
        if unknown:
            raise EncodingError(path, f"unknown field(s) {', '.join(map(repr, sorted(unknown)))}")
        if self.tag not in value or self.content not in value:
            raise EncodingError(path, f"'{self.tag}' and '{self.content}' expected")
        i = self._variant(value[self.tag], _at(path, self.tag))
        w.u8(i)
        self.variants[i][1].encode_into(value[self.content], w, _at(path, self.content))

    def decode_from(self, r: Reader, path: str) -> Any:
        name, codec = self.variants[self._tag(r, path)]
        return {self.tag: name, self.content: codec.decode_from(r, _at(path, self.content))}


U8 = Int("u8")
U16 = Int("u16")
U32 = Int("u32")
U64 = Int("u64")
I16 = Int("i16")
I64 = Int("i64")
U128 = Int("u128")
#: ``u128`` shown as a decimal string (serde ``u128_string``).
U128_STRING = Int("u128", as_string=True)
BOOL = Bool()
STRING = Str()
ACCOUNT = FixedBytes(32)
HASH = FixedBytes(32)
SIGNATURE = FixedBytes(64)
HEX_BYTES = HexBytes()
