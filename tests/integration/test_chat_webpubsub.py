"""docchat on Azure Web PubSub, end to end: the official ``@azure/web-pubsub-client`` on the
local Web PubSub emulator, whose CloudEvents call the app's webPubSubTrigger functions
through the dev host's webhook, in REST mode (the official service SDK) and bindings mode
(webPubSubConnection and webPubSub): the same chat, presence and typing as on SignalR."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest

from chat.domain.users import User
from tests.fixtures.chat import ALICE, BOB
from tests.fixtures.functions_host import HostedApp
from tests.fixtures.webpubsub_client import NodeWebPubSubClient
from tests.integration.chat_calls import (
    HOSTILE_IDS,
    body_of,
    doc,
    membership,
    post,
    principal,
    webpubsub_event,
)
from tests.integration.conftest import LoadApp, closed_port

MODES = ["rest", "bindings"]


@pytest.fixture
async def clients() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as opened:
        yield opened


async def connect(
    clients: AsyncExitStack, host: HostedApp, user: User, document: str
) -> NodeWebPubSubClient:
    """Negotiate, connect the official client with the URL negotiate gave, and join."""
    negotiated = await host.call("negotiate", headers=principal(user))
    assert negotiated.status_code == 200, negotiated.get_body()
    assert set(body_of(negotiated)) == {"url"}
    client = await clients.enter_async_context(
        NodeWebPubSubClient.connect(body_of(negotiated)["url"])
    )
    assert client.user_id == user.id
    joined = await membership(
        host, "join_document", document, client.connection_id, principal(user)
    )
    assert joined.status_code == 204, joined.get_body()
    return client


@pytest.mark.parametrize(
    ("mode", "instances"),
    [
        *(pytest.param(mode, 1, id=f"{mode}-1-instance") for mode in MODES),
        pytest.param("rest", 2, id="rest-2-instances"),
    ],
)
async def test_messages_presence_and_typing_reach_the_document_on_web_pubsub(
    load_app: LoadApp, clients: AsyncExitStack, mode: str, instances: int
) -> None:
    document = doc(f"webpubsub-{mode}-{instances}")
    host = await load_app(
        instances=instances, DOCCHAT_REALTIME="webpubsub", DOCCHAT_WEBPUBSUB_MODE=mode
    )
    alice = await connect(clients, host, ALICE, document)
    bob = await connect(clients, host, BOB, document)

    posted = body_of(await post(host, ALICE, document, "hello on Web PubSub"))

    assert await webpubsub_event(bob, "newMessage") == posted
    assert await webpubsub_event(alice, "newMessage") == posted
    presence = await host.call(
        "presence", method="GET", document_id=document, headers=principal(ALICE)
    )
    assert body_of(presence)["users"] == [
        {"id": ALICE.id, "name": ALICE.name},
        {"id": BOB.id, "name": BOB.name},
    ]
    sent = await bob.command("sendEvent", event="typing", data={"documentId": document})
    assert sent["error"] is None
    assert await webpubsub_event(alice, "typing") == {
        "documentId": document,
        "user": {"id": BOB.id, "name": BOB.name},
    }


async def test_only_the_connections_owner_joins_with_it_on_web_pubsub(
    load_app: LoadApp, clients: AsyncExitStack
) -> None:
    document = doc("webpubsub-owner")
    host = await load_app(DOCCHAT_REALTIME="webpubsub")
    bob = await connect(clients, host, BOB, document)

    answer = await membership(host, "join_document", document, bob.connection_id, principal(ALICE))

    assert answer.status_code == 403


@pytest.mark.parametrize("mode", MODES)
async def test_a_document_is_heard_only_by_its_joined_connections_on_web_pubsub(
    load_app: LoadApp, clients: AsyncExitStack, mode: str
) -> None:
    """Isolation between documents, and leave: a connection that left hears nothing of
    the document until it joins again, and none hears another document."""
    document, other = doc(f"webpubsub-isolated-{mode}"), doc(f"webpubsub-other-{mode}")
    host = await load_app(DOCCHAT_REALTIME="webpubsub", DOCCHAT_WEBPUBSUB_MODE=mode)
    alice = await connect(clients, host, ALICE, document)
    bob = await connect(clients, host, BOB, other)

    first = body_of(await post(host, ALICE, document, "only for this document"))
    left = await membership(host, "leave_document", document, alice.connection_id, principal(ALICE))
    await post(host, ALICE, document, "while alice is away")
    await membership(host, "join_document", document, alice.connection_id, principal(ALICE))
    back = body_of(await post(host, ALICE, document, "alice is back"))
    last = body_of(await post(host, BOB, other, "only for the other document"))

    assert left.status_code == 204, left.get_body()
    # Each connection hears in order, so a message it should not hear would come first.
    assert await webpubsub_event(alice, "newMessage") == first
    assert await webpubsub_event(alice, "newMessage") == back
    assert await webpubsub_event(bob, "newMessage") == last


async def test_hostile_typing_events_are_ignored_and_a_good_one_still_arrives(
    load_app: LoadApp, clients: AsyncExitStack
) -> None:
    """A client may send any event data: none of it fails the trigger (the client's ack
    says so) or reaches anyone, and the next well-formed typing is heard."""
    document = doc("webpubsub-hostile")
    host = await load_app(DOCCHAT_REALTIME="webpubsub")
    alice = await connect(clients, host, ALICE, document)
    bob = await connect(clients, host, BOB, document)
    hostile: list[tuple[Any, str]] = [
        ("not json at all", "text"),
        ({"documentId": 5}, "json"),
        ({"documentId": "\ud800"}, "json"),
        ({"documentId": "d" * 10_000}, "json"),
        ({"documentId": doc("webpubsub-not-joined")}, "json"),
        ([document], "json"),
        *(({"documentId": hostile}, "json") for hostile in HOSTILE_IDS),
    ]

    for data, data_type in hostile:
        sent = await bob.command("sendEvent", event="typing", data=data, dataType=data_type)
        assert sent["error"] is None, (data, sent)
    good = await bob.command("sendEvent", event="typing", data={"documentId": document})

    assert good["error"] is None
    assert await webpubsub_event(alice, "typing") == {
        "documentId": document,
        "user": {"id": BOB.id, "name": BOB.name},
    }


async def test_a_keyed_negotiate_is_answered_while_the_breaker_is_open(load_app: LoadApp) -> None:
    # Signed with the key, a client access URL calls nothing, so the breaker a failed call
    # opened must not refuse it: after an outage every client negotiates again at once, and
    # it would turn them away for a second after the service was back.
    healthy = await load_app(DOCCHAT_REALTIME="webpubsub")
    emulator = healthy.emulator
    dead = emulator.connection_string.replace(f":{emulator.port}", f":{closed_port()}")
    down = await load_app(DOCCHAT_REALTIME="webpubsub", WebPubSubConnectionString=dead)

    refused = await post(down, ALICE, doc("webpubsub-breaker"), "opens the breaker")
    negotiated = await down.call("negotiate", headers=principal(ALICE))

    assert body_of(refused)["error"]["code"] == "message_not_delivered"
    assert negotiated.status_code == 200, negotiated.get_body()
    assert set(body_of(negotiated)) == {"url"}


async def test_while_web_pubsub_is_down_a_message_is_stored_and_a_retry_delivers_it(
    load_app: LoadApp, clients: AsyncExitStack
) -> None:
    document = doc("webpubsub-down")
    healthy = await load_app(DOCCHAT_REALTIME="webpubsub")
    bob = await connect(clients, healthy, BOB, document)
    emulator = healthy.emulator
    dead = emulator.connection_string.replace(f":{emulator.port}", f":{closed_port()}")
    down = await load_app(DOCCHAT_REALTIME="webpubsub", WebPubSubConnectionString=dead)

    refused = await post(down, ALICE, document, "kept", id="kept-on-web-pubsub")
    retried = await post(healthy, ALICE, document, "kept", id="kept-on-web-pubsub")

    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    error = body_of(refused)["error"]
    assert (error["code"], error["stored"]) == ("message_not_delivered", True)
    assert retried.status_code == 200
    assert await webpubsub_event(bob, "newMessage") == body_of(retried)
