"""Connection owners and presence in Azure Cosmos DB, in the messages' container.

- A connection's owner is the item ``owner`` in the connection's own logical partition
  (``_connection:<connection id>``, a document id no client can name), with the documents
  it joined: a point read for each join, and one read and one delete per disconnect. The
  delete is conditional on the owner's etag, and a join's note of a document on the owner
  tells whether the owner was still there: so a join racing a disconnect is either in the
  list the disconnect cleans up, or learns that it must take its own entry back out.
- A presence entry is the item ``_presence:<sha256 of the connection id>`` in the
  document's partition (connection ids may hold characters Cosmos DB refuses in ids);
  a document's presence is one single-partition query on the indexed ``/connectionId``.
  A revocation marks its user's entries ``revoked`` (hidden from presence, still found by
  :meth:`CosmosConnections.of_user`, so a retried revocation reaches the same connections).
  A connection that watches a document (hears it without being present) has the same item
  marked ``hearsOnly``: hidden from presence, found by ``of_user``, and not noted on the
  owner, so its disconnect announces nothing for it.

Both expire (``ttl``) after their last write, an owner after a day and a presence entry
after 15 minutes (a connected page joins again every 5): the service does not promise to
report every disconnect, and an entry nobody cleans up must not stay. Expired items are
never returned, even before Cosmos DB removes them.

Expected RU (1 KB items): connect ~6 (one upsert); join ~1 (owner read) + ~1 (is the
connection present already?) + ~6 (presence upsert) + ~7 (patching the owner) + the
presence query ~3 (once per coalesced announcement); watch ~1 (owner read) + ~1 (present
already?) + ~6 (the upsert); typing ~1 (a point read of the
typist's entry); a presence read ~3; disconnect ~1 + ~6 + ~6 per document joined (+ ~1
per retry when a join changed the owner meanwhile); a revocation ~3 (the user's entries)
+ ~7 per entry marked.
"""

from __future__ import annotations

import hashlib
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import CosmosAccessConditionFailedError, CosmosResourceNotFoundError

from chat.app.presence import Owner, Present
from chat.domain.messages import RESERVED_ID_PREFIX
from chat.domain.users import User
from storage.cosmos.container import CosmosContainer, left, raise_if_container_missing

__all__ = ["CONNECTION_TTL_SECONDS", "PRESENCE_TTL_SECONDS", "CosmosConnections"]

#: How long an owner or presence entry outlives its last write.
CONNECTION_TTL_SECONDS = 24 * 3600
#: How long a presence entry outlives its last join: a connected page joins again every
#: 5 minutes (chat-session.js), so only a connection whose disconnect the service never
#: reported (say, the service restarted) drops out, within this.
PRESENCE_TTL_SECONDS = 15 * 60
#: A document's presence is one response: past this many connections, the rest are left out.
MAX_PRESENT = 1000
OWNER_ID = "owner"
PRESENT = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND IS_DEFINED(c.connectionId)"
    " AND NOT IS_DEFINED(c.revoked) AND NOT IS_DEFINED(c.hearsOnly)"
)
OF_USER = (
    "SELECT c.connectionId FROM c WHERE c.documentId = @documentId"
    " AND IS_DEFINED(c.connectionId) AND c.userId = @userId"
)


