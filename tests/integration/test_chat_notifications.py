"""Mentions, the inbox and the people a document offers to mention, through the dev host
and the local Cosmos DB server (issue 22, items 1 to 3 and the people route of 7).

The notifications come from NotificationService.notify, called here as the work after a
commit calls it (the queue consumer is the lead's), against the app's own Cosmos DB
containers; the inbox is then read through the host, on one instance and on two behind the
front door (round robin: consecutive calls land on different processes).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta
from typing import Any

import pytest

from chat.app.access import AllowAll
from chat.app.notifications import NotificationService
from chat.domain.happenings import Happening
from chat.domain.messages import Message
from chat.domain.users import User
from storage.cosmos.settings import load_cosmos_settings
from storage.cosmos.storage import CosmosStorage
from tests.fixtures.chat import ALICE, BOB, ticking_clock
from tests.fixtures.functions_host import Answer, HostedApp
from tests.fixtures.webpubsub_client import NodeWebPubSubClient
from tests.integration.chat_calls import (
    CAROL,
    HOSTILE_IDS,
    NEW,
    body_of,
    doc,
    membership,
    post,
    principal,
    webpubsub_event,
)
from tests.integration.conftest import INSTANCES, LoadApp

BACKENDS = ["signalr", "webpubsub"]


def error_of(answer: Answer) -> tuple[int, str, str]:
    error = body_of(answer)["error"]
    return answer.status_code, error["code"], error["message"]


async def timeline(host: HostedApp, document: str) -> list[dict[str, Any]]:
    listed = await host.call("list_messages", document_id=document, headers=principal(ALICE))
    assert listed.status_code == 200
    items: list[dict[str, Any]] = body_of(listed)["items"]
    return items


async def add_member(host: HostedApp, document: str, user: User, role: str = "writer") -> None:
    put = await host.call(
        "put_member",
        document_id=document,
        route_params={"userId": user.id},
        body={"role": role},
    )
    assert put.status_code in (200, 201), put.get_body()


@pytest.mark.parametrize("backend", BACKENDS)
async def test_mentions_are_stored_returned_and_replaced_by_an_edit(
    load_app: LoadApp, backend: str
) -> None:
    host = await load_app(DOCCHAT_REALTIME=backend)
    document = doc(f"mentions-{backend}")

    sent = await post(host, ALICE, document, "hi @bob", mentions=[BOB.id, CAROL.id])
    plain = await post(host, ALICE, document, "hi")
    service = await host.call(
        "send_service_message",
        document_id=document,
        body={"text": "from a bot", "senderId": "bot", "mentions": [BOB.id]},
    )
    assert (sent.status_code, plain.status_code, service.status_code) == (201, 201, 201)
    message = body_of(sent)
    edited = await host.call(
        "edit_message",
        document_id=document,
        route_params={"messageId": message["id"]},
        headers=principal(ALICE),
        body={"mentions": [CAROL.id, "dave-id"]},
    )

    assert message["mentions"] == [BOB.id, CAROL.id]
    assert body_of(plain)["mentions"] == []
    assert body_of(service)["mentions"] == [BOB.id]
    assert edited.status_code == 200, edited.get_body()
    assert body_of(edited)["mentions"] == [CAROL.id, "dave-id"]
    stored = {m["id"]: m["mentions"] for m in await timeline(host, document)}
    assert stored[message["id"]] == [CAROL.id, "dave-id"]


UPDATED = "messageUpdated"


@pytest.fixture
async def clients() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as opened:
        yield opened


async def listen_as_bob(
    backend: str,
    host: HostedApp,
    document: str,
    listen: Callable[..., Any],
    clients: AsyncExitStack,
) -> Callable[[str], Awaitable[Any]]:
    """Bob connected (SignalR's or Web PubSub's official client) and joined, so present:
    what he hears next, which must be the event named."""
    if backend == "signalr":
        hub = await listen(host, BOB, document, targets=(NEW, UPDATED))

        async def heard_on_signalr(event: str) -> Any:
            target, (argument,) = await hub.next_message()
            assert target == event
            return argument

        return heard_on_signalr
    negotiated = await host.call("negotiate", headers=principal(BOB))
    client = await clients.enter_async_context(
        NodeWebPubSubClient.connect(body_of(negotiated)["url"])
    )
    joined = await membership(host, "join_document", document, client.connection_id, principal(BOB))
    assert joined.status_code == 204, joined.get_body()
    return lambda event: webpubsub_event(client, event)


@pytest.mark.parametrize("backend", BACKENDS)
async def test_mentions_are_broadcast_and_present_people_can_be_mentioned(
    load_app: LoadApp,
    listen: Callable[..., Any],
    clients: AsyncExitStack,
    backend: str,
) -> None:
    host = await load_app(DOCCHAT_REALTIME=backend)
    document = doc(f"mentions-live-{backend}")
    heard_by_bob = await listen_as_bob(backend, host, document, listen, clients)

    sent = body_of(await post(host, ALICE, document, "hi @bob", mentions=[BOB.id]))
    heard = await heard_by_bob(NEW)
    edited = await host.call(
        "edit_message",
        document_id=document,
        route_params={"messageId": sent["id"]},
        headers=principal(ALICE),
        body={"mentions": [BOB.id, CAROL.id]},
    )
    heard_edit = await heard_by_bob(UPDATED)
    people = await host.call("list_people", document_id=document, headers=principal(CAROL))

    assert heard == sent
    assert heard["mentions"] == [BOB.id]
    assert heard_edit == body_of(edited)
    assert heard_edit["mentions"] == [BOB.id, CAROL.id]
    assert body_of(people)["items"] == [
        {"id": ALICE.id, "name": ALICE.name},
        {"id": BOB.id, "name": BOB.name},
    ]


async def test_mentions_beyond_the_rules_are_400_and_nothing_is_stored(load_app: LoadApp) -> None:
    host = await load_app()
    document = doc("mention-rules")

    refusals = [
        ([BOB.id, BOB.id], "mentions: must not name a user twice"),
        ([f"u{n}" for n in range(21)], "mentions: list should have at most 20 items"),
        (None, "mentions: must be a list of user ids, not null"),
        *((["ok", hostile], "mentions.1: must") for hostile in HOSTILE_IDS),
    ]
    for mentions, problem in refusals:
        answer = await post(host, ALICE, document, "hi", mentions=mentions)
        status, code, message = error_of(answer)
        assert (status, code) == (400, "invalid_request"), mentions
        assert problem in message, (mentions, message)

    assert await timeline(host, document) == []


async def test_in_members_mode_mentioning_a_non_reader_is_400_naming_them(
    load_app: LoadApp,
) -> None:
    host = await load_app(DOCCHAT_ACCESS="members")
    document = doc("mention-members")
    await add_member(host, document, ALICE)
    await add_member(host, document, BOB, "reader")

    refused = await post(host, ALICE, document, "hi", mentions=[BOB.id, CAROL.id])
    taken = await post(host, ALICE, document, "hi", mentions=[BOB.id])
    edit = await host.call(
        "edit_message",
        document_id=document,
        route_params={"messageId": body_of(taken)["id"]},
        headers=principal(ALICE),
        body={"mentions": [BOB.id, CAROL.id]},
    )

    status, code, message = error_of(refused)
    assert (status, code) == (400, "invalid_request")
    assert f'"{CAROL.id}"' in message
    assert f'"{BOB.id}"' not in message
    assert taken.status_code == 201
    assert error_of(edit)[:2] == (400, "invalid_request")
    assert f'"{CAROL.id}"' in error_of(edit)[2]
    assert [m["mentions"] for m in await timeline(host, document)] == [[BOB.id]]


def notification_service(host: HostedApp) -> NotificationService:
    """NotificationService on the app's own containers, as the queue consumer builds it (a
    clock that moves, so that the inbox's order is the order of the calls)."""
    storage = CosmosStorage(load_cosmos_settings(host.environment))
    clock = ticking_clock(step=timedelta(milliseconds=1))
    return NotificationService(AllowAll(), storage.notifications, clock)


