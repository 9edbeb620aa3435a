"""What docchat answers, as frozen dataclasses: each mirrors its JSON (README, "HTTP API"),
in snake_case, read by ``from_json``. Timestamps stay the ISO 8601 strings docchat sends
(UTC, milliseconds, ``Z``); order messages by ``seq``, never by ``created_at``. Fields a
newer docchat adds are ignored, so an older client keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "JSON",
    "Member",
    "Message",
    "Notification",
    "Thread",
    "User",
    "Webhook",
    "WebhookEvent",
    "WebhookFailure",
]

#: A JSON object as ``json.loads`` gives it.
JSON = Mapping[str, Any]
#: A member's role.
Role = Literal["reader", "writer"]


@dataclass(frozen=True)
class User:
    """A user as docchat shows one: ``{id, name}``."""

    id: str
    name: str

    @classmethod
    def from_json(cls, body: JSON) -> User:
        return cls(id=body["id"], name=body["name"])


def _user_or_none(body: JSON | None) -> User | None:
    return None if body is None else User.from_json(body)


@dataclass(frozen=True)
class Thread:
    """A root's thread: its replies not deleted, the last reply's time, the last five
    repliers (most recent first), and its resolution."""

    reply_count: int
    last_reply_at: str | None
    participants: tuple[User, ...]
    resolved: bool
    resolved_by: User | None
    resolved_at: str | None

    @classmethod
    def from_json(cls, body: JSON) -> Thread:
        return cls(
            reply_count=body["replyCount"],
            last_reply_at=body["lastReplyAt"],
            participants=tuple(User.from_json(each) for each in body["participants"]),
            resolved=body["resolved"],
            resolved_by=_user_or_none(body["resolvedBy"]),
            resolved_at=body["resolvedAt"],
        )


@dataclass(frozen=True)
class Message:
    """A message: ``seq`` is its gapless place in the document, ``position`` and ``cursor``
    its latest change (of two states, the larger ``position`` is the later); ``text`` is None
    once deleted. ``thread_id`` names a reply's root; ``thread`` is a root's summary and
    ``anchor`` the object the app anchored a root with (None: none)."""

    id: str
    document_id: str
    sender_id: str
    sender_name: str
    text: str | None
    created_at: str
    seq: int
    position: int
    cursor: str
    edited_at: str | None
    deleted: bool
    reactions: Mapping[str, tuple[str, ...]]
    mentions: tuple[str, ...]
    thread_id: str | None
    thread: Thread | None
    anchor: JSON | None

    @classmethod
    def from_json(cls, body: JSON) -> Message:
        thread = body.get("thread")
        return cls(
            id=body["id"],
            document_id=body["documentId"],
            sender_id=body["senderId"],
            sender_name=body["senderName"],
            text=body.get("text"),
            created_at=body["createdAt"],
            seq=body["seq"],
            position=body["position"],
            cursor=body["cursor"],
            edited_at=body.get("editedAt"),
            deleted=body["deleted"],
            reactions={emoji: tuple(users) for emoji, users in body["reactions"].items()},
            mentions=tuple(body.get("mentions", ())),
            thread_id=body.get("threadId"),
            thread=None if thread is None else Thread.from_json(thread),
            anchor=body.get("anchor"),
        )


@dataclass(frozen=True)
class Notification:
    """An inbox item: ``actor`` mentioned the user (``mention``) or replied in a thread they
    are in (``reply``); ``excerpt`` is None once the message is deleted."""

    id: str
    kind: Literal["mention", "reply"]
    document_id: str
    message_id: str
    thread_id: str | None
    actor: User
    excerpt: str | None
    created_at: str
    read_at: str | None

    @classmethod
    def from_json(cls, body: JSON) -> Notification:
        return cls(
            id=body["id"],
            kind=body["kind"],
            document_id=body["documentId"],
            message_id=body["messageId"],
            thread_id=body["threadId"],
            actor=User.from_json(body["actor"]),
            excerpt=body["excerpt"],
            created_at=body["createdAt"],
            read_at=body["readAt"],
        )


@dataclass(frozen=True)
class Member:
    """A member of a document (``DOCCHAT_ACCESS=members``) and their role."""

    user_id: str
    role: Role

    @classmethod
    def from_json(cls, body: JSON) -> Member:
        return cls(user_id=body["userId"], role=body["role"])


@dataclass(frozen=True)
class Webhook:
    """A registered webhook; ``secret`` (``whsec_...``) only from the call that created it:
    keep it, docchat never shows it again."""

    name: str
    url: str
    events: tuple[str, ...]
    created_at: str
    secret: str | None = None

    @classmethod
    def from_json(cls, body: JSON) -> Webhook:
        return cls(
            name=body["name"],
            url=body["url"],
            events=tuple(body["events"]),
            created_at=body["createdAt"],
            secret=body.get("secret"),
        )


@dataclass(frozen=True)
class WebhookFailure:
    """A delivery that exhausted the retry schedule (kept 30 days)."""

    webhook_id: str
    event_id: str
    type: str
    last_status: int | None
    last_error: str | None
    tries: int
    failed_at: str

    @classmethod
    def from_json(cls, body: JSON) -> WebhookFailure:
        return cls(
            webhook_id=body["webhookId"],
            event_id=body["eventId"],
            type=body["type"],
            last_status=body["lastStatus"],
            last_error=body["lastError"],
            tries=body["tries"],
            failed_at=body["failedAt"],
        )


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook delivery: ``{type, timestamp, data}``; ``data`` is the message
    JSON for ``message.*`` and ``thread.resolved``, the notification for
    ``notification.created`` (see :meth:`message` and :meth:`notification`). ``id`` is the
    ``webhook-id`` header: the same on every retry of one event, so deduplicate by it."""

    id: str
    type: str
    timestamp: str
    data: JSON

    def message(self) -> Message:
        """``data`` as a message (``message.*`` and ``thread.resolved`` events)."""
        return Message.from_json(self.data)

    def notification(self) -> Notification:
        """``data`` as a notification (``notification.created`` events)."""
        return Notification.from_json(self.data)
