"""The timeline over a document whose messages were stored before roots carried
``threadId`` (held against the local Cosmos DB server and the in-memory fake), and what a
timeline, thread or thread-list page costs in Cosmos DB.

Messages stored before threads have no ``threadId`` field; the store now writes ``null`` on
every root and records in the head the first seq stored so (``markedFrom``). These tests
write the old items as the earlier code did, with the raw container, and page across the
boundary while many replies lie between the roots.

**Cost.** The local server keeps no index (it tests every item of the partition) and
reports the same ``x-ms-request-charge`` (1) and zeroed query metrics for every query, so
it cannot show a query's RU. What it does as Cosmos DB does is refuse an ORDER BY of two
paths that no composite index serves ("The order by query does not have a corresponding
composite index that it can be served from"). So the cost tests assert the shape Cosmos DB
charges by: each page's queries are the same, in number, text and items returned, whether
the document holds 3 replies or 300; each orders by both paths of a composite index of the
container's policy, equality path first, which is what lets Cosmos DB read one range of
that index (learn.microsoft.com, Azure Cosmos DB indexing policies, "ORDER BY queries with
filters": the filter's properties first in the ORDER BY); and the server accepts them
because that index exists.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pytest
from azure.cosmos import ContainerProxy, CosmosClient, PartitionKey
from azure.cosmos.exceptions import CosmosHttpResponseError

from chat.app.store import MessageStore
from chat.domain.messages import Listing, Message, Thread
from devstack.cosmos import EMULATOR_KEY, CosmosServer
from storage.cosmos.container import INDEXING_POLICY, lacks_indexes, open_container
from storage.cosmos.settings import CosmosSettings
from storage.cosmos.store import (
    HEAD_ID,
    LISTED,
    MARKED_ROOTS,
    REPLIES,
    UNMARKED_ROOTS,
    CosmosMessageStore,
)
from tests.fixtures.chat import InMemoryMessageStore
from tests.integration.test_storage_store import cosmos_settings, message
from tests.integration.test_storage_threads import reply

_ORDER_BY = re.compile(r"ORDER BY c\.(\w+) (ASC|DESC), c\.(\w+) (ASC|DESC)$")
_DIRECTIONS = {"ASC": "ascending", "DESC": "descending"}


@dataclasses.dataclass
class Legacy:
    """A store, and how to write messages as the code before ``markedFrom`` did: roots
    without a ``threadId`` field, and the head moved past them without ``markedFrom``."""

    store: MessageStore
    write: Callable[[list[Message]], None]


@pytest.fixture(params=["memory", "cosmos"])
def legacy(request: pytest.FixtureRequest) -> Legacy:
    if request.param == "memory":
        memory = InMemoryMessageStore()

        def keep(messages: list[Message]) -> None:
            memory.items.update({(m.document_id, m.id): m for m in messages})

        return Legacy(memory, keep)
    server: CosmosServer = request.getfixturevalue("cosmos_server")
    settings = cosmos_settings(server.endpoint)
    store = CosmosMessageStore(open_container(settings))
    store.latest_seq("doc-1")  # creates the container
    raw = raw_container(server, settings)
    return Legacy(store, lambda messages: written_as_before(raw, messages))


def raw_container(server: CosmosServer, settings: CosmosSettings) -> ContainerProxy:
    return (
        CosmosClient(server.endpoint, EMULATOR_KEY)
        .get_database_client(settings.database)
        .get_container_client(settings.container)
    )


def written_as_before(raw: ContainerProxy, messages: list[Message]) -> None:
    """``messages`` (placed) and the head past them, as the code before ``markedFrom``
    wrote them."""
    for m in messages:
        item = m.stored_form()
        if item["threadId"] is None:
            del item["threadId"]
        raw.upsert_item(item)
    last = messages[-1]
    head = {"lastSeq": last.seq, "lastPosition": last.position}
    raw.upsert_item({"id": HEAD_ID, "documentId": last.document_id, **head})


def placed(m: Message, n: int, position: int | None = None) -> Message:
    return dataclasses.replace(m, seq=n, position=n if position is None else position)


def old_history(last: int) -> list[Message]:
    """Roots 1 to ``last``, and a reply (seq 4) to root 2, as stored before markedFrom."""
    root_2 = dataclasses.replace(
        placed(message(2), 2), thread=Thread(1, message(4).created_at, (("bob-id", "Bob"),))
    )
    history = [placed(message(n), n) for n in range(1, last + 1) if n not in (2, 4)]
    return sorted([*history, root_2, placed(reply(4, "m002"), 4)], key=lambda m: m.seq)


def timeline(store: MessageStore, limit: int) -> list[list[int]]:
    """Every page of the document's timeline, newest first, as seqs."""
    pages: list[list[int]] = []
    before: int | None = None
    while page := store.newest_first("doc-1", limit, before):
        pages.append([m.seq for m in page])
        before = page[-1].seq
    return pages


