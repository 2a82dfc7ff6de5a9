"""High-level helpers for subnet scripts: create and start a subnet, register neurons, serve
an axon, find a UID, set weights (committing and revealing by itself when the subnet uses
commit–reveal), stake with slippage protection, set the public identity of a subnet or a
hotkey, and swap a hotkey for a new one.

::

    from synod import Client, Keypair
    from synod.subnet import Subnet

    with Client() as node:
        sn = Subnet(node, 1)
        reg = sn.register(coldkey, hotkey)                     # burns the current price
        sn.serve_axon(coldkey, "203.0.113.7", 8091, hotkey=hotkey.account)
        sn.set_weights(coldkey, [1, 2], [0.7, 0.3], hotkey=vhot.account)  # commit, wait, reveal
        sn.add_stake(coldkey, vhot.account, 10 * UNIT)         # 5 % slippage tolerance
        sn.set_identity(owner, Identity("Echo", "https://echo.example", "echoes"))
        sn.swap_hotkey(coldkey, hotkey.account, Keypair.generate())  # same UID, same stake

**Who signs.** The chain accepts a neuron's calls (axon, weights) from the hotkey itself or
from the coldkey that owns it (bound with the bank's ``bind_hotkey``); the signer pays the fee,
so scripts usually sign with the coldkey and name the hotkey. ``hotkey`` defaults to the
signer's own account. Registration and staking are always signed by the coldkey.

**Commit–reveal** (``crates/modules/subnets/src/weights.rs``). When the subnet's
``commit_reveal_enabled`` is on, :meth:`Subnet.set_weights` draws a 32-byte salt, computes the
commit hash exactly as the chain does (:func:`synod.modules.subnets.weights_commit_hash`), and
writes the weights and the salt to a file under the state directory *before* it submits the
commit, so a crash at any point leaves what is needed to reveal. The chain accepts the reveal
only in the subnet epoch ``commit epoch + reveal_period_epochs``; the helper waits for it,
reveals, and deletes the file. With ``wait_for_reveal=False`` it returns after the commit, and
:meth:`Subnet.reveal_pending` (on any later :class:`Subnet` over the same state directory, in
this process or after a restart) reveals what is due. Files are per chain (genesis hash),
mode 0600 in 0700 directories, written atomically: ``<state_dir>/weights/<genesis hash>/
<netuid>-<hotkey>-<commit hash>.json``. The state directory is ``state_dir``, else
``$SYNOD_STATE_DIR``, else ``~/.synod/state``.

The chain's record of a commit (its block and epoch, when its reveal epoch comes) is read with
``subnets_commits``; a hotkey's UID with ``subnets_uid``.

**Slippage.** ``add_stake`` and ``remove_stake`` ask the node for a quote (``subnets_quote``:
the chain's own pool math on the current reserves) and send the chain a limit price
``tolerance`` away from the quote's spot price (default :data:`DEFAULT_TOLERANCE`, 5 % as
btcli), as ``synod stake add|remove`` does: the price after an add may not exceed ``price × (1
+ tolerance)`` (floored), after a remove it may not fall below ``price × (1 − tolerance)``
(rounded up). A trade that would cross it fails on chain with kind ``price_limit_exceeded``
(or is filled partly with ``allow_partial``). ``tolerance=None`` sends no limit. The
``quote_*`` methods say beforehand what a trade returns and where the price ends;
:func:`quote_buy` and :func:`quote_sell` are the same pool math done here, on reserves you give.

**Identities and hotkey swaps.** :meth:`Subnet.set_identity` (the owner coldkey) and
:func:`set_hotkey_identity` (the hotkey's coldkey) publish a name, URL and description shown
in ``subnets_list``/``subnets_info``, ``subnets_rootValidators`` and the metagraph's
``identities``; they are checked here first as the chain checks them
(:class:`~synod.errors.InvalidIdentity`). :func:`swap_hotkey` replaces a coldkey's hotkey
everywhere, keeping its UIDs, weights, axons, subnet ownership, stake with every nominator,
take and identity; the new hotkey proves possession by signing the same binding message as
``bind_hotkey``, and must not be registered or staked anywhere (``hotkey_in_use``). Weight
commits move to the new hotkey on chain, but a commit's hash names the hotkey it was made for,
so reveal pending commits before swapping.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from .errors import (
    CommitRevealError,
    NotFound,
    RevealWindowMissed,
    TransactionDropped,
    TransactionFailed,
    TransactionRejected,
)
from .keys import Keypair
from .metagraph import Metagraph
from .modules import bank
from .modules import subnets as _calls
from .modules.subnets import Identity, IdentityLike, weights_commit_hash
from .primitives import AccountId, Hash, HexLike
from .rpc import Client
from .types import Receipt, StakePosition, SwapQuote, WeightCommit

__all__ = [
    "DEFAULT_TOLERANCE",
    "PRICE_SCALE",
    "Subnet",
    "Registration",
    "HotkeySwap",
    "Identity",
    "StakeQuote",
    "StakeResult",
    "quote_buy",
    "quote_sell",
    "PendingCommit",
    "CommitStore",
    "WeightsResult",
    "default_state_dir",
    "to_u16_weights",
    "set_hotkey_identity",
    "swap_hotkey",
]

#: btcli's default slippage tolerance for staking.
DEFAULT_TOLERANCE = 0.05
#: Prices are SYN base units per whole alpha (10^9 alpha base units).
PRICE_SCALE = 1_000_000_000
_U64_MAX = (1 << 64) - 1
_PPB = 1_000_000_000
_SALT_LEN = 32
_EVENT = "subnet"
#: Reveal failures that say the signer may not act for the hotkey: the commit stays on disk.
_SIGNER_FAILURES = frozenset({"not_hotkey_owner", "hotkey_not_bound"})


def default_state_dir() -> Path:
    """``$SYNOD_STATE_DIR``, else ``~/.synod/state``."""
    env = os.environ.get("SYNOD_STATE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".synod" / "state"


def to_u16_weights(values: Sequence[float] | Sequence[int] | Any) -> list[int]:
    """Weights as the chain takes them (``u16``).

    Integers (Python or numpy) must be in 0..65535 and are kept as they are (the chain
    max-upscales them itself). Floats (any non-negative scale) are max-upscaled here: the
    largest becomes 65,535 and the others are rounded half up, as the chain would.
    """
    seq: list[Any] = list(_plain(values))
    if all(isinstance(v, int) and not isinstance(v, bool) for v in seq):
        for v in seq:
            if not 0 <= v <= 0xFFFF:
                raise ValueError(f"weight {v} is not a u16")
        return [int(v) for v in seq]
    floats = [float(v) for v in seq]
    if any(not (v >= 0) or v == float("inf") for v in floats):
        raise ValueError("weights must be finite and non-negative")
    top = max(floats, default=0.0)
    if top == 0:
        return [0] * len(floats)
    return [int(Fraction(v) * 0xFFFF / Fraction(top) + Fraction(1, 2)) for v in floats]


def _plain(values: Any) -> Any:
    """numpy arrays as Python lists (of Python numbers); anything else as it is."""
    tolist = getattr(values, "tolist", None)
    return tolist() if callable(tolist) else values


def _tolerance_ppb(tolerance: float) -> int:
    t = Fraction(repr(tolerance)) if isinstance(tolerance, float) else Fraction(tolerance)
    if t < 0:
        raise ValueError(f"tolerance {tolerance} is negative")
    return int(t * _PPB)


def _hex_account(v: HexLike | Keypair) -> AccountId:
    return v.account if isinstance(v, Keypair) else AccountId(v)


# ---- results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """A neuron's registration: its UID, what was burned, and the receipt (``None`` when the
    hotkey was already registered and nothing was sent)."""

    netuid: int
    uid: int
    hotkey: AccountId
    burned: int
    receipt: Receipt | None


@dataclass(frozen=True)
class HotkeySwap:
    """A hotkey swap that went through: the subnets (0 = root) where the old hotkey held a
    UID, ownership, stake or commits, all now the new hotkey's."""

    coldkey: AccountId
    old_hotkey: AccountId
    new_hotkey: AccountId
    netuids: list[int]
    receipt: Receipt


