"""Notifications, in memory and in the local Cosmos DB server (the same contract): created
once per id, kept per user, read newest first a page at a time (all, or the unread ones),
marked read one by one or all at once; and NotificationService.notify on both, as the
work after a commit calls it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from chat.app.access import AllowAll, MembersOnly, Role
from chat.app.notifications import Notifications, NotificationService
from chat.domain.errors import NotificationNotFound
from chat.domain.happenings import Happening
from chat.domain.messages import Message, format_timestamp
from chat.domain.notifications import InboxBefore, Kind, Notification, notification_id
from chat.domain.threads import summary_change
from chat.domain.users import User
from devstack.cosmos import EMULATOR_KEY, CosmosServer
from storage.cosmos.container import lacks_indexes, open_container
from storage.cosmos.notifications import INDEXING_POLICY, CosmosNotifications, shape
from storage.cosmos.settings import CosmosSettings
from storage.cosmos.storage import CosmosStorage
from tests.fixtures.chat import (
    ALICE,
    BOB,
    InMemoryMemberships,
    InMemoryNotifications,
    ticking_clock,
)
from tests.integration.chat_calls import HOSTILE_IDS

_containers = itertools.count()
CAROL = User("carol-id", "Carol")
START = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "cosmos"])
def notifications(request: pytest.FixtureRequest) -> Notifications:
    if request.param == "memory":
        return InMemoryNotifications()
    server: CosmosServer = request.getfixturevalue("cosmos_server")
    settings = CosmosSettings(endpoint=server.endpoint, key=EMULATOR_KEY)
    name = f"notifications-contract-{next(_containers)}"
    return CosmosNotifications(open_container(settings, name, shape(90 * 86_400)))


def made(recipient: str, n: int, *, document: str = "doc-1", at: datetime = START) -> Notification:
    message_id = f"m{n}"
    return Notification(
        id=notification_id(document, message_id, recipient),
        user_id=recipient,
        kind=Kind.MENTION,
        document_id=document,
        message_id=message_id,
        thread_id=None,
        actor=ALICE,
        excerpt=f"text {n}",
        created_at=format_timestamp(at + timedelta(milliseconds=n // 2)),  # ties on purpose
    )


def test_the_container_is_made_partitioned_by_user_with_the_time_to_live_set(
    cosmos_server: CosmosServer,
) -> None:
    settings = CosmosSettings(
        endpoint=cosmos_server.endpoint,
        key=EMULATOR_KEY,
        notifications_container=f"notifications-made-{next(_containers)}",
        notification_ttl_days=7,
    )
    notifications = CosmosStorage(settings).notifications
    notifications.create(made(BOB.id, 1))

    container = open_container(settings, settings.notifications_container, shape())
    properties = container.call(lambda proxy: proxy.read(), writing=False)
    assert properties["partitionKey"]["paths"] == ["/userId"]
    assert properties["defaultTtl"] == 7 * 86_400
    assert not lacks_indexes(properties["indexingPolicy"], INDEXING_POLICY)


def test_a_notification_is_created_once_and_kept_for_its_user_alone(
    notifications: Notifications,
) -> None:
    first = made(BOB.id, 1)

    assert notifications.create(first) is True
    assert notifications.create(first) is False

    assert notifications.get(BOB.id, first.id) == first
    assert notifications.get(CAROL.id, first.id) is None
    assert notifications.get(BOB.id, "0" * 64) is None
    assert notifications.newest_first(CAROL.id, False, 10, None) == []


def test_pages_run_newest_first_without_gap_or_repeat_all_or_unread(
    notifications: Notifications,
) -> None:
    every = [made(BOB.id, n) for n in range(7)]
    for notification in every:
        notifications.create(notification)
    notifications.create(made(CAROL.id, 99))
    read = notifications.mark_read(BOB.id, every[3].id, "2026-12-02T00:00:00.000Z")
    assert read is not None
    assert read.read_at == "2026-12-02T00:00:00.000Z"

    newest_first = sorted(every, key=lambda n: n.order_key, reverse=True)
    assert [n.id for n in pages(notifications, unread_only=False)] == [n.id for n in newest_first]
    unread = [n.id for n in newest_first if n.id != every[3].id]
    assert [n.id for n in pages(notifications, unread_only=True)] == unread
    assert len(notifications.unread_documents(BOB.id, 4)) == 4
    assert notifications.unread_documents(BOB.id, 100) == ["doc-1"] * 6


def pages(notifications: Notifications, *, unread_only: bool) -> list[Notification]:
    seen: list[Notification] = []
    before = None
    while True:
        page = notifications.newest_first(BOB.id, unread_only, 2, before)
        seen += page
        if len(page) < 2:
            return seen
        before = page[-1].order_key


def test_read_all_marks_every_unread_one_past_a_batch(notifications: Notifications) -> None:
    for n in range(230):
        notifications.create(made(BOB.id, n))
    notifications.create(made(CAROL.id, 1))

    notifications.mark_all_read(BOB.id, "2026-12-02T00:00:00.000Z")

    assert notifications.unread_documents(BOB.id, 100) == []
    assert notifications.newest_first(BOB.id, True, 10, None) == []
    assert notifications.unread_documents(CAROL.id, 100) == ["doc-1"]
    assert notifications.newest_first(BOB.id, False, 1, None)[0].read_at is not None


def thread_of(*repliers: User) -> tuple[Message, Message]:
    """A root by Alice, replied to by ``repliers`` in turn: the last reply and the root."""
    root = Message("root", "doc-1", ALICE.id, ALICE.name, "root", "2026-12-01T00:00:00.000Z")
    reply = root
    for n, replier in enumerate(repliers, 1):
        at = f"2026-12-01T00:00:0{n}.000Z"
        reply = Message(f"r{n}", "doc-1", replier.id, replier.name, "x" * 300, at, thread_id="root")
        change = summary_change(None, reply)
        assert change is not None
        root = change(root)
    return reply, root


def test_notify_makes_each_notification_once_and_a_retry_returns_them_as_stored(
    notifications: Notifications,
) -> None:
    service = NotificationService(AllowAll(), notifications, ticking_clock(START))
    reply, root = thread_of(BOB, CAROL)
    mentioned = Message(**{**reply.__dict__, "mentions": (BOB.id, "dave-id")})
    happened = Happening("message.created", "doc-1", reply.id, CAROL, mentioned.mentions)

    first = service.notify(happened, mentioned, root)
    again = service.notify(happened, mentioned, root)

    assert {(n.user_id, n.kind) for n in first} == {
        (BOB.id, Kind.MENTION),
        ("dave-id", Kind.MENTION),
        (ALICE.id, Kind.REPLY),
    }
    assert sorted(again, key=lambda n: n.id) == sorted(first, key=lambda n: n.id)
    (alices,) = notifications.newest_first(ALICE.id, False, 10, None)
    assert alices.to_json() == {
        "id": notification_id("doc-1", reply.id, ALICE.id),
        "kind": "reply",
        "documentId": "doc-1",
        "messageId": reply.id,
        "threadId": "root",
        "actor": {"id": CAROL.id, "name": CAROL.name},
        "excerpt": "x" * 139 + "\u2026",
        "createdAt": reply.created_at,  # as old as the message it is about
        "readAt": None,
    }


def test_notify_skips_who_may_not_read_and_the_inbox_hides_what_they_no_longer_may(
    notifications: Notifications,
) -> None:
    memberships = InMemoryMemberships()
    for user in (ALICE, BOB, CAROL):
        memberships.put("doc-1", user.id, Role.WRITER)
    service = NotificationService(MembersOnly(memberships), notifications, ticking_clock(START))
    message = Message("m1", "doc-1", ALICE.id, ALICE.name, "hi", "2026-12-01T00:00:00.000Z")
    mentioned = Message(**{**message.__dict__, "mentions": (BOB.id, CAROL.id, "outsider")})
    happened = Happening("message.created", "doc-1", "m1", ALICE, mentioned.mentions)

    assert {n.user_id for n in service.notify(happened, mentioned, None)} == {BOB.id, CAROL.id}
    memberships.remove("doc-1", BOB.id)

    inbox = service.inbox(BOB, unread_only=False, limit=10, before=None)
    assert (inbox.items, inbox.unread_count) == ([], 0)
    with pytest.raises(NotificationNotFound):
        service.mark_read(BOB, notification_id("doc-1", "m1", BOB.id))
    carols = service.inbox(CAROL, unread_only=True, limit=10, before=None)
    assert carols.unread_count == 1
    read = service.mark_read(CAROL, carols.items[0].id)
    assert read.read_at is not None
    assert service.inbox(CAROL, unread_only=True, limit=10, before=None).unread_count == 0


def test_someone_elses_or_a_hostile_id_is_not_found(notifications: Notifications) -> None:
    service = NotificationService(AllowAll(), notifications)
    bobs = made(BOB.id, 1)
    notifications.create(bobs)

    for unknown in [bobs.id, "0" * 64, *HOSTILE_IDS]:
        with pytest.raises(NotificationNotFound):
            service.mark_read(CAROL, unknown)


def test_the_inbox_pages_with_its_token_and_counts_unread(notifications: Notifications) -> None:
    service = NotificationService(AllowAll(), notifications)
    for n in range(5):
        notifications.create(made(BOB.id, n))

    first = service.inbox(BOB, unread_only=False, limit=3, before=None)
    assert first.continuation_token is not None
    rest = service.inbox(
        BOB, unread_only=False, limit=3, before=InboxBefore.decode(first.continuation_token)
    )

    assert len(first.items) + len(rest.items) == 5
    assert rest.continuation_token is None
    assert first.unread_count == 5
    service.mark_all_read(BOB)
    assert service.unread_count(BOB) == 0
