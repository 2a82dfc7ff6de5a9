"""The validator side of ``synod-request-v1``: sign one request for each miner, send them all
at once with a timeout, check each answer's signature, and report every answer with its
latency — the Python twin of ``crates/services/axon/src/client.rs``.

::

    import asyncio
    from synod import Keypair, Metagraph
    from synod.axon import EchoRequest, EchoResponse
    from synod.dendrite import Dendrite

    async def main() -> None:
        mg = Metagraph(1, url="http://127.0.0.1:9944")
        async with Dendrite(Keypair.dev("validator"), 1, client="http://127.0.0.1:9944") as d:
            answers = await d.query(Dendrite.targets(mg), "/v1/echo", EchoRequest(text="hi"),
                                    response_model=EchoResponse, timeout=5)
        for a in answers:
            print(a.uid, a.status, a.error_kind, a.signature_ok, a.latency, a.response)

    asyncio.run(main())

:class:`BlockingDendrite` offers the same calls without asyncio.

Each :class:`Answer` says, like the Rust client: ``error_kind`` ``"timeout"`` (nothing in time),
``"unreachable"``, ``"bad_method"``, or — for an answer not signed by the miner for this
request — the refusal kind of its body (``not_registered``, ``stale_request``, …), else
``"bad_response_signature"``. Unlike the Rust client, which reports no error for a signed
answer, a signed answer outside 2xx also gets a kind here (its body's ``error``, such as the
Python axon's ``invalid_body``, else ``"http_<status>"``), and a signed 2xx answer that does not
fit ``response_model`` gets ``"invalid_response"``. :attr:`Answer.ok` is a signed 2xx answer
that parsed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, overload

import httpx
import pydantic

from .aio import AsyncClient
from .keys import Keypair
from .metagraph import Metagraph
from .primitives import AccountId
from .protocol import new_request_id, now_ms, response_signature_ok, sign_request

__all__ = ["Answer", "BlockingDendrite", "Dendrite", "Target", "DEFAULT_TIMEOUT"]

#: Seconds a call may take, from signing to the whole answer.
DEFAULT_TIMEOUT = 12.0

M = TypeVar("M", bound=pydantic.BaseModel)
T = TypeVar("T")

#: What a request body may be given as: bytes as they are, a pydantic model or JSON value as
#: compact JSON.
Body = bytes | str | pydantic.BaseModel | Mapping[str, Any] | Sequence[Any]

_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@dataclass(frozen=True)
class Target:
    """A miner to ask: its hotkey (the request is signed for it; its answer must be signed by
    it), its base URL (``http://10.0.0.5:8091``), and its UID when known."""

    hotkey: AccountId
    url: str
    uid: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "hotkey", AccountId(self.hotkey))


@dataclass(frozen=True)
class Answer(Generic[T]):
    """One miner's answer (or why there is none)."""

    target: Target
    #: HTTP status, if an answer came.
    status: int | None
    #: The body as received.
    body: bytes
    #: Seconds from signing to the whole answer.
    latency: float
    #: Why this is not a good answer (see the module doc), ``None`` when it is.
    error_kind: str | None
    #: Whether the answer is signed by the target for this request (refusals are not).
    signature_ok: bool
    #: The body parsed as the ``response_model``, for a signed 2xx answer.
    response: T | None = None
    #: The request's id.
    request_id: bytes = field(default=b"", repr=False)
    #: A human-readable reason with ``error_kind`` (the miner's message, the exception).
    message: str | None = None

    @property
    def ok(self) -> bool:
        """A signed 2xx answer (parsed, when a model was asked for)."""
        return self.error_kind is None and self.status is not None and 200 <= self.status < 300

    @property
    def hotkey(self) -> AccountId:
        """The miner's hotkey."""
        return self.target.hotkey

    @property
    def uid(self) -> int | None:
        """The miner's UID, when the target has one."""
        return self.target.uid

    @property
    def url(self) -> str:
        """The miner's base URL."""
        return self.target.url

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def _encode(body: Body) -> tuple[bytes, str | None]:
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body), None
    if isinstance(body, pydantic.BaseModel):
        return body.model_dump_json().encode("utf-8"), "application/json"
    if isinstance(body, str):
        return body.encode("utf-8"), "text/plain; charset=utf-8"
    return json.dumps(body, separators=(",", ":")).encode("utf-8"), "application/json"


