"""The one Cosmos DB container docchat keeps everything in, and how its failures read.

Messages, each document's head item and its members all live in the document's logical
partition (``/documentId``), so every request names one partition. :class:`CosmosContainer`
is shared by every adapter of :mod:`storage.cosmos`; it owns the clients (one per worker
thread, over one credential and one pooled session), the container (created again after it
was deleted, with key auth), the breaker and the translation of Cosmos DB's failures.

**Failures.** Throttling, 5xx, timeouts and unreachability become
:class:`~chat.domain.errors.StoreUnavailable`, or
:class:`~chat.domain.errors.StoreOutcomeUnknown` when a write was sent and no answer came. A
write to a document whose logical partition is full (403 with sub-status 1014: 20 GB) is
:class:`~chat.domain.errors.HistoryFull`. Other 401 and 403 mean the key or the identity's
data-plane role is wrong: :class:`~chat.domain.errors.Misconfigured`. A database or
container that is gone (404 with sub-status 1003) is created again with key auth; with
Microsoft Entra auth the data plane cannot create it, so that too is
:class:`~chat.domain.errors.Misconfigured`. Every request has a time budget, retries
included, so a caller hears 503 in about a second and a half, not after the SDK's default
minute; while an outage is fresh, :mod:`shared.breaker` fails calls at once, and after it
lets one call at a time find out whether Cosmos DB is back.

**Indexing policy,** and its expected RU effect: only ``/documentId``, ``/seq``,
``/position``, ``/role``, ``/connectionId``, ``/threadId`` and ``/listing`` are indexed, which
the timeline (``threadId`` null, by seq), catch-up (by position), thread (``threadId``, by
seq), thread list (``listing``, by position), member-list and presence queries need; two
composite indexes serve the timeline and the thread (``threadId``, ``seq``: read forwards for
a thread, backwards for the timeline) and the thread list (``listing``, ``position``), whose
filters are equalities on another path than they order by: each query orders by both paths,
so a page reads the index range of its thread, of the roots or of one listing alone,
whatever the rest of the document holds (see :mod:`storage.cosmos.store`). ``text`` is the bulk of a
message and no query reads it. A ~1 KB write should so cost close to the ~5 RU of an
unindexed write instead of the 5.7-8.6 RU of default indexing (all paths), and each page
query stays the single-partition ~7.7 RU kind. With key auth docchat owns the container: one
that an earlier docchat made without an index its queries now need gets this policy on
first use (:func:`lacks_indexes`); with Microsoft Entra the policy is infra/'s.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.exceptions import AzureError, ServiceRequestError
from azure.cosmos import ContainerProxy, CosmosClient, PartitionKey
from azure.cosmos.documents import ConnectionPolicy
from azure.cosmos.exceptions import (
    CosmosBatchOperationError,
    CosmosHttpResponseError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from chat.domain.errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    HistoryFull,
    Misconfigured,
    StoreOutcomeUnknown,
    StoreUnavailable,
)
from shared.breaker import Breaker
from shared.pooled_http import pooled_transport
from storage.cosmos.settings import CosmosSettings

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.core.pipeline.transport import RequestsTransport

__all__ = [
    "DEFAULT_TTL",
    "INDEXING_POLICY",
    "MESSAGES",
    "PATH_STEPS",
    "ContainerShape",
    "CosmosContainer",
    "left",
    "open_container",
    "raise_if_container_missing",
]

PARTITION_KEY_PATH = "/documentId"
INDEXING_POLICY: dict[str, Any] = {
    "indexingMode": "consistent",
    "automatic": True,
    "includedPaths": [
        {"path": "/documentId/?"},
        {"path": "/seq/?"},
        {"path": "/position/?"},
        {"path": "/role/?"},
        {"path": "/connectionId/?"},
        {"path": "/threadId/?"},
        {"path": "/listing/?"},
    ],
    "excludedPaths": [{"path": "/*"}],
    # A filter by equality and an order by another path: a thread's replies by seq, the
    # timeline's roots (threadId null) by seq backwards, the thread list by latest change.
    "compositeIndexes": [
        [{"path": "/threadId", "order": "ascending"}, {"path": "/seq", "order": "ascending"}],
        [
            {"path": "/listing", "order": "ascending"},
            {"path": "/position", "order": "descending"},
        ],
    ],
}
#: Time to live on, with no default: only items that carry a ``ttl`` expire (presence).
DEFAULT_TTL = -1


@dataclass(frozen=True)
class ContainerShape:
    """What a container is made with: its partition key path, indexing policy and default
    time to live (-1: on, no default). Queries name their partition as ``@`` and the key
    path's field (``@documentId``)."""

    partition_key_path: str
    indexing_policy: dict[str, Any]
    default_ttl: int = DEFAULT_TTL

    @property
    def partition_parameter(self) -> str:
        return "@" + self.partition_key_path.removeprefix("/")


