"""Document members in the local Cosmos DB server: the member list comes in pages, and the
pages hold every member exactly once however many there are (issue 26, finding 6: the list
stopped at 1,000 without a continuation token, so member 1,001 stayed unseen)."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.cosmos import CosmosClient

from chat.access import Role
from chat.cosmos_container import CosmosContainer
from chat.cosmos_members import CosmosMemberships
from chat.inputs import MAX_MEMBERS_PAGE_SIZE
from devstack.cosmos import EMULATOR_KEY

_containers = itertools.count()


def memberships(cosmos_server: Any) -> CosmosMemberships:
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


def test_more_members_than_one_page_are_all_listed_once(cosmos_server: Any) -> None:
    members = memberships(cosmos_server)
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


def test_small_pages_walk_the_members_in_order(cosmos_server: Any) -> None:
    members = memberships(cosmos_server)
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
