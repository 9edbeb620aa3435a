"""Messages in Azure Cosmos DB, in the order each document received them.

Every query names its partition, so reading a document's chat costs a few RU however many
documents exist (a cross-partition query costs ~80 times more). The container, its failures
and its indexing policy are :mod:`storage.cosmos.container`'s.

**Order.** Each document has a head item (id ``_head``, in the same logical partition) with
the newest message's ``seq`` and ``position``. Writing is one transactional batch: the new
messages and changed messages with the next numbers, then a replace of the head if its ETag
still matches (a create, for a document's first message). All happen or none does, so
numbers have no gap and no repeat however many processes write at once: a process whose
head was stale gets a 412 on the head, reads the head again and retries after a capped
exponential pause with jitter, within the request's budget. Each process remembers the
heads it wrote, so an uncontended write is one request. The messages go before the head in
the batch: a retry of a batch that did commit fails on a message's id (409), which is
exactly "already stored", and is never mistaken for a stale head.

**Threads.** A write that changes a thread's root (a reply, a reply deleted:
:func:`chat.domain.threads.summary_change`) puts the root's replace in the same batch,
after the messages and before the head, checked by the ETag of the root as read for this
batch (a point read per root): the summary changes with the reply or not at all, and a
root changed meanwhile (an edit, or another process's reply) fails the batch like a stale
head, which is read again. Replies to one root waiting together merge into its one
replace; a change of the root itself waits for the next batch (one item once per batch).

**Group commit.** Writes to one document wait in that document's lane in this process
(nothing shared with other documents is held while any request is on the network). One of
the waiting requests leads: it takes what is waiting, up to 99 writes and ~2 MB (Cosmos DB's
batch limits are 100 operations and 2 MB, and the head takes one operation), commits them
in one batch, posts each writer its answer and hands the lead on. While a batch is on the
network the next one fills up, so a busy document takes about a batch per round trip
instead of a message per round trip. A batch fails as a whole at one index: a message whose
id is taken there is answered "stored before" (None) and a change whose message moved on
re-reads it, and the rest go again at once; a stale head sends everything back to wait for
the pause. Each writer keeps its own deadline: one still waiting when it passes was never
sent and hears :class:`~chat.domain.errors.StoreUnavailable` ("nothing stored"); one whose batch
is on the network hears :class:`~chat.domain.errors.StoreOutcomeUnknown` if no answer comes in
time. A batch's timeout is the time its most hurried writer has left, and a writer with
almost none left is not sent at all: it would only turn a certain "not stored" into an
"unknown". While the container refuses calls (a fresh outage, or another call probing),
waiting writers leave at once with "not stored" instead of queueing for a batch that would
fail fast anyway.

**Outbox.** With a queue for post-commit work (``outbox``, :mod:`chat.app.outbox`), each
batch also creates one outbox item (``_outbox.<uuid>``, in the partition, expiring after 7
days) listing what each of its writes made happen (:mod:`chat.domain.happenings`), so the
work exists exactly when the writes do. Before the batch goes, its queue message is put,
hidden until the batch surely has its outcome; after a commit it is revealed, after a sure
failure removed. A process that dies between the commit and the reveal leaves the message
to show itself when its hidden time is over; one that never committed leaves a message
whose consumer finds no outbox item. The item costs one operation of the batch's 100 and
~6 RU a batch, whatever the batch holds; the queue, two calls a batch.

**RU per operation** (Cosmos DB charges a batch the sum of its operations; ~1 KB messages
with the lean indexing policy of :mod:`storage.cosmos.container`):

==========================  ==============================================================
append, alone               ~5-6 RU (create) + ~10 RU (head replace) = ~16 RU
append, in a batch of n     ~5-6 RU + ~10/n RU: at 20 waiting, ~6.5 RU a message
change (edit, reaction)     1 RU (point read) + ~10 RU (replace) + head share
reply, alone                ~5-6 RU (create) + 1 RU (root read) + ~10 RU (root) + ~10 RU
                            (head) = ~27 RU; n replies to one root in a batch share the root
head conflict (412)         a few RU for the failed batch, + 1 RU to read the head again
``latest_seq``              1 RU: a point read of the head (never the remembered one)
timeline page               1 RU (head) + one query on a composite index, ~3-8 RU; the
                            page that reaches the oldest roots one query more
catch-up page               one single-partition query, ~3-8 RU; from a position in the
                            range this process keeps (:mod:`storage.cosmos.tail`), only
                            what is past that range: usually a few items or none
thread page                 one single-partition query on a composite index, ~3-8 RU
thread-list page            one such query per listing asked for (at most four)
==========================  ==============================================================

**Reads that do not grow with the room.** A query's RU follows the index entries and items
it reads, not only those it returns: a filter that the index does not serve is tested item
by item along the ORDER BY's index. So each page query is an equality on the first path of
a composite index and an ORDER BY of both its paths, which Cosmos DB answers by reading one
range of that index: about a page of items whatever else the document holds. The timeline
is the roots: every root is stored with ``threadId`` null (``threadId`` = null, by seq: the
composite index ``threadId``, ``seq`` read backwards), except messages stored before that,
which have no ``threadId`` field and no index entry to range over. Those are all below the
head's ``markedFrom`` (the first seq this code stored; see :meth:`_Head.unmarked_below`), so
a timeline page reads them (``NOT IS_DEFINED``, by seq) only once it reaches below it, where
no reply stored since lies (only replies stored by the first thread code, before
``markedFrom``, which do not grow), and merges the two. No migration: old items stay as
they are, and a root of them that changes is written marked. A thread page is one range of
its thread; the thread list one range per listing, merged, since an ``IN`` of listings
ordered by position is no one range.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import heapq
import itertools
import json
import logging
import random
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import CosmosBatchOperationError

from chat.app.outbox import OUTBOX_ID_PREFIX
from chat.app.queues import Ticket, WorkQueue
from chat.app.store import MessageStore
from chat.domain.errors import (
    DocumentBusy,
    HistoryFull,
    MessageNotFound,
    QueueUnavailable,
    StoreOutcomeUnknown,
    StoreUnavailable,
)
from chat.domain.happenings import Happening, happening_of
from chat.domain.messages import RESERVED_ID_PREFIX, Message
from chat.domain.threads import summary_change
from chat.domain.users import User
from shared import signals
from storage.cosmos.container import PARTITION_FULL, CosmosContainer, left
from storage.cosmos.tail import RecentTail

__all__ = [
    "HEAD_ID",
    "MAX_BATCH_BYTES",
    "MAX_BATCH_WRITES",
    "CosmosMessageStore",
    "pause",
]

#: The id of each document's head item; message ids cannot start with the prefix.
HEAD_ID = f"{RESERVED_ID_PREFIX}head"
#: An outbox item left unprocessed this long is dropped (Azure Storage keeps a queue
#: message 7 days by default: after that nothing would come for it).
OUTBOX_TTL_SECONDS = 7 * 86_400
#: How long an outbox's queue message stays hidden past its batch's timeout: the time
#: Cosmos DB may still take to apply a batch whose answer never came. Only a process that
#: died between a commit and its reveal makes the work wait this long.
OUTBOX_HIDDEN_MARGIN_SECONDS = 10.0
#: The head items a process remembers; a forgotten one costs one extra read.
MAX_REMEMBERED_HEADS = 10_000
#: Cosmos DB's limits on one transactional batch are 100 operations and 2 MB; the head's
#: replace is one of the operations, and the request's framing takes some of the bytes.
MAX_BATCH_WRITES = 99
MAX_BATCH_BYTES = 2 * 1024 * 1024 - 64 * 1024
#: What an operation adds to the batch body besides its item (type, id, precondition).
OPERATION_OVERHEAD_BYTES = 200
#: How much a root may grow by the replies of one batch, whatever the replies: its summary
#: lists at most five participants and keeps at most 50 repliers (MAX_REPLIERS), each a user
#: id (up to 255 characters, 6 bytes each when JSON escapes them) and a timestamp: ~80 KB at
#: worst, 96 KiB with the participants and the JSON around them.
ROOT_GROWTH_BYTES = 96 * 1024
#: A write with less time left than this waits for the next batch instead: sent now, it
#: would likely time out on the network and leave its outcome unknown.
MIN_SEND_SECONDS = 0.05
#: How long a writer whose batch is on the network waits past its deadline for the answer
#: (the batch's own timeout ends by then), so that it hears what happened, not "unknown".
ANSWER_GRACE_SECONDS = 0.2
#: Pauses after head conflicts: the first at most this long, doubling, at most the cap.
FIRST_PAUSE_SECONDS = 0.004
MAX_PAUSE_SECONDS = 0.064
# Only message items have ``seq`` and ``position``: the other items of a document's partition
# (head, members, read markers, presence) name theirs otherwise, so these queries find
# messages alone.
#: The messages after a seq that count as unread: not deleted, not the reader's own.
COUNTED_AFTER = (
    "SELECT c.seq FROM c WHERE c.documentId = @documentId AND c.seq > @seq"
    " AND c.senderId != @sender AND c.deleted = false"
)
#: The timeline's roots stored since :data:`HEAD_ID` items carry ``markedFrom``: their
#: ``threadId`` is null. An equality on the composite index's first path and an ORDER BY
#: of both its paths (the index ``threadId``, ``seq`` read backwards): Cosmos DB serves it
#: by one range of that index, the page's roots and nothing else, however many replies
#: the document holds. Without ``c.threadId`` in the ORDER BY it could walk ``seq`` and
#: test each item, replies included.
MARKED_ROOTS = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND c.threadId = null"
    " AND c.seq < @before ORDER BY c.threadId DESC, c.seq DESC"
)
#: The timeline's messages stored before roots had ``threadId`` (no field: before threads,
#: or before ``markedFrom``), all below the head's ``markedFrom`` (see
#: :meth:`_Head.unmarked_below`). Walks ``seq`` down from there and tests each item, but
#: below that seq no reply was ever stored by this code, so it skips none of the replies
#: posted since.
UNMARKED_ROOTS = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND c.seq < @before"
    " AND NOT IS_DEFINED(c.threadId) ORDER BY c.seq DESC"
)
#: A thread's replies, oldest first: one range of the composite index ``threadId``,
#: ``seq`` (the equality's path first in the ORDER BY, so Cosmos DB orders by the index).
REPLIES = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND c.threadId = @root"
    " AND c.seq > @after ORDER BY c.threadId ASC, c.seq ASC"
)
#: The roots of one listing (``listing``: a thread or an anchor, see
#: chat.domain.messages.Listing), latest change first: one range of the composite index
#: ``listing``, ``position``. A filter of several listings sends one query each and merges
#: them (an ``IN`` of them would order by ``listing`` first, or test each item by position).
LISTED = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND c.listing = @listing"
    " AND c.position < @before ORDER BY c.listing ASC, c.position DESC"
)
AFTER_POSITION = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND c.position > @position"
    " ORDER BY c.position ASC"
)
#: The share of a request's budget that a catch-up waits for another's read of the same
#: document (:mod:`storage.cosmos.tail`) before it reads itself.
TAIL_WAIT_SHARE = 1 / 3
_log = logging.getLogger(__name__)
#: Larger than any seq: "before this" means "from the newest".
_NO_UPPER_BOUND = 2**53


def pause(conflicts: int, draw: Callable[[], float] = random.random) -> float:
    """How long to wait after ``conflicts`` head conflicts in a row (1 or more): "full
    jitter", a random share of a ceiling that doubles from :data:`FIRST_PAUSE_SECONDS` up
    to :data:`MAX_PAUSE_SECONDS`, so writers that collided spread out instead of colliding
    again in step."""
    ceiling = min(MAX_PAUSE_SECONDS, FIRST_PAUSE_SECONDS * (1 << min(conflicts - 1, 16)))
    return ceiling * draw()


@dataclasses.dataclass(frozen=True)
class _Head:
    """A document's head item as last read or written; ``etag`` None: there is none yet."""

    seq: int = 0
    position: int = 0
    etag: str | None = None
    #: ``markedFrom`` as stored: None when the item has none (written before it existed).
    marked_from: int | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> _Head:
        return cls(item["lastSeq"], item["lastPosition"], item["_etag"], item.get("markedFrom"))

    @property
    def unmarked_below(self) -> int:
        """A seq that every message stored without a ``threadId`` field is below. This code
        stores every message with one (null for a root), and writes this number into the
        head as ``markedFrom`` with every batch: a new document's is 1, a head that has
        none gets the seq after its last, once. Code that predates it writes heads without
        ``markedFrom`` (a deployment rolling over), so a head without one is read as "any
        seq up to the last"; either way the bound only ever rises, and never lies."""
        return self.seq + 1 if self.marked_from is None else self.marked_from

    def moved_to(self, document_id: str, seq: int, position: int) -> tuple[Any, ...]:
        """The batch operation that moves this head to these numbers, if it is unchanged."""
        item = {
            "id": HEAD_ID,
            "documentId": document_id,
            "lastSeq": seq,
            "lastPosition": position,
            "markedFrom": self.unmarked_below,
        }
        if self.etag is None:
            return ("create", (item,))
        return ("replace", (HEAD_ID, item), {"if_match_etag": self.etag})


