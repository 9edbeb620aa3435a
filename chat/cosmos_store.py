"""Messages in Azure Cosmos DB: one container, partitioned by ``/documentId``.

Every request names its partition, so reading a document's chat costs a few RU however many
documents exist (a cross-partition query costs ~80 times more).

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

**Failures.** Throttling, 5xx, timeouts and unreachability become
:class:`~chat.errors.StoreUnavailable`, or :class:`~chat.errors.StoreOutcomeUnknown` when a
write was sent and no answer came. 401 and 403 mean the key or the identity's data-plane role
is wrong: :class:`~chat.errors.Misconfigured`. A database or container that is gone (404 with
sub-status 1003) is created again with key auth; with Microsoft Entra auth the data plane
cannot create it, so that too is :class:`~chat.errors.Misconfigured`. Every request has a
time budget, retries included, so a caller hears 503 in about a second and a half, not after
the SDK's default minute.

**Indexing policy,** and its expected RU effect: only ``/documentId``, ``/seq`` and
``/position`` are indexed, which the newest-first (by seq) and catch-up (by position)
queries need. ``text`` is the bulk of a message and no query reads it. A ~1 KB write should
so cost close to the ~5 RU of an unindexed write instead of the 5.7-8.6 RU of default
indexing (all paths), and each page query stays the single-partition ~7.7 RU kind. A
container that already exists keeps the policy it has.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.exceptions import AzureError, ServiceRequestError
from azure.cosmos import ContainerProxy, CosmosClient, PartitionKey
from azure.cosmos.exceptions import (
    CosmosBatchOperationError,
    CosmosHttpResponseError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from chat.breaker import Breaker
from chat.errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    Misconfigured,
    StoreOutcomeUnknown,
    StoreUnavailable,
)
from chat.messages import RESERVED_ID_PREFIX, Message
from chat.settings import Settings

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

__all__ = ["HEAD_ID", "INDEXING_POLICY", "CosmosMessageStore", "open_store"]

PARTITION_KEY_PATH = "/documentId"
#: The id of each document's head item; message ids cannot start with the prefix.
HEAD_ID = f"{RESERVED_ID_PREFIX}head"
INDEXING_POLICY: dict[str, Any] = {
    "indexingMode": "consistent",
    "automatic": True,
    "includedPaths": [{"path": "/documentId/?"}, {"path": "/seq/?"}, {"path": "/position/?"}],
    "excludedPaths": [{"path": "/*"}],
}
#: How long one store call may take, retries included. Cosmos DB answers in milliseconds
#: when healthy; past this the caller is better served by a 503 it can retry.
REQUEST_BUDGET_SECONDS = 1.5
#: Connect and read timeouts (seconds) of one HTTP request, and the SDK's own retries, kept
#: inside the budget that every call also passes as ``timeout``: its default pause between
#: connection retries is a whole second.
CLIENT_OPTIONS: dict[str, Any] = {
    "connection_timeout": 1,
    "read_timeout": 1,
    "retry_total": 3,
    "retry_connect": 2,
    "retry_read": 1,
    "retry_backoff_factor": 0.1,
    "retry_throttle_total": 3,
    "retry_throttle_backoff_max": 1,
}
#: The head items a process remembers; a forgotten one costs one extra read.
MAX_REMEMBERED_HEADS = 10_000
#: Appends in one process to documents that share a stripe take turns.
LOCK_STRIPES = 64
NEWEST_FIRST = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND c.seq < @before ORDER BY c.seq DESC"
)
AFTER_POSITION = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND c.position > @position"
    " ORDER BY c.position ASC"
)
#: Larger than any seq: "before this" means "from the newest".
_NO_UPPER_BOUND = 2**53
#: Cosmos DB's sub-status for "the database or container does not exist".
_OWNER_MISSING = 1003
#: Answers that say the request was refused, so nothing was written.
_REFUSED_UNWRITTEN = frozenset({429})
_log = logging.getLogger(__name__)
_Result = TypeVar("_Result")


def open_store(settings: Settings) -> CosmosMessageStore:
    """The store for the configured account. It connects on first use, and opens the
    container then (with key auth, creating it if missing), so an outage at that moment is
    a 503 like any other and the next request tries again."""
    return CosmosMessageStore(
        lambda: CosmosClient(settings.cosmos_endpoint, _credential(settings), **CLIENT_OPTIONS),
        settings.cosmos_database,
        settings.cosmos_container,
        can_create=settings.cosmos_key is not None,
    )


@dataclasses.dataclass(frozen=True)
class _Head:
    """A document's head item as last read or written; ``etag`` None: there is none yet."""

    seq: int = 0
    position: int = 0
    etag: str | None = None

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> _Head:
        return cls(item["lastSeq"], item["lastPosition"], item["_etag"])

    def write_after(self, message: Message) -> tuple[Any, ...]:
        """The batch operation that moves this head to ``message``'s numbers."""
        item = {
            "id": HEAD_ID,
            "documentId": message.document_id,
            "lastSeq": message.seq,
            "lastPosition": message.position,
        }
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
    """:class:`~chat.store.MessageStore` over one Cosmos DB container."""

    def __init__(
        self,
        connect: Callable[[], CosmosClient],
        database: str,
        container: str,
        *,
        can_create: bool,
        budget: float = REQUEST_BUDGET_SECONDS,
    ) -> None:
        self._connect = connect
        self._client: CosmosClient | None = None
        self._database_name = database
        self._container_name = container
        self._can_create = can_create
        self._budget = budget
        self._heads = _Heads()
        self._breaker = Breaker(
            lambda: StoreUnavailable("the message store is unavailable; try again shortly")
        )
        self._container_lock = threading.Lock()
        self._container_proxy: ContainerProxy | None = None

    def append(self, message: Message) -> Message | None:
        deadline = time.monotonic() + self._budget
        with self._heads.turn(message.document_id, deadline):
            while True:
                head = self._heads.get(message.document_id) or self._read_head(
                    message.document_id, deadline
                )
                placed = dataclasses.replace(message, seq=head.seq + 1, position=head.position + 1)
                try:
                    written = self._write(placed, head, deadline)
                except CosmosBatchOperationError as error:
                    if _failed_operation(error) == (0, 409):
                        return None  # the message's id is taken: stored before
                    self._heads.forget(message.document_id)
                    _raise_unless_stale_head(error)
                    _wait_before_retrying(deadline)
                    continue
                self._heads.put(message.document_id, written)
                return placed

    def get(self, document_id: str, message_id: str) -> Message | None:
        item = self._read_item(document_id, message_id, time.monotonic() + self._budget)
        return None if item is None else Message.from_stored(item)

    def newest_first(self, document_id: str, limit: int, before_seq: int | None) -> list[Message]:
        before = _NO_UPPER_BOUND if before_seq is None else before_seq
        return self._query(document_id, NEWEST_FIRST, {"@before": before}, limit)

    def after(self, document_id: str, position: int, limit: int) -> list[Message]:
        return self._query(document_id, AFTER_POSITION, {"@position": position}, limit)

    # Requests --------------------------------------------------------------------------

    def _write(self, placed: Message, head: _Head, deadline: float) -> _Head:
        """Create the message and move the head, atomically; the new head's ETag back."""
        operations = [("create", (placed.stored_form(),)), head.write_after(placed)]

        def batch(container: ContainerProxy) -> Any:
            return container.execute_item_batch(
                operations, partition_key=placed.document_id, timeout=_left(deadline)
            )

        try:
            results = self._call(batch, writing=True)
        except StoreUnavailable:
            self._heads.forget(placed.document_id)  # it may have moved after all
            raise
        return _Head(placed.seq, placed.position, results[1]["eTag"])

    def _read_head(self, document_id: str, deadline: float) -> _Head:
        item = self._read_item(document_id, HEAD_ID, deadline)
        return _Head() if item is None else _Head.from_item(item)

    def _read_item(self, document_id: str, item_id: str, deadline: float) -> dict[str, Any] | None:
        def read(container: ContainerProxy) -> dict[str, Any] | None:
            try:
                return container.read_item(
                    item_id, partition_key=document_id, timeout=_left(deadline)
                )
            except CosmosResourceNotFoundError as error:
                if error.sub_status == _OWNER_MISSING:
                    raise
                return None

        return self._call(read, writing=False)

    def _query(
        self, document_id: str, query: str, bounds: dict[str, int], limit: int
    ) -> list[Message]:
        deadline = time.monotonic() + self._budget
        parameters: list[dict[str, object]] = [{"name": "@documentId", "value": document_id}]
        parameters += [{"name": name, "value": value} for name, value in bounds.items()]

        def run(container: ContainerProxy) -> list[dict[str, Any]]:
            found = container.query_items(
                query,
                parameters=parameters,
                partition_key=document_id,
                max_item_count=limit,
                timeout=_left(deadline),
            )
            return list(itertools.islice(found, limit))

        return [Message.from_stored(item) for item in self._call(run, writing=False)]

    def _call(self, request: Callable[[ContainerProxy], _Result], *, writing: bool) -> _Result:
        """Run ``request`` on the container, creating it again (once) if it is gone; fail
        fast while an outage is fresh (see :mod:`chat.breaker`)."""
        self._breaker.check()
        with _failures_reported(writing=writing, outage=self._breaker.opened):
            try:
                result = request(self._container())
            except CosmosResourceNotFoundError as error:
                if error.sub_status != _OWNER_MISSING:
                    raise
                self._recreate()
                result = request(self._container())
        self._breaker.closed()
        return result

    # The container ---------------------------------------------------------------------

    def _container(self) -> ContainerProxy:
        with self._container_lock:
            if self._container_proxy is None:
                self._container_proxy = self._ensure_container()
            return self._container_proxy

    def _recreate(self) -> None:
        """The database or container is gone: make it again, forgetting every head."""
        _log.warning(
            "Cosmos DB container %s/%s is missing; creating it again",
            self._database_name,
            self._container_name,
        )
        with self._container_lock:
            self._heads.forget()
            self._container_proxy = self._ensure_container()

    def _ensure_container(self) -> ContainerProxy:
        if self._client is None:
            self._client = self._connect()
        client = self._client
        if not self._can_create:
            # Microsoft Entra identities get no control-plane rights on the data plane.
            return client.get_database_client(self._database_name).get_container_client(
                self._container_name
            )
        # Another process may create either between the SDK's check and its create (409):
        # then the second try finds it.
        for attempt in (1, 2):
            try:
                database = client.create_database_if_not_exists(self._database_name)
                return database.create_container_if_not_exists(
                    id=self._container_name,
                    partition_key=PartitionKey(path=PARTITION_KEY_PATH),
                    indexing_policy=INDEXING_POLICY,
                )
            except CosmosResourceExistsError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _credential(settings: Settings) -> str | TokenCredential:
    if settings.cosmos_key:
        return settings.cosmos_key
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def _left(deadline: float) -> float:
    """Seconds until ``deadline``: each request's absolute timeout, retries included."""
    return max(0.05, deadline - time.monotonic())


