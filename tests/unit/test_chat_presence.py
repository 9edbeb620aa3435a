"""Connection ownership, presence and typing as use cases, on in-memory fakes: who may join
with a connection, who the document shows, that a change costs no call per present
connection, that a join racing a disconnect leaves no ghost, and who hears typing."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chat.api.failures import answer
from chat.app.access import AllowAll
from chat.app.events import ClientEvent, Connected, Disconnected, EventService
from chat.app.presence import Announcer, Owner, Present
from chat.app.service import MembershipService
from chat.domain.errors import (
    ConnectionNotFound,
    ConnectionNotYetKnown,
    Forbidden,
    RealtimeUnavailable,
)
from chat.domain.ratelimit import PostingRate
from chat.domain.users import User
from tests.fixtures.chat import ALICE, BOB, InMemoryConnections, RecordingRealtime

CAROL = User("carol-id", "Carol")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def setup() -> tuple[InMemoryConnections, RecordingRealtime, MembershipService, EventService]:
    connections = InMemoryConnections()
    realtime = RecordingRealtime(connected={"a-1", "a-2", "b-1", "c-1"})
    clock = FakeClock()
    announcer = Announcer()
    members = MembershipService(AllowAll(), realtime, connections, announcer)
    rate = PostingRate(30, burst=1, clock=clock)
    events = EventService(connections, realtime, rate, announcer)
    for connection, user in (("a-1", ALICE), ("a-2", ALICE), ("b-1", BOB), ("c-1", CAROL)):
        events.handle(Connected(connection, user.id))
    return connections, realtime, members, events


def test_a_user_joins_with_their_own_connection_and_the_document_hears_who_is_there() -> None:
    _, realtime, members, _ = setup()

    members.join(ALICE, "doc-1", "a-1")
    members.join(BOB, "doc-1", "b-1")

    assert members.who(CAROL, "doc-1") == [ALICE, BOB]
    assert realtime.sent_events("presence")[-1] == {
        "documentId": "doc-1",
        "users": [{"id": "alice-id", "name": "Alice"}, {"id": "bob-id", "name": "Bob"}],
    }


def test_joining_or_leaving_with_someone_elses_connection_is_forbidden() -> None:
    _, realtime, members, _ = setup()
    members.join(BOB, "doc-1", "b-1")

    with pytest.raises(Forbidden):
        members.join(ALICE, "doc-1", "b-1")
    with pytest.raises(Forbidden):
        members.leave(ALICE, "doc-1", "b-1")
    assert realtime.groups == {"document:doc-1": {"b-1"}}


def test_a_join_before_the_connected_event_asks_for_a_retry_at_once_without_waiting() -> None:
    connections, realtime, members, _ = setup()
    realtime.connected.add("new")

    with pytest.raises(ConnectionNotYetKnown) as raised:
        members.join(ALICE, "doc-1", "new")

    assert answer(raised.value).status == 503
    assert dict(answer(raised.value).headers) == {"Retry-After": "1"}
    assert realtime.groups == {}
    connections.own("new", ALICE.id)
    members.join(ALICE, "doc-1", "new")
    assert realtime.groups == {"document:doc-1": {"new"}}


def test_a_connected_event_that_lands_while_the_service_is_asked_lets_the_join_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The owner is read again once the service says the connection is live: a join that
    overtook its ``connected`` event by less than that round trip needs no retry."""
    connections, realtime, members, _ = setup()
    realtime.connected.add("new")

    def connected_meanwhile(connection_id: str) -> bool:
        connections.own(connection_id, ALICE.id)  # the event lands during the call
        return True

    monkeypatch.setattr(realtime, "is_connected", connected_meanwhile)
    members.join(ALICE, "doc-1", "new")

    assert realtime.groups == {"document:doc-1": {"new"}}


def test_a_user_with_two_connections_shows_once_and_stays_until_both_are_gone() -> None:
    _, realtime, members, events = setup()
    members.join(ALICE, "doc-1", "a-1")
    members.join(ALICE, "doc-1", "a-2")
    assert members.who(BOB, "doc-1") == [ALICE]

    members.leave(ALICE, "doc-1", "a-1")
    assert members.who(BOB, "doc-1") == [ALICE]
    events.handle(Disconnected("a-2"))

    assert members.who(BOB, "doc-1") == []
    assert realtime.sent_events("presence")[-1] == {"documentId": "doc-1", "users": []}


