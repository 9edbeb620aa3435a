"""What the benchmarks that drive the whole local stack share: starting it, the memory of
its processes, the Node processes that hold the JS clients, and posting messages.

The stack is :class:`devstack.stack.LocalStack`: the local Cosmos server, the SignalR
emulator and the dev host as child processes on free loopback ports, logging to
``bench/results/logs/<benchmark>/``. What the scale-out benchmarks add: the ``--instances`` and
``--latency-ms`` options, reading a document's whole history back, the CPU time of the app's
host processes, and the REST calls the emulator served (counted from its log, one line each).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from chat.domain.messages import Cursor
from devstack.stack import REALTIME_SETTING, LocalStack
from shared.connection_string import parse_connection_string

RESULTS = Path(__file__).resolve().parent / "results"
#: How often an outage benchmark asks whether the real-time emulator answers again.
HEALTH_POLL_SECONDS = 0.005
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
#: One emulator log line per HTTP call: ``... GET /api/hubs/documents/... 202 0.4 ms``.
_REST_CALL = re.compile(r" (GET|HEAD|POST|PUT|PATCH|DELETE) (/api/\S+) (\d{3}) ")
_HEALTH_PATH = "/api/health"
#: The real-time backends, as the app setting DOCCHAT_REALTIME names them.
BACKENDS = ("signalr", "webpubsub")
#: How often a history page answered 503 is asked for, and the pause between.
_READ_TRIES = 20
_READ_PAUSE = 0.5
#: The catch-up cursor of position 0: before a document's first message.
FIRST_CURSOR = Cursor(0).encode()
#: The page-like clients (both backends) the scale-out benchmarks drive.
PAGE_CLIENTS = Path(__file__).with_name("page_clients.mjs")
#: The emulator log is complete once no line has come for this long.
_LOG_QUIET_SECONDS = 1.0


def add_stack_options(
    parser: argparse.ArgumentParser, instances: int = 2, backend: bool = False
) -> None:
    """``--instances`` (app host processes behind the front door) and ``--latency-ms``
    (added to each answer of Cosmos DB and the real-time REST API); with ``backend``,
    ``--backend`` too (signalr or webpubsub)."""
    parser.add_argument("--instances", type=int, default=instances, help="app host processes")
    parser.add_argument(
        "--latency-ms", type=int, default=0, help="added to each Cosmos DB and service REST answer"
    )
    if backend:
        parser.add_argument("--backend", choices=BACKENDS, default=BACKENDS[0])


@contextmanager
def running_stack(
    benchmark: str, *, instances: int = 1, latency_ms: int = 0, backend: str = "signalr"
) -> Iterator[LocalStack]:
    """The whole local stack, fresh and empty, stopped on leaving: the app on ``instances``
    dev hosts (behind the front door when more than one), with ``latency_ms`` added to each
    answer of Cosmos DB and the real-time REST API, as a round trip to Azure would; the
    real-time ``backend`` is ``signalr`` or ``webpubsub`` (the app setting and the emulator)."""
    logs = RESULTS / "logs" / benchmark
    with LocalStack(
        log_dir=logs,
        instances=instances,
        latency_ms=latency_ms,
        settings_overrides={REALTIME_SETTING: backend},
    ) as stack:
        yield stack


def host_cpu_seconds(stack: LocalStack) -> float:
    """The CPU time (user + system) the app's host processes have used so far, whole process
    groups; the front door is not counted (Azure's front end is not the app's)."""
    hosts = (child for child in stack.children if child.name.startswith("host") and child.pid)
    return sum(_group_cpu_seconds(child.pid) for child in hosts if child.pid)


def stack_cpu_seconds(stack: LocalStack) -> dict[str, float]:
    """The CPU time (user + system) each child of the stack has used so far, by name, whole
    process groups (the Cosmos child's Node server, Azurite's Node process)."""
    return {child.name: _group_cpu_seconds(child.pid) for child in stack.children if child.pid}


def process_cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) one process has used so far, all its threads."""
    return _cpu_ticks(_stat_fields(Path("/proc") / str(pid))) / _CLOCK_TICKS


