"""Where messages are kept: the interface the use cases need from a message store.

Implementations keep each document's messages together (Cosmos DB: one logical partition)
and order them by (``createdAt``, ``id``). They raise
:class:`~chat.errors.StoreUnavailable` when the store fails, so the caller can answer 503.
"""

from __future__ import annotations

from typing import Protocol

from chat.messages import Cursor, Message, Page

__all__ = ["MessageStore"]


class MessageStore(Protocol):
    """A document's messages, each stored once per id."""

    def add(self, message: Message) -> bool:
        """Store ``message``; False, storing nothing, when its id is taken in its document."""
        ...

    def get(self, document_id: str, message_id: str) -> Message | None:
        """The message with this id in this document, if any."""
        ...

    def newest_first(self, document_id: str, limit: int, continuation_token: str | None) -> Page:
        """Up to ``limit`` messages, newest first, from where ``continuation_token`` left off.

        Raises :class:`~chat.errors.InvalidRequest` for a token this store did not issue.
        """
        ...

    def after(self, document_id: str, cursor: Cursor, limit: int) -> list[Message]:
        """Up to ``limit`` messages that come after ``cursor``, oldest first."""
        ...
