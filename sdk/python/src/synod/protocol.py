"""The ``synod-request-v1`` protocol between validators and miners: what a request and its
answer carry, what is signed, and every refusal, as ``crates/services/axon/src/protocol.rs``.

Request headers (all required):

=====================  ======================================================================
``synod-version``      ``1``
``synod-chain``        the chain id
``synod-netuid``       the subnet, decimal
``synod-signed-by``    the caller's hotkey, ``0x`` hex
``synod-signed-for``   the miner's hotkey, ``0x`` hex
``synod-request-id``   32 random bytes, hex without ``0x`` (unique per caller)
``synod-timestamp``    milliseconds since the Unix epoch
``synod-signature``    the caller's ed25519 signature of :func:`request_signing_hash`, hex
=====================  ======================================================================

The caller signs :func:`request_signing_hash`: tagged BLAKE3 under :data:`REQUEST_TAG` of the
borsh encoding of (chain id, netuid, method upper case, path with query, BLAKE3 of the body,
request id, timestamp, signer, target). Every one of them is bound: a request cannot be moved
to another chain, subnet, miner, route, or body.

The answer carries ``synod-signed-by`` (the miner), ``synod-request-id`` and
``synod-signature`` over :func:`response_signing_hash`: (request id, HTTP status, BLAKE3 of the
body, miner). Refusals are not signed.

A refused request is answered with a JSON body ``{"error": <kind>, "message": <text>}`` and the
status of its kind (:data:`STATUS`); each refusal is a :class:`RequestRefused` subclass whose
``kind`` is the Rust side's ``ProtocolError::kind()`` and whose message is its ``Display``.

>>> from synod import Keypair
>>> from synod.protocol import parse_request, sign_request
>>> v, m = Keypair.dev("validator"), Keypair.dev("miner")
>>> hs = sign_request(v, "synod-dev", 3, m.account, "POST", "/task", b"{}")
>>> parse_request(hs).verify("POST", "/task", b"{}")
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import nacl.exceptions

from .borsh import Writer
from .errors import SynodError
from .keys import Keypair
from .keys import verify as _verify
from .primitives import AccountId, Hash, HexLike, Signature, blake3, tagged_hash

__all__ = [
    "VERSION",
    "REQUEST_TAG",
    "RESPONSE_TAG",
    "HEADER_VERSION",
    "HEADER_CHAIN",
    "HEADER_NETUID",
    "HEADER_SIGNED_BY",
    "HEADER_SIGNED_FOR",
    "HEADER_REQUEST_ID",
    "HEADER_TIMESTAMP",
    "HEADER_SIGNATURE",
    "REQUEST_HEADERS",
    "RESPONSE_HEADERS",
    "KINDS",
    "STATUS",
    "RequestRefused",
    "MissingHeader",
    "MalformedHeader",
    "UnsupportedVersion",
    "WrongTarget",
    "WrongChain",
    "WrongSubnet",
    "StaleRequest",
    "BadSignature",
    "ReplayedRequest",
    "NotRegistered",
    "InsufficientStake",
    "ChainUnavailable",
    "SignedRequest",
    "request_signing_hash",
    "response_signing_hash",
    "sign_request",
    "parse_request",
    "sign_response",
    "response_signature_ok",
    "refusal_body",
    "now_ms",
    "new_request_id",
]

#: Protocol version.
VERSION = "1"
#: Domain tag of a request's signing hash.
REQUEST_TAG = "synod/request/v1"
#: Domain tag of an answer's signing hash.
RESPONSE_TAG = "synod/response/v1"

HEADER_VERSION = "synod-version"
HEADER_CHAIN = "synod-chain"
HEADER_NETUID = "synod-netuid"
HEADER_SIGNED_BY = "synod-signed-by"
HEADER_SIGNED_FOR = "synod-signed-for"
HEADER_REQUEST_ID = "synod-request-id"
HEADER_TIMESTAMP = "synod-timestamp"
HEADER_SIGNATURE = "synod-signature"

#: Every request header, in the order :func:`sign_request` writes them.
REQUEST_HEADERS = (
    HEADER_VERSION,
    HEADER_CHAIN,
    HEADER_NETUID,
    HEADER_SIGNED_BY,
    HEADER_SIGNED_FOR,
    HEADER_REQUEST_ID,
    HEADER_TIMESTAMP,
    HEADER_SIGNATURE,
)
#: The headers a miner adds to its answer.
RESPONSE_HEADERS = (HEADER_SIGNED_BY, HEADER_REQUEST_ID, HEADER_SIGNATURE)

#: HTTP status of each refusal kind, as the Rust server answers it.
STATUS: dict[str, int] = {
    "missing_header": 400,
    "malformed_header": 400,
    "unsupported_version": 400,
    "wrong_target": 403,
    "wrong_chain": 403,
    "wrong_subnet": 403,
    "stale_request": 401,
    "bad_signature": 401,
    "replayed_request": 401,
    "not_registered": 403,
    "insufficient_stake": 403,
    "chain_unavailable": 503,
}
#: Every refusal kind.
KINDS = tuple(STATUS)


# ---- refusals ---------------------------------------------------------------------------


class RequestRefused(SynodError):
    """A request refused by the protocol's checks. ``kind`` is the stable machine name,
    ``status`` the HTTP status it is answered with, ``message`` the text (as Rust's)."""

    kind = "refused"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    @property
    def status(self) -> int:
        """The HTTP status this refusal is answered with."""
        return STATUS.get(self.kind, 400)

    def to_json(self) -> dict[str, str]:
        """The refusal's JSON body: ``{"error": kind, "message": text}``."""
        return {"error": self.kind, "message": self.message}


class MissingHeader(RequestRefused):
    """A required header is missing (or is not visible ASCII, which the Rust side cannot
    read either)."""

    kind = "missing_header"

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"missing header {name}")


