"""The local Cosmos server (devstack/cosmos) behaves like Cosmos DB where docchat relies on it.

One test (or two) per fault of the stock @vercel/cosmosdb-server that devstack/cosmos
fixes (numbered as in the team reference, section 8), each failing on the stock server;
then docchat's two chat queries, paged with continuation tokens. Everything goes through
azure-cosmos exactly as product code does.
"""

from __future__ import annotations

import http.client
import json
import ssl
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from azure.core.paging import PageIterator
from azure.cosmos import ContainerProxy, CosmosClient, PartitionKey
from azure.cosmos.exceptions import (
    CosmosBatchOperationError,
    CosmosHttpResponseError,
    CosmosResourceNotFoundError,
)

from devstack.cosmos import EMULATOR_KEY, CosmosServer, start_cosmos_server
from tests.fixtures.cosmos import ContainerFactory

CHAT_INDEXING_POLICY = {
    "compositeIndexes": [
        [
            {"path": "/createdAt", "order": "descending"},
            {"path": "/id", "order": "descending"},
        ]
    ]
}
HISTORY_QUERY = "SELECT * FROM c WHERE c.documentId = @d ORDER BY c.createdAt DESC, c.id DESC"
CATCH_UP_QUERY = (
    "SELECT * FROM c WHERE c.documentId = @d"
    " AND (c.createdAt > @t OR (c.createdAt = @t AND c.id > @id))"
    " ORDER BY c.createdAt ASC, c.id ASC"
)


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def _exists(container: ContainerProxy, item_id: str, partition: str) -> bool:
    try:
        container.read_item(item_id, partition_key=partition)
    except CosmosResourceNotFoundError:
        return False
    return True


# Fault 1 ---------------------------------------------------------------------------


def test_read_of_a_missing_item_is_404_not_found(cosmos_container: ContainerProxy) -> None:
    cosmos_container.create_item({"id": "m1", "documentId": "d1"})

    with pytest.raises(CosmosResourceNotFoundError) as missing_id:
        cosmos_container.read_item("no-such-id", partition_key="d1")
    with pytest.raises(CosmosResourceNotFoundError) as wrong_partition:
        cosmos_container.read_item("m1", partition_key="d2")

    for error in (missing_id.value, wrong_partition.value):
        assert error.status_code == 404
        assert '"code":"NotFound"' in error.http_error_message


# Fault 2 ---------------------------------------------------------------------------


def test_batch_runs_every_operation_kind_with_the_key_from_the_header(
    cosmos_container: ContainerProxy,
) -> None:
    for item in (
        {"id": "edit-me", "documentId": "d1", "text": "old"},
        {"id": "like-me", "documentId": "d1", "likes": 0},
        {"id": "drop-me", "documentId": "d1"},
    ):
        cosmos_container.create_item(item)

    results = cosmos_container.execute_item_batch(
        [
            ("create", ({"id": "created", "documentId": "d1"},)),
            ("upsert", ({"id": "upserted", "documentId": "d1"},)),
            ("replace", ("edit-me", {"id": "edit-me", "documentId": "d1", "text": "new"})),
            ("read", ("like-me",)),
            ("patch", ("like-me", [{"op": "incr", "path": "/likes", "value": 1}])),
            ("delete", ("drop-me",)),
        ],
        partition_key="d1",
    )

    assert [r["statusCode"] for r in results] == [201, 201, 200, 200, 200, 204]
    assert cosmos_container.read_item("edit-me", partition_key="d1")["text"] == "new"
    assert cosmos_container.read_item("like-me", partition_key="d1")["likes"] == 1
    assert _exists(cosmos_container, "created", "d1")
    assert _exists(cosmos_container, "upserted", "d1")
    assert not _exists(cosmos_container, "drop-me", "d1")


