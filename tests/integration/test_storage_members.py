"""Document members, in memory and in the local Cosmos DB server (the same contract): roles
are put, read and removed per document; the member list comes in pages, and the pages hold
every member exactly once however many there are (issue 26, finding 6: the list stopped at
1,000 without a continuation token, so member 1,001 stayed unseen)."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from azure.cosmos import CosmosClient

from chat.api.inputs import MAX_MEMBERS_PAGE_SIZE
from chat.app.access import Memberships, Role
from devstack.cosmos import EMULATOR_KEY
from storage.cosmos.container import CosmosContainer
from storage.cosmos.members import CosmosMemberships
from tests.fixtures.chat import InMemoryMemberships

_containers = itertools.count()


@pytest.fixture(params=["memory", "cosmos"])
def members(request: pytest.FixtureRequest) -> Memberships:
    if request.param == "memory":
        return InMemoryMemberships()
    return cosmos_memberships(request.getfixturevalue("cosmos_server"))


def cosmos_memberships(cosmos_server: Any) -> CosmosMemberships:
    """Members in a container of their own. The time budget is long: the test writes a
    thousand members at once on a shared machine, and its subject is paging, not outages."""
    name = f"members-{next(_containers)}"
    container = CosmosContainer(
        lambda: CosmosClient(cosmos_server.endpoint, EMULATOR_KEY),
        "docchat-members",
        name,
        can_create=True,
        budget=60,
    )
    return CosmosMemberships(container)


def test_a_role_is_put_read_changed_and_removed_in_its_document_only(
    members: Memberships,
) -> None:
    assert members.put("doc-1", "alice", Role.READER) is True
    assert members.put("doc-1", "alice", Role.WRITER) is False

    assert members.role("doc-1", "alice") is Role.WRITER
    assert members.role("doc-2", "alice") is None
    assert members.remove("doc-1", "alice") is True
    assert members.remove("doc-1", "alice") is False
    assert members.role("doc-1", "alice") is None


def test_more_members_than_one_page_are_all_listed_once(members: Memberships) -> None:
    users = [f"user-{n:04d}" for n in range(MAX_MEMBERS_PAGE_SIZE + 1)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda user: members.put("doc-1", user, Role.READER), users))
    members.put("doc-2", "elsewhere", Role.WRITER)

    first = members.members("doc-1", MAX_MEMBERS_PAGE_SIZE, None)
    assert len(first.members) == MAX_MEMBERS_PAGE_SIZE
    assert first.next_after is not None
    second = members.members("doc-1", MAX_MEMBERS_PAGE_SIZE, first.next_after)

    assert second.next_after is None
    listed = [user for user, _ in first.members + second.members]
    assert sorted(listed) == users


def test_small_pages_walk_the_members_in_order(members: Memberships) -> None:
    for n in range(5):
        members.put("doc-1", f"u{n}", Role.WRITER if n % 2 else Role.READER)

    seen: list[tuple[str, Role]] = []
    after: str | None = None
    pages = 0
    while True:
        page = members.members("doc-1", 2, after)
        seen += page.members
        pages += 1
        if page.next_after is None:
            break
        after = page.next_after

    assert pages == 3
    assert sorted(seen) == [(f"u{n}", Role.WRITER if n % 2 else Role.READER) for n in range(5)]