class _Heads:
    """The heads this process wrote last, bounded."""

    def __init__(self) -> None:
        self._known: OrderedDict[str, _Head] = OrderedDict()
        self._guard = threading.Lock()

    def get(self, document_id: str) -> _Head | None:
        with self._guard:
            return self._known.get(document_id)

    def put(self, document_id: str, head: _Head) -> None:
        with self._guard:
            self._known[document_id] = head
            self._known.move_to_end(document_id)
            if len(self._known) > MAX_REMEMBERED_HEADS:
                self._known.popitem(last=False)

    def forget(self, document_id: str | None = None) -> None:
        """Forget one document's head, or every head (None)."""
        with self._guard:
            if document_id is None:
                self._known.clear()
            else:
                self._known.pop(document_id, None)


class _State(enum.Enum):
    WAITING = "waiting"  # in its lane, never sent since it last came back
    SENT = "sent"  # in a batch on the network
    DONE = "done"  # answered


class _Stale(Exception):
    """Another writer changed what this write was conditioned on: read again and retry."""


@dataclasses.dataclass(eq=False)
class _Write:
    """One append (``etag`` None) or change (of the item with that ETag) of a document,
    waiting in its lane for a batch, and then its answer: the message as placed, and the
    root of its thread as the same batch left it when the write changes it (``effect``:
    a reply posted or deleted)."""

    message: Message
    deadline: float
    happening: Happening
    etag: str | None = None
    effect: Callable[[Message], Message] | None = None
    size: int = 0
    state: _State = _State.WAITING
    placed: tuple[Message, Message | None] | None = None
    failure: BaseException | None = None

    def __post_init__(self) -> None:
        self.size = _size(self.message) + len(json.dumps(self.happening.stored_form()))

    @property
    def root_id(self) -> str | None:
        """The root this write changes too, if any."""
        return self.message.thread_id if self.effect is not None else None

    def at(self, seq: int, position: int) -> Message:
        """The message as this write stores it when the head is at ``seq`` and ``position``
        before it: an append takes both next numbers, a change only the next position."""
        if self.etag is None:
            return dataclasses.replace(self.message, seq=seq + 1, position=position + 1)
        return dataclasses.replace(self.message, position=position + 1)

    def operation(self, placed: Message, ttl: int | None) -> tuple[Any, ...]:
        """The batch operation that writes ``placed``."""
        return _operation(placed, self.etag, ttl)

    def answer(
        self,
        placed: tuple[Message, Message | None] | None = None,
        failure: BaseException | None = None,
    ) -> None:
        self.state, self.placed, self.failure = _State.DONE, placed, failure

    def result(self) -> tuple[Message, Message | None] | None:
        if self.failure is not None:
            raise self.failure
        return self.placed


