"""The node's JSON-RPC from asyncio, with WebSocket subscriptions as async iterators.

:class:`AsyncClient` has the typed methods of :class:`synod.rpc.Client` as coroutines (calls go
over HTTP with :mod:`httpx`) and two subscriptions (``crates/chain/rpc/src/api.rs``):

- :meth:`AsyncClient.subscribe_finalized_blocks`: every finalized block (``synod_finalizedBlock``
  notifications, a :class:`~synod.types.Block` each) from the next one on;
- :meth:`AsyncClient.subscribe_events`: the events of each transaction of each finalized block,
  then the block's end-block events (epochs, validator sets) under the end-block receipt's hash
  (``synod_events`` notifications, a :class:`~synod.types.TxEvents` each; a block without
  transactions or end-block events sends nothing).

::

    async with AsyncClient("http://127.0.0.1:9944") as node:
        async with node.subscribe_finalized_blocks() as blocks:
            async for block in blocks:
                print(block.header.height, len(block.transactions))

Each subscription has a WebSocket connection of its own, read only while the caller iterates,
so a consumer that falls behind is seen by the node, not hidden in a local queue: the node
then ends the subscription with a reason and the iterator raises
:class:`~synod.errors.SlowConsumer`. Any other end the caller did not ask for raises
:class:`~synod.errors.SubscriptionClosed` (``reason`` is the node's message, or how the
connection was lost). Leaving the ``async with`` block (or :meth:`Subscription.aclose`, or
closing the client) unsubscribes and closes the connection; an iterator used without
``async with`` connects on its first ``__anext__``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from .errors import (
    SlowConsumer,
    SubscriptionClosed,
    SynodError,
    TransactionDropped,
    TransactionFailed,
    TransactionRejected,
    TransportError,
    WaitTimeout,
    rejection_class,
)
from .keys import Keypair
from .primitives import AccountId, Hash, HexLike
from .rpc import (
    _TX_REJECTED,
    DEFAULT_URL,
    BlockId,
    _camel,
    _jsonable,
    _metagraph_answer,
    _request_body,
    _result_of,
    _rpc_error,
    _tx_hex,
    _with_block,
)
from .tx import SignedTransaction, Transaction
from .types import (
    Account,
    Block,
    ChainInfo,
    FinalizedHeader,
    Heads,
    QuoteSide,
    Receipt,
    StakePosition,
    StateValue,
    SwapQuote,
    TxEvents,
    TxStatus,
    WeightCommit,
)

if TYPE_CHECKING:
    from .data import AsyncDataApi
    from .metagraph import Metagraph

__all__ = ["AsyncClient", "AsyncNamespace", "Subscription", "ws_url_of"]

T = TypeVar("T")

#: Largest notification accepted, in bytes (a block's JSON can be large: 20,000 transactions).
DEFAULT_MAX_MESSAGE = 64 << 20


def ws_url_of(url: str) -> str:
    """The WebSocket URL of a node's RPC URL (the node serves both on one port):
    ``http://`` becomes ``ws://``, ``https://`` becomes ``wss://``."""
    if url.startswith("https://"):
        return "wss://" + url[len("https://") :]
    if url.startswith("http://"):
        return "ws://" + url[len("http://") :]
    return url


