"""The message store contract, held against the local Cosmos DB server and the in-memory
fake the unit tests use (so the fake stays honest), plus what only Cosmos DB has: its
container, its indexing policy, the per-document sequence under concurrent writers in
several processes' worth of stores, and its failures."""

from __future__ import annotations

import collections
import itertools
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from azure.cosmos import CosmosClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.api.failures import answer
from chat.app.store import MessageStore
from chat.domain.errors import DocumentBusy, StoreOutcomeUnknown, StoreUnavailable
from chat.domain.messages import Message, message_id_problem
from devstack.cosmos import EMULATOR_KEY, CosmosServer, start_cosmos_server
from storage.cosmos.container import (
    INDEXING_POLICY,
    REQUEST_BUDGET_SECONDS,
    CosmosContainer,
    open_container,
)
from storage.cosmos.settings import CosmosSettings
from storage.cosmos.store import ANSWER_GRACE_SECONDS, HEAD_ID, CosmosMessageStore
from tests.fixtures.chat import ALICE, InMemoryMessageStore
from tests.fixtures.waiting import eventually

_containers = itertools.count()


def cosmos_settings(endpoint: str) -> CosmosSettings:
    return CosmosSettings(
        endpoint=endpoint,
        key=EMULATOR_KEY,
        container=f"store-contract-{next(_containers)}",
    )


def open_store(settings: CosmosSettings) -> CosmosMessageStore:
    """A store as one app process has it: its own client and container."""
    return CosmosMessageStore(open_container(settings))


@pytest.fixture(params=["memory", "cosmos"])
def store(request: pytest.FixtureRequest) -> MessageStore:
    if request.param == "memory":
        return InMemoryMessageStore()
    cosmos_server = request.getfixturevalue("cosmos_server")
    return open_store(cosmos_settings(cosmos_server.endpoint))


def message(n: int, *, document_id: str = "doc-1") -> Message:
    return Message(
        id=f"m{n:03d}",
        document_id=document_id,
        sender_id="alice-id",
        sender_name="Alice",
        text=f"text {n}",
        created_at=f"2026-11-22T11:17:{n // 1000:02d}.{n % 1000:03d}Z",
    )


def seqs(messages: list[Message]) -> list[int]:
    return [m.seq for m in messages]


def test_each_document_numbers_its_messages_from_one_without_gaps(store: MessageStore) -> None:
    first = store.append(message(1))
    second = store.append(message(2))
    other = store.append(message(3, document_id="doc-2"))

    assert first is not None
    assert (first.seq, first.position) == (1, 1)
    assert second is not None
    assert (second.seq, second.position) == (2, 2)
    assert other is not None
    assert other.seq == 1
    assert store.get("doc-1", "m002") == second


def test_a_message_id_is_stored_once_per_document(store: MessageStore) -> None:
    stored = store.append(message(1))

    assert store.append(message(1)) is None
    assert store.append(message(2)) is not None
    assert store.get("doc-1", "m001") == stored
    assert store.get("doc-1", "m999") is None
    assert store.get("doc-3", "m001") is None


def test_newest_first_pages_back_by_seq_in_one_document_only(store: MessageStore) -> None:
    for n in range(1, 8):
        store.append(message(n))
    store.append(message(99, document_id="doc-2"))

    assert seqs(store.newest_first("doc-1", 3, None)) == [7, 6, 5]
    assert seqs(store.newest_first("doc-1", 3, 5)) == [4, 3, 2]
    assert seqs(store.newest_first("doc-1", 3, 2)) == [1]
    assert store.newest_first("doc-9", 3, None) == []


def test_after_a_position_returns_exactly_what_follows_in_order(store: MessageStore) -> None:
    for n in range(1, 6):
        store.append(message(n))
    store.append(message(7, document_id="doc-2"))

    assert [m.id for m in store.after("doc-1", 2, 10)] == ["m003", "m004", "m005"]
    assert [m.id for m in store.after("doc-1", 0, 2)] == ["m001", "m002"]
    assert store.after("doc-1", 5, 10) == []


def test_the_head_item_is_never_read_as_a_message(cosmos_server: CosmosServer) -> None:
    store = open_store(cosmos_settings(cosmos_server.endpoint))
    store.append(message(1))

    assert [m.id for m in store.newest_first("doc-1", 10, None)] == ["m001"]
    assert [m.id for m in store.after("doc-1", 0, 10)] == ["m001"]
    assert HEAD_ID.startswith("_")


