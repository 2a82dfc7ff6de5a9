"""A subnet's metagraph as numpy arrays, from the node's ``subnets_metagraph``
(``crates/modules/subnets/src/query.rs``).

::

    from synod import Client
    from synod.metagraph import Metagraph

    with Client() as node:
        mg = Metagraph(1, client=node)
    print(mg.n, mg.hotkeys[:3], mg.stake.sum(), mg.incentive.argmax())
    print(mg.weights[0])                  # validator 0's weight row (u16, max-upscaled)

Every per-UID array is indexed by UID and has length ``n``. Integer arrays hold the chain's
exact values: amounts in base units (``uint64``), proportions as ``uint16`` parts of 65,535.
Bittensor's one-letter names are floats, as Bittensor shows them: ``S`` (stake in whole
units), ``R``, ``C``, ``I``, ``D``, ``Tv`` (proportions in [0, 1]), ``E`` (emission in whole
alpha), ``W`` (each weight row normalised to sum 1), ``B`` (bonds as proportions).

``ranks`` equals ``incentive``: as in subtensor, a UID's rank is the stake-weighted sum of the
consensus-clipped weights it receives, normalised, which is exactly what the chain stores as
incentive (``crates/modules/yuma/src/epoch.rs``); the chain keeps no separate copy.

``Metagraph(netuid, block=N, client=node)`` reads the metagraph as it was after block ``N``
(any committed block: ``subnets_metagraph`` reads the state's versioned values); a block the
node has not committed yet raises :class:`~synod.errors.NotFound` ("not committed"), and so
does a subnet that did not exist then. ``identities`` holds each hotkey's public identity
(:class:`~synod.modules.subnets.Identity`, or ``None``), ``subnet_identity`` the subnet's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .modules.subnets import Identity
from .primitives import UNIT, AccountId, HexLike

if TYPE_CHECKING:
    from .aio import AsyncClient
    from .rpc import Client

__all__ = ["AxonInfo", "Metagraph", "U16_MAX"]

#: A ``uint16`` proportion's denominator.
U16_MAX = 65_535


@dataclass(frozen=True)
class AxonInfo:
    """A neuron's advertised endpoint (``AxonInfo`` in ``wire.rs``)."""

    ip: ipaddress.IPv4Address | ipaddress.IPv6Address
    port: int
    protocol: int
    version: int
    block: int
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def ip_type(self) -> int:
        """4 or 6."""
        return self.ip.version

    @property
    def address(self) -> str:
        """``host:port`` (``[v6]:port`` for IPv6)."""
        host = str(self.ip) if self.ip.version == 4 else f"[{self.ip}]"
        return f"{host}:{self.port}"

    def url(self, scheme: str = "http") -> str:
        """``scheme://host:port``."""
        return f"{scheme}://{self.address}"

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> AxonInfo:
        value = int(j["ip"])
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address
        ip = ipaddress.IPv4Address(value) if j["ip_type"] == 4 else ipaddress.IPv6Address(value)
        return cls(ip, j["port"], j["protocol"], j["version"], j["block"], dict(j))


def _u16(values: Sequence[int]) -> npt.NDArray[np.uint16]:
    return np.asarray(values, dtype=np.uint16)


def _u64(values: Sequence[int]) -> npt.NDArray[np.uint64]:
    return np.asarray(values, dtype=np.uint64)


def _bool(values: Sequence[bool]) -> npt.NDArray[np.bool_]:
    return np.asarray(values, dtype=np.bool_)


def _dense(rows: Sequence[Sequence[Sequence[int]]], n: int) -> npt.NDArray[np.uint16]:
    m = np.zeros((n, n), dtype=np.uint16)
    for i, row in enumerate(rows):
        if row:
            cols, vals = zip(*row, strict=True)
            m[i, list(cols)] = vals
    return m


