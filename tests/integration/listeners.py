"""A user's live connection on either backend (the official SignalR or Web PubSub JS
client), for tests that ask what it heard: a marker sent through the service after an event
bounds what it heard of the event, since the service delivers a connection's messages in
order (no waiting on time)."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from chat.domain.users import User
from realtime.settings import HUB
from shared.connection_string import parse_connection_string
from signalr.rest import HubClient
from tests.fixtures.functions_host import HostedApp
from tests.fixtures.hub_client import NodeHubClient
from tests.fixtures.webpubsub_client import NodeWebPubSubClient
from tests.integration.chat_calls import NEW, body_of, principal

__all__ = ["MARKER", "Listener", "connect"]

MARKER = "marker"


class Listener:
    """A user's live connection on either backend: what it heard of the document."""

    def __init__(self, host: HostedApp, client: NodeHubClient | NodeWebPubSubClient) -> None:
        self._host = host
        self._client = client
        self.connection_id = client.connection_id

    async def heard_before_marker(self) -> list[str]:
        """Send this connection a marker through the service; the document events it heard
        before it (or before its connection was closed)."""
        connection_string = self._host.environment["AzureSignalRConnectionString"]
        if isinstance(self._client, NodeHubClient):
            hub = HubClient(parse_connection_string(connection_string), HUB)
            await asyncio.to_thread(hub.send_to_connection, self.connection_id, MARKER, [])
        else:
            await asyncio.to_thread(_webpubsub_marker, connection_string, self.connection_id)
        heard: list[str] = []
        while (event := await self._next()) not in (MARKER, "closed"):
            heard.append(event)
        return heard

    async def _next(self) -> str:
        event = await self._client.next_event()
        kind = event["event"]
        if kind == "message":  # SignalR
            return str(event["target"])
        if kind in ("group-message", "server-message"):  # Web PubSub
            return str(event["data"]["event"])
        return "closed" if kind in ("closed", "disconnected", "stopped") else kind


def _webpubsub_marker(connection_string: str, connection_id: str) -> None:
    from azure.messaging.webpubsubservice import WebPubSubServiceClient

    client = WebPubSubServiceClient.from_connection_string(connection_string, hub=HUB)
    client.send_to_connection(
        connection_id, {"event": MARKER, "data": None}, content_type="application/json"
    )


async def connect(clients: AsyncExitStack, host: HostedApp, user: User) -> Listener:
    """Negotiate on ``host`` and connect the backend's official client."""
    negotiated = await host.call("negotiate", headers=principal(user))
    assert negotiated.status_code == 200, negotiated.get_body()
    info = body_of(negotiated)
    client: NodeHubClient | NodeWebPubSubClient
    if "accessToken" in info:
        client = await clients.enter_async_context(
            NodeHubClient.connect(
                info["url"], access_token=info["accessToken"], targets=[NEW, MARKER, "presence"]
            )
        )
    else:
        client = await clients.enter_async_context(NodeWebPubSubClient.connect(info["url"]))
    return Listener(host, client)
