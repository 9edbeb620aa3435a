"""Messages in Azure Cosmos DB, in the order each document received them.

Every query names its partition, so reading a document's chat costs a few RU however many
documents exist (a cross-partition query costs ~80 times more). The container, its failures
and its indexing policy are :mod:`chat.cosmos_container`'s.

**Order.** Each document has a head item (id ``_head``, in the same logical partition) with
the newest message's ``seq`` and ``position``. Appending is one transactional batch: create
the message with the next numbers, and replace the head if its ETag still matches (create
it, for a document's first message). Both happen or neither does, so numbers have no gap
and no repeat however many processes append at once: a process whose head was stale gets a
412, reads the head again and retries within its time budget. Each process remembers the
heads it wrote, so an uncontended append is one request, and it appends to a document one
thread at a time, so its own threads never race each other to a 412. The message goes first
in the batch: a retry of a batch that did commit fails on the message's id (409), which is
exactly "already stored", and is never mistaken for a stale head.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import CosmosBatchOperationError

from chat.cosmos_container import CosmosContainer, left
from chat.errors import StoreUnavailable
from chat.messages import RESERVED_ID_PREFIX, Message

__all__ = ["HEAD_ID", "CosmosMessageStore"]

#: The id of each document's head item; message ids cannot start with the prefix.
HEAD_ID = f"{RESERVED_ID_PREFIX}head"
#: The head items a process remembers; a forgotten one costs one extra read.
MAX_REMEMBERED_HEADS = 10_000
#: Appends in one process to documents that share a stripe take turns.
LOCK_STRIPES = 64
# Only message items have ``seq`` and ``position``: the other items of a document's partition
# (head, members, read markers, presence) name theirs otherwise, so these queries find
# messages alone.
#: The messages after a seq that count as unread: not deleted, not the reader's own.
COUNTED_AFTER = (
    "SELECT c.seq FROM c WHERE c.documentId = @documentId AND c.seq > @seq"
    " AND c.senderId != @sender AND c.deleted = false"
)
NEWEST_FIRST = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND c.seq < @before ORDER BY c.seq DESC"
)
AFTER_POSITION = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND c.position > @position"
    " ORDER BY c.position ASC"
)
_Written = TypeVar("_Written")
#: Larger than any seq: "before this" means "from the newest".
_NO_UPPER_BOUND = 2**53


@dataclasses.dataclass(frozen=True)
class _Head:
    """A document's head item as last read or written; ``etag`` None: there is none yet."""

    seq: int = 0
    position: int = 0
    etag: str | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> _Head:
        return cls(item["lastSeq"], item["lastPosition"], item["_etag"])

    def moved_to(self, document_id: str, seq: int, position: int) -> tuple[Any, ...]:
        """The batch operation that moves this head to these numbers, if it is unchanged."""
        item = {"id": HEAD_ID, "documentId": document_id, "lastSeq": seq, "lastPosition": position}
        if self.etag is None:
            return ("create", (item,))
        return ("replace", (HEAD_ID, item), {"if_match_etag": self.etag})


class _Heads:
    """The heads this process wrote last, bounded, plus one lock per stripe of documents."""

    def __init__(self) -> None:
        self._known: OrderedDict[str, _Head] = OrderedDict()
        self._guard = threading.Lock()
        self._stripes = [threading.Lock() for _ in range(LOCK_STRIPES)]

    @contextmanager
    def turn(self, document_id: str, deadline: float) -> Iterator[None]:
        """Hold the document's stripe, or raise :class:`StoreUnavailable` at the deadline."""
        lock = self._stripes[hash(document_id) % LOCK_STRIPES]
        if not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise StoreUnavailable("the message store is busy; try again shortly")
        try:
            yield
        finally:
            lock.release()

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


