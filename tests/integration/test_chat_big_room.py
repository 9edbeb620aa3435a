"""Big rooms (issue 18): what a join and a typing event cost in calls to the real-time
service, counted where they arrive (the SignalR emulator's REST API log), as one document
fills with 50 connections. Neither may grow with the room.

The connections are hand-driven JSON-protocol WebSockets (:class:`WireClient`): fifty node
processes of the official client would measure this machine, not docchat.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest

from chat.identity import User
from tests.fixtures.functions_host import HostedApp
from tests.fixtures.signalr_emulator import WireClient
from tests.integration.chat_calls import body_of, doc, membership, principal
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


async def connect(sockets: AsyncExitStack, host: HostedApp, user: User) -> WireClient:
    negotiated = body_of(await host.call("negotiate", headers=principal(user)))
    endpoint = negotiated["url"].split("/client/")[0]
    return await sockets.enter_async_context(
        WireClient.connect(endpoint, HUB, negotiated["accessToken"])
    )


async def join(host: HostedApp, user: User, document: str, client: WireClient) -> None:
    assert client.connection_id is not None
    answer = await membership(
        host, "join_document", document, client.connection_id, principal(user)
    )
    assert answer.status_code == 204, answer.get_body()


async def next_invocation(client: WireClient, target: str) -> Any:
    while True:
        message = await client.next_message()
        if message.get("type") == 1 and message.get("target") == target:
            return message["arguments"][0]


async def test_a_join_and_a_typing_event_cost_the_same_calls_in_a_room_of_50(
    load_app: LoadApp, sockets: AsyncExitStack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="devstack.emulator")
    calls = ServiceCalls(caplog)
    document = doc("big-room")
    host = await load_app()
    users = [User(f"user-{n}", f"User {n}") for n in range(ROOM)]
    clients = [await connect(sockets, host, user) for user in users]
    per_join = []
    for user, client in zip(users, clients, strict=True):
        before = len(calls())
        await join(host, user, document, client)
        per_join.append(calls()[before:])

    assert all(not any(call.startswith("HEAD") for call in made) for made in per_join), per_join
    assert max(len(made) for made in per_join) <= MAX_CALLS_PER_JOIN, per_join
    assert len(per_join[-1]) == len(per_join[1])

    before = len(calls())
    await clients[0].send({"type": 1, "target": "typing", "arguments": [document]})
    typing = await next_invocation(clients[-1], "typing")
    assert typing == {"documentId": document, "user": {"id": "user-0", "name": "User 0"}}
    assert [call.split(" ")[:2] for call in calls()[before:]] == [
        ["POST", f"/api/hubs/{HUB}/groups/document:{document}/:send"]
    ]
