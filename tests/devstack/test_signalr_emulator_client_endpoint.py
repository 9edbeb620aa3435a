"""The emulator's client side at the wire: negotiate, the WebSocket, pings, timeouts, close
messages, delivery, and stateful reconnect's ack and sequence messages.

Tests that need shorter intervals or smaller limits than the service's serve their own
emulator on this test's event loop, which also lets them send in-process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from devstack.emulator_core.running import connection_string, endpoint_url
from devstack.signalr import (
    DEFAULT_ACCESS_KEY,
    Emulator,
    EmulatorSettings,
    RunningEmulator,
    serve,
    start_emulator,
)
from shared.connection_string import ConnectionString, parse_connection_string
from signalr.rest import HubClient
from signalr.tokens import client_connection_info
from tests.fixtures.signalr_emulator import WIRE_TIMEOUT, WireClient, negotiate_with

HUB = "wire"


@dataclass(frozen=True)
class Served:
    """An emulator on this test's loop."""

    emulator: Emulator
    endpoint: str
    connection: ConnectionString

    def token(self, user: str | None = None, hub: str = HUB) -> str:
        return client_connection_info(self.connection, hub, user_id=user).access_token


@asynccontextmanager
async def served(**settings: Any) -> AsyncIterator[Served]:
    emulator = Emulator(settings=EmulatorSettings(**settings))
    async with serve(emulator, port=0) as port:
        endpoint = endpoint_url("127.0.0.1", port)
        yield Served(
            emulator,
            endpoint,
            parse_connection_string(connection_string(endpoint, DEFAULT_ACCESS_KEY)),
        )


@pytest.fixture
async def service() -> AsyncIterator[Served]:
    """An emulator with the service's defaults, on this test's loop."""
    async with served() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WIRE_TIMEOUT)) as session:
        yield session


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Negotiate ---------------------------------------------------------------------------------------


async def test_negotiate_version_1_names_a_connection_and_a_separate_token(
    service: Served, http: aiohttp.ClientSession
) -> None:
    reply = await negotiate_with(http, service.endpoint, HUB, bearer(service.token()))
    assert reply == {
        "negotiateVersion": 1,
        "connectionId": reply["connectionId"],
        "connectionToken": reply["connectionToken"],
        "availableTransports": [{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}],
    }
    assert reply["connectionId"] != reply["connectionToken"]


async def test_negotiate_version_0_uses_the_connection_id_as_token(
    service: Served, http: aiohttp.ClientSession
) -> None:
    url = f"{service.endpoint}/client/negotiate"
    async with http.post(url, params={"hub": HUB}, headers=bearer(service.token())) as reply:
        body = await reply.json()
    assert body["negotiateVersion"] == 0
    assert "connectionToken" not in body
    async with WireClient.connect(
        service.endpoint, HUB, service.token(), resume=body["connectionId"]
    ) as client:
        await client.send({"protocol": "json", "version": 1})
        assert await client.next_message() == {}
        assert service.emulator.hub(HUB).get(body["connectionId"]) is not None


async def test_stateful_reconnect_is_offered_only_when_asked_for(
    service: Served, http: aiohttp.ClientSession
) -> None:
    headers = bearer(service.token())
    plain = await negotiate_with(http, service.endpoint, HUB, headers)
    stateful = await negotiate_with(http, service.endpoint, HUB, headers, stateful=True)
    assert "useStatefulReconnect" not in plain
    assert stateful["useStatefulReconnect"] is True


def expired(served: Served) -> str:
    then = datetime.now(UTC) - timedelta(hours=2)
    return client_connection_info(served.connection, HUB, now=then).access_token


def wrong_key(served: Served) -> str:
    impostor = parse_connection_string(
        f"Endpoint={served.endpoint};AccessKey=not-the-key-{'0123456789' * 4};Version=1.0;"
    )
    return client_connection_info(impostor, HUB).access_token


REFUSED_TOKENS: list[tuple[Callable[[Served], str], str]] = [
    (expired, "expired"),
    (wrong_key, "signature"),
    (lambda served: served.token(hub="otherhub"), "audience"),
    (lambda served: "", "no access token"),
]
REFUSED_IDS = ["expired", "wrong key", "wrong audience", "no token"]