def test_only_a_connection_that_joined_the_document_has_its_entry_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A join or a watch of a document the owner does not note (a connection just made,
    as after each reconnect) is a first one: no point read to find out."""
    connections, realtime, members, _ = setup()
    read: list[tuple[str, str]] = []
    entry = connections.entry

    def counted(document_id: str, connection_id: str) -> Present | None:
        read.append((document_id, connection_id))
        return entry(document_id, connection_id)

    monkeypatch.setattr(connections, "entry", counted)
    members.join(ALICE, "doc-1", "a-1")
    members.watch(ALICE, "doc-2", "a-1")
    announced = len(realtime.sent_events("presence"))
    members.join(ALICE, "doc-1", "a-1")  # the page's refresh: present already
    members.watch(ALICE, "doc-1", "a-1")  # present, so it stays present

    assert read == [("doc-1", "a-1"), ("doc-1", "a-1")]
    assert len(realtime.sent_events("presence")) == announced
    assert members.who(BOB, "doc-1") == [ALICE]


def test_presence_never_asks_the_service_about_each_present_connection() -> None:
    """Liveness comes from the service's events and expiry: a room's size costs no calls."""
    _, realtime, members, events = setup()
    asked: list[str] = []

    def is_connected(connection_id: str) -> bool:
        asked.append(connection_id)
        return True

    realtime.is_connected = is_connected  # type: ignore[method-assign]
    for connection, user in (("a-1", ALICE), ("b-1", BOB), ("c-1", CAROL)):
        members.join(user, "doc-1", connection)
    members.leave(CAROL, "doc-1", "c-1")
    events.handle(Disconnected("b-1"))
    members.who(ALICE, "doc-1")

    assert asked == []


def test_a_join_that_races_a_disconnect_leaves_no_ghost() -> None:
    """The disconnect was handled between the join's owner check and its presence entry."""
    connections, _, members, _ = setup()
    owner_of = connections.owner

    def owner_then_disconnected(connection_id: str) -> Owner | None:
        owner = owner_of(connection_id)
        connections.forget(connection_id)  # the disconnect event, on another instance
        return owner

    connections.owner = owner_then_disconnected  # type: ignore[method-assign]

    with pytest.raises(ConnectionNotFound):
        members.join(BOB, "doc-1", "b-1")

    assert connections.present("doc-1") == []


def test_many_changes_at_once_are_announced_in_a_few_sends_covering_the_last() -> None:
    """While one announcement of a document is under way, changes only ask it to go again."""
    connections, realtime, members, _ = setup()
    users = [User(f"u-{n}", f"User {n}") for n in range(20)]
    for user in users:
        connections.own(f"{user.id}-c", user.id)
        realtime.connected.add(f"{user.id}-c")
    first_send = threading.Event()
    release = threading.Event()
    send = realtime.send_to_group

    def slow_send(group: str, target: str, argument: Any, excluded: Sequence[str] = ()) -> None:
        first_send.set()
        assert release.wait(5)
        send(group, target, argument, excluded)

    realtime.send_to_group = slow_send  # type: ignore[method-assign]
    with ThreadPoolExecutor(len(users)) as pool:
        leader = pool.submit(members.join, users[0], "doc-1", "u-0-c")
        assert first_send.wait(5)
        rest = [pool.submit(members.join, user, "doc-1", f"{user.id}-c") for user in users[1:]]
        for joined in rest:
            joined.result(5)  # each returned while the leader's send was held
        release.set()
        leader.result(5)

    announced = realtime.sent_events("presence")
    assert len(announced) == 2
    assert len(announced[-1]["users"]) == len(users)


def test_typing_is_one_group_send_past_the_typing_connection() -> None:
    """The user's other tabs hear it too and drop their own user's typing (the page does):
    excluding them would need a query per burst; this is one ~1 RU point read."""
    _, realtime, members, events = setup()
    members.join(ALICE, "doc-1", "a-1")
    members.join(ALICE, "doc-1", "a-2")
    members.join(BOB, "doc-1", "b-1")
    members.join(CAROL, "doc-2", "c-1")

    sent_before = len(realtime.sent)
    events.handle(ClientEvent("a-1", ALICE.id, "typing", ["doc-1"]))

    assert realtime.sent[sent_before:] == [
        (
            "document:doc-1",
            "typing",
            {"documentId": "doc-1", "user": {"id": "alice-id", "name": "Alice"}},
        )
    ]
    assert realtime.excluded[-1] == ["a-1"]


