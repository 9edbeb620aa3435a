"""What a committed write tells the world after it: one :class:`Happening` per message it
created or changed, which the outbox carries to the notifications and the webhooks.

A happening is decided when the write is made (:func:`happening_of`, from the message
before and after the write and who made it), and travels in the same atomic write as the
message (:mod:`chat.app.outbox`), so it exists exactly when the write does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from chat.domain.messages import Message
from chat.domain.users import User

__all__ = [
    "HAPPENING_KINDS",
    "MESSAGE_CREATED",
    "MESSAGE_DELETED",
    "MESSAGE_UPDATED",
    "THREAD_RESOLVED",
    "Happening",
    "happening_of",
    "mentions_added",
]

MESSAGE_CREATED = "message.created"
#: An edit, a reaction added or taken back, an anchor moved.
MESSAGE_UPDATED = "message.updated"
MESSAGE_DELETED = "message.deleted"
#: A thread resolved, or reopened (the message's ``thread.resolved`` says which).
THREAD_RESOLVED = "thread.resolved"
HAPPENING_KINDS = (MESSAGE_CREATED, MESSAGE_UPDATED, MESSAGE_DELETED, THREAD_RESOLVED)


@dataclass(frozen=True)
class Happening:
    """``kind`` happened to a message, by ``actor``; ``mentions_added`` are the users it
    newly mentions (all its mentions when created). ``id`` is stable across every
    re-processing (its outbox's id and its place there; empty until the write is placed),
    so what derives from it (a webhook's ``webhook-id``) is the same each time."""

    kind: str
    document_id: str
    message_id: str
    actor: User
    mentions_added: tuple[str, ...] = ()
    id: str = ""

    def placed(self, outbox_id: str, index: int) -> Happening:
        """This happening as the ``index``-th of the outbox ``outbox_id``."""
        return dataclasses.replace(self, id=f"{outbox_id}.{index}")

    def stored_form(self) -> dict[str, Any]:
        """The happening as its outbox item keeps it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "messageId": self.message_id,
            "actor": {"id": self.actor.id, "name": self.actor.name},
            "mentionsAdded": list(self.mentions_added),
        }

    @classmethod
    def from_stored(cls, document_id: str, item: dict[str, Any]) -> Happening:
        actor = User(item["actor"]["id"], item["actor"]["name"])
        return cls(
            item["kind"],
            document_id,
            item["messageId"],
            actor,
            tuple(item["mentionsAdded"]),
            item["id"],
        )


def happening_of(before: Message | None, after: Message, actor: User) -> Happening:
    """What writing ``after`` over ``before`` (None: a new message) by ``actor`` is."""
    document_id, message_id = after.document_id, after.id
    added = mentions_added(before, after)
    if before is None:
        return Happening(MESSAGE_CREATED, document_id, message_id, actor, added)
    if after.deleted and not before.deleted:
        return Happening(MESSAGE_DELETED, document_id, message_id, actor)
    if _resolved(after) != _resolved(before):
        return Happening(THREAD_RESOLVED, document_id, message_id, actor)
    return Happening(MESSAGE_UPDATED, document_id, message_id, actor, added)


def mentions_added(before: Message | None, after: Message) -> tuple[str, ...]:
    """The ids ``after`` mentions that ``before`` (None: a new message) did not, in order."""
    had = set(before.mentions) if before is not None else set()
    return tuple(user_id for user_id in after.mentions if user_id not in had)


def _resolved(message: Message) -> bool:
    return message.thread is not None and message.thread.resolved
