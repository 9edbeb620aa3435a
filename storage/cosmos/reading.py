"""Read markers in Azure Cosmos DB: one item per reader, in the document's partition.

The item is ``{"id": "_read:<sha256 of the user id>", "documentId", "userId", "readSeq"}``:
a point read (~1 RU) to know it, and a conditional write (~6 RU, ETag-checked, retried if
another tab moved it meanwhile) to advance it. The field is not ``seq``: the queries for
messages select items by ``seq`` in the same partition.
"""

from __future__ import annotations

import hashlib
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import CosmosAccessConditionFailedError, CosmosResourceExistsError

from chat.domain.messages import RESERVED_ID_PREFIX
from storage.cosmos.container import CosmosContainer, left

__all__ = ["CosmosReadMarkers"]

READ_SEQ = "readSeq"
#: Tries of a marker that other writers keep moving: two tabs, not a crowd.
MAX_TRIES = 3


class CosmosReadMarkers:
    """:class:`~chat.app.reading.ReadMarkers` over the shared container."""

    def __init__(self, container: CosmosContainer) -> None:
        self._container = container

    def read_up_to(self, document_id: str, user_id: str) -> int:
        item = self._read(document_id, user_id)
        return 0 if item is None else int(item[READ_SEQ])

    def advance(self, document_id: str, user_id: str, seq: int) -> int:
        for _ in range(MAX_TRIES):
            item = self._read(document_id, user_id)
            if item is not None and int(item[READ_SEQ]) >= seq:
                return int(item[READ_SEQ])
            if self._write(document_id, user_id, seq, item):
                return seq
        return self.read_up_to(document_id, user_id)

    def _read(self, document_id: str, user_id: str) -> dict[str, Any] | None:
        deadline = self._container.deadline()
        return self._container.read_item(document_id, _marker_id(user_id), deadline)

    def _write(
        self, document_id: str, user_id: str, seq: int, current: dict[str, Any] | None
    ) -> bool:
        """Create or replace the marker unless someone else wrote it since it was read."""
        deadline = self._container.deadline()
        item: dict[str, Any] = {
            "id": _marker_id(user_id),
            "documentId": document_id,
            "userId": user_id,
            READ_SEQ: seq,
        }

        def write(container: ContainerProxy) -> bool:
            try:
                if current is None:
                    container.create_item(item, timeout=left(deadline))
                else:
                    container.replace_item(
                        item["id"],
                        item,
                        etag=current["_etag"],
                        match_condition=MatchConditions.IfNotModified,
                        timeout=left(deadline),
                    )
            except (CosmosResourceExistsError, CosmosAccessConditionFailedError):
                return False
            return True

        return self._container.call(write, writing=True)


def _marker_id(user_id: str) -> str:
    return f"{RESERVED_ID_PREFIX}read:{hashlib.sha256(user_id.encode()).hexdigest()}"
