"""The official JavaScript client (@microsoft/signalr in Node) against the emulator.

Each client finds the emulator the way docchat's browsers do: through a function-app style
negotiate that redirects it with ``{url, accessToken}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import pytest

from devstack.emulator_core.running import connection_string
from devstack.signalr import DEFAULT_ACCESS_KEY, RunningEmulator, start_emulator
from devstack.stack import free_port
from shared.connection_string import ConnectionString, parse_connection_string
from signalr.rest import HubClient
from tests.fixtures.hub_client import NodeHubClient
from tests.fixtures.node_process import EVENT_TIMEOUT
from tests.fixtures.signalr_emulator import NegotiateEndpoint, serve_negotiate

RICH_ARGUMENTS = ["text", 42, 1.5, None, True, {"nested": ["é€ ✓", {"deep": []}]}]


@pytest.mark.parametrize("protocol", ["json", "messagepack"])
async def test_messages_from_every_rest_route_reach_exactly_their_clients(
    function_app: NegotiateEndpoint, signalr_hub: HubClient, signalr_hub_name: str, protocol: str
) -> None:
    hub = signalr_hub
    async with (
        NodeHubClient.connect(
            function_app.url(signalr_hub_name, "alice"), protocol=protocol
        ) as alice,
        NodeHubClient.connect(function_app.url(signalr_hub_name, "bob"), protocol=protocol) as bob,
    ):
        await asyncio.to_thread(hub.send_to_all, "message", RICH_ARGUMENTS)
        assert await alice.next_message() == ("message", RICH_ARGUMENTS)
        assert await bob.next_message() == ("message", RICH_ARGUMENTS)

        await asyncio.to_thread(hub.send_to_user, "alice", "message", ["to alice"])
        await asyncio.to_thread(hub.add_connection_to_group, "document:42", bob.connection_id)
        await asyncio.to_thread(hub.send_to_group, "document:42", "message", ["to the group"])
        await asyncio.to_thread(
            hub.send_to_connection, bob.connection_id, "message", ["to bob's connection"]
        )
        await asyncio.to_thread(
            hub.send_to_all, "message", ["all but bob"], excluded=[bob.connection_id]
        )
        await asyncio.to_thread(
            hub.send_to_group,
            "document:42",
            "message",
            ["group but bob"],
            excluded=[bob.connection_id],
        )
        await asyncio.to_thread(hub.send_to_all, "message", ["last"])

        assert [await alice.next_message() for _ in range(3)] == [
            ("message", ["to alice"]),
            ("message", ["all but bob"]),
            ("message", ["last"]),
        ]
        assert [await bob.next_message() for _ in range(3)] == [
            ("message", ["to the group"]),
            ("message", ["to bob's connection"]),
            ("message", ["last"]),
        ]


async def test_a_rest_close_lets_the_client_reconnect_as_the_service_does(
    function_app: NegotiateEndpoint, signalr_hub: HubClient, signalr_hub_name: str
) -> None:
    """azure-signalr Emulator/Controllers/SignalRServiceEmulatorWebApi.cs SendCloseAsync:
    CloseMessage(reason, allowReconnect: true), so a client with automatic reconnect comes
    back on a new connection."""
    url = function_app.url(signalr_hub_name)
    async with NodeHubClient.connect(url, automatic_reconnect=True) as client:
        await asyncio.to_thread(
            signalr_hub.close_connection, client.connection_id, reason="kicked out"
        )
        reconnecting = await client.next_event("reconnecting")
        assert "kicked out" in reconnecting["error"]
        reconnected = await client.next_event("reconnected")
    assert reconnected["connectionId"] != client.connection_id
    assert not await asyncio.to_thread(signalr_hub.connection_exists, client.connection_id)


async def test_automatic_reconnect_after_the_service_restarts(signalr_hub_name: str) -> None:
    port = free_port()
    first = await asyncio.to_thread(start_emulator, port)
    connection = parse_connection_string(first.connection_string)
    second: RunningEmulator | None = None
    try:
        async with (
            serve_negotiate(connection) as function_app,
            NodeHubClient.connect(
                function_app.url(signalr_hub_name), automatic_reconnect=True
            ) as client,
        ):
            await asyncio.to_thread(first.stop)
            reconnecting = await client.next_event("reconnecting")
            assert "restarting" in reconnecting["error"]
            second = await asyncio.to_thread(start_emulator, port)
            reconnected = await client.next_event("reconnected")
            assert reconnected["connectionId"] != client.connection_id
            assert function_app.authorizations[-1] is not None, "the old token came along"
            with HubClient(connection, signalr_hub_name) as hub:
                assert await asyncio.to_thread(hub.connection_exists, reconnected["connectionId"])
                await asyncio.to_thread(hub.send_to_all, "message", ["after the restart"])
            assert await client.next_message() == ("message", ["after the restart"])
    finally:
        for emulator in (first, second):
            if emulator is not None:
                await asyncio.to_thread(emulator.stop)


class TcpRelay:
    """Forwards TCP to the emulator; it can swallow the emulator's replies and cut every link,
    as a network failure would."""

    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._links: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self._swallowing = False
        self._swallowed = b""
        self._swallowed_more = asyncio.Event()
        self.port = 0

    @classmethod
    @asynccontextmanager
    async def serving(cls, target_port: int) -> AsyncIterator[TcpRelay]:
        relay = cls(target_port)
        server = await asyncio.start_server(relay._link, "127.0.0.1", 0)
        relay.port = server.sockets[0].getsockname()[1]
        try:
            yield relay
        finally:
            relay.cut()
            server.close()
            await server.wait_closed()

    def swallow_replies(self) -> None:
        """From now on, bytes from the emulator never reach the client."""
        self._swallowing = True

    async def swallowed(self, marker: bytes) -> None:
        """Wait until the swallowed bytes contain ``marker``."""
        async with asyncio.timeout(EVENT_TIMEOUT):
            while marker not in self._swallowed:
                self._swallowed_more.clear()
                await self._swallowed_more.wait()

    def cut(self) -> None:
        """Abort every link at both ends; new links are relayed normally."""
        self._swallowing = False
        for client, server in self._links:
            client.transport.abort()
            server.transport.abort()
        self._links.clear()

    async def _link(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        server_reader, server = await asyncio.open_connection("127.0.0.1", self._target_port)
        self._links.append((client, server))
        with suppress(ConnectionError):
            await asyncio.gather(
                self._pipe(client_reader, server, upstream=True),
                self._pipe(server_reader, client, upstream=False),
            )

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        while data := await reader.read(65536):
            if not upstream and self._swallowing:
                self._swallowed += data
                self._swallowed_more.set()
                continue
            writer.write(data)
            await writer.drain()
        writer.close()


async def test_stateful_reconnect_delivers_unacknowledged_messages_exactly_once(
    signalr_emulator: RunningEmulator, signalr_hub: HubClient, signalr_hub_name: str
) -> None:
    async with TcpRelay.serving(signalr_emulator.port) as relay:
        through_relay = parse_connection_string(
            connection_string(f"http://localhost:{relay.port}", DEFAULT_ACCESS_KEY)
        )
        async with (
            serve_negotiate(through_relay) as function_app,
            NodeHubClient.connect(
                function_app.url(signalr_hub_name), stateful_reconnect=True
            ) as client,
        ):
            await asyncio.to_thread(signalr_hub.send_to_all, "message", ["seen before the drop"])
            assert await client.next_message() == ("message", ["seen before the drop"])
            relay.swallow_replies()
            await asyncio.to_thread(signalr_hub.send_to_all, "message", ["lost in the drop"])
            await relay.swallowed(b"lost in the drop")
            relay.cut()
            assert await client.next_message() == ("message", ["lost in the drop"])
            assert await asyncio.to_thread(signalr_hub.connection_exists, client.connection_id)
            await asyncio.to_thread(signalr_hub.send_to_all, "message", ["after the drop"])
            assert await client.next_message() == ("message", ["after the drop"])
            await client.stop()
        assert [event["event"] for event in client.events] == [
            "connected",
            "message",
            "message",
            "message",
            "closed",
            "stopped",
        ]


async def test_a_connection_string_with_the_default_key_works_end_to_end(
    signalr_connection: ConnectionString, function_app: NegotiateEndpoint, signalr_hub_name: str
) -> None:
    assert signalr_connection.access_key == DEFAULT_ACCESS_KEY
    async with NodeHubClient.connect(
        function_app.url(signalr_hub_name, "zoe"), protocol="messagepack"
    ) as client:
        with HubClient(signalr_connection, signalr_hub_name) as hub:
            await asyncio.to_thread(hub.send_to_user, "zoe", "message", [{"id": "m1"}])
        assert await client.next_message() == ("message", [{"id": "m1"}])
        await client.stop()
