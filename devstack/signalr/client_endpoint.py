"""The client side of the service: ``POST /client/negotiate`` and the WebSocket at ``/client/``.

A client either negotiates first (the official clients: the reply names a connection id and a
one-time connection token that the WebSocket URL then carries as ``id``) or opens the
WebSocket straight away without ``id`` (pysignalr, signalrcore). Both present the access
token, from the ``Authorization`` header (Node, Python) or the ``access_token`` query
(browsers, which cannot set WebSocket headers). A WebSocket whose ``id`` names a stateful
connection that lost its socket resumes that connection instead of starting a new one.

Only the WebSockets transport is served, and negotiate offers only it. A client that comes
for Server-Sent Events or long polling anyway gets the refusal ASP.NET Core's connection
dispatcher gives for a transport an endpoint does not allow (dotnet/aspnetcore
src/SignalR/common/Http.Connections/src/Internal/HttpConnectionDispatcher.cs): 404,
``text/plain``, ``{transport} transport not supported by this end point type``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import WSMsgType, web

from devstack.emulator_core.errors import ApiError, ErrorCode
from devstack.emulator_core.request_checks import hub_name, token_errors_as_http
from devstack.emulator_core.tokens import RequestTarget, bearer_token
from devstack.signalr.auth import Identity, claim_strings
from devstack.signalr.connection import ClientConnection
from devstack.signalr.emulator import EMULATOR, Emulator, Negotiation
from devstack.signalr.handshake import Handshake, handshake_error, handshake_ok, read_handshake
from devstack.signalr.protocol import ProtocolError

__all__ = ["client_routes"]

_TRANSPORTS = [{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}]


def client_routes() -> list[web.RouteDef]:
    """The negotiate endpoint and the WebSocket endpoint (with and without trailing slash)."""
    return [
        web.post("/client/negotiate", negotiate),
        web.get("/client/", client_socket, allow_head=False),
        web.get("/client", client_socket, allow_head=False),
    ]


async def negotiate(request: web.Request) -> web.Response:
    """Reserve a connection for an authenticated client and tell it how to connect."""
    emulator = request.app[EMULATOR]
    hub = hub_name(request.query.get("hub"))
    identity = _client_identity(emulator, request, hub)
    version = _negotiate_version(request.query.get("negotiateVersion"))
    stateful = request.query.get("useStatefulReconnect", "").lower() == "true"
    negotiation = emulator.negotiate(
        hub, identity.user_id, stateful=stateful, token_is_id=version == 0
    )
    reply: dict[str, Any] = {
        "negotiateVersion": version,
        "connectionId": negotiation.connection_id,
        "availableTransports": _TRANSPORTS,
    }
    if version > 0:
        reply["connectionToken"] = negotiation.connection_token
    if stateful:
        reply["useStatefulReconnect"] = True
    return web.json_response(reply)


async def client_socket(request: web.Request) -> web.StreamResponse:
    """Run one client's WebSocket: handshake (or resume), then messages until it closes."""
    emulator = request.app[EMULATOR]
    hub = hub_name(request.query.get("hub"))
    identity = _client_identity(emulator, request, hub)
    socket = _socket(emulator)
    if not socket.can_prepare(request).ok:
        return _transport_not_supported(request)
    token = request.query.get("id")
    resumed = emulator.resumable(token) if token else None
    negotiation = None
    if resumed is not None:
        _check_same_client(resumed.hub, resumed.user_id, hub, identity)
    elif token:
        negotiation = _claim(emulator, token)
        _check_same_client(negotiation.hub, negotiation.user_id, hub, identity)
    await socket.prepare(request)
    try:
        if resumed is not None:
            resumed.resume(socket, _transport(request))
            await _pump(socket, resumed)
        else:
            await _start(request, socket, emulator, hub, identity, negotiation)
    finally:
        await socket.close()
    return socket