#: The one container of every document's items.
MESSAGES = ContainerShape(PARTITION_KEY_PATH, INDEXING_POLICY)
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
#: Ids that are path steps: never sent in a URL (see :func:`_read_by_body`).
PATH_STEPS = frozenset({".", ".."})
#: How long the probe after an outage waits for Cosmos DB (see :meth:`CosmosContainer.call`):
#: a healthy one answers a point read in milliseconds.
PROBE_SECONDS = 0.4
#: How long making a client may take (it reads the account; see :class:`_Connector`): one
#: try, as long as any request's connect and read timeouts, so that a thread's first call
#: while Cosmos DB is stalled still ends within its budget, and a loaded machine making
#: several threads' clients at once (a TLS handshake each) still makes them.
ACCOUNT_READ_SECONDS = 1
#: The item the probe reads: it never exists, and a 404 is an answer as good as any.
PROBE_ITEM_ID = "_probe"
#: Cosmos DB's sub-status for "the database or container does not exist".
OWNER_MISSING = 1003
#: Cosmos DB's sub-status (with 403) for "the logical partition reached its 20 GB".
PARTITION_FULL = 1014
#: Answers that say the request was refused, so nothing was written.
_REFUSED_UNWRITTEN = frozenset({429})
_log = logging.getLogger(__name__)
_Result = TypeVar("_Result")


def open_container(
    settings: CosmosSettings, name: str | None = None, shape: ContainerShape = MESSAGES
) -> CosmosContainer:
    """The container ``name`` (default: the messages container) for the configured
    account, made as ``shape`` says. It connects on first use, and opens the container then
    (with key auth, creating it if missing), so an outage at that moment is a 503 like any
    other and the next request tries again."""
    return CosmosContainer(
        _Connector(settings),
        settings.database,
        name or settings.container,
        can_create=settings.key is not None,
        shape=shape,
    )


class _Connector:
    """Makes the clients of one account (one per thread, see :class:`CosmosContainer`).
    They share one credential (a token is fetched once) and one HTTP session, whose pool
    keeps a connection for every thread that may call at once (:mod:`shared.pooled_http`)."""

    def __init__(self, settings: CosmosSettings) -> None:
        self._settings = settings
        self._shared: tuple[str | TokenCredential, RequestsTransport] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> CosmosClient:
        with self._lock:
            if self._shared is None:
                transport = pooled_transport(
                    connection_timeout=CLIENT_OPTIONS["connection_timeout"],
                    read_timeout=CLIENT_OPTIONS["read_timeout"],
                )
                self._shared = (_credential(self._settings), transport)
            credential, transport = self._shared
        # A thread's first request makes its client, which reads the account first: within
        # ACCOUNT_READ_SECONDS (``timeout``, the default of every request that passes none),
        # a thread whose first request comes while Cosmos DB is stalled hears so within its
        # budget.
        return CosmosClient(
            self._settings.endpoint,
            credential,
            transport=transport,
            connection_policy=_account_read_bounded(),
            timeout=ACCOUNT_READ_SECONDS,
            **CLIENT_OPTIONS,
        )


def _account_read_bounded() -> ConnectionPolicy:
    """The SDK's connection policy, but reading the account (which making a client does)
    within :data:`ACCOUNT_READ_SECONDS` to connect and to read instead of 3 s each."""
    policy = ConnectionPolicy()
    policy.DBAConnectionTimeout = policy.DBAReadTimeout = ACCOUNT_READ_SECONDS
    return policy


