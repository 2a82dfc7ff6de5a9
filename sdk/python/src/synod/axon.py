"""The miner side of ``synod-request-v1``: an HTTP server (Starlette on uvicorn) that admits
only signed, fresh, unreplayed requests from hotkeys registered on its subnet with enough
stake, hands the verified caller to typed handlers, and signs every answer — the Python twin
of ``crates/services/axon/src/server.rs``.

::

    from pydantic import BaseModel
    from synod import Keypair
    from synod.axon import Axon, Caller

    class Task(BaseModel):
        numbers: list[int]

    class Answer(BaseModel):
        total: int

    axon = Axon(Keypair.dev("miner"), netuid=1, client="http://127.0.0.1:9944")

    @axon.route("/v1/sum")
    async def add(task: Task, caller: Caller) -> Answer:    # caller: hotkey, uid, stake, id
        return Answer(total=sum(task.numbers))

    axon.serve(port=8091)                                   # or axon.start() in a thread

**Checks**, in the Rust side's order, each refused with its kind
(:mod:`synod.protocol`): the body is read up to ``max_body_bytes`` (``413
{"error":"body_too_large"}``); the headers' form; the target is this miner's hotkey, the chain
and subnet are its own; the timestamp within ``max_skew`` seconds of the clock; the signature
over method, path with query, body and headers; the signer registered on the subnet
(``not_registered``) with at least ``min_stake`` (``insufficient_stake``), read from the chain
(:class:`~synod.membership.ChainMembership`, cached per finalized block); the request id not
seen from this signer within the window (``replayed_request``; the cache holds at most
``replay_capacity`` ids and refuses new requests rather than forget, with
``chain_unavailable``/503 as Rust). Refusals are answered ``{"error": kind, "message": text}``
with the kind's status (400, 401, 403, 503) and are not signed.

**Handlers** take, by annotation, a pydantic model (the JSON body, validated: malformed JSON
is ``400 invalid_json``, a body that does not fit the model ``422 invalid_body``), a
:class:`Caller`, the raw ``bytes`` body, or Starlette's ``Request``; they return a pydantic
model (JSON, 200), a ``dict``/``list`` (JSON), ``bytes``/``str``, or a Starlette ``Response``
with a body. Raising :class:`AxonError` answers its status and kind; any other exception is
``500 internal_error``. Every answer to an admitted request is signed (headers
``synod-signed-by``, ``synod-request-id``, ``synod-signature``). Sync handlers run in a thread.

A path not routed is answered 404 without checks, as axum answers outside its layered routes.
``checks=False`` serves the same routes with no checks and no signatures (benchmarks); the
handler's caller is then :data:`UNCHECKED`.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, get_type_hints

import pydantic
import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .aio import AsyncClient
from .keys import Keypair
from .membership import ChainMembership, Member, Membership, StaticMembership
from .primitives import AccountId
from .protocol import (
    ChainUnavailable,
    InsufficientStake,
    NotRegistered,
    ReplayedRequest,
    RequestRefused,
    StaleRequest,
    WrongChain,
    WrongSubnet,
    WrongTarget,
    now_ms,
    parse_request,
    refusal_body,
    sign_response,
)

__all__ = [
    "Axon",
    "AxonError",
    "Caller",
    "UNCHECKED",
    "ReplayCache",
    "ServedAxon",
    "Member",
    "Membership",
    "StaticMembership",
    "ChainMembership",
    "EchoRequest",
    "EchoResponse",
    "add_echo_route",
    "DEFAULT_MAX_SKEW",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_REPLAY_CAPACITY",
]

log = logging.getLogger("synod.axon")

#: Largest distance (seconds) between a request's timestamp and the miner's clock.
DEFAULT_MAX_SKEW = 30.0
#: Largest request body.
DEFAULT_MAX_BODY_BYTES = 4 << 20
#: Most request ids remembered.
DEFAULT_REPLAY_CAPACITY = 1_000_000

_JSON = "application/json"
H = TypeVar("H", bound=Callable[..., Any])


@dataclass(frozen=True)
class Caller:
    """The verified caller of a request, handed to the handler."""

    #: Its hotkey.
    hotkey: AccountId
    #: Its UID on the subnet.
    uid: int
    #: Its stake weight (base units).
    stake: int
    #: The request's id.
    request_id: bytes
    #: False only for :data:`UNCHECKED` (an axon with ``checks=False``).
    checked: bool = True


#: The caller a handler sees when the axon runs without checks: nobody, UID -1.
UNCHECKED = Caller(AccountId(bytes(32)), -1, 0, bytes(32), checked=False)


class AxonError(Exception):
    """Raised by a handler: answered (and signed) with ``status`` and
    ``{"error": kind, "message": message}``."""

    def __init__(self, status: int, kind: str, message: str = "") -> None:
        self.status = status
        self.kind = kind
        self.message = message or kind
        super().__init__(f"{kind}: {self.message}")


class ReplayCache:
    """Request ids seen within the freshness window, per caller (as the Rust
    ``ReplayCache``): an id is forgotten once its timestamp is older than ``forget_before``
    (requests that old are refused as stale anyway)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[AccountId, bytes], int] = {}
        self._order: deque[tuple[int, AccountId, bytes]] = deque()

    def insert(self, who: AccountId, rid: bytes, ts: int, forget_before: int) -> bool:
        """Records the id; ``False`` if it was already there."""
        order, seen = self._order, self._seen
        while order and order[0][0] < forget_before:
            t, w, i = order.popleft()
            if seen.get((w, i)) == t:
                del seen[(w, i)]
        key = (who, rid)
        if key in seen:
            return False
        seen[key] = ts
        # Arrival order: a request with an older timestamp than the last is pruned a little
        # late, never early.
        order.append((ts, who, rid))
        return True

    def __len__(self) -> int:
        return len(self._seen)