async def batch_counts(session: aiohttp.ClientSession, stack: LocalStack) -> dict[str, Any]:
    """The local Cosmos server's transactional batch counts so far: committed, their
    operations, failed by status (devstack/cosmos/patches.js)."""
    url = f"{stack.cosmos_endpoint}/_devstack/batches"
    async with session.get(url, ssl=False) as answer:
        answer.raise_for_status()
        return dict(await answer.json())


def _group_cpu_seconds(group: int) -> float:
    ticks = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields(entry)
        except (OSError, IndexError):
            continue  # it ended while we looked
        if int(fields[2]) == group:
            ticks += _cpu_ticks(fields)
    return ticks / _CLOCK_TICKS


def _stat_fields(process: Path) -> list[str]:
    """The fields of ``/proc/<pid>/stat`` after the command: state, ppid, pgrp, ..."""
    return (process / "stat").read_text().rsplit(")", 1)[1].split()


def _cpu_ticks(fields: list[str]) -> int:
    """utime + stime: the 12th and 13th of :func:`_stat_fields`."""
    return int(fields[11]) + int(fields[12])


class RestCalls:
    """The service REST calls the real-time emulator has served, read from its log (the
    emulators log one line per HTTP call); the health checks are left out."""

    def __init__(self, stack: LocalStack) -> None:
        name = "webpubsub" if stack.uses_webpubsub else "signalr"
        self._log = stack.child(name).log_path
        self._read = 0
        self.by_kind: dict[str, int] = {}

    async def settle(self) -> dict[str, int]:
        """Wait until the log has been quiet for a moment; the calls logged since the last
        settle, by kind (method, path with its names as ``*``, status)."""
        calls: dict[str, int] = {}
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < _LOG_QUIET_SECONDS:
            await asyncio.sleep(0.1)
            with self._log.open("rb") as log:
                log.seek(self._read)
                data = log.read()
            complete = data[: data.rfind(b"\n") + 1]
            if not complete:
                continue
            self._read += len(complete)
            quiet_since = time.monotonic()
            for found in _REST_CALL.finditer(complete.decode("utf-8", errors="replace")):
                if found[2] != _HEALTH_PATH:
                    kind = f"{found[1]} {_kind_of(found[2])} {found[3]}"
                    calls[kind] = calls.get(kind, 0) + 1
        for kind, count in calls.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + count
        return calls


def _kind_of(path: str) -> str:
    """``/api/hubs/documents/groups/doc-1/connections/abc`` as
    ``/api/hubs/*/groups/*/connections/*``: the operation without its names."""
    parts = path.split("/")
    named = {"hubs", "groups", "connections", "users", "permissions"}
    return "/".join(
        "*" if index > 0 and parts[index - 1] in named else part for index, part in enumerate(parts)
    )


def total(calls: dict[str, int]) -> int:
    return sum(calls.values())


def percentiles_ms(seconds: list[float]) -> dict[str, float | None]:
    """p50, p95 and p99 of ``seconds``, in ms (None without two samples)."""
    if len(seconds) < 2:
        only = seconds[0] * 1e3 if seconds else None
        return {"p50": only, "p95": only, "p99": only}
    cuts = statistics.quantiles(seconds, n=100)
    return {"p50": cuts[49] * 1e3, "p95": cuts[94] * 1e3, "p99": cuts[98] * 1e3}


async def read_history(
    session: aiohttp.ClientSession, stack: LocalStack, document: str, reader: str
) -> list[dict[str, Any]]:
    """Every message of ``document``, oldest first, read back as the user ``reader`` through
    the catch-up route (``?after=`` from position 0, page by page); a page answered 503 (the
    store busy, or its breaker open, under load) is asked again, ``_READ_TRIES`` times."""
    url = f"{stack.base_url}/api/documents/{quote(document, safe='')}/messages"
    headers = {"x-ms-client-principal-id": reader, "x-ms-client-principal-name": reader}
    after: str | None = FIRST_CURSOR
    messages: list[dict[str, Any]] = []
    while after:
        page = await _history_page(session, url, {"after": after, "limit": "100"}, headers)
        messages.extend(page["items"])
        after = page.get("continuationToken")
    return messages


