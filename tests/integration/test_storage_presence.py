"""The connections store contract, held against the local Cosmos DB server and the
in-memory fake the unit tests use (so the fake stays honest)."""

from __future__ import annotations

import itertools

import pytest
from azure.cosmos import CosmosClient

from chat.app.presence import Connections, Owner, Present
from chat.domain.users import User
from devstack.cosmos import EMULATOR_KEY, CosmosServer
from storage.cosmos.container import open_container
from storage.cosmos.presence import (
    CONNECTION_TTL_SECONDS,
    PRESENCE_TTL_SECONDS,
    CosmosConnections,
)
from storage.cosmos.settings import CosmosSettings
from tests.fixtures.chat import ALICE, BOB, InMemoryConnections

_containers = itertools.count()
ODD_CONNECTION = "c/1?#\\~x"  # printable ASCII Cosmos DB refuses in ids


@pytest.fixture(params=["memory", "cosmos"])
def connections(request: pytest.FixtureRequest) -> Connections:
    if request.param == "memory":
        return InMemoryConnections()
    server: CosmosServer = request.getfixturevalue("cosmos_server")
    settings = CosmosSettings(
        endpoint=server.endpoint,
        key=EMULATOR_KEY,
        container=f"presence-contract-{next(_containers)}",
    )
    return CosmosConnections(open_container(settings))


def test_an_owner_is_remembered_until_the_connection_is_forgotten(
    connections: Connections,
) -> None:
    connections.own(ODD_CONNECTION, ALICE.id)

    assert connections.owner(ODD_CONNECTION) == Owner(ALICE.id)
    assert connections.owner("other") is None
    assert connections.forget(ODD_CONNECTION) == []
    assert connections.owner(ODD_CONNECTION) is None


def test_presence_is_per_document_and_forgetting_names_the_documents_joined(
    connections: Connections,
) -> None:
    connections.own(ODD_CONNECTION, ALICE.id)
    connections.own("b-1", BOB.id)
    for document in ("doc-1", "doc~2"):
        connections.enter(document, Present(ODD_CONNECTION, ALICE))
    connections.enter("doc-1", Present("b-1", BOB))
    connections.leave("doc~2", "b-1")  # never joined: fine

    assert sorted(p.connection_id for p in connections.present("doc-1")) == sorted(
        [ODD_CONNECTION, "b-1"]
    )
    assert connections.present("doc~2") == [Present(ODD_CONNECTION, ALICE)]
    assert connections.forget(ODD_CONNECTION) == ["doc-1", "doc~2"]


def test_leaving_removes_one_connection_and_its_note_on_the_owner(
    connections: Connections,
) -> None:
    connections.own("a-1", ALICE.id)
    connections.enter("doc-1", Present("a-1", User(ALICE.id, "Alice Renamed")))
    connections.enter("doc-2", Present("a-1", ALICE))

    connections.leave("doc-1", "a-1")

    assert connections.present("doc-1") == []
    assert connections.forget("a-1") == ["doc-2"]


def test_owner_and_presence_items_expire_by_themselves(cosmos_server: CosmosServer) -> None:
    settings = CosmosSettings(
        endpoint=cosmos_server.endpoint,
        key=EMULATOR_KEY,
        container=f"presence-ttl-{next(_containers)}",
    )
    store = CosmosConnections(open_container(settings))
    store.own("a-1", ALICE.id)
    store.enter("doc-1", Present("a-1", ALICE))

    container = (
        CosmosClient(cosmos_server.endpoint, EMULATOR_KEY)
        .get_database_client(settings.database)
        .get_container_client(settings.container)
    )
    assert container.read()["defaultTtl"] == -1
    items = list(container.query_items("SELECT * FROM c", enable_cross_partition_query=True))
    ttls = {item["id"].split(":")[0]: item["ttl"] for item in items}
    assert ttls == {"owner": CONNECTION_TTL_SECONDS, "_presence": PRESENCE_TTL_SECONDS}


