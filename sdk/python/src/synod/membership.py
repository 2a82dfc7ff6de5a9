"""Who may call a miner: the hotkeys registered on its subnet, with their stake, as the chain
says (``crates/services/axon/src/membership.rs``).

:class:`ChainMembership` reads the subnet's metagraph (``subnets_metagraph``) and keeps it
until the chain finalizes a new block: at most every ``poll`` seconds it asks the node for its
heads, and reads the metagraph again only when the finalized height moved. A lookup between two
polls, found or not, costs nothing, so unknown hotkeys cannot make the miner hammer its node.
:class:`StaticMembership` is a fixed table, for tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from .aio import AsyncClient
from .errors import SynodError
from .primitives import AccountId, HexLike
from .protocol import ChainUnavailable

__all__ = ["Member", "Membership", "StaticMembership", "ChainMembership"]


@dataclass(frozen=True)
class Member:
    """A registered caller: its UID and its stake weight (alpha plus weighted root stake,
    base units: the metagraph's ``total_stake``)."""

    uid: int
    stake: int


class Membership(Protocol):
    """Where a miner learns who is registered. Implementations cache: a lookup runs per
    request."""

    async def lookup(self, hotkey: AccountId) -> Member | None:
        """The member with ``hotkey``, ``None`` if it is not registered; raises
        :class:`~synod.protocol.ChainUnavailable` when that cannot be known now."""
        ...


class StaticMembership:
    """A fixed table of members (tests, benchmarks, a private subnet)."""

    def __init__(self, members: Mapping[HexLike, Member]) -> None:
        self.members = {AccountId(k): v for k, v in members.items()}

    async def lookup(self, hotkey: AccountId) -> Member | None:
        """The member, or ``None``."""
        return self.members.get(hotkey)


@dataclass
class _Snapshot:
    height: int
    read_at: float
    members: dict[AccountId, Member]


class ChainMembership:
    """Subnet ``netuid``'s members as the node at ``client`` (a URL or an
    :class:`~synod.aio.AsyncClient`) says, read again when a new block is final (checked at most
    every ``poll`` seconds)."""

    def __init__(self, client: str | AsyncClient, netuid: int, *, poll: float = 1.0) -> None:
        self._url = client if isinstance(client, str) else client.url
        self._client = client if isinstance(client, AsyncClient) else None
        self._own_client = self._client is None
        self.netuid = netuid
        self.poll = poll
        self._snapshot: _Snapshot | None = None
        self._refresh: asyncio.Lock | None = None
        #: Metagraph reads so far (a new block each).
        self.reads = 0

    def _node(self) -> AsyncClient:
        # Made on first use, inside the event loop that serves requests.
        if self._client is None:
            self._client = AsyncClient(self._url, timeout=10.0)
        return self._client

    async def close(self) -> None:
        """Closes the node client if this object made it."""
        if self._own_client and self._client is not None:
            await self._client.close()
            self._client = None

    def _cached(self, hotkey: AccountId) -> tuple[bool, Member | None]:
        s = self._snapshot
        if s is None or time.monotonic() - s.read_at >= self.poll:
            return False, None
        return True, s.members.get(hotkey)

    async def lookup(self, hotkey: AccountId) -> Member | None:
        """The member with ``hotkey`` in the newest finalized metagraph."""
        fresh, found = self._cached(hotkey)
        if fresh:
            return found
        if self._refresh is None:
            self._refresh = asyncio.Lock()
        # One reload at a time; whoever waited finds the fresh snapshot.
        async with self._refresh:
            fresh, found = self._cached(hotkey)
            if fresh:
                return found
            try:
                await self._reload()
            except ChainUnavailable:
                raise
            except SynodError as e:
                raise ChainUnavailable(str(e)) from e
            except (KeyError, TypeError, ValueError) as e:
                raise ChainUnavailable(f"unreadable metagraph: {e!r}") from e
        return self._cached(hotkey)[1]

    async def _reload(self) -> None:
        node = self._node()
        heads = await node.heads()
        s = self._snapshot
        if s is not None and s.height == heads.finalized_height:
            s.read_at = time.monotonic()
            return
        mg = await node.request("subnets_metagraph", [self.netuid])
        if mg is None:
            raise ChainUnavailable(f"subnet {self.netuid} does not exist")
        members = {
            AccountId(h): Member(int(uid), int(stake))
            for h, uid, stake in zip(mg["hotkeys"], mg["uids"], mg["total_stake"], strict=True)
        }
        self._snapshot = _Snapshot(int(mg["block"]), time.monotonic(), members)
        self.reads += 1