def _body_error(body: bytes) -> tuple[str | None, str | None]:
    try:
        j = json.loads(body)
    except ValueError:
        return None, None
    if isinstance(j, dict) and isinstance(j.get("error"), str):
        msg = j.get("message")
        return j["error"], msg if isinstance(msg, str) else None
    return None, None


class Dendrite:
    """A validator's client, signing with ``key`` (a hotkey registered on ``netuid``).

    ``chain_id`` defaults to the node's, read once from ``client`` (a URL or an
    :class:`~synod.aio.AsyncClient`). ``http`` is an ``httpx.AsyncClient`` to use instead of
    one of our own (then :meth:`close` leaves it open). Use as an async context manager.
    """

    def __init__(
        self,
        key: Keypair,
        netuid: int,
        *,
        chain_id: str | None = None,
        client: str | AsyncClient | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx.AsyncClient | None = None,
        max_connections: int | None = None,
    ) -> None:
        if chain_id is None and client is None:
            raise ValueError("give chain_id=, or client= to read it from the node")
        self.key = key
        self.netuid = netuid
        self.chain_id = chain_id
        self.timeout = timeout
        self._client = client
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=64),
            timeout=None,  # the whole call is bounded by asyncio instead
        )

    async def close(self) -> None:
        """Closes the HTTP client if this dendrite made it."""
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> Dendrite:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"Dendrite({self.key.account}, netuid={self.netuid})"

    async def chain(self) -> str:
        """The chain id requests are signed for (read from the node once)."""
        if self.chain_id is None:
            c = self._client
            if isinstance(c, AsyncClient):
                self.chain_id = (await c.chain_info()).chain_id
            else:
                assert c is not None
                async with AsyncClient(c) as node:
                    self.chain_id = (await node.chain_info()).chain_id
        return self.chain_id

    @staticmethod
    def targets(mg: Metagraph, uids: Iterable[int] | None = None) -> list[Target]:
        """The neurons of a metagraph that serve an axon (all, or those of ``uids``), as
        targets with their UIDs."""
        wanted = range(mg.n) if uids is None else [int(u) for u in uids]
        out = []
        for uid in wanted:
            axon = mg.axons[uid]
            if axon is not None:
                out.append(Target(mg.hotkeys[uid], axon.url(), uid))
        return out

    @overload
    async def call(
        self,
        target: Target,
        path: str,
        body: Body = ...,
        *,
        response_model: type[M],
        method: str = ...,
        timeout: float | None = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> Answer[M]: ...

    @overload
    async def call(
        self,
        target: Target,
        path: str,
        body: Body = ...,
        *,
        response_model: None = ...,
        method: str = ...,
        timeout: float | None = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> Answer[Any]: ...

    async def call(
        self,
        target: Target,
        path: str,
        body: Body = b"",
        *,
        response_model: type[M] | None = None,
        method: str = "POST",
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer[Any]:
        """Asks one miner: ``method`` ``path`` (with its query, as signed) with ``body``,
        within ``timeout`` seconds (default the dendrite's)."""
        started = time.perf_counter()
        rid = new_request_id()
        limit = self.timeout if timeout is None else timeout

        def fail(kind: str, message: str | None = None) -> Answer[Any]:
            return Answer(
                target, None, b"", time.perf_counter() - started, kind, False, None, rid, message
            )

        if not method or not set(method) <= _TOKEN:
            return fail("bad_method", f"{method!r} is not an HTTP method")
        chain_id = await self.chain()
        raw, ctype = _encode(body)
        hs = dict(headers or {})
        if ctype is not None:
            hs.setdefault("content-type", ctype)
        hs.update(
            sign_request(
                self.key, chain_id, self.netuid, target.hotkey, method, path, raw, rid, now_ms()
            )
        )
        url = target.url.rstrip("/") + path
        try:
            resp = await asyncio.wait_for(self._send(method.upper(), url, raw, hs), limit)
        except (asyncio.TimeoutError, httpx.TimeoutException):
            return fail("timeout", f"no answer within {limit:g} s")
        except httpx.HTTPError as e:
            return fail("unreachable", f"{type(e).__name__}: {e}")
        status, rbody, rheaders = resp
        latency = time.perf_counter() - started
        signed = response_signature_ok(target.hotkey, rid, status, rbody, rheaders)
        kind, message = None, None
        response: Any = None
        if not signed:
            kind, message = _body_error(rbody)
            kind = kind or "bad_response_signature"
        elif not 200 <= status < 300:
            kind, message = _body_error(rbody)
            kind = kind or f"http_{status}"
        elif response_model is not None:
            try:
                response = response_model.model_validate_json(rbody)
            except pydantic.ValidationError as e:
                kind, message = "invalid_response", str(e)
        return Answer(target, status, rbody, latency, kind, signed, response, rid, message)

    async def _send(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> tuple[int, bytes, httpx.Headers]:
        r = await self._http.request(method, url, content=body, headers=headers)
        return r.status_code, r.content, r.headers

    @overload
    async def query(
        self,
        targets: Iterable[Target],
        path: str,
        body: Body = ...,
        *,
        response_model: type[M],
        method: str = ...,
        timeout: float | None = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> list[Answer[M]]: ...

    @overload
    async def query(
        self,
        targets: Iterable[Target],
        path: str,
        body: Body = ...,
        *,
        response_model: None = ...,
        method: str = ...,
        timeout: float | None = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> list[Answer[Any]]: ...

    async def query(
        self,
        targets: Iterable[Target],
        path: str,
        body: Body = b"",
        *,
        response_model: type[M] | None = None,
        method: str = "POST",
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> list[Answer[Any]]:
        """Asks every target at once (each request signed for its miner, with its own id);
        answers come back in the targets' order, each within ``timeout``."""
        await self.chain()
        return list(
            await asyncio.gather(
                *(
                    self.call(
                        t,
                        path,
                        body,
                        response_model=response_model,
                        method=method,
                        timeout=timeout,
                        headers=headers,
                    )
                    for t in targets
                )
            )
        )

    #: The Rust client's name for :meth:`query`.
    fan_out = query


class BlockingDendrite:
    """:class:`Dendrite` without asyncio: the same calls, blocking; it runs its own event
    loop. Use as a context manager, or call :meth:`close`."""

    def __init__(self, key: Keypair, netuid: int, **options: Any) -> None:
        """The arguments of :class:`Dendrite` (``client`` as a URL)."""
        self._loop = asyncio.new_event_loop()
        self._dendrite = self._run(self._make(key, netuid, options))

    @staticmethod
    async def _make(key: Keypair, netuid: int, options: dict[str, Any]) -> Dendrite:
        return Dendrite(key, netuid, **options)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coro)

    @property
    def dendrite(self) -> Dendrite:
        """The asyncio dendrite underneath."""
        return self._dendrite

    def call(self, target: Target, path: str, body: Body = b"", **kw: Any) -> Answer[Any]:
        """:meth:`Dendrite.call`, blocking."""
        return self._run(self._dendrite.call(target, path, body, **kw))

    def query(
        self, targets: Iterable[Target], path: str, body: Body = b"", **kw: Any
    ) -> list[Answer[Any]]:
        """:meth:`Dendrite.query`, blocking."""
        return self._run(self._dendrite.query(targets, path, body, **kw))

    def close(self) -> None:
        """Closes the HTTP client and the event loop."""
        if not self._loop.is_closed():
            self._run(self._dendrite.close())
            self._loop.close()

    def __enter__(self) -> BlockingDendrite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