def test_failed_batch_is_rolled_back_and_reported_like_cosmos(
    cosmos_container: ContainerProxy,
) -> None:
    original = cosmos_container.create_item({"id": "edit-me", "documentId": "d1", "text": "old"})
    cosmos_container.create_item({"id": "taken", "documentId": "d1"})

    with pytest.raises(CosmosBatchOperationError) as failure:
        cosmos_container.execute_item_batch(
            [
                ("create", ({"id": "fresh", "documentId": "d1"},)),
                ("replace", ("edit-me", {"id": "edit-me", "documentId": "d1", "text": "new"})),
                ("create", ({"id": "taken", "documentId": "d1"},)),  # conflict: 409
                ("upsert", ({"id": "never", "documentId": "d1"},)),
            ],
            partition_key="d1",
        )

    assert failure.value.error_index == 2
    assert failure.value.status_code == 409
    assert [r["statusCode"] for r in failure.value.operation_responses] == [424, 424, 409, 424]
    after = cosmos_container.read_item("edit-me", partition_key="d1")
    assert (after["text"], after["_etag"]) == ("old", original["_etag"])
    assert not _exists(cosmos_container, "fresh", "d1")
    assert not _exists(cosmos_container, "never", "d1")


def _batch_counts(server: CosmosServer) -> dict[str, Any]:
    address = urlsplit(server.endpoint)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(
        address.hostname or "", address.port or 0, context=context, timeout=10
    )
    try:
        connection.request("GET", "/_devstack/batches")
        return cast(dict[str, Any], json.loads(connection.getresponse().read()))
    finally:
        connection.close()


def test_the_server_counts_committed_and_failed_batches_for_the_benchmarks(
    cosmos_server: CosmosServer, cosmos_container: ContainerProxy
) -> None:
    head = cosmos_container.create_item({"id": "head", "documentId": "d1", "seq": 0})
    before = _batch_counts(cosmos_server)
    moved = {"id": "head", "documentId": "d1", "seq": 1}

    def append(message_id: str) -> None:
        # A fresh options dict each time: the SDK pops if_match_etag out of the one given.
        stale = {"if_match_etag": head["_etag"]}
        cosmos_container.execute_item_batch(
            [
                ("create", ({"id": message_id, "documentId": "d1"},)),
                ("replace", ("head", moved), stale),
            ],
            partition_key="d1",
        )

    append("m1")
    with pytest.raises(CosmosBatchOperationError):  # the head moved on: a lost race
        append("m2")

    after = _batch_counts(cosmos_server)
    assert after["committed"] - before["committed"] == 1
    assert after["operations"] - before["operations"] == 2
    assert after["failed"].get("412", 0) - before["failed"].get("412", 0) == 1


# Fault 3 ---------------------------------------------------------------------------


def test_server_keeps_connections_alive(cosmos_server: CosmosServer) -> None:
    address = urlsplit(cosmos_server.endpoint)
    context = ssl.create_default_context()  # like the SDK for 127.0.0.1: no certificate check
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    assert address.hostname is not None
    assert address.port is not None
    connection = http.client.HTTPSConnection(
        address.hostname, address.port, context=context, timeout=10
    )
    sockets = []
    try:
        for _ in range(2):
            connection.request("GET", "/")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
            assert response.getheader("Connection", "").lower() == "keep-alive"
            sockets.append(connection.sock)
    finally:
        connection.close()
    assert sockets[0] is not None
    assert sockets[0] is sockets[1]  # the second request reused the first TLS connection


# Fault 4 ---------------------------------------------------------------------------


def test_account_advertises_the_scheme_host_and_port_it_serves(
    cosmos_client: CosmosClient, cosmos_server: CosmosServer
) -> None:
    advertised = cosmos_client.get_database_account().WritableLocations
    assert [loc["databaseAccountEndpoint"] for loc in advertised] == [f"{cosmos_server.endpoint}/"]

    with (
        start_cosmos_server(tls=False) as plain,
        CosmosClient(plain.endpoint, credential=EMULATOR_KEY) as client,
    ):
        container = client.create_database("plain").create_container(
            "messages", PartitionKey(path="/documentId")
        )
        container.create_item({"id": "m1", "documentId": "d1"})
        assert container.read_item("m1", partition_key="d1")["id"] == "m1"
        locations = client.get_database_account().WritableLocations
    assert plain.endpoint.startswith("http://127.0.0.1:")
    assert [loc["databaseAccountEndpoint"] for loc in locations] == [f"{plain.endpoint}/"]


# Fault 5 ---------------------------------------------------------------------------


