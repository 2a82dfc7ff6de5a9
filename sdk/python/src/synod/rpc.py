"""A JSON-RPC client of a Synod node over HTTP, and transaction submission.

:class:`Client` has one typed method per ``synod_*`` method (``crates/chain/rpc/src/api.rs``),
:meth:`Client.request` for any method, and :meth:`Client.namespace` for a module's methods
(``client.namespace("tokens").by_symbol("SN7")`` calls ``tokens_bySymbol``); the data
module's methods are typed in :attr:`Client.data` (:class:`synod.data.DataApi`).

:meth:`Client.submit` is what ``synod`` does for every transaction: read the chain's id,
genesis hash and fees and the sender's next nonce, compute the minimum fee exactly as the CLI
does (the size of the signed transaction with fee 0, then ``per_byte * size + per_weight *
weight``; the fee is fixed-width, so its value does not change the size), sign, submit, and
wait for the finalized receipt.

Errors: a refused transaction raises a :class:`~synod.errors.TransactionRejected` subclass
carrying the node's kind (``stale_nonce``, ``fee_too_low``, ``insufficient_balance``, …); a
call that was included but failed raises :class:`~synod.errors.TransactionFailed` (unless
``check=False``).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from .errors import (
    InvalidParams,
    NotFound,
    RpcError,
    TransactionDropped,
    TransactionFailed,
    TransactionRejected,
    TransportError,
    WaitTimeout,
    rejection_class,
)
from .keys import Keypair
from .primitives import AccountId, Hash, HexLike
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
    from .data import DataApi
    from .metagraph import Metagraph

__all__ = ["Client", "Namespace", "DEFAULT_URL", "BlockId"]

#: Where ``synod dev`` serves JSON-RPC.
DEFAULT_URL = "http://127.0.0.1:9944"

#: A block by height, ``0x`` hash, ``"latest"`` or ``"finalized"``.
BlockId = int | str | Hash

_TX_REJECTED = 1001
_NOT_FOUND = 1002
_INVALID_PARAMS = -32602


def _jsonable(v: Any) -> Any:
    """Parameters as JSON: fixed-size bytes (accounts, hashes) as ``0x`` hex."""
    if isinstance(v, (bytes, bytearray)):
        return "0x" + bytes(v).hex()
    if isinstance(v, Mapping):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


class Namespace:
    """A module's JSON-RPC methods: ``ns.by_symbol("SN7")`` calls ``<module>_bySymbol``
    with positional parameters (snake_case attribute names become the methods' camelCase)."""

    def __init__(self, client: Client, name: str) -> None:
        self._client = client
        self._name = name

    def call(self, method: str, *params: Any) -> Any:
        """Calls ``<module>_<method>`` with ``params`` as they are."""
        return self._client.request(f"{self._name}_{method}", list(params))

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        method = _camel(attr)
        return lambda *params: self.call(method, *params)

    def __repr__(self) -> str:
        return f"Namespace({self._name!r})"


def _request_body(rid: int, method: str, params: Sequence[Any] | None) -> dict[str, Any]:
    """A JSON-RPC 2.0 request with positional parameters."""
    return {
        "jsonrpc": "2.0",
        "id": rid,
        "method": method,
        "params": _jsonable(list(params or [])),
    }


def _result_of(method: str, url: str, rid: int, resp: httpx.Response) -> Any:
    """The ``result`` of the JSON-RPC answer ``resp`` to request ``rid`` (shared by the
    blocking and the async client): a transport error when it is not one, the typed RPC error
    when it is an error answer."""
    if resp.status_code != 200:
        raise TransportError(
            f"{method}: HTTP {resp.status_code} from {url}: {resp.text[:200]}",
            status=resp.status_code,
        )
    try:
        answer = resp.json()
    except ValueError as e:
        raise TransportError(f"{method}: the answer is not JSON: {e}") from e
    if not isinstance(answer, dict) or answer.get("id") != rid:
        raise TransportError(f"{method}: not a JSON-RPC answer to this request: {answer!r:.200}")
    if "error" in answer:
        raise _rpc_error(method, answer["error"])
    if "result" not in answer:
        raise TransportError(f"{method}: JSON-RPC answer without result or error")
    return answer["result"]


class Client:
    """A Synod node's JSON-RPC over HTTP. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        timeout: float = 30.0,
        http: httpx.Client | None = None,
    ) -> None:
        """``url`` of the node's RPC; ``http`` an :class:`httpx.Client` to use instead of one
        of our own (then :meth:`close` leaves it open)."""
        self.url = url
        self._own_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)
        self._ids = itertools.count(1)

    def close(self) -> None:
        """Closes the HTTP client if this client made it."""
        if self._own_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client({self.url!r})"

    # ---- raw JSON-RPC ------------------------------------------------------------------

    def request(self, method: str, params: Sequence[Any] | None = None) -> Any:
        """Calls ``method`` with positional ``params``; returns its ``result``.

        Raises :class:`~synod.errors.TransportError` when there is no JSON-RPC answer, and
        :class:`~synod.errors.RpcError` (or a subclass) for an error answer.
        """
        rid = next(self._ids)
        try:
            resp = self._http.post(self.url, json=_request_body(rid, method, params))
        except httpx.HTTPError as e:
            raise TransportError(f"{method}: cannot reach {self.url}: {e}") from e
        return _result_of(method, self.url, rid, resp)

    def namespace(self, module: str) -> Namespace:
        """A module's methods (``bank``, ``subnets``, ``tokens``, ``payments``, …)."""
        return Namespace(self, module)

    @property
    def data(self) -> DataApi:
        """The data module's methods, typed (:class:`synod.data.DataApi`):
        ``client.data.file(3)`` calls ``data_file``."""
        from .data import DataApi

        return DataApi(self)

    def discover(self) -> dict[str, Any]:
        """The node's OpenRPC document (``rpc.discover``): every method it serves."""
        result: dict[str, Any] = self.request("rpc.discover")
        return result

    # ---- synod_* -----------------------------------------------------------------------

    def submit_transaction(self, tx: SignedTransaction | bytes | str) -> Hash:
        """Submits one signed transaction; returns its hash, or raises
        :class:`~synod.errors.TransactionRejected` with the node's kind."""
        return Hash(self.request("synod_submitTransaction", [_tx_hex(tx)]))

    def submit_transactions(
        self, txs: Sequence[SignedTransaction | bytes | str]
    ) -> list[Hash | TransactionRejected]:
        """Submits many transactions; one result per transaction, in order: its hash, or the
        :class:`~synod.errors.TransactionRejected` (not raised) that refused it."""
        results = self.request("synod_submitTransactions", [[_tx_hex(t) for t in txs]])
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

    def transaction_status(self, tx_hash: HexLike) -> TxStatus:
        """Pending in the pool, finalized (with its receipt), or unknown."""
        return TxStatus.from_json(self.request("synod_transactionStatus", [Hash(tx_hash)]))

    def get_receipt(self, tx_hash: HexLike) -> Receipt | None:
        """A finalized transaction's receipt, or ``None``."""
        r = self.request("synod_getReceipt", [Hash(tx_hash)])
        return Receipt.from_json(r) if r is not None else None

    def get_block(self, block: BlockId = "latest") -> Block | None:
        """A block by height, hash, ``"latest"`` or ``"finalized"``; ``None`` if unknown."""
        r = self.request("synod_getBlock", [block])
        return Block.from_json(r) if r is not None else None

    def get_finalized_header(self, height: int) -> FinalizedHeader | None:
        """A finalized header with its finality certificate, or ``None``."""
        r = self.request("synod_getFinalizedHeader", [height])
        return FinalizedHeader.from_json(r) if r is not None else None

    def heads(self) -> Heads:
        """The newest finalized and executed heights."""
        return Heads.from_json(self.request("synod_heads"))

    def get_account(self, account: HexLike, height: int | None = None) -> Account:
        """An account's balance and nonce at the finalized head, or at ``height``."""
        return Account.from_json(self.request("synod_getAccount", [AccountId(account), height]))

    def next_nonce(self, account: HexLike) -> int:
        """The nonce the account's next transaction should carry (past its pooled ones)."""
        n: int = self.request("synod_nextNonce", [AccountId(account)])
        return n

    def get_state_value(
        self, key: bytes | str, height: int | None = None, prove: bool = False
    ) -> StateValue:
        """A raw state value (and, with ``prove``, its proof and finality certificate)."""
        key_hex = key if isinstance(key, str) else bytes(key).hex()
        return StateValue.from_json(self.request("synod_getStateValue", [key_hex, height, prove]))

    def get_events(self, height: int) -> list[TxEvents]:
        """The events of every transaction (and the end-block receipt) at ``height``."""
        return [TxEvents.from_json(e) for e in self.request("synod_getEvents", [height])]

    def chain_info(self) -> ChainInfo:
        """Chain id, genesis hash, fees, genesis validators, node version, pool size."""
        return ChainInfo.from_json(self.request("synod_chainInfo"))

    # ---- subnets_* ---------------------------------------------------------------------
    # Past-block reads (``block``) see the state after any committed block; a block not
    # committed yet is a NotFound whose message says "not committed".

    def subnet_metagraph_json(self, netuid: int, block: int | None = None) -> dict[str, Any]:
        """``subnets_metagraph`` as the node answers it, now or after ``block``;
        :class:`~synod.errors.NotFound` when the subnet does not exist (at that block)."""
        return _metagraph_answer(
            self.request("subnets_metagraph", _with_block([netuid], block)), netuid, block
        )

    def metagraph(self, netuid: int, block: int | None = None) -> Metagraph:
        """Subnet ``netuid``'s :class:`~synod.metagraph.Metagraph`, now or after ``block``."""
        from .metagraph import Metagraph

        return Metagraph.from_json(self.subnet_metagraph_json(netuid, block))

    def subnet_uid(self, netuid: int, hotkey: HexLike, block: int | None = None) -> int | None:
        """``subnets_uid``: ``hotkey``'s UID on subnet ``netuid`` (after ``block`` when
        given), or ``None`` when it holds none."""
        r = self.request("subnets_uid", _with_block([netuid, AccountId(hotkey)], block))
        return int(r) if r is not None else None

    def stake_positions(self, coldkey: HexLike, block: int | None = None) -> list[StakePosition]:
        """``subnets_stakePositions``: every stake position of ``coldkey`` (after ``block``
        when given), by subnet and hotkey."""
        r = self.request("subnets_stakePositions", _with_block([AccountId(coldkey)], block))
        return [StakePosition.from_json(p) for p in r]

    def weight_commits(self, netuid: int, hotkey: HexLike) -> list[WeightCommit]:
        """``subnets_commits``: ``hotkey``'s unrevealed weight commits on subnet ``netuid``,
        oldest first, with their reveal epochs and status (``waiting``, ``revealable``,
        ``expired``)."""
        r = self.request("subnets_commits", [netuid, AccountId(hotkey)])
        return [WeightCommit.from_json(c) for c in r]

    def stake_quote(self, netuid: int, side: QuoteSide, amount: int) -> SwapQuote:
        """``subnets_quote``: what staking ``amount`` SYN (``"stake"``) or unstaking
        ``amount`` alpha (``"unstake"``) on ``netuid`` would give now, by the chain's pool
        math. :class:`~synod.errors.InvalidParams` when there is no such subnet, it is not
        started, or the pool cannot fill the trade."""
        if side not in ("stake", "unstake"):
            raise ValueError(f"side must be 'stake' or 'unstake', got {side!r}")
        return SwapQuote.from_json(self.request("subnets_quote", [netuid, side, amount]))

    # ---- convenience -------------------------------------------------------------------

    def balance(self, account: HexLike) -> int:
        """The account's free SYN balance in base units, at the finalized head."""
        return self.get_account(account).balance

    def build(
        self,
        call: Mapping[str, Any],
        signer: Keypair,
        *,
        nonce: int | None = None,
        fee: int | None = None,
        info: ChainInfo | None = None,
    ) -> SignedTransaction:
        """Signs ``call`` (JSON form) by ``signer`` for this node's chain.

        ``nonce`` defaults to :meth:`next_nonce`; ``fee`` to the exact minimum for the
        transaction's size and the call's weight, as the CLI computes it.
        """
        info = info or self.chain_info()
        if nonce is None:
            nonce = self.next_nonce(signer.account)
        tx = Transaction(info.chain_id, signer.account, nonce, 0, call)
        if fee is None:
            size = len(tx.sign(signer, info.genesis_hash).encode())
            fee = info.fees.min_fee(size, call)
        return tx.with_fee(fee).sign(signer, info.genesis_hash)

    def submit(
        self,
        call: Mapping[str, Any],
        signer: Keypair,
        *,
        check: bool = True,
        timeout: float = 60.0,
        nonce: int | None = None,
        fee: int | None = None,
    ) -> Receipt:
        """Builds, signs and submits ``call``, then waits for its finalized receipt.

        Raises :class:`~synod.errors.TransactionRejected` (with the node's ``kind``) when the
        node refuses it, and, with ``check`` (the default), :class:`~synod.errors.TransactionFailed`
        when it was included but its call failed. :meth:`submit_nowait` returns once the node
        has admitted it.
        """
        tx_hash = self.submit_nowait(call, signer, nonce=nonce, fee=fee)
        receipt = self.wait_for_receipt(tx_hash, timeout=timeout)
        if check and not receipt.succeeded:
            raise TransactionFailed(receipt)
        return receipt

    def submit_nowait(
        self,
        call: Mapping[str, Any],
        signer: Keypair,
        *,
        nonce: int | None = None,
        fee: int | None = None,
    ) -> Hash:
        """Builds, signs and submits ``call``; returns the transaction hash once admitted."""
        return self.submit_transaction(self.build(call, signer, nonce=nonce, fee=fee))

    def wait_for_receipt(
        self, tx_hash: HexLike, *, timeout: float = 60.0, poll: float = 0.1
    ) -> Receipt:
        """Polls until the transaction is finalized and returns its receipt.

        Raises :class:`~synod.errors.TransactionDropped` if the node stops knowing it, and
        :class:`~synod.errors.WaitTimeout` after ``timeout`` seconds.
        """
        h = Hash(tx_hash)
        deadline = time.monotonic() + timeout
        while True:
            st = self.transaction_status(h)
            if st.status == "finalized":
                assert st.receipt is not None
                return st.receipt
            if st.status == "unknown":
                raise TransactionDropped(h)
            if time.monotonic() > deadline:
                raise WaitTimeout(h, timeout)
            time.sleep(poll)


def _with_block(params: list[Any], block: int | None) -> list[Any]:
    """Positional parameters with an optional trailing ``block``."""
    if block is None:
        return params
    if isinstance(block, bool) or not isinstance(block, int) or block < 0:
        raise ValueError(f"block must be a height (a non-negative int), got {block!r}")
    return [*params, block]


def _metagraph_answer(j: Any, netuid: int, block: int | None) -> dict[str, Any]:
    """``subnets_metagraph``'s answer, or :class:`NotFound` for ``null``."""
    if j is None:
        at = f" at block {block}" if block is not None else ""
        raise NotFound(_NOT_FOUND, f"subnet {netuid} does not exist{at}", None, "subnets_metagraph")
    out: dict[str, Any] = j
    return out


def _tx_hex(tx: SignedTransaction | bytes | str) -> str:
    if isinstance(tx, SignedTransaction):
        return tx.hex()
    if isinstance(tx, (bytes, bytearray)):
        return bytes(tx).hex()
    return tx


def _rpc_error(method: str, err: Any) -> RpcError:
    if not isinstance(err, dict):
        return RpcError(0, f"malformed error object {err!r}", None, method)
    code = err.get("code", 0)
    message = str(err.get("message", ""))
    data = err.get("data")
    if code == _TX_REJECTED:
        kind = data if isinstance(data, str) else "unknown"
        return rejection_class(kind)(code, message, data, method)
    if code == _NOT_FOUND:
        return NotFound(code, message, data, method)
    if code == _INVALID_PARAMS:
        return InvalidParams(code, message, data, method)
    return RpcError(code, message, data, method)
