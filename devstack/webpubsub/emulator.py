"""The emulated service's state and operations, independent of HTTP.

A :class:`WebPubSubEmulator` holds every hub's connections (the shared
:class:`~devstack.emulator_core.registry.HubRegistry`), the reliable connections a client
may recover, and the event handler rules. The REST API, the client endpoint and the
in-process API call the same methods, so a benchmark that sends in-process exercises the
delivery path REST calls use. Every method must run on the emulator's event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Collection, Sequence

from aiohttp import web

from devstack.emulator_core.entra import RestTokens
from devstack.emulator_core.registry import HubRegistry
from devstack.emulator_core.upstream_rules import UpstreamRule
from devstack.webpubsub import protocol
from devstack.webpubsub.auth import TokenValidator
from devstack.webpubsub.connection import Connection
from devstack.webpubsub.payload import Payload
from devstack.webpubsub.permissions import Permissions
from devstack.webpubsub.settings import DEFAULT_ACCESS_KEY, WebPubSubSettings
from devstack.webpubsub.upstream import Caller, Upstream

__all__ = ["EMULATOR", "WebPubSubEmulator"]

log = logging.getLogger("devstack.webpubsub")

SHUTDOWN_REASON = "The service is restarting."
#: The resource of an Entra token for the service (the SDK's scope, without ``/.default``).
ENTRA_AUDIENCE = "https://webpubsub.azure.com"


class WebPubSubEmulator:
    """Azure Web PubSub, held in memory."""

    def __init__(
        self,
        access_key: str = DEFAULT_ACCESS_KEY,
        settings: WebPubSubSettings | None = None,
        upstream: Sequence[UpstreamRule] = (),
    ) -> None:
        self.settings = settings or WebPubSubSettings()
        self.tokens = TokenValidator(access_key)
        #: Who may call the REST API: the AccessKey's tokens, and Entra's if configured.
        self.rest_tokens = RestTokens(
            self.tokens, ENTRA_AUDIENCE, self.settings.entra_public_key, self.settings.entra_issuer
        )
        self.upstream = Upstream(upstream, [access_key], self.settings.upstream_timeout)
        self._hubs: dict[str, HubRegistry[Connection]] = {}
        self._recoverable: dict[str, Connection] = {}

    def hub(self, name: str) -> HubRegistry[Connection]:
        """The connections of hub ``name`` (hub names ignore case)."""
        key = name.lower()
        registry = self._hubs.get(key)
        if registry is None:
            registry = self._hubs[key] = HubRegistry()
        return registry

    # Sending -------------------------------------------------------------------------------

    def send_to_all(self, hub: str, payload: Payload, excluded: Collection[str] = ()) -> int:
        """Send ``payload`` from the server to every connection of ``hub``; returns how many."""
        return _deliver(self.hub(hub).everyone(excluded), protocol.server_message(payload))

    def send_to_group(
        self,
        hub: str,
        group: str,
        payload: Payload,
        excluded: Collection[str] = (),
        from_user: str | None = None,
    ) -> int:
        """Send ``payload`` to every connection in ``group`` as a group message."""
        frame = protocol.group_message(group, payload, from_user)
        return _deliver(self.hub(hub).in_group(group, excluded), frame)

    def send_to_user(self, hub: str, user: str, payload: Payload) -> int:
        return _deliver(self.hub(hub).of_user(user), protocol.server_message(payload))

    def send_to_connection(self, hub: str, connection_id: str, payload: Payload) -> int:
        connection = self.hub(hub).get(connection_id)
        targets = [connection] if connection else []
        return _deliver(targets, protocol.server_message(payload))

    # Closing -------------------------------------------------------------------------------

    def close_connections(self, connections: Collection[Connection], reason: str | None) -> None:
        for connection in connections:
            connection.close(reason or "Closed by the server.")

    def drop_socket(self, hub: str, connection_id: str) -> bool:
        """Cut a connection's socket as a network failure would; False if not connected."""
        connection = self.hub(hub).get(connection_id)
        if connection is not None:
            connection.drop_socket()
        return connection is not None

    def close_everyone(self) -> None:
        for registry in list(self._hubs.values()):
            self.close_connections(registry.everyone(), SHUTDOWN_REASON)
        for connection in list(self._recoverable.values()):
            connection.close(SHUTDOWN_REASON)

    # Connection lifecycle ------------------------------------------------------------------

    def open_connection(
        self,
        caller: Caller,
        subprotocol: str,
        roles: Sequence[str],
        groups: Sequence[str],
    ) -> Connection:
        """Register an accepted connection in its initial groups; REST calls reach it now."""
        hub, user_id = caller.hub, caller.user_id
        connection = Connection(
            connection_id=caller.connection_id,
            hub=hub,
            user_id=user_id,
            subprotocol=subprotocol,
            events=self.upstream.events_of(caller),
            permissions=Permissions(roles),
            settings=self.settings,
            on_end=self._forget,
        )
        registry = self.hub(hub)
        registry.add(connection)
        for group in groups:
            registry.add_to_group(group, connection.connection_id)
        if connection.reliable:
            self._recoverable[connection.connection_id] = connection
        log.info(
            "connected %s to hub %s as %s (%s)",
            connection.connection_id,
            hub,
            f"user {user_id}" if user_id else "anonymous",
            subprotocol,
        )
        return connection

    def recoverable(self, connection_id: str, reconnection_token: str) -> Connection | None:
        """The reliable connection a client recovers, if kept and the token is its own."""
        connection = self._recoverable.get(connection_id)
        if connection is None or connection.reconnection_token is None:
            return None
        if not secrets.compare_digest(connection.reconnection_token, reconnection_token):
            return None
        return connection

    # Timers --------------------------------------------------------------------------------

    async def keep_alive_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.keep_alive_tick)
            now = time.monotonic()
            for connection in list(self._recoverable.values()):
                connection.keep_alive(now)

    def _forget(self, connection: Connection, reason: str) -> None:
        registry = self.hub(connection.hub)
        if registry.get(connection.connection_id) is connection:
            registry.remove(connection.connection_id)
        self._recoverable.pop(connection.connection_id, None)
        connection.events.notify("disconnected", _reason_body(reason))
        log.info(
            "disconnected %s from hub %s: %s", connection.connection_id, connection.hub, reason
        )


#: Where the aiohttp application keeps its emulator.
EMULATOR = web.AppKey("webpubsub_emulator", WebPubSubEmulator)


def _deliver(connections: Collection[Connection], frame: bytes) -> int:
    for connection in connections:
        connection.deliver(frame)
    return len(connections)


def _reason_body(reason: str) -> bytes:
    return json.dumps({"reason": reason}).encode()