class CosmosMessageStore:
    """:class:`~chat.store.MessageStore` over the shared container."""

    def __init__(self, container: CosmosContainer) -> None:
        self._container = container
        self._heads = _Heads()
        container.on_recreate(self._heads.forget)

    def append(self, message: Message) -> Message | None:
        return self._in_turn(message.document_id, lambda deadline: self._append(message, deadline))

    def change(
        self, document_id: str, message_id: str, change: Callable[[Message], Message]
    ) -> Message | None:
        def attempt(deadline: float) -> Message | None:
            return self._change(document_id, message_id, change, deadline)

        return self._in_turn(document_id, attempt)

    def latest_seq(self, document_id: str) -> int:
        return self._head(document_id, self._container.deadline()).seq

    def count_after(self, document_id: str, seq: int, excluding_sender: str, cap: int) -> int:
        bounds: dict[str, object] = {"@seq": seq, "@sender": excluding_sender}
        return len(self._container.query(document_id, COUNTED_AFTER, bounds, cap))

    def get(self, document_id: str, message_id: str) -> Message | None:
        item = self._container.read_item(document_id, message_id, self._container.deadline())
        return None if item is None else Message.from_stored(item)

    def newest_first(self, document_id: str, limit: int, before_seq: int | None) -> list[Message]:
        before = _NO_UPPER_BOUND if before_seq is None else before_seq
        items = self._container.query(document_id, NEWEST_FIRST, {"@before": before}, limit)
        return [Message.from_stored(item) for item in items]

    def after(self, document_id: str, position: int, limit: int) -> list[Message]:
        items = self._container.query(document_id, AFTER_POSITION, {"@position": position}, limit)
        return [Message.from_stored(item) for item in items]

    # Writes ----------------------------------------------------------------------------

    def _in_turn(self, document_id: str, attempt: Callable[[float], _Written]) -> _Written:
        """Run ``attempt`` in the document's turn, again while another writer's change makes
        its head stale, until the budget runs out."""
        deadline = self._container.deadline()
        with self._heads.turn(document_id, deadline):
            while True:
                try:
                    return attempt(deadline)
                except _Stale:
                    self._heads.forget(document_id)
                    _wait_before_retrying(deadline)

    def _append(self, message: Message, deadline: float) -> Message | None:
        head = self._head(message.document_id, deadline)
        placed = dataclasses.replace(message, seq=head.seq + 1, position=head.position + 1)
        create = ("create", (placed.stored_form(),))
        try:
            self._commit(placed, head, create, placed.seq, deadline)
        except CosmosBatchOperationError as error:
            if _failed_operation(error) == (0, 409):
                return None  # the message's id is taken: stored before
            raise _stale_or(error) from None
        return placed

    def _change(
        self,
        document_id: str,
        message_id: str,
        change: Callable[[Message], Message],
        deadline: float,
    ) -> Message | None:
        item = self._container.read_item(document_id, message_id, deadline)
        if item is None or message_id.startswith(RESERVED_ID_PREFIX):
            return None
        current = Message.from_stored(item)
        changed = change(current)
        if changed == current:
            return current
        head = self._head(document_id, deadline)
        placed = dataclasses.replace(changed, position=head.position + 1)
        replace = ("replace", (message_id, placed.stored_form()), {"if_match_etag": item["_etag"]})
        try:
            self._commit(placed, head, replace, head.seq, deadline)
        except CosmosBatchOperationError as error:
            raise _stale_or(error) from None
        return placed

    def _commit(
        self, placed: Message, head: _Head, operation: tuple[Any, ...], seq: int, deadline: float
    ) -> None:
        """Write ``operation`` and move the head to ``seq`` and ``placed``'s position,
        atomically; remember the new head."""
        document_id = placed.document_id
        operations = [operation, head.moved_to(document_id, seq, placed.position)]

        def batch(container: ContainerProxy) -> Any:
            return container.execute_item_batch(
                operations, partition_key=document_id, timeout=left(deadline)
            )

        try:
            results = self._container.call(batch, writing=True)
        except StoreUnavailable:
            self._heads.forget(document_id)  # it may have moved after all
            raise
        self._heads.put(document_id, _Head(seq, placed.position, results[1]["eTag"]))

    def _head(self, document_id: str, deadline: float) -> _Head:
        known = self._heads.get(document_id)
        if known is not None:
            return known
        item = self._container.read_item(document_id, HEAD_ID, deadline)
        return _Head() if item is None else _Head.from_item(item)


class _Stale(Exception):
    """Another writer changed what this write was conditioned on: read again and retry."""


def _failed_operation(error: CosmosBatchOperationError) -> tuple[int, int]:
    """Which operation of a failed batch failed, and with which status."""
    index = error.error_index
    return index, int(error.operation_responses[index].get("statusCode", 0))


def _stale_or(error: CosmosBatchOperationError) -> Exception:
    """A failed precondition (412; or the head vanished or appeared, 404/409) means another
    writer moved first: :class:`_Stale`. Any other failure is docchat's mistake."""
    index, status = _failed_operation(error)
    if status == 412 or (index == 1 and status in (404, 409)):
        return _Stale()
    return error


def _wait_before_retrying(deadline: float) -> None:
    """A short random pause, so writers that collided do not collide again in step."""
    pause = random.uniform(0.001, 0.02)  # noqa: S311 - jitter, not a secret
    if time.monotonic() + pause >= deadline:
        raise StoreUnavailable("the document is busy with other writers; try again shortly")
    time.sleep(pause)
