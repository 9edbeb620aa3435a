"""Every store in one Cosmos DB container, built on first use.

Each adapter module (and with it azure.cosmos) is imported only when its store is first
asked for, so a function that stores nothing (negotiate) never loads the SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.once import Once
from storage.cosmos.settings import CosmosSettings

if TYPE_CHECKING:
    from chat.app.access import Memberships
    from chat.app.presence import Connections
    from chat.app.reading import ReadMarkers
    from chat.app.store import MessageStore
    from storage.cosmos.container import CosmosContainer

__all__ = ["CosmosStorage"]


class CosmosStorage:
    """:class:`chat.app.store.Storage` in the container ``settings`` name."""

    def __init__(self, settings: CosmosSettings) -> None:
        self.settings = settings
        self._container = Once(self._open_container)
        self._messages = Once(self._build_messages)
        self._memberships = Once(self._build_memberships)
        self._connections = Once(self._build_connections)
        self._read_markers = Once(self._build_read_markers)

    @property
    def messages(self) -> MessageStore:
        return self._messages.get()

    @property
    def memberships(self) -> Memberships:
        return self._memberships.get()

    @property
    def connections(self) -> Connections:
        return self._connections.get()

    @property
    def read_markers(self) -> ReadMarkers:
        return self._read_markers.get()

    def _open_container(self) -> CosmosContainer:
        from storage.cosmos.container import open_container

        return open_container(self.settings)

    def _build_messages(self) -> MessageStore:
        from storage.cosmos.store import CosmosMessageStore

        ttl = self.settings.message_ttl_seconds
        return CosmosMessageStore(self._container.get(), message_ttl_seconds=ttl)

    def _build_memberships(self) -> Memberships:
        from storage.cosmos.members import CosmosMemberships

        return CosmosMemberships(self._container.get())

    def _build_connections(self) -> Connections:
        from storage.cosmos.presence import CosmosConnections

        return CosmosConnections(self._container.get())

    def _build_read_markers(self) -> ReadMarkers:
        from storage.cosmos.reading import CosmosReadMarkers

        return CosmosReadMarkers(self._container.get())