def _operation(placed: Message, etag: str | None, ttl: int | None) -> tuple[Any, ...]:
    """The batch operation that creates ``placed`` (``etag`` None) or replaces the item with
    that ETag; with ``ttl`` (seconds) the item expires that long after this write, so a
    change (edit, reaction, a reply to a root) restarts its clock."""
    item = placed.stored_form() | ({"ttl": ttl} if ttl else {})
    if etag is None:
        return ("create", (item,))
    return ("replace", (placed.id, item), {"if_match_etag": etag})


def _size(message: Message) -> int:
    """What writing ``message`` adds to a batch's body."""
    return len(json.dumps(message.stored_form())) + OPERATION_OVERHEAD_BYTES


class _Lane:
    """The writes waiting for one document in this process, and whether one of their
    requests is leading (sending a batch, or pausing after a conflict)."""

    def __init__(self) -> None:
        self.turn = threading.Condition()
        self.waiting: list[_Write] = []
        self.leading = False
        self.conflicts = 0
        self.users = 0


class _Lanes:
    """One lane per document that has writers in this process now; no lock held across I/O."""

    def __init__(self) -> None:
        self._lanes: dict[str, _Lane] = {}
        self._guard = threading.Lock()

    @contextmanager
    def of(self, document_id: str) -> Iterator[_Lane]:
        with self._guard:
            lane = self._lanes.setdefault(document_id, _Lane())
            lane.users += 1
        try:
            yield lane
        finally:
            with self._guard:
                lane.users -= 1
                if lane.users == 0:
                    del self._lanes[document_id]