@pytest.mark.parametrize(("token_for", "reason"), REFUSED_TOKENS, ids=REFUSED_IDS)
async def test_negotiate_refuses_a_bad_token_with_401_and_a_reason(
    service: Served, http: aiohttp.ClientSession, token_for: Callable[[Served], str], reason: str
) -> None:
    token = token_for(service)
    headers = bearer(token) if token else {}
    url = f"{service.endpoint}/client/negotiate"
    async with http.post(
        url, params={"hub": HUB, "negotiateVersion": "1"}, headers=headers
    ) as reply:
        assert reply.status == 401
        assert reply.headers["x-ms-error-code"] == "Error.Unauthorized"
        assert reason in (await reply.json())["message"]


@pytest.mark.parametrize(("token_for", "reason"), REFUSED_TOKENS, ids=REFUSED_IDS)
async def test_the_websocket_refuses_a_bad_token_with_401(
    service: Served, http: aiohttp.ClientSession, token_for: Callable[[Served], str], reason: str
) -> None:
    token = token_for(service)
    params = {"hub": HUB, "access_token": token} if token else {"hub": HUB}
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(f"{service.endpoint}/client/", params=params)
    assert refused.value.status == 401


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({}, "hub name is missing"),
        ({"hub": "no-dashes"}, "invalid hub name"),
        ({"hub": HUB, "negotiateVersion": "one"}, "negotiateVersion"),
    ],
)
async def test_negotiate_refuses_bad_parameters_with_400(
    service: Served, http: aiohttp.ClientSession, query: dict[str, str], says: str
) -> None:
    url = f"{service.endpoint}/client/negotiate"
    async with http.post(url, params=query, headers=bearer(service.token())) as reply:
        assert reply.status == 400
        assert says in (await reply.json())["message"]


async def test_browsers_get_cors_with_credentials(
    service: Served, http: aiohttp.ClientSession
) -> None:
    url = f"{service.endpoint}/client/negotiate?hub={HUB}&negotiateVersion=1"
    origin = {"Origin": "http://localhost:5173"}
    preflight = {
        **origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,x-requested-with,x-signalr-user-agent",
    }
    async with http.options(url, headers=preflight) as reply:
        assert reply.status == 204
        assert reply.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
        assert reply.headers["Access-Control-Allow-Credentials"] == "true"
        assert "POST" in reply.headers["Access-Control-Allow-Methods"]
        assert "x-signalr-user-agent" in reply.headers["Access-Control-Allow-Headers"]
    for headers, status in ((bearer(service.token()), 200), ({}, 401)):
        async with http.post(url, headers={**origin, **headers}) as reply:
            assert reply.status == status
            assert reply.headers["Access-Control-Allow-Origin"] == "http://localhost:5173"
            assert reply.headers["Access-Control-Allow-Credentials"] == "true"


async def test_cors_on_negotiate_follows_the_allowed_origins_as_the_resource_does() -> None:
    """Issue 26: the service answers CORS for the origins of its ``cors.allowedOrigins``
    (Microsoft.SignalRService/signalR SignalRCorsSettings; infra/app/signalr.bicep lists the
    app's and the web origins), not for any origin; ``*`` is the default when omitted."""
    async with (
        served(allowed_origins=("https://docs.example",)) as running,
        aiohttp.ClientSession() as http,
    ):
        url = f"{running.endpoint}/client/negotiate?hub={HUB}&negotiateVersion=1"
        preflight = {"Access-Control-Request-Method": "POST"}
        for origin, allowed in (("https://docs.example", True), ("https://evil.example", False)):
            headers = {"Origin": origin}
            async with http.options(url, headers={**headers, **preflight}) as reply:
                assert reply.status == 204
                assert reply.headers.get("Access-Control-Allow-Origin") == (
                    origin if allowed else None
                )
            async with http.post(url, headers={**headers, **bearer(running.token())}) as reply:
                assert reply.headers.get("Access-Control-Allow-Origin") == (
                    origin if allowed else None
                )
                assert ("Access-Control-Allow-Credentials" in reply.headers) is allowed


