"""Drive one official ``@microsoft/signalr`` client (``hub_client.mjs``) from an async test.

The client runs in its own Node process; it reports events as JSON lines and takes commands
the same way. Every wait has a timeout, and a failure carries the client's stderr so the
reason shows in the test report.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("hub_client.mjs")
#: Generous for a loaded 2-core machine; a healthy event arrives in milliseconds.
EVENT_TIMEOUT = 15.0


class NodeHubClient:
    """One connected JS client and everything it has reported."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self.events: list[dict[str, Any]] = []
        self.connection_id = ""

    @classmethod
    @asynccontextmanager
    async def connect(
        cls,
        url: str,
        *,
        access_token: str | None = None,
        targets: Sequence[str] = ("message",),
        protocol: str = "json",
        automatic_reconnect: bool = False,
        stateful_reconnect: bool = False,
    ) -> AsyncIterator[NodeHubClient]:
        """Start a client for the hub at ``url`` and wait until it is connected.

        ``url`` is a negotiate endpoint, or with ``access_token`` the service's client URL
        (what a negotiate response names): the client then negotiates with the service.
        """
        config = {
            "url": url,
            "accessToken": access_token,
            "targets": list(targets),
            "protocol": protocol,
            "automaticReconnect": automatic_reconnect,
            "statefulReconnect": stateful_reconnect,
        }
        process = await asyncio.create_subprocess_exec(
            "node",
            str(SCRIPT),
            env={**os.environ, "SIGNALR_CLIENT": json.dumps(config)},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        client = cls(process)
        try:
            client.connection_id = (await client.next_event("connected"))["connectionId"]
            yield client
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()

    async def next_event(self, kind: str | None = None) -> dict[str, Any]:
        """The next event; with ``kind``, fail unless it is of that kind."""
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), EVENT_TIMEOUT)
        except TimeoutError:
            raise AssertionError(
                f"no event from the JS client; stderr: {await self._stderr()}"
            ) from None
        if not line:
            raise AssertionError(f"the JS client exited; stderr: {await self._stderr()}")
        event: dict[str, Any] = json.loads(line)
        self.events.append(event)
        if kind is not None and event["event"] != kind:
            raise AssertionError(f"expected a {kind!r} event, got {event}")
        return event

    async def next_message(self) -> tuple[str, list[Any]]:
        """The next hub message's target and arguments."""
        event = await self.next_event("message")
        return event["target"], event["arguments"]

    async def invoke(self, target: str, *arguments: Any) -> str | None:
        """Invoke a hub method; the error it completed with (None on success)."""
        await self._command({"command": "invoke", "target": target, "arguments": list(arguments)})
        error: str | None = (await self.next_event("invoked"))["error"]
        return error

    async def stop(self) -> None:
        """Stop the connection the way an app does, and wait for the process to end."""
        await self._command({"command": "stop"})
        await self.next_event("closed")
        await self.next_event("stopped")
        await asyncio.wait_for(self._process.wait(), EVENT_TIMEOUT)

    async def _command(self, command: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(command).encode() + b"\n")
        await self._process.stdin.drain()

    async def _stderr(self) -> str:
        assert self._process.stderr is not None
        if self._process.returncode is None:
            self._process.kill()
        return (await self._process.stderr.read()).decode(errors="replace")[-2000:]
