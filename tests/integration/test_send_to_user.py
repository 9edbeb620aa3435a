"""Realtime.send_to_user on both backends, both modes, against the emulators with the official
JS clients: every connection of the user hears the event once, whichever group it is in (or
none), and nobody else hears it; it costs one service call, whatever the number of
connections.

REST mode calls the adapter; bindings mode sets the adapter's output and has it carried out
by the dev host's own output binding (devstack/host), as the Functions host does after a
function returns, whatever its trigger. What a connection heard is bounded by a marker sent
to it afterwards: the service delivers a connection's messages in order (no waiting on time).
In REST mode a failing service is RealtimeUnavailable, as for a group send.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from chat.app.realtime import Realtime, group_of
from chat.domain.errors import RealtimeUnavailable
from chat.domain.users import User
from chat.settings import AuthMode
from devstack.emulator_core.running import RunningEmulator
from devstack.host.bindings import BindingScope, OutputBinding
from devstack.host.expressions import BindingData
from devstack.host.signalr_bindings import SignalROutputBinding
from devstack.host.webpubsub_bindings import WebPubSubOutputBinding
from devstack.signalr import start_emulator as start_signalr
from devstack.webpubsub import start_emulator as start_webpubsub
from realtime.backend import Backend
from realtime.settings import HUB, SIGNALR_CONNECTION_SETTING
from realtime.signalr_bindings import SignalRBindings
from realtime.signalr_rest import SignalRRest
from realtime.webpubsub_bindings import WebPubSubBindings
from realtime.webpubsub_rest import WebPubSubRest
from realtime.webpubsub_settings import WEBPUBSUB_CONNECTION_SETTING, load_webpubsub_settings
from shared.connection_string import parse_connection_string
from signalr.rest import HubClient
from tests.fixtures.hub_client import NodeHubClient
from tests.fixtures.webpubsub_client import NodeWebPubSubClient
from tests.integration.conftest import closed_port
from tests.integration.recording_server import (
    RecordingServer,
    Reply,
    recording_server,  # noqa: F401 - a fixture
)

ALICE = User("alice-id", "Alice")
BOB = User("bob-id", "Bob")
NOTIFICATION = "notification"
MARKER = "marker"
ITEM = {
    "id": "n-1",
    "kind": "mention",
    "documentId": "doc-a",
    "messageId": "m-1",
    "threadId": None,
    "actor": {"id": BOB.id, "name": BOB.name},
    "excerpt": "hi @alice ✓",
    "createdAt": "2026-12-07T09:00:00Z",
    "readAt": None,
}
Client = NodeHubClient | NodeWebPubSubClient


@dataclass
class Service:
    """One backend's emulator, its REST adapter (negotiation, joins, markers) and the adapter
    under test, with how its output binding is carried out in bindings mode."""

    emulator: RunningEmulator
    rest: Backend
    tested: Backend
    setting: str
    binding: OutputBinding | None

    def realtime(self) -> tuple[Realtime, Callable[[], None]]:
        """The tested adapter's Realtime for one invocation, and what finishes it: nothing
        in REST mode; in bindings mode, the host carrying out the output it was set."""
        if self.binding is None:
            return self.tested.realtime(), lambda: None
        emitted: list[str] = []
        realtime = self.tested.realtime(emitted.append)
        output, binding = self.tested.output, self.binding
        assert output is not None
        scope = BindingScope(BindingData.of_names({}), {self.setting: self.connection_string})

        def carry_out() -> None:
            binding.write(output.properties, emitted[-1], scope)

        return realtime, carry_out

    @property
    def connection_string(self) -> str:
        return self.emulator.connection_string


def signalr(mode: str) -> Iterator[Service]:
    with start_signalr() as emulator:
        rest = SignalRRest(parse_connection_string(emulator.connection_string))
        binding = SignalROutputBinding() if mode == "bindings" else None
        tested = SignalRBindings() if binding else rest
        yield Service(emulator, rest, tested, SIGNALR_CONNECTION_SETTING, binding)
        if binding:
            binding.close()


def webpubsub(mode: str) -> Iterator[Service]:
    with start_webpubsub() as emulator:
        environ = {WEBPUBSUB_CONNECTION_SETTING: emulator.connection_string}
        rest = WebPubSubRest(load_webpubsub_settings(environ, AuthMode.DEV))
        binding = WebPubSubOutputBinding() if mode == "bindings" else None
        settings = load_webpubsub_settings(
            {**environ, "DOCCHAT_WEBPUBSUB_MODE": "bindings"}, AuthMode.DEV
        )
        tested = WebPubSubBindings(settings) if binding else rest
        yield Service(emulator, rest, tested, WEBPUBSUB_CONNECTION_SETTING, binding)


SETUPS = [
    pytest.param((signalr, "rest"), id="signalr-rest"),
    pytest.param((signalr, "bindings"), id="signalr-bindings"),
    pytest.param((webpubsub, "rest"), id="webpubsub-rest"),
    pytest.param((webpubsub, "bindings"), id="webpubsub-bindings"),
]


@pytest.fixture(params=SETUPS)
def service(request: pytest.FixtureRequest) -> Iterator[Service]:
    start, mode = request.param
    yield from start(mode)


@pytest.fixture
async def clients() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as opened:
        yield opened


async def connect(clients: AsyncExitStack, service: Service, user: User) -> Client:
    """Negotiate as ``user`` through the REST adapter and connect the official client."""
    info = service.rest.negotiator().connection_for(user)
    if "accessToken" in info:
        return await clients.enter_async_context(
            NodeHubClient.connect(
                info["url"], access_token=info["accessToken"], targets=[NOTIFICATION, MARKER]
            )
        )
    return await clients.enter_async_context(NodeWebPubSubClient.connect(info["url"]))


async def heard_before_marker(service: Service, client: Client) -> list[tuple[str, Any]]:
    """Send ``client`` a marker through the service; the events it heard before it."""
    await asyncio.to_thread(_send_marker, service, client.connection_id)
    heard: list[tuple[str, Any]] = []
    while (event := await _next(client))[0] != MARKER:
        heard.append(event)
    return heard


def _send_marker(service: Service, connection_id: str) -> None:
    if isinstance(service.rest, SignalRRest):
        with HubClient(parse_connection_string(service.connection_string), HUB) as hub:
            hub.send_to_connection(connection_id, MARKER, [])
        return
    from azure.messaging.webpubsubservice import WebPubSubServiceClient

    client = WebPubSubServiceClient.from_connection_string(service.connection_string, hub=HUB)
    message = {"event": MARKER, "data": None}
    client.send_to_connection(connection_id, message, content_type="application/json")


async def _next(client: Client) -> tuple[str, Any]:
    """The next event the client heard: SignalR's target and arguments, or Web PubSub's
    docchat message ``{event, data}`` (data as its one argument)."""
    while True:
        event = await client.next_event()
        if event["event"] == "message":
            return event["target"], event["arguments"]
        if event["event"] in ("group-message", "server-message"):
            assert event["dataType"] == "json", event
            return event["data"]["event"], [event["data"]["data"]]
        raise AssertionError(f"the connection heard {event}")


@contextmanager
def service_calls(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """The REST calls the emulator served inside the block (it logs one line per call)."""
    calls: list[str] = []
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="devstack.emulator"):
        yield calls
    calls.extend(r.getMessage() for r in caplog.records if r.name == "devstack.emulator")


async def test_every_connection_of_the_user_hears_it_once_and_no_one_else_does(
    service: Service, clients: AsyncExitStack, caplog: pytest.LogCaptureFixture
) -> None:
    in_a_document = await connect(clients, service, ALICE)
    in_no_group = await connect(clients, service, ALICE)
    bob = await connect(clients, service, BOB)
    joins = service.rest.realtime()
    for client in (in_a_document, bob):  # bob shares alice's document: it does not matter
        await asyncio.to_thread(joins.add_to_group, group_of("doc-a"), client.connection_id)
    realtime, carry_out = service.realtime()

    with service_calls(caplog) as calls:
        realtime.send_to_user(ALICE.id, NOTIFICATION, ITEM)
        await asyncio.to_thread(carry_out)

    assert len(calls) == 1, calls
    assert f"/users/{ALICE.id}/" in calls[0], calls
    for client in (in_a_document, in_no_group):
        assert await heard_before_marker(service, client) == [(NOTIFICATION, [ITEM])]
    assert await heard_before_marker(service, bob) == []


async def test_a_user_without_connections_is_sent_to_without_a_failure(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    realtime, carry_out = service.realtime()

    with service_calls(caplog) as calls:
        realtime.send_to_user("nobody-here", NOTIFICATION, ITEM)
        await asyncio.to_thread(carry_out)

    assert len(calls) == 1, calls


KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn0123="
REST_ADAPTERS = [
    pytest.param(lambda cs: SignalRRest(parse_connection_string(cs)), id="signalr"),
    pytest.param(
        lambda cs: WebPubSubRest(
            load_webpubsub_settings({WEBPUBSUB_CONNECTION_SETTING: cs}, AuthMode.DEV)
        ),
        id="webpubsub",
    ),
]


@pytest.mark.parametrize("adapter", REST_ADAPTERS)
@pytest.mark.parametrize("answer", ["unreachable", "503"])
def test_in_rest_mode_a_failing_service_is_realtime_unavailable(
    recording_server: RecordingServer,  # noqa: F811
    adapter: Callable[[str], Backend],
    answer: str,
) -> None:
    """As send_to_group: the caller (the outbox consumer) hears it and may try again."""
    recording_server.default_reply = Reply(503)
    endpoint = recording_server.url if answer == "503" else f"http://127.0.0.1:{closed_port()}"
    realtime = adapter(f"Endpoint={endpoint};AccessKey={KEY};Version=1.0;").realtime()

    with pytest.raises(RealtimeUnavailable):
        realtime.send_to_user(ALICE.id, NOTIFICATION, ITEM)


@pytest.mark.parametrize("adapter", REST_ADAPTERS)
def test_in_rest_mode_a_report_from_the_service_closes_the_breaker_an_outage_opened(
    recording_server: RecordingServer,  # noqa: F811
    adapter: Callable[[str], Backend],
) -> None:
    # After an outage the calls that failed leave the breaker open for its cooldown, and the
    # first join of a connection made once the service is back would be refused for it
    # (bench.catch_up: a second more to catch up). The service reporting that connection is
    # proof that it is up.
    backend = adapter(f"Endpoint={recording_server.url};AccessKey={KEY};Version=1.0;")
    realtime = backend.realtime()
    recording_server.default_reply = Reply(503)
    with pytest.raises(RealtimeUnavailable):
        realtime.add_to_group(group_of("doc"), "lost")
    tried = len(recording_server.requests)
    recording_server.default_reply = Reply(200)
    with pytest.raises(RealtimeUnavailable):
        realtime.add_to_group(group_of("doc"), "refused")  # the breaker: no call made
    assert len(recording_server.requests) == tried

    backend.reported()
    realtime.add_to_group(group_of("doc"), "reported")

    assert recording_server.requests[-1].path.endswith("/connections/reported")
