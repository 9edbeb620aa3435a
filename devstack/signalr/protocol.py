"""The SignalR hub protocols as the service speaks them: JSON and MessagePack.

The server writes a handful of message kinds (invocations, error completions, pings, close,
and the ack/sequence pair of stateful reconnect) and reads whatever a client sends. Only the
fields the service acts on are decoded; everything else a client may send is accepted and
ignored, as the official server does for message types it does not know.

Framing: JSON messages end with the record separator 0x1e; MessagePack messages carry a
varint length prefix. Either way several messages may share one WebSocket frame and one
message may span frames, so decoding is incremental.
"""

from __future__ import annotations

import base64
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, ClassVar

import msgpack

from devstack import json_limits

__all__ = [
    "PROTOCOLS",
    "RECORD_SEPARATOR",
    "ClientMessage",
    "HubProtocol",
    "JsonHubProtocol",
    "MessageDecoder",
    "MessagePackHubProtocol",
    "MessageType",
    "ProtocolError",
    "bytes_as_base64",
]

RECORD_SEPARATOR = b"\x1e"
#: The result kinds of a MessagePack completion (dotnet/aspnetcore
#: src/SignalR/docs/specs/HubProtocol.md, "Completion Message Encoding").
_ERROR_RESULT, _VOID_RESULT, _NON_VOID_RESULT = 1, 2, 3
#: A varint length prefix never needs more than five bytes (messages are under 2 GB).
_MAX_VARINT_BYTES = 5


class ProtocolError(ValueError):
    """The client sent bytes its protocol does not allow; the message says what."""


class MessageType(IntEnum):
    """Hub message types, numbered as on the wire."""

    INVOCATION = 1
    STREAM_ITEM = 2
    COMPLETION = 3
    STREAM_INVOCATION = 4
    CANCEL_INVOCATION = 5
    PING = 6
    CLOSE = 7
    ACK = 8
    SEQUENCE = 9


#: Messages that stateful reconnect numbers and may resend; pings, close, ack and sequence
#: are not.
SEQUENCED_TYPES = frozenset(
    {
        MessageType.INVOCATION,
        MessageType.STREAM_ITEM,
        MessageType.COMPLETION,
        MessageType.STREAM_INVOCATION,
        MessageType.CANCEL_INVOCATION,
    }
)


@dataclass(frozen=True)
class ClientMessage:
    """What the service needs to know about one message from a client."""

    type: int
    invocation_id: str | None = None
    target: str | None = None
    sequence_id: int | None = None
    #: The message as the client encoded it, without its framing: what upstream receives.
    payload: bytes = field(default=b"", compare=False, repr=False)

    @property
    def is_sequenced(self) -> bool:
        """Whether stateful reconnect counts this message."""
        return self.type in SEQUENCED_TYPES

    @property
    def is_invocation(self) -> bool:
        """The client invokes a hub method (blocking when it has an invocation id)."""
        return self.type in (MessageType.INVOCATION, MessageType.STREAM_INVOCATION)

    @property
    def goes_upstream(self) -> bool:
        """Only plain invocations travel upstream; the service drops stream invocations
        (azure-signalr Emulator/HubEmulator/HubProxyHandler.cs forwards InvocationMessage)."""
        return self.type == MessageType.INVOCATION and self.target is not None


class MessageDecoder(ABC):
    """Turns a client's byte stream into messages, keeping a partial message for later.

    A partial message is kept up to ``max_message_bytes``: past that, one still waiting for its
    terminator (or the rest of its declared length) is refused, as ASP.NET Core's hub server
    refuses a message over MaximumReceiveMessageSize (dotnet/aspnetcore
    src/SignalR/server/Core/src/HubConnectionHandler.cs). Without the cap a client could
    make the service buffer without end.
    """

    def __init__(self, max_message_bytes: int) -> None:
        self._pending = b""
        self._max_message_bytes = max_message_bytes

    def feed(self, data: bytes) -> list[ClientMessage]:
        """Decode every complete message in what arrived so far."""
        buffer = self._pending + data if self._pending else data
        messages, consumed = self._split(buffer)
        self._pending = buffer[consumed:]
        if len(self._pending) > self._max_message_bytes:
            raise ProtocolError(
                f"The maximum message size of {self._max_message_bytes}B was exceeded."
            )
        return messages

    @abstractmethod
    def _split(self, buffer: bytes) -> tuple[list[ClientMessage], int]:
        """The complete messages at the start of ``buffer`` and how many bytes they used."""


