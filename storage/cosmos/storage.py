"""Every store in one Cosmos DB container (notifications in a second, partitioned by
user), built on first use.

Each adapter module (and with it azure.cosmos) is imported only when its store is first
asked for, so a function that stores nothing (negotiate) never loads the SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.once import built_once
from storage.cosmos.settings import CosmosSettings

if TYPE_CHECKING:
    from chat.app.access import Memberships
    from chat.app.notifications import Notifications
    from chat.app.outbox import Outbox
    from chat.app.presence import Connections
    from chat.app.queues import Queues
    from chat.app.reading import ReadMarkers
    from chat.app.store import MessageStore
    from chat.app.webhooks import WebhookStore
    from storage.cosmos.container import CosmosContainer

__all__ = ["CosmosStorage"]


class CosmosStorage:
    """:class:`chat.app.store.Storage` in the container ``settings`` name, with the work
    queues (None: no post-commit work, and the store writes no outbox)."""

    def __init__(self, settings: CosmosSettings, queues: Queues | None = None) -> None:
        self.settings = settings
        self.queues = queues

    @built_once
    def container(self) -> CosmosContainer:
        """The one container every store keeps its items in."""
        from storage.cosmos.container import open_container

        return open_container(self.settings)

    @built_once
    def messages(self) -> MessageStore:
        from storage.cosmos.store import CosmosMessageStore

        ttl = self.settings.message_ttl_seconds
        outbox = None if self.queues is None else self.queues.outbox
        return CosmosMessageStore(self.container, message_ttl_seconds=ttl, outbox=outbox)

    @built_once
    def memberships(self) -> Memberships:
        from storage.cosmos.members import CosmosMemberships

        return CosmosMemberships(self.container)

    @built_once
    def connections(self) -> Connections:
        from storage.cosmos.presence import CosmosConnections

        return CosmosConnections(self.container)

    @built_once
    def outbox(self) -> Outbox:
        from storage.cosmos.outbox import CosmosOutbox

        return CosmosOutbox(self.container)

    @built_once
    def read_markers(self) -> ReadMarkers:
        from storage.cosmos.reading import CosmosReadMarkers

        return CosmosReadMarkers(self.container)

    @built_once
    def notifications(self) -> Notifications:
        from storage.cosmos.container import open_container
        from storage.cosmos.notifications import CosmosNotifications, shape

        settings = self.settings
        made = shape(settings.notification_ttl_seconds)
        return CosmosNotifications(open_container(settings, settings.notifications_container, made))

    @built_once
    def webhooks(self) -> WebhookStore:
        from storage.cosmos.webhooks import CosmosWebhooks

        return CosmosWebhooks(self.container)