def posted(store: MessageStore, messages: list[Message]) -> None:
    for m in messages:
        assert store.append_with_root(m) is not None


def test_the_timeline_pages_across_the_messages_stored_before_roots_had_thread_ids(
    legacy: Legacy,
) -> None:
    legacy.write(old_history(6))
    posted(legacy.store, [message(7)])
    posted(legacy.store, [reply(n, "m007" if n % 2 else "m003") for n in range(8, 40)])
    posted(legacy.store, [message(40)])
    posted(legacy.store, [reply(n, "m040") for n in range(41, 70)])
    posted(legacy.store, [message(70)])

    roots = [70, 40, 7, 6, 5, 3, 2, 1]  # the old root 3, replied to since, shows once
    for limit in (1, 2, 3, 4, 5, 7, 8, 50):
        pages = timeline(legacy.store, limit)
        assert [seq for page in pages for seq in page] == roots
        assert [len(page) for page in pages[:-1]] == [limit] * (len(pages) - 1)
    old_root = legacy.store.get("doc-1", "m003")
    assert old_root is not None
    assert old_root.thread is not None
    assert old_root.thread.reply_count == 16


def test_roots_stored_by_older_code_after_newer_roots_still_show(legacy: Legacy) -> None:
    # A deployment rolling over: an instance still on the older code stores roots without
    # threadId and a head without markedFrom after this code marked some.
    legacy.write(old_history(5))
    posted(legacy.store, [message(6), reply(7, "m006"), reply(8, "m006")])
    legacy.write([placed(message(9), 9, 11), placed(message(10), 10, 12)])
    posted(legacy.store, [reply(11, "m009"), message(12)])

    for limit in (1, 2, 3, 10):
        pages = timeline(legacy.store, limit)
        assert [seq for page in pages for seq in page] == [12, 10, 9, 6, 5, 3, 2, 1]
    assert legacy.store.latest_seq("doc-1") == 12


# Cosmos DB only: the head's record and what each page costs --------------------------


class RecordingStore:
    """A Cosmos DB store whose queries are recorded as (text, bounds, items returned)."""

    def __init__(self, server: CosmosServer) -> None:
        settings = cosmos_settings(server.endpoint)
        container = open_container(settings)
        self.store = CosmosMessageStore(container)
        self.store.latest_seq("doc-1")  # creates the container
        self.raw = raw_container(server, settings)
        self.sent: list[tuple[str, dict[str, object], int]] = []
        send = container.query

        def recorded(
            document_id: str, query: str, bounds: dict[str, object], limit: int
        ) -> list[dict[str, Any]]:
            items = send(document_id, query, bounds, limit)
            self.sent.append((query, bounds, len(items)))
            return items

        container.query = recorded  # type: ignore[method-assign]

    def pages(self, read: Callable[[MessageStore], list[Message]]) -> list[tuple[str, int]]:
        """The queries one read sent, and how many items each returned."""
        self.sent.clear()
        read(self.store)
        return [(text, count) for text, _, count in self.sent]


def served_by_a_composite_index(query: str) -> bool:
    """Whether ``query`` filters by equality on a composite index's first path and orders
    by both its paths, in its directions or all flipped."""
    match = _ORDER_BY.search(query)
    if match is None:
        return False
    first, first_order, second, second_order = match.groups()
    ordered = [(f"/{first}", _DIRECTIONS[first_order]), (f"/{second}", _DIRECTIONS[second_order])]
    flip = {"ascending": "descending", "descending": "ascending"}
    for index in INDEXING_POLICY["compositeIndexes"]:
        paths = [(path["path"], path["order"]) for path in index]
        if ordered in (paths, [(path, flip[order]) for path, order in paths]):
            return f"c.{first} = " in query
    return False


@pytest.mark.parametrize("query", [MARKED_ROOTS, REPLIES, LISTED])
def test_each_thread_era_read_is_one_range_of_a_composite_index(query: str) -> None:
    assert served_by_a_composite_index(query)


def test_the_local_server_refuses_an_order_by_no_composite_index_serves(
    cosmos_server: CosmosServer,
) -> None:
    # What makes the page tests below mean something: their queries run only because the
    # composite index they name exists (Cosmos DB answers the same 400).
    recording = RecordingStore(cosmos_server)
    recording.store.append(message(1))
    unserved = MARKED_ROOTS.replace("c.threadId DESC", "c.threadId ASC")
    assert not served_by_a_composite_index(unserved)
    parameters: list[dict[str, object]] = [
        {"name": "@documentId", "value": "doc-1"},
        {"name": "@before", "value": 10},
    ]

    with pytest.raises(CosmosHttpResponseError) as refused:
        list(recording.raw.query_items(unserved, parameters=parameters, partition_key="doc-1"))

    assert refused.value.status_code == 400
    assert "composite index" in str(refused.value)


