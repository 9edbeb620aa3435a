"""How far each user has read each document, and how much is left unread.

A read marker is a seq and never moves backwards (two tabs may report out of order).
Unread counts the messages after it that are neither the reader's own nor deleted, up to
:data:`MAX_UNREAD` ("999+" is all a badge shows).
"""

from __future__ import annotations

from typing import Protocol

from chat.app.access import Action, DocumentAccess
from chat.app.store import MessageStore
from chat.domain.errors import Forbidden, InvalidRequest
from chat.domain.users import User

__all__ = ["MAX_UNREAD", "ReadMarkers", "ReadingService"]

MAX_UNREAD = 1000


class ReadMarkers(Protocol):
    """Where read markers are kept."""

    def read_up_to(self, document_id: str, user_id: str) -> int:
        """The seq the user has read up to (0: nothing yet)."""
        ...

    def advance(self, document_id: str, user_id: str, seq: int) -> int:
        """Move the user's marker to ``seq`` unless it is already past it; the marker now."""
        ...


class ReadingService:
    """Read markers and unread counts, for users who may read the document."""

    def __init__(self, access: DocumentAccess, store: MessageStore, markers: ReadMarkers) -> None:
        self._access = access
        self._store = store
        self._markers = markers

    def mark_read(self, user: User, document_id: str, seq: int) -> int:
        """Record that the user has read up to ``seq``; the marker now."""
        self._require_reader(user, document_id)
        latest = self._store.latest_seq(document_id)
        if seq > latest:
            raise InvalidRequest(f"seq: the document's newest message is {latest}, not {seq}")
        return self._markers.advance(document_id, user.id, seq)

    def status(self, user: User, document_id: str) -> tuple[int, int]:
        """The user's marker, and how many messages after it are unread."""
        self._require_reader(user, document_id)
        seq = self._markers.read_up_to(document_id, user.id)
        return seq, self._store.count_after(document_id, seq, user.id, MAX_UNREAD)

    def _require_reader(self, user: User, document_id: str) -> None:
        if not self._access.allows(user, Action.READ, document_id):
            raise Forbidden("you may not read in this document")
