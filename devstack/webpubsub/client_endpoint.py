"""The client WebSocket: ``/client/hubs/{hub}`` and ``/client/?hub={hub}``.

A client presents its access token (``access_token`` query or ``Authorization: Bearer``) and
offers a subprotocol; the emulator speaks ``json.webpubsub.azure.v1`` and
``json.reliable.webpubsub.azure.v1``. When an event handler takes ``connect``, the service
asks it before accepting: a 4xx answer refuses the WebSocket with that status, anything else
but a 2xx with 500, and a 200's ``userId``, ``groups``, ``roles`` and ``subprotocol`` replace
or add to the token's (Azure docs reference-cloud-events.md, "connect").

A client recovering a reliable connection comes back with ``awps_connection_id`` and
``awps_reconnection_token`` and no access token; when the connection is gone, or the token is
not its own, the WebSocket opens and closes at once with 1008, which tells the client to
start a new connection (azure-webpubsub protocols/client/client-spec.md 1.4).

Requests are carried out in the order they arrive, each (its event handler call included)
before the next frame is read. A request with an ``ackId`` is acknowledged; the same ``ackId``
again on the connection is not carried out twice but acked ``Duplicate`` (client-spec.md 3.1).
A frame that is not a request closes the connection: 1003 for a binary frame, 1007 for text
that is not one of the subprotocol's requests, as Microsoft's preview emulator closes.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from devstack import json_limits
from devstack.emulator_core.errors import ApiError, ErrorCode
from devstack.emulator_core.request_checks import group_name, hub_name, token_errors_as_http
from devstack.emulator_core.tokens import RequestTarget, bearer_token
from devstack.webpubsub import protocol
from devstack.webpubsub.auth import ClientIdentity
from devstack.webpubsub.connection import Connection
from devstack.webpubsub.emulator import EMULATOR, WebPubSubEmulator
from devstack.webpubsub.payload import DATA_TYPES, Payload, PayloadError
from devstack.webpubsub.permissions import JOIN_LEAVE_GROUP, SEND_TO_GROUP
from devstack.webpubsub.upstream import SYSTEM, USER, Caller

__all__ = ["client_routes"]

_CONNECTION_ID = "awps_connection_id"
_RECONNECTION_TOKEN = "awps_reconnection_token"  # noqa: S105
#: Ack error names: only NotFound, Forbidden, Timeout, InternalServerError and Duplicate are
#: documented (reference-json-webpubsub-subprotocol.md, "Ack response").
_FORBIDDEN, _SERVER_ERROR, _DUPLICATE = "Forbidden", "InternalServerError", "Duplicate"


def client_routes() -> list[web.RouteDef]:
    return [
        web.get("/client/hubs/{hub}", client_socket, allow_head=False),
        web.get("/client/", client_socket, allow_head=False),
        web.get("/client", client_socket, allow_head=False),
    ]


async def client_socket(request: web.Request) -> web.StreamResponse:
    """Accept (or recover) one client's WebSocket and serve its requests until it closes."""
    emulator = request.app[EMULATOR]
    hub = hub_name(request.match_info.get("hub") or request.query.get("hub"))
    subprotocol = _subprotocol(request)
    if _CONNECTION_ID in request.query:
        return await _recover(request, emulator, hub, subprotocol)
    identity = _identity(emulator, request, hub)
    if subprotocol is None:
        raise ApiError(
            400,
            ErrorCode.INVALID_REQUEST,
            f"the emulator serves the subprotocols {', '.join(protocol.SUBPROTOCOLS)} only; "
            "simple WebSocket clients are not supported",
        )
    caller = Caller(secrets.token_urlsafe(16), hub, identity.user_id, subprotocol)
    answer = await emulator.upstream.post(
        caller, SYSTEM, "connect", _connect_body(request, identity), "application/json"
    )
    user, roles, groups = identity.user_id, list(identity.roles), list(identity.groups)
    if answer is not None:
        if not answer.ok:
            status = answer.status if 400 <= answer.status < 500 else 500
            raise ApiError(status, ErrorCode.UNAUTHORIZED, "the connect event handler refused")
        user, roles, groups = _connect_answer(answer.body, user, roles, groups)
    socket = await _opened(request, emulator, subprotocol)
    connection = emulator.open_connection(
        caller=Caller(caller.connection_id, hub, user, subprotocol),
        subprotocol=subprotocol,
        roles=roles,
        groups=groups,
    )
    connection.attach(socket, _transport(request))
    connection.events.notify("connected", b"{}")
    await _serve(socket, emulator, connection)
    return socket


