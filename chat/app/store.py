"""Where messages are kept: the interface the use cases need from a message store, and
:class:`Storage`, everything a storage adapter (:mod:`storage`) hands the use cases.

Implementations keep each document's messages together (Cosmos DB: one logical partition)
and give each new message the document's next ``seq`` and ``position`` atomically with
writing it, so every reader sees one order with no gap; a change (edit, deletion,
reaction) takes the next position, so a catch-up sees each change once. A reply's write
changes its thread's root too (:func:`chat.domain.threads.summary_change`), in the same
atomic write: the root takes the next position as well. With a queue for post-commit work,
each write also leaves what it made happen (:mod:`chat.domain.happenings`) in the outbox
(:mod:`chat.app.outbox`), in the same atomic write. They raise
:class:`~chat.domain.errors.StoreUnavailable` when the store fails and the write surely did not
happen (refused, or never sent), and :class:`~chat.domain.errors.StoreOutcomeUnknown` when it may
or may not have happened, so the caller can answer 503 and say which
(:class:`~chat.domain.errors.SendFailed`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from chat.domain.messages import Message
from chat.domain.users import User

if TYPE_CHECKING:
    from chat.app.access import Memberships
    from chat.app.notifications import Notifications
    from chat.app.outbox import Outbox
    from chat.app.presence import Connections
    from chat.app.queues import Queues
    from chat.app.reading import ReadMarkers
    from chat.app.webhooks import WebhookStore

__all__ = ["MessageStore", "Storage"]


class Storage(Protocol):
    """The stores of one backing service, each built on first use: a cold start that never
    touches one pays nothing for it."""

    @property
    def messages(self) -> MessageStore:
        """Each document's messages."""
        ...

    @property
    def memberships(self) -> Memberships:
        """Each document's members (``DOCCHAT_ACCESS=members``)."""
        ...

    @property
    def connections(self) -> Connections:
        """Whose each connection is, and who is present in each document."""
        ...

    @property
    def read_markers(self) -> ReadMarkers:
        """How far each user has read each document."""
        ...

    @property
    def queues(self) -> Queues | None:
        """The work queues, None when there are none (no notifications or webhooks)."""
        ...

    @property
    def outbox(self) -> Outbox:
        """What committed writes left to do after them (:mod:`chat.app.outbox`)."""
        ...

    @property
    def notifications(self) -> Notifications:
        """Each user's notifications."""
        ...

    @property
    def webhooks(self) -> WebhookStore:
        """Backend services' webhooks and their failed deliveries."""
        ...


class MessageStore(Protocol):
    """A document's messages, each stored once per id, in the order they were appended.

    A store implements the ``*_with_root`` writes; by subclassing this Protocol it gets
    :meth:`append` and :meth:`change`, which leave the root out."""

    def append(self, message: Message) -> Message | None:
        """Store ``message`` as its document's newest, returning it with its ``seq`` and
        ``position``; None, storing nothing, when its id is taken in its document."""
        written = self.append_with_root(message)
        return None if written is None else written[0]

    def change(
        self,
        document_id: str,
        message_id: str,
        change: Callable[[Message], Message],
        *,
        actor: User,
    ) -> Message | None:
        """Apply ``change`` (made by ``actor``) to the stored message and store the result as
        the document's newest change (same ``seq``, next ``position``), atomically; None if
        there is no such message. When ``change`` returns the message unchanged, nothing is
        written."""
        written = self.change_with_root(document_id, message_id, change, actor=actor)
        return None if written is None else written[0]

    def append_with_root(self, message: Message) -> tuple[Message, Message | None] | None:
        """As :meth:`append`; for a reply also its thread's root as the same atomic write
        left it (None for a message that is no reply). Raises
        :class:`~chat.domain.errors.MessageNotFound` when a reply's root is not stored."""
        ...

    def change_with_root(
        self,
        document_id: str,
        message_id: str,
        change: Callable[[Message], Message],
        *,
        actor: User,
    ) -> tuple[Message, Message | None] | None:
        """As :meth:`change`; also the thread's root as the same atomic write left it when
        the change changed it (a reply deleted), else None."""
        ...

    def latest_seq(self, document_id: str) -> int:
        """The seq of the document's newest message (0 for none), whoever stored it."""
        ...

    def count_after(self, document_id: str, seq: int, excluding_sender: str, cap: int) -> int:
        """How many messages after ``seq`` are neither deleted nor ``excluding_sender``'s,
        counting at most ``cap``."""
        ...

    def get(self, document_id: str, message_id: str) -> Message | None:
        """The message with this id in this document, if any."""
        ...

    def newest_first(self, document_id: str, limit: int, before_seq: int | None) -> list[Message]:
        """Up to ``limit`` messages that are no reply (the timeline), newest first, all with
        a seq below ``before_seq``."""
        ...

    def replies(self, document_id: str, root_id: str, limit: int, after_seq: int) -> list[Message]:
        """Up to ``limit`` replies in the root's thread, oldest first, after ``after_seq``."""
        ...

    def threads(
        self, document_id: str, listings: tuple[str, ...], limit: int, before_position: int | None
    ) -> list[Message]:
        """Up to ``limit`` roots listed as one of ``listings``
        (:class:`~chat.domain.messages.Listing`), latest change first, all with a position
        below ``before_position``."""
        ...

    def after(self, document_id: str, position: int, limit: int) -> list[Message]:
        """Up to ``limit`` messages whose position is past ``position``, in position order."""
        ...