def _median_seconds(action: Callable[[], object], runs: int = 5) -> float:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        durations.append(time.perf_counter() - started)
    return statistics.median(durations)


def _fill(container: ContainerProxy, start: int, stop: int, per_partition: int = 100) -> None:
    """Add items `start` to `stop` (whole partitions): `n` = 0..99 in each of d0, d1, ..."""
    for first in range(start, stop, per_partition):
        partition = f"d{first // per_partition}"
        batch = [
            ("create", ({"id": f"m{n}", "documentId": partition, "n": n},))
            for n in range(per_partition)
        ]
        container.execute_item_batch(batch, partition_key=partition)


def test_query_cost_grows_linearly_with_container_size(cosmos_container: ContainerProxy) -> None:
    """Ten times the items may cost at most ten times the time (plus 0.1 s for noise).

    A cross-partition query, so the engine sees every item. Measured here: linear
    2k -> 20k items ~2x (5 -> 9 ms); the stock quadratic engine ~40-60x (30 ms -> 1.2-1.7 s).
    """

    def query() -> list[dict[str, Any]]:
        sql = "SELECT * FROM c WHERE c.n = 7"
        return list(cosmos_container.query_items(sql, enable_cross_partition_query=True))

    _fill(cosmos_container, 0, 2_000)
    small = _median_seconds(query)
    _fill(cosmos_container, 2_000, 20_000)
    big = _median_seconds(query)

    assert len(query()) == 200
    assert big < 10 * small + 0.1


# Fault 6 ---------------------------------------------------------------------------


def test_query_is_scoped_by_the_partition_key_it_is_given(cosmos_container: ContainerProxy) -> None:
    for item in (
        {"id": "a", "documentId": "d1", "kind": "note"},
        {"id": "b", "documentId": "d1", "kind": "message"},
        {"id": "c", "documentId": "d1", "kind": "note"},
        {"id": "d", "documentId": "d2", "kind": "note"},
    ):
        cosmos_container.create_item(item)

    def query(sql: str, partition: str) -> list[Any]:
        return list(cosmos_container.query_items(sql, partition_key=partition))

    assert sorted(_ids(query("SELECT * FROM c", "d1"))) == ["a", "b", "c"]
    assert sorted(_ids(query("SELECT c.id FROM c WHERE c.kind = 'note'", "d1"))) == ["a", "c"]
    assert query("SELECT VALUE COUNT(1) FROM c", "d2") == [1]
    assert query("SELECT * FROM c WHERE c.documentId = 'd2'", "d1") == []


# Fault 7 ---------------------------------------------------------------------------