# ---- the example route both languages serve ----------------------------------------------


class EchoRequest(pydantic.BaseModel):
    """``POST /v1/echo`` body."""

    text: str


class EchoResponse(pydantic.BaseModel):
    """``POST /v1/echo`` answer: the text back and the verified caller's UID (``None`` from
    an axon without checks, as the Rust example answers ``null``)."""

    text: str
    caller_uid: int | None


def add_echo_route(axon: Axon, path: str = "/v1/echo") -> None:
    """Adds the example route the Rust ``synod axon serve-example`` serves too:
    ``{"text": s}`` → ``{"text": s, "caller_uid": uid}`` (``null`` without checks)."""

    @axon.route(path)
    async def echo(req: EchoRequest, caller: Caller) -> EchoResponse:
        return EchoResponse(text=req.text, caller_uid=caller.uid if caller.checked else None)


# ---- handlers ---------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


def _answer(status: int, kind: str, message: str) -> tuple[int, bytes, str]:
    body = json.dumps({"error": kind, "message": message}, separators=(",", ":"))
    return status, body.encode("utf-8"), _JSON


def _validation_message(e: pydantic.ValidationError) -> str:
    parts = []
    for err in e.errors(include_url=False)[:5]:
        loc = ".".join(str(x) for x in err["loc"]) or "body"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


