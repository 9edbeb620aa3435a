"""What the benchmarks that drive the whole local stack share: starting it, the memory of
its processes, the Node processes that hold the JS clients, and posting messages.

The stack is :class:`devstack.stack.LocalStack`: the local Cosmos server, the SignalR
emulator and the dev host as child processes on free loopback ports, logging to
``bench/results/logs/<benchmark>/``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from devstack.stack import LocalStack

RESULTS = Path(__file__).resolve().parent / "results"
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@contextmanager
def running_stack(
    benchmark: str, *, instances: int = 1, latency_ms: int = 0
) -> Iterator[LocalStack]:
    """The whole local stack, fresh and empty, stopped on leaving: the app on ``instances``
    dev hosts (behind the front door when more than one), with ``latency_ms`` added to each
    answer of Cosmos DB and the real-time REST API, as a round trip to Azure would."""
    logs = RESULTS / "logs" / benchmark
    with LocalStack(log_dir=logs, instances=instances, latency_ms=latency_ms) as stack:
        yield stack


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