class HubProtocol(ABC):
    """One hub protocol: how the service encodes what it sends and decodes what it reads."""

    name: ClassVar[str]
    #: Binary protocols travel in binary WebSocket frames, text ones in text frames.
    binary: ClassVar[bool]
    #: How an upstream request names a body in this protocol.
    content_type: ClassVar[str]

    @abstractmethod
    def invocation(self, target: str, arguments: Sequence[Any]) -> bytes:
        """A non-blocking invocation of ``target`` on the client."""

    @abstractmethod
    def completion(self, invocation_id: str, *, error: str | None = None) -> bytes:
        """The end of a blocking invocation: without a result, or failed with ``error``."""

    @abstractmethod
    def result(self, invocation_id: str, value: Any) -> bytes:
        """The end of a blocking invocation with ``value`` as its result (``bytes`` travel
        as base64 in JSON, as .NET serializes a ``byte[]``)."""

    @abstractmethod
    def ping(self) -> bytes:
        """A keep-alive."""

    @abstractmethod
    def close(self, error: str | None, allow_reconnect: bool) -> bytes:
        """The last message before the service closes the connection."""

    @abstractmethod
    def ack(self, sequence_id: int) -> bytes:
        """Stateful reconnect: every client message up to ``sequence_id`` arrived."""

    @abstractmethod
    def sequence(self, sequence_id: int) -> bytes:
        """Stateful reconnect: the next sequenced message is number ``sequence_id``."""

    @abstractmethod
    def decoder(self, max_message_bytes: int) -> MessageDecoder:
        """A fresh decoder for one connection's incoming stream; see :class:`MessageDecoder`."""


class JsonHubProtocol(HubProtocol):
    """The ``json`` protocol: one JSON object per message, each ending with 0x1e."""

    name = "json"
    binary = False
    content_type = "application/json"

    def invocation(self, target: str, arguments: Sequence[Any]) -> bytes:
        return _json_frame(
            {"type": MessageType.INVOCATION, "target": target, "arguments": arguments}
        )

    def completion(self, invocation_id: str, *, error: str | None = None) -> bytes:
        message: dict[str, Any] = {"type": MessageType.COMPLETION, "invocationId": invocation_id}
        if error is not None:
            message["error"] = error
        return _json_frame(message)

    def result(self, invocation_id: str, value: Any) -> bytes:
        return _json_frame(
            {"type": MessageType.COMPLETION, "invocationId": invocation_id, "result": value}
        )

    def ping(self) -> bytes:
        return _json_frame({"type": MessageType.PING})

    def close(self, error: str | None, allow_reconnect: bool) -> bytes:
        message: dict[str, Any] = {"type": MessageType.CLOSE}
        if error:
            message["error"] = error
        if allow_reconnect:
            message["allowReconnect"] = True
        return _json_frame(message)

    def ack(self, sequence_id: int) -> bytes:
        return _json_frame({"type": MessageType.ACK, "sequenceId": sequence_id})

    def sequence(self, sequence_id: int) -> bytes:
        return _json_frame({"type": MessageType.SEQUENCE, "sequenceId": sequence_id})

    def decoder(self, max_message_bytes: int) -> MessageDecoder:
        return _JsonDecoder(max_message_bytes)


class MessagePackHubProtocol(HubProtocol):
    """The ``messagepack`` protocol: one MessagePack array per message, length-prefixed."""

    name = "messagepack"
    binary = True
    content_type = "application/x-msgpack"

    def invocation(self, target: str, arguments: Sequence[Any]) -> bytes:
        return _msgpack_frame([MessageType.INVOCATION, {}, None, target, arguments, []])

    def completion(self, invocation_id: str, *, error: str | None = None) -> bytes:
        if error is None:
            return _msgpack_frame([MessageType.COMPLETION, {}, invocation_id, _VOID_RESULT])
        return _msgpack_frame([MessageType.COMPLETION, {}, invocation_id, _ERROR_RESULT, error])

    def result(self, invocation_id: str, value: Any) -> bytes:
        return _msgpack_frame([MessageType.COMPLETION, {}, invocation_id, _NON_VOID_RESULT, value])

    def ping(self) -> bytes:
        return _msgpack_frame([MessageType.PING])

    def close(self, error: str | None, allow_reconnect: bool) -> bytes:
        return _msgpack_frame([MessageType.CLOSE, error or None, allow_reconnect])

    def ack(self, sequence_id: int) -> bytes:
        return _msgpack_frame([MessageType.ACK, sequence_id])

    def sequence(self, sequence_id: int) -> bytes:
        return _msgpack_frame([MessageType.SEQUENCE, sequence_id])

    def decoder(self, max_message_bytes: int) -> MessageDecoder:
        return _MessagePackDecoder(max_message_bytes)


#: The protocols a client may name in its handshake.
PROTOCOLS: dict[str, HubProtocol] = {
    protocol.name: protocol for protocol in (JsonHubProtocol(), MessagePackHubProtocol())
}


def _json_frame(message: dict[str, Any]) -> bytes:
    text = json.dumps(message, separators=(",", ":"), ensure_ascii=False, default=bytes_as_base64)
    return text.encode() + RECORD_SEPARATOR


