"""Chat messages as values: their ids, timestamps, JSON form, cursors and page tokens.

A message has two places in its document, both given by the store when it is written:
``seq``, its number in the order messages were posted (1, 2, 3, ... with no gap, never
changing), and ``position``, its place in the document's change stream (where it moves each
time the message changes). A :class:`Cursor` is a position, so "everything after the last
change I saw" has no gap and no duplicate; an :class:`OlderThan` token pages history back
by seq. Both travel as opaque URL-safe strings. Standard library only: these values travel
through every layer.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Self
from urllib.parse import unquote

from chat.domain.errors import InvalidRequest

__all__ = [
    "MAX_DISPLAY_NAME_LENGTH",
    "MAX_DOCUMENT_ID_LENGTH",
    "MAX_MENTIONS",
    "MAX_MESSAGE_ID_LENGTH",
    "RESERVED_ID_PREFIX",
    "Cursor",
    "Listing",
    "MembersAfter",
    "Message",
    "OlderThan",
    "Page",
    "RepliesAfter",
    "Thread",
    "ThreadsBefore",
    "character_problem",
    "check_document_id",
    "display_name_problem",
    "emoji_problem",
    "format_timestamp",
    "identifier_problem",
    "legacy_message_id_problem",
    "message_id_problem",
    "parse_timestamp",
    "path_segment_problem",
    "showable_name",
    "text_problem",
    "to_milliseconds",
    "user_id_problem",
]

MAX_DOCUMENT_ID_LENGTH = 255
MAX_MESSAGE_ID_LENGTH = 128
MAX_USER_ID_LENGTH = 255
MAX_DISPLAY_NAME_LENGTH = 100
#: Distinct users one message may mention: enough for a team, few enough that a mention
#: fans out to a bounded number of notifications (and access checks in members mode).
MAX_MENTIONS = 20
#: Long enough for the longest ZWJ family or flag sequences.
MAX_EMOJI_CHARACTERS = 32
#: Ids starting with this are docchat's own items (a document's head), never a message's.
RESERVED_ID_PREFIX = "_"
#: Cosmos DB refuses these in ids; a document id also travels in URL paths.
_RESERVED_CHARACTERS = frozenset("/\\?#")
#: Path steps: HTTP clients and servers (urllib3, Kestrel after decoding %2E) resolve them,
#: so ``users/../groups`` would name another resource.
_DOT_SEGMENTS = frozenset({".", ".."})
#: Controls, surrogates and line/paragraph separators (U+2028/2029): stripped, refused or
#: rewritten on the way through a path, a header or a log line.
_NEVER_IN_A_SEGMENT = frozenset({"Cc", "Cs", "Zl", "Zp"})
#: What a decoder puts where it met bytes that were not UTF-8; noncharacters likewise.
_DECODING_ARTIFACTS = frozenset("\ufffd\ufffe\uffff")
#: Control, format (zero-width), surrogate and private-use code points: none can be told
#: apart on screen, and a lone surrogate cannot even be encoded as UTF-8. Unassigned code
#: points pass: Python's Unicode tables lag behind the emoji people send.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
#: Marks, formats (zero-width spaces, joiners, bidi controls) and separators show nothing
#: alone; nor do these letters and symbols, used to fake an empty message.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Mn", "Me", "Zs", "Zl", "Zp"})
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")
_CURSOR = "c1"
_OLDER_THAN = "o1"
_REPLIES_AFTER = "r1"
_THREADS_BEFORE = "t1"
_MAX_TOKEN_CHARACTERS = 64
_TOKEN_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
_TOKEN = re.compile(rb"(?P<kind>[a-z]\d):(?P<number>0|[1-9]\d{0,15})")
_MEMBERS_AFTER = "m1"
_MAX_KEY_TOKEN_CHARACTERS = 96
_KEY_TOKEN = re.compile(rb"(?P<kind>[a-z]\d):(?P<key>[0-9a-f]{1,64})")


def check_document_id(value: str) -> str:
    """Return ``value`` if it can name a document, else raise :class:`InvalidRequest`.

    A leading ``_`` is docchat's own: its partitions for connections start so.
    """
    problem = identifier_problem(value, MAX_DOCUMENT_ID_LENGTH)
    if problem is None and value.startswith(RESERVED_ID_PREFIX):
        problem = f"must not start with {RESERVED_ID_PREFIX}"
    if problem:
        raise InvalidRequest(f"documentId {problem}")
    return value


def path_segment_problem(value: str) -> str | None:
    """Why ``value`` cannot travel as one URL path segment and come out as itself, or None.

    This is the one rule for every id that reaches a path (document, message, user,
    connection and group ids, and emojis): docchat's own routes, Cosmos DB's
    ``docs/{id}``, SignalR's and Web PubSub's ``users/{id}`` and ``groups/{id}``.
    """
    if value in _DOT_SEGMENTS:
        return "must not be . or .."
    if value != value.strip():
        return "must not begin or end with whitespace"
    if _RESERVED_CHARACTERS.intersection(value):
        return "must not contain / \\ ? or #"
    for character in value:
        if character in _DECODING_ARTIFACTS or unicodedata.category(character) in (
            _NEVER_IN_A_SEGMENT
        ):
            return f"must not contain the character U+{ord(character):04X}"
    if unquote(value) != value:
        return "must not contain percent-escapes (%XX): send the characters themselves"
    if unicodedata.normalize("NFC", value) != value:
        return "must be in Unicode normalisation form C (NFC)"
    return None


def identifier_problem(value: str, max_length: int) -> str | None:
    """Why ``value`` cannot be a document, message or user id, or None: the path rule
    (:func:`path_segment_problem`), Cosmos DB's id rules, and nothing invisible."""
    if not value or len(value) > max_length:
        return f"must be 1 to {max_length} characters, got {len(value)}"
    problem = path_segment_problem(value)
    if problem is None and _has_unprintable(value):
        return "must not contain control, zero-width or private-use characters"
    return problem


