"""The message store's thread contract, held against the local Cosmos DB server and the
in-memory fake: a reply is a message of its document with its own seq, its root's summary
changes in the same atomic write (so a count is exact under concurrent writers and group
commit), the timeline holds roots only, and a thread and the thread list read in their
orders."""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from chat.app.store import MessageStore
from chat.domain.changes import deleted
from chat.domain.errors import MessageNotFound
from chat.domain.messages import Listing, Message
from chat.domain.threads import resolution
from chat.domain.users import User
from devstack.cosmos import CosmosServer
from tests.fixtures.waiting import eventually
from tests.integration.test_storage_store import (
    cosmos_settings,
    held_store,
    message,
    open_store,
    seqs,
    store,
)

__all__ = ["store"]  # the contract's fixture: each test runs on both stores

ALICE = User("alice-id", "Alice")


def reply(n: int, root: str, *, sender: str = "bob-id", document_id: str = "doc-1") -> Message:
    return dataclasses.replace(
        message(n, document_id=document_id),
        sender_id=sender,
        sender_name=sender.removesuffix("-id").title(),
        thread_id=root,
    )


def replied(store: MessageStore, n: int, root: str, **options: str) -> tuple[Message, Message]:
    written = store.append_with_root(reply(n, root, **options))
    assert written is not None
    placed, changed_root = written
    assert changed_root is not None
    return placed, changed_root


def test_a_reply_takes_the_next_seq_and_its_root_the_next_position_in_one_write(
    store: MessageStore,
) -> None:
    store.append(message(1))
    store.append(message(2))

    placed, root = replied(store, 3, "m001")

    assert (placed.seq, placed.position, placed.thread_id) == (3, 3, "m001")
    assert (root.id, root.seq, root.position) == ("m001", 1, 4)
    assert root.thread is not None
    assert (root.thread.reply_count, root.thread.last_reply_at) == (1, placed.created_at)
    assert root.thread.participants == (("bob-id", "Bob"),)
    assert store.get("doc-1", "m001") == root
    assert [m.id for m in store.after("doc-1", 2, 10)] == ["m003", "m001"]
    assert store.latest_seq("doc-1") == 3
    nxt = store.append(message(4))
    assert nxt is not None
    assert (nxt.seq, nxt.position) == (4, 5)


def test_participants_are_the_last_five_repliers_most_recent_first(store: MessageStore) -> None:
    store.append(message(1))
    for n, sender in enumerate(["a", "b", "c", "a", "d", "e", "f"], start=2):
        _, root = replied(store, n, "m001", sender=f"{sender}-id")

    assert root.thread is not None
    assert root.thread.reply_count == 7
    assert [p[0] for p in root.thread.participants] == ["f-id", "e-id", "d-id", "a-id", "c-id"]


def test_the_timeline_holds_roots_only_and_a_thread_its_replies_in_order(
    store: MessageStore,
) -> None:
    for n in (1, 2):
        store.append(message(n))
    for n in range(3, 9):
        replied(store, n, "m001" if n % 2 else "m002")
    store.append(message(9))
    store.append(message(10, document_id="doc-2"))

    assert [m.id for m in store.newest_first("doc-1", 10, None)] == ["m009", "m002", "m001"]
    assert [m.id for m in store.newest_first("doc-1", 2, 9)] == ["m002", "m001"]
    assert seqs(store.replies("doc-1", "m001", 10, 0)) == [3, 5, 7]
    assert seqs(store.replies("doc-1", "m001", 1, 3)) == [5]
    assert store.replies("doc-1", "m009", 10, 0) == []
    assert store.replies("doc-2", "m001", 10, 0) == []


def test_a_reply_to_a_root_that_is_not_stored_stores_nothing(store: MessageStore) -> None:
    store.append(message(1))

    with pytest.raises(MessageNotFound):
        store.append_with_root(reply(2, "m404"))

    assert store.get("doc-1", "m002") is None
    assert store.latest_seq("doc-1") == 1
    assert [m.id for m in store.after("doc-1", 0, 10)] == ["m001"]


def test_deleting_a_reply_lowers_the_count_once_in_the_same_write(store: MessageStore) -> None:
    store.append(message(1))
    replied(store, 2, "m001")
    replied(store, 3, "m001")
    bob = User("bob-id", "Bob")

    written = store.change_with_root("doc-1", "m002", lambda m: deleted(m, bob), actor=bob)
    again = store.change_with_root("doc-1", "m002", lambda m: deleted(m, bob), actor=bob)

    assert written is not None
    tombstone, root = written
    assert root is not None
    assert root.thread is not None
    assert tombstone.deleted
    assert (tombstone.position, root.position, root.thread.reply_count) == (6, 7, 1)
    assert again is not None
    assert again[1] is None  # nothing changed, nothing written
    assert store.get("doc-1", "m001") == root
    assert [m.id for m in store.after("doc-1", 5, 10)] == ["m002", "m001"]


