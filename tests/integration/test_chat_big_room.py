"""Big rooms (issue 18): what a join and a typing event cost in calls to the real-time
service, counted where they arrive (the emulator's REST API log), as one document fills
with 50 connections, on SignalR and on Web PubSub. Neither may grow with the room.

The connections are hand-driven WebSockets (SignalR's JSON protocol, Web PubSub's
``json.webpubsub.azure.v1``): fifty node processes of the official clients would measure
this machine, not docchat.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aiohttp
import pytest

from chat.domain.users import User
from tests.fixtures.functions_host import HostedApp
from tests.fixtures.signalr_emulator import WireClient
from tests.integration.chat_calls import body_of, doc, membership, not_yet_known, principal
from tests.integration.conftest import LoadApp

ROOM = 50
HUB = "documents"
#: A join's calls: the group add, and at most the presence announcement (coalesced).
MAX_CALLS_PER_JOIN = 2


class ServiceCalls:
    """The REST calls the emulator served, as its log records them."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog

    def __call__(self) -> list[str]:
        return [
            record.getMessage()
            for record in self._caplog.records
            if record.name == "devstack.emulator" and " /api/" in record.getMessage()
        ]


@pytest.fixture
async def sockets() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as opened:
        yield opened


class PubSubSocket:
    """One Web PubSub connection with the ``json.webpubsub.azure.v1`` subprotocol."""

    PROTOCOL = "json.webpubsub.azure.v1"

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.connection_id: str | None = None

    @classmethod
    @asynccontextmanager
    async def connect(cls, url: str) -> AsyncIterator[PubSubSocket]:
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(url, protocols=(cls.PROTOCOL,)) as socket,
        ):
            client = cls(socket)
            connected = await client.next_message()
            assert connected["event"] == "connected", connected
            client.connection_id = connected["connectionId"]
            yield client

    async def next_message(self) -> dict[str, Any]:
        frame = await asyncio.wait_for(self.socket.receive(), 10)
        assert frame.type is aiohttp.WSMsgType.TEXT, frame
        message: dict[str, Any] = json.loads(frame.data)
        return message

    async def type_in(self, document: str) -> None:
        data = {"documentId": document}
        await self.socket.send_json(
            {"type": "event", "event": "typing", "dataType": "json", "data": data}
        )

    async def next_event(self, name: str) -> Any:
        while True:
            message = await self.next_message()
            if message.get("type") == "message" and message["data"]["event"] == name:
                return message["data"]["data"]


Client = WireClient | PubSubSocket


async def connect(sockets: AsyncExitStack, host: HostedApp, user: User) -> Client:
    negotiated = body_of(await host.call("negotiate", headers=principal(user)))
    if "accessToken" not in negotiated:
        return await sockets.enter_async_context(PubSubSocket.connect(negotiated["url"]))
    endpoint = negotiated["url"].split("/client/")[0]
    return await sockets.enter_async_context(
        WireClient.connect(endpoint, HUB, negotiated["accessToken"])
    )


async def type_in(client: Client, document: str) -> None:
    if isinstance(client, PubSubSocket):
        await client.type_in(document)
    else:
        await client.send({"type": 1, "target": "typing", "arguments": [document]})


async def next_typing(client: Client) -> Any:
    if isinstance(client, PubSubSocket):
        return await client.next_event("typing")
    while True:
        message = await client.next_message()
        if message.get("type") == 1 and message.get("target") == "typing":
            return message["arguments"][0]


#: How long the page retries a join whose connection is not yet known before it connects
#: again (chat-session.js NOT_YET_KNOWN_GIVE_UP_MS).
GIVE_UP_SECONDS = 3.0
#: New connections a client makes before the test gives up on it.
RECONNECTS = 3


async def join(
    sockets: AsyncExitStack, host: HostedApp, user: User, document: str, client: Client
) -> Client:
    """Join as the page does: a connection the app never learns of (its connected event
    failed under load) is replaced by a new one. The client that joined."""
    for _ in range(RECONNECTS):
        assert client.connection_id is not None
        answer = await membership(
            host,
            "join_document",
            document,
            client.connection_id,
            principal(user),
            within=GIVE_UP_SECONDS,
        )
        if not not_yet_known(answer):
            break
        client = await connect(sockets, host, user)
    assert answer.status_code == 204, answer.get_body()
    return client


@pytest.mark.parametrize("backend", ["signalr", "webpubsub"])
async def test_a_join_and_a_typing_event_cost_the_same_calls_in_a_room_of_50(
    load_app: LoadApp, sockets: AsyncExitStack, caplog: pytest.LogCaptureFixture, backend: str
) -> None:
    caplog.set_level(logging.INFO, logger="devstack.emulator")
    calls = ServiceCalls(caplog)
    document = doc(f"big-room-{backend}")
    host = await load_app(DOCCHAT_REALTIME=backend)
    users = [User(f"user-{n}", f"User {n}") for n in range(ROOM)]
    connected = [await connect(sockets, host, user) for user in users]
    clients = []
    per_join = []
    for user, client in zip(users, connected, strict=True):
        before = len(calls())
        clients.append(await join(sockets, host, user, document, client))
        per_join.append(calls()[before:])

    assert all(not any(call.startswith("HEAD") for call in made) for made in per_join), per_join
    assert max(len(made) for made in per_join) <= MAX_CALLS_PER_JOIN, per_join
    assert len(per_join[-1]) == len(per_join[1])

    before = len(calls())
    await type_in(clients[0], document)
    typing = await next_typing(clients[-1])
    assert typing == {"documentId": document, "user": {"id": "user-0", "name": "User 0"}}
    sends = [call.split(" ")[:2] for call in calls()[before:]]
    assert sends == [["POST", f"/api/hubs/{HUB}/groups/document:{document}/:send"]]