async def test_the_rest_api_sends_no_cors(service: Served, http: aiohttp.ClientSession) -> None:
    async with http.get(f"{service.endpoint}/api/health", headers={"Origin": "http://x"}) as reply:
        assert "Access-Control-Allow-Origin" not in reply.headers


# The WebSocket -----------------------------------------------------------------------------------


async def test_a_browser_passes_its_token_in_the_query(
    service: Served, http: aiohttp.ClientSession
) -> None:
    token = service.token("alice")
    url = f"{service.endpoint}/client/negotiate"
    params = {"hub": HUB, "negotiateVersion": "1", "access_token": token}
    async with http.post(url, params=params) as reply:
        connection_token = (await reply.json())["connectionToken"]
    query = {"hub": HUB, "id": connection_token, "access_token": token}
    async with http.ws_connect(f"{service.endpoint}/client/", params=query) as socket:
        await socket.send_str('{"protocol":"json","version":1}\x1e')
        assert (await socket.receive()).data == "{}\x1e"
        assert service.emulator.hub(HUB).has_user("alice")


async def test_a_socket_without_negotiate_is_a_new_connection(service: Served) -> None:
    async with WireClient.connect(
        service.endpoint, HUB, service.token("py"), negotiate=False
    ) as client:
        assert client.connection_id is None
        assert service.emulator.send_to_user(HUB, "py", "message", ["hi"]) == 1
        assert await client.next_message() == {"type": 1, "target": "message", "arguments": ["hi"]}


async def test_a_connection_token_is_good_for_one_socket(
    service: Served, http: aiohttp.ClientSession
) -> None:
    async with WireClient.connect(service.endpoint, HUB, service.token()) as first:
        query = {"hub": HUB, "id": first.connection_token or ""}
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(
                f"{service.endpoint}/client/", params=query, headers=bearer(service.token())
            )
        assert refused.value.status == 404
        query["id"] = "never-negotiated"
        with pytest.raises(aiohttp.WSServerHandshakeError) as unknown:
            await http.ws_connect(
                f"{service.endpoint}/client/", params=query, headers=bearer(service.token())
            )
        assert unknown.value.status == 404


async def test_a_negotiated_connection_is_only_for_its_user(
    service: Served, http: aiohttp.ClientSession
) -> None:
    reply = await negotiate_with(http, service.endpoint, HUB, bearer(service.token("alice")))
    query = {"hub": HUB, "id": reply["connectionToken"]}
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await http.ws_connect(
            f"{service.endpoint}/client/", params=query, headers=bearer(service.token("mallory"))
        )
    assert refused.value.status == 401


@pytest.mark.parametrize(
    ("accept", "transport"),
    [("text/event-stream", "ServerSentEvents"), ("*/*", "LongPolling")],
)
async def test_other_transports_are_refused_as_http_connection_dispatcher_refuses_them(
    service: Served, http: aiohttp.ClientSession, accept: str, transport: str
) -> None:
    """dotnet/aspnetcore src/SignalR/common/Http.Connections/src/Internal/
    HttpConnectionDispatcher.cs: a transport the endpoint does not allow is a plain-text 404."""
    negotiated = await negotiate_with(http, service.endpoint, HUB, bearer(service.token()))
    [offered] = negotiated["availableTransports"]
    assert offered["transport"] == "WebSockets"
    url = f"{service.endpoint}/client/"
    headers = {**bearer(service.token()), "Accept": accept}
    async with http.get(url, params={"hub": HUB}, headers=headers) as reply:
        assert reply.status == 404
        assert reply.content_type == "text/plain"
        assert await reply.text() == f"{transport} transport not supported by this end point type"