@dataclass(frozen=True)
class StakeQuote:
    """What a stake trade would do at the pool's current reserves.

    ``side`` is ``"add"`` (``amount`` SYN in, ``expected`` alpha out) or ``"remove"``
    (``amount`` alpha in, ``expected`` SYN out), if nothing else trades first; prices are SYN
    base units per whole alpha (floored); ``limit_price`` is what would be sent (``None``: no
    limit).
    """

    netuid: int
    side: Literal["add", "remove"]
    amount: int
    expected: int
    price: int
    price_after: int
    limit_price: int | None
    tolerance: float | None
    #: Whether the whole amount stays within the limit. From reserves (:func:`quote_buy`,
    #: :func:`quote_sell`) it is judged exactly as the chain does; from the node's quote, on
    #: its floored price after the trade (a buy ending exactly on the limit counts as out).
    within_limit: bool
    #: What the spot price alone would give (no price impact).
    expected_at_spot: int = 0
    #: The share of ``expected_at_spot`` lost to price impact, in parts per million.
    slippage_ppm: int = 0
    #: The node's ``subnets_quote`` answer it was made from, if any.
    node_quote: SwapQuote | None = field(default=None, compare=False)


@dataclass(frozen=True)
class StakeResult:
    """A stake trade that went through: SYN and alpha moved (``tao`` < the amount asked when
    partly filled), the limit price sent, and the receipt."""

    receipt: Receipt
    tao: int
    alpha: int
    limit_price: int | None


