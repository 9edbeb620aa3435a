"""The outbox contract (chat.app.outbox): a committed write leaves what it made happen
beside it, named by a visible queue message; a write that surely failed leaves neither; a
write whose outcome is unknown leaves its queue message hidden, to show itself later. Held
against the local Cosmos DB server and the in-memory twin; the queue is the in-memory
twin of chat.app.queues (the Azure Storage adapter has its own tests against Azurite)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from chat.app.outbox import OUTBOX_ID_PREFIX, Outbox
from chat.app.queues import Ticket
from chat.app.store import MessageStore
from chat.domain.errors import StoreOutcomeUnknown, StoreUnavailable
from chat.domain.happenings import (
    MESSAGE_CREATED,
    MESSAGE_DELETED,
    MESSAGE_UPDATED,
    THREAD_RESOLVED,
    Happening,
)
from chat.domain.messages import Message
from chat.domain.threads import resolution
from devstack.cosmos import CosmosServer
from storage.cosmos.container import open_container
from storage.cosmos.outbox import CosmosOutbox
from storage.cosmos.store import CosmosMessageStore
from tests.fixtures.chat import ALICE, BOB, InMemoryMessageStore, MemoryQueue
from tests.fixtures.waiting import eventually
from tests.integration.test_storage_store import (
    _stalled,
    appended_while_one_batch_is_held,
    cosmos_settings,
    held_store,
    message,
)
from tests.integration.test_storage_store import own_cosmos_server as own_cosmos_server

Stores = tuple[MessageStore, Outbox, MemoryQueue]


@pytest.fixture(params=["memory", "cosmos"])
def stores(request: pytest.FixtureRequest) -> Iterator[Stores]:
    queue = MemoryQueue()
    if request.param == "memory":
        memory = InMemoryMessageStore(outbox_queue=queue)
        yield memory, memory, queue
        return
    server = request.getfixturevalue("cosmos_server")
    container = open_container(cosmos_settings(server.endpoint))
    yield CosmosMessageStore(container, outbox=queue), CosmosOutbox(container), queue


def pending(outbox: Outbox, queue: MemoryQueue) -> list[Happening]:
    """Every happening the visible queue messages name, in queue order."""
    found: list[Happening] = []
    for body in queue.visible():
        happenings = outbox.pending(body["documentId"], body["outboxId"])
        assert happenings is not None, "a visible message names an outbox that is not there"
        found += happenings
    return found


def test_a_committed_message_leaves_its_creation_in_an_outbox_a_visible_message_names(
    stores: Stores,
) -> None:
    store, outbox, queue = stores

    store.append(dataclasses.replace(message(1), mentions=("bob-id",)))

    [body] = queue.visible()
    assert body["documentId"] == "doc-1"
    assert body["outboxId"].startswith(OUTBOX_ID_PREFIX)
    assert queue.hidden() == []
    assert outbox.pending("doc-1", body["outboxId"]) == [
        Happening(MESSAGE_CREATED, "doc-1", "m001", ALICE, ("bob-id",), f"{body['outboxId']}.0")
    ]


def test_each_change_says_what_it_was_by_whom_and_only_the_mentions_it_added(
    stores: Stores,
) -> None:
    store, outbox, queue = stores
    store.append(dataclasses.replace(message(1), mentions=("bob-id",)))

    def mention(m: Message) -> Message:
        return dataclasses.replace(m, text="hi @Carol", mentions=("bob-id", "carol-id"))

    store.change("doc-1", "m001", mention, actor=ALICE)
    store.change(
        "doc-1",
        "m001",
        lambda m: dataclasses.replace(m, reactions=(("👍", ("bob-id",)),)),
        actor=BOB,
    )
    store.change(
        "doc-1", "m001", lambda m: resolution(m, BOB, True, "2026-11-22T11:18:00.000Z"), actor=BOB
    )
    store.change(
        "doc-1", "m001", lambda m: dataclasses.replace(m, deleted=True, text=""), actor=BOB
    )

    kinds = [(h.kind, h.actor, h.mentions_added) for h in pending(outbox, queue)]
    assert kinds == [
        (MESSAGE_CREATED, ALICE, ("bob-id",)),
        (MESSAGE_UPDATED, ALICE, ("carol-id",)),
        (MESSAGE_UPDATED, BOB, ()),
        (THREAD_RESOLVED, BOB, ()),
        (MESSAGE_DELETED, BOB, ()),
    ]


def test_a_settled_outbox_is_gone_and_settling_it_again_is_fine(stores: Stores) -> None:
    store, outbox, queue = stores
    store.append(message(1))
    [body] = queue.visible()

    outbox.settle("doc-1", body["outboxId"])
    outbox.settle("doc-1", body["outboxId"])

    assert outbox.pending("doc-1", body["outboxId"]) is None


def test_an_id_that_names_no_outbox_finds_none(stores: Stores) -> None:
    store, outbox, _ = stores
    store.append(message(1))

    assert outbox.pending("doc-1", "m001") is None
    assert outbox.pending("doc-1", f"{OUTBOX_ID_PREFIX}nothing") is None


def test_a_retry_of_a_stored_message_leaves_no_second_outbox(stores: Stores) -> None:
    """The retry's batch fails on the taken id (409): its queue message is taken back."""
    store, outbox, queue = stores
    store.append(message(1))

    assert store.append(message(1)) is None

    assert len(queue.messages) == 1
    assert [h.message_id for h in pending(outbox, queue)] == ["m001"]


