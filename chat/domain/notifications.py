"""Notifications as values and rules: who hears of a happening, once each, and how an
inbox item looks.

A happening (a message created or edited, ...: the outbox's event, see
:class:`Happening`) notifies:

- ``mention``: each user it newly mentions (a new message: all its mentions; an edit: only
  the ids it added);
- ``reply``: for a new reply, its thread root's author and everyone who replied in the
  thread before it (read from the root's summary alone: :attr:`Thread.repliers`, bounded by
  :data:`~chat.domain.threads.MAX_REPLIERS`, so the cost does not grow with the thread);

never the actor, and at most one notification per recipient per message, a mention over a
reply. A notification's id derives from the document, the message and the recipient
(:func:`notification_id`), so handling a happening again finds its notifications made and
makes none twice. Standard library only.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chat.domain.errors import InvalidRequest
from chat.domain.happenings import MESSAGE_CREATED, Happening
from chat.domain.messages import Message
from chat.domain.users import User

__all__ = [
    "MAX_EXCERPT_CHARACTERS",
    "NOTIFICATION_ID",
    "InboxBefore",
    "Kind",
    "Notification",
    "excerpt_of",
    "notification_id",
    "recipients",
]

#: How much of a message's text an inbox item shows.
MAX_EXCERPT_CHARACTERS = 140
#: What a notification id looks like (:func:`notification_id`): a SHA-256 in hex.
NOTIFICATION_ID = re.compile(r"[0-9a-f]{64}")
_INBOX_BEFORE = re.compile(
    r"n1:(?P<at>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)~(?P<id>[0-9a-f]{64})"
)
_MAX_TOKEN_CHARACTERS = 160


class Kind(enum.StrEnum):
    """Why a user is notified."""

    MENTION = "mention"
    REPLY = "reply"


def recipients(happening: Happening, message: Message, root: Message | None) -> dict[str, Kind]:
    """Who ``happening`` (about ``message``; ``root``: its thread's root, for a reply)
    notifies and why: each user once, a mention over a reply, never the actor."""
    chosen: dict[str, Kind] = {}
    for user_id in happening.mentions_added:
        chosen.setdefault(user_id, Kind.MENTION)
    if happening.kind == MESSAGE_CREATED and root is not None and message.thread_id == root.id:
        for user_id in _replied_before(message, root):
            chosen.setdefault(user_id, Kind.REPLY)
    chosen.pop(happening.actor.id, None)
    return chosen


def _replied_before(reply: Message, root: Message) -> Iterable[str]:
    """The root's author and who replied in its thread before ``reply`` was posted; a
    summary stored before repliers were kept lists only its last participants, who all
    replied before anything since."""
    yield root.sender_id
    thread = root.thread
    if thread is None:
        return
    kept = {user_id for user_id, _ in thread.repliers}
    yield from (user_id for user_id, at in thread.repliers if at <= reply.created_at)
    yield from (user_id for user_id, _ in thread.participants if user_id not in kept)


def notification_id(document_id: str, message_id: str, recipient: str) -> str:
    """The one id of ``recipient``'s notification about a message: the same however often
    it is made. Hex (ids may hold what Cosmos DB refuses in an id); the parts are joined by
    NUL, which no id holds, so two different triples never join alike."""
    joined = "\0".join((document_id, message_id, recipient))
    return hashlib.sha256(joined.encode()).hexdigest()


def excerpt_of(message: Message) -> str | None:
    """At most :data:`MAX_EXCERPT_CHARACTERS` of the message's text; None once deleted.
    A cut never splits a surrogate pair (Python strings hold none) but may split a
    grapheme; an ellipsis says it was cut."""
    if message.deleted:
        return None
    text = message.text
    if len(text) <= MAX_EXCERPT_CHARACTERS:
        return text
    return text[: MAX_EXCERPT_CHARACTERS - 1] + "\u2026"


@dataclass(frozen=True)
class Notification:
    """One inbox item of ``user_id``: who did what (``actor``) in which message, an excerpt,
    when it was made and when it was read (None: unread)."""

    id: str
    user_id: str
    kind: Kind
    document_id: str
    message_id: str
    thread_id: str | None
    actor: User
    excerpt: str | None
    created_at: str
    read_at: str | None = None

    @property
    def unread(self) -> bool:
        return self.read_at is None

    @property
    def order_key(self) -> str:
        """Where it sorts in its inbox, newest first by time, then by id: unique."""
        return f"{self.created_at}~{self.id}"

    def to_json(self) -> dict[str, Any]:
        """The API's and the live event's form."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "documentId": self.document_id,
            "messageId": self.message_id,
            "threadId": self.thread_id,
            "actor": {"id": self.actor.id, "name": self.actor.name},
            "excerpt": self.excerpt,
            "createdAt": self.created_at,
            "readAt": self.read_at,
        }

    @classmethod
    def about(
        cls, happening: Happening, message: Message, recipient: str, kind: Kind, at: str
    ) -> Notification:
        """``recipient``'s notification of ``happening`` about ``message``, made at ``at``."""
        return cls(
            id=notification_id(message.document_id, message.id, recipient),
            user_id=recipient,
            kind=kind,
            document_id=message.document_id,
            message_id=message.id,
            thread_id=message.thread_id,
            actor=happening.actor,
            excerpt=excerpt_of(message),
            created_at=at,
        )


@dataclass(frozen=True)
class InboxBefore:
    """Where an inbox page left off: the items sorting after ``key`` (an
    :attr:`Notification.order_key`), newest first. Passed as ``continuationToken``."""

    key: str

    _REFUSAL = "continuationToken is not one docchat issued for the inbox"

    def encode(self) -> str:
        """The opaque form clients pass back."""
        return base64.urlsafe_b64encode(f"n1:{self.key}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> InboxBefore:
        """Read a token a client sent back; raise :class:`InvalidRequest` if it is not one."""
        if len(text) > _MAX_TOKEN_CHARACTERS or not re.fullmatch(r"[A-Za-z0-9_-]+", text):
            raise InvalidRequest(cls._REFUSAL)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except binascii.Error:
            raise InvalidRequest(cls._REFUSAL) from None
        match = _INBOX_BEFORE.fullmatch(raw.decode("ascii", errors="replace"))
        if match is None:
            raise InvalidRequest(cls._REFUSAL)
        return cls(f"{match['at']}~{match['id']}")