def test_the_container_is_created_with_its_partition_key_and_indexing_policy(
    cosmos_server: CosmosServer,
) -> None:
    settings = cosmos_settings(cosmos_server.endpoint)

    open_store(settings).get("doc-1", "m001")

    container = (
        CosmosClient(cosmos_server.endpoint, EMULATOR_KEY)
        .get_database_client(settings.database)
        .get_container_client(settings.container)
        .read()
    )
    assert container["partitionKey"]["paths"] == ["/documentId"]
    policy = container["indexingPolicy"]
    assert policy["includedPaths"] == INDEXING_POLICY["includedPaths"]
    assert policy["excludedPaths"] == INDEXING_POLICY["excludedPaths"]


def test_stores_in_several_processes_continue_one_sequence(cosmos_server: CosmosServer) -> None:
    """Each store stands for one host process: it remembers the head it wrote last, which
    the other one's appends make stale; the ETag check catches that (412) and it retries."""
    settings = cosmos_settings(cosmos_server.endpoint)
    one, two = open_store(settings), open_store(settings)

    placed = [one.append(message(1)), two.append(message(2)), one.append(message(3))]

    assert [m.seq for m in placed if m is not None] == [1, 2, 3]
    assert two.append(message(1)) is None


def test_concurrent_writers_in_two_stores_leave_no_gap_and_no_repeat(
    cosmos_server: CosmosServer,
) -> None:
    settings = cosmos_settings(cosmos_server.endpoint)
    stores = [open_store(settings), open_store(settings)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        placed = list(pool.map(lambda n: stores[n % 2].append(message(n)), range(1, 121)))

    assert all(m is not None for m in placed)
    assert sorted(m.seq for m in placed if m is not None) == list(range(1, 121))
    newest = stores[0].newest_first("doc-1", 200, None)
    assert seqs(newest) == list(range(120, 0, -1))
    assert sorted(m.id for m in newest) == sorted(message(n).id for n in range(1, 121))


def test_the_latest_seq_is_the_documents_whichever_process_wrote_it(
    cosmos_server: CosmosServer,
) -> None:
    """Each process used to answer the newest seq it had written itself, so a read marker
    for a message another instance stored was refused as past the newest."""
    settings = cosmos_settings(cosmos_server.endpoint)
    one, two = open_store(settings), open_store(settings)
    one.append(message(1))
    for n in range(2, 6):
        two.append(message(n))

    assert one.latest_seq("doc-1") == 5
    assert two.latest_seq("doc-1") == 5
    assert one.latest_seq("doc-9") == 0


def test_a_deleted_container_is_created_again_and_the_sequence_restarts(
    cosmos_server: CosmosServer,
) -> None:
    """With key auth the app may create what is missing, as after a local server restart."""
    settings = cosmos_settings(cosmos_server.endpoint)
    store = open_store(settings)
    store.append(message(1))
    store.append(message(2))

    CosmosClient(cosmos_server.endpoint, EMULATOR_KEY).get_database_client(
        settings.database
    ).delete_container(settings.container)

    again = store.append(message(3))
    assert again is not None
    assert again.seq == 1
    assert [m.id for m in store.newest_first("doc-1", 10, None)] == ["m003"]


@pytest.fixture
def stopped_store() -> CosmosMessageStore:
    """A store whose Cosmos DB server has gone away after it was used."""
    with start_cosmos_server() as server:
        store = open_store(cosmos_settings(server.endpoint))
        store.get("doc-1", "m001")
    return store


def test_on_an_unreachable_server_nothing_is_written_and_nothing_read(
    stopped_store: CosmosMessageStore,
) -> None:
    operations: list[Callable[[], object]] = [
        lambda: stopped_store.append(message(1)),
        lambda: stopped_store.newest_first("doc-1", 3, None),
        lambda: stopped_store.after("doc-1", 0, 3),
        lambda: stopped_store.get("doc-1", "m001"),
    ]

    for operation in operations:
        with pytest.raises(StoreUnavailable) as raised:
            operation()
        assert not isinstance(raised.value, StoreOutcomeUnknown)
        assert dict(answer(raised.value).headers) == {"Retry-After": "1"}


def test_opening_an_unreachable_server_is_store_unavailable() -> None:
    with start_cosmos_server() as server:
        endpoint = server.endpoint

    with pytest.raises(StoreUnavailable):
        open_store(cosmos_settings(endpoint)).get("doc-1", "m001")


@pytest.fixture
def own_cosmos_server() -> Iterator[CosmosServer]:
    """A server of the test's own, which it may stop (SIGSTOP) and let go on (SIGCONT)."""
    with start_cosmos_server() as server:
        yield server


def _stalled(server: CosmosServer) -> Any:
    pid = server.pid
    os.kill(pid, signal.SIGSTOP)
    return lambda: os.kill(pid, signal.SIGCONT)


def test_a_stalled_server_leaves_a_write_unknown_and_the_retry_finds_it_committed(
    own_cosmos_server: CosmosServer,
) -> None:
    """SIGSTOP freezes the server with the batch in its socket buffer: the store's budget
    runs out with no answer (outcome unknown), then SIGCONT lets the batch commit. The
    retry with the same id must find it stored, and the next message must follow it."""
    store = open_store(cosmos_settings(own_cosmos_server.endpoint))
    store.append(message(1))
    resume = _stalled(own_cosmos_server)
    try:
        with pytest.raises(StoreOutcomeUnknown):
            store.append(message(2))
        with pytest.raises(StoreUnavailable):
            store.newest_first("doc-1", 3, None)
    finally:
        resume()

    committed = eventually(
        lambda: store.get("doc-1", "m002"),
        retrying_on=(StoreUnavailable,),
        until=lambda found: found is not None,
        what="the stalled batch to commit once the server went on",
    )
    assert committed is not None
    assert committed.seq == 2
    assert store.append(message(2)) is None
    third = store.append(message(3))
    assert third is not None
    assert third.seq == 3


def test_after_the_server_restarts_empty_the_store_recovers_on_its_own() -> None:
    """The local server keeps everything in memory: a restart loses the container, which
    the store must notice (404, sub-status 1003) and create again, with no app restart."""
    with start_cosmos_server() as first:
        store = open_store(cosmos_settings(first.endpoint))
        store.append(message(1))
        port = int(first.endpoint.rsplit(":", 1)[1])

    with pytest.raises(StoreUnavailable):
        store.append(message(2))

    with start_cosmos_server(port=port):
        placed = eventually(
            lambda: store.append(message(2)),
            retrying_on=(StoreUnavailable,),
            what="the store to use the restarted server",
        )
        assert placed is not None
        assert placed.seq == 1
        assert [m.id for m in store.after("doc-1", 0, 10)] == ["m002"]


def test_a_change_keeps_the_seq_takes_the_next_position_and_shows_in_catch_up_once(
    store: MessageStore,
) -> None:
    for n in range(1, 4):
        store.append(message(n))

    changed = store.change("doc-1", "m001", lambda m: replace(m, text="changed"), actor=ALICE)
    unchanged = store.change("doc-1", "m002", lambda m: m, actor=ALICE)

    assert changed is not None
    assert (changed.seq, changed.position, changed.text) == (1, 4, "changed")
    assert unchanged is not None
    assert unchanged.position == 2
    assert [m.id for m in store.after("doc-1", 1, 10)] == ["m002", "m003", "m001"]
    assert store.change("doc-1", "nope", lambda m: m, actor=ALICE) is None
    assert store.latest_seq("doc-1") == 3
    appended = store.append(message(4))
    assert appended is not None
    assert (appended.seq, appended.position) == (4, 5)


def test_concurrent_changes_and_appends_in_two_stores_leave_each_position_once(
    cosmos_server: CosmosServer,
) -> None:
    settings = cosmos_settings(cosmos_server.endpoint)
    stores = [open_store(settings), open_store(settings)]
    for n in range(1, 11):
        stores[0].append(message(n))

    def work(n: int) -> None:
        store = stores[n % 2]
        if n % 3:
            store.append(message(100 + n))
        else:
            store.change(
                "doc-1", f"m{n % 10 + 1:03d}", lambda m: replace(m, text=f"{m.text}!"), actor=ALICE
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(60)))

    everything = stores[0].after("doc-1", 0, 500)
    positions = [m.position for m in everything]
    assert positions == sorted(set(positions))
    assert sorted(m.seq for m in everything) == list(range(1, len(everything) + 1))