# What only the Cosmos DB store has: batches, and their failures --------------------------


def test_a_batch_of_waiting_writes_leaves_one_outbox_listing_them_in_order(
    cosmos_server: CosmosServer,
) -> None:
    queue = MemoryQueue()
    store, held = held_store(cosmos_settings(cosmos_server.endpoint), outbox=queue)

    placed = appended_while_one_batch_is_held(store, held, [message(n) for n in range(1, 31)])

    assert held.sizes == [2, 31]  # each batch: its writes and the outbox item
    outbox = CosmosOutbox(store._container)
    first, second = queue.visible()
    assert [h.message_id for h in outbox.pending("doc-1", first["outboxId"]) or []] == ["m900"]
    batched = outbox.pending("doc-1", second["outboxId"]) or []
    in_seq_order = sorted((m for m in placed if m is not None), key=lambda m: m.seq)
    assert [h.message_id for h in batched] == [m.id for m in in_seq_order]
    assert len(batched) == 30
    assert [h.id for h in batched] == [f"{second['outboxId']}.{n}" for n in range(30)]


def test_a_batch_takes_98_writes_beside_the_outbox_item_and_the_head(
    cosmos_server: CosmosServer,
) -> None:
    store, held = held_store(cosmos_settings(cosmos_server.endpoint), outbox=MemoryQueue())

    appended_while_one_batch_is_held(store, held, [message(n) for n in range(1, 121)])

    assert held.sizes == [2, 99, 23]


def test_with_the_queue_down_nothing_is_stored(stores: Stores) -> None:
    """The queue message goes first: without it no write is sent, so none can commit
    without its work, and the caller hears "not stored"."""
    store, _, queue = stores
    queue.down = True

    with pytest.raises(StoreUnavailable) as refused:
        store.append(message(1))

    assert not isinstance(refused.value, StoreOutcomeUnknown)

    queue.down = False
    assert store.get("doc-1", "m001") is None
    assert store.latest_seq("doc-1") == 0


def test_a_write_whose_outcome_is_unknown_leaves_its_message_hidden_to_show_itself(
    own_cosmos_server: CosmosServer,
) -> None:
    """As a process that dies between the commit and the reveal: the batch commits after
    its answer was given up on, and the message, hidden meanwhile, names its outbox."""
    queue = MemoryQueue()
    container = open_container(cosmos_settings(own_cosmos_server.endpoint))
    container.budget = 1.0
    store = CosmosMessageStore(container, outbox=queue)
    store.append(message(1))
    resume = _stalled(own_cosmos_server)
    try:
        with pytest.raises(StoreOutcomeUnknown):
            store.append(message(2))
    finally:
        resume()

    [hidden] = queue.hidden()
    assert len(queue.visible()) == 1
    queue.expire_hiding()
    outbox = CosmosOutbox(container)
    landed = eventually_pending(outbox, hidden)
    assert [h.message_id for h in landed] == ["m002"]


def eventually_pending(outbox: Outbox, body: dict[str, Any]) -> list[Happening]:
    found = eventually(
        lambda: outbox.pending(body["documentId"], body["outboxId"]),
        retrying_on=(StoreUnavailable,),
        until=lambda happenings: happenings is not None,
        what="the stalled batch and its outbox to commit once the server went on",
    )
    assert found is not None
    return found


class SlowQueue(MemoryQueue):
    """A queue that answers a put only after ``delay`` seconds: Azurite or Azure Storage
    under load."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def put(self, body: Mapping[str, Any], *, hidden_for: float = 0.0) -> Ticket:
        time.sleep(self.delay)  # the fault itself, not a wait for a condition
        return super().put(body, hidden_for=hidden_for)


def test_a_queue_that_takes_the_batch_time_leaves_the_write_unsent_and_surely_unstored(
    cosmos_server: CosmosServer,
) -> None:
    """A batch sent with no time left would only turn "not stored" into "unknown"."""
    container = open_container(cosmos_settings(cosmos_server.endpoint))
    container.budget = 0.3
    queue = SlowQueue(delay=0.4)
    store = CosmosMessageStore(container, outbox=queue)

    with pytest.raises(StoreUnavailable) as refused:
        store.append(message(1))

    assert not isinstance(refused.value, StoreOutcomeUnknown)
    assert queue.messages == {}
    assert store.get("doc-1", "m001") is None
