"""Threads: replies to a root message, the summary the root carries, anchors and resolution.

A reply is a message of its document (it has its own ``seq``) whose ``thread_id`` names its
root; a reply to a reply joins that reply's thread, so threads are one level deep. A root
that has had replies, or has been resolved, carries a :class:`Thread` summary; the store
changes it in the same atomic write as the reply that changes it (:func:`summary_change`),
so with 20 replies posted at once the count is exactly 20. A root may carry an ``anchor``:
a small JSON object the app defines (which paragraph, cell or selection the thread is
about), checked by :func:`anchor_problem`. Standard library only.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from typing import Any

from chat.domain.errors import InvalidRequest
from chat.domain.messages import Message, Thread, character_problem
from chat.domain.users import User

__all__ = [
    "MAX_ANCHOR_BYTES",
    "MAX_ANCHOR_DEPTH",
    "MAX_ANCHOR_NUMBER",
    "MAX_PARTICIPANTS",
    "MAX_REPLIERS",
    "REPLY_ANCHOR_REFUSAL",
    "anchor_problem",
    "anchored",
    "resolution",
    "root_id_of",
    "summary_change",
]

#: Why a reply may not carry an anchor, wherever one is given.
REPLY_ANCHOR_REFUSAL = "anchor: a reply takes no anchor (its thread's root has it)"
#: An anchor as compact UTF-8 JSON, and how deep it may nest (the object itself is 1).
MAX_ANCHOR_BYTES = 2048
MAX_ANCHOR_DEPTH = 8
#: JavaScript's safe integers: a larger number would not come back as sent to a browser.
MAX_ANCHOR_NUMBER = 2**53
#: The most recent repliers a root lists.
MAX_PARTICIPANTS = 5
#: The repliers a root keeps (stored, never shown) for its thread's reply notifications:
#: the most recently active, each with when they first replied. 50 bounds both the
#: root's growth (at most 50 ids of at most 255 characters, ~14 KB; a few KB for usual
#: ids) and a reply's fan-out (at most 51 reply notifications besides its 20 mentions),
#: whatever the thread's length; a thread of more than 50 people is an announcement, whose
#: least recently active repliers stop hearing of each reply (a mention still reaches them).
MAX_REPLIERS = 50


def root_id_of(target: Message) -> str:
    """The root of the thread a reply to ``target`` joins: its own, or itself."""
    return target.thread_id or target.id


def summary_change(before: Message | None, after: Message) -> Callable[[Message], Message] | None:
    """How writing ``after`` (over ``before``; None: a new message) changes its thread's
    root, or None when it does not: a new reply counts, a deleted one no longer does."""
    if after.thread_id is None:
        return None
    if before is None and not after.deleted:
        return lambda root: _replied(root, after)
    if before is not None and after.deleted and not before.deleted:
        return _reply_deleted
    return None


def _replied(root: Message, reply: Message) -> Message:
    thread = root.thread or Thread()
    others = tuple(p for p in thread.participants if p[0] != reply.sender_id)
    participants = ((reply.sender_id, reply.sender_name), *others)[:MAX_PARTICIPANTS]
    latest = max(filter(None, (thread.last_reply_at, reply.created_at)))
    summary = dataclasses.replace(
        thread,
        reply_count=thread.reply_count + 1,
        last_reply_at=latest,
        participants=participants,
        repliers=_with_replier(thread.repliers, reply),
    )
    return dataclasses.replace(root, thread=summary)


def _with_replier(
    repliers: tuple[tuple[str, str], ...], reply: Message
) -> tuple[tuple[str, str], ...]:
    """``repliers`` with the reply's sender first, keeping when they first replied (this
    reply's time when they are new), at most :data:`MAX_REPLIERS`. A time, not a seq: the
    store applies a summary change before it numbers the reply."""
    first = next((at for id_, at in repliers if id_ == reply.sender_id), reply.created_at)
    others = tuple(r for r in repliers if r[0] != reply.sender_id)
    return ((reply.sender_id, first), *others)[:MAX_REPLIERS]


def _reply_deleted(root: Message) -> Message:
    thread = root.thread or Thread()
    summary = dataclasses.replace(thread, reply_count=max(0, thread.reply_count - 1))
    return dataclasses.replace(root, thread=summary)


def resolution(root: Message, user: User, resolved: bool, at: str) -> Message:
    """``root`` resolved by ``user`` at ``at``, or reopened; unchanged when it already is."""
    _require_root(root)
    thread = root.thread or Thread()
    if thread.resolved == resolved:
        return root
    by, when = ((user.id, user.name), at) if resolved else (None, None)
    summary = dataclasses.replace(thread, resolved=resolved, resolved_by=by, resolved_at=when)
    return dataclasses.replace(root, thread=summary)


def anchored(message: Message, anchor: dict[str, Any] | None) -> Message:
    """``message`` with ``anchor`` (None: unchanged); a reply takes none."""
    if anchor is None or anchor == message.anchor:
        return message
    if message.thread_id is not None:
        raise InvalidRequest(REPLY_ANCHOR_REFUSAL)
    return dataclasses.replace(message, anchor=anchor)


def _require_root(message: Message) -> None:
    if message.thread_id is not None:
        raise InvalidRequest("rootId names a reply: resolve its thread's root")


def anchor_problem(value: object) -> str | None:
    """Why ``value`` cannot be an anchor, or None: a JSON object of at most
    :data:`MAX_ANCHOR_BYTES` as compact UTF-8 JSON and :data:`MAX_ANCHOR_DEPTH` levels, its
    strings (keys too) free of what text may not hold, its numbers finite and within
    ±:data:`MAX_ANCHOR_NUMBER`."""
    if not isinstance(value, dict):
        return "must be a JSON object"
    problem = _value_problem(value, 1)
    if problem is not None:
        return problem
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_ANCHOR_BYTES:
        return f"must be at most {MAX_ANCHOR_BYTES} bytes as JSON, got {size}"
    return None


def _value_problem(value: object, depth: int) -> str | None:
    if isinstance(value, dict | list) and depth > MAX_ANCHOR_DEPTH:
        return f"must nest at most {MAX_ANCHOR_DEPTH} levels deep"
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _string_problem(key) or _value_problem(item, depth + 1)
            if problem is not None:
                return problem
        return None
    if isinstance(value, list):
        return next(filter(None, (_value_problem(item, depth + 1) for item in value)), None)
    if isinstance(value, str):
        return _string_problem(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return "numbers must be finite"
        if abs(value) > MAX_ANCHOR_NUMBER:
            return f"numbers must be within ±2^53 ({MAX_ANCHOR_NUMBER})"
        return None
    return f"holds a value JSON cannot carry: {type(value).__name__}"


def _string_problem(value: str) -> str | None:
    problem = character_problem(value)
    return None if problem is None else f"strings {problem}"