def _failed_operation(error: CosmosBatchOperationError) -> tuple[int, int]:
    """Which operation of a failed batch failed, and with which status."""
    index = error.error_index
    return index, int(error.operation_responses[index].get("statusCode", 0))


def _raise_unless_stale_head(error: CosmosBatchOperationError) -> None:
    """The head operation failing (412, or 404/409 when it vanished or appeared) means
    another writer moved it first; any other failure is docchat's mistake."""
    if _failed_operation(error) not in ((1, 412), (1, 404), (1, 409)):
        raise error


def _wait_before_retrying(deadline: float) -> None:
    """A short random pause, so writers that collided do not collide again in step."""
    pause = random.uniform(0.001, 0.02)  # noqa: S311 - jitter, not a secret
    if time.monotonic() + pause >= deadline:
        raise StoreUnavailable("the document is busy with other writers; try again shortly")
    time.sleep(pause)


@contextmanager
def _failures_reported(*, writing: bool, outage: Callable[[], None]) -> Iterator[None]:
    """Turn Cosmos DB's failures into docchat's: outages (reported to ``outage`` too),
    unknown outcomes and misconfiguration."""
    try:
        yield
    except CosmosBatchOperationError:
        raise
    except CosmosHttpResponseError as error:
        if (error.status_code or 0) >= 500 or error.status_code == 408:
            outage()
        raise _translated(error, writing=writing) from None
    except ServiceRequestError as error:
        # Nothing was sent (connection refused, name not resolved): nothing was written.
        _log.warning("Cosmos DB unreachable: %s", type(error).__name__)
        outage()
        raise StoreUnavailable("the message store is unreachable; try again shortly") from None
    except AzureError as error:
        _log.warning("Cosmos DB did not answer in time: %s", type(error).__name__)
        outage()
        raise _unanswered(writing) from None


