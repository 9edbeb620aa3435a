"""Read markers, in memory and in the local Cosmos DB server (the same contract): a marker
starts at 0, is kept per user and document, and never moves backwards, even when two tabs
report at once."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import pytest

from chat.app.reading import ReadMarkers
from devstack.cosmos import EMULATOR_KEY, CosmosServer
from storage.cosmos.container import open_container
from storage.cosmos.reading import CosmosReadMarkers
from storage.cosmos.settings import CosmosSettings
from tests.fixtures.chat import InMemoryReadMarkers

_containers = itertools.count()


@pytest.fixture(params=["memory", "cosmos"])
def markers(request: pytest.FixtureRequest) -> ReadMarkers:
    if request.param == "memory":
        return InMemoryReadMarkers()
    server: CosmosServer = request.getfixturevalue("cosmos_server")
    settings = CosmosSettings(
        endpoint=server.endpoint,
        key=EMULATOR_KEY,
        container=f"reading-contract-{next(_containers)}",
    )
    return CosmosReadMarkers(open_container(settings))


def test_a_marker_starts_at_nothing_read_and_is_per_user_and_document(
    markers: ReadMarkers,
) -> None:
    assert markers.read_up_to("doc-1", "alice") == 0

    assert markers.advance("doc-1", "alice", 3) == 3

    assert markers.read_up_to("doc-1", "alice") == 3
    assert markers.read_up_to("doc-1", "bob") == 0
    assert markers.read_up_to("doc-2", "alice") == 0


def test_a_marker_never_moves_backwards(markers: ReadMarkers) -> None:
    markers.advance("doc-1", "alice", 5)

    assert markers.advance("doc-1", "alice", 2) == 5
    assert markers.read_up_to("doc-1", "alice") == 5


def test_tabs_reporting_at_once_leave_the_furthest_marker(markers: ReadMarkers) -> None:
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda seq: markers.advance("doc-1", "alice", seq), [4, 1, 7, 3, 6, 2]))

    assert markers.read_up_to("doc-1", "alice") == 7