def test_entering_after_the_connection_was_forgotten_says_so(connections: Connections) -> None:
    """A join that raced a disconnect learns it, and takes its entry back out."""
    connections.own("c-1", ALICE.id)
    assert connections.enter("doc-1", Present("c-1", ALICE))
    assert connections.forget("c-1") == ["doc-1"]

    assert not connections.enter("doc-1", Present("c-1", ALICE))


class JoinDuringForget(CosmosConnections):
    """A join on another instance notes a document on the owner just after a disconnect
    read it (the first read only)."""

    def __init__(self, store: CosmosConnections, joining: Present) -> None:
        super().__init__(store._container)
        self._joining: Present | None = joining

    def _read_owner(self, connection_id: str) -> dict[str, object] | None:
        item = super()._read_owner(connection_id)
        if self._joining is not None:
            joining, self._joining = self._joining, None
            assert CosmosConnections(self._container).enter("doc-2", joining)
        return item


def test_a_join_noted_between_a_disconnects_read_and_delete_is_in_its_list(
    cosmos_server: CosmosServer,
) -> None:
    settings = CosmosSettings(
        endpoint=cosmos_server.endpoint,
        key=EMULATOR_KEY,
        container=f"presence-race-{next(_containers)}",
    )
    store = CosmosConnections(open_container(settings))
    store.own("c-1", ALICE.id)
    store.enter("doc-1", Present("c-1", ALICE))

    racing = JoinDuringForget(store, Present("c-1", ALICE))

    assert racing.forget("c-1") == ["doc-1", "doc-2"]
    assert store.owner("c-1") is None


def test_a_revoked_entry_leaves_presence_but_is_still_found_for_its_user(
    connections: Connections,
) -> None:
    """So a revocation that is retried reaches the same connections."""
    for connection, user in (("a-1", ALICE), ("a-2", ALICE), ("b-1", BOB)):
        connections.own(connection, user.id)
        connections.enter("doc-1", Present(connection, user))

    for connection in connections.of_user("doc-1", ALICE.id):
        connections.revoke("doc-1", connection)

    assert [p.connection_id for p in connections.present("doc-1")] == ["b-1"]
    assert sorted(connections.of_user("doc-1", ALICE.id)) == ["a-1", "a-2"]
    connections.leave("doc-1", "a-1")
    connections.revoke("doc-1", "a-1")  # gone meanwhile: nothing to hide
    assert connections.of_user("doc-1", ALICE.id) == ["a-2"]
    assert connections.entry("doc-1", "a-2") is None
    connections.enter("doc-1", Present("a-2", ALICE))  # a member again, joined again
    assert connections.entry("doc-1", "a-2") == Present("a-2", ALICE)
    assert sorted(p.connection_id for p in connections.present("doc-1")) == ["a-2", "b-1"]


def test_a_hearing_entry_is_found_for_its_user_but_is_not_present_nor_noted_on_the_owner(
    connections: Connections,
) -> None:
    """A watch: a revocation finds it, presence does not show it, its disconnect has no
    document to announce; joining makes it present, leaving ends it."""
    for connection, user in (("a-1", ALICE), ("b-1", BOB)):
        connections.own(connection, user.id)
    connections.enter("doc-1", Present("b-1", BOB))

    connections.hear("doc-1", Present("a-1", ALICE))

    assert [p.connection_id for p in connections.present("doc-1")] == ["b-1"]
    assert connections.entry("doc-1", "a-1") is None
    assert connections.of_user("doc-1", ALICE.id) == ["a-1"]
    connections.enter("doc-1", Present("a-1", ALICE))
    assert connections.entry("doc-1", "a-1") == Present("a-1", ALICE)
    connections.leave("doc-1", "a-1")
    connections.hear("doc-1", Present("a-1", ALICE))
    assert connections.forget("a-1") == []
    connections.leave("doc-1", "a-1")
    assert connections.of_user("doc-1", ALICE.id) == []