async def _history_page(
    session: aiohttp.ClientSession, url: str, params: dict[str, str], headers: dict[str, str]
) -> dict[str, Any]:
    status = 0
    for _ in range(_READ_TRIES):
        async with session.get(url, params=params, headers=headers) as response:
            status = response.status
            if status == 200:
                page: dict[str, Any] = await response.json()
                return page
        if status != 503:
            break
        await asyncio.sleep(_READ_PAUSE)
    raise RuntimeError(f"reading {url} answered {status}")


def stack_rss_mb(stack: LocalStack) -> dict[str, float]:
    """Resident memory (MB) of each child, counting its whole process group: the Cosmos
    child runs the server in a Node process of its own."""
    return {child.name: _group_rss(child.pid) / 2**20 for child in stack.children if child.pid}


def _group_rss(group: int) -> int:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            pages = int((entry / "statm").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue  # it ended while we looked
        # Fields after the command (which may hold spaces): state, ppid, pgrp, ...
        if int(stat.rsplit(")", 1)[1].split()[2]) == group:
            total += pages * _PAGE_SIZE
    return total


def service_url(stack: LocalStack, document: str) -> str:
    """The service route that posts to ``document`` as a named sender."""
    return f"{stack.base_url}/api/service/documents/{quote(document, safe='')}/messages"


async def post_message(
    session: aiohttp.ClientSession, stack: LocalStack, document: str, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """POST one message through the service route; the status and the JSON answer."""
    async with session.post(
        service_url(stack, document),
        json=body,
        headers={"x-functions-key": stack.function_key},
    ) as response:
        return response.status, await response.json(content_type=None)


class NodeProcess:
    """A Node script speaking JSON lines: commands on stdin, events on stdout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    @property
    def pid(self) -> int:
        return self._process.pid

    @classmethod
    @asynccontextmanager
    async def start(
        cls, script: Path, variable: str, config: dict[str, Any]
    ) -> AsyncIterator[NodeProcess]:
        """Run ``script`` with ``config`` as JSON in the environment ``variable``; killed
        on leaving."""
        process = await asyncio.create_subprocess_exec(
            "node",
            "--disable-warning=MODULE_TYPELESS_PACKAGE_JSON",
            str(script),
            env={**os.environ, variable: json.dumps(config)},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2**26,  # the final report of a soak is one long line
        )
        try:
            yield cls(process)
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()

    async def send(self, command: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(command).encode() + b"\n")
        await self._process.stdin.drain()

    async def next_event(self, within: float) -> dict[str, Any]:
        """The next event within ``within`` seconds; ``{"event": "exited"}`` once the
        script has ended."""
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), within)
        return json.loads(line) if line else {"event": "exited"}

    async def expect(self, wanted: str, within: float) -> dict[str, Any]:
        """The next event, which must be ``wanted``."""
        event = await self.next_event(within)
        if event["event"] != wanted:
            raise RuntimeError(f"expected {wanted!r} from Node, got {event}")
        return event


async def all_ready(processes: list[NodeProcess], within: float) -> list[dict[str, Any]]:
    """Each page-clients process's ``ready`` event (every client connected and synced),
    within ``within`` seconds in all; else an error saying how far each got."""
    deadline = time.monotonic() + within
    events = []
    for index, node in enumerate(processes):
        try:
            events.append(await node.expect("ready", max(0.0, deadline - time.monotonic())))
        except TimeoutError:
            stats = []
            for waiting in processes[index:]:
                await waiting.send({"command": "stats"})
                stats.append(await waiting.expect("stats", 10.0))
            raise RuntimeError(
                f"the clients did not all connect and sync within {within:g} s; those still "
                f"connecting: {stats}"
            ) from None
    return events


async def realtime_answers_again(session: aiohttp.ClientSession, stack: LocalStack) -> float:
    """The wall-clock time the stack's real-time emulator (SignalR or Web PubSub) first
    answers its health check: when an outage benchmark's clock for catching up starts."""
    connection = (
        stack.webpubsub_connection_string
        if stack.uses_webpubsub
        else stack.signalr_connection_string
    )
    health = f"{parse_connection_string(connection).service_url}/api/health"
    probe = aiohttp.ClientTimeout(total=0.5)
    while True:
        try:
            async with session.head(health, timeout=probe) as response:
                if response.ok:
                    return time.time()
        except (aiohttp.ClientError, TimeoutError):
            pass
        await asyncio.sleep(HEALTH_POLL_SECONDS)