class CosmosMessageStore(MessageStore):
    """:class:`~chat.app.store.MessageStore` over the shared container."""

    def __init__(
        self,
        container: CosmosContainer,
        *,
        message_ttl_seconds: int | None = None,
        outbox: WorkQueue | None = None,
        sleep: Callable[[float], None] = time.sleep,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._container = container
        self._message_ttl = message_ttl_seconds
        self._outbox = outbox
        # The outbox item is one more operation in each batch.
        self._max_writes = MAX_BATCH_WRITES - (outbox is not None)
        self._heads = _Heads()
        self._lanes = _Lanes()
        self._tail = RecentTail()
        self._sleep = sleep
        self._draw = draw
        container.on_recreate(self._heads.forget)
        container.on_recreate(self._tail.forget)

    def append_with_root(self, message: Message) -> tuple[Message, Message | None] | None:
        effect = summary_change(None, message)
        sender = User(message.sender_id, message.sender_name)
        happening = happening_of(None, message, sender)
        return self._write(_Write(message, self._container.deadline(), happening, effect=effect))

    def change_with_root(
        self,
        document_id: str,
        message_id: str,
        change: Callable[[Message], Message],
        *,
        actor: User,
    ) -> tuple[Message, Message | None] | None:
        if message_id.startswith(RESERVED_ID_PREFIX):
            return None
        deadline = self._container.deadline()
        while time.monotonic() < deadline:
            item = self._container.read_item(document_id, message_id, deadline)
            if item is None:
                return None
            current = Message.from_stored(item)
            changed = change(current)
            if changed == current:
                return current, None
            effect = summary_change(current, changed)
            happening = happening_of(current, changed, actor)
            write = _Write(changed, deadline, happening, etag=item["_etag"], effect=effect)
            try:
                return self._write(write)
            except _Stale:
                continue  # another change came first: apply this one to what it made
        raise DocumentBusy()

    def waiting(self, document_id: str) -> int:
        """How many writes to the document wait in this process for their batch to be sent
        (what the next batch takes, up to its limits)."""
        with self._lanes.of(document_id) as lane, lane.turn:
            return len(lane.waiting)

    def latest_seq(self, document_id: str) -> int:
        # Read, not remembered: another process may have written since this one did.
        return self._stored_head(document_id, self._container.deadline()).seq

    def count_after(self, document_id: str, seq: int, excluding_sender: str, cap: int) -> int:
        bounds: dict[str, object] = {"@seq": seq, "@sender": excluding_sender}
        return len(self._container.query(document_id, COUNTED_AFTER, bounds, cap))

    def get(self, document_id: str, message_id: str) -> Message | None:
        item = self._container.read_item(document_id, message_id, self._container.deadline())
        return None if item is None else Message.from_stored(item)

    def newest_first(self, document_id: str, limit: int, before_seq: int | None) -> list[Message]:
        """The marked roots' page, and the unmarked ones' only when the page reaches below
        the head's ``markedFrom`` (where they all are): the newest ``limit`` of both. A
        point read of the head (1 RU) and one or two index ranges of about a page each."""
        before = _NO_UPPER_BOUND if before_seq is None else before_seq
        unmarked_below = self._stored_head(document_id, self._container.deadline()).unmarked_below
        marked = self._messages(document_id, MARKED_ROOTS, {"@before": before}, limit)
        if unmarked_below <= 1 or (len(marked) == limit and marked[-1].seq >= unmarked_below):
            return marked
        bound: dict[str, object] = {"@before": min(before, unmarked_below)}
        unmarked = self._messages(document_id, UNMARKED_ROOTS, bound, limit)
        return _newest(limit, marked, unmarked, key=lambda m: m.seq)

    def replies(self, document_id: str, root_id: str, limit: int, after_seq: int) -> list[Message]:
        bounds: dict[str, object] = {"@root": root_id, "@after": after_seq}
        return self._messages(document_id, REPLIES, bounds, limit)

    def threads(
        self, document_id: str, listings: tuple[str, ...], limit: int, before_position: int | None
    ) -> list[Message]:
        before = _NO_UPPER_BOUND if before_position is None else before_position
        pages = [
            self._messages(document_id, LISTED, {"@listing": listing, "@before": before}, limit)
            for listing in dict.fromkeys(listings)
        ]
        return _newest(limit, *pages, key=lambda m: m.position)

    def after(self, document_id: str, position: int, limit: int) -> list[Message]:
        def query(past: int, count: int) -> list[Message]:
            return self._messages(document_id, AFTER_POSITION, {"@position": past}, count)

        wait = self._container.budget * TAIL_WAIT_SHARE
        return self._tail.after(document_id, position, limit, query, wait)

    def _messages(
        self, document_id: str, query: str, bounds: dict[str, object], limit: int
    ) -> list[Message]:
        items = self._container.query(document_id, query, bounds, limit)
        return [Message.from_stored(item) for item in items]

    # Writes: the lane ------------------------------------------------------------------

    def _write(self, write: _Write) -> tuple[Message, Message | None] | None:
        """Queue ``write`` in its document's lane and wait for its answer, leading batches
        whenever no other request does."""
        document_id = write.message.document_id
        with self._lanes.of(document_id) as lane:
            with lane.turn:
                lane.waiting.append(write)
            while self._await_lead(lane, write, self._container):
                try:
                    self._lead(document_id, lane, write)
                finally:
                    with lane.turn:
                        lane.leading = False
                        lane.turn.notify_all()
        return write.result()

    @staticmethod
    def _await_lead(lane: _Lane, write: _Write, container: CosmosContainer) -> bool:
        """Wait until ``write`` is answered (False) or may lead (True). A write still
        waiting was never sent: it leaves at its deadline, or at once while a call would
        fail anyway (an outage is fresh, or another call probes whether it is over); one on
        the network is unknown at its deadline."""
        with lane.turn:
            while write.state is not _State.DONE:
                now = time.monotonic()
                if write.state is _State.SENT:
                    if now >= write.deadline + ANSWER_GRACE_SECONDS:
                        write.answer(failure=_unconfirmed())
                    else:
                        lane.turn.wait(write.deadline + ANSWER_GRACE_SECONDS - now)
                elif now >= write.deadline:
                    lane.waiting.remove(write)
                    write.answer(failure=DocumentBusy())
                elif (refusal := container.refusal()) is not None:
                    lane.waiting.remove(write)
                    write.answer(failure=refusal)
                elif not lane.leading and write.deadline - now >= MIN_SEND_SECONDS:
                    lane.leading = True
                    return True
                else:
                    lane.turn.wait(write.deadline - now)
            return False

    def _lead(self, document_id: str, lane: _Lane, own: _Write) -> None:
        """Commit one batch of what waits in the lane, or pause after a conflict."""
        with lane.turn:
            batch = _next_batch(lane.waiting, time.monotonic(), self._max_writes)
            for write in batch:
                write.state = _State.SENT
        if not batch:
            return  # own write is too close to its deadline to send: it leaves
        deadline = min(write.deadline for write in batch)
        try:
            placed, ticket = self._commit(document_id, batch, deadline)
        except _Stale:
            signals.count("docchat.head_conflicts")
            self._heads.forget(document_id)
            self._return(lane, batch)
            self._pause(lane, own.deadline)
        except _FailedAt as failed:
            self._answer(lane, [(failed.write, None, failed.failure)])
            self._return(lane, [write for write in batch if write is not failed.write])
        except (StoreUnavailable, HistoryFull) as error:
            self._answer(lane, [(write, None, error) for write in batch])
        except BaseException as error:  # a bug: every writer hears it, none waits in vain
            self._answer(lane, [(write, None, error) for write in batch])
            raise
        else:
            with lane.turn:
                conflicts, lane.conflicts = lane.conflicts, 0
            signals.record("docchat.group_commit.size", len(placed))
            signals.annotate(head_conflicts=conflicts, group_commit_size=len(placed))
            self._answer(
                lane,
                [(write, written, None) for write, written in zip(batch, placed, strict=False)],
            )
            self._return(lane, batch[len(placed) :])  # what did not fit beside the roots
            self._reveal(ticket)

    @staticmethod
    def _return(lane: _Lane, writes: list[_Write]) -> None:
        """Put unsent ``writes`` back at the front of the lane, in their order."""
        with lane.turn:
            for write in writes:
                if write.state is _State.SENT:
                    write.state = _State.WAITING
            lane.waiting[:0] = [write for write in writes if write.state is _State.WAITING]

    @staticmethod
    def _answer(
        lane: _Lane,
        answers: list[tuple[_Write, tuple[Message, Message | None] | None, BaseException | None]],
    ) -> None:
        with lane.turn:
            for write, placed, failure in answers:
                if write.state is _State.SENT:
                    write.answer(placed, failure)

    def _pause(self, lane: _Lane, deadline: float) -> None:
        """Wait out a head conflict (see :func:`pause`), never past the leader's deadline."""
        with lane.turn:
            lane.conflicts += 1
            conflicts = lane.conflicts
        self._sleep(min(pause(conflicts, self._draw), max(0.0, deadline - time.monotonic())))

    # Writes: the batch -----------------------------------------------------------------

    def _commit(
        self, document_id: str, batch: list[_Write], deadline: float
    ) -> tuple[list[tuple[Message, Message | None]], Ticket | None]:
        """Write the first writes of ``batch`` (all, unless their roots take too many bytes)
        and the roots they change, and move the head past them, atomically; remember the
        new head. Answers what each write placed, for as many writes as were written, and
        the ticket of the outbox's queue message, still hidden, for the caller to reveal.

        Raises :class:`_Stale` when the head or a root moved, and :class:`_FailedAt` when
        one write failed (it is answered; the others were not written).
        """
        head = self._head(document_id, deadline)
        roots = self._roots(document_id, batch, deadline)
        batch = batch[: _fitting(batch, roots)]
        roots = {root_id: roots[root_id] for root_id in _roots_of(batch)}
        placed: list[Message] = []
        seq, position = head.seq, head.position
        for write in batch:
            message = write.at(seq, position)
            placed.append(message)
            position = message.position
            if write.etag is None:
                seq = message.seq
        operations = [
            write.operation(message, self._message_ttl)
            for write, message in zip(batch, placed, strict=True)
        ]
        changed: dict[str, Message] = {}
        for root_id, (root, etag) in roots.items():
            for write in batch:
                if write.root_id == root_id and write.effect is not None:
                    root = write.effect(root)
            position += 1
            changed[root_id] = dataclasses.replace(root, position=position)
            operations.append(_operation(changed[root_id], etag, self._message_ttl))
        outbox_id = f"{OUTBOX_ID_PREFIX}{uuid.uuid4().hex}"
        if self._outbox is not None:
            operations.append(("create", (_outbox_item(document_id, outbox_id, batch),)))
        operations.append(head.moved_to(document_id, seq, position))

        def run(container: ContainerProxy) -> Any:
            return container.execute_item_batch(
                operations, partition_key=document_id, timeout=left(deadline)
            )

        ticket = self._reserve(document_id, outbox_id, deadline)
        if deadline - time.monotonic() < MIN_SEND_SECONDS:  # the queue took the batch's time
            self._withdraw(ticket)
            raise StoreUnavailable("the work queue answered too slowly; nothing was stored")
        try:
            results = self._container.call(run, writing=True)
        except StoreOutcomeUnknown:
            # It may have landed: the head may have moved, and the outbox's message stays
            # hidden until it shows itself, to find the outbox item or none.
            self._heads.forget(document_id)
            raise
        except (StoreUnavailable, HistoryFull):
            self._heads.forget(document_id)
            self._withdraw(ticket)
            raise
        except CosmosBatchOperationError as error:
            self._withdraw(ticket)
            raise _failure_of(error, batch) from None
        self._heads.put(document_id, _Head(seq, position, results[-1]["eTag"], head.unmarked_below))
        placed_with_roots = [
            (message, changed.get(write.root_id or ""))
            for write, message in zip(batch, placed, strict=True)
        ]
        return placed_with_roots, ticket

    # Writes: the outbox ----------------------------------------------------------------

    def _reserve(self, document_id: str, outbox_id: str, deadline: float) -> Ticket | None:
        """Put the outbox's queue message, hidden until the batch surely has its outcome
        (:data:`OUTBOX_HIDDEN_MARGIN_SECONDS` past its timeout), before the batch goes: a
        process that dies right after the commit leaves a message that shows itself."""
        if self._outbox is None:
            return None
        # The committing invocation's trace goes along, so the outbox's work continues it.
        body = {"documentId": document_id, "outboxId": outbox_id, **signals.carrier()}
        try:
            return self._outbox.put(body, hidden_for=left(deadline) + OUTBOX_HIDDEN_MARGIN_SECONDS)
        except QueueUnavailable as error:  # nothing was sent: surely not stored
            raise StoreUnavailable(
                "the work queue is unavailable, so nothing was stored; try again shortly",
                retry_after=error.retry_after,
            ) from error

    def _reveal(self, ticket: Ticket | None) -> None:
        """Make the committed outbox's message visible now; if that fails, it shows itself
        when its hidden time is over."""
        if self._outbox is None or ticket is None:
            return
        try:
            self._outbox.reveal(ticket)
        except QueueUnavailable:
            _log.warning("an outbox message could not be revealed; it will show itself later")

    def _withdraw(self, ticket: Ticket | None) -> None:
        """Remove the message of an outbox that surely was not written; if that fails, its
        consumer finds no outbox item and does nothing."""
        if self._outbox is None or ticket is None:
            return
        with contextlib.suppress(QueueUnavailable):
            self._outbox.remove(ticket)

    def _roots(
        self, document_id: str, batch: list[_Write], deadline: float
    ) -> dict[str, tuple[Message, str]]:
        """The roots ``batch`` changes, as stored now, with their ETags (a point read
        each, ~1 RU), in the order the batch first names them."""
        roots: dict[str, tuple[Message, str]] = {}
        for write in batch:
            root_id = write.root_id
            if root_id is None or root_id in roots:
                continue
            item = self._container.read_item(document_id, root_id, deadline)
            if item is None:
                raise _FailedAt(write, failure=MessageNotFound("the thread's root is not stored"))
            roots[root_id] = (Message.from_stored(item), item["_etag"])
        return roots

    def _head(self, document_id: str, deadline: float) -> _Head:
        known = self._heads.get(document_id)
        return known if known is not None else self._stored_head(document_id, deadline)

    def _stored_head(self, document_id: str, deadline: float) -> _Head:
        """The document's head as stored now (a point read, ~1 RU); an empty one if none."""
        item = self._container.read_item(document_id, HEAD_ID, deadline)
        return _Head() if item is None else _Head.from_item(item)


class _FailedAt(Exception):
    """One write of a batch failed, with this answer; the batch wrote nothing."""

    def __init__(self, write: _Write, failure: BaseException | None = None) -> None:
        super().__init__()
        self.write, self.failure = write, failure


def _next_batch(waiting: list[_Write], now: float, max_writes: int) -> list[_Write]:
    """Take the writes to send next from the front of ``waiting``, in order: within the
    batch limits (``max_writes`` operations besides the head, a root that writes change
    is one more operation), each item once (a
    batch-mate's id would fail it; the replies to one root share its one replace, but a
    change of that root itself waits for the next batch), none too close to its deadline
    to be answered in time."""
    batch: list[_Write] = []
    size = 0
    ids: set[str] = set()
    roots: set[str] = set()
    for write in list(waiting):
        root_id = write.root_id
        operations = len(batch) + len(roots) + (root_id is not None and root_id not in roots)
        if batch and (operations >= max_writes or size + write.size > MAX_BATCH_BYTES):
            break
        if (
            write.message.id in ids | roots
            or root_id in ids
            or write.deadline - now < MIN_SEND_SECONDS
        ):
            continue
        batch.append(write)
        size += write.size
        ids.add(write.message.id)
        if root_id is not None:
            roots.add(root_id)
        waiting.remove(write)
    return batch


def _outbox_item(document_id: str, outbox_id: str, batch: list[_Write]) -> dict[str, Any]:
    """The outbox item of a batch: what each of its writes made happen, in batch order."""
    happenings = [
        write.happening.placed(outbox_id, index).stored_form() for index, write in enumerate(batch)
    ]
    return {
        "id": outbox_id,
        "documentId": document_id,
        "happenings": happenings,
        "ttl": OUTBOX_TTL_SECONDS,
    }


def _newest(limit: int, *pages: list[Message], key: Callable[[Message], int]) -> list[Message]:
    """The first ``limit`` of ``pages`` (each newest first by ``key``, none sharing an item)
    merged newest first."""
    return list(itertools.islice(heapq.merge(*pages, key=key, reverse=True), limit))


def _roots_of(batch: list[_Write]) -> list[str]:
    """The roots the writes of ``batch`` change, in the order it first names them."""
    return list(dict.fromkeys(write.root_id for write in batch if write.root_id is not None))


def _fitting(batch: list[_Write], roots: dict[str, tuple[Message, str]]) -> int:
    """How many writes from the front of ``batch`` fit in one batch's bytes beside the
    roots they change (their size is known only once read; at least one write goes)."""
    size = 0
    counted: set[str] = set()
    for count, write in enumerate(batch):
        size += write.size
        root_id = write.root_id
        if root_id is not None and root_id not in counted:
            counted.add(root_id)
            size += _size(roots[root_id][0]) + ROOT_GROWTH_BYTES
        if count and size > MAX_BATCH_BYTES:
            return count
    return len(batch)


def _failure_of(error: CosmosBatchOperationError, batch: list[_Write]) -> Exception:
    """What a failed batch means. On the head: it moved (412; or it vanished or appeared,
    404/409), :class:`_Stale`. On a write: that write is answered (an append whose id is
    taken was stored before; a change whose message moved on must be made again) and the
    others go again, :class:`_FailedAt`. Anything else is docchat's mistake."""
    index = error.error_index
    status = int(error.operation_responses[index].get("statusCode", 0))
    if index >= len(batch):  # a root's replace, or the head's
        return _Stale() if status in (404, 409, 412) else error
    write = batch[index]
    if status == 403 and _sub_status(error.operation_responses[index]) == PARTITION_FULL:
        return HistoryFull()
    if write.etag is None and status == 409:
        return _FailedAt(write)
    if write.etag is not None and status in (404, 412):
        return _FailedAt(write, failure=_Stale())
    return _FailedAt(write, failure=error)


def _sub_status(response: dict[str, Any]) -> int:
    return int(response.get("subStatusCode", 0))


def _unconfirmed() -> StoreOutcomeUnknown:
    return StoreOutcomeUnknown("the message store did not confirm the write")