async def inbox(host: HostedApp, user: User, **params: str) -> dict[str, Any]:
    answer = await host.call("list_notifications", headers=principal(user), params=params)
    assert answer.status_code == 200, answer.get_body()
    body: dict[str, Any] = body_of(answer)
    return body


@pytest.mark.parametrize("instances", INSTANCES)
async def test_the_inbox_pages_marks_read_and_hides_others_notifications(
    load_app: LoadApp, instances: int
) -> None:
    host = await load_app(instances=instances)
    document = doc(f"inbox-{instances}")
    posted = []
    for n in range(5):
        answer = await post(host, ALICE, document, f"hi {n}", mentions=[BOB.id])
        posted.append(Message.from_stored(body_of(answer)))
    service = notification_service(host)
    made = [
        service.notify(Happening("message.created", document, m.id, ALICE, m.mentions), m, None)
        for m in posted
    ]
    assert [len(notifications) for notifications in made] == [1] * 5

    first = await inbox(host, BOB, limit="3")
    rest = await inbox(host, BOB, limit="3", continuationToken=first["continuationToken"])
    items = first["items"] + rest["items"]
    assert [item["messageId"] for item in items] == [m.id for m in reversed(posted)]
    assert rest["continuationToken"] is None
    assert first["unreadCount"] == 5
    assert items[0]["kind"] == "mention"
    assert items[0]["actor"] == {"id": ALICE.id, "name": ALICE.name}
    assert items[0]["excerpt"] == "hi 4"

    target = items[1]["id"]
    elses = await host.call(
        "mark_notification_read",
        route_params={"notificationId": target},
        headers=principal(CAROL),
    )
    read = await host.call(
        "mark_notification_read", route_params={"notificationId": target}, headers=principal(BOB)
    )
    assert error_of(elses)[:2] == (404, "notification_not_found")
    assert read.status_code == 200
    assert body_of(read)["readAt"] is not None
    unread = await inbox(host, BOB, unread="true")
    assert unread["unreadCount"] == 4
    assert target not in {item["id"] for item in unread["items"]}

    all_read = await host.call("mark_all_notifications_read", headers=principal(BOB))
    assert (all_read.status_code, body_of(all_read)) == (200, {"unreadCount": 0})
    after = await inbox(host, BOB)
    assert after["unreadCount"] == 0
    assert all(item["readAt"] is not None for item in after["items"])
    assert (await inbox(host, CAROL))["items"] == []