async def _start(
    request: web.Request,
    socket: web.WebSocketResponse,
    emulator: Emulator,
    hub: str,
    identity: Identity,
    negotiation: Negotiation | None,
) -> None:
    handshake, rest = await _handshake(socket, emulator.settings.handshake_timeout)
    if handshake is None:
        return
    connection = emulator.open_connection(
        hub=hub,
        user_id=identity.user_id,
        claims=claim_strings(identity.claims),
        query=f"?{request.query_string}" if request.query_string else "",
        protocol=handshake.protocol,
        stateful=bool(
            negotiation and negotiation.stateful and handshake.supports_stateful_reconnect
        ),
        connection_id=negotiation.connection_id if negotiation else None,
        connection_token=negotiation.connection_token if negotiation else None,
    )
    connection.attach(socket, _transport(request), handshake_ok())
    await connection.announce_upstream()
    if rest and not await _receive(connection, rest):
        connection.socket_closed(socket, by_client=True)
        return
    await _pump(socket, connection)


async def _pump(socket: web.WebSocketResponse, connection: ClientConnection) -> None:
    """Feed the client's frames to its connection until the socket closes (or the server stops)."""
    by_client = False
    try:
        async for message in socket:
            if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break
            data = message.data.encode() if message.type is WSMsgType.TEXT else message.data
            if not await _receive(connection, data):
                by_client = True
                break
    finally:
        connection.socket_closed(socket, by_client=by_client)


async def _receive(connection: ClientConnection, data: bytes) -> bool:
    """Process one frame, its invocations upstream included, before the next is read; False
    once the client sent its close message."""
    open_ = connection.receive(data)
    await connection.forward_upstream()
    return open_


async def _handshake(
    socket: web.WebSocketResponse, seconds: float
) -> tuple[Handshake | None, bytes]:
    """Read the handshake; (None, b"") after refusing it, or if it timed out or never came.

    An accepted handshake is answered by the connection's writer, as its first frame.
    """
    buffer = b""
    try:
        async with asyncio.timeout(seconds):
            async for message in socket:
                if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                buffer += message.data.encode() if message.type is WSMsgType.TEXT else message.data
                parsed = read_handshake(buffer)
                if parsed is not None:
                    return parsed
    except ProtocolError as error:
        await _refuse(socket, str(error))
    except TimeoutError:
        await _refuse(socket, "Timed out waiting for the handshake request.")
    return None, b""


async def _refuse(socket: web.WebSocketResponse, error: str) -> None:
    with contextlib.suppress(ConnectionError):
        await socket.send_frame(handshake_error(error), WSMsgType.TEXT)


def _socket(emulator: Emulator) -> web.WebSocketResponse:
    return web.WebSocketResponse(
        compress=emulator.settings.compress,
        max_msg_size=emulator.settings.max_client_message_bytes,
        timeout=emulator.settings.close_grace,
    )


def _transport_not_supported(request: web.Request) -> web.Response:
    """How ASP.NET Core refuses a transport it does not serve; it tells Server-Sent Events
    from long polling by the Accept header."""
    event_stream = "text/event-stream" in request.headers.get("Accept", "")
    transport = "ServerSentEvents" if event_stream else "LongPolling"
    return web.Response(
        status=404, text=f"{transport} transport not supported by this end point type"
    )


def _client_identity(emulator: Emulator, request: web.Request, hub: str) -> Identity:
    target = RequestTarget(request.scheme, request.host, request.raw_path, hub)
    with token_errors_as_http():
        return emulator.tokens.client_identity(bearer_token(request.headers, request.query), target)


def _claim(emulator: Emulator, token: str) -> Negotiation:
    negotiation = emulator.claim_negotiation(token)
    if negotiation is None:
        raise ApiError(
            404,
            ErrorCode.CONNECTION_TOKEN_UNKNOWN,
            "No connection with that id: it was used, expired, or never negotiated.",
        )
    return negotiation


def _check_same_client(hub: str, user_id: str | None, wanted_hub: str, identity: Identity) -> None:
    if hub.lower() != wanted_hub.lower() or user_id != identity.user_id:
        raise ApiError(
            401,
            ErrorCode.UNAUTHORIZED,
            "the access token is for another hub or user than the connection it names",
        )


def _negotiate_version(value: str | None) -> int:
    if value is None:
        return 0
    if not value.isdigit():
        raise ApiError(400, ErrorCode.INVALID_REQUEST, "negotiateVersion must be 0 or 1")
    return min(int(value), 1)


def _transport(request: web.Request) -> asyncio.Transport:
    transport = request.transport
    assert transport is not None, "a prepared WebSocket has a transport"
    return transport
