"""The message store contract, held against the local Cosmos DB server and the in-memory
fake the unit tests use (so the fake stays honest), plus what only Cosmos DB has:
its container, its indexing policy and its failures."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from azure.cosmos import CosmosClient

from chat.cosmos_store import INDEXING_POLICY, CosmosMessageStore, open_store
from chat.errors import InvalidRequest, StoreUnavailable
from chat.messages import Cursor, Message
from chat.store import MessageStore
from devstack.cosmos import EMULATOR_KEY, start_cosmos_server
from tests.fixtures.chat import InMemoryMessageStore, make_settings

_containers = itertools.count()


def cosmos_settings(endpoint: str) -> Any:
    return make_settings(
        cosmos_endpoint=endpoint,
        cosmos_key=EMULATOR_KEY,
        cosmos_container=f"store-contract-{next(_containers)}",
    )


@pytest.fixture(params=["memory", "cosmos"])
def store(request: pytest.FixtureRequest) -> MessageStore:
    if request.param == "memory":
        return InMemoryMessageStore()
    cosmos_server = request.getfixturevalue("cosmos_server")
    return open_store(cosmos_settings(cosmos_server.endpoint))


def message(n: int, *, document_id: str = "doc-1", created_at: str | None = None) -> Message:
    return Message(
        id=f"m{n:03d}",
        document_id=document_id,
        sender_id="alice-id",
        sender_name="Alice",
        text=f"text {n}",
        created_at=created_at or f"2026-11-22T11:17:{n // 1000:02d}.{n % 1000:03d}Z",
    )


def test_a_message_is_stored_once_per_id_and_document(store: MessageStore) -> None:
    assert store.add(message(1))
    assert not store.add(message(1))
    assert store.add(message(1, document_id="doc-2"))

    assert store.get("doc-1", "m001") == message(1)
    assert store.get("doc-1", "m999") is None
    assert store.get("doc-3", "m001") is None


def test_newest_first_pages_through_one_document_only(store: MessageStore) -> None:
    for n in range(7):
        store.add(message(n))
    store.add(message(100, document_id="doc-2"))

    seen, token = [], None
    for _ in range(10):
        page = store.newest_first("doc-1", 3, token)
        seen += [m.id for m in page.items]
        token = page.continuation_token
        if token is None:
            break

    assert seen == [f"m{n:03d}" for n in reversed(range(7))]


def test_after_a_cursor_comes_exactly_what_follows_it_ties_broken_by_id(
    store: MessageStore,
) -> None:
    tied = "2026-11-22T11:17:19.123Z"
    for n in (5, 3, 4, 1, 2):
        store.add(message(n, created_at=tied))
    store.add(message(0, created_at="2026-11-22T11:17:19.122Z"))
    store.add(message(9, created_at="2026-11-22T11:17:19.124Z"))
    store.add(message(7, created_at=tied, document_id="doc-2"))

    after = store.after("doc-1", Cursor(tied, "m002"), 10)

    assert [m.id for m in after] == ["m003", "m004", "m005", "m009"]
    assert [m.id for m in store.after("doc-1", Cursor(tied, "m002"), 2)] == ["m003", "m004"]


def test_a_token_it_did_not_issue_is_an_invalid_request(store: MessageStore) -> None:
    with pytest.raises(InvalidRequest, match="continuationToken is not one"):
        store.newest_first("doc-1", 3, "%%%not-base64%%%")


def test_the_container_is_created_with_its_partition_key_and_indexing_policy(
    cosmos_server: Any,
) -> None:
    settings = cosmos_settings(cosmos_server.endpoint)

    open_store(settings)

    container = (
        CosmosClient(cosmos_server.endpoint, EMULATOR_KEY)
        .get_database_client(settings.cosmos_database)
        .get_container_client(settings.cosmos_container)
        .read()
    )
    assert container["partitionKey"]["paths"] == ["/documentId"]
    policy = container["indexingPolicy"]
    assert policy["includedPaths"] == INDEXING_POLICY["includedPaths"]
    assert policy["excludedPaths"] == INDEXING_POLICY["excludedPaths"]
    assert len(policy["compositeIndexes"]) == 2


def test_opening_an_existing_container_keeps_its_messages(cosmos_server: Any) -> None:
    settings = cosmos_settings(cosmos_server.endpoint)
    open_store(settings).add(message(1))

    assert open_store(settings).get("doc-1", "m001") == message(1)


@pytest.fixture
def stopped_store() -> CosmosMessageStore:
    """A store whose Cosmos DB server has gone away after it was opened."""
    with start_cosmos_server() as server:
        store = open_store(cosmos_settings(server.endpoint))
    return store


def test_writes_and_reads_on_an_unreachable_server_are_store_unavailable(
    stopped_store: CosmosMessageStore,
) -> None:
    operations: list[Callable[[], object]] = [
        lambda: stopped_store.add(message(1)),
        lambda: stopped_store.newest_first("doc-1", 3, None),
    ]

    for operation in operations:
        with pytest.raises(StoreUnavailable) as raised:
            operation()
        assert raised.value.headers() == {"Retry-After": "1"}


def test_opening_an_unreachable_server_is_store_unavailable() -> None:
    with start_cosmos_server() as server:
        endpoint = server.endpoint

    with pytest.raises(StoreUnavailable):
        open_store(cosmos_settings(endpoint))
