"""Serve a :class:`~devstack.webpubsub.emulator.WebPubSubEmulator` over HTTP and WebSockets,
on the aiohttp stack and middleware the SignalR emulator uses
(:mod:`devstack.emulator_core.serving`)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from aiohttp import web

from devstack.emulator_core import serving
from devstack.emulator_core.running import endpoint_url
from devstack.webpubsub.client_endpoint import client_routes
from devstack.webpubsub.emulator import EMULATOR, WebPubSubEmulator
from devstack.webpubsub.rest_api import rest_routes

__all__ = ["build_app", "serve"]


def build_app(emulator: WebPubSubEmulator) -> web.Application:
    return serving.build_app(
        EMULATOR, emulator, client_routes() + rest_routes(), emulator.settings.latency_ms
    )


@contextlib.asynccontextmanager
async def serve(
    emulator: WebPubSubEmulator, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[int]:
    """Listen on ``host:port`` (0 picks a free port) and yield the bound port; on exit every
    client is told the service restarts, and pending events get the close grace."""

    def set_origin(bound: int) -> None:
        # Event handlers check where events come from by the host clients use.
        emulator.upstream.origin = urlsplit(endpoint_url(host, bound)).hostname or host

    async with serving.serve_app(build_app(emulator), emulator, host, port, set_origin) as bound:
        yield bound