def test_unread_counts_others_live_messages_only(store: MessageStore) -> None:
    for n in range(1, 6):
        store.append(replace(message(n), sender_id="alice-id" if n == 5 else "bob-id"))
    store.change("doc-1", "m003", lambda m: replace(m, deleted=True, text=""), actor=ALICE)

    assert store.count_after("doc-1", 1, "alice-id", 100) == 2
    assert store.count_after("doc-1", 0, "alice-id", 2) == 2


def test_processes_that_first_write_at_once_all_create_or_find_the_container(
    cosmos_server: CosmosServer,
) -> None:
    """Hosts starting together race to create the database and the container: a lost race
    (409 after the SDK's check said missing) is the other's success, never a failure. Found
    as a 500 when two hosts took their first sends at the same moment."""
    settings = CosmosSettings(
        endpoint=cosmos_server.endpoint,
        key=EMULATOR_KEY,
        database=f"race-{next(_containers)}",
        container="messages",
    )
    stores = [open_store(settings) for _ in range(8)]

    def first_write(n: int) -> Message | None:
        # Creating the database and container counts against the first call's budget: on
        # a busy machine that call may time out (a 503, retried), but never fail otherwise.
        return eventually(
            lambda: stores[n].append(message(n + 1)),
            retrying_on=(StoreUnavailable,),
            what=f"store {n} to write its first message",
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(first_write, range(8)))

    stored = stores[0].after("doc-1", 0, 20)
    assert sorted(m.id for m in stored) == [message(n).id for n in range(1, 9)]
    assert seqs(stored) == list(range(1, 9))


