"""The outbox items :mod:`storage.cosmos.store` writes beside committed writes, for the
work after them (:class:`chat.app.outbox.Outbox`): a point read (~1 RU for a batch's item)
and a delete (~6 RU) each."""

from __future__ import annotations

from chat.app.outbox import OUTBOX_ID_PREFIX, Outbox
from chat.domain.happenings import Happening
from storage.cosmos.container import CosmosContainer

__all__ = ["CosmosOutbox"]


class CosmosOutbox(Outbox):
    """:class:`~chat.app.outbox.Outbox` over the shared container."""

    def __init__(self, container: CosmosContainer) -> None:
        self._container = container

    def pending(self, document_id: str, outbox_id: str) -> list[Happening] | None:
        if not outbox_id.startswith(OUTBOX_ID_PREFIX):
            return None  # no outbox's id: it names a message or the head
        item = self._container.read_item(document_id, outbox_id, self._container.deadline())
        if item is None:
            return None
        return [Happening.from_stored(document_id, stored) for stored in item["happenings"]]

    def settle(self, document_id: str, outbox_id: str) -> None:
        if outbox_id.startswith(OUTBOX_ID_PREFIX):
            self._container.delete_item(document_id, outbox_id)