def message_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a message id, or None. A leading ``_`` is docchat's own."""
    if value.startswith(RESERVED_ID_PREFIX):
        return f"must not start with {RESERVED_ID_PREFIX}"
    return identifier_problem(value, MAX_MESSAGE_ID_LENGTH)


def legacy_message_id_problem(value: str) -> str | None:
    """Why ``value`` cannot name a message stored before :func:`path_segment_problem`
    existed (when ``.``, ``..`` and ids with edge spaces were taken), or None: such
    messages can still be deleted."""
    if value.startswith(RESERVED_ID_PREFIX) or not 1 <= len(value) <= MAX_MESSAGE_ID_LENGTH:
        return f"must be 1 to {MAX_MESSAGE_ID_LENGTH} characters, not starting with _"
    if _RESERVED_CHARACTERS.intersection(value) or _has_unprintable(value):
        return "must not contain / \\ ? # or control, zero-width or surrogate characters"
    return None


def user_id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a user id, or None: user ids reach SignalR's and Web
    PubSub's ``users/{id}`` paths, so they follow the same rule as every other id."""
    return identifier_problem(value, MAX_USER_ID_LENGTH)


def display_name_problem(value: str) -> str | None:
    """Why ``value`` cannot be shown as a sender's name, or None."""
    if not 1 <= len(value) <= MAX_DISPLAY_NAME_LENGTH:
        return f"must be 1 to {MAX_DISPLAY_NAME_LENGTH} characters, got {len(value)}"
    return _printable_text_problem(value, allowed_controls="")


def showable_name(name: str, fallback: str) -> str:
    """``name`` as an identity provider gave it, made safe to show: unprintable characters
    dropped and cut to :data:`MAX_DISPLAY_NAME_LENGTH`; ``fallback`` when nothing is left.

    Names from a provider are corrected rather than refused: the caller cannot change them.
    """
    for candidate in (name, fallback):
        kept = "".join(
            c for c in candidate if unicodedata.category(c) not in _UNPRINTABLE_CATEGORIES
        )
        kept = kept.strip()[:MAX_DISPLAY_NAME_LENGTH]
        if display_name_problem(kept) is None:
            return kept
    return "?"


def text_problem(value: str, max_length: int) -> str | None:
    """Why ``value`` cannot be a message's text, or None: line breaks and tabs are fine."""
    if not 1 <= len(value) <= max_length:
        return f"must be 1 to {max_length} characters, got {len(value)}"
    return _printable_text_problem(value, allowed_controls="\n\t")