async def _recover(
    request: web.Request, emulator: WebPubSubEmulator, hub: str, subprotocol: str | None
) -> web.WebSocketResponse:
    connection = emulator.recoverable(
        request.query[_CONNECTION_ID], request.query.get(_RECONNECTION_TOKEN, "")
    )
    socket = await _opened(request, emulator, subprotocol)
    if connection is None or connection.hub.lower() != hub.lower():
        await socket.close(code=WSCloseCode.POLICY_VIOLATION, message=b"Cannot recover")
        return socket
    connection.resume(socket, _transport(request))
    await _serve(socket, emulator, connection)
    return socket


async def _serve(
    socket: web.WebSocketResponse, emulator: WebPubSubEmulator, connection: Connection
) -> None:
    # After a refusal the reader keeps reading (and ignoring) until the socket closes: the
    # writer still has the disconnected message and the close code to send, and leaving the
    # loop would stop it first.
    try:
        async for message in socket:
            if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                break
            if connection.ended:
                continue
            if message.type is WSMsgType.BINARY:
                connection.close(
                    "Binary frames are not supported.", code=WSCloseCode.UNSUPPORTED_DATA
                )
                continue
            try:
                parsed = protocol.parse_request(message.data)
            except protocol.ProtocolError as error:
                connection.close(f"Invalid request: {error}", code=WSCloseCode.INVALID_TEXT)
                continue
            await _handle(emulator, connection, parsed)
    finally:
        # A close frame from the client sets a close code; a dropped socket leaves 1006.
        by_client = socket.close_code not in (None, WSCloseCode.ABNORMAL_CLOSURE)
        connection.socket_closed(socket, by_client=by_client)


async def _handle(
    emulator: WebPubSubEmulator, connection: Connection, request: protocol.ClientRequest
) -> None:
    if request.type == "ping":
        connection.reply(protocol.pong())
        return
    if request.type == "sequenceAck":
        connection.acknowledge(request.sequence_id or 0)
        return
    ack_id = request.ack_id
    if ack_id is not None and ack_id in connection.ack_ids:
        message = f"Message with ack-id: {ack_id} has been processed"
        connection.reply(protocol.ack(ack_id, _DUPLICATE, message))
        return
    if ack_id is not None:
        connection.ack_ids.add(ack_id)
    error = await _carry_out(emulator, connection, request)
    if ack_id is not None:
        connection.reply(protocol.ack(ack_id, *error) if error else protocol.ack(ack_id))


async def _carry_out(
    emulator: WebPubSubEmulator, connection: Connection, request: protocol.ClientRequest
) -> tuple[str, str] | None:
    """Carry out a request; the ack's error name and message if it failed."""
    if request.type == "event":
        return await _user_event(connection, request)
    group = request.group or ""
    try:
        group_name(group)
    except ApiError as error:
        # No documented name says "invalid"; no role can grant such a group, so Forbidden.
        return _FORBIDDEN, error.message
    registry = emulator.hub(connection.hub)
    if request.type == "sendToGroup":
        if not connection.permissions.has(SEND_TO_GROUP, group):
            return _FORBIDDEN, f"The connection has no permission to send to group {group}."
        assert request.payload is not None, "sendToGroup carries a payload"
        excluded = {connection.connection_id} if request.no_echo else set()
        emulator.send_to_group(
            connection.hub, group, request.payload, excluded, from_user=connection.user_id
        )
        return None
    if not connection.permissions.has(JOIN_LEAVE_GROUP, group):
        return _FORBIDDEN, f"The connection has no permission to join or leave group {group}."
    if request.type == "joinGroup":
        registry.add_to_group(group, connection.connection_id)
    else:
        registry.remove_from_group(group, connection.connection_id)
    return None