@pytest.mark.parametrize(
    ("request_message", "error"),
    [
        ({"protocol": "xml", "version": 1}, "The protocol 'xml' is not supported."),
        ({"protocol": "json", "version": 3}, "does not support version 3 of the 'json' protocol"),
    ],
)
async def test_a_refused_handshake_says_why_and_closes(
    service: Served, request_message: dict[str, Any], error: str
) -> None:
    async with WireClient.connect(
        service.endpoint, HUB, service.token(), handshake=False
    ) as client:
        await client.send(request_message)
        assert error in (await client.next_message())["error"]
        await client.closed()
    assert len(service.emulator.hub(HUB)) == 0


async def test_a_handshake_nested_past_the_json_limit_is_refused_not_raised(
    service: Served,
) -> None:
    """Issue 26: System.Text.Json reads 64 levels (HandshakeProtocol.TryParseRequestMessage);
    deeper is a handshake error, never a RecursionError in the emulator."""
    async with WireClient.connect(
        service.endpoint, HUB, service.token(), handshake=False
    ) as client:
        await client.socket.send_str("[" * 2000 + "]" * 2000 + "\x1e")
        assert "not valid JSON" in (await client.next_message())["error"]
        await client.closed()


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        pytest.param(
            '{"type":1,"target":"typing","arguments":"x"}',
            "Expected 'arguments' to be of type Array.",
            id="arguments not an array",
        ),
        pytest.param(
            '{"type":1,"target":"typing"}',
            "Missing required property 'arguments'.",
            id="no arguments",
        ),
        pytest.param(
            '{"type":1,"target":7,"arguments":[]}',
            "Expected 'target' to be of type String.",
            id="target not a string",
        ),
        pytest.param(
            '{"type":1,"target":"t","arguments":' + "[" * 5000 + "]" * 5000 + "}",
            "not valid JSON",
            id="nested 5,000 deep",
        ),
    ],
)
async def test_an_invocation_the_hub_protocol_cannot_read_closes_the_connection(
    service: Served, frame: str, error: str
) -> None:
    """dotnet/aspnetcore JsonHubProtocol.ParseMessage / BindInvocationMessage throw
    InvalidDataException for these, and the connection closes with that error; nothing goes
    upstream (it went as it came before, and the app's webhook answered 500)."""
    async with WireClient.connect(service.endpoint, HUB, service.token()) as client:
        await client.socket.send_str(frame + "\x1e")
        close = await client.next_message()
        assert close["type"] == 7
        assert error in close["error"]
        await client.closed()


async def test_a_client_that_never_handshakes_is_refused_in_time() -> None:
    async with (
        served(handshake_timeout=0.2) as running,
        WireClient.connect(running.endpoint, HUB, running.token(), handshake=False) as client,
    ):
        assert "handshake" in (await client.next_message())["error"]
        await client.closed()


async def test_the_service_pings_an_idle_client() -> None:
    async with (
        served(ping_interval=0.2) as running,
        WireClient.connect(running.endpoint, HUB, running.token()) as client,
    ):
        assert await client.next_message() == {"type": 6}


async def test_a_silent_client_is_dropped_after_the_client_timeout() -> None:
    async with (
        served(ping_interval=0.1, client_timeout=0.4) as running,
        WireClient.connect(running.endpoint, HUB, running.token()) as client,
    ):
        message = await client.next_message()
        while message == {"type": 6}:
            message = await client.next_message()
        assert message == {
            "type": 7,
            "error": "Server timeout elapsed without receiving a message from the client.",
            "allowReconnect": True,
        }
        await client.closed()
        assert len(running.emulator.hub(HUB)) == 0


async def test_a_clients_own_invocation_is_ignored_as_serverless_without_upstream(
    service: Served,
) -> None:
    """azure-signalr Emulator/HubEmulator/HttpServerlessMessageHandler.cs: with no upstream
    for the event the service ignores it; no completion comes, the connection lives on."""
    async with WireClient.connect(service.endpoint, HUB, service.token()) as client:
        await client.send({"type": 1, "target": "fireAndForget", "arguments": []})
        await client.send(
            {"type": 1, "invocationId": "7", "target": "sendMessage", "arguments": ["hi"]}
        )
        await client.send({"type": 6})
        service.emulator.send_to_all(HUB, "barrier", [])
        assert (await client.next_message())["target"] == "barrier"