def character_problem(value: str, allowed_controls: str = "\n\t") -> str | None:
    """Why ``value`` holds a character text may not (a lone surrogate, a control other than
    ``allowed_controls``, a private-use character), or None; it may be empty or blank."""
    for character in value:
        category = unicodedata.category(character)
        if category == "Cs":
            return "must not contain lone surrogates (send UTF-16 pairs whole)"
        if category in ("Cc", "Co") and character not in allowed_controls:
            return f"must not contain the character U+{ord(character):04X}"
    return None


def _printable_text_problem(value: str, allowed_controls: str) -> str | None:
    problem = character_problem(value, allowed_controls)
    if problem is not None:
        return problem
    if not any(_is_visible(character) for character in value):
        return "must contain at least one visible character"
    return None


def _is_visible(character: str) -> bool:
    """Whether ``character`` puts ink on the screen by itself."""
    if character in _BLANK_LETTERS or character.isspace():
        return False
    return unicodedata.category(character) not in _INVISIBLE_CATEGORIES


def emoji_problem(value: str) -> str | None:
    """Why ``value`` is not exactly one emoji as Unicode's emoji data lists them (fully
    qualified or not; flags, keycaps, skin tones and ZWJ sequences included), or None."""
    # Imported here: its tables take a noticeable part of a cold start, and only reactions
    # need them.
    import emoji

    if not 1 <= len(value) <= MAX_EMOJI_CHARACTERS or not emoji.is_emoji(value):
        return "must be one emoji"
    return path_segment_problem(value)


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
class _Token:
    """A number travelling as an opaque URL-safe string, marked with its kind."""

    number: int

    kind: ClassVar[str]
    refusal: ClassVar[str]

    def encode(self) -> str:
        """The opaque form clients pass back."""
        return _pack(self.kind, self.number)

    @classmethod
    def decode(cls, text: str) -> Self:
        """Read a token a client sent back; raise :class:`InvalidRequest` if it is not one."""
        return cls(_unpack(cls.kind, text, cls.refusal))


class Cursor(_Token):
    """A position in a document's change stream: after every change up to and including it.

    Each stored message takes the next position; later changes to a message (edits,
    deletions, reactions) will move it to a new one, so "everything after my cursor" stays
    exactly what a client missed. Position 0 is before the first message. Passed as ``after``.
    """

    kind = _CURSOR
    refusal = "after is not a cursor docchat issued"

    @property
    def position(self) -> int:
        return self.number


class OlderThan(_Token):
    """Where a newest-first history page left off: the messages before ``seq``. Passed as
    ``continuationToken``."""

    kind = _OLDER_THAN
    refusal = "continuationToken is not one docchat issued"

    @property
    def seq(self) -> int:
        return self.number


class RepliesAfter(_Token):
    """Where a thread page left off: its replies after ``seq``. Passed as
    ``continuationToken`` to ``GET threads/{rootId}``."""

    kind = _REPLIES_AFTER
    refusal = "continuationToken is not one docchat issued for a thread"

    @property
    def seq(self) -> int:
        return self.number


class ThreadsBefore(_Token):
    """Where a thread list page left off: the roots whose latest change came before
    ``position``. Passed as ``continuationToken`` to ``GET threads``."""

    kind = _THREADS_BEFORE
    refusal = "continuationToken is not one docchat issued for the thread list"

    @property
    def position(self) -> int:
        return self.number


