"""The emulated service's state and operations, independent of HTTP.

An :class:`Emulator` holds every hub's connections, the negotiated connection tokens not yet
used, and the stateful connections a client may come back to. The REST API and the in-process
API both call the same methods, so a test or benchmark that sends in-process exercises the
exact delivery path REST calls use. Every method must run on the emulator's event loop.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from devstack.emulator_core.entra import RestTokens
from devstack.emulator_core.registry import HubRegistry
from devstack.emulator_core.tokens import RequestTarget
from devstack.emulator_core.upstream_rules import UpstreamRule
from devstack.signalr.auth import TokenValidator, issue_client_token
from devstack.signalr.connection import ClientConnection
from devstack.signalr.invocation import Invocation
from devstack.signalr.protocol import HubProtocol
from devstack.signalr.settings import DEFAULT_ACCESS_KEY, EmulatorSettings
from devstack.signalr.upstream import Caller, Upstream

__all__ = ["EMULATOR", "Emulator", "Negotiation"]

log = logging.getLogger("devstack.signalr")

SHUTDOWN_ERROR = "The service is restarting."


#: The resource of an Entra token for the service (the SDKs' scope, without ``/.default``).
ENTRA_AUDIENCE = "https://signalr.azure.com"


@dataclass(frozen=True)
class Negotiation:
    """A connection announced by negotiate, waiting for its WebSocket."""

    connection_id: str
    connection_token: str
    hub: str
    user_id: str | None
    stateful: bool
    expires_at: float


class Emulator:
    """Azure SignalR Service in serverless mode, held in memory."""

    def __init__(
        self,
        access_key: str = DEFAULT_ACCESS_KEY,
        settings: EmulatorSettings | None = None,
        upstream: Sequence[UpstreamRule] = (),
    ) -> None:
        self.settings = settings or EmulatorSettings()
        self.tokens = TokenValidator(access_key)
        #: Who may call the REST API: the AccessKey's tokens, and Entra's if configured.
        self.rest_tokens = RestTokens(
            self.tokens, ENTRA_AUDIENCE, self.settings.entra_public_key, self.settings.entra_issuer
        )
        self._access_key = access_key
        #: Where client events go; with no rules, nowhere.
        self.upstream = Upstream(
            upstream,
            [access_key],
            self.settings.upstream_timeout,
            self.settings.upstream_identity,
        )
        self._hubs: dict[str, HubRegistry[ClientConnection]] = {}
        self._negotiations: dict[str, Negotiation] = {}
        self._resumable: dict[str, ClientConnection] = {}

    def hub(self, name: str) -> HubRegistry[ClientConnection]:
        """The connections of hub ``name`` (hub names ignore case)."""
        key = name.lower()
        registry = self._hubs.get(key)
        if registry is None:
            registry = self._hubs[key] = HubRegistry()
        return registry

    # Sending -------------------------------------------------------------------------------

    def send_to_all(
        self, hub: str, target: str, arguments: Sequence[Any], excluded: Collection[str] = ()
    ) -> int:
        """Invoke ``target`` on every connection of ``hub`` but ``excluded``; returns how many."""
        return _deliver(self.hub(hub).everyone(excluded), Invocation(target, arguments))

    def send_to_group(
        self,
        hub: str,
        group: str,
        target: str,
        arguments: Sequence[Any],
        excluded: Collection[str] = (),
    ) -> int:
        """Invoke ``target`` on every connection in ``group``; returns how many."""
        return _deliver(self.hub(hub).in_group(group, excluded), Invocation(target, arguments))

    def send_to_user(self, hub: str, user: str, target: str, arguments: Sequence[Any]) -> int:
        """Invoke ``target`` on every connection of ``user``; returns how many."""
        return _deliver(self.hub(hub).of_user(user), Invocation(target, arguments))

    def send_to_connection(
        self, hub: str, connection_id: str, target: str, arguments: Sequence[Any]
    ) -> int:
        """Invoke ``target`` on one connection; returns 1, or 0 if it is not connected."""
        connection = self.hub(hub).get(connection_id)
        return _deliver([connection] if connection else [], Invocation(target, arguments))

    # Client tokens ---------------------------------------------------------------------------

    def client_token(
        self, hub: str, user_id: str | None, minutes: int, target: RequestTarget
    ) -> str:
        """A token for a client of ``hub`` on the host ``target`` names, as ``:generateToken``
        makes it: signed with the AccessKey, so the client endpoint takes it as any other."""
        audience = f"{target.scheme}://{target.hostname}/client/?hub={hub.lower()}"
        return issue_client_token(self._access_key, audience, user_id, minutes * 60)

    # Closing -------------------------------------------------------------------------------

    def close_connections(
        self, connections: Collection[ClientConnection], reason: str | None
    ) -> None:
        """Close each connection with ``reason``; clients are told they may reconnect, as the
        service tells them (azure-signalr Emulator/Controllers/SignalRServiceEmulatorWebApi.cs
        SendCloseAsync): closing one connection is not a ban on its user."""
        for connection in connections:
            connection.close(reason, allow_reconnect=True)

    def close_everyone(self) -> None:
        """Shut down: every client is told the service restarts and may reconnect."""
        for registry in list(self._hubs.values()):
            for connection in registry.everyone():
                connection.close(SHUTDOWN_ERROR, allow_reconnect=True)
        self._negotiations.clear()

    # Connection lifecycle ------------------------------------------------------------------

    def negotiate(
        self, hub: str, user_id: str | None, *, stateful: bool, token_is_id: bool
    ) -> Negotiation:
        """Reserve a connection id and token for a client that will open its WebSocket soon.

        ``token_is_id``: negotiate version 0, where the connection id doubles as the token.
        """
        connection_id = secrets.token_urlsafe(16)
        negotiation = Negotiation(
            connection_id=connection_id,
            connection_token=connection_id if token_is_id else secrets.token_urlsafe(32),
            hub=hub,
            user_id=user_id,
            stateful=stateful,
            expires_at=time.monotonic() + self.settings.negotiation_lifetime,
        )
        self._negotiations[negotiation.connection_token] = negotiation
        return negotiation

    def claim_negotiation(self, connection_token: str) -> Negotiation | None:
        """Use up a negotiated token; None if unknown or expired."""
        negotiation = self._negotiations.pop(connection_token, None)
        if negotiation is None or negotiation.expires_at < time.monotonic():
            return None
        return negotiation

    def resumable(self, connection_token: str) -> ClientConnection | None:
        """The stateful connection a reconnecting client names with its token, if still kept."""
        return self._resumable.get(connection_token)

    def open_connection(
        self,
        *,
        hub: str,
        user_id: str | None,
        protocol: HubProtocol,
        stateful: bool,
        connection_id: str | None = None,
        connection_token: str | None = None,
        claims: tuple[str, ...] = (),
        query: str = "",
    ) -> ClientConnection:
        """Register a connection whose handshake succeeded; REST calls can reach it now.

        ``claims`` and ``query`` (the connect request's, with its ``?``) are for upstream.
        """
        connection_id = connection_id or secrets.token_urlsafe(16)
        connection = ClientConnection(
            connection_id=connection_id,
            connection_token=connection_token,
            hub=hub,
            user_id=user_id,
            protocol=protocol,
            stateful=stateful,
            settings=self.settings,
            upstream=self.upstream.events_of(Caller(connection_id, hub, user_id, claims, query)),
            on_end=self._forget,
        )
        self.hub(hub).add(connection)
        if stateful and connection_token is not None:
            self._resumable[connection_token] = connection
        log.info(
            "connected %s to hub %s as %s (%s%s)",
            connection.connection_id,
            hub,
            f"user {user_id}" if user_id else "anonymous",
            protocol.name,
            ", stateful reconnect" if stateful else "",
        )
        return connection

    # Timers --------------------------------------------------------------------------------

    async def keep_alive_forever(self) -> None:
        """Ping, time out and expire, a few times per shortest interval, until cancelled."""
        while True:
            await asyncio.sleep(self.settings.keep_alive_tick)
            self.keep_alive(time.monotonic())

    def keep_alive(self, now: float) -> None:
        """One round of pings, client timeouts and expiries."""
        for registry in list(self._hubs.values()):
            for connection in registry.everyone():
                connection.keep_alive(now)
        expired = [token for token, n in self._negotiations.items() if n.expires_at < now]
        for token in expired:
            del self._negotiations[token]

    def _forget(self, connection: ClientConnection, reason: str) -> None:
        registry = self.hub(connection.hub)
        if registry.get(connection.connection_id) is connection:
            registry.remove(connection.connection_id)
        if connection.connection_token is not None:
            self._resumable.pop(connection.connection_token, None)
        log.info(
            "disconnected %s from hub %s: %s", connection.connection_id, connection.hub, reason
        )


#: Where the aiohttp application keeps its emulator.
EMULATOR = web.AppKey("emulator", Emulator)


def _deliver(connections: Collection[ClientConnection], invocation: Invocation) -> int:
    for connection in connections:
        connection.deliver(invocation)
    return len(connections)