async def test_unknown_message_types_are_ignored_and_garbage_closes(service: Served) -> None:
    async with WireClient.connect(service.endpoint, HUB, service.token()) as client:
        await client.send({"type": 99, "future": True})
        await client.send({"type": 6})
        service.emulator.send_to_all(HUB, "barrier", [])
        assert (await client.next_message())["target"] == "barrier"
        await client.socket.send_str("{not json\x1e")
        close = await client.next_message()
        assert close["type"] == 7
        assert "not valid JSON" in close["error"]
        assert "allowReconnect" not in close
        await client.closed()


async def test_a_message_waiting_for_its_separator_is_limited_as_in_hub_connection_handler() -> (
    None
):
    """dotnet/aspnetcore src/SignalR/server/Core/src/HubConnectionHandler.cs: a message over
    the size limit closes the connection, however many frames it came in."""
    async with (
        served(max_client_message_bytes=1024) as running,
        WireClient.connect(running.endpoint, HUB, running.token()) as client,
    ):
        for _ in range(3):
            await client.socket.send_str('{"type":1,"target":"t","arguments":["' + "x" * 500)
        close = await client.next_message()
        assert close["type"] == 7
        assert close["error"] == "The maximum message size of 1024B was exceeded."
        await client.closed()
        assert len(running.emulator.hub(HUB)) == 0


async def test_a_client_message_over_the_limit_closes_the_socket() -> None:
    async with (
        served(max_client_message_bytes=1024) as running,
        WireClient.connect(running.endpoint, HUB, running.token()) as client,
    ):
        await client.send({"type": 1, "target": "big", "arguments": ["x" * 2048]})
        frame = await client.closed()
        assert frame.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG


# Delivery ----------------------------------------------------------------------------------------


async def test_queued_messages_leave_coalesced_in_one_frame_and_in_order(service: Served) -> None:
    async with WireClient.connect(service.endpoint, HUB, service.token()) as client:
        for number in range(50):
            service.emulator.send_to_all(HUB, "message", [number])
        received = [(await client.next_message())["arguments"][0] for _ in range(50)]
        assert received == list(range(50))
        assert client.frames == 2  # the handshake reply, then all fifty at once


async def test_a_client_that_stops_reading_is_closed_without_delaying_the_others() -> None:
    async with (
        served(max_buffered_bytes=256 * 1024, close_grace=30) as running,
        WireClient.connect(running.endpoint, HUB, running.token("slow")) as slow,
        WireClient.connect(running.endpoint, HUB, running.token("fast")) as fast,
    ):
        slow_connection = running.emulator.hub(HUB).get(slow.connection_id or "")
        assert slow_connection is not None
        chunk = "x" * 64 * 1024
        sent = 0
        while not slow_connection.ended:
            assert sent < 2000, "the slow client was never closed"
            running.emulator.send_to_all(HUB, "message", [sent, chunk])
            assert (await fast.next_message())["arguments"][0] == sent
            sent += 1
        assert running.emulator.hub(HUB).get(slow.connection_id or "") is None
        running.emulator.send_to_all(HUB, "message", ["after", ""])
        assert (await fast.next_message())["arguments"][0] == "after"
        message = await slow.next_message()
        while message["type"] == 1:
            message = await slow.next_message()
        assert message["type"] == 7
        assert "did not read its messages fast enough" in message["error"]
        assert message["allowReconnect"] is True


