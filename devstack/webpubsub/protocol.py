"""The JSON subprotocols, ``json.webpubsub.azure.v1`` and ``json.reliable.webpubsub.azure.v1``.

Clients send one JSON object per text frame (Azure docs includes/reference-json-requests.md;
azure-webpubsub protocols/json.webpubsub.azure.v1/webpubsub.v1.request.json): ``joinGroup``,
``leaveGroup``, ``sendToGroup``, ``event``, ``sequenceAck`` (reliable only) and ``ping``. The
service answers with ``ack``, ``message`` (from a group or the server), ``system``
(``connected``, ``disconnected``) and ``pong`` (webpubsub.v1.response.json). A reliable
client's messages carry a ``sequenceId``, spliced into the frame each connection gets, so a
message is encoded once however many connections receive it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from devstack import json_limits
from devstack.webpubsub.payload import Payload, PayloadError

__all__ = [
    "JSON",
    "RELIABLE_JSON",
    "SUBPROTOCOLS",
    "ClientRequest",
    "ProtocolError",
    "ack",
    "connected",
    "disconnected",
    "group_message",
    "parse_request",
    "pong",
    "sequenced",
    "server_message",
]

JSON = "json.webpubsub.azure.v1"
RELIABLE_JSON = "json.reliable.webpubsub.azure.v1"
SUBPROTOCOLS = (JSON, RELIABLE_JSON)
#: ackId and sequenceId are uint64.
_MAX_UINT64 = 2**64 - 1
_KINDS = frozenset({"joinGroup", "leaveGroup", "sendToGroup", "event", "sequenceAck", "ping"})
_PONG = b'{"type":"pong"}'


class ProtocolError(ValueError):
    """The client sent something the subprotocol does not allow; the service declines it."""


@dataclass(frozen=True)
class ClientRequest:
    """One request from a client, its fields checked."""

    type: str
    ack_id: int | None = None
    group: str | None = None
    event: str | None = None
    payload: Payload | None = None
    no_echo: bool = False
    sequence_id: int | None = None


def parse_request(text: str) -> ClientRequest:
    """The request in one text frame; ProtocolError if it is not one."""
    try:
        message = json_limits.loads(text)
    except ValueError as error:
        raise ProtocolError(f"the frame is not JSON: {error}") from None
    if not isinstance(message, dict) or message.get("type") not in _KINDS:
        raise ProtocolError(f"unknown message type {_type_of(message)!r}")
    kind = message["type"]
    try:
        return ClientRequest(
            type=kind,
            ack_id=_uint(message, "ackId", required=False),
            group=_string(message, "group")
            if kind in ("joinGroup", "leaveGroup", "sendToGroup")
            else None,
            event=_string(message, "event") if kind == "event" else None,
            payload=_payload(message) if kind in ("sendToGroup", "event") else None,
            no_echo=message.get("noEcho") is True,
            sequence_id=_uint(message, "sequenceId", required=True)
            if kind == "sequenceAck"
            else None,
        )
    except PayloadError as error:
        raise ProtocolError(str(error)) from None


def ack(ack_id: int, error: str | None = None, message: str = "") -> bytes:
    """``{"type":"ack","ackId":n,"success":...}``, with ``error`` ``{name, message}`` if any."""
    body: dict[str, Any] = {"type": "ack", "ackId": ack_id, "success": error is None}
    if error is not None:
        body["error"] = {"name": error, "message": message}
    return _encoded(body)


def group_message(group: str, payload: Payload, from_user: str | None) -> bytes:
    """A message from a group; ``fromUserId`` names the publishing client's user, if any."""
    body: dict[str, Any] = {
        "type": "message",
        "from": "group",
        "group": group,
        "dataType": payload.data_type,
        "data": payload.data,
    }
    if from_user is not None:
        body["fromUserId"] = from_user
    return _encoded(body)


def server_message(payload: Payload) -> bytes:
    """A message from the server (REST sends, event handler answers)."""
    return _encoded(
        {"type": "message", "from": "server", "dataType": payload.data_type, "data": payload.data}
    )


def sequenced(frame: bytes, sequence_id: int) -> bytes:
    """``frame`` (a JSON object) with ``"sequenceId"`` first, for a reliable client."""
    return b'{"sequenceId":%d,%s' % (sequence_id, frame[1:])


def connected(user_id: str | None, connection_id: str, reconnection_token: str | None) -> bytes:
    """The first message of a connection; a reliable one carries its reconnection token."""
    body: dict[str, Any] = {
        "type": "system",
        "event": "connected",
        "userId": user_id,
        "connectionId": connection_id,
    }
    if reconnection_token is not None:
        body["reconnectionToken"] = reconnection_token
    return _encoded(body)


def disconnected(reason: str) -> bytes:
    """Sent before the service closes a connection, with why."""
    return _encoded({"type": "system", "event": "disconnected", "message": reason})


def pong() -> bytes:
    """The answer to ``ping``."""
    return _PONG


def _encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _type_of(message: object) -> object:
    return message.get("type") if isinstance(message, dict) else type(message).__name__


def _string(message: dict[str, Any], name: str) -> str:
    value = message.get(name)
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"{message['type']} needs a non-empty string {name!r}")
    return value


def _uint(message: dict[str, Any], name: str, *, required: bool) -> int | None:
    value = message.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_UINT64:
        raise ProtocolError(f"{name} must be an unsigned 64-bit integer")
    return value


def _payload(message: dict[str, Any]) -> Payload:
    if "data" not in message:
        raise ProtocolError(f"{message['type']} needs data")
    data_type = message.get("dataType")
    if data_type is not None and not isinstance(data_type, str):
        raise ProtocolError("dataType must be a string")
    return Payload.from_client(data_type, message["data"])