class CosmosConnections:
    """:class:`~chat.app.presence.Connections` over the shared container."""

    def __init__(self, container: CosmosContainer) -> None:
        self._container = container

    def own(self, connection_id: str, user_id: str) -> None:
        item = {
            "id": OWNER_ID,
            "documentId": _partition_of(connection_id),
            "userId": user_id,
            "joined": {},
            "ttl": CONNECTION_TTL_SECONDS,
        }
        self._upsert(item)

    def owner(self, connection_id: str) -> Owner | None:
        item = self._read_owner(connection_id)
        if item is None:
            return None
        return Owner(str(item["userId"]), frozenset(_entered(item)))

    def forget(self, connection_id: str) -> list[str]:
        """Delete the owner as read: if a join noted a document on it meanwhile, read again,
        so that document is in the list too."""
        while (item := self._read_owner(connection_id)) is not None:
            if self._deleted_unchanged(connection_id, item["_etag"]):
                return sorted(_entered(item))
        return []

    def enter(self, document_id: str, present: Present) -> bool:
        self._upsert(_entry(document_id, present))
        return self._patch_joined(present.connection_id, document_id, joined=True)

    def hear(self, document_id: str, present: Present) -> None:
        self._upsert({**_entry(document_id, present), "hearsOnly": True})

    def leave(self, document_id: str, connection_id: str) -> None:
        self._delete(document_id, _presence_id(connection_id))
        self._patch_joined(connection_id, document_id, joined=False)

    def entry(self, document_id: str, connection_id: str) -> Present | None:
        deadline = self._container.deadline()
        item = self._container.read_item(document_id, _presence_id(connection_id), deadline)
        if item is None or "revoked" in item or "hearsOnly" in item:
            return None
        return _present(item)

    def present(self, document_id: str) -> list[Present]:
        items = self._container.query(document_id, PRESENT, {}, MAX_PRESENT)
        return [_present(item) for item in items]

    def of_user(self, document_id: str, user_id: str) -> list[str]:
        items = self._container.query(document_id, OF_USER, {"@userId": user_id}, MAX_PRESENT)
        return [str(item["connectionId"]) for item in items]

    def revoke(self, document_id: str, connection_id: str) -> None:
        operation = {"op": "set", "path": "/revoked", "value": True}
        deadline = self._container.deadline()

        def patch(container: ContainerProxy) -> None:
            try:
                container.patch_item(
                    _presence_id(connection_id),
                    partition_key=document_id,
                    patch_operations=[operation],
                    timeout=left(deadline),
                )
            except CosmosResourceNotFoundError as error:
                raise_if_container_missing(error)  # it left meanwhile: nothing to hide

        self._container.call(patch, writing=True)

    # Requests --------------------------------------------------------------------------

    def _read_owner(self, connection_id: str) -> dict[str, Any] | None:
        deadline = self._container.deadline()
        return self._container.read_item(_partition_of(connection_id), OWNER_ID, deadline)

    def _upsert(self, item: dict[str, Any]) -> None:
        deadline = self._container.deadline()

        def upsert(container: ContainerProxy) -> None:
            container.upsert_item(item, timeout=left(deadline))

        self._container.call(upsert, writing=True)

    def _delete(self, partition: str, item_id: str) -> None:
        self._container.delete_item(partition, item_id)

    def _deleted_unchanged(self, connection_id: str, etag: str) -> bool:
        """Delete the owner if it is still as read; False if it changed (or is gone)."""
        deadline = self._container.deadline()

        def delete(container: ContainerProxy) -> bool:
            try:
                container.delete_item(
                    OWNER_ID,
                    partition_key=_partition_of(connection_id),
                    etag=etag,
                    match_condition=MatchConditions.IfNotModified,
                    timeout=left(deadline),
                )
            except CosmosAccessConditionFailedError:
                return False
            except CosmosResourceNotFoundError as error:
                raise_if_container_missing(error)
                return False
            return True

        return self._container.call(delete, writing=True)

    def _patch_joined(self, connection_id: str, document_id: str, *, joined: bool) -> bool:
        """Note on the owner which documents the connection hears, for its disconnect; a
        connection whose owner is gone (disconnected meanwhile) has nothing to note: False."""
        # "set" either way: removing a key that is not there would be refused.
        path = f"/joined/{_pointer_escaped(document_id)}"
        operation = {"op": "set", "path": path, "value": joined}
        deadline = self._container.deadline()

        def patch(container: ContainerProxy) -> bool:
            try:
                container.patch_item(
                    OWNER_ID,
                    partition_key=_partition_of(connection_id),
                    patch_operations=[operation],
                    timeout=left(deadline),
                )
            except CosmosResourceNotFoundError as error:
                raise_if_container_missing(error)
                return False
            return True

        return self._container.call(patch, writing=True)


def _entered(owner: dict[str, Any]) -> list[str]:
    """The documents an owner item notes its connection as having entered."""
    return [document for document, hears in owner.get("joined", {}).items() if hears]


def _present(item: dict[str, Any]) -> Present:
    return Present(item["connectionId"], User(item["userId"], item["userName"]))


def _partition_of(connection_id: str) -> str:
    return f"{RESERVED_ID_PREFIX}connection:{connection_id}"


def _entry(document_id: str, present: Present) -> dict[str, object]:
    return {
        "id": _presence_id(present.connection_id),
        "documentId": document_id,
        "connectionId": present.connection_id,
        "userId": present.user.id,
        "userName": present.user.name,
        "ttl": PRESENCE_TTL_SECONDS,
    }


def _presence_id(connection_id: str) -> str:
    return f"{RESERVED_ID_PREFIX}presence:{hashlib.sha256(connection_id.encode()).hexdigest()}"


def _pointer_escaped(key: str) -> str:
    """``key`` as one JSON Pointer segment (RFC 6901: ``~`` and ``/`` escaped)."""
    return key.replace("~", "~0").replace("/", "~1")