def _translated(error: CosmosHttpResponseError, *, writing: bool) -> Exception:
    status = error.status_code or 0
    if status in (401, 403):
        _log.error(
            "Cosmos DB refused docchat's credentials (%s, sub-status %s): check COSMOS_KEY, or"
            " that the app's identity has the Cosmos DB Built-in Data Contributor role",
            status,
            error.sub_status,
        )
        return Misconfigured(f"Cosmos DB answered {status}: docchat's credentials are refused")
    if status == 404:
        _log.error("Cosmos DB database or container is missing and cannot be created here")
        return Misconfigured(
            "the Cosmos DB database or container does not exist; with Microsoft Entra auth"
            " it must be created by the deployment (infra/), not by the app"
        )
    if status == 429 or status >= 500 or status == 408:
        _log.warning("Cosmos DB answered %s (sub-status %s)", status, error.sub_status)
        if writing and status not in _REFUSED_UNWRITTEN:
            return _unanswered(writing=True, retry_after=_retry_after(error))
        return StoreUnavailable(
            "the message store is unavailable; try again shortly", retry_after=_retry_after(error)
        )
    return error  # any other 4xx: docchat asked wrongly, a bug


def _unanswered(writing: bool, retry_after: int = DEFAULT_RETRY_AFTER_SECONDS) -> StoreUnavailable:
    if writing:
        return StoreOutcomeUnknown(
            "the message store did not confirm the write", retry_after=retry_after
        )
    return StoreUnavailable("the message store did not answer in time", retry_after=retry_after)


def _retry_after(error: CosmosHttpResponseError) -> int:
    milliseconds = error.headers.get("x-ms-retry-after-ms")
    if milliseconds and milliseconds.replace(".", "", 1).isdigit():
        return max(1, math.ceil(float(milliseconds) / 1000))
    return DEFAULT_RETRY_AFTER_SECONDS