class CosmosContainer:
    """Runs requests on the container within a time budget, reporting failures as docchat's.

    **One SDK client per thread.** azure-cosmos's sync client is not safe to share between
    threads that use it at once: each request publishes its response headers on the client
    (``last_response_headers``), and the retry layer of every other request writes into
    whatever is published there while a query still copies those headers, which fails with
    ``RuntimeError: OrderedDict mutated during iteration`` (seen as 500s under load; the SDK
    itself calls that attribute not thread safe, azure-sdk-for-python PR 35791). So each
    worker thread gets a client and container proxy of its own, made on its first request:
    the Functions worker keeps a fixed pool of threads (``PYTHON_THREADPOOL_THREAD_COUNT``),
    so that is a client per thread for the life of the process, each with one request in
    flight at a time (its connection pool never overflows). What is shared (the breaker,
    whether the container exists) stays here, under a lock.
    """

    def __init__(
        self,
        connect: Callable[[], CosmosClient],
        database: str,
        container: str,
        *,
        can_create: bool,
        budget: float = REQUEST_BUDGET_SECONDS,
        shape: ContainerShape = MESSAGES,
    ) -> None:
        self._connect = connect
        self._shape = shape
        self._database_name = database
        self._container_name = container
        self._can_create = can_create
        self.budget = budget
        self._breaker = Breaker(_outage, name="cosmos")
        self._container_lock = threading.Lock()
        #: Bumped each time the container is created again: proxies of an older one are
        #: made anew. ``_checked`` is the generation known to exist (None: not yet looked).
        self._generation = 0
        self._checked: int | None = None
        self._local = threading.local()
        self._on_recreate: list[Callable[[], None]] = []

    def refusal(self) -> StoreUnavailable | None:
        """The error a call now would fail with at once (see :meth:`call`), if any."""
        return _outage() if self._breaker.refusing else None

    def deadline(self) -> float:
        """When a request starting now must be done."""
        return time.monotonic() + self.budget

    def on_recreate(self, forget: Callable[[], None]) -> None:
        """Call ``forget`` whenever the container was created again (what was known is gone)."""
        self._on_recreate.append(forget)

    def read_item(self, document_id: str, item_id: str, deadline: float) -> dict[str, Any] | None:
        """The item, or None if the document has no item with this id."""

        def read(container: ContainerProxy) -> dict[str, Any] | None:
            if item_id in PATH_STEPS:
                return _read_by_body(container, document_id, item_id, deadline)
            try:
                return container.read_item(
                    item_id, partition_key=document_id, timeout=left(deadline)
                )
            except CosmosResourceNotFoundError as error:
                raise_if_container_missing(error)
                return None

        return self.call(read, writing=False)

    def delete_item(self, document_id: str, item_id: str) -> bool:
        """Delete the item; False if the document had no item with this id."""
        deadline = self.deadline()

        def delete(container: ContainerProxy) -> bool:
            try:
                container.delete_item(item_id, partition_key=document_id, timeout=left(deadline))
            except CosmosResourceNotFoundError as error:
                raise_if_container_missing(error)
                return False
            return True

        return self.call(delete, writing=True)

    def query(
        self, document_id: str, query: str, bounds: dict[str, object], limit: int
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` items of one partition (``document_id``: its key, whatever the
        container is partitioned by) that ``query`` finds, with its parameters."""
        deadline = self.deadline()
        partition = self._shape.partition_parameter
        parameters: list[dict[str, object]] = [{"name": partition, "value": document_id}]
        parameters += [{"name": name, "value": value} for name, value in bounds.items()]

        def run(container: ContainerProxy) -> list[dict[str, Any]]:
            found = container.query_items(
                query,
                parameters=parameters,
                partition_key=document_id,
                max_item_count=limit,
                timeout=left(deadline),
            )
            return list(itertools.islice(found, limit))

        return self.call(run, writing=False)

    def call(self, request: Callable[[ContainerProxy], _Result], *, writing: bool) -> _Result:
        """Run ``request`` on the container, creating it again (once) if it is gone; fail
        fast while an outage is fresh, and while another call probes whether it is over
        (see :meth:`shared.breaker.Breaker.trial`).

        The probe is a point read of an item that never exists (~1 RU) with a short
        timeout, sent before the call's own request: a Cosmos DB still stalled costs the
        probing caller :data:`PROBE_SECONDS`, not its whole budget, and its write is never
        sent, so it is surely not stored. So is a write whose thread could not make its
        client (see the class): nothing was sent.
        """
        with self._breaker.trial() as probing:
            with _failures_reported(writing=False, outage=self._breaker.opened):
                container = self._container()
                if probing:
                    self._probe(container)
            with _failures_reported(writing=writing, outage=self._breaker.opened):
                try:
                    result = request(container)
                except CosmosResourceNotFoundError as error:
                    if error.sub_status != OWNER_MISSING:
                        raise
                    self._recreate()
                    result = request(self._container())
        self._breaker.closed()
        return result

    @staticmethod
    def _probe(container: ContainerProxy) -> None:
        """Raise (an outage) unless Cosmos DB answers a point read within the probe's time."""
        # A 404 is an answer; a missing container is for the call's own request to find.
        with contextlib.suppress(CosmosResourceNotFoundError):
            container.read_item(PROBE_ITEM_ID, partition_key=PROBE_ITEM_ID, timeout=PROBE_SECONDS)

    # The container ---------------------------------------------------------------------

    def _container(self) -> ContainerProxy:
        """This thread's proxy of the container (see the class), made once the container is
        known to exist."""
        local = self._local
        with self._container_lock:
            if self._checked != self._generation:
                self._ensure_container(self._client())
                self._checked = self._generation
            generation = self._generation
        if getattr(local, "generation", None) != generation:
            local.proxy = self._proxy(self._client())
            local.generation = generation
        proxy: ContainerProxy = local.proxy
        return proxy

    def _client(self) -> CosmosClient:
        """This thread's client: made on its first request (the SDK reads the account then)."""
        client: CosmosClient | None = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._connect()
        return client

    def _proxy(self, client: CosmosClient) -> ContainerProxy:
        return client.get_database_client(self._database_name).get_container_client(
            self._container_name
        )

    def _recreate(self) -> None:
        """The database or container is gone: make it again, and tell who knew its items."""
        _log.warning(
            "Cosmos DB container %s/%s is missing; creating it again",
            self._database_name,
            self._container_name,
        )
        with self._container_lock:
            self._ensure_container(self._client())
            self._generation += 1
            self._checked = self._generation
        for forget in self._on_recreate:
            forget()

    def _ensure_container(self, client: CosmosClient) -> None:
        """Create the database and container unless they exist (key auth only: Microsoft
        Entra identities get no control-plane rights on the data plane)."""
        if not self._can_create:
            return
        # Another process may create either between the SDK's check and its create: the
        # 409 then says it exists, so it is used as it is (the same code made it).
        try:
            database = client.create_database_if_not_exists(
                self._database_name, timeout=self.budget
            )
        except CosmosResourceExistsError:
            database = client.get_database_client(self._database_name)
        shape = self._shape
        with contextlib.suppress(CosmosResourceExistsError):
            container = database.create_container_if_not_exists(
                id=self._container_name,
                partition_key=PartitionKey(path=shape.partition_key_path),
                indexing_policy=shape.indexing_policy,
                default_ttl=shape.default_ttl,
                timeout=self.budget,
            )
            policy = container.read(timeout=self.budget).get("indexingPolicy", {})
            if lacks_indexes(policy, shape.indexing_policy):
                # Made by an earlier docchat: without the paths and composite indexes its
                # queries now need, Cosmos DB refuses them (400). Cosmos DB rebuilds the
                # index online; queries meanwhile see what is indexed so far.
                database.replace_container(
                    container,
                    partition_key=PartitionKey(path=shape.partition_key_path),
                    indexing_policy=shape.indexing_policy,
                    default_ttl=shape.default_ttl,
                    timeout=self.budget,
                )


def lacks_indexes(policy: dict[str, Any], wanted: dict[str, Any] = INDEXING_POLICY) -> bool:
    """Whether a container's indexing ``policy`` misses a path or a composite index that
    ``wanted`` has (Cosmos DB answers a policy with more fields than it was given, so only
    what docchat's queries need is compared)."""
    included = {path["path"] for path in policy.get("includedPaths", [])}
    composite = {_composite_key(index) for index in policy.get("compositeIndexes", [])}
    return not (
        {path["path"] for path in wanted["includedPaths"]} <= included
        and {_composite_key(index) for index in wanted.get("compositeIndexes", [])} <= composite
    )


def _composite_key(index: list[dict[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((part["path"], part.get("order", "ascending")) for part in index)


def _read_by_body(
    container: ContainerProxy, document_id: str, item_id: str, deadline: float
) -> dict[str, Any] | None:
    """Read an item whose id is a path step, naming it in a batch's body instead of the
    URL: azure-cosmos puts ids in ``docs/{id}`` unescaped, and urllib3 resolves ``.`` and
    ``..`` there (``docs/.`` reads the whole feed, ``docs/..`` the container). Ids like these
    are refused today; items stored before must still be found."""
    try:
        results = container.execute_item_batch(
            [("read", (item_id,))], partition_key=document_id, timeout=left(deadline)
        )
    except CosmosBatchOperationError as error:
        if int(error.operation_responses[0].get("statusCode", 0)) == 404:
            return None
        raise
    item: dict[str, Any] = results[0]["resourceBody"]
    return item


def _outage() -> StoreUnavailable:
    return StoreUnavailable("the message store is unavailable; try again shortly")


def _credential(settings: CosmosSettings) -> str | TokenCredential:
    if settings.key:
        return settings.key
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def raise_if_container_missing(error: CosmosResourceNotFoundError) -> None:
    """A 404 about an item is an answer; one about the container is for :meth:`call`."""
    if error.sub_status == OWNER_MISSING:
        raise error


def left(deadline: float) -> float:
    """Seconds until ``deadline``: each request's absolute timeout, retries included."""
    return max(0.05, deadline - time.monotonic())


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
    if status == 403 and error.sub_status == PARTITION_FULL:
        _log.warning("Cosmos DB: a document's logical partition is full (20 GB)")
        return HistoryFull()
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
