"""Pay-per-call over HTTP 402: the client side of the chain's ``synod-v1`` scheme.

As ``crates/modules/payments/src/wire.rs`` and ``crates/services/pay/src/client.rs``:

1. Call the service. A paid endpoint answers ``402`` with :class:`PaymentRequirements` (chain,
   service, payee, asset, price, the :func:`request_hash` it computed, its newest height, how
   long the authorization must stay valid).
2. Check the chain and the price limit, recompute the request hash, and sign an
   :class:`Authorization` (payer, signer, service, payee, asset, maximum, validity window,
   random nonce, request hash). The signer signs :meth:`Authorization.signing_hash`:
   ``tagged_hash("synod/payments/authorization/v1", borsh(chain_id) ‖ borsh(authorization))``.
3. Retry once with the ``X-Payment`` header: hex of ``borsh(SignedAuthorization)``. A paid
   answer carries ``X-Payment-Response`` (JSON :class:`PaymentResponse`); a second 402 is a
   refusal whose ``error`` is the chain's failure kind (``period_cap_exceeded``, …).

The signer is the payer's own key, or a session key of the payer (``payer=`` its user), whose
session rules then bind what it signs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .borsh import Writer
from .errors import EncodingError, SynodError, TransportError
from .keys import Keypair
from .modules.payments import AUTHORIZATION, SIGNED_AUTHORIZATION
from .primitives import AccountId, Hash, HexLike, Signature, blake3, parse_hex, tagged_hash

__all__ = [
    "SCHEME",
    "AUTHORIZATION_TAG",
    "REQUEST_TAG",
    "PAYMENT_HEADER",
    "PAYMENT_RESPONSE_HEADER",
    "request_hash",
    "Authorization",
    "SignedAuthorization",
    "PaymentRequirements",
    "PaymentResponse",
    "PaidResponse",
    "PayClient",
    "fetch",
    "PaymentError",
    "BadRequirements",
    "PriceAboveLimit",
    "WrongChain",
    "PaymentRefused",
]

#: The 402 scheme this client speaks.
SCHEME = "synod-v1"
#: Domain tag of an authorization's signing hash.
AUTHORIZATION_TAG = "synod/payments/authorization/v1"
#: Domain tag of :func:`request_hash`.
REQUEST_TAG = "synod/payments/request/v1"
#: The request header carrying a payment.
PAYMENT_HEADER = "x-payment"
#: The response header of a paid answer.
PAYMENT_RESPONSE_HEADER = "x-payment-response"

_U64_MAX = (1 << 64) - 1
_MAX_HEADER_CHARS = 2 * 1024
_MAX_HEADER_BYTES = 1024

#: What a payment is made in: ``"native"`` (SYN) or ``{"token": <id>}``.
Asset = str | Mapping[str, int]


class PaymentError(SynodError):
    """A paid request that could not be made or was refused."""


class BadRequirements(PaymentError):
    """The 402 answer is not usable (another scheme, malformed, a different request hash)."""


class PriceAboveLimit(PaymentError):
    """The price asked is above the caller's limit."""

    def __init__(self, price: int, limit: int) -> None:
        self.price = price
        self.limit = limit
        super().__init__(f"the price {price} is above your limit {limit}")


class WrongChain(PaymentError):
    """The service asks for payment on another chain than expected."""

    def __init__(self, expected: str, got: str) -> None:
        self.expected = expected
        self.got = got
        super().__init__(f"the service asks for payment on chain {got}, expected {expected}")


