"""Document members in Azure Cosmos DB: one item per member, in the document's partition.

A member item is ``{"id": "_member:<sha256 of the user id>", "documentId", "userId",
"role"}``. The id is a hash because user ids may hold characters Cosmos DB refuses in ids;
the ``_`` prefix is reserved, so no message can take it. Checking a role is a point read
(~1 RU); listing is a single-partition query on the indexed ``/role``, in pages ordered by
the item id (always indexed), each page starting after the last id the one before had.
"""

from __future__ import annotations

import hashlib

from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import CosmosResourceExistsError

from chat.app.access import MemberPage, Role
from chat.domain.messages import RESERVED_ID_PREFIX
from storage.cosmos.container import CosmosContainer, left

__all__ = ["CosmosMemberships"]

MEMBERS = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND IS_DEFINED(c.role)"
    " AND c.id > @after ORDER BY c.id"
)
_MEMBER_PREFIX = f"{RESERVED_ID_PREFIX}member:"


class CosmosMemberships:
    """:class:`~chat.app.access.Memberships` over the shared container."""

    def __init__(self, container: CosmosContainer) -> None:
        self._container = container

    def role(self, document_id: str, user_id: str) -> Role | None:
        deadline = self._container.deadline()
        item = self._container.read_item(document_id, _member_id(user_id), deadline)
        return None if item is None else Role(item["role"])

    def put(self, document_id: str, user_id: str, role: Role) -> bool:
        deadline = self._container.deadline()
        item = {
            "id": _member_id(user_id),
            "documentId": document_id,
            "userId": user_id,
            "role": role.value,
        }

        def create_or_replace(container: ContainerProxy) -> bool:
            try:
                container.create_item(item, timeout=left(deadline))
            except CosmosResourceExistsError:
                container.replace_item(item["id"], item, timeout=left(deadline))
                return False
            return True

        return self._container.call(create_or_replace, writing=True)

    def remove(self, document_id: str, user_id: str) -> bool:
        return self._container.delete_item(document_id, _member_id(user_id))

    def members(self, document_id: str, limit: int, after: str | None) -> MemberPage:
        bounds: dict[str, object] = {"@after": _MEMBER_PREFIX + (after or "")}
        items = self._container.query(document_id, MEMBERS, bounds, limit + 1)
        listed = [(item["userId"], Role(item["role"])) for item in items[:limit]]
        more = len(items) > limit
        return MemberPage(
            listed, items[limit - 1]["id"].removeprefix(_MEMBER_PREFIX) if more else None
        )


def _member_id(user_id: str) -> str:
    return _MEMBER_PREFIX + hashlib.sha256(user_id.encode()).hexdigest()