def bytes_as_base64(value: object) -> str:
    """``json.dumps``'s ``default``: bytes as base64 text, as .NET writes a ``byte[]``."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _msgpack_frame(message: list[Any]) -> bytes:
    payload: bytes = msgpack.packb(message)
    return _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


class _JsonDecoder(MessageDecoder):
    def _split(self, buffer: bytes) -> tuple[list[ClientMessage], int]:
        end = buffer.rfind(RECORD_SEPARATOR)
        if end < 0:
            return [], 0
        records = buffer[:end].split(RECORD_SEPARATOR)
        return [_from_json(record) for record in records], end + 1


def _from_json(record: bytes) -> ClientMessage:
    try:
        message = json_limits.loads(record)
    except ValueError as error:
        raise ProtocolError(f"a message is not valid JSON: {error}") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), int):
        raise ProtocolError("a JSON hub message must be an object with an integer 'type'")
    if message["type"] in _INVOCATION_TYPES:
        _check_json_invocation(message)
    return ClientMessage(
        type=message["type"],
        invocation_id=_text_or_none(message.get("invocationId")),
        target=_text_or_none(message.get("target")),
        sequence_id=_int_or_none(message.get("sequenceId")),
        payload=record,
    )


#: The messages a hub protocol reads as a call: an invocation's fields are checked.
_INVOCATION_TYPES = frozenset({MessageType.INVOCATION, MessageType.STREAM_INVOCATION})


def _check_json_invocation(message: dict[str, Any]) -> None:
    """Refuse an invocation the service's JSON hub protocol cannot read, with its words
    (dotnet/aspnetcore src/SignalR/common/Protocols.Json/src/Protocol/JsonHubProtocol.cs
    ParseMessage and BindInvocationMessage throw InvalidDataException, and the connection
    closes with that error): ``invocationId`` and ``target`` strings, ``arguments`` an array.
    Without this, ``"arguments": "x"`` travelled upstream and failed in the app's webhook."""
    for name in ("invocationId", "target"):
        if message.get(name) is not None and not isinstance(message[name], str):
            raise ProtocolError(f"Expected '{name}' to be of type String.")
    if "arguments" in message and not isinstance(message["arguments"], list):
        raise ProtocolError("Expected 'arguments' to be of type Array.")
    if not message.get("target"):
        raise ProtocolError("Missing required property 'target'.")
    if "arguments" not in message:
        raise ProtocolError("Missing required property 'arguments'.")


#: An invocation's fields after its type: name, Python type, and what the reader expects.
_MSGPACK_INVOCATION_FIELDS: tuple[tuple[str, Any, str], ...] = (
    ("headers", dict, "Map"),
    ("invocationId", str | None, "String"),
    ("target", str, "String"),
    ("arguments", list, "Array"),
)


def _check_msgpack_invocation(message: list[Any]) -> None:
    """Refuse an invocation the MessagePack hub protocol cannot read (dotnet/aspnetcore
    src/SignalR/common/Protocols.MessagePack/src/Protocol/MessagePackHubProtocolWorker.cs
    CreateInvocationMessage: ``[type, headers, invocationId, target, arguments, ...]``, each
    read as its type or "Reading '<field>' as <type> failed.")."""
    for index, (name, kind, wire) in enumerate(_MSGPACK_INVOCATION_FIELDS, start=1):
        if index >= len(message) or not isinstance(message[index], kind):
            raise ProtocolError(f"Reading '{name}' as {wire} failed.")


class _MessagePackDecoder(MessageDecoder):
    def _split(self, buffer: bytes) -> tuple[list[ClientMessage], int]:
        messages: list[ClientMessage] = []
        offset = 0
        while (found := _read_varint(buffer, offset)) is not None:
            length, start = found
            if start + length > len(buffer):
                break
            messages.append(_from_msgpack(buffer[start : start + length]))
            offset = start + length
        return messages, offset


def _read_varint(buffer: bytes, offset: int) -> tuple[int, int] | None:
    """The length prefix at ``offset`` and where its message starts, or None if incomplete."""
    value = 0
    for index in range(_MAX_VARINT_BYTES):
        if offset + index >= len(buffer):
            return None
        byte = buffer[offset + index]
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            return value, offset + index + 1
    raise ProtocolError("a MessagePack length prefix is longer than five bytes")


def _from_msgpack(payload: bytes) -> ClientMessage:
    try:
        message = json_limits.check_depth(
            msgpack.unpackb(payload), json_limits.MESSAGEPACK_MAX_DEPTH
        )
    except (ValueError, msgpack.UnpackException) as error:
        raise ProtocolError(f"a message is not valid MessagePack: {error}") from None
    if not isinstance(message, list) or not message or not isinstance(message[0], int):
        raise ProtocolError("a MessagePack hub message must be an array starting with its type")
    kind = message[0]
    if kind in _INVOCATION_TYPES:
        _check_msgpack_invocation(message)
    if kind in (MessageType.ACK, MessageType.SEQUENCE):
        return ClientMessage(type=kind, sequence_id=_int_or_none(_item(message, 1)))
    return ClientMessage(
        type=kind,
        invocation_id=_text_or_none(_item(message, 2)),
        target=_text_or_none(_item(message, 3)),
        payload=payload,
    )


def _item(message: list[Any], index: int) -> Any:
    return message[index] if index < len(message) else None


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
