"""Every exception the SDK raises, under :class:`SynodError`.

::

    SynodError
    ├── EncodingError            a value that cannot be encoded, bytes that cannot be decoded
    ├── MnemonicError            a BIP-39 mnemonic refused (also a ValueError)
    │   ├── MnemonicWordCount    not 12, 15, 18, 21 or 24 words
    │   ├── UnknownMnemonicWord  a word not in the English list (.position, .word)
    │   └── MnemonicChecksum     the words' checksum does not match
    ├── InvalidIdentity          an identity the chain would refuse (also a ValueError)
    ├── KeystoreError            (see synod.keystore for its subclasses, WatchOnly among them)
    ├── TransportError           the node could not be reached or answered over HTTP with an error
    ├── RpcError                 a JSON-RPC error answer (code, message, data)
    │   ├── InvalidParams        -32602
    │   ├── NotFound             1002: no such block or height
    │   └── TransactionRejected  1001: the node refused a transaction; .kind is the reason
    │       ├── StaleNonce, NonceTooFar, FeeTooLow, InsufficientBalance, BadSignature, …
    ├── TransactionFailed        included in a block, but its call failed (fee charged)
    ├── TransactionDropped       the node no longer knows a submitted transaction
    ├── WaitTimeout              not finalized in time
    ├── SubscriptionClosed       the node ended a WebSocket subscription (.reason), or the
    │   └── SlowConsumer         connection was lost; SlowConsumer: dropped for reading too slowly
    ├── Unsupported              the node has no method for what was asked
    ├── CommitRevealError        commit–reveal weights (see synod.subnet)
    │   └── RevealWindowMissed   the commit's reveal epoch has passed
    ├── PaymentError             pay-per-call (see synod.pay)
    ├── DataCryptoError          data keys, encrypted files, key envelopes (see
    │                            synod.datacrypto: ChunkAuth, WrongKey, OpenFailed, …)
    └── RequestRefused           a refused validator-to-miner request: .kind, .status
                                 (missing_header, bad_signature, not_registered, …; see
                                 synod.protocol)
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "SynodError",
    "EncodingError",
    "MnemonicError",
    "MnemonicWordCount",
    "UnknownMnemonicWord",
    "MnemonicChecksum",
    "InvalidIdentity",
    "TransportError",
    "RpcError",
    "InvalidParams",
    "NotFound",
    "TransactionRejected",
    "StaleNonce",
    "NonceTooFar",
    "FeeTooLow",
    "InsufficientBalance",
    "BadSignature",
    "WrongChainId",
    "MalformedTransaction",
    "AlreadyKnown",
    "ReplacementUnderpriced",
    "PoolLimit",
    "NodeUnavailable",
    "TransactionFailed",
    "TransactionDropped",
    "WaitTimeout",
    "SubscriptionClosed",
    "SlowConsumer",
    "Unsupported",
    "CommitRevealError",
    "RevealWindowMissed",
    "rejection_class",
]


class SynodError(Exception):
    """Base of every error raised by the SDK."""


class EncodingError(SynodError, ValueError):
    """A value that does not fit its type, or bytes that are not a valid encoding.

    ``path`` names where in the value the problem is (``call.intent.allowed_payees[1]``).
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)


class MnemonicError(SynodError, ValueError):
    """A BIP-39 mnemonic that cannot be used (see :mod:`synod.mnemonics`)."""


class MnemonicWordCount(MnemonicError):
    """Not 12, 15, 18, 21 or 24 words; ``count`` is how many there were (or were asked
    for)."""

    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(f"a mnemonic has 12, 15, 18, 21 or 24 words; this one has {count}")


class UnknownMnemonicWord(MnemonicError):
    """A word that is not in the BIP-39 English word list; ``position`` is 1-based."""

    def __init__(self, position: int, word: str) -> None:
        self.position = position
        self.word = word
        super().__init__(f"word {position} ('{word}') is not in the BIP-39 English word list")


class MnemonicChecksum(MnemonicError):
    """Every word is valid but their checksum is not: a word is mistyped or out of order."""

    def __init__(self) -> None:
        super().__init__(
            "the mnemonic's checksum does not match: a word is mistyped or out of order"
        )


class InvalidIdentity(SynodError, ValueError):
    """A subnet or hotkey identity the chain would refuse (``invalid_identity``): ``detail``
    says which limit it breaks, in the chain's words."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"invalid identity: {detail}")


class TransportError(SynodError):
    """The node could not be reached, or answered with an HTTP error.

    ``status`` is the HTTP status when there was an answer (413: body too large, 429: too many
    connections, 503: too many unfinished bodies), else ``None``.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class RpcError(SynodError):
    """A JSON-RPC error answer."""

    def __init__(self, code: int, message: str, data: Any = None, method: str = "") -> None:
        self.code = code
        self.message = message
        self.data = data
        self.method = method
        where = f"{method}: " if method else ""
        super().__init__(f"{where}{message} (code {code})")


class InvalidParams(RpcError):
    """-32602: the parameters were refused (malformed hex, a batch too large, …)."""


class NotFound(RpcError):
    """1002: the block or height asked for does not exist."""


class TransactionRejected(RpcError):
    """1001: the node refused to admit a transaction. ``kind`` is its machine-readable reason.

    The kinds of the pool (``stale_nonce``, ``nonce_too_far``, ``fee_too_low``,
    ``insufficient_balance``, ``bad_signature``, ``wrong_chain_id``, ``malformed``,
    ``already_known``, ``replacement_underpriced``, ``sender_limit``,
    ``sender_future_limit``, ``future_full``, ``pool_full``, ``node_unavailable``) have
    subclasses; a session's rule refusals (``period_cap_exceeded``, ``session_revoked``, …)
    arrive as this class with their kind.
    """

    @property
    def kind(self) -> str:
        """The rejection's kind, e.g. ``"stale_nonce"``."""
        return self.data if isinstance(self.data, str) else "unknown"


