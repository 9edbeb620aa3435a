"""The shared container under the worker threads of one app process (issue 18's reconnect
storm): 16 invocations at once reach Cosmos DB through one :class:`CosmosContainer`.

azure-cosmos's sync client publishes each response's headers on the client, where the
retry layer of every other request in flight writes into them: a query copying its headers
meanwhile failed with ``RuntimeError: OrderedDict mutated during iteration`` (a 500 on
``GET messages`` in the storm). And one client's connection pool (10) is smaller than the
invocations that share it, so connections were opened and thrown away under load. Each
thread has a client of its own instead.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TypeVar

import pytest
from azure.cosmos import ContainerProxy

from chat.domain.errors import StoreUnavailable
from chat.domain.messages import Message
from devstack.cosmos import EMULATOR_KEY, CosmosServer, start_cosmos_server
from storage.cosmos.container import CosmosContainer, open_container
from storage.cosmos.settings import CosmosSettings
from storage.cosmos.store import CosmosMessageStore
from tests.fixtures.chat import ALICE
from tests.fixtures.waiting import eventually

#: As many threads as the dev host and infra/ give one instance (infra/app/scale.json).
THREADS = 16
_containers = itertools.count()
_Result = TypeVar("_Result")


@pytest.fixture(scope="module")
def slow_cosmos_server() -> Iterator[CosmosServer]:
    """A server that takes 50 ms per answer, as a loaded one does: every thread's request
    is in flight at the same time."""
    with start_cosmos_server(port=0, latency_ms=50) as server:
        yield server


def container_on(server: CosmosServer, name: str | None = None) -> CosmosContainer:
    name = name or f"threads-{next(_containers)}"
    return open_container(
        CosmosSettings(endpoint=server.endpoint, key=EMULATOR_KEY, container=name)
    )


def on_threads(
    count: int, first: Callable[[], object], work: Callable[[], _Result]
) -> list[_Result]:
    """On ``count`` threads at once: ``first()`` until it succeeds (each thread's first
    requests make its client and open connections, which on a loaded machine may take more
    than a request's budget: a cold start's cost, not these tests' subject), then
    ``work()`` once every thread is past that; the results of ``work`` in order."""
    warm = threading.Barrier(count)

    def run(_: int) -> _Result:
        eventually(first, retrying_on=(StoreUnavailable,), what="a thread's first requests")
        warm.wait()
        return work()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def test_threads_that_call_at_once_never_share_an_sdk_client(
    cosmos_server: CosmosServer,
) -> None:
    container = container_on(cosmos_server)

    def client_of(proxy: ContainerProxy) -> object:
        return proxy.client_connection

    def clients_seen() -> tuple[object, object]:
        first = container.call(client_of, writing=False)
        return first, container.call(client_of, writing=False)

    seen = on_threads(THREADS, lambda: container.call(client_of, writing=False), clients_seen)

    assert all(first is again for first, again in seen)
    assert len({id(first) for first, _ in seen}) == THREADS


def test_concurrent_reads_and_queries_keep_their_connections(
    slow_cosmos_server: CosmosServer, caplog: pytest.LogCaptureFixture
) -> None:
    store = CosmosMessageStore(container_on(slow_cosmos_server))
    stored = store.append(
        Message("m1", "doc-1", "alice-id", "Alice", "hello", "2026-12-07T05:00:00.000Z")
    )
    assert stored is not None

    def read_and_query() -> list[int]:
        seqs = []
        for _ in range(3):
            seqs.append(store.latest_seq("doc-1"))
            seqs += [message.seq for message in store.after("doc-1", 0, 10)]
        return seqs

    with caplog.at_level(logging.WARNING, logger="urllib3.connectionpool"):
        answers = on_threads(
            THREADS, lambda: store.after("doc-1", store.latest_seq("doc-1"), 1), read_and_query
        )

    assert answers == [[1, 1] * 3] * THREADS
    assert not [record for record in caplog.records if "pool is full" in record.getMessage()]


def test_catch_ups_on_every_thread_while_another_process_writes_end_in_the_latest_versions(
    slow_cosmos_server: CosmosServer,
) -> None:
    """storage.cosmos.tail under load: one process's threads page through catch-ups (served
    from, and extending, what it keeps) while another process posts and edits. Every page
    goes forward and no message comes back in an older version than one already seen. Then,
    with more than a page written since (old messages changed too), every thread's catch-up
    from the start brings exactly what Cosmos DB holds, each message once."""
    name = f"threads-{next(_containers)}"
    keeper, writer, fresh = (
        CosmosMessageStore(container_on(slow_cosmos_server, name)) for _ in "abc"
    )
    for n in range(1, 11):
        writer.append(posted(n))
    writes_over = threading.Event()

    def write() -> None:
        try:
            for n in range(11, 31):
                writer.append(posted(n))
                writer.change("doc-1", f"m{n // 2}", edited_to(f"v{n}"), actor=ALICE)
        finally:  # a failed write ends the readers' loop too; the count below tells
            writes_over.set()

    def caught_up_from_the_start() -> list[Message]:
        """Every page after 0, in order: each goes forward, no message comes back older."""
        held: dict[str, Message] = {}
        brought: list[Message] = []
        after = 0
        while True:
            page = keeper.after("doc-1", after, 8)
            assert [m.position for m in page] == sorted({m.position for m in page})
            assert all(m.position > after for m in page)
            for message in page[:7]:
                seen = held.get(message.id)
                assert seen is None or message.position > seen.position
                held[message.id] = message
            brought += page[:7]
            if len(page) <= 7:
                return brought
            after = page[6].position

    def while_writing() -> None:
        while not writes_over.is_set():
            caught_up_from_the_start()

    writer_thread = threading.Thread(target=write)
    writer_thread.start()
    on_threads(THREADS, lambda: keeper.after("doc-1", 0, 1), while_writing)
    writer_thread.join(60)
    for n in range(1, 11):  # more than a page past what the keeper keeps, old ones changed
        writer.change("doc-1", f"m{n}", edited_to("last"), actor=ALICE)
        writer.append(posted(30 + n))
    brought_by_thread = on_threads(THREADS, lambda: None, caught_up_from_the_start)

    truth = fresh.after("doc-1", 0, 100)  # one page: read, not kept
    assert len(truth) == 40
    assert all(brought == truth for brought in brought_by_thread)


def edited_to(text: str) -> Callable[[Message], Message]:
    return lambda message: replace(message, text=text)


def posted(n: int) -> Message:
    return Message(f"m{n}", "doc-1", "alice-id", "Alice", "v0", "2026-12-08T01:00:00.000Z")
