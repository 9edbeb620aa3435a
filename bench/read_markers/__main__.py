"""``python -m bench.read_markers``: what ``PUT .../read`` costs Cosmos DB while a document is live.

Every open page reports its reader's newest seen seq at most once a second
(clients/js/src/read-marker.js, REPORT_EVERY_MS), whether or not the reader says anything. This
runs docchat's own read markers (:class:`~chat.app.reading.ReadingService` over
:mod:`storage.cosmos.reading` and :mod:`storage.cosmos.store`) on the local Cosmos DB server:
``--listeners`` readers of one document, each reporting as the page does, while one sender posts
``--rate`` messages a second for ``--seconds``. Every HTTP request the Cosmos DB client sends is
counted by kind, so the result is Cosmos DB operations per report and per second, which is what
Azure bills (the local server charges no RU). Writes bench/results/read_markers.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from azure.core.pipeline.transport import RequestsTransport
from azure.cosmos import CosmosClient

from bench.live import RESULTS
from chat.app.access import AllowAll
from chat.app.reading import ReadingService
from chat.domain.errors import StoreUnavailable
from chat.domain.messages import Message
from chat.domain.users import User
from devstack.cosmos import EMULATOR_KEY, LOCAL_TLS_WARNING, start_cosmos_server
from storage.cosmos.container import CLIENT_OPTIONS, CosmosContainer
from storage.cosmos.reading import CosmosReadMarkers
from storage.cosmos.store import CosmosMessageStore

#: The page's pace: at most one report a second per open page.
REPORT_EVERY_SECONDS = 1.0
DOCUMENT = "read-markers-bench"


class CountingTransport(RequestsTransport):  # type: ignore[misc]  # untyped in azure-core
    """Counts each request the Cosmos DB client sends, by method and kind of resource."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.counts: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()
        self.counting = False

    def send(self, request: Any, **kwargs: Any) -> Any:
        if self.counting:
            with self._lock:
                self.counts[_kind(request)] += 1
        return super().send(request, **kwargs)


def _kind(request: Any) -> str:
    path = request.url.split("?")[0].rstrip("/")
    if "/docs" not in path:
        return f"{request.method} metadata"
    if request.headers.get("x-ms-cosmos-is-batch-request"):
        return "POST batch"
    if request.headers.get("x-ms-documentdb-isquery"):
        return "POST query"
    return f"{request.method} item"


def main() -> None:
    options = _parser().parse_args()
    warnings.filterwarnings("ignore", message=LOCAL_TLS_WARNING)
    transport = CountingTransport()
    with start_cosmos_server(port=0) as server:
        container = CosmosContainer(
            lambda: CosmosClient(
                server.endpoint, EMULATOR_KEY, transport=transport, **CLIENT_OPTIONS
            ),
            "bench",
            "read-markers",
            can_create=True,
        )
        store = CosmosMessageStore(container)
        reading = ReadingService(AllowAll(), store, CosmosReadMarkers(container))
        store.append(_message(0))  # creates the container and the head: not counted
        report = _run(options, store, reading, transport)
    report["arguments"] = vars(options)
    print(json.dumps(report, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "read_markers.json").write_text(json.dumps(report, indent=2) + "\n")


def _run(
    options: argparse.Namespace,
    store: CosmosMessageStore,
    reading: ReadingService,
    transport: CountingTransport,
) -> dict[str, Any]:
    readers = [User(f"reader-{n}", f"Reader {n}") for n in range(options.listeners)]
    reported = dict.fromkeys(range(options.listeners), 0)
    reports = 0
    transport.counting = True
    started = time.monotonic()
    sent = failed = 0
    with ThreadPoolExecutor(options.threads) as pool:
        while (elapsed := time.monotonic() - started) < options.seconds:
            # The sender's messages of this second, then every reader that saw a newer seq
            # than it reported reports it (all listeners are live: they see each at once).
            for _ in range(options.rate):
                sent += 1
                store.append(_message(sent))
            newest = store.latest_seq(DOCUMENT)
            due = [n for n in reported if reported[n] < newest]
            seqs = [newest] * len(due)
            answers = list(pool.map(_report, [reading] * len(due), [readers[n] for n in due], seqs))
            for n, ok in zip(due, answers, strict=True):
                reported[n] = newest if ok else reported[n]
                failed += not ok
            reports += len(due)
            time.sleep(max(0.0, REPORT_EVERY_SECONDS - (time.monotonic() - started - elapsed)))
    seconds = time.monotonic() - started
    transport.counting = False
    counts = dict(transport.counts)
    # Each append is one batch; everything else here is the read markers' (and the head
    # read mark_read makes).
    marker_requests = sum(counts.values()) - sent
    return {
        "seconds": round(seconds, 1),
        "messages": sent,
        "reports": reports,
        "reports_failed": failed,
        "reports_per_second": round(reports / seconds, 1),
        "cosmos_requests_by_kind": counts,
        "cosmos_requests_per_report": round(marker_requests / max(1, reports), 2),
        "cosmos_requests_per_second_for_reports": round(marker_requests / seconds, 1),
    }


def _report(reading: ReadingService, reader: User, seq: int) -> bool:
    """One report, as the page sends it; False when the store did not answer in time (the
    page tries again with its next report)."""
    try:
        reading.mark_read(reader, DOCUMENT, seq)
    except StoreUnavailable:
        return False
    return True


def _message(n: int) -> Message:
    return Message(
        id=f"m{n}",
        document_id=DOCUMENT,
        sender_id="sender",
        sender_name="Sender",
        text=f"message {n}",
        created_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.read_markers", description=__doc__)
    parser.add_argument("--listeners", type=int, default=50, help="open pages on the document")
    parser.add_argument("--rate", type=int, default=1, help="messages a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=4, help="reports in flight")
    return parser


if __name__ == "__main__":
    main()
