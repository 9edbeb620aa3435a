"""Serve a sample app in-process on a free loopback port, as the dev host would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from devstack.host.loading import load_function_app
from devstack.host.server import HostOptions, create_host_app, host_runner

APPS = Path(__file__).parent


def app_path(name: str) -> Path:
    """The sample app ``name`` (a module in this folder)."""
    return APPS / f"{name}.py"


@asynccontextmanager
async def serving(name: str, **options: Any) -> AsyncIterator[str]:
    """Run the dev host for sample app ``name``; yield its base URL."""
    app = create_host_app(load_function_app(app_path(name)), HostOptions(**options))
    runner = host_runner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