async def _user_event(
    connection: Connection, request: protocol.ClientRequest
) -> tuple[str, str] | None:
    """Send a user event upstream; a 200's body goes back to the client as a server message.
    A failed handler fails the ack and keeps the connection, as Microsoft's preview emulator
    does (the docs say the service drops the connection)."""
    assert request.payload is not None, "an event carries a payload"
    assert request.event, "an event has a name"
    body, content_type = request.payload.body()
    answer = await connection.events.send(USER, request.event, body, content_type)
    if answer is None:
        return None
    if not answer.ok:
        return _SERVER_ERROR, "Internal server error"
    if answer.status == 200 and answer.body:
        connection.deliver(
            protocol.server_message(_answer_payload(answer.body, answer.content_type))
        )
    return None


def _answer_payload(body: bytes, content_type: str) -> Payload:
    """An answer's data; a Content-Type that is none of the three is binary."""
    media_type = content_type.partition(";")[0].strip().lower()
    try:
        return Payload.from_body(
            body, media_type if media_type in DATA_TYPES else "application/octet-stream"
        )
    except PayloadError:
        return Payload.from_body(body, "application/octet-stream")


def _connect_body(request: web.Request, identity: ClientIdentity) -> bytes:
    """The ``connect`` event's body: claims, query, headers and subprotocols, each value a list."""
    claims: dict[str, list[str]] = {}
    for name, value in identity.claims.items():
        for item in value if isinstance(value, list) else [value]:
            claims.setdefault(name, []).append(item if isinstance(item, str) else json.dumps(item))
    query: dict[str, list[str]] = {}
    for name, value in request.query.items():
        query.setdefault(name, []).append(value)
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name, []).append(value)
    body: dict[str, Any] = {
        "claims": claims,
        "query": query,
        "headers": headers,
        "subprotocols": _offered(request),
        "clientCertificates": [],
    }
    return json.dumps(body).encode()


def _connect_answer(
    body: bytes, user: str | None, roles: list[str], groups: list[str]
) -> tuple[str | None, list[str], list[str]]:
    """What a 200 answer to ``connect`` changes: the user, more roles and groups."""
    if not body.strip():
        return user, roles, groups
    try:
        answer = json_limits.loads(body)
    except ValueError:
        raise ApiError(500, ErrorCode.INVALID_REQUEST, "the connect answer is not JSON") from None
    if not isinstance(answer, dict):
        return user, roles, groups
    new_user = answer.get("userId")
    return (
        new_user if isinstance(new_user, str) and new_user else user,
        roles + [role for role in answer.get("roles") or [] if isinstance(role, str)],
        groups + [group for group in answer.get("groups") or [] if isinstance(group, str)],
    )


async def _opened(
    request: web.Request, emulator: WebPubSubEmulator, subprotocol: str | None
) -> web.WebSocketResponse:
    settings = emulator.settings
    socket = web.WebSocketResponse(
        protocols=(subprotocol,) if subprotocol else (),
        compress=settings.compress,
        max_msg_size=settings.max_client_message_bytes,
        timeout=settings.close_grace,
        autoping=True,
    )
    await socket.prepare(request)
    return socket


def _offered(request: web.Request) -> list[str]:
    header = request.headers.get("Sec-WebSocket-Protocol", "")
    return [item.strip() for item in header.split(",") if item.strip()]


def _subprotocol(request: web.Request) -> str | None:
    return next((item for item in _offered(request) if item in protocol.SUBPROTOCOLS), None)


def _identity(emulator: WebPubSubEmulator, request: web.Request, hub: str) -> ClientIdentity:
    target = RequestTarget(request.scheme, request.host, request.raw_path, hub)
    with token_errors_as_http():
        return emulator.tokens.client_identity(bearer_token(request.headers, request.query), target)


def _transport(request: web.Request) -> asyncio.Transport:
    transport = request.transport
    assert transport is not None, "a prepared WebSocket has a transport"
    return transport