# Group commit ----------------------------------------------------------------------------


class HeldBatches:
    """Wraps a store's container: records how many writes each batch it sends carries (the
    head's operation left out) and for which document, runs ``before`` ahead of each, and
    holds back those of the documents it is ``holding`` while ``gate`` is clear."""

    def __init__(self, container: CosmosContainer) -> None:
        self.sizes: list[int] = []
        self.documents: list[str] = []
        self.before: Callable[[], object] = lambda: None
        self.holding: Callable[[str], bool] = lambda document_id: True
        self.gate = threading.Event()
        self.gate.set()
        self._call = container.call
        container.call = self.call  # type: ignore[method-assign]

    def call(self, request: Callable[[Any], Any], *, writing: bool) -> Any:
        return self._call(lambda proxy: request(_Spy(proxy, self)), writing=writing)


class _Spy:
    def __init__(self, proxy: Any, held: HeldBatches) -> None:
        self._proxy = proxy
        self._held = held

    def execute_item_batch(self, operations: list[Any], **options: Any) -> Any:
        self._held.sizes.append(len(operations) - 1)
        self._held.documents.append(options["partition_key"])
        self._held.before()
        if self._held.holding(options["partition_key"]):
            self._held.gate.wait(timeout=10)
        return self._proxy.execute_item_batch(operations, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._proxy, name)


def held_store(
    settings: CosmosSettings, *, budget: float = 5.0, **options: Any
) -> tuple[CosmosMessageStore, HeldBatches]:
    """A store whose batches can be held; a budget long enough that the writes held back
    or queued behind them do not run out of time on a busy machine, unless a test says."""
    container = open_container(settings)
    container.budget = budget
    return CosmosMessageStore(container, **options), HeldBatches(container)


def appended_while_one_batch_is_held(
    store: CosmosMessageStore, held: HeldBatches, messages: list[Message]
) -> list[Message | None]:
    """Append ``messages`` at once while a first batch (of one message) is on the network,
    so that they all wait for the next; the answers, first message's left out. The appends
    race into the lane, so the order they wait in (and take their seqs in) is theirs."""
    held.gate.clear()
    with ThreadPoolExecutor(max_workers=len(messages) + 1) as pool:
        first = pool.submit(store.append, message(900))
        eventually(lambda: held.sizes, until=bool, what="the first batch to be sent")
        waiting: list[Future[Message | None]] = [pool.submit(store.append, m) for m in messages]
        eventually(
            lambda: store.waiting("doc-1"),
            until=lambda count: count == len(messages),
            what="every append to wait for the next batch",
        )
        held.gate.set()
        assert first.result() is not None
        return [answer.result() for answer in waiting]


