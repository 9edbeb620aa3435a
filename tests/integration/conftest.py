"""Fixtures for the chat integration tests: function_app served by the dev host as a worker
would load it, against the local Cosmos DB server and the SignalR emulator."""

from __future__ import annotations

import itertools
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest

from devstack.cosmos import EMULATOR_KEY
from tests.fixtures.functions_host import HostedApp, serve_function_app

_unique = itertools.count()

LoadApp = Callable[..., Awaitable[HostedApp]]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def load_app(cosmos_server: Any, signalr_emulator: Any) -> AsyncIterator[LoadApp]:
    """Serve function_app afresh under an environment, as a new worker process would load it.

    Defaults: dev identity, open access, REST mode, the emulator, a Cosmos container of its
    own per test; keyword arguments override any setting.
    """
    container = f"chat-{next(_unique)}"
    async with AsyncExitStack() as served:

        async def load(**settings: str) -> HostedApp:
            environment = {
                "DOCCHAT_AUTH": "dev",
                "DOCCHAT_ACCESS": "open",
                "DOCCHAT_SIGNALR_MODE": "rest",
                "COSMOS_ENDPOINT": cosmos_server.endpoint,
                "COSMOS_KEY": EMULATOR_KEY,
                "COSMOS_CONTAINER": container,
                "AzureSignalRConnectionString": signalr_emulator.connection_string,
                **settings,
            }
            return await served.enter_async_context(serve_function_app(environment))

        yield load