class MalformedHeader(RequestRefused):
    """A header does not parse."""

    kind = "malformed_header"

    def __init__(self, name: str, detail: str) -> None:
        self.name = name
        self.detail = detail
        super().__init__(f"malformed header {name}: {detail}")


class UnsupportedVersion(RequestRefused):
    """Another protocol version."""

    kind = "unsupported_version"

    def __init__(self, version: str) -> None:
        self.version = version
        super().__init__(f"protocol version {version} is not supported (this speaks {VERSION})")


class WrongTarget(RequestRefused):
    """Signed for another hotkey than this miner's."""

    kind = "wrong_target"

    def __init__(self, target: AccountId) -> None:
        self.target = target
        super().__init__(f"the request is for {target}, not this miner")


class WrongChain(RequestRefused):
    """Signed for another chain."""

    kind = "wrong_chain"

    def __init__(self, chain_id: str) -> None:
        self.chain_id = chain_id
        super().__init__(f"the request is for chain {chain_id}")


class WrongSubnet(RequestRefused):
    """Signed for another subnet."""

    kind = "wrong_subnet"

    def __init__(self, netuid: int) -> None:
        self.netuid = netuid
        super().__init__(f"the request is for subnet {netuid}")


class StaleRequest(RequestRefused):
    """The timestamp is further from the miner's clock than the allowed skew."""

    kind = "stale_request"

    def __init__(self, timestamp_ms: int, skew_ms: int, max_ms: int) -> None:
        self.timestamp_ms = timestamp_ms
        self.skew_ms = skew_ms
        self.max_ms = max_ms
        super().__init__(
            f"stale request: timestamp {timestamp_ms} is {skew_ms} ms from now (at most {max_ms})"
        )


class BadSignature(RequestRefused):
    """The signature does not verify (an empty one never does)."""

    kind = "bad_signature"

    def __init__(self) -> None:
        super().__init__("bad signature")


class ReplayedRequest(RequestRefused):
    """The caller already used this request id within the freshness window."""

    kind = "replayed_request"

    def __init__(self) -> None:
        super().__init__("replayed request id")


class NotRegistered(RequestRefused):
    """The caller's hotkey is not registered on the subnet."""

    kind = "not_registered"

    def __init__(self, hotkey: AccountId) -> None:
        self.hotkey = hotkey
        super().__init__(f"{hotkey} is not registered on this subnet")


class InsufficientStake(RequestRefused):
    """The caller's stake is below the miner's minimum."""

    kind = "insufficient_stake"

    def __init__(self, stake: int, min_stake: int) -> None:
        self.stake = stake
        self.min_stake = min_stake
        super().__init__(f"stake {stake} is below the required {min_stake}")


class ChainUnavailable(RequestRefused):
    """The caller could not be checked (the chain cannot be read, or the replay cache is
    full)."""

    kind = "chain_unavailable"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"cannot check the caller on chain: {detail}")


