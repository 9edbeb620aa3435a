"""Each hot document's newest messages, kept by this process for catch-ups.

When the real-time service comes back after a blip, every client of a document catches up
at once, each after about the same position. Read from Cosmos DB, that is the same few
hundred messages once per client: RU, and this process's CPU to parse them, both grow as
clients times missed messages. :class:`RecentTail` keeps, per document, the messages whose
position lies in one range ``(floor, top]`` as the queries that found them saw them. A
catch-up after a position in that range takes them from here and asks Cosmos DB only for
what is past ``top`` (usually a few, or none), which also moves ``top`` on. Misses of one
document wait for the one read in flight instead of each sending its own.

**Why this is never wrong, on any number of instances.** Positions are committed in order
(each batch moves the document's head by its ETag; :mod:`storage.cosmos.store`), so a query
that found items up to position ``t`` saw every item at or below ``t``, and anything
written later lands past it. A message changed since it was kept has moved past ``top``.
When the query past ``top`` finds fewer than it asked for, it found everything past ``top``,
those new versions included: the kept ones they replace are dropped, and the answer is the
document as it is now. When it finds a whole page, a change may lie beyond it, so the
catch-up reads from its own position instead, as if nothing were kept.

**What it may show late:** a message that the messages' time to live removed, for at most
:data:`MAX_AGE_SECONDS` (the time to live is set in days). A recreated container empties it.

**Its cost:** at most :data:`MAX_DOCUMENTS` documents (the least recently read go first),
each of at most :data:`MAX_MESSAGES` messages and :data:`MAX_TEXT_CHARACTERS` of text (the
oldest go first); its lock is held only while lists are joined in memory.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from chat.domain.messages import Message

__all__ = ["MAX_AGE_SECONDS", "MAX_DOCUMENTS", "MAX_MESSAGES", "MAX_TEXT_CHARACTERS", "RecentTail"]

#: How long a document's kept range lives from its first read, however often it is extended.
MAX_AGE_SECONDS = 30.0
#: The documents kept at once, and the newest messages kept of each: a storm's missed
#: messages at hundreds a second.
MAX_DOCUMENTS = 16
MAX_MESSAGES = 2000
#: Two full catch-up pages' worth (chat.app.service.MAX_PAGE_TEXT_CHARACTERS), the bound
#: that holds when messages are long.
MAX_TEXT_CHARACTERS = 2_000_000

#: A query of one document's messages past a position: ``(position, limit)`` -> at most
#: ``limit`` of them, in position order.
Query = Callable[[int, int], list[Message]]


@dataclasses.dataclass
class _Range:
    """The messages with a position in ``(floor, top]``, as queries since ``since`` saw
    them, in position order."""

    floor: int
    top: int
    items: list[Message]
    since: float

    def holds(self, position: int) -> bool:
        return self.floor <= position <= self.top

    def touches(self, floor: int, top: int) -> bool:
        return floor <= self.top and top >= self.floor


class RecentTail:
    """The kept ranges, and which documents have a read in flight that misses may wait for."""

    def __init__(
        self,
        *,
        max_documents: int = MAX_DOCUMENTS,
        max_messages: int = MAX_MESSAGES,
        max_text: int = MAX_TEXT_CHARACTERS,
        max_age: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ranges: OrderedDict[str, _Range] = OrderedDict()
        self._reading: set[str] = set()
        self._changed = threading.Condition()
        self._max_documents, self._max_messages = max_documents, max_messages
        self._max_text = max_text
        self._max_age, self._clock = max_age, clock

    def after(
        self, document_id: str, position: int, limit: int, query: Query, wait: float
    ) -> list[Message]:
        """Up to ``limit`` messages past ``position``, in position order: kept ones and
        ``query``'s past the kept range, or ``query``'s alone when the range does not hold
        ``position`` (after waiting up to ``wait`` s for another read of the document)."""
        kept = self._kept_or_turn(document_id, position, self._clock() + wait)
        if kept is None:
            try:
                found = query(position, limit)
                self._learn(document_id, position, found)
            finally:
                with self._changed:
                    self._reading.discard(document_id)
                    self._changed.notify_all()
            return found
        top, items = kept
        found = query(top, limit)
        self._learn(document_id, top, found)
        if len(found) == limit:  # a page or more since: a kept one's change may lie past it
            found = query(position, limit)
            self._learn(document_id, position, found)
            return found
        newer = {message.id for message in found}
        held = [m for m in items if m.position > position and m.id not in newer]
        return (held + found)[:limit]

    def forget(self) -> None:
        """Drop every kept range (the container was created again: what was read is gone)."""
        with self._changed:
            self._ranges.clear()

    def _kept_or_turn(
        self, document_id: str, position: int, until: float
    ) -> tuple[int, list[Message]] | None:
        """The kept range's top and items if it holds ``position``; else None, once this
        caller may read (no other read of the document in flight, or ``until`` passed)."""
        with self._changed:
            while True:
                kept = self._fresh(document_id)
                if kept is not None and kept.holds(position):
                    self._ranges.move_to_end(document_id)
                    return kept.top, kept.items
                left = until - self._clock()
                if document_id not in self._reading or left <= 0:
                    self._reading.add(document_id)
                    return None
                self._changed.wait(left)

    def _fresh(self, document_id: str) -> _Range | None:
        kept = self._ranges.get(document_id)
        if kept is not None and self._clock() - kept.since > self._max_age:
            del self._ranges[document_id]
            return None
        return kept

    def _learn(self, document_id: str, after: int, found: list[Message]) -> None:
        """Keep what a query past ``after`` found: every message in ``(after, its last]``
        (or nothing past ``after``, if it found none)."""
        top = found[-1].position if found else after
        with self._changed:
            kept = self._fresh(document_id)
            if kept is None or (top > kept.top and not kept.touches(after, top)):
                kept = _Range(after, top, [], self._clock())
            elif not kept.touches(after, top):
                return  # older than what is kept, with a gap between: keep the newer
            kept.floor, kept.top = min(kept.floor, after), max(kept.top, top)
            if found:
                kept.items = _newest_versions(kept.items, found)
                self._trim(kept)
            self._ranges[document_id] = kept
            self._ranges.move_to_end(document_id)
            while len(self._ranges) > self._max_documents:
                self._ranges.popitem(last=False)

    def _trim(self, kept: _Range) -> None:
        """Keep the newest messages within the bounds; the range then starts at the last
        one dropped."""
        count, text = 0, 0
        for message in reversed(kept.items):
            text += len(message.text)
            if count == self._max_messages or text > self._max_text:
                break
            count += 1
        excess = len(kept.items) - count
        if excess > 0:
            kept.floor = kept.items[excess - 1].position
            kept.items = kept.items[excess:]


def _newest_versions(kept: list[Message], found: list[Message]) -> list[Message]:
    """Both lists' messages, each id once in its latest version (the highest position: a
    change moves a message on), in position order."""
    latest: dict[str, Message] = {}
    for message in (*kept, *found):
        held = latest.get(message.id)
        if held is None or message.position > held.position:
            latest[message.id] = message
    return sorted(latest.values(), key=lambda message: message.position)
