"""Changing posted messages: edit and delete (by their author), react and unreact, and
resolve or reopen a thread (any writer).

Each change is written as the document's newest change (:meth:`MessageStore.change`), so a
client catching up hears it once, then told to the document live: ``messageUpdated`` with
the whole message, ``messageDeleted``, or for a reaction ``reactionsChanged`` with the
message's reactions alone (:meth:`~chat.domain.messages.Message.reactions_json`): a popular
message is not sent whole again for every reaction. A change that changes nothing (a retry,
or a reaction already there) is told all the same, so that a retry delivers. Deleting a
reply changes its thread's root in the same write, whose new state follows as
``messageUpdated``. Changes count against the posting rate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chat.app.writing import MessageWriting
from chat.domain.changes import deleted, edited, with_reaction, without_reaction
from chat.domain.errors import MessageNotFound
from chat.domain.happenings import mentions_added
from chat.domain.messages import Message
from chat.domain.threads import resolution
from chat.domain.users import User

__all__ = ["MESSAGE_DELETED", "MESSAGE_UPDATED", "REACTIONS_CHANGED", "EditingService"]

MESSAGE_UPDATED = "messageUpdated"
MESSAGE_DELETED = "messageDeleted"
REACTIONS_CHANGED = "reactionsChanged"


class EditingService:
    """Edit, delete, react and unreact, as the access policy and the posting rate allow."""

    def __init__(self, writing: MessageWriting) -> None:
        self._writing = writing

    def edit(
        self,
        user: User,
        document_id: str,
        message_id: str,
        text: str | None,
        anchor: dict[str, Any] | None = None,
        mentions: tuple[str, ...] | None = None,
    ) -> Message:
        """The message with ``text`` (marked edited), a root's ``anchor`` and ``mentions``
        (the new full list): each if given. A mention it adds must name a user who may read
        the document (:meth:`MessageWriting.require_readers`)."""
        at = self._writing.now()

        def edit(message: Message) -> Message:
            changed = edited(message, user, text, at, anchor, mentions)
            self._writing.require_readers(document_id, mentions_added(message, changed))
            return changed

        return self._change(user, document_id, message_id, edit)

    def resolve(self, user: User, document_id: str, root_id: str, resolved: bool) -> Message:
        """The thread's root, resolved by ``user`` or reopened; again is harmless."""
        at = self._writing.now()
        return self._change(user, document_id, root_id, lambda m: resolution(m, user, resolved, at))

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
        self._writing.allow(user, document_id, "you may not change messages in this document")
        written = self._writing.store.change_with_root(document_id, message_id, change, actor=user)
        if written is None:
            raise MessageNotFound("this document has no message with that id")
        stored, root = written
        # Told even when this request changed nothing: a change whose telling failed (503
        # message_not_delivered, stored: true) is delivered by sending it again, as a send
        # is. Listeners take a message's state as often as they hear it.
        self._tell(stored, reaction=reaction)
        if root is not None:
            self._writing.tell(root, MESSAGE_UPDATED, root.to_json(), about=stored)
        return stored

    def _tell(self, message: Message, *, reaction: bool) -> None:
        if reaction:
            event, payload = REACTIONS_CHANGED, message.reactions_json()
        else:
            event = MESSAGE_DELETED if message.deleted else MESSAGE_UPDATED
            payload = message.to_json()
        self._writing.tell(message, event, payload)