def test_a_write_that_waits_past_its_budget_behind_a_batch_hears_the_document_is_busy(
    cosmos_server: CosmosServer,
) -> None:
    """Not an outage: the store answered every request, this write was never sent (so it
    is not stored), and nothing refuses the next write."""
    store, held = held_store(cosmos_settings(cosmos_server.endpoint))
    held.gate.clear()
    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(store.append, message(1))
        eventually(lambda: held.sizes, until=bool, what="the first batch to be sent")
        store._container.budget = 0.3  # the second writer has less time than the batch takes
        with pytest.raises(DocumentBusy):
            store.append(message(2))
        held.gate.set()
        assert first.result() is not None

    assert store._container.refusal() is None
    assert store.get("doc-1", message(2).id) is None
    assert store.append(message(3)) is not None


def test_appends_waiting_for_one_document_are_committed_in_one_batch(
    cosmos_server: CosmosServer,
) -> None:
    store, held = held_store(cosmos_settings(cosmos_server.endpoint))

    placed = appended_while_one_batch_is_held(store, held, [message(n) for n in range(1, 41)])

    assert held.sizes == [1, 40]
    assert sorted(m.seq for m in placed if m is not None) == list(range(2, 42))
    assert seqs(store.after("doc-1", 0, 100)) == list(range(1, 42))


def test_a_batch_carries_at_most_99_messages(cosmos_server: CosmosServer) -> None:
    store, held = held_store(cosmos_settings(cosmos_server.endpoint))

    placed = appended_while_one_batch_is_held(store, held, [message(n) for n in range(1, 121)])

    assert held.sizes == [1, 99, 21]
    assert sorted(m.seq for m in placed if m is not None) == list(range(2, 122))


def test_a_taken_id_in_a_batch_is_stored_before_and_does_not_fail_its_batch_mates(
    cosmos_server: CosmosServer,
) -> None:
    """Another process stored m005 first: the batch fails at m005's index with 409, which
    answers m005 (stored before, None) and sends the others again without it."""
    settings = cosmos_settings(cosmos_server.endpoint)
    open_store(settings).append(message(5))
    store, held = held_store(settings)

    placed = appended_while_one_batch_is_held(store, held, [message(n) for n in range(1, 11)])

    assert placed[4] is None
    assert sorted(m.seq for m in placed if m is not None) == list(range(3, 12))
    assert held.sizes == [1, 10, 9]  # the 409 at m005, then the others again
    stored = store.after("doc-1", 0, 100)
    assert seqs(stored) == list(range(1, 12))
    assert sorted(m.id for m in stored) == sorted([message(n).id for n in (*range(1, 11), 900)])


def test_changes_wait_in_the_same_batches_and_each_is_made_once(
    cosmos_server: CosmosServer,
) -> None:
    """Two changes of one message in one process go in two batches (the second's ETag is
    stale after the first), so both are applied, each at its own position."""
    store, held = held_store(cosmos_settings(cosmos_server.endpoint))
    for n in range(1, 4):
        store.append(message(n))
    held.gate.clear()
    held.sizes.clear()

    def exclaim(m: Message) -> Message:
        return replace(m, text=m.text + "!")

    with ThreadPoolExecutor(max_workers=6) as pool:
        first = pool.submit(store.append, message(900))
        eventually(lambda: held.sizes, until=bool, what="the first batch to be sent")
        answers = [
            pool.submit(store.change, "doc-1", "m001", exclaim, actor=ALICE) for _ in range(2)
        ]
        answers += [pool.submit(store.change, "doc-1", "m002", exclaim, actor=ALICE)]
        answers += [pool.submit(store.append, message(4))]
        eventually(
            lambda: store.waiting("doc-1"),
            until=lambda count: count == 4,
            what="the changes and the append to wait",
        )
        held.gate.set()
        results = [answer.result() for answer in [first, *answers]]

    assert all(result is not None for result in results)
    assert store.get("doc-1", "m001").text == "text 1!!"  # type: ignore[union-attr]
    assert store.get("doc-1", "m002").text == "text 2!"  # type: ignore[union-attr]
    everything = store.after("doc-1", 0, 100)
    positions = sorted(m.position for m in everything)
    assert positions == sorted(set(positions))
    assert max(positions) == 3 + 2 + 3  # 3 appends, then m900 and m004, and 3 changes
    assert sorted(m.seq for m in everything) == [1, 2, 3, 4, 5]