class _Handler:
    """A user function with its parameters read from its annotations."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.is_async = inspect.iscoroutinefunction(fn)
        hints = get_type_hints(fn)
        self.params: list[tuple[str, Any]] = []
        for name in inspect.signature(fn).parameters:
            ann = hints.get(name)
            if isinstance(ann, type) and issubclass(ann, pydantic.BaseModel):
                self.params.append((name, ann))
            elif ann in (Caller, bytes, Request):
                self.params.append((name, ann))
            else:
                raise TypeError(
                    f"handler {fn.__qualname__}: parameter {name!r} must be annotated with a "
                    f"pydantic model, Caller, bytes or Request (got {ann!r})"
                )

    async def __call__(
        self, request: Request, body: bytes, caller: Caller
    ) -> tuple[int, bytes, str | None, Mapping[str, str]]:
        kwargs: dict[str, Any] = {}
        for name, ann in self.params:
            if ann is Caller:
                kwargs[name] = caller
            elif ann is bytes:
                kwargs[name] = body
            elif ann is Request:
                kwargs[name] = request
            else:
                try:
                    kwargs[name] = ann.model_validate_json(body)
                except pydantic.ValidationError as e:
                    if any(err["type"] == "json_invalid" for err in e.errors()):
                        return (*_answer(400, "invalid_json", _validation_message(e)), {})
                    return (*_answer(422, "invalid_body", _validation_message(e)), {})
        try:
            if self.is_async:
                out = await self.fn(**kwargs)
            else:
                out = await run_in_threadpool(self.fn, **kwargs)
        except AxonError as e:
            return (*_answer(e.status, e.kind, e.message), {})
        except Exception:
            log.exception("handler %s failed", self.fn.__qualname__)
            return (*_answer(500, "internal_error", "the handler failed"), {})
        return _encode(out)


def _encode(out: Any) -> tuple[int, bytes, str | None, Mapping[str, str]]:
    if isinstance(out, pydantic.BaseModel):
        return 200, out.model_dump_json().encode("utf-8"), _JSON, {}
    if isinstance(out, Response):
        headers = {
            k: v for k, v in out.headers.items() if k not in ("content-length", "content-type")
        }
        return out.status_code, bytes(out.body), out.headers.get("content-type"), headers
    if isinstance(out, (bytes, bytearray, memoryview)):
        return 200, bytes(out), "application/octet-stream", {}
    if isinstance(out, str):
        return 200, out.encode("utf-8"), "text/plain; charset=utf-8", {}
    if out is None:
        return 204, b"", None, {}
    return 200, json.dumps(out, separators=(",", ":")).encode("utf-8"), _JSON, {}


def _visible(v: str | None) -> str | None:
    """A header value as ``HeaderValue::to_str`` reads it: visible ASCII (and tabs), else
    nothing."""
    if v is None or (v.isascii() and v.isprintable()):
        return v
    return v if all(c == "\t" or " " <= c <= "~" for c in v) else None


# ---- the axon ---------------------------------------------------------------------------


class Axon:
    """A miner's server: routes behind the protocol's checks.

    ``hotkey`` is the miner's (requests must be signed for it; answers are signed with it).
    ``chain_id`` defaults to the node's (read at startup from ``client``). Who may call is
    read from ``membership``, else from the node at ``client`` (a URL or an
    :class:`~synod.aio.AsyncClient`) through :class:`ChainMembership`, checking for a new
    finalized block at most every ``poll`` seconds. ``min_stake`` is the least stake weight
    (base units) a caller needs; ``max_skew`` the largest clock distance in seconds.
    """

    def __init__(
        self,
        hotkey: Keypair,
        netuid: int,
        *,
        chain_id: str | None = None,
        client: str | AsyncClient | None = None,
        membership: Membership | None = None,
        min_stake: int = 0,
        max_skew: float = DEFAULT_MAX_SKEW,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        replay_capacity: int = DEFAULT_REPLAY_CAPACITY,
        poll: float = 1.0,
        checks: bool = True,
    ) -> None:
        self.hotkey = hotkey
        self.netuid = netuid
        self.chain_id = chain_id
        self.min_stake = min_stake
        self.max_skew_ms = int(max_skew * 1000)
        self.max_body_bytes = max_body_bytes
        self.replay_capacity = replay_capacity
        self.checks = checks
        self._client = client
        if membership is None and client is not None:
            membership = ChainMembership(client, netuid, poll=poll)
        if checks and membership is None:
            raise ValueError("an axon with checks needs client= (the node) or membership=")
        if checks and chain_id is None and client is None:
            raise ValueError("give chain_id=, or client= to read it from the node")
        self.membership = membership
        self.replay = ReplayCache()
        #: Requests admitted and refused so far.
        self.accepted = 0
        self.refused = 0
        self._routes: list[Route] = []
        self._app: Starlette | None = None

    def __repr__(self) -> str:
        return f"Axon({self.hotkey.account}, netuid={self.netuid}, checks={self.checks})"

    @property
    def counts(self) -> tuple[int, int]:
        """``(accepted, refused)`` so far."""
        return self.accepted, self.refused

    # ---- routes ------------------------------------------------------------------------

    def route(self, path: str, *, methods: Sequence[str] = ("POST",)) -> Callable[[H], H]:
        """Decorator: serves ``path`` (Starlette syntax) with the handler behind the checks."""

        def register(fn: H) -> H:
            if self._app is not None:
                raise RuntimeError("add routes before the axon is served")
            handler = _Handler(fn)
            self._routes.append(
                Route(path, self._endpoint(handler), methods=list(methods), name=fn.__name__)
            )
            return fn

        return register

    @property
    def app(self) -> Starlette:
        """The ASGI application (for any ASGI server)."""
        if self._app is None:
            self._app = Starlette(routes=list(self._routes), lifespan=self._lifespan)
        return self._app

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        if self.checks and self.chain_id is None:
            self.chain_id = (await self._node().chain_info()).chain_id
        try:
            yield
        finally:
            close = getattr(self.membership, "close", None)
            if close is not None:
                await close()
            if self._own_node is not None:
                await self._own_node.close()
                self._own_node = None

    _own_node: AsyncClient | None = None

    def _node(self) -> AsyncClient:
        if isinstance(self._client, AsyncClient):
            return self._client
        if self._own_node is None:
            assert self._client is not None
            self._own_node = AsyncClient(self._client, timeout=10.0)
        return self._own_node

    # ---- checks ------------------------------------------------------------------------

    async def check(
        self,
        headers: Mapping[str, str] | Callable[[str], str | None],
        method: str,
        path_and_query: str,
        body: bytes,
    ) -> Caller:
        """Every check of one request, in the Rust side's order: form, target, chain,
        subnet, freshness, signature, registration and stake, replay. Returns the caller or
        raises the :class:`~synod.protocol.RequestRefused` subclass of the first failure."""
        req = parse_request(headers)
        if req.signed_for != self.hotkey.account:
            raise WrongTarget(req.signed_for)
        if req.chain_id != self.chain_id:
            raise WrongChain(req.chain_id)
        if req.netuid != self.netuid:
            raise WrongSubnet(req.netuid)
        now = now_ms()
        skew = abs(now - req.timestamp_ms)
        if skew > self.max_skew_ms:
            raise StaleRequest(req.timestamp_ms, skew, self.max_skew_ms)
        req.verify(method, path_and_query, body)
        assert self.membership is not None
        try:
            member = await self.membership.lookup(req.signed_by)
        except RequestRefused:
            raise
        except Exception as e:  # a membership source that fails in its own way
            raise ChainUnavailable(str(e)) from e
        if member is None:
            raise NotRegistered(req.signed_by)
        if member.stake < self.min_stake:
            raise InsufficientStake(member.stake, self.min_stake)
        if len(self.replay) >= self.replay_capacity:
            raise ChainUnavailable("too many requests in the freshness window")
        forget_before = max(0, now - 2 * self.max_skew_ms)
        if not self.replay.insert(req.signed_by, req.request_id, req.timestamp_ms, forget_before):
            raise ReplayedRequest()
        return Caller(req.signed_by, member.uid, member.stake, req.request_id)

    async def _read_body(self, request: Request) -> bytes:
        limit = self.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _endpoint(self, handler: _Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                body = await self._read_body(request)
            except _TooLarge:
                return Response(b'{"error":"body_too_large"}', 413, media_type=_JSON)
            if not self.checks:
                status, out, ctype, extra = await handler(request, body, UNCHECKED)
                return Response(out, status, headers=dict(extra), media_type=ctype)
            scope = request.scope
            path = (scope.get("raw_path") or scope["path"].encode("utf-8")).decode("latin-1")
            query = scope.get("query_string", b"")
            path_and_query = f"{path}?{query.decode('latin-1')}" if query else path
            hs = request.headers
            try:
                caller = await self.check(
                    lambda name: _visible(hs.get(name)), request.method, path_and_query, body
                )
            except RequestRefused as e:
                self.refused += 1
                return Response(refusal_body(e), e.status, media_type=_JSON)
            self.accepted += 1
            status, out, ctype, extra = await handler(request, body, caller)
            signed = sign_response(self.hotkey, caller.request_id, status, out)
            return Response(out, status, headers={**extra, **signed}, media_type=ctype)

        return endpoint

    # ---- serving -----------------------------------------------------------------------

    def serve(self, host: str = "0.0.0.0", port: int = 8091, **uvicorn_options: Any) -> None:
        """Serves until interrupted (uvicorn, one worker)."""
        options: dict[str, Any] = {"log_level": "warning", **uvicorn_options}
        uvicorn.run(self.app, host=host, port=port, **options)

    def start(
        self, host: str = "127.0.0.1", port: int = 0, *, timeout: float = 30.0, **options: Any
    ) -> ServedAxon:
        """Serves in a background thread; returns once listening (``port=0``: a free one).
        Use the result as a context manager, or call its :meth:`ServedAxon.stop`."""
        return ServedAxon(self, host, port, timeout=timeout, **options)


class ServedAxon:
    """An :class:`Axon` served by uvicorn in a background thread."""

    def __init__(
        self, axon: Axon, host: str, port: int, *, timeout: float = 30.0, **options: Any
    ) -> None:
        self.axon = axon
        config = uvicorn.Config(
            axon.app, host=host, port=port, **{"log_level": "warning", **options}
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="synod-axon", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the axon did not start on {host}:{port} (see the log)")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the axon did not start on {host}:{port} in {timeout} s")
            time.sleep(0.01)
        sock = self._server.servers[0].sockets[0]
        self.host = host
        self.port = int(sock.getsockname()[1])

    @property
    def url(self) -> str:
        """``http://host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        """Stops serving and waits for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> ServedAxon:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# ---- python -m synod.axon serve-example --------------------------------------------------