async def test_rest_close_calls_close_exactly_the_connections_they_name(
    signalr_emulator: RunningEmulator,
    signalr_connection: ConnectionString,
    signalr_hub: HubClient,
    signalr_hub_name: str,
) -> None:
    def token(user: str) -> str:
        return client_connection_info(
            signalr_connection, signalr_hub_name, user_id=user
        ).access_token

    endpoint, hub = signalr_emulator.endpoint, signalr_hub_name
    async with (
        WireClient.connect(endpoint, hub, token("ann")) as ann,
        WireClient.connect(endpoint, hub, token("ben")) as ben,
        WireClient.connect(endpoint, hub, token("cat")) as cat,
        WireClient.connect(endpoint, hub, token("dan")) as dan,
    ):
        await asyncio.to_thread(signalr_hub.add_connection_to_group, "g", ben.connection_id or "")
        await asyncio.to_thread(signalr_hub.close_user_connections, "ann", reason="user closed")
        await asyncio.to_thread(signalr_hub.close_group_connections, "g", reason="group closed")
        await asyncio.to_thread(
            signalr_hub.close_all_connections,
            excluded=[dan.connection_id or ""],
            reason="all closed",
        )
        # Clients may reconnect, as the service tells them (azure-signalr Emulator/Controllers/
        # SignalRServiceEmulatorWebApi.cs SendCloseAsync: CloseMessage(reason, true)).
        for client, reason in ((ann, "user closed"), (ben, "group closed"), (cat, "all closed")):
            assert await client.next_message() == {
                "type": 7,
                "error": reason,
                "allowReconnect": True,
            }
        await asyncio.to_thread(signalr_hub.send_to_all, "message", ["still here"])
        assert (await dan.next_message())["arguments"] == ["still here"]


async def test_stopping_the_service_tells_clients_they_may_reconnect() -> None:
    running = start_emulator()
    token = client_connection_info(parse_connection_string(running.connection_string), HUB)
    async with WireClient.connect(running.endpoint, HUB, token.access_token) as client:
        stopping = asyncio.create_task(asyncio.to_thread(running.stop))
        assert await client.next_message() == {
            "type": 7,
            "error": "The service is restarting.",
            "allowReconnect": True,
        }
        await client.closed()
        await stopping


# Stateful reconnect ------------------------------------------------------------------------------


async def test_a_stateful_client_gets_back_only_what_it_did_not_acknowledge(
    service: Served,
) -> None:
    token = service.token("sam")
    async with WireClient.connect(service.endpoint, HUB, token, stateful=True) as first:
        for number in (1, 2, 3):
            service.emulator.send_to_user(HUB, "sam", "message", [number])
        assert [(await first.next_message())["arguments"] for _ in range(3)] == [[1], [2], [3]]
        await first.send({"type": 8, "sequenceId": 1})
        await first.send({"type": 1, "invocationId": "a", "target": "t", "arguments": []})
        assert await first.next_message() == {"type": 8, "sequenceId": 1}
    connection_id, connection_token = first.connection_id, first.connection_token
    assert service.emulator.hub(HUB).get(connection_id or "") is not None
    service.emulator.send_to_user(HUB, "sam", "message", [4])
    async with WireClient.connect(service.endpoint, HUB, token, resume=connection_token) as second:
        assert await second.next_message() == {"type": 9, "sequenceId": 2}
        assert [(await second.next_message())["arguments"] for _ in range(3)] == [[2], [3], [4]]
        await second.send({"type": 9, "sequenceId": 1})
        await second.send({"type": 1, "invocationId": "a", "target": "t", "arguments": []})
        assert await second.next_message() == {"type": 8, "sequenceId": 1}  # the resent "a"
        await second.send({"type": 1, "invocationId": "b", "target": "t", "arguments": []})
        assert await second.next_message() == {"type": 8, "sequenceId": 2}
        assert service.emulator.hub(HUB).get(connection_id or "") is not None


async def test_a_stateful_connection_that_does_not_come_back_in_time_ends(service: Served) -> None:
    async with WireClient.connect(service.endpoint, HUB, service.token(), stateful=True) as client:
        connection_id = client.connection_id or ""
    registry = service.emulator.hub(HUB)
    window = service.emulator.settings.reconnect_window
    service.emulator.keep_alive(time.monotonic() + window / 2)
    assert registry.get(connection_id) is not None
    service.emulator.keep_alive(time.monotonic() + window + 1)
    assert registry.get(connection_id) is None


async def test_a_client_that_says_goodbye_is_not_kept_for_reconnect(service: Served) -> None:
    async with WireClient.connect(service.endpoint, HUB, service.token(), stateful=True) as client:
        connection_id = client.connection_id or ""
        await client.send({"type": 7})
        await client.closed()
    assert service.emulator.hub(HUB).get(connection_id) is None
