"""Fixtures for the chat integration tests: function_app loaded as a worker would load it,
against the local Cosmos DB server and the SignalR emulator."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Callable
from typing import Any

import pytest

from tests.fixtures.chat import FunctionsHost, import_fresh_function_app

#: The well-known key of Microsoft's Cosmos DB emulator: public, and what local settings use.
EMULATOR_KEY = (
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
)
_unique = itertools.count()

LoadApp = Callable[..., FunctionsHost]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def load_app(monkeypatch: pytest.MonkeyPatch, cosmos_server: Any, signalr_emulator: Any) -> LoadApp:
    """Import function_app afresh under an environment, as a new worker process would.

    Defaults: dev identity, REST mode, the emulator, a Cosmos container of its own per
    test; keyword arguments override any setting.
    """
    container = f"chat-{next(_unique)}"

    def load(**settings: str) -> FunctionsHost:
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
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return FunctionsHost(import_fresh_function_app(), signalr_emulator.connection_string)

    return load