def _main(argv: Sequence[str] | None = None) -> None:
    """``python -m synod.axon serve-example``: the echo example as the Rust CLI serves it."""
    import argparse

    from .keystore import Keystore

    p = argparse.ArgumentParser(prog="python -m synod.axon")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve-example", help="serve POST /v1/echo behind the checks")
    s.add_argument("--hotkey", required=True, help="keystore name (or a dev name with --dev)")
    s.add_argument("--dev", action="store_true", help="--hotkey is Keypair.dev(NAME)")
    s.add_argument("--keystore", default=None)
    s.add_argument("--netuid", type=int, required=True)
    s.add_argument("--rpc", default="http://127.0.0.1:9944")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8091)
    s.add_argument("--min-stake", type=int, default=0)
    s.add_argument("--no-checks", action="store_true")
    a = p.parse_args(argv)
    key = Keypair.dev(a.hotkey) if a.dev else Keystore(a.keystore).unlock(a.hotkey)
    axon = Axon(key, a.netuid, client=a.rpc, min_stake=a.min_stake, checks=not a.no_checks)
    add_echo_route(axon)
    served = axon.start(a.host, a.port)
    print(json.dumps({"url": served.url, "hotkey": key.account.hex0x}), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        served.stop()


if __name__ == "__main__":
    _main()
