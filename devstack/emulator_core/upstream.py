"""What both emulators' upstream senders share: the rules and AccessKeys, one HTTP client
session with one timeout per exchange, events in the background that shutting down waits for,
and a connection's events taking turns. What goes in a request, and what its answer means,
is each service's own (``devstack.signalr.upstream``, ``devstack.webpubsub.upstream``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import aiohttp

from devstack.emulator_core.upstream_rules import UpstreamRule

__all__ = ["ConnectionTurns", "UpstreamSender"]

S = TypeVar("S", bound="UpstreamSender")
C = TypeVar("C")


class UpstreamSender:
    """Sends one emulator's upstream requests; every method must run on its event loop."""

    def __init__(
        self,
        rules: Sequence[UpstreamRule],
        access_keys: Sequence[str],
        timeout: float,
        identity: Callable[[str], str] | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self._access_keys = tuple(access_keys)
        #: The service's managed identity: a token for a resource (rules with ``auth``).
        self._identity = identity
        self._timeout = timeout
        self._client: aiohttp.ClientSession | None = None
        #: Set once :meth:`close` has waited for the events in the background.
        self._closed = False
        self._background: set[asyncio.Task[None]] = set()

    async def close(self, grace: float) -> None:
        """Give pending events ``grace`` seconds, then stop sending."""
        if self._background:
            _, late = await asyncio.wait(self._background, timeout=grace)
            for task in late:
                task.cancel()
        self._closed = True
        if self._client is not None:
            await self._client.close()

    def in_background(self, work: asyncio.Task[None]) -> None:
        """Keep ``work`` until it ends, so shutting down can wait for it."""
        self._background.add(work)
        work.add_done_callback(self._background.discard)

    def _session(self) -> aiohttp.ClientSession:
        # One timeout for the whole exchange, answer included: HttpClient's default of 100 s
        # bounds the emulator's requests (no retries), and a bound is what keeps one stuck app
        # from holding a connection's events for ever. Nothing goes out once closed: a late
        # event fails as a request that could not be sent.
        if self._closed:
            raise aiohttp.ClientConnectionError("the emulator is stopping")
        if self._client is None:
            self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        return self._client


class ConnectionTurns(Generic[S, C]):
    """One connection's events: sent through ``upstream`` about ``caller``, one at a time
    (under ``_turn``) in the order they happened."""

    def __init__(self, upstream: S, caller: C) -> None:
        self._upstream = upstream
        self._caller = caller
        self._turn = asyncio.Lock()
