"""Changes to a posted message, as pure functions: edit, delete, react, unreact.

Each takes the message as stored and returns it changed, or raises the
:class:`~chat.domain.errors.ChatError` that says why it may not change; the store then writes it as
the document's newest change (its ``seq`` stays, its position moves). A change that changes
nothing returns the message itself, and nothing is written.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from chat.domain.errors import Forbidden, MessageDeleted, TooManyReactions
from chat.domain.messages import Message
from chat.domain.threads import anchored
from chat.domain.users import User

__all__ = [
    "MAX_REACTING_USERS",
    "MAX_REACTIONS",
    "MAX_REACTIONS_BYTES",
    "deleted",
    "edited",
    "with_reaction",
    "without_reaction",
]

#: Distinct emojis on one message, and users listed under one: a message stays one item.
MAX_REACTIONS = 20
MAX_REACTING_USERS = 500
#: The reactions of one message as UTF-8 JSON: counts alone allow 20 x 500 ids of 255
#: characters (MBs); this keeps a message, and every page and catch-up holding it, small.
MAX_REACTIONS_BYTES = 32 * 1024


def edited(
    message: Message,
    user: User,
    text: str | None,
    at: str,
    anchor: dict[str, Any] | None = None,
    mentions: tuple[str, ...] | None = None,
) -> Message:
    """``message`` with ``text`` (marked edited), ``anchor`` (a root's; moving it is no
    edit of what was said) and ``mentions`` (the new full list), each if given, if ``user``
    wrote it and it is not deleted."""
    _require_author(message, user, "edit")
    _require_not_deleted(message)
    changed = anchored(message, anchor)
    if mentions is not None and mentions != message.mentions:
        changed = dataclasses.replace(changed, mentions=mentions)
    if text is None or text == message.text:
        return changed
    return dataclasses.replace(changed, text=text, edited_at=at)


def deleted(message: Message, user: User) -> Message:
    """``message`` as a tombstone, if ``user`` wrote it; deleting twice changes nothing."""
    _require_author(message, user, "delete")
    if message.deleted:
        return message
    return dataclasses.replace(message, text="", deleted=True, reactions=())


def with_reaction(message: Message, user: User, emoji: str) -> Message:
    """``message`` with ``user``'s ``emoji`` reaction (already there: unchanged)."""
    _require_not_deleted(message)
    reactions = dict(message.reactions)
    users = reactions.get(emoji, ())
    if user.id in users:
        return message
    if emoji not in reactions and len(reactions) >= MAX_REACTIONS:
        raise TooManyReactions(f"a message takes at most {MAX_REACTIONS} different reactions")
    if len(users) >= MAX_REACTING_USERS:
        raise TooManyReactions(f"a reaction lists at most {MAX_REACTING_USERS} users")
    reactions[emoji] = (*users, user.id)
    if _json_bytes(reactions) > MAX_REACTIONS_BYTES:
        raise TooManyReactions(f"a message's reactions take at most {MAX_REACTIONS_BYTES} bytes")
    return dataclasses.replace(message, reactions=tuple(reactions.items()))


def _json_bytes(reactions: dict[str, tuple[str, ...]]) -> int:
    """The size the reactions take in the stored item and on the wire."""
    as_json = json.dumps(
        {emoji: list(users) for emoji, users in reactions.items()},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return len(as_json.encode())


def without_reaction(message: Message, user: User, emoji: str) -> Message:
    """``message`` without ``user``'s ``emoji`` reaction (none there: unchanged)."""
    reactions = dict(message.reactions)
    users = reactions.get(emoji, ())
    if user.id not in users:
        return message
    remaining = tuple(other for other in users if other != user.id)
    if remaining:
        reactions[emoji] = remaining
    else:
        del reactions[emoji]
    return dataclasses.replace(message, reactions=tuple(reactions.items()))


def _require_author(message: Message, user: User, action: str) -> None:
    if message.sender_id != user.id:
        raise Forbidden(f"only the author may {action} a message")


def _require_not_deleted(message: Message) -> None:
    if message.deleted:
        raise MessageDeleted("the message was deleted")
