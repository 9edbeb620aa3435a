"""Connection ownership, presence and typing as use cases, on in-memory fakes: who may join
with a connection, who the document shows, how a lost disconnect converges, and who hears
that someone is typing."""

from __future__ import annotations

import pytest

from chat.access import AllowAll
from chat.errors import ConnectionNotYetKnown, Forbidden
from chat.events import ClientEvent, Connected, Disconnected, EventService
from chat.identity import User
from chat.ratelimit import PostingRate
from chat.service import MembershipService
from tests.fixtures.chat import ALICE, BOB, InMemoryConnections, RecordingRealtime

CAROL = User("carol-id", "Carol")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def setup() -> tuple[InMemoryConnections, RecordingRealtime, MembershipService, EventService]:
    connections = InMemoryConnections()
    realtime = RecordingRealtime(connected={"a-1", "a-2", "b-1", "c-1"})
    clock = FakeClock()
    members = MembershipService(AllowAll(), realtime, connections, clock=clock, sleep=clock.sleep)
    events = EventService(connections, realtime, PostingRate(30, burst=1, clock=clock))
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


def test_a_join_before_the_connected_event_waits_for_it_then_asks_for_a_retry() -> None:
    connections, realtime, members, _ = setup()
    realtime.connected.add("new")

    with pytest.raises(ConnectionNotYetKnown) as raised:
        members.join(ALICE, "doc-1", "new")

    assert raised.value.status == 503
    assert realtime.groups == {}
    connections.own("new", ALICE.id)
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


def test_a_lost_disconnect_converges_on_the_next_look() -> None:
    """The service promises no disconnect event; it does answer whether a connection is."""
    _, realtime, members, _ = setup()
    members.join(ALICE, "doc-1", "a-1")
    members.join(BOB, "doc-1", "b-1")

    realtime.connected.discard("b-1")  # gone, and no event said so

    assert members.who(ALICE, "doc-1") == [ALICE]


def test_typing_reaches_the_documents_other_users_only() -> None:
    _, realtime, members, events = setup()
    members.join(ALICE, "doc-1", "a-1")
    members.join(ALICE, "doc-1", "a-2")
    members.join(BOB, "doc-1", "b-1")
    members.join(CAROL, "doc-2", "c-1")

    events.handle(ClientEvent("a-1", ALICE.id, "typing", ["doc-1"]))

    assert realtime.to_connections == [
        (["b-1"], "typing", {"documentId": "doc-1", "user": {"id": "alice-id", "name": "Alice"}})
    ]


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

    assert realtime.to_connections == []


def test_typing_too_often_is_dropped() -> None:
    _, realtime, members, events = setup()
    members.join(ALICE, "doc-1", "a-1")
    members.join(BOB, "doc-1", "b-1")

    for _ in range(5):
        events.handle(ClientEvent("a-1", ALICE.id, "typing", ["doc-1"]))

    assert len(realtime.to_connections) == 1


def test_an_anonymous_connection_is_nobodys() -> None:
    connections, _, _, events = setup()

    events.handle(Connected("anon", ""))

    assert connections.owner("anon") is None
