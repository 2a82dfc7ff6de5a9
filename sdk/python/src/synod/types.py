"""Typed views of what the node's ``synod_*`` JSON-RPC methods return
(``crates/chain/rpc/src/api.rs``), and of the subnet module's ``subnets_*`` answers that have
no richer home (``crates/modules/subnets/src/query.rs``: stake positions, weight commits,
stake quotes; the metagraph is :class:`synod.metagraph.Metagraph`).

Each class has ``from_json`` and keeps what it was built from in ``raw``. Events, failures and
calls stay in the chain's JSON form (dicts), exactly as the node prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .primitives import AccountId, Hash
from .tx import FeeSchedule

__all__ = [
    "ChainInfo",
    "Heads",
    "Account",
    "Header",
    "TxInfo",
    "Block",
    "Receipt",
    "TxStatus",
    "StateValue",
    "FinalizedHeader",
    "TxEvents",
    "StakePosition",
    "CommitStatus",
    "WeightCommit",
    "QuoteSide",
    "SwapQuote",
]


def _opt_bytes(v: str | None) -> bytes | None:
    if v is None:
        return None
    return bytes.fromhex(v[2:] if v.startswith("0x") else v)


@dataclass(frozen=True)
class ChainInfo:
    """Static facts about the chain and the node (``synod_chainInfo``)."""

    chain_id: str
    genesis_hash: Hash
    token_symbol: str
    token_decimals: int
    fee_per_byte: int
    fee_per_weight: int
    validators: list[AccountId]
    node_version: str
    mempool_size: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def fees(self) -> FeeSchedule:
        """The chain's fee schedule."""
        return FeeSchedule(self.fee_per_byte, self.fee_per_weight)

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> ChainInfo:
        return cls(
            chain_id=j["chain_id"],
            genesis_hash=Hash(j["genesis_hash"]),
            token_symbol=j["token_symbol"],
            token_decimals=j["token_decimals"],
            fee_per_byte=j["fee_per_byte"],
            fee_per_weight=j["fee_per_weight"],
            validators=[AccountId(v) for v in j["validators"]],
            node_version=j["node_version"],
            mempool_size=j["mempool_size"],
            raw=j,
        )


@dataclass(frozen=True)
class Heads:
    """The newest finalized block and the newest executed one (``synod_heads``)."""

    finalized_height: int
    finalized_hash: Hash
    latest_height: int

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Heads:
        return cls(j["finalized_height"], Hash(j["finalized_hash"]), j["latest_height"])


@dataclass(frozen=True)
class Account:
    """An account's balance and next nonce at a height (``synod_getAccount``)."""

    account: AccountId
    balance: int
    nonce: int
    height: int
    hotkey_owner: AccountId | None

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Account:
        owner = j.get("hotkey_owner")
        return cls(
            AccountId(j["account"]),
            j["balance"],
            j["nonce"],
            j["height"],
            AccountId(owner) if owner else None,
        )


@dataclass(frozen=True)
class Header:
    """A block header."""

    height: int
    parent: Hash
    timestamp_ms: int
    proposer: AccountId
    tx_root: Hash
    receipts_root: Hash
    state_root: Hash

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Header:
        return cls(
            j["height"],
            Hash(j["parent"]),
            j["timestamp_ms"],
            AccountId(j["proposer"]),
            Hash(j["tx_root"]),
            Hash(j["receipts_root"]),
            Hash(j["state_root"]),
        )


@dataclass(frozen=True)
class TxInfo:
    """A transaction in a block: hash, sender, nonce, fee and its call (JSON form)."""

    hash: Hash
    sender: AccountId
    nonce: int
    fee: int
    call: dict[str, Any]

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> TxInfo:
        return cls(Hash(j["hash"]), AccountId(j["sender"]), j["nonce"], j["fee"], j["call"])


@dataclass(frozen=True)
class Block:
    """A block with its transactions (``synod_getBlock``)."""

    hash: Hash
    header: Header
    transactions: list[TxInfo]

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Block:
        return cls(
            Hash(j["hash"]),
            Header.from_json(j["header"]),
            [TxInfo.from_json(t) for t in j["transactions"]],
        )


@dataclass(frozen=True)
class Receipt:
    """The result of an included transaction. ``outcome`` is ``{"status": "success"}`` or
    ``{"status": "failed", "failure": {…}}``; ``events`` are the chain's event JSON."""

    tx_hash: Hash
    height: int
    index: int
    sender: AccountId
    nonce: int
    fee_paid: int
    outcome: dict[str, Any]
    events: list[dict[str, Any]]

    @property
    def succeeded(self) -> bool:
        """Whether the call took effect."""
        return self.outcome.get("status") == "success"

    @property
    def failure(self) -> dict[str, Any] | None:
        """The failure JSON when the call failed, else ``None``."""
        return self.outcome.get("failure") if not self.succeeded else None

    def events_of(self, type_: str, name: str | None = None) -> list[dict[str, Any]]:
        """The events of one module (``type_``: ``"tokens"``, or a bank event such as
        ``"transfer"``), optionally only those named ``name`` (their ``event`` field)."""
        return [
            e
            for e in self.events
            if e.get("type") == type_ and (name is None or e.get("event") == name)
        ]

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> Receipt:
        return cls(
            Hash(j["tx_hash"]),
            j["height"],
            j["index"],
            AccountId(j["sender"]),
            j["nonce"],
            j["fee_paid"],
            j["outcome"],
            j["events"],
        )


