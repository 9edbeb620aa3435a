"""The local stack as this benchmark runs it, and what it counts there.

:class:`NotificationStack` is :class:`devstack.stack.LocalStack` with or without the work
queues: without them (``queue=False``) Azurite is not started and the app has no
``DOCCHAT_QUEUE``, so it writes no outbox item and puts no queue message; with them,
Azurite keeps its access log (one line per request) rather than running silent, which is
what :class:`QueueCalls` counts. :func:`settled` waits until both work queues are empty:
every outbox processed, every webhook try made. :func:`put_and_reveal` times the two queue
calls a send makes, alone.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueServiceClient

from devstack.stack import ChildProcess, LocalStack
from shared.once import Once
from shared.pooled_http import pooled_transport
from storage.queues import (
    CONNECT_TIMEOUT_SECONDS,
    OUTBOX_QUEUE,
    QUEUE_SETTING,
    READ_TIMEOUT_SECONDS,
    WEBHOOKS_QUEUE,
    StorageQueue,
)

__all__ = ["NotificationStack", "QueueCalls", "put_and_reveal", "settled"]

#: One Azurite access log line (its account, queue, and whether it is about messages, or one):
#: ``"POST /devstoreaccount1/docchat-outbox/messages?visibilitytimeout=10 HTTP/1.1" 201``.
_REQUEST = re.compile(
    r'"(GET|HEAD|POST|PUT|DELETE) /[^/\s]+/([^/?\s]+)(/messages)?(/[^?\s]+)?\S* '
    r'HTTP/[\d.]+" (\d{3})'
)
#: Each queue operation as its method and path name it (Azure Storage Queue REST API).
_OPERATIONS = {
    ("POST", True, False): "put",
    ("PUT", True, True): "update",
    ("DELETE", True, True): "delete",
    ("GET", True, False): "get",
    ("PUT", False, False): "create queue",
    # Whether a queue exists, and its message count: the dev host's listeners before their
    # queue exists, and this benchmark's own waits (settled).
    ("GET", False, False): "properties",
}
_SETTLE_POLL_SECONDS = 0.1
#: A queue of its own for :func:`put_and_reveal`: nothing consumes it.
_BARE_QUEUE = "bench-put-and-reveal"
#: Azurite writes a request's line once it has answered; the stack copies it at once.
_LOG_CATCH_UP_SECONDS = 0.3


class NotificationStack(LocalStack):
    """The whole local stack, with the work queues (Azurite, logging each request) or
    without them (no Azurite, no ``DOCCHAT_QUEUE``: no outbox)."""

    def __init__(self, *, queue: bool, **options: Any) -> None:
        super().__init__(**options)
        self.queue = queue

    def start_azurite(self) -> None:
        if self.queue:
            super().start_azurite()

    def _child(
        self,
        name: str,
        command: list[str],
        *,
        ready_line: re.Pattern[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ChildProcess:
        if name == "azurite":
            # Its access log, one line per request, is how the queue calls are counted.
            command = [part for part in command if part != "--silent"]
        return super()._child(name, command, ready_line=ready_line, env=env)


class QueueCalls:
    """The queue requests Azurite has served since the last :meth:`read`, from its access
    log, by queue and operation (``docchat-outbox put``)."""

    def __init__(self, stack: LocalStack) -> None:
        self._log: Path = stack.child("azurite").log_path
        self._read = 0

    async def read(self) -> dict[str, int]:
        await asyncio.sleep(_LOG_CATCH_UP_SECONDS)
        with self._log.open("rb") as log:
            log.seek(self._read)
            data = log.read()
        complete = data[: data.rfind(b"\n") + 1]
        self._read += len(complete)
        calls: dict[str, int] = {}
        for found in _REQUEST.finditer(complete.decode("utf-8", errors="replace")):
            method, queue, messages, one, _status = found.groups()
            kind = _OPERATIONS.get((method, bool(messages), bool(one)), f"{method} other")
            key = f"{queue} {kind}"
            calls[key] = calls.get(key, 0) + 1
        return calls


async def settled(stack: LocalStack, within: float) -> float:
    """Wait until the outbox and webhooks queues hold no message, hidden or not, twice in a
    row; the seconds it took. An error if they do not empty within ``within`` seconds."""
    service = QueueServiceClient.from_connection_string(stack.settings[QUEUE_SETTING])
    queues = [service.get_queue_client(name) for name in (OUTBOX_QUEUE, WEBHOOKS_QUEUE)]
    started = time.monotonic()
    empty_in_a_row = 0
    while empty_in_a_row < 2:
        if time.monotonic() - started > within:
            raise RuntimeError(f"the work queues did not empty within {within:g} s")
        counts = await asyncio.to_thread(lambda: [_count(queue) for queue in queues])
        empty_in_a_row = empty_in_a_row + 1 if not any(counts) else 0
        await asyncio.sleep(_SETTLE_POLL_SECONDS)
    return time.monotonic() - started


def _count(queue: QueueClient) -> int:
    """The queue's approximate message count (hidden ones included); 0 if it does not exist."""
    try:
        return queue.get_queue_properties().approximate_message_count or 0
    except ResourceNotFoundError:
        return 0


def put_and_reveal(stack: LocalStack, count: int, warmup: int = 20) -> dict[str, float]:
    """What a send's two queue calls cost alone: ``count`` times, a put hidden for 10 s then
    its reveal, through docchat's adapter (:class:`storage.queues.StorageQueue`, the app's
    transport), on a queue nothing consumes; p50 wall and thread CPU ms (blocking: call it
    in a thread)."""
    client = QueueServiceClient.from_connection_string(
        stack.settings[QUEUE_SETTING],
        transport=pooled_transport(
            connection_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS
        ),
    ).get_queue_client(_BARE_QUEUE)
    queue = StorageQueue(Once(lambda: client))
    body = {"documentId": "bench", "outboxId": "bench"}
    walls: list[float] = []
    cpus: list[float] = []
    for number in range(warmup + count):
        wall, cpu = time.perf_counter(), time.thread_time()
        queue.reveal(queue.put(body, hidden_for=10))
        if number >= warmup:
            walls.append(time.perf_counter() - wall)
            cpus.append(time.thread_time() - cpu)
    return {
        "wall_ms_p50": statistics.median(walls) * 1e3,
        "cpu_ms_p50": statistics.median(cpus) * 1e3,
    }