def test_a_timeline_page_costs_the_same_with_3_or_300_replies(
    cosmos_server: CosmosServer,
) -> None:
    recording = RecordingStore(cosmos_server)
    store = recording.store
    for document_id, replies in (("few", 3), ("many", 300)):
        posted(store, [message(n, document_id=document_id) for n in range(1, 21)])
        threads = [f"m{n:03d}" for n in range(1, 21, 4)]
        posted(
            store,
            [reply(n, threads[n % 5], document_id=document_id) for n in range(100, 100 + replies)],
        )
        posted(store, [message(n, document_id=document_id) for n in range(21, 31)])

    def sent(document_id: str, before: int | None) -> list[tuple[str, int]]:
        return recording.pages(lambda s: s.newest_first(document_id, 10, before))

    few, many = sent("few", None), sent("many", None)
    assert few == many == [(MARKED_ROOTS, 10)]
    assert sent("few", 21) == sent("many", 321) == [(MARKED_ROOTS, 10)]
    assert sent("few", 11) == sent("many", 11) == [(MARKED_ROOTS, 10)]
    thread_few = recording.pages(lambda s: s.replies("few", "m001", 10, 0))
    thread_many = recording.pages(lambda s: s.replies("many", "m001", 10, 0))
    assert [text for text, _ in thread_few] == [text for text, _ in thread_many] == [REPLIES]
    listed = recording.pages(lambda s: s.threads("many", Listing.matching(None, None), 3, None))
    assert [text for text, _ in listed] == [LISTED] * 4
    assert all(count <= 3 for _, count in listed)


def test_the_older_messages_are_read_only_by_the_page_that_reaches_them(
    cosmos_server: CosmosServer,
) -> None:
    recording = RecordingStore(cosmos_server)
    written_as_before(recording.raw, old_history(5))
    posted(recording.store, [message(6)])
    posted(recording.store, [reply(n, "m006") for n in range(7, 207)])
    posted(recording.store, [message(n) for n in range(207, 212)])

    assert recording.raw.read_item(HEAD_ID, "doc-1")["markedFrom"] == 6
    assert recording.pages(lambda s: s.newest_first("doc-1", 3, None)) == [(MARKED_ROOTS, 3)]
    assert recording.pages(lambda s: s.newest_first("doc-1", 3, 209)) == [(MARKED_ROOTS, 3)]
    recording.sent.clear()
    page = recording.store.newest_first("doc-1", 3, 207)
    assert [m.seq for m in page] == [6, 5, 3]
    assert [(text, bounds["@before"], count) for text, bounds, count in recording.sent] == [
        (MARKED_ROOTS, 207, 1),
        (UNMARKED_ROOTS, 6, 3),
    ]


def test_a_new_document_s_head_marks_from_its_first_seq(cosmos_server: CosmosServer) -> None:
    recording = RecordingStore(cosmos_server)
    posted(recording.store, [message(1), message(2)])

    assert recording.raw.read_item(HEAD_ID, "doc-1")["markedFrom"] == 1
    assert recording.raw.read_item("m001", "doc-1")["threadId"] is None
    assert recording.pages(lambda s: s.newest_first("doc-1", 5, None)) == [(MARKED_ROOTS, 2)]


def test_a_container_an_earlier_docchat_made_gets_the_indexes_its_queries_need(
    cosmos_server: CosmosServer,
) -> None:
    # Made with key auth before threads: no threadId or listing path, no composite index.
    # Cosmos DB refuses the timeline's two-path ORDER BY there (a 400, then a 500).
    settings = cosmos_settings(cosmos_server.endpoint)
    before_threads = {
        **INDEXING_POLICY,
        "includedPaths": [
            path
            for path in INDEXING_POLICY["includedPaths"]
            if path["path"] not in ("/threadId/?", "/listing/?")
        ],
        "compositeIndexes": [],
    }
    database = CosmosClient(cosmos_server.endpoint, EMULATOR_KEY).create_database_if_not_exists(
        settings.database
    )
    database.create_container(
        settings.container,
        partition_key=PartitionKey(path="/documentId"),
        indexing_policy=before_threads,
    )
    assert lacks_indexes(before_threads)

    store = CosmosMessageStore(open_container(settings))
    store.append(message(1))

    assert [m.seq for m in store.newest_first("doc-1", 10, None)] == [1]
    policy = raw_container(cosmos_server, settings).read()["indexingPolicy"]
    assert not lacks_indexes(policy)
