"""The emulator's registry of connections, users and groups, with a clock the test controls."""

from __future__ import annotations

from dataclasses import dataclass

from devstack.emulator_core.registry import (
    MAX_PERMANENT_USER_GROUPS,
    PERMANENT_MEMBERSHIP_SECONDS,
    HubRegistry,
)


@dataclass(frozen=True)
class FakeConnection:
    connection_id: str
    user_id: str | None = None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ids(connections: list[FakeConnection]) -> set[str]:
    return {connection.connection_id for connection in connections}


def registry_with(
    *connections: FakeConnection, clock: Clock | None = None
) -> HubRegistry[FakeConnection]:
    registry: HubRegistry[FakeConnection] = HubRegistry(clock or Clock())
    for connection in connections:
        registry.add(connection)
    return registry


def test_connections_are_found_by_id_user_and_everyone_but_the_excluded() -> None:
    registry = registry_with(
        FakeConnection("a", "alice"), FakeConnection("b", "alice"), FakeConnection("c")
    )
    assert ids(registry.everyone()) == {"a", "b", "c"}
    assert ids(registry.everyone(excluded={"b"})) == {"a", "c"}
    assert ids(registry.of_user("alice")) == {"a", "b"}
    assert ids(registry.of_user("alice", excluded={"a"})) == {"b"}
    assert registry.of_user("Alice") == []
    assert registry.get("c") == FakeConnection("c")
    assert len(registry) == 3


def test_removing_a_connection_forgets_its_user_and_groups() -> None:
    registry = registry_with(FakeConnection("a", "alice"))
    registry.add_to_group("g", "a")
    assert registry.remove("a") == FakeConnection("a", "alice")
    assert not registry.has_user("alice")
    assert not registry.has_group("g")
    assert registry.remove("a") is None


def test_connection_membership_needs_a_connected_connection() -> None:
    registry = registry_with(FakeConnection("a"), FakeConnection("b"))
    assert registry.add_to_group("document:42", "a")
    assert not registry.add_to_group("document:42", "gone")
    assert ids(registry.in_group("document:42")) == {"a"}
    assert registry.remove_from_group("document:42", "a")
    assert not registry.remove_from_group("document:42", "gone")
    assert not registry.has_group("document:42")


def test_group_names_are_case_sensitive() -> None:
    registry = registry_with(FakeConnection("a"))
    registry.add_to_group("Group", "a")
    assert registry.has_group("Group")
    assert not registry.has_group("group")


def test_removing_a_connection_from_all_groups() -> None:
    registry = registry_with(FakeConnection("a"), FakeConnection("b"))
    for group in ("g1", "g2"):
        registry.add_to_group(group, "a")
        registry.add_to_group(group, "b")
    assert registry.remove_from_all_groups("a")
    assert ids(registry.in_group("g1")) == ids(registry.in_group("g2")) == {"b"}
    assert not registry.remove_from_all_groups("gone")


def test_a_user_in_a_group_brings_all_its_connections_present_and_future() -> None:
    registry = registry_with(FakeConnection("a", "alice"), FakeConnection("b"))
    registry.add_user_to_group("g", "alice")
    registry.add_to_group("g", "b")
    registry.add_to_group("g", "a")
    assert ids(registry.in_group("g")) == {"a", "b"}
    registry.add(FakeConnection("a2", "alice"))
    assert ids(registry.in_group("g")) == {"a", "a2", "b"}
    assert ids(registry.in_group("g", excluded={"a", "b"})) == {"a2"}


def test_a_user_membership_without_connections_is_not_a_group_with_connections() -> None:
    registry = registry_with()
    registry.add_user_to_group("g", "alice")
    assert registry.user_in_group("g", "alice")
    assert not registry.has_group("g")


def test_user_membership_expires_after_its_ttl() -> None:
    clock = Clock()
    registry = registry_with(FakeConnection("a", "alice"), clock=clock)
    registry.add_user_to_group("g", "alice", ttl=10)
    clock.now += 9.9
    assert registry.user_in_group("g", "alice")
    assert ids(registry.in_group("g")) == {"a"}
    clock.now += 0.1
    assert not registry.user_in_group("g", "alice")
    assert registry.in_group("g") == []


def test_a_zero_ttl_membership_is_already_over() -> None:
    registry = registry_with()
    registry.add_user_to_group("g", "alice", ttl=0)
    assert not registry.user_in_group("g", "alice")


def test_a_membership_without_ttl_lasts_a_year() -> None:
    clock = Clock()
    registry = registry_with(clock=clock)
    registry.add_user_to_group("g", "alice")
    clock.now += PERMANENT_MEMBERSHIP_SECONDS - 1
    assert registry.user_in_group("g", "alice")
    clock.now += 1
    assert not registry.user_in_group("g", "alice")


def test_only_the_latest_hundred_memberships_without_ttl_are_kept() -> None:
    registry = registry_with()
    registry.add_user_to_group("with-ttl", "alice", ttl=60)
    for number in range(MAX_PERMANENT_USER_GROUPS + 1):
        registry.add_user_to_group(f"g{number}", "alice")
    assert not registry.user_in_group("g0", "alice")
    assert registry.user_in_group("g1", "alice")
    assert registry.user_in_group(f"g{MAX_PERMANENT_USER_GROUPS}", "alice")
    assert registry.user_in_group("with-ttl", "alice")


def test_adding_a_membership_again_makes_it_the_latest() -> None:
    registry = registry_with()
    for number in range(MAX_PERMANENT_USER_GROUPS):
        registry.add_user_to_group(f"g{number}", "alice")
    registry.add_user_to_group("g0", "alice")
    registry.add_user_to_group("one more", "alice")
    assert registry.user_in_group("g0", "alice")
    assert not registry.user_in_group("g1", "alice")


def test_removing_user_memberships() -> None:
    registry = registry_with()
    for group in ("g1", "g2", "g3"):
        registry.add_user_to_group(group, "alice")
    registry.add_user_to_group("g1", "bob")
    registry.remove_user_from_group("g1", "alice")
    assert not registry.user_in_group("g1", "alice")
    assert registry.user_in_group("g1", "bob")
    registry.remove_user_from_all_groups("alice")
    assert not registry.user_in_group("g2", "alice")
    assert not registry.user_in_group("g3", "alice")
    registry.remove_user_from_group("g1", "nobody")