def _wait_until_gone(container: ContainerProxy, item_id: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while _exists(container, item_id, "d1"):
        assert time.monotonic() < deadline, f"{item_id} never expired"
        time.sleep(0.2)


def test_time_to_live_expires_items_like_cosmos(cosmos_container_factory: ContainerFactory) -> None:
    """ttl 2 s (not 1): `_ts` has 1 s resolution, so an item lives between ttl-1 and ttl s."""
    default_2s = cosmos_container_factory(default_ttl=2)
    default_never = cosmos_container_factory(default_ttl=-1)
    ttl_off = cosmos_container_factory()
    default_2s.create_item({"id": "expires", "documentId": "d1"})
    default_2s.create_item({"id": "pinned", "documentId": "d1", "ttl": -1})
    default_never.create_item({"id": "own-ttl", "documentId": "d1", "ttl": 2})
    default_never.create_item({"id": "kept", "documentId": "d1"})
    ttl_off.create_item({"id": "ignored-ttl", "documentId": "d1", "ttl": 2})
    assert _exists(default_2s, "expires", "d1")
    assert _exists(default_never, "own-ttl", "d1")

    _wait_until_gone(default_2s, "expires")
    _wait_until_gone(default_never, "own-ttl")

    assert _ids(list(default_2s.query_items("SELECT * FROM c", partition_key="d1"))) == ["pinned"]
    assert _ids(list(default_never.read_all_items())) == ["kept"]
    assert _exists(ttl_off, "ignored-ttl", "d1")
    default_2s.create_item({"id": "expires", "documentId": "d1"})  # the id is free again


# docchat's chat queries ------------------------------------------------------------


@pytest.fixture
def chat(cosmos_container_factory: ContainerFactory) -> tuple[ContainerProxy, list[dict[str, Any]]]:
    """25 messages of document d1 (pairs share a millisecond, ids are random), newest
    first, in a container with docchat's composite index; plus another document's."""
    container = cosmos_container_factory(indexing_policy=CHAT_INDEXING_POLICY)
    messages = [
        {"id": uuid.uuid4().hex, "documentId": "d1", "createdAt": 1_700_000_000_000 + i // 2}
        for i in range(25)
    ]
    for message in [*messages, {"id": "other", "documentId": "d2", "createdAt": 0}]:
        container.create_item(message)
    newest_first = sorted(messages, key=lambda m: (m["createdAt"], m["id"]), reverse=True)
    return container, newest_first


def _pages(
    container: ContainerProxy, query: str, parameters: list[dict[str, Any]], page_size: int
) -> list[list[str]]:
    """Page as a stateless API does: one fresh query per page, resumed from the last token."""
    pages: list[list[str]] = []
    token: str | None = None
    while True:
        query_pages = container.query_items(
            query, parameters=parameters, partition_key="d1", max_item_count=page_size
        ).by_page(token)
        iterator = cast(PageIterator[dict[str, Any]], query_pages)  # it has the token
        pages.append(_ids(list(next(iterator))))
        token = iterator.continuation_token
        if not token:
            return pages


def test_chat_history_pages_newest_first_with_continuation_tokens(
    chat: tuple[ContainerProxy, list[dict[str, Any]]],
) -> None:
    container, newest_first = chat

    pages = _pages(container, HISTORY_QUERY, [{"name": "@d", "value": "d1"}], page_size=10)

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [item_id for page in pages for item_id in page] == _ids(newest_first)


def test_catch_up_keyset_query_returns_later_messages_oldest_first(
    chat: tuple[ContainerProxy, list[dict[str, Any]]],
) -> None:
    """The ascending query is served by the descending composite index, as in Cosmos."""
    container, newest_first = chat
    oldest_first = newest_first[::-1]
    cursor = oldest_first[8]  # shares its millisecond with oldest_first[9]
    parameters = [
        {"name": "@d", "value": "d1"},
        {"name": "@t", "value": cursor["createdAt"]},
        {"name": "@id", "value": cursor["id"]},
    ]

    pages = _pages(container, CATCH_UP_QUERY, parameters, page_size=4)

    assert [item_id for page in pages for item_id in page] == _ids(oldest_first[9:])
    assert [len(page) for page in pages] == [4, 4, 4, 4]


def test_a_full_partition_refuses_writes_with_403_1014_until_room_is_made() -> None:
    """Azure refuses every write to a logical partition at 20 GB with 403, sub-status 1014
    ("HTTP status codes for Azure Cosmos DB"); the server does so at the limit it is given,
    and a delete makes room again, as in Cosmos DB."""
    with (
        start_cosmos_server(port=0, partition_limit_bytes=2_000) as server,
        CosmosClient(server.endpoint, credential=EMULATOR_KEY) as client,
    ):
        database = client.create_database(f"full-{uuid.uuid4().hex[:8]}")
        container = database.create_container("c", PartitionKey(path="/documentId"))
        written = 0
        refused: CosmosHttpResponseError | None = None
        while refused is None and written < 100:
            try:
                container.create_item({"id": f"i{written}", "documentId": "full", "x": "x" * 200})
                written += 1
            except CosmosHttpResponseError as error:
                refused = error
        assert refused is not None
        assert (refused.status_code, refused.sub_status) == (403, 1014)
        assert written > 0
        batch = [("create", ({"id": "b", "documentId": "full"},))]
        with pytest.raises(CosmosHttpResponseError) as batch_refused:
            container.execute_item_batch(batch, partition_key="full")
        assert batch_refused.value.sub_status == 1014
        # Another partition still takes writes; a delete makes room in the full one.
        container.create_item({"id": "other", "documentId": "other"})
        container.delete_item("i0", partition_key="full")
        container.create_item({"id": "again", "documentId": "full"})