async def test_hostile_or_unknown_notification_ids_are_404_and_tokens_are_checked(
    load_app: LoadApp,
) -> None:
    host = await load_app()

    for unknown in ["0" * 64, "read-all", *HOSTILE_IDS]:
        answer = await host.call(
            "mark_notification_read",
            route_params={"notificationId": unknown},
            headers=principal(BOB),
        )
        assert answer.status_code in (400, 404), (unknown, answer.status_code)
        assert body_of(answer)["error"]["code"] in ("notification_not_found", "invalid_request")
    junk = await host.call(
        "list_notifications", headers=principal(BOB), params={"continuationToken": "junk"}
    )
    assert error_of(junk)[:2] == (400, "invalid_request")


async def test_people_in_open_mode_are_recent_senders_and_in_members_mode_the_members(
    load_app: LoadApp,
) -> None:
    open_host = await load_app()
    document = doc("people-open")
    await post(open_host, ALICE, document, "hi")
    await post(open_host, BOB, document, "hello")

    people = await open_host.call("list_people", document_id=document, headers=principal(CAROL))
    assert people.status_code == 200
    assert body_of(people)["items"] == [
        {"id": BOB.id, "name": BOB.name},
        {"id": ALICE.id, "name": ALICE.name},
    ]


async def test_people_in_members_mode_are_the_members_for_readers_only(load_app: LoadApp) -> None:
    host = await load_app(DOCCHAT_ACCESS="members")
    document = doc("people-members")
    await add_member(host, document, ALICE)
    await add_member(host, document, BOB, "reader")
    await post(host, ALICE, document, "hi")

    people = await host.call("list_people", document_id=document, headers=principal(BOB))
    outsider = await host.call("list_people", document_id=document, headers=principal(CAROL))

    assert people.status_code == 200
    assert sorted(body_of(people)["items"], key=lambda p: p["id"]) == [
        {"id": ALICE.id, "name": ALICE.name},
        {"id": BOB.id, "name": BOB.id},
    ]
    assert error_of(outsider)[:2] == (403, "forbidden")
