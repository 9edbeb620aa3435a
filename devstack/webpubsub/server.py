"""Serve a :class:`~devstack.webpubsub.emulator.WebPubSubEmulator` over HTTP and WebSockets,
with the aiohttp stack and middleware the SignalR emulator uses."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from aiohttp import web

from devstack.emulator_core.middleware import MAX_REQUEST_BODY_BYTES, MIDDLEWARES
from devstack.emulator_core.running import endpoint_url
from devstack.webpubsub.client_endpoint import client_routes
from devstack.webpubsub.emulator import EMULATOR, WebPubSubEmulator
from devstack.webpubsub.rest_api import rest_routes

__all__ = ["build_app", "serve"]

_MAX_HEADER_BYTES = 16 * 1024


def build_app(emulator: WebPubSubEmulator) -> web.Application:
    app = web.Application(client_max_size=MAX_REQUEST_BODY_BYTES, middlewares=MIDDLEWARES)
    app[EMULATOR] = emulator
    app.add_routes(client_routes() + rest_routes())
    return app


@contextlib.asynccontextmanager
async def serve(
    emulator: WebPubSubEmulator, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[int]:
    """Listen on ``host:port`` (0 picks a free port) and yield the bound port; on exit every
    client is told the service restarts, and pending events get the close grace."""
    runner = web.AppRunner(
        build_app(emulator),
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
        bound = runner.addresses[0][1]
        # Event handlers check where events come from by the host clients use.
        emulator.upstream.origin = urlsplit(endpoint_url(host, bound)).hostname or host
        keep_alive = asyncio.create_task(emulator.keep_alive_forever())
        yield bound
    finally:
        if keep_alive is not None:
            keep_alive.cancel()
        emulator.close_everyone()
        await emulator.upstream.close(emulator.settings.close_grace)
        await runner.cleanup()