def test_with_the_server_stalled_every_writer_hears_in_its_budget_and_never_a_false_no(
    own_cosmos_server: CosmosServer,
) -> None:
    """20 appends to a stalled document: each answers within its budget (and the grace
    for a batch on the network); one told "not stored" (StoreUnavailable) is never stored,
    even after the server goes on and the batch that was on the network commits."""
    store = open_store(cosmos_settings(own_cosmos_server.endpoint))
    store.append(message(0))
    budget = store._container.budget

    def attempt(n: int) -> tuple[str, float]:
        started = time.monotonic()
        try:
            store.append(message(n))
        except StoreOutcomeUnknown:
            return "unknown", time.monotonic() - started
        except StoreUnavailable:
            return "not stored", time.monotonic() - started
        return "stored", time.monotonic() - started

    resume = _stalled(own_cosmos_server)
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            outcomes = dict(zip(range(1, 21), pool.map(attempt, range(1, 21)), strict=True))
    finally:
        resume()

    assert {outcome for outcome, _ in outcomes.values()} <= {"unknown", "not stored"}
    assert max(seconds for _, seconds in outcomes.values()) <= budget + ANSWER_GRACE_SECONDS + 0.5
    eventually(
        lambda: store.append(message(99)),
        retrying_on=(StoreUnavailable,),
        what="the store to write again once the server went on",
    )
    stored = store.after("doc-1", 0, 100)
    not_stored = {message(n).id for n, (outcome, _) in outcomes.items() if outcome == "not stored"}
    assert not_stored.isdisjoint(m.id for m in stored)
    assert seqs(stored) == list(range(1, len(stored) + 1))
    assert collections.Counter(m.id for m in stored).most_common(1)[0][1] == 1


def test_after_the_cooldown_a_still_stalled_server_costs_one_short_probe_and_no_write(
    own_cosmos_server: CosmosServer,
) -> None:
    """The probe is a read sent before the write: with the server still stalled it fails
    in a fraction of the budget and the write is never sent, so "not stored" is certain;
    meanwhile every other call fails at once."""
    store = open_store(cosmos_settings(own_cosmos_server.endpoint))
    store.append(message(1))
    container = store._container
    resume = _stalled(own_cosmos_server)
    try:
        with pytest.raises(StoreOutcomeUnknown):
            store.append(message(2))
        eventually(
            container.refusal,
            until=lambda refusal: refusal is None,
            what="the breaker's cooldown to end",
        )
        with ThreadPoolExecutor(max_workers=2) as pool:
            probing = pool.submit(store.append, message(3))
            eventually(container.refusal, until=bool, what="the probe to be on its way")
            with pytest.raises(StoreUnavailable) as meanwhile:
                store.get("doc-1", "m001")
            started = time.monotonic()
            with pytest.raises(StoreUnavailable) as probed:
                probing.result()
            waited = time.monotonic() - started
    finally:
        resume()

    assert not isinstance(meanwhile.value, StoreOutcomeUnknown)
    assert not isinstance(probed.value, StoreOutcomeUnknown)
    assert waited < container.budget
    eventually(
        lambda: store.append(message(4)),
        retrying_on=(StoreUnavailable,),
        what="the store to write again once the server went on",
    )
    assert "m003" not in {m.id for m in store.after("doc-1", 0, 10)}


def test_a_batch_on_the_network_holds_up_no_other_documents_writes(
    cosmos_server: CosmosServer,
) -> None:
    """Appends used to take turns in 64 lock stripes (by ``hash(document_id) % 64``) held
    across the network call, so a slow write to one document stalled the documents that
    shared its stripe: these five did."""
    store, held = held_store(cosmos_settings(cosmos_server.endpoint))
    held.gate.clear()
    held.holding = lambda document_id: document_id == "doc-1"
    stripe = hash("doc-1") % 64
    neighbours = [f"doc-{n}" for n in range(2, 10_000) if hash(f"doc-{n}") % 64 == stripe][:5]

    with ThreadPoolExecutor(max_workers=2) as pool:
        slow = pool.submit(store.append, message(1))
        eventually(lambda: held.documents, until=bool, what="doc-1's batch to be sent")
        others = [store.append(message(2, document_id=document)) for document in neighbours]
        assert not slow.done()
        held.gate.set()
        assert slow.result() is not None

    assert [m.seq for m in others if m is not None] == [1] * 5