def refusal_body(err: RequestRefused) -> bytes:
    """The JSON body a refusal is answered with, byte for byte as the Rust server writes it
    (``serde_json``: keys sorted, no spaces, non-ASCII as is)."""
    return json.dumps(err.to_json(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# ---- hashes -----------------------------------------------------------------------------


def _ascii_upper(s: str) -> str:
    return "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in s)


def _account(a: HexLike) -> bytes:
    return bytes(a) if isinstance(a, AccountId) else bytes(AccountId(a))


def _id32(request_id: HexLike) -> bytes:
    raw = bytes.fromhex(request_id) if isinstance(request_id, str) else bytes(request_id)
    if len(raw) != 32:
        raise ValueError(f"a request id is 32 bytes, got {len(raw)}")
    return raw


def request_signing_hash(
    chain_id: str,
    netuid: int,
    method: str,
    path_and_query: str,
    body: bytes,
    request_id: HexLike,
    timestamp_ms: int,
    signed_by: HexLike,
    signed_for: HexLike,
) -> Hash:
    """The hash a caller signs: BLAKE3 under :data:`REQUEST_TAG` of the borsh encoding of
    (chain id, netuid ``u16``, method upper case, path with query, BLAKE3 of the body, request
    id ``[u8; 32]``, timestamp ``u64``, signed by, signed for)."""
    w = Writer()
    w.string(chain_id)
    w.integer("u16", netuid)
    w.string(_ascii_upper(method))
    w.string(path_and_query)
    w.raw(bytes(blake3(bytes(body))))
    w.raw(_id32(request_id))
    w.u64(timestamp_ms)
    w.raw(_account(signed_by))
    w.raw(_account(signed_for))
    return tagged_hash(REQUEST_TAG, w.to_bytes())


def response_signing_hash(request_id: HexLike, status: int, body: bytes, miner: HexLike) -> Hash:
    """The hash a miner signs over its answer: BLAKE3 under :data:`RESPONSE_TAG` of the borsh
    encoding of (request id, status ``u16``, BLAKE3 of the body, miner hotkey)."""
    w = Writer()
    w.raw(_id32(request_id))
    w.integer("u16", status)
    w.raw(bytes(blake3(bytes(body))))
    w.raw(_account(miner))
    return tagged_hash(RESPONSE_TAG, w.to_bytes())


def now_ms() -> int:
    """Milliseconds since the Unix epoch, now."""
    return time.time_ns() // 1_000_000


def new_request_id() -> bytes:
    """A fresh random request id (32 bytes from the OS CSPRNG)."""
    return os.urandom(32)


# ---- requests ---------------------------------------------------------------------------


def sign_request(
    key: Keypair,
    chain_id: str,
    netuid: int,
    signed_for: HexLike,
    method: str,
    path_and_query: str,
    body: bytes,
    request_id: HexLike | None = None,
    timestamp_ms: int | None = None,
) -> dict[str, str]:
    """The headers of a request signed by ``key`` for the miner ``signed_for`` (a fresh
    request id and the current time unless given), in :data:`REQUEST_HEADERS` order."""
    rid = new_request_id() if request_id is None else _id32(request_id)
    ts = now_ms() if timestamp_ms is None else timestamp_ms
    target = AccountId(signed_for)
    h = request_signing_hash(
        chain_id, netuid, method, path_and_query, body, rid, ts, key.account, target
    )
    return {
        HEADER_VERSION: VERSION,
        HEADER_CHAIN: chain_id,
        HEADER_NETUID: str(netuid),
        HEADER_SIGNED_BY: key.account.hex0x,
        HEADER_SIGNED_FOR: target.hex0x,
        HEADER_REQUEST_ID: rid.hex(),
        HEADER_TIMESTAMP: str(ts),
        HEADER_SIGNATURE: key.sign(bytes(h)).hex0x,
    }


@dataclass(frozen=True)
class SignedRequest:
    """Everything a request's signature binds besides the method, path and body."""

    chain_id: str
    netuid: int
    signed_by: AccountId
    signed_for: AccountId
    request_id: bytes
    timestamp_ms: int
    signature: Signature

    def signing_hash(self, method: str, path_and_query: str, body: bytes) -> Hash:
        """:func:`request_signing_hash` of this request with ``method``, path and ``body``."""
        return request_signing_hash(
            self.chain_id,
            self.netuid,
            method,
            path_and_query,
            body,
            self.request_id,
            self.timestamp_ms,
            self.signed_by,
            self.signed_for,
        )

    def verify(self, method: str, path_and_query: str, body: bytes) -> None:
        """Checks the signature over the method, the path with query, the body and every
        signed header; raises :class:`BadSignature`."""
        h = self.signing_hash(method, path_and_query, body)
        try:
            good = _verify(self.signed_by, bytes(h), self.signature)
        except (ValueError, TypeError, nacl.exceptions.CryptoError):  # not a curve point
            good = False
        if not good:
            raise BadSignature()


#: How :func:`parse_request` reads a header: a mapping (case-insensitive ones such as
#: ``httpx.Headers`` or Starlette's work with the lowercase names) or a function.
HeaderSource = Mapping[str, str] | Callable[[str], "str | None"]


def _rust_uint(text: str, bits: int) -> int:
    """``str::parse::<uN>()``: optional ``+``, ASCII digits only, in range; raises
    :class:`ValueError` with Rust's message."""
    s = text[1:] if text.startswith("+") else text
    if not text:
        raise ValueError("cannot parse integer from empty string")
    if not s or not all("0" <= c <= "9" for c in s):
        raise ValueError("invalid digit found in string")
    v = int(s)
    if v >= 1 << bits:
        raise ValueError("number too large to fit in target type")
    return v


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _rust_hex(text: str) -> bytes:
    """``hex::decode``: no prefix, even length, hex digits of either case."""
    if len(text) % 2:
        raise ValueError("Odd number of digits")
    if not _HEX_DIGITS.issuperset(text):
        i, c = next((i, c) for i, c in enumerate(text) if c not in _HEX_DIGITS)
        raise ValueError(f"Invalid character {c!r} at position {i}")
    return bytes.fromhex(text)


def _rust_hex_array(text: str, size: int) -> bytes:
    """``parse_hex_array::<N>``: trimmed, ``0x`` optional, exactly ``size`` bytes."""
    s = text.strip()
    s = s[2:] if s.startswith("0x") else s
    try:
        raw = _rust_hex(s)
    except ValueError as e:
        raise ValueError(f"invalid hex: {e}") from None
    if len(raw) != size:
        raise ValueError(f"expected {size} bytes, got {len(raw)}")
    return raw


def parse_request(headers: HeaderSource) -> SignedRequest:
    """Reads the request headers, checking only their form, in the Rust side's order.

    Raises :class:`MissingHeader`, :class:`UnsupportedVersion`, :class:`MalformedHeader`, or
    :class:`BadSignature` for an empty signature.
    """
    get: Callable[[str], str | None] = headers.get if isinstance(headers, Mapping) else headers

    def need(name: str) -> str:
        v = get(name)
        if v is None:
            raise MissingHeader(name)
        return v

    version = need(HEADER_VERSION)
    if version.strip() != VERSION:
        raise UnsupportedVersion(version)
    chain_id = need(HEADER_CHAIN)
    try:
        netuid = _rust_uint(need(HEADER_NETUID).strip(), 16)
    except ValueError as e:
        raise MalformedHeader(HEADER_NETUID, str(e)) from None

    def account(name: str) -> AccountId:
        try:
            return AccountId(_rust_hex_array(need(name), 32))
        except ValueError as e:
            raise MalformedHeader(name, str(e)) from None

    signed_by = account(HEADER_SIGNED_BY)
    signed_for = account(HEADER_SIGNED_FOR)
    try:
        rid = _rust_hex(need(HEADER_REQUEST_ID).strip())
    except ValueError as e:
        raise MalformedHeader(HEADER_REQUEST_ID, str(e)) from None
    if len(rid) != 32:
        raise MalformedHeader(HEADER_REQUEST_ID, "must be 32 bytes")
    try:
        timestamp_ms = _rust_uint(need(HEADER_TIMESTAMP).strip(), 64)
    except ValueError as e:
        raise MalformedHeader(HEADER_TIMESTAMP, str(e)) from None
    sig_text = need(HEADER_SIGNATURE)
    if not sig_text.strip():
        raise BadSignature()
    try:
        signature = Signature(_rust_hex_array(sig_text, 64))
    except ValueError as e:
        raise MalformedHeader(HEADER_SIGNATURE, str(e)) from None
    return SignedRequest(chain_id, netuid, signed_by, signed_for, rid, timestamp_ms, signature)


# ---- answers ----------------------------------------------------------------------------


def sign_response(key: Keypair, request_id: HexLike, status: int, body: bytes) -> dict[str, str]:
    """The headers a miner adds to its answer: its hotkey, the request id, and its signature
    of :func:`response_signing_hash`."""
    rid = _id32(request_id)
    h = response_signing_hash(rid, status, body, key.account)
    return {
        HEADER_SIGNED_BY: key.account.hex0x,
        HEADER_REQUEST_ID: rid.hex(),
        HEADER_SIGNATURE: key.sign(bytes(h)).hex0x,
    }


def response_signature_ok(
    miner: HexLike,
    request_id: HexLike,
    status: int,
    body: bytes,
    headers: HeaderSource,
) -> bool:
    """Whether an answer is signed by ``miner`` for the request ``request_id``, as the Rust
    client checks it: ``synod-signed-by`` is exactly the miner (``0x`` lowercase hex),
    ``synod-request-id`` exactly the id (lowercase hex), and the signature verifies over
    (id, status, body, miner)."""
    get: Callable[[str], str | None] = headers.get if isinstance(headers, Mapping) else headers
    who, rid = AccountId(miner), _id32(request_id)
    if get(HEADER_SIGNED_BY) != who.hex0x or get(HEADER_REQUEST_ID) != rid.hex():
        return False
    sig_text = get(HEADER_SIGNATURE)
    if sig_text is None:
        return False
    try:
        sig = Signature(_rust_hex_array(sig_text, 64))
        return _verify(who, bytes(response_signing_hash(rid, status, body, who)), sig)
    except (ValueError, TypeError, nacl.exceptions.CryptoError):
        return False