class Metagraph:
    """Every neuron of a subnet with its stake, scores, weights, bonds and axon.

    ``Metagraph(netuid, client=node)`` reads it now, ``Metagraph(netuid, block=N,
    client=node)`` as it was after block ``N`` (``url=`` instead of ``client=`` makes a client
    for the call); :meth:`from_json` builds one from ``subnets_metagraph``'s answer;
    :meth:`fetch_async` reads it with an :class:`~synod.aio.AsyncClient`.
    """

    netuid: int
    block: int
    n: int
    raw: dict[str, Any]

    def __init__(
        self,
        netuid: int,
        block: int | None = None,
        *,
        client: Client | None = None,
        url: str | None = None,
    ) -> None:
        """Reads subnet ``netuid``'s metagraph: at the node's newest committed block, or as it
        was after block ``block``.

        Raises :class:`~synod.errors.NotFound` when there is no such subnet (at that block) or
        the node has not committed ``block`` yet (its message says "not committed").
        """
        if client is None:
            from .rpc import DEFAULT_URL
            from .rpc import Client as _Client

            with _Client(url or DEFAULT_URL) as own:
                self._load(own.subnet_metagraph_json(netuid, block))
        else:
            self._load(client.subnet_metagraph_json(netuid, block))

    @classmethod
    def from_json(cls, j: Mapping[str, Any]) -> Metagraph:
        """A metagraph from ``subnets_metagraph``'s JSON answer."""
        m = cls.__new__(cls)
        m._load(j)
        return m

    @classmethod
    async def fetch_async(
        cls, client: AsyncClient, netuid: int, block: int | None = None
    ) -> Metagraph:
        """As the constructor, with an :class:`~synod.aio.AsyncClient`."""
        return cls.from_json(await client.subnet_metagraph_json(netuid, block))

    def sync(self, client: Client, block: int | None = None) -> Metagraph:
        """Reads the subnet again (now, or after ``block``), in place; returns ``self``."""
        for name in _CACHED:
            self.__dict__.pop(name, None)
        self._load(client.subnet_metagraph_json(self.netuid, block))
        return self

    def _load(self, j: Mapping[str, Any]) -> None:
        n = int(j["n"])
        self.raw = dict(j)
        self.netuid = int(j["netuid"])
        self.block = int(j["block"])
        self.n = n
        #: The subnet's overview (``subnets_info``): pool, price, tempo, epoch index, burn, ….
        self.subnet: dict[str, Any] = dict(j["subnet"])
        #: The subnet's hyperparameters (``subnets_hyperparams``).
        self.hyperparams: dict[str, Any] = dict(j["hyperparams"])
        #: Blocks since the subnet's last epoch.
        self.blocks_since_last_step = int(j["blocks_since_last_step"])
        #: Block of the epoch whose outputs the score arrays hold (0: none ran yet).
        self.epoch_block = int(j["epoch_block"])
        self.uids = np.asarray(j["uids"], dtype=np.uint16)
        self.hotkeys: list[AccountId] = [AccountId(h) for h in j["hotkeys"]]
        self.coldkeys: list[AccountId | None] = [
            AccountId(c) if c is not None else None for c in j["coldkeys"]
        ]
        #: Alpha staked on each hotkey on this subnet (base units).
        self.alpha_stake = _u64(j["alpha_stake"])
        #: SYN staked on each hotkey on the root network (base units).
        self.root_stake = _u64(j["root_stake"])
        #: The stake Yuma weighs: alpha + tao_weight × root stake (base units).
        self.stake = _u64(j["total_stake"])
        #: Normalised stake S after the stake threshold (u16).
        self.stake_weight = _u16(j["stake_weight"])
        self.active = _bool(j["active"])
        #: Consensus C (u16).
        self.consensus = _u16(j["consensus"])
        #: Incentive I (u16).
        self.incentive = _u16(j["incentive"])
        #: Dividends D (u16).
        self.dividends = _u16(j["dividends"])
        #: Validator trust Tv (u16).
        self.validator_trust = _u16(j["validator_trust"])
        #: Alpha emitted to each UID at the last epoch (base units).
        self.emission = _u64(j["emission"])
        self.validator_permit = _bool(j["validator_permit"])
        #: Block of each UID's last weights update (or commit).
        self.last_update = _u64(j["last_update"])
        self.block_at_registration = _u64(j["block_at_registration"])
        self.axons: list[AxonInfo | None] = [
            AxonInfo.from_json(a) if a is not None else None for a in j["axons"]
        ]
        #: Weight rows as the chain stores them: ``[(uid, value), …]`` per UID.
        self.weight_rows: list[list[tuple[int, int]]] = [
            [(int(u), int(v)) for u, v in row] for row in j["weights"]
        ]
        #: Bond rows as the chain stores them: ``[(uid, value), …]`` per UID.
        self.bond_rows: list[list[tuple[int, int]]] = [
            [(int(u), int(v)) for u, v in row] for row in j["bonds"]
        ]
        #: Each hotkey's public identity, if its owner set one.
        self.identities: list[Identity | None] = [
            Identity.from_json(i) if i is not None else None
            for i in j.get("identities", [None] * n)
        ]
        sub_ident = self.subnet.get("identity")
        #: The subnet's public identity, if its owner set one.
        self.subnet_identity: Identity | None = (
            Identity.from_json(sub_ident) if sub_ident is not None else None
        )
        for name in _PER_UID:
            if len(getattr(self, name)) != n:
                raise ValueError(f"metagraph of subnet {self.netuid}: {name} is not n={n} long")
        self._by_hotkey = {h: uid for uid, h in enumerate(self.hotkeys)}

    # ---- derived ---------------------------------------------------------------------

    @property
    def ranks(self) -> npt.NDArray[np.uint16]:
        """Ranks R (u16): the same values as :attr:`incentive` (see the module doc)."""
        return self.incentive

    @cached_property
    def weights(self) -> npt.NDArray[np.uint16]:
        """W as a dense ``n × n`` ``uint16`` matrix (row = setter, column = target), the
        values the chain stores (max-upscaled so each row's largest is 65,535)."""
        return _dense(self.weight_rows, self.n)

    @cached_property
    def bonds(self) -> npt.NDArray[np.uint16]:
        """B as a dense ``n × n`` ``uint16`` matrix."""
        return _dense(self.bond_rows, self.n)

    @property
    def S(self) -> npt.NDArray[np.float64]:  # noqa: N802 — Bittensor's name
        """Stake in whole units (float)."""
        return self.stake.astype(np.float64) / UNIT

    @property
    def R(self) -> npt.NDArray[np.float64]:  # noqa: N802
        """Ranks as proportions."""
        return self.ranks.astype(np.float64) / U16_MAX

    @property
    def C(self) -> npt.NDArray[np.float64]:  # noqa: N802
        """Consensus as proportions."""
        return self.consensus.astype(np.float64) / U16_MAX

    @property
    def I(self) -> npt.NDArray[np.float64]:  # noqa: N802, E743
        """Incentive as proportions."""
        return self.incentive.astype(np.float64) / U16_MAX

    @property
    def D(self) -> npt.NDArray[np.float64]:  # noqa: N802
        """Dividends as proportions."""
        return self.dividends.astype(np.float64) / U16_MAX

    @property
    def Tv(self) -> npt.NDArray[np.float64]:  # noqa: N802
        """Validator trust as proportions."""
        return self.validator_trust.astype(np.float64) / U16_MAX

    @property
    def E(self) -> npt.NDArray[np.float64]:  # noqa: N802
        """Emission in whole alpha (float)."""
        return self.emission.astype(np.float64) / UNIT

    @property
    def W(self) -> npt.NDArray[np.float64]:  # noqa: N802
        """Weights with each row normalised to sum 1 (rows without weights stay 0)."""
        w = self.weights.astype(np.float64)
        sums = w.sum(axis=1, keepdims=True)
        out: npt.NDArray[np.float64] = np.divide(w, sums, out=np.zeros_like(w), where=sums > 0)
        return out

    @property
    def B(self) -> npt.NDArray[np.float64]:  # noqa: N802
        """Bonds as proportions."""
        return self.bonds.astype(np.float64) / U16_MAX

    # ---- lookups ---------------------------------------------------------------------

    def uid_of(self, hotkey: HexLike) -> int | None:
        """The UID of ``hotkey`` on this subnet, or ``None``."""
        return self._by_hotkey.get(AccountId(hotkey))

    def neuron(self, uid: int) -> dict[str, Any]:
        """Everything about one UID, as plain Python values (``rank``, ``axon``, ``weights``
        as ``[(uid, value), …]``, …)."""
        if not 0 <= uid < self.n:
            raise IndexError(f"uid {uid} not in 0..{self.n}")
        out: dict[str, Any] = {
            "uid": uid,
            "hotkey": self.hotkeys[uid],
            "coldkey": self.coldkeys[uid],
            "rank": int(self.ranks[uid]),
            "axon": self.axons[uid],
            "identity": self.identities[uid],
            "weights": self.weight_rows[uid],
            "bonds": self.bond_rows[uid],
        }
        for name in _SCALARS:
            out[name] = getattr(self, name)[uid].item()
        return out

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return f"Metagraph(netuid={self.netuid}, block={self.block}, n={self.n})"


#: Per-UID attributes, all of length n.
_PER_UID = (
    "uids",
    "hotkeys",
    "coldkeys",
    "alpha_stake",
    "root_stake",
    "stake",
    "stake_weight",
    "active",
    "consensus",
    "incentive",
    "dividends",
    "validator_trust",
    "emission",
    "validator_permit",
    "last_update",
    "block_at_registration",
    "axons",
    "weight_rows",
    "bond_rows",
    "identities",
)

#: Per-UID numpy arrays that :meth:`Metagraph.neuron` reports under their own names.
_SCALARS = (
    "stake",
    "alpha_stake",
    "root_stake",
    "stake_weight",
    "active",
    "consensus",
    "incentive",
    "dividends",
    "validator_trust",
    "emission",
    "validator_permit",
    "last_update",
    "block_at_registration",
)

_CACHED = ("weights", "bonds")
