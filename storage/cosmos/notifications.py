"""Users' notifications in Azure Cosmos DB: a second container, one partition per user.

The ``notifications`` container (``COSMOS_NOTIFICATIONS_CONTAINER``) is partitioned by
``/userId``: an inbox spans documents, so keeping it in the documents' partitions would make
every inbox read a cross-partition query. Its default time to live is
``DOCCHAT_NOTIFICATION_TTL_DAYS`` (90 days; 0: for ever), so an inbox never grows without
bound.

An item is the notification's API form plus ``userId`` (the partition), ``unread`` and
``sortKey`` (``createdAt~id``: unique, and newest first when read backwards). Only
``/userId``, ``/unread`` and ``/sortKey`` are indexed, with one composite index
(``unread``, ``sortKey``), so each inbox query is one index range: a page of the inbox is
``sortKey`` read backwards; a page of the unread ones, the unread count and the unread items
that read-all marks are the ``unread = true`` range of the composite index read by
``sortKey``. Their RU follows the page, not the inbox.

**RU** (items ~0.5 KB): create ~6 RU (a 409 for one made before costs about as much, and
stores nothing), point read 1 RU, mark one read 1 RU + a patch ~10 RU, a page ~3 RU +
items, the unread count (at most 100 ids) ~3-5 RU, read-all ~10 RU per unread item, in
transactional batches of up to 100 patches (one partition, so a batch is allowed).
"""

from __future__ import annotations

from typing import Any

from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import (
    CosmosBatchOperationError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from chat.domain.notifications import NOTIFICATION_ID, Kind, Notification
from chat.domain.users import User
from storage.cosmos.container import (
    DEFAULT_TTL,
    ContainerShape,
    CosmosContainer,
    left,
    raise_if_container_missing,
)

__all__ = ["INDEXING_POLICY", "PARTITION_KEY_PATH", "CosmosNotifications", "shape"]

PARTITION_KEY_PATH = "/userId"
INDEXING_POLICY: dict[str, Any] = {
    "indexingMode": "consistent",
    "automatic": True,
    "includedPaths": [{"path": "/userId/?"}, {"path": "/unread/?"}, {"path": "/sortKey/?"}],
    "excludedPaths": [{"path": "/*"}],
    # The unread ones by sortKey: an equality on unread, ordered by both paths.
    "compositeIndexes": [
        [{"path": "/unread", "order": "ascending"}, {"path": "/sortKey", "order": "descending"}]
    ],
}
#: Larger than any ``sortKey`` (timestamps start with a digit): "before this" is "all".
_NEWEST = "~"
ALL = "SELECT * FROM c WHERE c.userId = @userId AND c.sortKey < @before ORDER BY c.sortKey DESC"
UNREAD = (
    "SELECT * FROM c WHERE c.userId = @userId AND c.unread = true AND c.sortKey < @before"
    " ORDER BY c.unread ASC, c.sortKey DESC"
)
UNREAD_DOCUMENTS = (
    "SELECT c.id, c.documentId FROM c WHERE c.userId = @userId AND c.unread = true"
    " AND c.sortKey < @before ORDER BY c.unread ASC, c.sortKey DESC"
)
#: Cosmos DB's most operations in one transactional batch.
MAX_BATCH_OPERATIONS = 100


def shape(ttl_seconds: int = DEFAULT_TTL) -> ContainerShape:
    """How the notifications container is made: its items expire ``ttl_seconds`` after
    their last write (-1: never)."""
    return ContainerShape(PARTITION_KEY_PATH, INDEXING_POLICY, ttl_seconds)


class CosmosNotifications:
    """:class:`~chat.app.notifications.Notifications` over the notifications container."""

    def __init__(self, container: CosmosContainer) -> None:
        self._container = container

    def create(self, notification: Notification) -> bool:
        deadline = self._container.deadline()
        item = _item(notification)

        def create(container: ContainerProxy) -> bool:
            try:
                container.create_item(item, timeout=left(deadline))
            except CosmosResourceExistsError:
                return False
            return True

        return self._container.call(create, writing=True)

    def get(self, user_id: str, notification_id: str) -> Notification | None:
        if not NOTIFICATION_ID.fullmatch(notification_id):
            return None
        deadline = self._container.deadline()
        item = self._container.read_item(user_id, notification_id, deadline)
        return None if item is None else _notification(item)

    def newest_first(
        self, user_id: str, unread_only: bool, limit: int, before: str | None
    ) -> list[Notification]:
        query = UNREAD if unread_only else ALL
        items = self._container.query(user_id, query, {"@before": before or _NEWEST}, limit)
        return [_notification(item) for item in items]

    def unread_documents(self, user_id: str, cap: int) -> list[str]:
        items = self._container.query(user_id, UNREAD_DOCUMENTS, {"@before": _NEWEST}, cap)
        return [item["documentId"] for item in items]

    def mark_read(self, user_id: str, notification_id: str, at: str) -> Notification | None:
        if not NOTIFICATION_ID.fullmatch(notification_id):
            return None
        deadline = self._container.deadline()

        def patch(container: ContainerProxy) -> dict[str, Any] | None:
            try:
                patched: dict[str, Any] = container.patch_item(
                    notification_id,
                    partition_key=user_id,
                    patch_operations=_read_at(at),
                    timeout=left(deadline),
                )
            except CosmosResourceNotFoundError as error:
                raise_if_container_missing(error)
                return None
            return patched

        patched = self._container.call(patch, writing=True)
        return None if patched is None else _notification(patched)

    def mark_all_read(self, user_id: str, at: str) -> None:
        """In batches of up to 100 patches, until no unread one is left (each round reads
        the next unread ids again, so one that expired meanwhile is simply not found)."""
        while True:
            items = self._container.query(
                user_id, UNREAD_DOCUMENTS, {"@before": _NEWEST}, MAX_BATCH_OPERATIONS
            )
            if not items:
                return
            self._patch_all(user_id, [item["id"] for item in items], at)

    def _patch_all(self, user_id: str, ids: list[str], at: str) -> None:
        deadline = self._container.deadline()
        operations = [("patch", (id_, _read_at(at))) for id_ in ids]

        def run(container: ContainerProxy) -> None:
            try:
                container.execute_item_batch(
                    operations, partition_key=user_id, timeout=left(deadline)
                )
            except CosmosBatchOperationError:
                # One expired meanwhile (404): mark the rest one by one; the next round's
                # query no longer finds it.
                for id_ in ids:
                    try:
                        container.patch_item(
                            id_,
                            partition_key=user_id,
                            patch_operations=_read_at(at),
                            timeout=left(deadline),
                        )
                    except CosmosResourceNotFoundError as error:
                        raise_if_container_missing(error)

        self._container.call(run, writing=True)


def _read_at(at: str) -> list[dict[str, Any]]:
    return [
        {"op": "set", "path": "/readAt", "value": at},
        {"op": "set", "path": "/unread", "value": False},
    ]


def _item(notification: Notification) -> dict[str, Any]:
    return notification.to_json() | {
        "userId": notification.user_id,
        "unread": notification.unread,
        "sortKey": notification.order_key,
    }


def _notification(item: dict[str, Any]) -> Notification:
    actor = item["actor"]
    return Notification(
        id=item["id"],
        user_id=item["userId"],
        kind=Kind(item["kind"]),
        document_id=item["documentId"],
        message_id=item["messageId"],
        thread_id=item.get("threadId"),
        actor=User(actor["id"], actor["name"]),
        excerpt=item.get("excerpt"),
        created_at=item["createdAt"],
        read_at=item.get("readAt"),
    )