class PaymentRefused(PaymentError):
    """The service refused the payment after the retry; ``kind`` is the chain's reason
    (``period_cap_exceeded``, ``session_revoked``, ``insufficient_funds``, …)."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        self.message = message
        super().__init__(f"payment refused: {message} [{kind}]")


def _ascii_upper(s: str) -> str:
    return "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in s)


def request_hash(method: str, path_and_query: str, body: bytes) -> Hash:
    """The hash binding an authorization to one HTTP request: tagged BLAKE3 under
    :data:`REQUEST_TAG` of ``borsh((METHOD upper case, path with query, blake3(body)))``."""
    w = Writer()
    w.string(_ascii_upper(method))
    w.string(path_and_query)
    w.raw(bytes(blake3(bytes(body))))
    return tagged_hash(REQUEST_TAG, w.to_bytes())


@dataclass(frozen=True)
class Authorization:
    """A payer's signed permission to be charged at most ``max_amount`` for one request."""

    payer: AccountId
    signer: AccountId
    service: int
    payee: AccountId
    asset: Asset
    max_amount: int
    valid_after: int
    valid_before: int
    nonce: Hash
    request_hash: Hash

    def __post_init__(self) -> None:
        for name, cls in (
            ("payer", AccountId),
            ("signer", AccountId),
            ("payee", AccountId),
            ("nonce", Hash),
            ("request_hash", Hash),
        ):
            object.__setattr__(self, name, cls(getattr(self, name)))
        self.encode()  # validates every field now rather than when it is sent

    def to_json(self) -> dict[str, Any]:
        """The JSON form the node prints."""
        return {
            "payer": self.payer.hex0x,
            "signer": self.signer.hex0x,
            "service": self.service,
            "payee": self.payee.hex0x,
            "asset": self.asset,
            "max_amount": str(self.max_amount),
            "valid_after": self.valid_after,
            "valid_before": self.valid_before,
            "nonce": self.nonce.hex0x,
            "request_hash": self.request_hash.hex0x,
        }

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> Authorization:
        return cls(
            payer=AccountId(j["payer"]),
            signer=AccountId(j["signer"]),
            service=j["service"],
            payee=AccountId(j["payee"]),
            asset=j["asset"],
            max_amount=int(j["max_amount"]),
            valid_after=j["valid_after"],
            valid_before=j["valid_before"],
            nonce=Hash(j["nonce"]),
            request_hash=Hash(j["request_hash"]),
        )

    def encode(self) -> bytes:
        """``borsh(Authorization)``."""
        return AUTHORIZATION.encode(self.to_json(), "authorization")

    def signing_hash(self, chain_id: str) -> Hash:
        """What the signer signs: tagged BLAKE3 of the chain id (borsh string) and the
        authorization's borsh."""
        w = Writer()
        w.string(chain_id)
        return tagged_hash(AUTHORIZATION_TAG, w.to_bytes() + self.encode())

    def sign(self, key: Keypair, chain_id: str) -> SignedAuthorization:
        """Signs with ``key``, which must be the authorization's ``signer``."""
        if key.account != self.signer:
            raise ValueError(f"key {key.account} is not the signer {self.signer}")
        return SignedAuthorization(self, key.sign(bytes(self.signing_hash(chain_id))))


@dataclass(frozen=True)
class SignedAuthorization:
    """An authorization and its signer's signature: the ``X-Payment`` header's content."""

    authorization: Authorization
    signature: Signature

    def encode(self) -> bytes:
        """``borsh(SignedAuthorization)``."""
        return self.authorization.encode() + bytes(self.signature)

    def to_header(self) -> str:
        """The ``X-Payment`` header value: lowercase hex of the borsh encoding."""
        return self.encode().hex()

    @classmethod
    def from_header(cls, value: str) -> SignedAuthorization:
        """Reads an ``X-Payment`` value, with the service's limits (2 KiB of hex, 1 KiB)."""
        if len(value) > _MAX_HEADER_CHARS:
            raise EncodingError("x-payment", "header longer than 2 KiB")
        try:
            raw = parse_hex(value)
        except ValueError as e:
            raise EncodingError("x-payment", f"not hex: {e}") from None
        if len(raw) > _MAX_HEADER_BYTES:
            raise EncodingError("x-payment", f"{len(raw)} bytes, over the 1 KiB limit")
        j = SIGNED_AUTHORIZATION.decode(raw, "x-payment")
        return cls(Authorization.from_json(j["authorization"]), Signature(j["signature"]))


@dataclass(frozen=True)
class PaymentRequirements:
    """A 402 answer's body: what the service asks to be paid, and why a payment was refused."""

    scheme: str
    chain_id: str
    service: int
    method: str
    path: str
    payee: AccountId
    asset: Asset
    price: int
    pricing: str
    request_hash: Hash
    height: int
    valid_for_blocks: int
    error: str | None
    message: str | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, j: Any) -> PaymentRequirements:
        """Parses the body; :class:`BadRequirements` if anything is missing or malformed."""
        try:
            return cls(
                scheme=str(j["scheme"]),
                chain_id=str(j["chain_id"]),
                service=int(j["service"]),
                method=str(j["method"]),
                path=str(j["path"]),
                payee=AccountId(j["payee"]),
                asset=j["asset"],
                price=int(j["price"]),
                pricing=str(j["pricing"]),
                request_hash=Hash(j["request_hash"]),
                height=int(j["height"]),
                valid_for_blocks=int(j["valid_for_blocks"]),
                error=j.get("error"),
                message=j.get("message"),
                raw=dict(j),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise BadRequirements(
                f"the service's payment requirements are unusable: {e!r}"
            ) from None


@dataclass(frozen=True)
class PaymentResponse:
    """A paid answer's ``X-Payment-Response``: what the service charges for it."""

    nonce: Hash
    amount: int
    status: str
    tx: Hash | None

    @classmethod
    def from_json(cls, j: Any) -> PaymentResponse:
        return cls(
            Hash(j["nonce"]),
            int(j["amount"]),
            str(j["status"]),
            Hash(j["tx"]) if j.get("tx") else None,
        )


@dataclass(frozen=True)
class PaidResponse:
    """An answer, with what was paid for it (``payment`` and ``requirements`` are ``None``
    when the service did not ask for payment)."""

    status: int
    content: bytes
    headers: httpx.Headers
    payment: PaymentResponse | None
    requirements: PaymentRequirements | None

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.content)


