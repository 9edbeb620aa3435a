"""Who may see which document: roles, the members policy (uncached), member
administration, and the posting rate (pure logic, on in-memory fakes)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from chat.api.failures import answer
from chat.app.access import Action, MembersOnly, Role
from chat.app.presence import Announcer
from chat.app.service import MemberAdmin
from chat.domain.errors import MembersNotEnabled, RateLimited, RevocationIncomplete
from chat.domain.ratelimit import PostingRate
from tests.fixtures.chat import ALICE, InMemoryConnections, InMemoryMemberships, RecordingRealtime


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        (Role.READER, Action.JOIN, True),
        (Role.READER, Action.READ, True),
        (Role.READER, Action.POST, False),
        (Role.WRITER, Action.POST, True),
    ],
)
def test_readers_join_and_read_and_writers_also_post(
    role: Role, action: Action, allowed: bool
) -> None:
    memberships = InMemoryMemberships()
    memberships.put("doc-1", ALICE.id, role)

    assert MembersOnly(memberships).allows(ALICE, action, "doc-1") is allowed


def test_a_non_member_may_do_nothing() -> None:
    policy = MembersOnly(InMemoryMemberships())

    assert not any(policy.allows(ALICE, action, "doc-1") for action in Action)


def test_every_check_reads_the_role_afresh_so_a_revocation_elsewhere_counts_at_once() -> None:
    memberships = InMemoryMemberships()
    memberships.put("doc-1", ALICE.id, Role.WRITER)
    policy = MembersOnly(memberships)

    assert policy.allows(ALICE, Action.POST, "doc-1")
    memberships.remove("doc-1", ALICE.id)  # by another instance

    assert not policy.allows(ALICE, Action.POST, "doc-1")
    assert memberships.reads == 2


class HeldReads(InMemoryMemberships):
    """Role reads that answer what they read, then wait to return until ``release``."""

    def __init__(self) -> None:
        super().__init__()
        self.read_done = threading.Event()
        self.release = threading.Event()

    def role(self, document_id: str, user_id: str) -> Role | None:
        role = super().role(document_id, user_id)
        self.read_done.set()
        assert self.release.wait(5)
        return role


def test_a_read_in_flight_during_a_revocation_does_not_bring_the_role_back() -> None:
    """The race of issue 18: a role read before the revocation, returning after it, must not
    be remembered as the user's role."""
    memberships = HeldReads()
    memberships.put("doc-1", ALICE.id, Role.WRITER)
    policy = MembersOnly(memberships)
    members = MemberAdmin(memberships, policy, InMemoryConnections(), Announcer())
    with ThreadPoolExecutor(1) as other_request:
        in_flight = other_request.submit(policy.allows, ALICE, Action.POST, "doc-1")
        assert memberships.read_done.wait(5)
        members.remove("doc-1", ALICE.id, RecordingRealtime())
        memberships.release.set()
        assert in_flight.result(5)  # it was decided before the revocation

    assert not policy.allows(ALICE, Action.POST, "doc-1")


def admin(memberships: InMemoryMemberships) -> tuple[MemberAdmin, MembersOnly]:
    policy = MembersOnly(memberships)
    return MemberAdmin(memberships, policy, InMemoryConnections(), Announcer()), policy


def test_a_revocation_here_counts_at_once_and_the_users_connections_stop_hearing() -> None:
    memberships, realtime = InMemoryMemberships(), RecordingRealtime()
    members, policy = admin(memberships)
    assert members.put("doc-1", ALICE.id, Role.WRITER)
    assert policy.allows(ALICE, Action.READ, "doc-1")

    members.remove("doc-1", ALICE.id, realtime)

    assert not policy.allows(ALICE, Action.READ, "doc-1")
    assert realtime.stopped_users == [("document:doc-1", ALICE.id)]


def test_a_revocation_the_service_fails_is_kept_reported_as_such_and_safe_to_repeat() -> None:
    memberships, realtime = InMemoryMemberships(), RecordingRealtime(down=True)
    members, policy = admin(memberships)
    members.put("doc-1", ALICE.id, Role.WRITER)

    with pytest.raises(RevocationIncomplete) as raised:
        members.remove("doc-1", ALICE.id, realtime)

    assert answer(raised.value).status == 503
    assert answer(raised.value).body["error"]["code"] == "revocation_incomplete"
    assert answer(raised.value).body["error"]["removed"] is True
    assert dict(answer(raised.value).headers) == {"Retry-After": "7"}
    assert not policy.allows(ALICE, Action.READ, "doc-1")
    realtime.down = False
    members.remove("doc-1", ALICE.id, realtime)  # the retry: no member item is left
    assert realtime.stopped_users == [("document:doc-1", ALICE.id)]


def test_a_role_change_counts_at_once_and_putting_again_is_not_new() -> None:
    memberships = InMemoryMemberships()
    members, policy = admin(memberships)
    members.put("doc-1", ALICE.id, Role.WRITER)
    assert policy.allows(ALICE, Action.POST, "doc-1")

    assert not members.put("doc-1", ALICE.id, Role.READER)

    assert not policy.allows(ALICE, Action.POST, "doc-1")
    assert members.members("doc-1", 10).members == [(ALICE.id, Role.READER)]


def test_in_open_mode_members_cannot_be_managed() -> None:
    members = MemberAdmin(InMemoryMemberships(), None, InMemoryConnections(), Announcer())

    with pytest.raises(MembersNotEnabled):
        members.put("doc-1", ALICE.id, Role.READER)
    with pytest.raises(MembersNotEnabled):
        members.members("doc-1", 10)


def test_a_user_may_post_a_burst_then_at_the_steady_rate() -> None:
    clock = FakeClock()
    rate = PostingRate(per_minute=60, burst=3, clock=clock)
    for _ in range(3):
        rate.take("alice")

    with pytest.raises(RateLimited) as raised:
        rate.take("alice")

    assert dict(answer(raised.value).headers) == {"Retry-After": "1"}
    rate.take("bob")
    clock.now += 1.0
    rate.take("alice")


def test_a_refused_post_spends_nothing() -> None:
    clock = FakeClock()
    rate = PostingRate(per_minute=60, burst=1, clock=clock)
    rate.take("alice")
    for _ in range(5):
        with pytest.raises(RateLimited):
            rate.take("alice")

    clock.now += 1.0
    rate.take("alice")


def test_a_rate_of_zero_means_no_limit() -> None:
    rate = PostingRate(per_minute=0, burst=1)

    for _ in range(100):
        rate.take("alice")
