"""Notifications: making them after a write (``notify``) and each user's inbox.

:class:`NotificationService` is what the work after a commit (the outbox's consumer) calls
for each happening, and what the inbox routes call. Notifications live in their own store,
:class:`Notifications`, one partition per recipient (Cosmos DB: the ``notifications``
container, ``/userId``), so an inbox is one partition however many documents it spans.

**Exactly once.** A notification's id derives from the document, the message and the
recipient (:func:`chat.domain.notifications.notification_id`) and is *created*, never
upserted: handling a happening again finds each one made and returns only those this call
made, so nothing is sent live twice.

**Access.** A recipient who may not read the document gets none; one who no longer may
does not see the ones they have: every read filters by access, one check per distinct
document on the page (members mode: ~1 RU each, at most a page's worth), and the unread
count checks the documents of at most :data:`MAX_UNREAD_COUNT` unread items.

**The unread count** is counted, not kept: up to :data:`MAX_UNREAD_COUNT` (a badge says
"99+" past that), one range of the unread index, so its cost does not grow with the inbox
and no counter can drift from the items it counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from chat.app.access import Action, DocumentAccess
from chat.domain.errors import NotificationNotFound
from chat.domain.happenings import MESSAGE_CREATED, Happening
from chat.domain.messages import Message, format_timestamp
from chat.domain.notifications import InboxBefore, Notification, recipients
from chat.domain.users import User

__all__ = [
    "MAX_UNREAD_COUNT",
    "Inbox",
    "NotificationService",
    "Notifications",
]

#: The most unread notifications counted: a badge shows "99+" beyond.
MAX_UNREAD_COUNT = 100


class Notifications(Protocol):
    """Each user's notifications, kept together per user and newest first."""

    def create(self, notification: Notification) -> bool:
        """Store ``notification``; False, storing nothing, when its id is stored already."""
        ...

    def get(self, user_id: str, notification_id: str) -> Notification | None:
        """The user's notification with this id, if any (another user's: None)."""
        ...

    def newest_first(
        self, user_id: str, unread_only: bool, limit: int, before: str | None
    ) -> list[Notification]:
        """Up to ``limit`` of the user's notifications (only unread ones if asked), newest
        first, all sorting before ``before`` (an :attr:`Notification.order_key`; None: from
        the newest)."""
        ...

    def unread_documents(self, user_id: str, cap: int) -> list[str]:
        """The document of each of the user's newest ``cap`` unread notifications."""
        ...

    def mark_read(self, user_id: str, notification_id: str, at: str) -> Notification | None:
        """The notification, marked read at ``at``; None if the user has none with this id."""
        ...

    def mark_all_read(self, user_id: str, at: str) -> None:
        """Mark every unread notification of the user read at ``at``."""
        ...


@dataclass(frozen=True)
class Inbox:
    """A page of a user's inbox, the token of the next (None after the last), and how many
    are unread (at most :data:`MAX_UNREAD_COUNT`)."""

    items: list[Notification]
    continuation_token: str | None
    unread_count: int


class NotificationService:
    """Make notifications for happenings, and serve each user's inbox."""

    def __init__(
        self,
        access: DocumentAccess,
        notifications: Notifications,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._access = access
        self._notifications = notifications
        self._clock = clock

    def notify(
        self, happening: Happening, message: Message, root: Message | None
    ) -> list[Notification]:
        """Make the notifications ``happening`` (about ``message``, as stored now; ``root``:
        its thread's root for a reply, else None) calls for, skipping recipients who may
        not read the document, and return them all as stored: those an earlier try made
        too (their ids derive from the message and the recipient, so none is made twice),
        for the caller to send again what that try may not have sent. Cost: an access
        check per recipient (members mode ~1 RU) and a create each (~7 RU; on a retry, a
        point read more for each one that exists); at most 20 mentions and 51 reply
        recipients (:data:`chat.domain.threads.MAX_REPLIERS`)."""
        # A new message's notifications are as old as it (so the inbox lists them in the
        # order the messages came, however the outbox work interleaved); an edit's, now.
        created = happening.kind == MESSAGE_CREATED
        at = message.created_at if created else format_timestamp(self._clock())
        made = []
        for recipient, kind in recipients(happening, message, root).items():
            if not self._may_read(recipient, message.document_id):
                continue
            notification = Notification.about(happening, message, recipient, kind, at)
            if not self._notifications.create(notification):
                stored = self._notifications.get(recipient, notification.id)
                notification = notification if stored is None else stored
            made.append(notification)
        return made

    def inbox(
        self, user: User, *, unread_only: bool, limit: int, before: InboxBefore | None
    ) -> Inbox:
        """A page of the user's notifications, newest first, without those of documents
        the user may no longer read (a page may so hold fewer than ``limit``: its token
        still leads on), and the unread count."""
        key = before.key if before else None
        found = self._notifications.newest_first(user.id, unread_only, limit + 1, key)
        page = found[:limit]
        token = InboxBefore(page[-1].order_key).encode() if len(found) > limit else None
        readable = self._readable(user, {n.document_id for n in page})
        items = [n for n in page if n.document_id in readable]
        return Inbox(items, token, self.unread_count(user))

    def unread_count(self, user: User) -> int:
        """How many unread notifications the user may see, counting at most
        :data:`MAX_UNREAD_COUNT`."""
        documents = self._notifications.unread_documents(user.id, MAX_UNREAD_COUNT)
        readable = self._readable(user, set(documents))
        return sum(1 for document_id in documents if document_id in readable)

    def mark_read(self, user: User, notification_id: str) -> Notification:
        """The user's notification, marked read now (again: unchanged); another user's, an
        unknown id, or one of a document the user may no longer read is
        :class:`NotificationNotFound`."""
        found = self._notifications.get(user.id, notification_id)
        if found is None or not self._may_read(user.id, found.document_id):
            raise NotificationNotFound("you have no notification with that id")
        if not found.unread:
            return found
        at = format_timestamp(self._clock())
        marked = self._notifications.mark_read(user.id, notification_id, at)
        if marked is None:  # expired between the two calls
            raise NotificationNotFound("you have no notification with that id")
        return marked

    def mark_all_read(self, user: User) -> None:
        """Mark every notification of the user read (those of documents they may no longer
        read too): the unread count is 0 after."""
        self._notifications.mark_all_read(user.id, format_timestamp(self._clock()))

    def _readable(self, user: User, documents: set[str]) -> set[str]:
        return {d for d in documents if self._may_read(user.id, d)}

    def _may_read(self, user_id: str, document_id: str) -> bool:
        return self._access.allows(User(user_id, user_id), Action.READ, document_id)
