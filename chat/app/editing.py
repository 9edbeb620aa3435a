"""Changing posted messages: edit and delete (by their author), react and unreact.

Each change is written as the document's newest change (:meth:`MessageStore.change`), so a
client catching up hears it once, then told to the document live: ``messageUpdated`` with
the whole message, ``messageDeleted``, or for a reaction ``reactionsChanged`` with the
message's reactions alone (:meth:`~chat.domain.messages.Message.reactions_json`): a popular
message is not sent whole again for every reaction. Changes count against the posting rate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from chat.app.access import Action, DocumentAccess
from chat.app.realtime import Realtime, group_of
from chat.app.store import MessageStore
from chat.domain.changes import deleted, edited, with_reaction, without_reaction
from chat.domain.errors import Forbidden, MessageNotFound, NotDelivered, RealtimeUnavailable
from chat.domain.messages import Message, format_timestamp
from chat.domain.ratelimit import PostingRate
from chat.domain.users import User

__all__ = ["MESSAGE_DELETED", "MESSAGE_UPDATED", "REACTIONS_CHANGED", "EditingService"]

MESSAGE_UPDATED = "messageUpdated"
MESSAGE_DELETED = "messageDeleted"
REACTIONS_CHANGED = "reactionsChanged"


class EditingService:
    """Edit, delete, react and unreact, as the access policy and the posting rate allow."""

    def __init__(
        self,
        *,
        access: DocumentAccess,
        store: MessageStore,
        realtime: Realtime,
        rate: PostingRate | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._access = access
        self._store = store
        self._realtime = realtime
        self._rate = rate
        self._clock = clock

    def edit(self, user: User, document_id: str, message_id: str, text: str) -> Message:
        """The message with ``text``, marked edited."""
        at = format_timestamp(self._clock())
        return self._change(user, document_id, message_id, lambda m: edited(m, user, text, at))

    def delete(self, user: User, document_id: str, message_id: str) -> Message:
        """The message as a tombstone."""
        return self._change(user, document_id, message_id, lambda m: deleted(m, user))

    def react(self, user: User, document_id: str, message_id: str, emoji: str) -> Message:
        """The message with the user's ``emoji`` reaction."""
        return self._change(
            user, document_id, message_id, lambda m: with_reaction(m, user, emoji), reaction=True
        )

    def unreact(self, user: User, document_id: str, message_id: str, emoji: str) -> Message:
        """The message without the user's ``emoji`` reaction."""
        return self._change(
            user, document_id, message_id, lambda m: without_reaction(m, user, emoji), reaction=True
        )

    def _change(
        self,
        user: User,
        document_id: str,
        message_id: str,
        change: Callable[[Message], Message],
        *,
        reaction: bool = False,
    ) -> Message:
        if not self._access.allows(user, Action.POST, document_id):
            raise Forbidden("you may not change messages in this document")
        if self._rate is not None:
            self._rate.take(user.id)
        did_change = False

        def tracked(message: Message) -> Message:
            # The store may apply the change more than once (another writer came first);
            # the last application is the one written.
            nonlocal did_change
            result = change(message)
            did_change = result != message
            return result

        stored = self._store.change(document_id, message_id, tracked)
        if stored is None:
            raise MessageNotFound("this document has no message with that id")
        if did_change:
            self._tell(stored, reaction=reaction)
        return stored

    def _tell(self, message: Message, *, reaction: bool) -> None:
        if reaction:
            event, payload = REACTIONS_CHANGED, message.reactions_json()
        else:
            event = MESSAGE_DELETED if message.deleted else MESSAGE_UPDATED
            payload = message.to_json()
        try:
            self._realtime.send_to_group(group_of(message.document_id), event, payload)
        except RealtimeUnavailable as error:
            raise NotDelivered(message.id, retry_after=error.retry_after) from error
