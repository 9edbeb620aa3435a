"""Fixtures for the chat integration tests: function_app served by the dev host as a worker
would load it, against the local Cosmos DB server and the SignalR emulator."""

from __future__ import annotations

import itertools
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path
from typing import Any

import pytest

from chat.domain.users import User
from devstack.cosmos import EMULATOR_KEY
from devstack.emulator_core.upstream_rules import parse_upstream_rule
from devstack.signalr import start_emulator
from devstack.stack import free_port
from devstack.webpubsub import start_emulator as start_webpubsub
from tests.fixtures.azurite import Azurite
from tests.fixtures.entra_issuer import LocalIssuer, ManagedIdentityEndpoint, serve_managed_identity
from tests.fixtures.functions_host import (
    FUNCTION_KEY,
    HostedApp,
    serve_function_app,
    serve_function_app_instances,
)
from tests.fixtures.hub_client import NodeHubClient
from tests.integration.chat_calls import NEW, body_of, membership, principal

_unique = itertools.count()
#: Web PubSub's events docchat handles, and the handler check the service makes first.
WEBPUBSUB_EVENTS = "connected,disconnected,typing,validate"

LoadApp = Callable[..., Awaitable[HostedApp]]

#: The local Microsoft Entra issuer the keyless tests' emulators trust, and the client id of
#: the app's user-assigned managed identity.
ISSUER = LocalIssuer()
IDENTITY_CLIENT_ID = "5f0c0a52-docchat-identity"


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


#: What the tests that must hold on a scaled-out app run on: one instance (in-process), and
#: two dev host processes behind the front door, as Azure runs the app on several instances.
INSTANCES = [pytest.param(1, id="1-instance"), pytest.param(2, id="2-instances")]


@pytest.fixture
async def load_app(
    cosmos_server: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[LoadApp]:
    """Serve function_app afresh under an environment, as a new worker process would load it,
    with a real-time emulator of its own (SignalR, or Web PubSub when the settings say
    ``DOCCHAT_REALTIME=webpubsub``) whose events call it, as the service calls the app's
    webhook.

    ``load(instances=1, queues=False, **settings)``: with ``instances`` above 1 the app runs
    in that many dev host processes behind the front door (round robin, no affinity), and
    the emulator's events go through the front door too; the :class:`HostedApp` is the same.
    With ``queues`` the app gets work queues: ``DOCCHAT_QUEUE`` names a storage account of
    the test's own in the session's Azurite (tests/fixtures/azurite.py), so its
    ``docchat-outbox`` and ``docchat-webhooks`` hold only this test's messages, and its
    queue-triggered functions run from them; ``hosted.environment["DOCCHAT_QUEUE"]`` is the
    connection string, for a test that looks into the queues.

    Defaults: dev identity, open access, REST mode, a Cosmos container of its own per test;
    keyword arguments override any setting.
    """
    container = f"chat-{next(_unique)}"
    with ExitStack() as emulators:
        async with AsyncExitStack() as served:

            async def load(
                *, instances: int = 1, queues: bool = False, **settings: str
            ) -> HostedApp:
                port = free_port()
                if queues:
                    azurite: Azurite = request.getfixturevalue("azurite_server")
                    settings.setdefault("DOCCHAT_QUEUE", azurite.fresh_account())
                backend = settings.get("DOCCHAT_REALTIME", "signalr")
                rule = f"http://127.0.0.1:{port}/runtime/webhooks/{backend}?code={FUNCTION_KEY}"
                if backend == "webpubsub":
                    # The handler takes what docchat has functions for, as infra/ sets it.
                    rule += f" event={WEBPUBSUB_EVENTS}"
                    started = start_webpubsub(upstream=[parse_upstream_rule(rule)])
                else:
                    started = start_emulator(upstream=[parse_upstream_rule(rule)])
                emulator = emulators.enter_context(started)
                environment = {
                    "DOCCHAT_AUTH": "dev",
                    "DOCCHAT_ACCESS": "open",
                    "DOCCHAT_SIGNALR_MODE": "rest",
                    "COSMOS_ENDPOINT": cosmos_server.endpoint,
                    "COSMOS_KEY": EMULATOR_KEY,
                    "COSMOS_CONTAINER": container,
                    "COSMOS_NOTIFICATIONS_CONTAINER": f"notifications-{container}",
                    "AzureSignalRConnectionString": emulator.connection_string,
                    "WebPubSubConnectionString": emulator.connection_string,
                    **settings,
                }
                serving = (
                    serve_function_app(environment, port)
                    if instances == 1
                    else serve_function_app_instances(
                        environment, port, instances, _log_dir(tmp_path, port)
                    )
                )
                hosted = await served.enter_async_context(serving)
                hosted.emulator = emulator
                return hosted

            yield load


def _log_dir(tmp_path: Path, port: int) -> Path:
    """A folder for the logs of the app served on ``port`` (a test may load several)."""
    folder = tmp_path / f"app-{port}"
    folder.mkdir()
    return folder


@pytest.fixture
async def listeners() -> AsyncIterator[AsyncExitStack]:
    """Every client a test connects, disconnected when it ends."""
    async with AsyncExitStack() as opened:
        yield opened


@pytest.fixture
def listen(listeners: AsyncExitStack) -> Callable[..., Any]:
    """Negotiate as ``user``, connect the official JS client (hearing ``targets``, in
    ``protocol``), and join ``document_id``."""

    async def connect(
        host: HostedApp,
        user: User,
        document_id: str,
        headers: dict[str, str] | None = None,
        *,
        targets: tuple[str, ...] = (NEW,),
        protocol: str = "json",
    ) -> NodeHubClient:
        headers = headers or principal(user)
        negotiated = await host.call("negotiate", headers=headers)
        assert negotiated.status_code == 200, negotiated.get_body()
        info = body_of(negotiated)
        listener = await listeners.enter_async_context(
            NodeHubClient.connect(
                info["url"],
                access_token=info["accessToken"],
                targets=list(targets),
                protocol=protocol,
            )
        )
        joined = await membership(
            host, "join_document", document_id, listener.connection_id, headers
        )
        assert joined.status_code == 204, joined.get_body()
        return listener

    return connect


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> Iterator[ManagedIdentityEndpoint]:
    """The app's managed identity, as App Service announces it to the process."""
    with serve_managed_identity(ISSUER, IDENTITY_CLIENT_ID) as endpoint:
        for name, value in endpoint.environment.items():
            monkeypatch.setenv(name, value)
        yield endpoint