class StaleNonce(TransactionRejected):
    """The nonce was already used."""


class NonceTooFar(TransactionRejected):
    """The nonce is beyond the pool's window for the sender."""


class FeeTooLow(TransactionRejected):
    """The fee is below the minimum for the transaction's size and weight."""


class InsufficientBalance(TransactionRejected):
    """The sender cannot pay its pooled transactions and this one together."""


class BadSignature(TransactionRejected):
    """The signature does not verify (or was made for another genesis)."""


class WrongChainId(TransactionRejected):
    """The transaction names another chain."""


class MalformedTransaction(TransactionRejected):
    """The bytes are not a transaction."""


class AlreadyKnown(TransactionRejected):
    """The pool already holds this transaction."""


class ReplacementUnderpriced(TransactionRejected):
    """A transaction with the same nonce is pooled and this one does not pay enough more."""


class PoolLimit(TransactionRejected):
    """A pool limit was reached (``sender_limit``, ``sender_future_limit``, ``future_full``,
    ``pool_full``)."""


class NodeUnavailable(TransactionRejected):
    """The node cannot admit transactions now."""


_REJECTIONS: dict[str, type[TransactionRejected]] = {
    "stale_nonce": StaleNonce,
    "nonce_too_far": NonceTooFar,
    "fee_too_low": FeeTooLow,
    "insufficient_balance": InsufficientBalance,
    "bad_signature": BadSignature,
    "wrong_chain_id": WrongChainId,
    "malformed": MalformedTransaction,
    "already_known": AlreadyKnown,
    "replacement_underpriced": ReplacementUnderpriced,
    "sender_limit": PoolLimit,
    "sender_future_limit": PoolLimit,
    "future_full": PoolLimit,
    "pool_full": PoolLimit,
    "node_unavailable": NodeUnavailable,
}


def rejection_class(kind: str) -> type[TransactionRejected]:
    """The exception class for a rejection kind (:class:`TransactionRejected` if not listed)."""
    return _REJECTIONS.get(kind, TransactionRejected)


class TransactionFailed(SynodError):
    """The transaction was included and its fee charged, but its call failed.

    ``failure`` is the chain's failure JSON (``{"reason": "tokens", "kind": "token_not_found",
    …}`` or a bank failure ``{"reason": "insufficient_balance", …}``); ``receipt`` the
    :class:`synod.rpc.Receipt`.
    """

    def __init__(self, receipt: Any) -> None:
        self.receipt = receipt
        self.failure: dict[str, Any] = receipt.failure or {}
        super().__init__(
            f"transaction {receipt.tx_hash} was included in block {receipt.height} but its "
            f"call failed: {self.reason}" + (f"/{self.kind}" if self.kind else "")
        )

    @property
    def reason(self) -> str:
        """The failing module (``"tokens"``) or, for the bank, the failure itself."""
        return str(self.failure.get("reason", "unknown"))

    @property
    def kind(self) -> str | None:
        """The module's failure kind (``"token_not_found"``); ``None`` for bank failures."""
        k = self.failure.get("kind")
        return str(k) if k is not None else None


class TransactionDropped(SynodError):
    """The node no longer knows a transaction it had admitted (evicted from its pool)."""

    def __init__(self, tx_hash: Any) -> None:
        self.tx_hash = tx_hash
        super().__init__(f"transaction {tx_hash} was dropped by the node")


class WaitTimeout(SynodError):
    """A transaction was not finalized within the time given (it may still be)."""

    def __init__(self, tx_hash: Any, seconds: float) -> None:
        self.tx_hash = tx_hash
        super().__init__(
            f"transaction {tx_hash} not finalized within {seconds:g} s (still pending)"
        )


class SubscriptionClosed(SynodError):
    """A WebSocket subscription ended without the client asking.

    ``reason`` is what the node said when it closed the subscription (its error notification),
    or how the connection was lost (then ``connection_lost`` is true); ``method`` the
    subscription method (``synod_subscribeEvents``, …).
    """

    def __init__(self, method: str, reason: str, *, connection_lost: bool = False) -> None:
        self.method = method
        self.reason = reason
        self.connection_lost = connection_lost
        what = "connection lost" if connection_lost else "closed by the node"
        super().__init__(f"{method}: subscription {what}: {reason}")


class SlowConsumer(SubscriptionClosed):
    """The node dropped the subscription because its notifications were not read in time
    (``ws_slow_consumer_timeout_ms``, ``ws_max_buffered_bytes``, or it fell behind the
    node's block stream). Resubscribe, and read faster or do less per item."""


class Unsupported(SynodError):
    """The node serves no method for what was asked."""


class CommitRevealError(SynodError):
    """Commit–reveal weights could not be carried through (see :mod:`synod.subnet`)."""


class RevealWindowMissed(CommitRevealError):
    """A commit's reveal epoch has passed: the chain no longer accepts its reveal.

    ``reveal_epoch`` is the epoch in which it had to be revealed, ``current_epoch`` the
    subnet's epoch now.
    """

    def __init__(self, commit_hash: Any, reveal_epoch: int, current_epoch: int) -> None:
        self.commit_hash = commit_hash
        self.reveal_epoch = reveal_epoch
        self.current_epoch = current_epoch
        super().__init__(
            f"commit {commit_hash} had to be revealed in epoch {reveal_epoch}; the subnet is in "
            f"epoch {current_epoch}"
        )