class Subscription(Generic[T]):
    """One subscription on its own WebSocket connection: an async iterator of its items and an
    async context manager that unsubscribes on exit.

    ``id`` is the node's subscription id once subscribed; ``unsubscribed`` is what the node
    answered to the unsubscribe (``True`` when it still knew the subscription), ``None`` until
    then.
    """

    def __init__(
        self,
        url: str,
        method: str,
        unsubscribe_method: str,
        parse: Callable[[Any], T],
        params: Sequence[Any] = (),
        *,
        max_message: int = DEFAULT_MAX_MESSAGE,
        open_timeout: float = 10.0,
        ws_options: Mapping[str, Any] | None = None,
        on_close: Callable[[Subscription[Any]], None] | None = None,
    ) -> None:
        self.url = url
        self.method = method
        self.unsubscribe_method = unsubscribe_method
        self.id: int | str | None = None
        self.unsubscribed: bool | None = None
        self._parse = parse
        self._params = list(params)
        self._max_message = max_message
        self._open_timeout = open_timeout
        self._ws_options = dict(ws_options or {})
        self._on_close = on_close
        self._ws: ClientConnection | None = None
        self._early: deque[dict[str, Any]] = deque()
        self._ids = itertools.count(1)
        self._closed = False
        self._reading = False
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"Subscription({self.method!r}, id={self.id!r})"

    @property
    def closed(self) -> bool:
        """Whether the subscription has ended (by the caller or by the node)."""
        return self._closed

    async def start(self) -> Subscription[T]:
        """Connects and subscribes (done by ``async with`` or the first ``__anext__``).

        Raises :class:`~synod.errors.TransportError` when the node cannot be reached or refuses
        the connection (``status`` 429: too many connections), and
        :class:`~synod.errors.RpcError` when it refuses the subscription.
        """
        async with self._lock:
            if self._ws is not None or self._closed:
                return self
            try:
                self._ws = await connect(
                    self.url,
                    max_size=self._max_message,
                    open_timeout=self._open_timeout,
                    # Notifications wait in the socket, not here: the node sees a slow reader.
                    max_queue=4,
                    **self._ws_options,
                )
            except InvalidStatus as e:
                status = e.response.status_code
                raise TransportError(
                    f"{self.method}: the node refused the WebSocket connection to {self.url} "
                    f"(HTTP {status})",
                    status=status,
                ) from e
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as e:
                raise TransportError(f"{self.method}: cannot connect to {self.url}: {e}") from e
            try:
                result = await self._call(self.method, self._params)
            except BaseException:
                await self._shutdown()
                raise
            if not isinstance(result, (int, str)):
                await self._shutdown()
                raise TransportError(f"{self.method}: not a subscription id: {result!r:.200}")
            self.id = result
            return self

    async def _call(self, method: str, params: Sequence[Any]) -> Any:
        """One request on this connection; notifications read meanwhile are kept for later."""
        assert self._ws is not None
        rid = next(self._ids)
        body = {"jsonrpc": "2.0", "id": rid, "method": method, "params": _jsonable(list(params))}
        try:
            await self._ws.send(json.dumps(body))
            while True:
                msg = _decode(await self._ws.recv(), method)
                if msg.get("id") == rid:
                    if "error" in msg:
                        raise _rpc_error(method, msg["error"])
                    return msg.get("result")
                if "params" in msg:
                    self._early.append(msg)
        except ConnectionClosed as e:
            raise SubscriptionClosed(method, _close_reason(e), connection_lost=True) from e

    def __aiter__(self) -> Subscription[T]:
        return self

    async def __anext__(self) -> T:
        if self._ws is None and not self._closed:
            await self.start()
        while True:
            if self._closed or self._ws is None:
                raise StopAsyncIteration
            if self._early:
                msg = self._early.popleft()
            else:
                self._reading = True
                try:
                    msg = _decode(await self._ws.recv(), self.method)
                except ConnectionClosed as e:
                    if self._closed:
                        raise StopAsyncIteration from None
                    await self._shutdown()
                    raise SubscriptionClosed(
                        self.method, _close_reason(e), connection_lost=True
                    ) from e
                finally:
                    self._reading = False
            params = msg.get("params")
            if not isinstance(params, dict) or params.get("subscription") != self.id:
                continue  # an answer to nothing we wait for, or another subscription's
            if "error" in params:
                await self._shutdown()
                reason = params["error"]
                text = reason if isinstance(reason, str) else json.dumps(reason)
                cls = SlowConsumer if "slow consumer" in text else SubscriptionClosed
                raise cls(self.method, text)
            return self._parse(params.get("result"))

    async def next(self, timeout: float | None = None) -> T:
        """The next item, waiting at most ``timeout`` seconds (:class:`asyncio.TimeoutError`
        then; the subscription stays open)."""
        return await asyncio.wait_for(self.__anext__(), timeout)

    async def unsubscribe(self, timeout: float = 5.0) -> bool | None:
        """Asks the node to end the subscription, then closes the connection. Returns the
        node's answer (``True``: it ended it), or ``None`` when there was nothing to end or no
        answer in time."""
        if self._closed:
            return self.unsubscribed
        answer: bool | None = None
        if self._ws is not None and self.id is not None:
            if self._reading:
                # Another task is reading this connection (closing the client while a consumer
                # iterates): send the request without reading its answer; closing the
                # connection ends the subscription on the node in any case.
                body = {
                    "jsonrpc": "2.0",
                    "id": next(self._ids),
                    "method": self.unsubscribe_method,
                    "params": [self.id],
                }
                try:
                    await self._ws.send(json.dumps(body))
                except ConnectionClosed:
                    pass
            else:
                # jsonrpsee answers a subscribe before it registers the subscription, so an
                # unsubscribe sent right after can be told "unknown" (false): ask again briefly.
                try:
                    for delay in (0.02, 0.05, 0.1, None):
                        r = await asyncio.wait_for(
                            self._call(self.unsubscribe_method, [self.id]), timeout
                        )
                        answer = bool(r)
                        if answer or delay is None:
                            break
                        await asyncio.sleep(delay)
                except (SynodError, asyncio.TimeoutError):
                    answer = None
        self.unsubscribed = answer
        await self._shutdown()
        return answer

    async def aclose(self) -> None:
        """Unsubscribes (if still subscribed) and closes the connection."""
        await self.unsubscribe()

    async def __aenter__(self) -> Subscription[T]:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _shutdown(self) -> None:
        self._closed = True
        self._early.clear()
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                await ws.close()
            except Exception:  # the connection is gone either way
                pass
        if self._on_close is not None:
            self._on_close(self)