def test_head_conflicts_are_retried_after_pauses_that_double_up_to_a_cap(
    cosmos_server: CosmosServer,
) -> None:
    """Another process writes just before each of this store's first 8 batches, so each
    finds the head moved (412): the pauses double from 4 ms to the cap (full jitter drawn
    at its top here), and the write lands after them."""
    settings = cosmos_settings(cosmos_server.endpoint)
    pauses: list[float] = []
    store, held = held_store(settings, sleep=pauses.append, draw=lambda: 1.0)
    store.append(message(1))
    rival = open_store(settings)
    rivals = iter(range(100, 108))
    held.before = lambda: (n := next(rivals, None)) is not None and rival.append(message(n))

    placed = store.append(message(2))

    assert pauses == [0.004, 0.008, 0.016, 0.032, 0.064, 0.064, 0.064, 0.064]
    assert placed is not None
    assert placed.seq == 10


def test_a_head_that_keeps_moving_ends_in_not_stored_within_the_budget(
    cosmos_server: CosmosServer,
) -> None:
    settings = cosmos_settings(cosmos_server.endpoint)
    store, held = held_store(settings, budget=REQUEST_BUDGET_SECONDS)
    store.append(message(1))
    rival = open_store(settings)
    rivals = itertools.count(100)
    held.before = lambda: rival.append(message(next(rivals)))
    started = time.monotonic()

    with pytest.raises(StoreUnavailable) as raised:
        store.append(message(2))

    assert not isinstance(raised.value, StoreOutcomeUnknown)
    assert time.monotonic() - started <= store._container.budget + ANSWER_GRACE_SECONDS
    assert store.get("doc-1", "m002") is None


@pytest.mark.parametrize("legacy_id", [".", ".."])
def test_a_message_stored_under_a_path_step_id_is_read_and_changed_as_itself(
    store: MessageStore, legacy_id: str
) -> None:
    # Issue 26, finding 2: ids "." and ".." were once accepted. azure-cosmos puts an id in
    # docs/{id} unescaped and urllib3 resolves path steps, so a point read of "." read the
    # whole feed and ".." the container. Other items must never answer for them.
    for n in range(3):
        store.append(message(n))
    store.append(replace(message(9, document_id="doc-2"), id=legacy_id))
    legacy = store.append(replace(message(7), id=legacy_id))
    assert legacy is not None

    assert store.get("doc-1", legacy_id) == legacy
    assert store.get("doc-3", legacy_id) is None
    other_step = ".." if legacy_id == "." else "."
    assert store.get("doc-1", other_step) is None

    tombstone = store.change(
        "doc-1", legacy_id, lambda m: replace(m, deleted=True, text=""), actor=ALICE
    )
    assert tombstone is not None
    assert tombstone.deleted
    assert store.get("doc-1", legacy_id) == tombstone
    assert [m.id for m in store.newest_first("doc-1", 10, None)] == [
        legacy_id,
        "m002",
        "m001",
        "m000",
    ]


@pytest.fixture
def cosmos_store(cosmos_server: CosmosServer) -> CosmosMessageStore:
    """One store for every example of a hypothesis test (a container each would be slow)."""
    return open_store(cosmos_settings(cosmos_server.endpoint))


_examples = itertools.count()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(message_id=st.text(min_size=1, max_size=30).filter(lambda v: message_id_problem(v) is None))
def test_any_message_id_the_rule_accepts_is_read_back_as_itself(
    cosmos_store: CosmosMessageStore, message_id: str
) -> None:
    # azure-cosmos quotes docs/{id} with "/" left safe; the rule keeps "/" and path steps
    # out, so each id the API accepts is one segment naming its own item.
    document_id = f"doc-{next(_examples)}"
    cosmos_store.append(message(1, document_id=document_id))
    stored = cosmos_store.append(replace(message(2, document_id=document_id), id=message_id))

    assert stored is not None
    assert cosmos_store.get(document_id, message_id) == stored
