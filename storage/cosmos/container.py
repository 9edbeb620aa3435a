"""The one Cosmos DB container docchat keeps everything in, and how its failures read.

Messages, each document's head item and its members all live in the document's logical
partition (``/documentId``), so every request names one partition. :class:`CosmosContainer`
is shared by every adapter of :mod:`storage.cosmos`; it owns the one client, the container
(created again after it was deleted, with key auth), the breaker and the translation of
Cosmos DB's failures.

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
``/position``, ``/role`` and ``/connectionId`` are indexed, which the newest-first (by seq),
catch-up (by position), member-list and presence queries need. ``text`` is the bulk of a
message and no query reads it. A ~1 KB write should so cost close to the ~5 RU of an
unindexed write instead of the 5.7-8.6 RU of default indexing (all paths), and each page
query stays the single-partition ~7.7 RU kind. A container that already exists keeps the
policy it has.
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
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.exceptions import AzureError, ServiceRequestError
from azure.cosmos import ContainerProxy, CosmosClient, PartitionKey
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
from storage.cosmos.settings import CosmosSettings

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

__all__ = [
    "DEFAULT_TTL",
    "INDEXING_POLICY",
    "PATH_STEPS",
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
    ],
    "excludedPaths": [{"path": "/*"}],
}
#: Time to live on, with no default: only items that carry a ``ttl`` expire (presence).
DEFAULT_TTL = -1
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


def open_container(settings: CosmosSettings) -> CosmosContainer:
    """The container for the configured account. It connects on first use, and opens the
    container then (with key auth, creating it if missing), so an outage at that moment is
    a 503 like any other and the next request tries again."""
    return CosmosContainer(
        lambda: CosmosClient(settings.endpoint, _credential(settings), **CLIENT_OPTIONS),
        settings.database,
        settings.container,
        can_create=settings.key is not None,
    )


class CosmosContainer:
    """Runs requests on the container within a time budget, reporting failures as docchat's."""

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
        self.budget = budget
        self._breaker = Breaker(_outage)
        self._container_lock = threading.Lock()
        self._container_proxy: ContainerProxy | None = None
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

    def query(
        self, document_id: str, query: str, bounds: dict[str, object], limit: int
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` items of one document that ``query`` finds, with its parameters."""
        deadline = self.deadline()
        parameters: list[dict[str, object]] = [{"name": "@documentId", "value": document_id}]
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
        sent, so it is surely not stored.
        """
        with self._breaker.trial() as probing:
            if probing:
                with _failures_reported(writing=False, outage=self._breaker.opened):
                    self._probe()
            with _failures_reported(writing=writing, outage=self._breaker.opened):
                try:
                    result = request(self._container())
                except CosmosResourceNotFoundError as error:
                    if error.sub_status != OWNER_MISSING:
                        raise
                    self._recreate()
                    result = request(self._container())
        self._breaker.closed()
        return result

    def _probe(self) -> None:
        """Raise (an outage) unless Cosmos DB answers a point read within the probe's time."""
        # A 404 is an answer; a missing container is for the call's own request to find.
        with contextlib.suppress(CosmosResourceNotFoundError):
            self._container().read_item(
                PROBE_ITEM_ID, partition_key=PROBE_ITEM_ID, timeout=PROBE_SECONDS
            )

    # The container ---------------------------------------------------------------------

    def _container(self) -> ContainerProxy:
        with self._container_lock:
            if self._container_proxy is None:
                self._container_proxy = self._ensure_container()
            return self._container_proxy

    def _recreate(self) -> None:
        """The database or container is gone: make it again, and tell who knew its items."""
        _log.warning(
            "Cosmos DB container %s/%s is missing; creating it again",
            self._database_name,
            self._container_name,
        )
        with self._container_lock:
            self._container_proxy = self._ensure_container()
        for forget in self._on_recreate:
            forget()

    def _ensure_container(self) -> ContainerProxy:
        if self._client is None:
            self._client = self._connect()
        client = self._client
        if not self._can_create:
            # Microsoft Entra identities get no control-plane rights on the data plane.
            return client.get_database_client(self._database_name).get_container_client(
                self._container_name
            )
        # Another process may create either between the SDK's check and its create: the
        # 409 then says it exists, so it is used as it is (the same code made it).
        try:
            database = client.create_database_if_not_exists(self._database_name)
        except CosmosResourceExistsError:
            database = client.get_database_client(self._database_name)
        try:
            return database.create_container_if_not_exists(
                id=self._container_name,
                partition_key=PartitionKey(path=PARTITION_KEY_PATH),
                indexing_policy=INDEXING_POLICY,
                default_ttl=DEFAULT_TTL,
            )
        except CosmosResourceExistsError:
            return database.get_container_client(self._container_name)


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