def _decode(frame: str | bytes, method: str) -> dict[str, Any]:
    try:
        msg = json.loads(frame)
    except ValueError as e:
        raise TransportError(f"{method}: a WebSocket message that is not JSON: {e}") from e
    if not isinstance(msg, dict):
        raise TransportError(f"{method}: not a JSON-RPC message: {msg!r:.200}")
    return msg


def _close_reason(e: ConnectionClosed) -> str:
    frame = e.rcvd
    if frame is None:
        return "the connection closed without a close frame"
    return f"close code {frame.code}" + (f": {frame.reason}" if frame.reason else "")


class AsyncNamespace:
    """A module's methods as coroutines: ``await ns.by_symbol("SN7")`` calls
    ``<module>_bySymbol``."""

    def __init__(self, client: AsyncClient, name: str) -> None:
        self._client = client
        self._name = name

    async def call(self, method: str, *params: Any) -> Any:
        """Calls ``<module>_<method>`` with ``params`` as they are."""
        return await self._client.request(f"{self._name}_{method}", list(params))

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        method = _camel(attr)
        return lambda *params: self.call(method, *params)

    def __repr__(self) -> str:
        return f"AsyncNamespace({self._name!r})"


class AsyncClient:
    """A Synod node's JSON-RPC from asyncio: requests over HTTP, subscriptions over WebSocket.
    Use as an async context manager, or call :meth:`close` (which also ends every open
    subscription made through it)."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        ws_url: str | None = None,
        timeout: float = 30.0,
        http: httpx.AsyncClient | None = None,
        max_message: int = DEFAULT_MAX_MESSAGE,
        ws_options: Mapping[str, Any] | None = None,
    ) -> None:
        """``url`` of the node's RPC (HTTP); ``ws_url`` its WebSocket URL (default: ``url``
        with ``ws://``/``wss://``); ``http`` an :class:`httpx.AsyncClient` to use instead of
        one of our own (then :meth:`close` leaves it open); ``max_message`` the largest
        notification accepted; ``ws_options`` more keyword arguments for
        :func:`websockets.asyncio.client.connect` (``ssl``, ``additional_headers``,
        ``proxy``, …), used for every subscription."""
        self.url = url
        self.ws_url = ws_url or ws_url_of(url)
        self._own_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout)
        self._ids = itertools.count(1)
        self._max_message = max_message
        self._ws_options = dict(ws_options or {})
        self._subs: set[Subscription[Any]] = set()

    async def close(self) -> None:
        """Ends every open subscription, then closes the HTTP client if this client made it."""
        for sub in list(self._subs):
            await sub.aclose()
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient({self.url!r})"

    # ---- raw JSON-RPC ------------------------------------------------------------------

    async def request(self, method: str, params: Sequence[Any] | None = None) -> Any:
        """Calls ``method`` with positional ``params``; returns its ``result``. Errors as
        :meth:`synod.rpc.Client.request`."""
        rid = next(self._ids)
        try:
            resp = await self._http.post(self.url, json=_request_body(rid, method, params))
        except httpx.HTTPError as e:
            raise TransportError(f"{method}: cannot reach {self.url}: {e}") from e
        return _result_of(method, self.url, rid, resp)

    def namespace(self, module: str) -> AsyncNamespace:
        """A module's methods (``bank``, ``subnets``, ``tokens``, …) as coroutines."""
        return AsyncNamespace(self, module)

    @property
    def data(self) -> AsyncDataApi:
        """The data module's methods, typed, as coroutines (:class:`synod.data.AsyncDataApi`)."""
        from .data import AsyncDataApi

        return AsyncDataApi(self)

    # ---- subscriptions -----------------------------------------------------------------

    def subscribe(
        self,
        method: str,
        unsubscribe_method: str,
        parse: Callable[[Any], T],
        params: Sequence[Any] = (),
        *,
        ws_options: Mapping[str, Any] | None = None,
    ) -> Subscription[T]:
        """Any subscription method: items are ``parse(result)`` of each notification;
        ``ws_options`` are added to the client's for this connection."""
        sub: Subscription[T] = Subscription(
            self.ws_url,
            method,
            unsubscribe_method,
            parse,
            params,
            max_message=self._max_message,
            ws_options={**self._ws_options, **(ws_options or {})},
            on_close=self._subs.discard,
        )
        self._subs.add(sub)
        return sub

    def subscribe_finalized_blocks(
        self, *, ws_options: Mapping[str, Any] | None = None
    ) -> Subscription[Block]:
        """Every block finalized from now on, in height order
        (``synod_subscribeFinalizedBlocks``)."""
        return self.subscribe(
            "synod_subscribeFinalizedBlocks",
            "synod_unsubscribeFinalizedBlocks",
            Block.from_json,
            ws_options=ws_options,
        )

    def subscribe_events(
        self, *, ws_options: Mapping[str, Any] | None = None
    ) -> Subscription[TxEvents]:
        """The events of every transaction of every block finalized from now on, then each
        block's end-block events (``synod_subscribeEvents``)."""
        return self.subscribe(
            "synod_subscribeEvents",
            "synod_unsubscribeEvents",
            TxEvents.from_json,
            ws_options=ws_options,
        )

    # ---- synod_* -----------------------------------------------------------------------

    async def submit_transaction(self, tx: SignedTransaction | bytes | str) -> Hash:
        """Submits one signed transaction; returns its hash, or raises
        :class:`~synod.errors.TransactionRejected` with the node's kind."""
        return Hash(await self.request("synod_submitTransaction", [_tx_hex(tx)]))

    async def submit_transactions(
        self, txs: Sequence[SignedTransaction | bytes | str]
    ) -> list[Hash | TransactionRejected]:
        """Submits many transactions; one result each, in order: its hash, or the
        :class:`~synod.errors.TransactionRejected` (not raised) that refused it."""
        results = await self.request("synod_submitTransactions", [[_tx_hex(t) for t in txs]])
        out: list[Hash | TransactionRejected] = []
        for r in results:
            if r["result"] == "accepted":
                out.append(Hash(r["hash"]))
            else:
                kind = r["kind"]
                out.append(
                    rejection_class(kind)(
                        _TX_REJECTED, r["message"], kind, "synod_submitTransactions"
                    )
                )
        return out

    async def transaction_status(self, tx_hash: HexLike) -> TxStatus:
        """Pending in the pool, finalized (with its receipt), or unknown."""
        return TxStatus.from_json(await self.request("synod_transactionStatus", [Hash(tx_hash)]))

    async def get_receipt(self, tx_hash: HexLike) -> Receipt | None:
        """A finalized transaction's receipt, or ``None``."""
        r = await self.request("synod_getReceipt", [Hash(tx_hash)])
        return Receipt.from_json(r) if r is not None else None

    async def get_block(self, block: BlockId = "latest") -> Block | None:
        """A block by height, hash, ``"latest"`` or ``"finalized"``; ``None`` if unknown."""
        r = await self.request("synod_getBlock", [block])
        return Block.from_json(r) if r is not None else None

    async def get_finalized_header(self, height: int) -> FinalizedHeader | None:
        """A finalized header with its finality certificate, or ``None``."""
        r = await self.request("synod_getFinalizedHeader", [height])
        return FinalizedHeader.from_json(r) if r is not None else None

    async def heads(self) -> Heads:
        """The newest finalized and executed heights."""
        return Heads.from_json(await self.request("synod_heads"))

    async def get_account(self, account: HexLike, height: int | None = None) -> Account:
        """An account's balance and nonce at the finalized head, or at ``height``."""
        return Account.from_json(
            await self.request("synod_getAccount", [AccountId(account), height])
        )

    async def next_nonce(self, account: HexLike) -> int:
        """The nonce the account's next transaction should carry (past its pooled ones)."""
        n: int = await self.request("synod_nextNonce", [AccountId(account)])
        return n

    async def get_state_value(
        self, key: bytes | str, height: int | None = None, prove: bool = False
    ) -> StateValue:
        """A raw state value (and, with ``prove``, its proof and finality certificate)."""
        key_hex = key if isinstance(key, str) else bytes(key).hex()
        return StateValue.from_json(
            await self.request("synod_getStateValue", [key_hex, height, prove])
        )

    async def get_events(self, height: int) -> list[TxEvents]:
        """The events of every transaction (and the end-block receipt) at ``height``."""
        return [TxEvents.from_json(e) for e in await self.request("synod_getEvents", [height])]

    async def chain_info(self) -> ChainInfo:
        """Chain id, genesis hash, fees, genesis validators, node version, pool size."""
        return ChainInfo.from_json(await self.request("synod_chainInfo"))

    async def discover(self) -> dict[str, Any]:
        """The node's OpenRPC document (``rpc.discover``)."""
        result: dict[str, Any] = await self.request("rpc.discover")
        return result

    # ---- subnets_* ---------------------------------------------------------------------

    async def subnet_metagraph_json(self, netuid: int, block: int | None = None) -> dict[str, Any]:
        """``subnets_metagraph`` as the node answers it (see
        :meth:`synod.rpc.Client.subnet_metagraph_json`)."""
        j = await self.request("subnets_metagraph", _with_block([netuid], block))
        return _metagraph_answer(j, netuid, block)

    async def metagraph(self, netuid: int, block: int | None = None) -> Metagraph:
        """Subnet ``netuid``'s :class:`~synod.metagraph.Metagraph`, now or after ``block``."""
        from .metagraph import Metagraph

        return Metagraph.from_json(await self.subnet_metagraph_json(netuid, block))

    async def subnet_uid(
        self, netuid: int, hotkey: HexLike, block: int | None = None
    ) -> int | None:
        """``subnets_uid`` (see :meth:`synod.rpc.Client.subnet_uid`)."""
        r = await self.request("subnets_uid", _with_block([netuid, AccountId(hotkey)], block))
        return int(r) if r is not None else None

    async def stake_positions(
        self, coldkey: HexLike, block: int | None = None
    ) -> list[StakePosition]:
        """``subnets_stakePositions`` (see :meth:`synod.rpc.Client.stake_positions`)."""
        r = await self.request("subnets_stakePositions", _with_block([AccountId(coldkey)], block))
        return [StakePosition.from_json(p) for p in r]

    async def weight_commits(self, netuid: int, hotkey: HexLike) -> list[WeightCommit]:
        """``subnets_commits`` (see :meth:`synod.rpc.Client.weight_commits`)."""
        r = await self.request("subnets_commits", [netuid, AccountId(hotkey)])
        return [WeightCommit.from_json(c) for c in r]

    async def stake_quote(self, netuid: int, side: QuoteSide, amount: int) -> SwapQuote:
        """``subnets_quote`` (see :meth:`synod.rpc.Client.stake_quote`)."""
        if side not in ("stake", "unstake"):
            raise ValueError(f"side must be 'stake' or 'unstake', got {side!r}")
        return SwapQuote.from_json(await self.request("subnets_quote", [netuid, side, amount]))

    # ---- convenience -------------------------------------------------------------------

    async def balance(self, account: HexLike) -> int:
        """The account's free SYN balance in base units, at the finalized head."""
        return (await self.get_account(account)).balance

    async def build(
        self,
        call: Mapping[str, Any],
        signer: Keypair,
        *,
        nonce: int | None = None,
        fee: int | None = None,
        info: ChainInfo | None = None,
    ) -> SignedTransaction:
        """Signs ``call`` by ``signer`` for this node's chain, as :meth:`synod.rpc.Client.build`
        (nonce from the node, the exact minimum fee)."""
        info = info or await self.chain_info()
        if nonce is None:
            nonce = await self.next_nonce(signer.account)
        tx = Transaction(info.chain_id, signer.account, nonce, 0, call)
        if fee is None:
            size = len(tx.sign(signer, info.genesis_hash).encode())
            fee = info.fees.min_fee(size, call)
        return tx.with_fee(fee).sign(signer, info.genesis_hash)

    async def submit_nowait(
        self,
        call: Mapping[str, Any],
        signer: Keypair,
        *,
        nonce: int | None = None,
        fee: int | None = None,
    ) -> Hash:
        """Builds, signs and submits ``call``; returns the transaction hash once admitted."""
        return await self.submit_transaction(await self.build(call, signer, nonce=nonce, fee=fee))

    async def submit(
        self,
        call: Mapping[str, Any],
        signer: Keypair,
        *,
        check: bool = True,
        timeout: float = 60.0,
        nonce: int | None = None,
        fee: int | None = None,
    ) -> Receipt:
        """Builds, signs and submits ``call``, then waits for its finalized receipt; errors as
        :meth:`synod.rpc.Client.submit`."""
        tx_hash = await self.submit_nowait(call, signer, nonce=nonce, fee=fee)
        receipt = await self.wait_for_receipt(tx_hash, timeout=timeout)
        if check and not receipt.succeeded:
            raise TransactionFailed(receipt)
        return receipt

    async def wait_for_receipt(
        self, tx_hash: HexLike, *, timeout: float = 60.0, poll: float = 0.1
    ) -> Receipt:
        """Polls until the transaction is finalized and returns its receipt
        (:class:`~synod.errors.TransactionDropped`, :class:`~synod.errors.WaitTimeout`)."""
        h = Hash(tx_hash)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            st = await self.transaction_status(h)
            if st.status == "finalized":
                assert st.receipt is not None
                return st.receipt
            if st.status == "unknown":
                raise TransactionDropped(h)
            if loop.time() > deadline:
                raise WaitTimeout(h, timeout)
            await asyncio.sleep(poll)