def _pack(kind: str, value: int | str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def _unpack(kind: str, text: str, refusal: str) -> int:
    """The number :func:`_pack` packed as ``kind``. No JSON: nothing a client sends can nest."""
    match = _TOKEN.fullmatch(_unpacked(text, _MAX_TOKEN_CHARACTERS, refusal))
    if match is None or match["kind"] != kind.encode():
        raise InvalidRequest(refusal)
    return int(match["number"])


def _unpacked(text: str, max_characters: int, refusal: str) -> bytes:
    if len(text) > max_characters or not _TOKEN_ALPHABET.fullmatch(text):
        raise InvalidRequest(refusal)
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise InvalidRequest(refusal) from None


@dataclass(frozen=True)
class MembersAfter:
    """Where a member list page left off: after the member the store keys ``key`` (see
    :class:`~chat.app.access.MemberPage`). Passed as ``continuationToken``."""

    key: str

    def encode(self) -> str:
        """The opaque form clients pass back."""
        return _pack(_MEMBERS_AFTER, self.key)

    @classmethod
    def decode(cls, text: str) -> MembersAfter:
        """Read a token a client sent back; raise :class:`InvalidRequest` if it is not one."""
        refusal = "continuationToken is not one docchat issued for members"
        match = _KEY_TOKEN.fullmatch(_unpacked(text, _MAX_KEY_TOKEN_CHARACTERS, refusal))
        if match is None or match["kind"] != _MEMBERS_AFTER.encode():
            raise InvalidRequest(refusal)
        return cls(match["key"].decode())


@dataclass(frozen=True)
class Thread:
    """What a root shows of its thread: replies not deleted, when the last was posted, the
    last few repliers (most recent first, as ``(id, name)``), and whether it is resolved,
    by whom and when.

    ``repliers`` is stored but never shown: who replied, as ``(id, when they first
    replied)``, most recently active first and bounded (:mod:`chat.domain.threads`), so that
    who a reply notifies is read from the root alone (:mod:`chat.domain.notifications`).
    """

    reply_count: int = 0
    last_reply_at: str | None = None
    participants: tuple[tuple[str, str], ...] = ()
    resolved: bool = False
    resolved_by: tuple[str, str] | None = None
    resolved_at: str | None = None
    repliers: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The API's form."""
        by = self.resolved_by
        return {
            "replyCount": self.reply_count,
            "lastReplyAt": self.last_reply_at,
            "participants": [{"id": id_, "name": name} for id_, name in self.participants],
            "resolved": self.resolved,
            "resolvedBy": None if by is None else {"id": by[0], "name": by[1]},
            "resolvedAt": self.resolved_at,
        }

    def stored_form(self) -> dict[str, Any]:
        """The stored form: the API's and the repliers."""
        repliers = [{"id": id_, "at": at} for id_, at in self.repliers]
        return self.to_json() | {"repliers": repliers}

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> Thread:
        """Read a stored summary (one stored before ``repliers`` existed has none)."""
        by = item.get("resolvedBy")
        return cls(
            reply_count=item["replyCount"],
            last_reply_at=item.get("lastReplyAt"),
            participants=tuple((p["id"], p["name"]) for p in item.get("participants", ())),
            resolved=bool(item.get("resolved", False)),
            resolved_by=None if by is None else (by["id"], by["name"]),
            resolved_at=item.get("resolvedAt"),
            repliers=tuple((r["id"], r["at"]) for r in item.get("repliers", ())),
        )


class Listing:
    """How a root is listed among its document's threads (``GET threads``): a root with a
    thread or an anchor has one of four values, open or resolved, anchored or not; a
    filter on either is a set of them. One stored field, so the list is one index range."""

    #: Open or resolved, then "a" when anchored: "o", "oa", "r" or "ra".
    OPEN, RESOLVED, ANCHORED = "o", "r", "a"

    @staticmethod
    def of(message: Message) -> str | None:
        """The root's listing, or None when it is not listed: no reply left, no resolution
        and no anchor."""
        thread = message.thread
        resolved = thread is not None and thread.resolved
        replied = thread is not None and thread.reply_count > 0
        anchored = message.anchor is not None
        if not (replied or resolved or anchored):
            return None
        return Listing._of(resolved, anchored)

    @staticmethod
    def matching(resolved: bool | None, anchored: bool | None) -> tuple[str, ...]:
        """The listings a filter keeps (None: either)."""
        states = (False, True) if resolved is None else (resolved,)
        anchors = (False, True) if anchored is None else (anchored,)
        return tuple(Listing._of(state, anchor) for state in states for anchor in anchors)

    @staticmethod
    def _of(resolved: bool, anchored: bool) -> str:
        state = Listing.RESOLVED if resolved else Listing.OPEN
        return state + (Listing.ANCHORED if anchored else "")


@dataclass(frozen=True)
class Message:
    """A chat message: ``seq`` and ``position`` are 0 until the store gives it its place.

    ``reactions`` pairs each emoji with the users who reacted with it, in the order the
    emojis were first used. A deleted message is a tombstone: no text, no reactions (a
    root's thread and anchor stay). A reply names its thread's root in ``thread_id``; a root
    may carry its thread's summary (``thread``) and an ``anchor`` (see
    :mod:`chat.domain.threads`). ``mentions`` are the ids of the users it mentions (at most
    :data:`MAX_MENTIONS`, distinct, in the order given).
    """

    id: str
    document_id: str
    sender_id: str
    sender_name: str
    text: str
    created_at: str
    seq: int = 0
    position: int = 0
    edited_at: str | None = None
    deleted: bool = False
    reactions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    thread_id: str | None = None
    thread: Thread | None = None
    anchor: dict[str, Any] | None = None
    mentions: tuple[str, ...] = ()

    @property
    def cursor(self) -> Cursor:
        """The position right after this message's latest change."""
        return Cursor(self.position)

    def stored_form(self) -> dict[str, Any]:
        """The item as the store keeps it."""
        return {
            "id": self.id,
            "documentId": self.document_id,
            "senderId": self.sender_id,
            "senderName": self.sender_name,
            "text": self.text,
            "createdAt": self.created_at,
            "seq": self.seq,
            "position": self.position,
            "editedAt": self.edited_at,
            "deleted": self.deleted,
            "reactions": {emoji: list(users) for emoji, users in self.reactions},
            "mentions": list(self.mentions),
            **self._thread_fields(),
        }

    def _thread_fields(self) -> dict[str, Any]:
        """``threadId`` always (null: a root), so the timeline is the items whose
        ``threadId`` is null, one range of an index (messages stored before threads have
        none: see :mod:`storage.cosmos.store`); a root's other fields are left out until it
        has them, so the thread list is the items with a ``listing`` (:class:`Listing`)."""
        fields: dict[str, Any] = {"threadId": self.thread_id}
        if self.thread is not None:
            fields["thread"] = self.thread.stored_form()
        if self.anchor is not None:
            fields["anchor"] = self.anchor
        listing = Listing.of(self)
        if listing is not None:
            fields["listing"] = listing
        return fields

    def to_json(self) -> dict[str, Any]:
        """The API's and the broadcast's form: the stored fields and the cursor (``position``
        too, which orders two states of one message for a client); a tombstone without its
        text. ``threadId``, ``thread`` and ``anchor`` are always there (null: none), and
        ``mentions`` (``[]``: none)."""
        body = self.stored_form()
        body.pop("listing", None)
        if self.deleted:
            del body["text"]
        return {
            **body,
            "threadId": self.thread_id,
            "thread": None if self.thread is None else self.thread.to_json(),
            "anchor": self.anchor,
            "cursor": self.cursor.encode(),
        }

    def reactions_json(self) -> dict[str, Any]:
        """A reaction's broadcast (``reactionsChanged``): which message, its new place in
        the change stream, and its reactions as they are now; its text is not sent again."""
        return {
            "id": self.id,
            "documentId": self.document_id,
            "seq": self.seq,
            "position": self.position,
            "cursor": self.cursor.encode(),
            "threadId": self.thread_id,
            "reactions": {emoji: list(users) for emoji, users in self.reactions},
        }

    @classmethod
    def from_stored(cls, item: dict[str, Any]) -> Message:
        """Read an item written from :meth:`stored_form` (or before edits existed); the
        store's own fields are ignored."""
        reactions = item.get("reactions") or {}
        thread = item.get("thread")
        return cls(
            id=item["id"],
            document_id=item["documentId"],
            sender_id=item["senderId"],
            sender_name=item["senderName"],
            text=item["text"],
            created_at=item["createdAt"],
            seq=item["seq"],
            position=item["position"],
            edited_at=item.get("editedAt"),
            deleted=bool(item.get("deleted", False)),
            reactions=tuple((emoji, tuple(users)) for emoji, users in reactions.items()),
            thread_id=item.get("threadId"),
            thread=None if thread is None else Thread.from_json(thread),
            anchor=item.get("anchor"),
            mentions=tuple(item.get("mentions", ())),
        )


@dataclass(frozen=True)
class Page:
    """Some messages, and the token that fetches the next ones (None when there are none)."""

    items: list[Message]
    continuation_token: str | None


def _has_unprintable(value: str) -> bool:
    return any(unicodedata.category(character) in _UNPRINTABLE_CATEGORIES for character in value)
