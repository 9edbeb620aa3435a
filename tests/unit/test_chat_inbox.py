"""The inbox and people endpoints on in-memory stores: answers, errors and the route table."""

from __future__ import annotations

from chat.api.http import Request
from chat.api.routes import ROUTES, Endpoints
from chat.app.access import Role
from chat.app.notifications import MAX_UNREAD_COUNT
from chat.app.presence import Present
from chat.app.runtime import Runtime
from chat.domain.messages import Message
from chat.domain.notifications import Kind, Notification, notification_id
from chat.domain.users import User
from chat.settings import AccessMode
from tests.fixtures.chat import (
    ALICE,
    BOB,
    InMemoryConnections,
    InMemoryMemberships,
    InMemoryMessageStore,
    InMemoryNotifications,
    InMemoryStorage,
    fake_runtime,
    make_request,
    make_settings,
)


def unread(recipient: str, n: int) -> Notification:
    return Notification(
        id=notification_id("doc-1", f"m{n}", recipient),
        user_id=recipient,
        kind=Kind.MENTION,
        document_id="doc-1",
        message_id=f"m{n}",
        thread_id=None,
        actor=ALICE,
        excerpt="hi",
        created_at=f"2026-12-01T00:{n // 60:02d}:{n % 60:02d}.000Z",
    )


def runtime_with(notifications: InMemoryNotifications) -> Runtime:
    storage = InMemoryStorage(notifications=notifications)
    return Runtime(make_settings(), storage)


def request(
    method: str = "GET", user: User = BOB, route: dict[str, str] | None = None, **query: str
) -> Request:
    """A request of ``user`` to one of the ``me/`` routes (no document in the path)."""
    headers = {"x-ms-client-principal-id": user.id, "x-ms-client-principal-name": user.name}
    return Request.of(method, headers, query, route or {}, b"")


def test_the_inbox_answers_newest_first_with_the_unread_count_capped() -> None:
    notifications = InMemoryNotifications()
    for n in range(MAX_UNREAD_COUNT + 5):
        notifications.create(unread(BOB.id, n))
    inbox = Endpoints(runtime_with(notifications)).inbox

    answer = inbox.list(request(limit="2"))

    assert answer.status == 200
    assert answer.body["unreadCount"] == MAX_UNREAD_COUNT
    assert [item["messageId"] for item in answer.body["items"]] == ["m104", "m103"]
    assert answer.body["continuationToken"] is not None


def test_marking_read_answers_the_item_and_another_users_id_is_404() -> None:
    notifications = InMemoryNotifications()
    bobs = unread(BOB.id, 1)
    notifications.create(bobs)
    inbox = Endpoints(runtime_with(notifications)).inbox

    def mark(user: User, id_: str) -> tuple[int, object]:
        answer = inbox.mark_read(request("PUT", user, {"notificationId": id_}))
        return answer.status, answer.body

    status, body = mark(ALICE, bobs.id)
    assert status == 404
    assert isinstance(body, dict)
    assert body["error"]["code"] == "notification_not_found"
    status, body = mark(BOB, bobs.id)
    assert status == 200
    assert isinstance(body, dict)
    assert body["readAt"] is not None
    assert inbox.mark_all_read(request("PUT")).body == {"unreadCount": 0}
    assert inbox.list(request()).body["unreadCount"] == 0


def test_read_all_has_a_route_of_its_own_that_no_id_route_can_take() -> None:
    routes = {route.name: route for route in ROUTES}

    assert routes["mark_all_notifications_read"].route == "me/notifications/read-all"
    assert routes["mark_notification_read"].route == "me/notifications/{notificationId}/read"


def test_people_in_open_mode_are_recent_senders_then_present_people() -> None:
    store = InMemoryMessageStore()
    for n, sender in enumerate([ALICE, BOB, ALICE]):
        store.append(Message(f"m{n}", "doc-1", sender.id, sender.name, "hi", "t"))
    connections = InMemoryConnections({"c-9": "zed-id"})
    connections.enter("doc-1", Present("c-9", User("zed-id", "Zed")))
    people = Endpoints(fake_runtime(store=store, connections=connections)).people

    answer = people.list(make_request("GET", user=BOB))

    assert answer.body == {
        "items": [
            {"id": ALICE.id, "name": "Alice"},
            {"id": BOB.id, "name": "Bob"},
            {"id": "zed-id", "name": "Zed"},
        ]
    }


def test_people_in_members_mode_are_the_members_and_refuse_outsiders() -> None:
    memberships = InMemoryMemberships()
    memberships.put("doc-1", ALICE.id, Role.WRITER)
    memberships.put("doc-1", "reader-id", Role.READER)
    runtime = fake_runtime(make_settings(access=AccessMode.MEMBERS), memberships=memberships)
    people = Endpoints(runtime).people

    listed = people.list(make_request("GET", user=ALICE))
    outsider = people.list(make_request("GET", user=BOB))

    assert sorted(p["id"] for p in listed.body["items"]) == [ALICE.id, "reader-id"]
    assert outsider.status == 403
