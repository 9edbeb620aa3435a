"""Two local webhook receivers on 127.0.0.1 (dev mode lets webhooks post to loopback).

- :class:`FastReceiver` answers every delivery 204 at once and notes, per message id of a
  ``message.created`` event, when it first arrived (this machine's wall clock, in ms) and
  how many tries came in all.
- :class:`HangingReceiver` accepts each connection, reads the request and never answers:
  each try waits out docchat's 10 s delivery timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

from aiohttp import web

__all__ = ["FastReceiver", "HangingReceiver"]

MESSAGE_CREATED = "message.created"


class FastReceiver:
    """Answers 204 at once; ``arrivals`` maps each created message's id to its first
    arrival (ms), ``deliveries`` counts every POST."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.deliveries = 0
        self.url = ""

    async def _receive(self, request: web.Request) -> web.Response:
        at = time.time() * 1e3
        self.deliveries += 1
        event = json.loads(await request.read())
        if event.get("type") == MESSAGE_CREATED:
            self.arrivals.setdefault(event["data"]["id"], at)
        return web.Response(status=204)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[FastReceiver]:
        app = web.Application()
        app.router.add_post("/hook", self._receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"
        try:
            yield self
        finally:
            await runner.cleanup()


class HangingReceiver:
    """Takes each connection and the request on it, and never answers; ``connections``
    counts the tries that reached it."""

    def __init__(self) -> None:
        self.connections = 0
        self.url = ""
        self._held: set[asyncio.StreamWriter] = set()

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._held.add(writer)
        with contextlib.suppress(ConnectionError):
            while await reader.read(65536):
                pass  # read what comes, answer nothing, until the caller gives up
        self._held.discard(writer)
        writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[HangingReceiver]:
        server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/hook"
        try:
            yield self
        finally:
            server.close()
            for writer in list(self._held):
                writer.close()
            await server.wait_closed()
