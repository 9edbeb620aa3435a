"""Chat messages as values: their ids, timestamps, JSON form and keyset cursors.

A message's place in a document is (``createdAt``, ``id``): the millisecond timestamp the
server gave it, ties broken by id. A cursor is that pair, packed into an opaque URL-safe
string, so "everything after the last message I saw" has no gap and no duplicate.
Standard library only: these values travel through every layer.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chat.errors import InvalidRequest

__all__ = [
    "MAX_DOCUMENT_ID_LENGTH",
    "MAX_MESSAGE_ID_LENGTH",
    "Cursor",
    "Message",
    "Page",
    "check_document_id",
    "format_timestamp",
    "group_of",
    "identifier_problem",
    "message_id_problem",
    "parse_timestamp",
    "to_milliseconds",
    "user_id_problem",
]

MAX_DOCUMENT_ID_LENGTH = 255
MAX_MESSAGE_ID_LENGTH = 128
MAX_USER_ID_LENGTH = 255
#: Cosmos DB refuses these in ids; a document id also travels in URL paths.
_RESERVED_CHARACTERS = frozenset("/\\?#")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")


def check_document_id(value: str) -> str:
    """Return ``value`` if it can name a document, else raise :class:`InvalidRequest`."""
    problem = identifier_problem(value, MAX_DOCUMENT_ID_LENGTH)
    if problem:
        raise InvalidRequest(f"documentId {problem}")
    return value


def identifier_problem(value: str, max_length: int) -> str | None:
    """Why ``value`` cannot be a document or message id (Cosmos DB's rules), or None."""
    if not value or len(value) > max_length:
        return f"must be 1 to {max_length} characters, got {len(value)}"
    if _RESERVED_CHARACTERS.intersection(value) or _has_control_character(value):
        return "must not contain / \\ ? # or control characters"
    return None


def message_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a message id, or None."""
    return identifier_problem(value, MAX_MESSAGE_ID_LENGTH)


def user_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a user id, or None."""
    if not value or len(value) > MAX_USER_ID_LENGTH or _has_control_character(value):
        return f"must be 1 to {MAX_USER_ID_LENGTH} characters without control characters"
    return None


def group_of(document_id: str) -> str:
    """The SignalR group whose connections hear a document's messages."""
    return f"document:{document_id}"


def to_milliseconds(moment: datetime) -> datetime:
    """``moment`` in UTC, cut to whole milliseconds: the precision messages are ordered by."""
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def format_timestamp(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``; these strings sort as the moments do."""
    moment = to_milliseconds(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """The moment a :func:`format_timestamp` string names; ValueError for any other string."""
    if not _TIMESTAMP.fullmatch(text):
        raise ValueError(f"not a millisecond UTC timestamp: {text!r}")
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass(frozen=True)
class Cursor:
    """A position in a document's timeline: after every message up to and including this one."""

    created_at: str
    message_id: str

    def encode(self) -> str:
        """The opaque, URL-safe form clients pass back as ``after``."""
        raw = json.dumps([self.created_at, self.message_id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Read a cursor a client sent back; raise :class:`InvalidRequest` if it is not one."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            created_at, message_id = json.loads(raw)
            parse_timestamp(created_at)
            if message_id_problem(message_id):
                raise ValueError(message_id)
        except (binascii.Error, UnicodeDecodeError, TypeError, ValueError):
            raise InvalidRequest("after is not a cursor docchat issued") from None
        return cls(created_at, message_id)


@dataclass(frozen=True)
class Message:
    """A stored chat message."""

    id: str
    document_id: str
    sender_id: str
    sender_name: str
    text: str
    created_at: str

    @property
    def cursor(self) -> Cursor:
        """The position right after this message."""
        return Cursor(self.created_at, self.id)

    def stored_form(self) -> dict[str, Any]:
        """The item as the store keeps it."""
        return {
            "id": self.id,
            "documentId": self.document_id,
            "senderId": self.sender_id,
            "senderName": self.sender_name,
            "text": self.text,
            "createdAt": self.created_at,
        }

    def to_json(self) -> dict[str, Any]:
        """The API's and the broadcast's form: the stored fields plus the cursor."""
        return {**self.stored_form(), "cursor": self.cursor.encode()}

    @classmethod
    def from_stored(cls, item: dict[str, Any]) -> Message:
        """Read an item written from :meth:`stored_form`; the store's own fields are ignored."""
        return cls(
            id=item["id"],
            document_id=item["documentId"],
            sender_id=item["senderId"],
            sender_name=item["senderName"],
            text=item["text"],
            created_at=item["createdAt"],
        )


@dataclass(frozen=True)
class Page:
    """Some messages, and the token that fetches the next ones (None when there are none)."""

    items: list[Message]
    continuation_token: str | None

    def to_json(self) -> dict[str, Any]:
        """``{"items": [...], "continuationToken": ...}``."""
        return {
            "items": [message.to_json() for message in self.items],
            "continuationToken": self.continuation_token,
        }


def _has_control_character(value: str) -> bool:
    return any(unicodedata.category(character) == "Cc" for character in value)
