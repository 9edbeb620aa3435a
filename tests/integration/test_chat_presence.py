"""Presence, typing and connection ownership through the whole path: the official JS client
(JSON and MessagePack) on the SignalR emulator, whose upstream calls the app's
signalRTrigger functions through the dev host's webhook, and the local Cosmos DB server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

import storage.cosmos.presence
from chat.app.presence import Present
from chat.domain.users import User
from storage.cosmos.container import open_container
from storage.cosmos.presence import CosmosConnections
from storage.cosmos.settings import load_cosmos_settings
from tests.fixtures.chat import ALICE, BOB
from tests.fixtures.functions_host import HostedApp
from tests.fixtures.hub_client import NodeHubClient
from tests.integration.chat_calls import (
    CAROL,
    HOSTILE_IDS,
    MODES,
    body_of,
    doc,
    membership,
    principal,
)
from tests.integration.conftest import INSTANCES, LoadApp

PRESENCE, TYPING = "presence", "typing"
PROTOCOLS = ["json", "messagepack"]


def users(*people: User) -> list[dict[str, str]]:
    return [{"id": person.id, "name": person.name} for person in people]


async def presence_of(host: HostedApp, document: str, viewer: User = CAROL) -> Any:
    answer = await host.call(
        "presence", method="GET", document_id=document, headers=principal(viewer)
    )
    assert answer.status_code == 200, answer.get_body()
    return body_of(answer)["users"]


async def next_of(listener: NodeHubClient, target: str) -> Any:
    """The argument of the next message ``listener`` hears, which must be for ``target``."""
    heard, arguments = await listener.next_message()
    assert heard == target, (heard, arguments)
    (argument,) = arguments
    return argument


#: Every mode with every protocol on one instance; two of them on two behind the front door.
PRESENCE_CASES = [
    *(
        pytest.param(mode, protocol, 1, id=f"{mode}-{protocol}-1-instance")
        for mode in MODES
        for protocol in PROTOCOLS
    ),
    pytest.param("rest", "json", 2, id="rest-json-2-instances"),
    pytest.param("bindings", "messagepack", 2, id="bindings-messagepack-2-instances"),
]


@pytest.mark.parametrize(("mode", "protocol", "instances"), PRESENCE_CASES)
async def test_each_user_sees_who_is_in_the_document_and_who_is_typing(
    load_app: LoadApp, listen: Callable[..., Any], mode: str, protocol: str, instances: int
) -> None:
    document = doc(f"presence-{mode}-{protocol}-{instances}")
    host = await load_app(instances=instances, DOCCHAT_SIGNALR_MODE=mode)
    hears = (PRESENCE, TYPING)
    alice = await listen(host, ALICE, document, targets=hears, protocol=protocol)
    # A join's announcement reaches the joining connection too: the page learns who is here
    # from it, with no presence read of its own (clients/js/src/chat-session.js).
    assert await next_of(alice, PRESENCE) == {"documentId": document, "users": users(ALICE)}
    bob = await listen(host, BOB, document, targets=hears, protocol=protocol)

    both = {"documentId": document, "users": users(ALICE, BOB)}
    assert await next_of(alice, PRESENCE) == both
    assert await next_of(bob, PRESENCE) == both
    assert await presence_of(host, document) == users(ALICE, BOB)

    await bob.send(TYPING, document)
    typing = {"documentId": document, "user": users(BOB)[0]}
    assert await next_of(alice, TYPING) == typing
    if mode == "bindings":  # SignalRMessage has no excluded list: the page drops its own
        assert await next_of(bob, TYPING) == typing
    await bob.stop()
    assert await next_of(alice, PRESENCE) == {"documentId": document, "users": users(ALICE)}


@pytest.mark.parametrize("instances", INSTANCES)
async def test_typing_never_reaches_the_typing_connection_or_another_document(
    load_app: LoadApp, listen: Callable[..., Any], instances: int
) -> None:
    document, elsewhere = doc(f"typing-{instances}"), doc(f"typing-elsewhere-{instances}")
    host = await load_app(instances=instances)
    alice = await listen(host, ALICE, document, targets=(TYPING,))
    alice_again = await listen(host, ALICE, document, targets=(TYPING,))
    carol = await listen(host, CAROL, elsewhere, targets=(TYPING,))
    bob = await listen(host, BOB, document, targets=(TYPING,))

    await alice.send(TYPING, document)
    assert (await next_of(bob, TYPING))["user"] == users(ALICE)[0]
    # Her other tab hears it, and the page drops its own user's typing.
    assert (await next_of(alice_again, TYPING))["user"] == users(ALICE)[0]
    await bob.send(TYPING, document)

    for listener in (alice, alice_again):
        assert (await next_of(listener, TYPING))["user"] == users(BOB)[0]
    await carol.send(TYPING, elsewhere)  # alone there: nobody hears it
    await alice.send(TYPING, elsewhere)  # not joined there: dropped
    for listener in (alice, alice_again, carol, bob):
        await listener.stop()  # fails if anything else was heard before the close


async def test_a_typing_event_naming_a_hostile_document_reaches_nobody(
    load_app: LoadApp, listen: Callable[..., Any]
) -> None:
    document = doc("typing-hostile")
    host = await load_app()
    alice = await listen(host, ALICE, document, targets=(TYPING,))
    bob = await listen(host, BOB, document, targets=(TYPING,))

    for hostile in HOSTILE_IDS:
        await bob.send(TYPING, hostile)
    await bob.send(TYPING, document)

    # Alice hears in order: a hostile one that reached her would come first.
    assert await next_of(alice, TYPING) == {"documentId": document, "user": users(BOB)[0]}


async def test_only_a_connections_owner_joins_or_leaves_with_it(
    load_app: LoadApp, listen: Callable[..., Any]
) -> None:
    document = doc("ownership")
    host = await load_app()
    bob = await listen(host, BOB, document)

    for function in ("join_document", "leave_document"):
        answer = await membership(host, function, document, bob.connection_id, principal(ALICE))
        assert answer.status_code == 403, answer.get_body()
    assert await presence_of(host, document) == users(BOB)


async def test_a_lost_disconnect_leaves_presence_when_its_entry_expires(
    load_app: LoadApp,
    listen: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The service does not promise every disconnect event, and presence asks it about no
    connection (that would cost a call per present connection): a connection that joined
    and went without one (written here as such, to expire in a second instead of 15
    minutes) leaves when its entry expires."""
    document = doc("lost-disconnect")
    host = await load_app()
    await listen(host, ALICE, document)
    store = CosmosConnections(open_container(load_cosmos_settings(host.environment)))
    with monkeypatch.context() as short_lived:
        short_lived.setattr(storage.cosmos.presence, "PRESENCE_TTL_SECONDS", 1)
        store.own("ghost-connection", BOB.id)
        assert store.enter(document, Present("ghost-connection", BOB))
    assert await presence_of(host, document) in (users(ALICE, BOB), users(ALICE))

    deadline = asyncio.get_running_loop().time() + 10
    while await presence_of(host, document) != users(ALICE):
        assert asyncio.get_running_loop().time() < deadline, "the ghost never expired"
        await asyncio.sleep(0.1)