@pytest.mark.parametrize(
    "event",
    [
        ClientEvent("c-1", CAROL.id, "typing", ["doc-1"]),  # not joined to doc-1
        ClientEvent("a-1", BOB.id, "typing", ["doc-1"]),  # not the connection's user
        ClientEvent("a-1", ALICE.id, "typing", []),
        ClientEvent("a-1", ALICE.id, "typing", [{"documentId": "doc-1"}]),
        ClientEvent("a-1", ALICE.id, "typing", ["_connection:a-1"]),
    ],
)
def test_typing_from_anywhere_else_reaches_nobody(event: ClientEvent) -> None:
    _, realtime, members, events = setup()
    members.join(ALICE, "doc-1", "a-1")
    members.join(BOB, "doc-1", "b-1")

    events.handle(event)

    assert realtime.sent_events("typing") == []


def test_typing_too_often_is_dropped() -> None:
    _, realtime, members, events = setup()
    members.join(ALICE, "doc-1", "a-1")
    members.join(BOB, "doc-1", "b-1")

    for _ in range(5):
        events.handle(ClientEvent("a-1", ALICE.id, "typing", ["doc-1"]))

    assert len(realtime.sent_events("typing")) == 1


def test_an_anonymous_connection_is_nobodys() -> None:
    connections, _, _, events = setup()

    events.handle(Connected("anon", ""))

    assert connections.owner("anon") is None


class RevokedDuringJoin:
    """Access that admits the first check and refuses every later one: the user's membership
    is revoked while their join is between its check and its group add."""

    def __init__(self) -> None:
        self.checks = 0

    def allows(self, user: User, action: object, document_id: str) -> bool:
        self.checks += 1
        return self.checks == 1


@pytest.mark.parametrize("add", ["join", "watch"])
def test_a_join_or_watch_that_races_a_revocation_takes_the_connection_back_out(add: str) -> None:
    connections, realtime, _, _ = setup()
    members = MembershipService(RevokedDuringJoin(), realtime, connections, Announcer())

    with pytest.raises(Forbidden):
        getattr(members, add)(ALICE, "doc-1", "a-1")

    assert realtime.groups == {"document:doc-1": set()}
    assert connections.present("doc-1") == []
    assert connections.of_user("doc-1", ALICE.id) == []


def test_a_watching_connection_hears_the_document_without_being_present_or_announced() -> None:
    connections, realtime, members, _ = setup()

    members.watch(ALICE, "doc-1", "a-1")

    assert realtime.groups == {"document:doc-1": {"a-1"}}
    assert members.who(BOB, "doc-1") == []
    assert connections.present("doc-1") == []
    assert connections.of_user("doc-1", ALICE.id) == ["a-1"]  # what a revocation stops
    assert realtime.sent_events("presence") == []
    with pytest.raises(Forbidden):
        members.watch(BOB, "doc-1", "a-2")
    members.leave(ALICE, "doc-1", "a-1")
    assert realtime.groups == {"document:doc-1": set()}
    members.join(BOB, "doc-1", "b-1")
    members.watch(BOB, "doc-1", "b-1")  # joined already: stays present
    assert members.who(ALICE, "doc-1") == [BOB]


def test_a_failed_announcement_leaves_the_next_one_free_to_run() -> None:
    connections, realtime, members, _ = setup()
    members.join(ALICE, "doc-1", "a-1")
    announcer = Announcer()
    realtime.down = True
    with pytest.raises(RealtimeUnavailable):
        announcer.announce(connections, realtime, "doc-1")
    realtime.down = False

    announcer.announce(connections, realtime, "doc-1")

    assert realtime.sent_events("presence")[-1]["users"] == [{"id": "alice-id", "name": "Alice"}]


def test_joining_again_refreshes_the_entry_and_announces_nothing() -> None:
    """The page joins again every few minutes so that its entry does not expire; in a big
    room that must not cost an announcement each time."""
    _, realtime, members, _ = setup()
    members.join(ALICE, "doc-1", "a-1")
    announced = len(realtime.sent_events("presence"))

    members.join(ALICE, "doc-1", "a-1")

    assert len(realtime.sent_events("presence")) == announced
    assert realtime.groups == {"document:doc-1": {"a-1"}}