@dataclass(frozen=True)
class TxStatus:
    """Where a transaction is (``synod_transactionStatus``)."""

    status: Literal["pending", "finalized", "unknown"]
    receipt: Receipt | None = None

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> TxStatus:
        status = j["status"]
        if status not in ("pending", "finalized", "unknown"):
            raise ValueError(f"unknown transaction status {status!r}")
        receipt = Receipt.from_json(j["receipt"]) if status == "finalized" else None
        return cls(status, receipt)


@dataclass(frozen=True)
class StateValue:
    """A raw state value, optionally with its proof and finality certificate
    (``synod_getStateValue``)."""

    key: bytes
    value: bytes | None
    height: int
    header: Header
    proof: bytes | None
    finalization: bytes | None

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> StateValue:
        return cls(
            _opt_bytes(j["key"]) or b"",
            _opt_bytes(j.get("value")),
            j["height"],
            Header.from_json(j["header"]),
            _opt_bytes(j.get("proof")),
            _opt_bytes(j.get("finalization")),
        )


@dataclass(frozen=True)
class FinalizedHeader:
    """A finalized header and its finality certificate (``synod_getFinalizedHeader``)."""

    hash: Hash
    header: Header
    finalization: bytes | None

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> FinalizedHeader:
        return cls(
            Hash(j["hash"]), Header.from_json(j["header"]), _opt_bytes(j.get("finalization"))
        )


@dataclass(frozen=True)
class TxEvents:
    """The events of one transaction (or of the end-block receipt) in a block."""

    height: int
    tx_hash: Hash
    events: list[dict[str, Any]]

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> TxEvents:
        return cls(j["height"], Hash(j["tx_hash"]), j["events"])


@dataclass(frozen=True)
class StakePosition:
    """One stake position of a coldkey (``subnets_stakePositions``): the alpha (SYN on root)
    its shares of ``hotkey``'s pool on ``netuid`` are worth, and that at the spot price."""

    coldkey: AccountId
    hotkey: AccountId
    netuid: int
    alpha: int
    shares: int
    tao_value: int

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> StakePosition:
        return cls(
            AccountId(j["coldkey"]),
            AccountId(j["hotkey"]),
            int(j["netuid"]),
            int(j["alpha"]),
            int(j["shares"]),
            int(j["tao_value"]),
        )


#: Where an unrevealed weight commit stands: its reveal epoch is still to come, is now, or
#: has passed.
CommitStatus = Literal["waiting", "revealable", "expired"]


@dataclass(frozen=True)
class WeightCommit:
    """An unrevealed weight commit of a hotkey (``subnets_commits``).

    ``epoch`` is the subnet's epoch index at the commit, ``reveal_epoch`` the only epoch in
    which the chain accepts its reveal, ``current_epoch`` the index now, and
    ``next_epoch_block`` the block at which the subnet's next epoch runs.
    """

    hash: Hash
    block: int
    epoch: int
    reveal_epoch: int
    current_epoch: int
    next_epoch_block: int
    status: CommitStatus

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> WeightCommit:
        status = j["status"]
        if status not in ("waiting", "revealable", "expired"):
            raise ValueError(f"unknown commit status {status!r}")
        return cls(
            Hash(j["hash"]),
            int(j["block"]),
            int(j["epoch"]),
            int(j["reveal_epoch"]),
            int(j["current_epoch"]),
            int(j["next_epoch_block"]),
            status,
        )


#: ``"stake"`` (SYN in, alpha out) or ``"unstake"`` (alpha in, SYN out).
QuoteSide = Literal["stake", "unstake"]


@dataclass(frozen=True)
class SwapQuote:
    """What a trade against a subnet's pool would give now (``subnets_quote``), by the
    chain's own pool math, if nothing else trades first.

    Amounts are base units; prices SYN base units per whole alpha (``1_000_000_000`` = 1.0),
    floored; ``amount_out_at_spot`` is what the spot price alone would give, and
    ``slippage_ppm`` the share of it the trade loses to price impact, in parts per million.
    """

    netuid: int
    side: QuoteSide
    amount_in: int
    amount_out: int
    amount_out_at_spot: int
    price_before: int
    price_after: int
    slippage_ppm: int

    @classmethod
    def from_json(cls, j: dict[str, Any]) -> SwapQuote:
        side = j["side"]
        if side not in ("stake", "unstake"):
            raise ValueError(f"unknown quote side {side!r}")
        return cls(
            int(j["netuid"]),
            side,
            int(j["amount_in"]),
            int(j["amount_out"]),
            int(j["amount_out_at_spot"]),
            int(j["price_before"]),
            int(j["price_after"]),
            int(j["slippage_ppm"]),
        )
