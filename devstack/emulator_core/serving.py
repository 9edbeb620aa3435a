"""Serve an emulator over HTTP and WebSockets: what both emulators' ``serve`` share.

Web stack: aiohttp. One library gives the HTTP server, the WebSocket server and the test
client; measured here with 100 Node clients it delivered 67-93k messages/s against 61-63k for
Starlette+uvicorn with permessage-deflate off (19-26k with it on), and its WebSocket writer
sends uncompressed frames without a lock or a thread hop, which is what per-connection writer
tasks need. permessage-deflate stays off unless the settings ask for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Protocol, TypeVar

from aiohttp import web

from devstack.emulator_core.latency import delay_rest_calls
from devstack.emulator_core.middleware import MAX_REQUEST_BODY_BYTES, MIDDLEWARES

__all__ = ["ServedEmulator", "build_app", "serve_app"]

#: The service accepts request lines and headers up to 16 KB (aiohttp's default is 8 KB).
_MAX_HEADER_BYTES = 16 * 1024

E = TypeVar("E")


class _Settings(Protocol):
    @property
    def close_grace(self) -> float: ...

    @property
    def latency_ms(self) -> int: ...


class _Upstream(Protocol):
    async def close(self, grace: float) -> None: ...


class ServedEmulator(Protocol):
    """What serving needs of an emulator."""

    @property
    def settings(self) -> _Settings: ...

    @property
    def upstream(self) -> _Upstream: ...

    async def keep_alive_forever(self) -> None: ...

    def close_everyone(self) -> None: ...


def build_app(
    key: web.AppKey[E], emulator: E, routes: list[web.RouteDef], latency_ms: int = 0
) -> web.Application:
    """The aiohttp application serving ``routes`` for ``emulator`` (stored under ``key``);
    REST calls wait ``latency_ms`` first (:mod:`devstack.emulator_core.latency`)."""
    middlewares = [delay_rest_calls(latency_ms), *MIDDLEWARES] if latency_ms else MIDDLEWARES
    app = web.Application(client_max_size=MAX_REQUEST_BODY_BYTES, middlewares=middlewares)
    app[key] = emulator
    app.add_routes(routes)
    return app


@contextlib.asynccontextmanager
async def serve_app(
    app: web.Application,
    emulator: ServedEmulator,
    host: str,
    port: int,
    on_bound: Callable[[int], None] | None = None,
) -> AsyncIterator[int]:
    """Listen on ``host:port`` (0 picks a free port) and yield the bound port, after telling
    ``on_bound`` of it; keep the emulator's connections alive meanwhile.

    On exit every client is closed by the emulator and has the close grace to read its close
    message before its socket is cut.
    """
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log=None,
        shutdown_timeout=emulator.settings.close_grace + 1,
        max_line_size=_MAX_HEADER_BYTES,
        max_field_size=_MAX_HEADER_BYTES,
    )
    await runner.setup()
    keep_alive: asyncio.Task[None] | None = None
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True)
        await site.start()
        bound: int = runner.addresses[0][1]
        if on_bound is not None:
            on_bound(bound)
        keep_alive = asyncio.create_task(emulator.keep_alive_forever())
        yield bound
    finally:
        if keep_alive is not None:
            keep_alive.cancel()
        emulator.close_everyone()
        # The disconnected events of everyone just closed get the close grace to go out.
        await emulator.upstream.close(emulator.settings.close_grace)
        await runner.cleanup()
