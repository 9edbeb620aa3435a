"""Serve an :class:`~devstack.signalr.emulator.Emulator` over HTTP and WebSockets, on the
aiohttp stack of :mod:`devstack.emulator_core.serving`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from devstack.emulator_core import serving
from devstack.emulator_core.middleware import ALLOWED_ORIGINS
from devstack.signalr.client_endpoint import client_routes
from devstack.signalr.emulator import EMULATOR, Emulator
from devstack.signalr.rest_api import rest_routes

__all__ = ["build_app", "serve"]


def build_app(emulator: Emulator) -> web.Application:
    """The aiohttp application for ``emulator``: client endpoints and the REST API."""
    app = serving.build_app(
        EMULATOR, emulator, client_routes() + rest_routes(), emulator.settings.latency_ms
    )
    app[ALLOWED_ORIGINS] = emulator.settings.allowed_origins
    return app


@contextlib.asynccontextmanager
async def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[int]:
    """Listen on ``host:port`` (0 picks a free port) and yield the bound port.

    On exit every client gets a close message that allows reconnecting, and has the close
    grace to read it before its socket is cut.
    """
    async with serving.serve_app(build_app(emulator), emulator, host, port) as bound:
        yield bound