@dataclass
class PendingCommit:
    """A weights commit kept until it is revealed: everything the reveal needs (the salt
    above all) and where the chain put the commit."""

    chain_id: str
    genesis_hash: str
    netuid: int
    hotkey: str
    uids: list[int]
    values: list[int]
    salt: str
    version_key: int
    commit_hash: str
    tx_hash: str
    #: Block that included the commit, once known.
    commit_block: int | None = None
    #: The subnet epoch the commit was made in (the chain's ``WeightCommit::epoch``).
    commit_epoch: int | None = None
    created_ms: int = 0
    path: Path | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("path")
        d["version"] = 1
        return d

    @classmethod
    def from_json(cls, j: Mapping[str, Any], path: Path | None = None) -> PendingCommit:
        fields = {k: v for k, v in j.items() if k != "version"}
        return cls(**fields, path=path)

    @property
    def salt_bytes(self) -> bytes:
        return bytes.fromhex(self.salt)


class CommitStore:
    """Pending weight commits on disk (see the module doc for the layout)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.root = Path(directory).expanduser()

    def _dir(self, genesis_hash: str) -> Path:
        return self.root / "weights" / genesis_hash.removeprefix("0x")

    def save(self, p: PendingCommit) -> Path:
        """Writes (or rewrites) ``p`` atomically, 0600 in 0700 directories."""
        d = self._dir(p.genesis_hash)
        for part in (self.root, self.root / "weights", d):
            part.mkdir(mode=0o700, exist_ok=True)
        name = f"{p.netuid}-{p.hotkey.removeprefix('0x')}-{p.commit_hash.removeprefix('0x')}"
        path = d / f"{name}.json"
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=d)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(p.to_json(), f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        p.path = path
        return path

    def load(self, genesis_hash: str, netuid: int | None = None) -> list[PendingCommit]:
        """Every pending commit for the chain (optionally one subnet's), oldest first."""
        d = self._dir(genesis_hash)
        if not d.is_dir():
            return []
        out = []
        for path in sorted(d.glob("*.json")):
            p = PendingCommit.from_json(json.loads(path.read_text()), path)
            if netuid is None or p.netuid == netuid:
                out.append(p)
        out.sort(key=lambda p: p.created_ms)
        return out

    def remove(self, p: PendingCommit) -> None:
        """Deletes ``p``'s file."""
        if p.path is not None:
            p.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class WeightsResult:
    """What :meth:`Subnet.set_weights` or :meth:`Subnet.reveal_pending` did.

    ``status``: ``"set"`` (commit–reveal off: set directly), ``"committed"`` (committed, the
    reveal is pending on disk), ``"revealed"`` (committed earlier or now, and revealed).
    """

    status: str
    receipt: Receipt | None = None
    commit_receipt: Receipt | None = None
    pending: PendingCommit | None = None


# ---- pool math (``crates/modules/subnets/src/pool.rs``) --------------------------------


def _price(tao: int, alpha: int) -> int:
    """``Reserves::price``: SYN base units per whole alpha, floored (0 without alpha)."""
    return min(_U64_MAX, tao * PRICE_SCALE // alpha) if alpha else 0


def _impact(out: int, at_spot: int) -> int:
    """``slippage_ppm`` of ``subnets_quote``: the share of ``at_spot`` lost, in ppm."""
    return max(0, at_spot - out) * 1_000_000 // at_spot if at_spot else 0


def _buy_limit(price: int, tolerance: float) -> int:
    """``price × (1 + tolerance)``, floored: never above the tolerance."""
    return min(_U64_MAX, price * (_PPB + _tolerance_ppb(tolerance)) // _PPB)


def _sell_limit(price: int, tolerance: float) -> int:
    """``price × (1 − tolerance)``, rounded up: never below the tolerance."""
    return min(_U64_MAX, -(-price * max(0, _PPB - _tolerance_ppb(tolerance)) // _PPB))


def quote_buy(
    netuid: int, tao: int, alpha: int, amount: int, tolerance: float | None = DEFAULT_TOLERANCE
) -> StakeQuote:
    """Buying alpha with ``amount`` SYN from a pool with reserves ``tao``/``alpha``:
    ``floor(alpha·amount / (tao + amount))`` out, and the limit ``floor(price × (1 +
    tolerance))`` (``tao · (10^9 + tolerance·10^9) // alpha``, so never above the tolerance)."""
    out = alpha * amount // (tao + amount) if tao + amount else 0
    tao_after, alpha_after = tao + amount, alpha - out
    limit = None
    if tolerance is not None and alpha:
        limit = min(_U64_MAX, tao * (_PPB + _tolerance_ppb(tolerance)) // alpha)
    after = _price(tao_after, alpha_after) if alpha_after else _U64_MAX
    within = limit is None or tao_after * PRICE_SCALE <= limit * alpha_after
    price = _price(tao, alpha)
    at_spot = min(_U64_MAX, amount * PRICE_SCALE // max(price, 1))
    return StakeQuote(
        netuid,
        "add",
        amount,
        out,
        price,
        after,
        limit,
        tolerance,
        within,
        at_spot,
        _impact(out, at_spot),
    )


def quote_sell(
    netuid: int, tao: int, alpha: int, amount: int, tolerance: float | None = DEFAULT_TOLERANCE
) -> StakeQuote:
    """Selling ``amount`` alpha into a pool with reserves ``tao``/``alpha``:
    ``floor(tao·amount / (alpha + amount))`` SYN out, and the limit ``ceil(price × (1 −
    tolerance))`` (never below the tolerance)."""
    out = tao * amount // (alpha + amount) if alpha + amount else 0
    tao_after, alpha_after = tao - out, alpha + amount
    limit = None
    if tolerance is not None and alpha:
        keep = max(0, _PPB - _tolerance_ppb(tolerance))
        limit = min(_U64_MAX, -(-tao * keep // alpha))
    within = limit is None or tao_after * PRICE_SCALE >= limit * alpha_after
    price = _price(tao, alpha)
    at_spot = min(_U64_MAX, amount * price // PRICE_SCALE)
    return StakeQuote(
        netuid,
        "remove",
        amount,
        out,
        price,
        _price(tao_after, alpha_after),
        limit,
        tolerance,
        within,
        at_spot,
        _impact(out, at_spot),
    )


# ---- the helper -------------------------------------------------------------------------


class Subnet:
    """One subnet, through a :class:`~synod.rpc.Client`."""

    def __init__(
        self,
        client: Client,
        netuid: int,
        *,
        state_dir: str | os.PathLike[str] | None = None,
        poll: float = 0.25,
    ) -> None:
        """``state_dir`` holds pending weight commits (default :func:`default_state_dir`);
        ``poll`` is how often (seconds) waits look at the chain."""
        self.client = client
        self.netuid = netuid
        self.commits = CommitStore(state_dir if state_dir is not None else default_state_dir())
        self.poll = poll
        self._info: Any = None

    def __repr__(self) -> str:
        return f"Subnet({self.netuid}, {self.client.url!r})"

    # ---- reads -------------------------------------------------------------------------

    def _ns(self, method: str, *params: Any) -> Any:
        return self.client.request(f"subnets_{method}", list(params))

    def _of_subnet(self, method: str) -> Any:
        """``subnets_<method>(netuid)``; a subnet that does not exist is :class:`NotFound`."""
        j = self._ns(method, self.netuid)
        if j is None:
            raise NotFound(1002, f"subnet {self.netuid} does not exist", None, f"subnets_{method}")
        return j

    def info(self) -> dict[str, Any]:
        """``subnets_info``: pool, price, tempo, epoch index, burn, pending emission, …"""
        out: dict[str, Any] = self._of_subnet("info")
        return out

    def hyperparams(self) -> dict[str, Any]:
        """``subnets_hyperparams``."""
        out: dict[str, Any] = self._of_subnet("hyperparams")
        return out

    def pool(self) -> dict[str, Any]:
        """``subnets_pool``: reserves and price."""
        out: dict[str, Any] = self._of_subnet("pool")
        return out

    def burn_cost(self) -> int:
        """What registering a neuron burns now (base units)."""
        return int(self._of_subnet("burnCost"))

    def identity(self) -> Identity | None:
        """The subnet's public identity, if its owner set one (``subnets_info``)."""
        j = self.info().get("identity")
        return Identity.from_json(j) if j is not None else None

    def metagraph(self, block: int | None = None) -> Metagraph:
        """The metagraph now, or as it was after block ``block``."""
        return Metagraph(self.netuid, block, client=self.client)

    def uid(self, hotkey: HexLike | Keypair, block: int | None = None) -> int | None:
        """The UID of ``hotkey`` on this subnet (``subnets_uid``; after block ``block`` when
        given), or ``None`` when it is not registered."""
        return self.client.subnet_uid(self.netuid, _hex_account(hotkey), block)

    def chain_commits(self, hotkey: HexLike | Keypair) -> list[WeightCommit]:
        """``hotkey``'s unrevealed weight commits on this subnet as the chain records them
        (``subnets_commits``), with their reveal epochs and status."""
        return self.client.weight_commits(self.netuid, _hex_account(hotkey))

    # ---- owner -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        client: Client,
        coldkey: Keypair,
        hotkey: Keypair | HexLike,
        *,
        max_lock_cost: int | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        poll: float = 0.25,
    ) -> Subnet:
        """Creates a subnet owned by ``coldkey`` with ``hotkey`` as owner hotkey (UID 0),
        locking the current lock cost (at most ``max_lock_cost``, default the cost read now).
        A hotkey given as a :class:`Keypair` is bound to the coldkey first if it is not."""
        hk = _ensure_bound(client, coldkey, hotkey)
        if max_lock_cost is None:
            max_lock_cost = int(client.request("subnets_networkLockCost", []))
        call = {
            "type": "subnets",
            "call": "register_network",
            "hotkey": hk.hex0x,
            "max_lock_cost": max_lock_cost,
        }
        receipt = client.submit(call, coldkey)
        (ev,) = receipt.events_of(_EVENT, "network_registered")
        return cls(client, int(ev["netuid"]), state_dir=state_dir, poll=poll)

    def start(self, owner: Keypair) -> Receipt:
        """Starts emissions (owner coldkey only)."""
        return self.client.submit(
            {"type": "subnets", "call": "start_call", "netuid": self.netuid}, owner
        )

    def set_identity(self, owner: Keypair, identity: IdentityLike | None) -> Receipt:
        """Sets the subnet's public identity (owner coldkey only), or clears it with ``None``:
        an :class:`~synod.modules.subnets.Identity` or its JSON form, checked here first as
        the chain checks it (:class:`~synod.errors.InvalidIdentity`)."""
        return self.client.submit(_calls.set_subnet_identity(self.netuid, identity), owner)

    def set_hotkey_identity(
        self, coldkey: Keypair, hotkey: HexLike | Keypair, identity: IdentityLike | None
    ) -> Receipt:
        """:func:`set_hotkey_identity` (identities belong to the hotkey, on every subnet)."""
        return set_hotkey_identity(self.client, coldkey, hotkey, identity)

    def swap_hotkey(
        self, coldkey: Keypair, old_hotkey: HexLike | Keypair, new_hotkey: Keypair
    ) -> HotkeySwap:
        """:func:`swap_hotkey` (the swap covers every subnet the hotkey is on)."""
        return swap_hotkey(self.client, coldkey, old_hotkey, new_hotkey)

    def set_hyperparameter(self, owner: Keypair, name: str, value: Any) -> Receipt:
        """Sets one hyperparameter (owner only; bounds checked by the chain):
        ``set_hyperparameter(owner, "tempo", 20)``."""
        call = {
            "type": "subnets",
            "call": "set_hyperparameter",
            "netuid": self.netuid,
            "param": {"name": name, "value": value},
        }
        return self.client.submit(call, owner)

    # ---- neurons -----------------------------------------------------------------------

    def register(
        self, coldkey: Keypair, hotkey: Keypair | HexLike, *, max_burn: int | None = None
    ) -> Registration:
        """Registers ``hotkey`` by burning the registration price from ``coldkey``.

        ``max_burn`` defaults to the price read now, so a price that rises before inclusion
        fails the call (``cost_above_maximum``) rather than burning more. A hotkey given as a
        :class:`Keypair` is bound to the coldkey first if it is not. An already registered
        hotkey is returned with its UID, and nothing is sent.
        """
        hk = _hex_account(hotkey)
        uid = self.uid(hk)
        if uid is not None:
            return Registration(self.netuid, uid, hk, 0, None)
        hk = _ensure_bound(self.client, coldkey, hotkey)
        if max_burn is None:
            max_burn = self.burn_cost()
        call = {
            "type": "subnets",
            "call": "burned_register",
            "netuid": self.netuid,
            "hotkey": hk.hex0x,
            "max_burn": max_burn,
        }
        receipt = self.client.submit(call, coldkey)
        (ev,) = receipt.events_of(_EVENT, "neuron_registered")
        return Registration(self.netuid, int(ev["uid"]), hk, int(ev["burned"]), receipt)

    def serve_axon(
        self,
        signer: Keypair,
        ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address,
        port: int,
        *,
        hotkey: HexLike | None = None,
        protocol: int = 4,
        version: int = 0,
    ) -> Receipt:
        """Publishes the hotkey's endpoint (``serve_axon``; the chain refuses a zero address or
        port and rate-limits updates by ``serving_rate_limit``)."""
        addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
        call = {
            "type": "subnets",
            "call": "serve_axon",
            "netuid": self.netuid,
            "hotkey": (AccountId(hotkey) if hotkey is not None else signer.account).hex0x,
            "ip": str(int(addr)),
            "ip_type": addr.version,
            "port": port,
            "protocol": protocol,
            "version": version,
        }
        return self.client.submit(call, signer)

    # ---- weights -----------------------------------------------------------------------

    def set_weights(
        self,
        signer: Keypair,
        uids: Sequence[int] | Any,
        values: Sequence[float] | Sequence[int] | Any,
        *,
        hotkey: HexLike | None = None,
        version_key: int | None = None,
        wait_for_reveal: bool = True,
        timeout: float | None = None,
    ) -> WeightsResult:
        """Sets the hotkey's weights on ``uids``, committing and revealing by itself when the
        subnet has commit–reveal on (see the module doc).

        ``values``: integers (u16) or floats (max-upscaled, :func:`to_u16_weights`).
        ``version_key`` defaults to the subnet's ``weights_version_key``. With commit–reveal
        and ``wait_for_reveal`` (the default) it returns once revealed, waiting at most
        ``timeout`` seconds for the reveal window (``None``: as long as the window takes);
        a reveal still pending when it gives up stays on disk for :meth:`reveal_pending`.

        Raises :class:`~synod.errors.TransactionFailed` with the chain's kind
        (``rate_limited``, ``no_validator_permit``, ``too_few_weights``, …) and
        :class:`~synod.errors.RevealWindowMissed` when the window has passed.
        """
        hk = AccountId(hotkey) if hotkey is not None else signer.account
        uid_list = [int(u) for u in _plain(uids)]
        vals = to_u16_weights(values)
        if len(uid_list) != len(vals):
            raise ValueError(f"{len(uid_list)} uids but {len(vals)} values")
        hp = self.hyperparams()
        if version_key is None:
            version_key = int(hp["weights_version_key"])
        if not hp["commit_reveal_enabled"]:
            call = {
                "type": "subnets",
                "call": "set_weights",
                "netuid": self.netuid,
                "hotkey": hk.hex0x,
                "uids": uid_list,
                "values": vals,
                "version_key": version_key,
            }
            return WeightsResult("set", self.client.submit(call, signer))
        pending, commit_receipt = self._commit(signer, hk, uid_list, vals, version_key)
        if not wait_for_reveal:
            return WeightsResult("committed", commit_receipt, commit_receipt, pending)
        reveal = self._reveal(signer, pending, wait=True, timeout=timeout)
        if reveal is None:
            return WeightsResult("committed", commit_receipt, commit_receipt, pending)
        return WeightsResult("revealed", reveal, commit_receipt, pending)

    def pending_commits(self) -> list[PendingCommit]:
        """This subnet's commits kept on disk for this chain, oldest first."""
        return self.commits.load(self._genesis(), self.netuid)

    def reveal_pending(
        self,
        signer: Keypair,
        *,
        hotkey: HexLike | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> list[WeightsResult]:
        """Reveals the commits kept on disk for this subnet (only ``hotkey``'s, if given):
        those whose reveal epoch has come; with ``wait``, waits for the others too (at most
        ``timeout`` seconds in all). Commits of hotkeys ``signer`` may not act for (it is
        neither the hotkey nor its coldkey) are left alone. Returns one result per reveal
        sent. A commit whose window has passed is dropped from disk and raises
        :class:`~synod.errors.RevealWindowMissed` (after the others were handled)."""
        hk = AccountId(hotkey).hex0x if hotkey is not None else None
        deadline = None if timeout is None else time.monotonic() + timeout
        out: list[WeightsResult] = []
        missed: RevealWindowMissed | None = None
        for p in self.pending_commits():
            if hk is not None and p.hotkey != hk:
                continue
            if not self._may_act_for(signer, AccountId(p.hotkey)):
                continue  # another validator's commit kept in the same directory
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                r = self._reveal(signer, p, wait=wait, timeout=left)
            except RevealWindowMissed as e:
                missed = missed or e
                continue
            if r is not None:
                out.append(WeightsResult("revealed", r, None, p))
        if missed is not None:
            raise missed
        return out

    def _genesis(self) -> str:
        if self._info is None:
            self._info = self.client.chain_info()
        return str(self._info.genesis_hash.hex0x)

    def _commit(
        self, signer: Keypair, hk: AccountId, uids: list[int], vals: list[int], version_key: int
    ) -> tuple[PendingCommit, Receipt]:
        info = self.client.chain_info()
        self._info = info
        salt = secrets.token_bytes(_SALT_LEN)
        commit_hash = weights_commit_hash(hk, self.netuid, uids, vals, salt, version_key)
        call = {
            "type": "subnets",
            "call": "commit_weights",
            "netuid": self.netuid,
            "hotkey": hk.hex0x,
            "commit_hash": commit_hash.hex0x,
        }
        tx = self.client.build(call, signer, info=info)
        pending = PendingCommit(
            chain_id=info.chain_id,
            genesis_hash=info.genesis_hash.hex0x,
            netuid=self.netuid,
            hotkey=hk.hex0x,
            uids=uids,
            values=vals,
            salt=salt.hex(),
            version_key=version_key,
            commit_hash=commit_hash.hex0x,
            tx_hash=tx.hash.hex0x,
            created_ms=int(time.time() * 1000),
        )
        # The salt is on disk before the commit can exist on chain.
        self.commits.save(pending)
        try:
            self.client.submit_transaction(tx)
        except TransactionRejected:
            self.commits.remove(pending)
            raise
        receipt = self._settle_commit(pending)
        if receipt is None:  # included, but this node does not know the transaction
            raise CommitRevealError(f"no receipt for the commit {pending.tx_hash}")
        return pending, receipt

    def _settle_commit(self, p: PendingCommit, wait: bool = True) -> Receipt | None:
        """Finds where the chain put ``p``'s commit (block and epoch) and records it on disk.
        Returns the commit's receipt when the node has it; leaves ``commit_epoch`` unset while
        the transaction is still pending and ``wait`` is false."""
        status = self.client.transaction_status(p.tx_hash)
        receipt = status.receipt
        if status.status == "pending":
            if not wait:
                return None
            try:
                receipt = self.client.wait_for_receipt(p.tx_hash)
            except TransactionDropped:
                receipt = None
        if receipt is not None:
            if not receipt.succeeded:
                self.commits.remove(p)
                raise TransactionFailed(receipt)
            found = self._chain_commit(p, receipt.height)
            if found is None:
                # Included, but no longer listed: revealed since, or expired and dropped by a
                # later commit. Its epoch is the subnet's epoch index after the block before
                # it (epochs run at the end of blocks), so the reveal still gets its verdict.
                before = self.client.subnet_metagraph_json(self.netuid, receipt.height - 1)
                found = (receipt.height, int(before["subnet"]["epoch_index"]))
        else:
            # The node does not know the transaction (another node included it, or it was
            # dropped): the chain's record of the commit says which.
            found = self._chain_commit(p, None)
            if found is None:
                self.commits.remove(p)
                raise TransactionDropped(p.tx_hash)
        p.commit_block, p.commit_epoch = found
        self.commits.save(p)
        return receipt

    def _chain_commit(self, p: PendingCommit, height: int | None) -> tuple[int, int] | None:
        """The block and epoch of ``p``'s commit in the chain's own record
        (``subnets_commits``), made in block ``height`` when given; ``None`` when the chain
        lists no such commit (not included, revealed, or expired and dropped)."""
        for c in self.client.weight_commits(self.netuid, p.hotkey):
            if c.hash == Hash(p.commit_hash) and (height is None or c.block == height):
                return c.block, c.epoch
        return None

    def _reveal(
        self, signer: Keypair, p: PendingCommit, *, wait: bool, timeout: float | None
    ) -> Receipt | None:
        """Reveals ``p`` in its window. ``None`` when not revealed (not due and not waiting,
        or ``timeout`` ran out first)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if p.commit_epoch is None:
            self._settle_commit(p, wait=wait)
            if p.commit_epoch is None:
                return None
        due: int | None = None
        while True:
            info = self.info()
            if due is None:
                due = p.commit_epoch + self._reveal_period()
            now = int(info["epoch_index"])
            if now > due:
                self.commits.remove(p)
                raise RevealWindowMissed(p.commit_hash, due, now)
            if now == due:
                receipt = self._send_reveal(signer, p)
                if receipt.succeeded:
                    self.commits.remove(p)
                    return receipt
                kind = (receipt.failure or {}).get("kind")
                failure = receipt.failure or {}
                if kind == "reveal_too_early":
                    due = int(failure["reveal_epoch"])
                elif kind == "commit_expired":
                    self.commits.remove(p)
                    raise RevealWindowMissed(p.commit_hash, int(failure["reveal_epoch"]), now)
                elif kind in _SIGNER_FAILURES:
                    raise TransactionFailed(receipt)  # the wrong signer: keep the commit
                else:
                    # The chain will not take this reveal (no matching commit, weights it
                    # refuses): keeping it would only pay for refusals until it expires.
                    self.commits.remove(p)
                    raise TransactionFailed(receipt)
            if not wait or (deadline is not None and time.monotonic() >= deadline):
                return None
            time.sleep(self.poll)

    def _may_act_for(self, signer: Keypair, hotkey: AccountId) -> bool:
        if signer.account == hotkey:
            return True
        return self.client.get_account(hotkey).hotkey_owner == signer.account

    def _reveal_period(self) -> int:
        return int(self.hyperparams()["reveal_period_epochs"])

    def _send_reveal(self, signer: Keypair, p: PendingCommit) -> Receipt:
        call = {
            "type": "subnets",
            "call": "reveal_weights",
            "netuid": p.netuid,
            "hotkey": p.hotkey,
            "uids": p.uids,
            "values": p.values,
            "salt": list(p.salt_bytes),
            "version_key": p.version_key,
        }
        return self.client.submit(call, signer, check=False)

    # ---- stake -------------------------------------------------------------------------

    def quote(self, side: Literal["stake", "unstake"], amount: int) -> SwapQuote:
        """The node's ``subnets_quote`` for this subnet: what staking ``amount`` SYN or
        unstaking ``amount`` alpha would give now, by the chain's pool math."""
        return self.client.stake_quote(self.netuid, side, amount)

    def _quote(
        self, side: Literal["add", "remove"], amount: int, tolerance: float | None
    ) -> StakeQuote:
        q = self.quote("stake" if side == "add" else "unstake", amount)
        limit = None
        if tolerance is not None and self.netuid != 0:  # root trades 1:1: no limit
            limit = (_buy_limit if side == "add" else _sell_limit)(q.price_before, tolerance)
        if limit is None:
            within = True
        elif side == "add":
            within = q.price_after < limit
        else:
            within = q.price_after >= limit
        return StakeQuote(
            self.netuid,
            side,
            amount,
            q.amount_out,
            q.price_before,
            q.price_after,
            limit,
            tolerance,
            within,
            q.amount_out_at_spot,
            q.slippage_ppm,
            q,
        )

    def quote_add_stake(
        self, amount: int, tolerance: float | None = DEFAULT_TOLERANCE
    ) -> StakeQuote:
        """What staking ``amount`` SYN would buy now (the node's ``subnets_quote``), and the
        limit price ``tolerance`` gives: ``price × (1 + tolerance)``, floored. On root (1:1)
        there is no limit."""
        return self._quote("add", amount, tolerance)

    def quote_remove_stake(
        self, amount: int, tolerance: float | None = DEFAULT_TOLERANCE
    ) -> StakeQuote:
        """What unstaking ``amount`` alpha would return now (``subnets_quote``), and the limit
        price ``tolerance`` gives: ``price × (1 − tolerance)``, rounded up."""
        return self._quote("remove", amount, tolerance)

    def add_stake(
        self,
        coldkey: Keypair,
        hotkey: HexLike,
        amount: int,
        *,
        tolerance: float | None = DEFAULT_TOLERANCE,
        allow_partial: bool = False,
    ) -> StakeResult:
        """Stakes ``amount`` SYN from ``coldkey`` on ``hotkey`` (bought into the subnet's
        alpha), refused on chain (``price_limit_exceeded``) if the price after the trade would
        exceed the current price by more than ``tolerance``; ``allow_partial`` fills what the
        limit allows instead."""
        q = self.quote_add_stake(amount, tolerance)
        call = {
            "type": "subnets",
            "call": "add_stake",
            "hotkey": AccountId(hotkey).hex0x,
            "netuid": self.netuid,
            "amount": amount,
            "limit_price": q.limit_price,
            "allow_partial": allow_partial and q.limit_price is not None,
        }
        receipt = self.client.submit(call, coldkey)
        (ev,) = receipt.events_of(_EVENT, "stake_added")
        return StakeResult(receipt, int(ev["tao"]), int(ev["alpha"]), q.limit_price)

    def remove_stake(
        self,
        coldkey: Keypair,
        hotkey: HexLike,
        amount: int,
        *,
        tolerance: float | None = DEFAULT_TOLERANCE,
        allow_partial: bool = False,
    ) -> StakeResult:
        """Unstakes ``amount`` alpha of ``coldkey``'s stake on ``hotkey`` back to SYN, refused
        on chain (``price_limit_exceeded``) if the price after the trade would fall more than
        ``tolerance`` below the current price."""
        q = self.quote_remove_stake(amount, tolerance)
        call = {
            "type": "subnets",
            "call": "remove_stake",
            "hotkey": AccountId(hotkey).hex0x,
            "netuid": self.netuid,
            "amount": amount,
            "limit_price": q.limit_price,
            "allow_partial": allow_partial and q.limit_price is not None,
        }
        receipt = self.client.submit(call, coldkey)
        (ev,) = receipt.events_of(_EVENT, "stake_removed")
        return StakeResult(receipt, int(ev["tao"]), int(ev["alpha"]), q.limit_price)

    def stake_positions(self, coldkey: HexLike, block: int | None = None) -> list[StakePosition]:
        """``coldkey``'s stake positions on this subnet (``subnets_stakePositions``; after
        block ``block`` when given)."""
        return [p for p in self.client.stake_positions(coldkey, block) if p.netuid == self.netuid]

    def stake_of(self, coldkey: HexLike, hotkey: HexLike, block: int | None = None) -> int:
        """Alpha ``coldkey`` has staked on ``hotkey`` on this subnet (after block ``block``
        when given)."""
        hk = AccountId(hotkey)
        for p in self.stake_positions(coldkey, block):
            if p.hotkey == hk:
                return p.alpha
        return 0


# ---- hotkeys, on every subnet -----------------------------------------------------------


def set_hotkey_identity(
    client: Client, coldkey: Keypair, hotkey: HexLike | Keypair, identity: IdentityLike | None
) -> Receipt:
    """Sets ``hotkey``'s public identity (signed by its owner ``coldkey``), or clears it with
    ``None``; shown in ``subnets_rootValidators`` and every metagraph the hotkey is in. The
    identity is checked first as the chain checks it (:class:`~synod.errors.InvalidIdentity`)."""
    return client.submit(_calls.set_hotkey_identity(_hex_account(hotkey), identity), coldkey)


def swap_hotkey(
    client: Client, coldkey: Keypair, old_hotkey: HexLike | Keypair, new_hotkey: Keypair
) -> HotkeySwap:
    """Replaces ``coldkey``'s hotkey ``old_hotkey`` by ``new_hotkey`` everywhere: its UIDs
    (with weights, bonds, axons), subnet ownership, stake with every nominator's shares, take
    and identity move to the new hotkey, which is bound to ``coldkey`` while the old one is
    unbound. The proof of possession is made here with ``new_hotkey``.

    Refused on chain with ``hotkey_in_use`` when the new hotkey is registered or staked
    anywhere, ``not_hotkey_owner`` when ``coldkey`` does not own the old one.
    """
    old = _hex_account(old_hotkey)
    chain_id = client.chain_info().chain_id
    call = _calls.swap_hotkey(chain_id, coldkey.account, old, new_hotkey)
    receipt = client.submit(call, coldkey)
    (ev,) = receipt.events_of(_EVENT, "hotkey_swapped")
    return HotkeySwap(
        AccountId(ev["coldkey"]),
        AccountId(ev["old_hotkey"]),
        AccountId(ev["new_hotkey"]),
        [int(n) for n in ev["netuids"]],
        receipt,
    )


def _ensure_bound(client: Client, coldkey: Keypair, hotkey: Keypair | HexLike) -> AccountId:
    """Binds ``hotkey`` to ``coldkey`` when it is a keypair and not bound yet."""
    hk = _hex_account(hotkey)
    if isinstance(hotkey, Keypair):
        owner = client.get_account(hk).hotkey_owner
        if owner is None:
            chain_id = client.chain_info().chain_id
            client.submit(bank.bind_hotkey(chain_id, coldkey.account, hotkey), coldkey)
    return hk