class PayClient:
    """An HTTP client that pays for calls: on 402 it signs an authorization for the price
    (within ``max_price``) and retries once.

    ``key`` signs; it is the payer's own key, or a session key of ``payer``.
    """

    def __init__(
        self,
        key: Keypair,
        *,
        payer: HexLike | None = None,
        max_price: int | None = None,
        expect_chain: str | None = None,
        timeout: float = 60.0,
        http: httpx.Client | None = None,
    ) -> None:
        self.key = key
        self.payer = AccountId(payer) if payer is not None else key.account
        self.max_price = max_price
        self.expect_chain = expect_chain
        self._own_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Closes the HTTP client if this client made it."""
        if self._own_http:
            self._http.close()

    def __enter__(self) -> PayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def authorize(self, req: PaymentRequirements, rh: Hash) -> SignedAuthorization:
        """The signed authorization answering ``req`` for the request whose hash is ``rh``."""
        valid_before = min(_U64_MAX, min(_U64_MAX, req.height + max(req.valid_for_blocks, 1)) + 1)
        return Authorization(
            payer=self.payer,
            signer=self.key.account,
            service=req.service,
            payee=req.payee,
            asset=req.asset,
            max_amount=req.price,
            valid_after=req.height,
            valid_before=valid_before,
            nonce=Hash(os.urandom(32)),
            request_hash=rh,
        ).sign(self.key, req.chain_id)

    def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> PaidResponse:
        """Makes the request; on 402 pays (within the limits) and retries once.

        Raises :class:`BadRequirements`, :class:`WrongChain`, :class:`PriceAboveLimit` before
        paying, :class:`PaymentRefused` when the paid retry is refused, and
        :class:`~synod.errors.TransportError` when the service cannot be reached.
        """
        method = _ascii_upper(method)
        target = httpx.URL(url)
        first = self._send(method, target, content, headers, None)
        if first.status_code != 402:
            return _finish(first, None)
        req = PaymentRequirements.from_json(_json_body(first))
        if req.scheme != SCHEME:
            raise BadRequirements(f"scheme {req.scheme!r}, this client speaks {SCHEME}")
        if self.expect_chain is not None and req.chain_id != self.expect_chain:
            raise WrongChain(self.expect_chain, req.chain_id)
        if self.max_price is not None and req.price > self.max_price:
            raise PriceAboveLimit(req.price, self.max_price)
        rh = request_hash(method, target.raw_path.decode("ascii"), content)
        if rh != req.request_hash:
            raise BadRequirements(
                "the service hashed a different request than this one (a proxy rewrote it?)"
            )
        signed = self.authorize(req, rh)
        second = self._send(method, target, content, headers, signed.to_header())
        if second.status_code == 402:
            refusal = PaymentRequirements.from_json(_json_body(second))
            raise PaymentRefused(refusal.error or "refused", refusal.message or "")
        return _finish(second, req)

    def post(self, url: str, content: bytes = b"", **kw: Any) -> PaidResponse:
        """``request("POST", url, content=content)``."""
        return self.request("POST", url, content=content, **kw)

    def get(self, url: str, **kw: Any) -> PaidResponse:
        """``request("GET", url)``."""
        return self.request("GET", url, **kw)

    def _send(
        self,
        method: str,
        url: httpx.URL,
        content: bytes,
        headers: Mapping[str, str] | None,
        payment: str | None,
    ) -> httpx.Response:
        h = dict(headers or {})
        if payment is not None:
            h[PAYMENT_HEADER] = payment
        try:
            return self._http.request(method, url, content=content, headers=h)
        except httpx.HTTPError as e:
            raise TransportError(f"{method} {url}: {e}") from e


def _json_body(r: httpx.Response) -> Any:
    try:
        return r.json()
    except ValueError as e:
        raise BadRequirements(f"the 402 answer is not JSON: {e}") from None


def _finish(r: httpx.Response, req: PaymentRequirements | None) -> PaidResponse:
    payment = None
    header = r.headers.get(PAYMENT_RESPONSE_HEADER)
    if header is not None:
        try:
            payment = PaymentResponse.from_json(json.loads(header))
        except (ValueError, KeyError, TypeError) as e:
            raise PaymentError(
                f"the service's {PAYMENT_RESPONSE_HEADER} is malformed: {e!r}"
            ) from None
    return PaidResponse(r.status_code, r.content, r.headers, payment, req)


def fetch(
    method: str,
    url: str,
    key: Keypair,
    *,
    content: bytes = b"",
    headers: Mapping[str, str] | None = None,
    payer: HexLike | None = None,
    max_price: int | None = None,
    expect_chain: str | None = None,
    timeout: float = 60.0,
) -> PaidResponse:
    """One paid request with a throwaway :class:`PayClient` (see :meth:`PayClient.request`)."""
    with PayClient(
        key, payer=payer, max_price=max_price, expect_chain=expect_chain, timeout=timeout
    ) as c:
        return c.request(method, url, content=content, headers=headers)
