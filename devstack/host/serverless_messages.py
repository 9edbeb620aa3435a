"""The bodies of upstream requests, read as the SignalR extension reads them.

JSON (azure-sdk-for-net .../Microsoft.Azure.SignalR.Serverless.Protocols/
JsonServerlessProtocol.cs): an object whose ``type`` (any case) is 1 (an invocation:
``invocationId``, ``target``, ``arguments``), 10 (connection opened) or 11 (closed, with
``error``); property names match ignoring case, as Newtonsoft's ``ToObject`` matches them.
MessagePack (MessagePackServerlessProtocol.cs): only invocations, as the hub protocol's array
``[1, headers, invocationId, target, arguments, ...]``. Anything else, nesting past the
readers' depth limits included (:mod:`devstack.json_limits`), is "Parsing message failed".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgpack

from devstack import json_limits

__all__ = [
    "CLOSE_CONNECTION",
    "INVOCATION",
    "JSON",
    "MESSAGEPACK",
    "OPEN_CONNECTION",
    "MessageParseError",
    "ServerlessMessage",
    "parse_message",
]

JSON, MESSAGEPACK = "application/json", "application/x-msgpack"
INVOCATION, OPEN_CONNECTION, CLOSE_CONNECTION = 1, 10, 11


class MessageParseError(ValueError):
    """The body is not a message the extension reads."""

    def __init__(self) -> None:
        super().__init__("Parsing message failed")


@dataclass(frozen=True)
class ServerlessMessage:
    """One upstream body."""

    type: int
    invocation_id: str | None = None
    target: str | None = None
    arguments: list[Any] | None = None
    error: str | None = None


def parse_message(body: bytes, media_type: str) -> ServerlessMessage:
    """The message in ``body`` of ``media_type`` (JSON or MessagePack)."""
    try:
        return _from_json(body) if media_type == JSON else _from_msgpack(body)
    except (ValueError, TypeError, IndexError, msgpack.UnpackException):
        raise MessageParseError() from None


def _from_json(body: bytes) -> ServerlessMessage:
    document = json_limits.loads(body)
    if not isinstance(document, dict):
        raise ValueError("not an object")
    fields = {name.lower(): value for name, value in document.items()}
    kind = fields.get("type")
    if isinstance(kind, bool) or not isinstance(kind, int):
        raise ValueError("no type")
    if kind == INVOCATION:
        arguments = fields.get("arguments")
        if arguments is not None and not isinstance(arguments, list):
            raise ValueError("arguments is not an array")
        return ServerlessMessage(
            kind, _text(fields.get("invocationid")), _text(fields.get("target")), arguments
        )
    if kind == OPEN_CONNECTION:
        return ServerlessMessage(kind)
    if kind == CLOSE_CONNECTION:
        return ServerlessMessage(kind, error=_text(fields.get("error")))
    raise ValueError("unknown type")


def _from_msgpack(body: bytes) -> ServerlessMessage:
    message = json_limits.check_depth(
        msgpack.unpackb(body, raw=False, strict_map_key=False), json_limits.MESSAGEPACK_MAX_DEPTH
    )
    if not isinstance(message, list) or message[0] != INVOCATION:
        raise ValueError("only invocations travel as MessagePack")
    _, headers, invocation_id, target, arguments = message[:5]
    if not isinstance(headers, dict) or not isinstance(arguments, list):
        raise ValueError("not an invocation")
    if not isinstance(target, str) or not isinstance(invocation_id, str | None):
        raise ValueError("not an invocation")
    return ServerlessMessage(INVOCATION, invocation_id, target, arguments)


def _text(value: Any) -> str | None:
    """A string property; Newtonsoft turns a number into its text, and so does this."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        raise ValueError("not a string")
    return json.dumps(value)