def test_the_thread_list_is_listed_roots_by_latest_change_with_filters(
    store: MessageStore,
) -> None:
    store.append(dataclasses.replace(message(1), anchor={"kind": "text", "from": 1, "to": 2}))
    store.append(message(2))
    store.append(message(3))
    replied(store, 4, "m003")
    store.change(
        "doc-1",
        "m002",
        lambda m: resolution(m, ALICE, True, "2026-11-22T11:18:00.000Z"),
        actor=ALICE,
    )
    everything = Listing.matching(None, None)

    listed = store.threads("doc-1", everything, 10, None)

    assert [m.id for m in listed] == ["m002", "m003", "m001"]
    assert [m.id for m in store.threads("doc-1", everything, 1, listed[0].position)] == ["m003"]
    assert [m.id for m in store.threads("doc-1", Listing.matching(True, None), 10, None)] == [
        "m002"
    ]
    assert [m.id for m in store.threads("doc-1", Listing.matching(False, None), 10, None)] == [
        "m003",
        "m001",
    ]
    assert [m.id for m in store.threads("doc-1", Listing.matching(None, True), 10, None)] == [
        "m001"
    ]
    assert store.threads("doc-1", Listing.matching(True, True), 10, None) == []


def test_twenty_concurrent_replies_in_two_stores_count_exactly_twenty(
    cosmos_server: CosmosServer,
) -> None:
    """Two processes' stores, 20 replies at once to one root: each store merges the replies
    waiting in its lane into one replace of the root, and the root's ETag makes the other
    store's batch read it again."""
    settings = cosmos_settings(cosmos_server.endpoint)
    stores = [open_store(settings), open_store(settings)]
    stores[0].append(message(1))

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(
            pool.map(lambda n: stores[n % 2].append_with_root(reply(n, "m001")), range(2, 22))
        )

    assert all(answer is not None for answer in answers)
    root = stores[1].get("doc-1", "m001")
    assert root is not None
    assert root.thread is not None
    assert root.thread.reply_count == 20
    everything = stores[0].after("doc-1", 0, 100)
    assert sorted(m.seq for m in everything) == list(range(1, 22))
    positions = [m.position for m in everything]
    assert positions == sorted(set(positions))


def test_replies_to_one_root_waiting_together_share_one_batch_and_one_root_write(
    cosmos_server: CosmosServer,
) -> None:
    store, held = held_store(cosmos_settings(cosmos_server.endpoint))
    store.append(message(1))
    store.append(message(2))
    held.gate.clear()
    held.sizes.clear()

    with ThreadPoolExecutor(max_workers=14) as pool:
        first = pool.submit(store.append, message(900))
        eventually(lambda: held.sizes, until=bool, what="the first batch to be sent")
        waiting: list[Future[tuple[Message, Message | None] | None]] = [
            pool.submit(store.append_with_root, reply(n, "m001" if n < 12 else "m002"))
            for n in range(3, 14)
        ]
        edit = pool.submit(
            store.change, "doc-1", "m001", lambda m: dataclasses.replace(m, text="x"), actor=ALICE
        )
        eventually(
            lambda: store.waiting("doc-1"),
            until=lambda count: count == 12,
            what="the replies and the root's edit to wait",
        )
        held.gate.set()
        assert first.result() is not None
        answers = [answer.result() for answer in waiting]
        assert edit.result() is not None

    # The replies and their two roots in one batch (the head aside); the edit of a root
    # they change waits for the next, where its ETag is stale (412), so it is made again
    # on the root the replies left.
    assert held.sizes[1:] == [11 + 2, 1, 1]
    roots = {answer[1].id: answer[1] for answer in answers if answer and answer[1]}
    assert roots["m001"].thread.reply_count == 9  # type: ignore[union-attr]
    stored = store.get("doc-1", "m001")
    assert stored is not None
    assert stored.thread is not None
    assert (stored.text, stored.thread.reply_count) == ("x", 9)
    assert store.get("doc-1", "m002").thread.reply_count == 2  # type: ignore[union-attr]
    everything = store.after("doc-1", 0, 100)
    assert sorted(m.seq for m in everything) == list(range(1, 15))
    positions = [m.position for m in everything]
    assert positions == sorted(set(positions))


def test_a_reply_and_an_edit_of_its_root_from_another_process_both_hold(
    cosmos_server: CosmosServer,
) -> None:
    """The other process edits the root between this one's read of the root and its batch:
    the root's ETag fails the batch, which reads the root again and keeps the edit."""
    settings = cosmos_settings(cosmos_server.endpoint)
    other = open_store(settings)
    store, held = held_store(settings)
    store.append(message(1))
    held.before = lambda: (
        other.change("doc-1", "m001", lambda m: dataclasses.replace(m, text="edited"), actor=ALICE)
        if held.sizes == [2]  # the reply and its root: its first try only
        else None
    )
    held.sizes.clear()

    placed = store.append_with_root(reply(2, "m001"))

    assert held.sizes == [2, 2]
    assert placed is not None
    root = store.get("doc-1", "m001")
    assert root is not None
    assert root.thread is not None
    assert (root.text, root.thread.reply_count) == ("edited", 1)
