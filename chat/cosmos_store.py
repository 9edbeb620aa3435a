"""Messages in Azure Cosmos DB: one container, partitioned by ``/documentId``.

Every query names its partition, so reading a document's chat costs a few RU however many
documents exist (a cross-partition query costs ~80 times more). Items are ordered by
``createdAt`` (milliseconds; Cosmos DB's own ``_ts`` has only seconds) then ``id``.

Indexing policy, and its expected RU effect: only ``/documentId``, ``/createdAt`` and
``/id`` are indexed, plus the two composite indexes (``createdAt``, ``id``) that the
newest-first and catch-up ORDER BYs need (a two-field ORDER BY fails without one in that
direction). Nothing else is indexed: ``text`` is the bulk of a message and no query reads it.
A ~1 KB write should so cost close to the ~5 RU of an unindexed write instead of the
5.7-8.6 RU of default indexing (all paths), and each page query stays the single-partition
~7.7 RU kind. A container that already exists keeps the policy it has.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

from azure.core.exceptions import AzureError
from azure.cosmos import ContainerProxy, CosmosClient, PartitionKey
from azure.cosmos.exceptions import (
    CosmosHttpResponseError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from chat.errors import DEFAULT_RETRY_AFTER_SECONDS, InvalidRequest, StoreUnavailable
from chat.messages import Cursor, Message, Page
from chat.settings import Settings

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.core.paging import PageIterator

__all__ = ["INDEXING_POLICY", "CosmosMessageStore", "open_store"]

PARTITION_KEY_PATH = "/documentId"
INDEXING_POLICY: dict[str, Any] = {
    "indexingMode": "consistent",
    "automatic": True,
    "includedPaths": [{"path": "/documentId/?"}, {"path": "/createdAt/?"}, {"path": "/id/?"}],
    "excludedPaths": [{"path": "/*"}],
    "compositeIndexes": [
        [
            {"path": "/createdAt", "order": "ascending"},
            {"path": "/id", "order": "ascending"},
        ],
        [
            {"path": "/createdAt", "order": "descending"},
            {"path": "/id", "order": "descending"},
        ],
    ],
}
#: Timeouts (seconds) and bounded retries: a request waits at most ~20 s, then 503.
CLIENT_OPTIONS: dict[str, Any] = {
    "connection_timeout": 5,
    "read_timeout": 10,
    "timeout": 20,
    "retry_total": 3,
    "retry_throttle_total": 3,
    "retry_throttle_backoff_max": 5,
}
NEWEST_FIRST = (
    "SELECT * FROM c WHERE c.documentId = @documentId ORDER BY c.createdAt DESC, c.id DESC"
)
AFTER_CURSOR = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND (c.createdAt > @createdAt"
    " OR (c.createdAt = @createdAt AND c.id > @id)) ORDER BY c.createdAt ASC, c.id ASC"
)
#: Cosmos DB answered this way because docchat asked wrongly: a bug, not an outage.
_OUR_MISTAKES = frozenset({400, 413})

_log = logging.getLogger(__name__)


def open_store(settings: Settings) -> CosmosMessageStore:
    """Connect to the configured account and container, creating both if missing."""
    with _outages_reported():
        client = CosmosClient(settings.cosmos_endpoint, _credential(settings), **CLIENT_OPTIONS)
        database = client.create_database_if_not_exists(settings.cosmos_database)
        container = database.create_container_if_not_exists(
            id=settings.cosmos_container,
            partition_key=PartitionKey(path=PARTITION_KEY_PATH),
            indexing_policy=INDEXING_POLICY,
        )
    return CosmosMessageStore(container)


class CosmosMessageStore:
    """:class:`~chat.store.MessageStore` over one Cosmos DB container."""

    def __init__(self, container: ContainerProxy) -> None:
        self._container = container

    def add(self, message: Message) -> bool:
        with _outages_reported():
            try:
                self._container.create_item(message.stored_form())
            except CosmosResourceExistsError:
                return False
        return True

    def get(self, document_id: str, message_id: str) -> Message | None:
        with _outages_reported():
            try:
                item = self._container.read_item(message_id, partition_key=document_id)
            except CosmosResourceNotFoundError:
                return None
        return Message.from_stored(item)

    def newest_first(self, document_id: str, limit: int, continuation_token: str | None) -> Page:
        query = self._container.query_items(
            NEWEST_FIRST,
            parameters=[{"name": "@documentId", "value": document_id}],
            partition_key=document_id,
            max_item_count=limit,
        )
        start = _unwrap(continuation_token) if continuation_token else None
        pages = cast("PageIterator[dict[str, Any]]", query.by_page(start))
        with _outages_reported(), _refused_as_invalid_token():
            items = [Message.from_stored(item) for item in next(pages, [])]
        following = pages.continuation_token
        return Page(items, _wrap(following) if following else None)

    def after(self, document_id: str, cursor: Cursor, limit: int) -> list[Message]:
        found = self._container.query_items(
            AFTER_CURSOR,
            parameters=[
                {"name": "@documentId", "value": document_id},
                {"name": "@createdAt", "value": cursor.created_at},
                {"name": "@id", "value": cursor.message_id},
            ],
            partition_key=document_id,
            max_item_count=limit,
        )
        with _outages_reported():
            return [Message.from_stored(item) for item in itertools.islice(found, limit)]


def _credential(settings: Settings) -> str | TokenCredential:
    if settings.cosmos_key:
        return settings.cosmos_key
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def _wrap(cosmos_token: str) -> str:
    """Cosmos DB's continuation token (JSON) as an opaque URL-safe string."""
    return base64.urlsafe_b64encode(cosmos_token.encode()).decode().rstrip("=")


def _unwrap(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _invalid_token() from None


def _invalid_token() -> InvalidRequest:
    return InvalidRequest("continuationToken is not one this endpoint issued")


@contextmanager
def _refused_as_invalid_token() -> Iterator[None]:
    """Cosmos DB answers 400 to a continuation token it cannot read."""
    try:
        yield
    except CosmosHttpResponseError as error:
        if error.status_code == 400:
            raise _invalid_token() from None
        raise


@contextmanager
def _outages_reported() -> Iterator[None]:
    """Turn Cosmos DB failures and unreachability into :class:`StoreUnavailable`."""
    try:
        yield
    except CosmosHttpResponseError as error:
        if error.status_code in _OUR_MISTAKES:
            raise
        _log.warning("Cosmos DB answered %s (sub-status %s)", error.status_code, error.sub_status)
        raise StoreUnavailable(
            "the message store is unavailable; try again shortly",
            retry_after=_retry_after(error),
        ) from None
    except AzureError as error:
        _log.warning("Cosmos DB unreachable: %s", type(error).__name__)
        raise StoreUnavailable("the message store is unreachable; try again shortly") from None


def _retry_after(error: CosmosHttpResponseError) -> int:
    milliseconds = error.headers.get("x-ms-retry-after-ms")
    if milliseconds and milliseconds.replace(".", "", 1).isdigit():
        return max(1, math.ceil(float(milliseconds) / 1000))
    return DEFAULT_RETRY_AFTER_SECONDS
