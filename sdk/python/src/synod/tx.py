"""Transactions: the signed envelope, its signing payload, its hash, and the fee rule.

As ``crates/chain/primitives/src/tx.rs``: on the wire a transaction is
``borsh(SignedTransaction)`` = ``borsh(Transaction)`` then the 64-byte signature, where
``Transaction`` is ``chain_id`` (string), ``sender`` (32 bytes), ``nonce`` (u64), ``fee`` (u64),
``call`` (the chain's :mod:`~synod.calls`). The sender signs
``b"synod/tx/v1" ‖ genesis_hash ‖ borsh(Transaction)``; the transaction hash is
``tagged_hash("synod/tx", borsh(SignedTransaction))``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from .borsh import BorshError, Reader, Writer
from .calls import call_weight, decode_call, encode_call
from .errors import EncodingError
from .keys import Keypair
from .primitives import AccountId, Hash, HexLike, Signature, parse_hex, tagged_hash

__all__ = [
    "MAX_TX_SIZE",
    "MAX_CHAIN_ID_LEN",
    "FeeSchedule",
    "Transaction",
    "SignedTransaction",
]

#: Largest accepted encoded transaction, in bytes.
MAX_TX_SIZE = 64 * 1024
#: Longest accepted chain id, in bytes.
MAX_CHAIN_ID_LEN = 64

_U64_MAX = (1 << 64) - 1
_SIGNING_TAG = b"synod/tx/v1"


@dataclass(frozen=True)
class FeeSchedule:
    """Fee prices: a transaction must offer ``per_byte * size + per_weight * weight``."""

    per_byte: int
    per_weight: int

    def min_fee(self, size: int, call: Mapping[str, Any]) -> int:
        """The minimum fee of a transaction of ``size`` encoded bytes carrying ``call``
        (``FeeSchedule::min_fee``; saturates at the largest ``u64``)."""
        return min(_U64_MAX, size * self.per_byte + call_weight(call) * self.per_weight)


@dataclass(frozen=True)
class Transaction:
    """The signed body of a transaction. ``call`` is the chain call in its JSON form."""

    chain_id: str
    sender: AccountId
    nonce: int
    fee: int
    call: Mapping[str, Any] = field(hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sender", AccountId(self.sender))

    def encode(self) -> bytes:
        """``borsh(Transaction)``."""
        w = Writer()
        self._write(w)
        return w.to_bytes()

    def _write(self, w: Writer) -> None:
        if len(self.chain_id.encode("utf-8")) > MAX_CHAIN_ID_LEN:
            raise EncodingError("chain_id", f"longer than {MAX_CHAIN_ID_LEN} bytes")
        try:
            w.string(self.chain_id)
            w.raw(bytes(self.sender))
            w.u64(self.nonce)
            w.u64(self.fee)
        except BorshError as e:
            raise EncodingError("tx", str(e)) from None
        w.raw(encode_call(self.call))

    def signing_payload(self, genesis_hash: HexLike) -> bytes:
        """The bytes the sender signs: ``b"synod/tx/v1" ‖ genesis hash ‖ borsh(self)``."""
        return _SIGNING_TAG + bytes(Hash(genesis_hash)) + self.encode()

    def sign(self, key: Keypair, genesis_hash: HexLike) -> SignedTransaction:
        """Signs with ``key``, which must be the sender's (refused otherwise)."""
        if key.account != self.sender:
            raise ValueError(f"key {key.account} is not the sender {self.sender}")
        return SignedTransaction(self, key.sign(self.signing_payload(genesis_hash)))

    def with_fee(self, fee: int) -> Transaction:
        """A copy with another fee."""
        return replace(self, fee=fee)

    def to_json(self) -> dict[str, Any]:
        """The JSON form the node prints."""
        return {
            "chain_id": self.chain_id,
            "sender": self.sender.hex0x,
            "nonce": self.nonce,
            "fee": self.fee,
            "call": decode_call(encode_call(self.call)),
        }


@dataclass(frozen=True)
class SignedTransaction:
    """A transaction with its sender's signature: what is submitted and included."""

    tx: Transaction
    signature: Signature

    def encode(self) -> bytes:
        """``borsh(SignedTransaction)``: the wire bytes."""
        return self.tx.encode() + bytes(self.signature)

    def hex(self) -> str:
        """The wire bytes as hex (what ``synod_submitTransaction`` takes)."""
        return self.encode().hex()

    @property
    def hash(self) -> Hash:
        """The transaction hash: ``tagged_hash("synod/tx", wire bytes)``."""
        return tagged_hash("synod/tx", self.encode())

    @classmethod
    def decode(cls, data: bytes | str) -> SignedTransaction:
        """Reads wire bytes (or their hex), with the chain's limits: at most
        :data:`MAX_TX_SIZE` bytes, a chain id of at most :data:`MAX_CHAIN_ID_LEN`, no trailing
        bytes."""
        raw = parse_hex(data) if isinstance(data, str) else bytes(data)
        if len(raw) > MAX_TX_SIZE:
            raise EncodingError("tx", f"{len(raw)} bytes, over the {MAX_TX_SIZE}-byte limit")
        r = Reader(raw)
        try:
            chain_id = r.string()
            sender = AccountId(r.take(32))
            nonce = r.u64()
            fee = r.u64()
            rest = r.take(r.remaining)
        except BorshError as e:
            raise EncodingError("tx", str(e)) from None
        if len(rest) < 64:
            raise EncodingError("tx", "too short for a call and a signature")
        call = decode_call(rest[:-64])
        if len(chain_id.encode("utf-8")) > MAX_CHAIN_ID_LEN:
            raise EncodingError("tx.chain_id", "chain id too long")
        return cls(Transaction(chain_id, sender, nonce, fee, call), Signature(rest[-64:]))

    def to_json(self) -> dict[str, Any]:
        """The JSON form (``{"tx": {…}, "signature": "0x…"}``)."""
        return {"tx": self.tx.to_json(), "signature": self.signature.hex0x}
