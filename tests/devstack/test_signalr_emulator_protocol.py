"""The emulator's hub protocols and handshake: exact bytes out, incremental decoding in."""

from __future__ import annotations

import json

import msgpack
import pytest

from devstack.signalr.handshake import handshake_error, handshake_ok, read_handshake
from devstack.signalr.protocol import (
    PROTOCOLS,
    ClientMessage,
    JsonHubProtocol,
    MessagePackHubProtocol,
    MessageType,
    ProtocolError,
)

JSON = JsonHubProtocol()
MSGPACK = MessagePackHubProtocol()
LIMIT = 1024 * 1024


def json_records(frame: bytes) -> list[dict[str, object]]:
    assert frame.endswith(b"\x1e")
    return [json.loads(record) for record in frame.split(b"\x1e")[:-1]]


def msgpack_frame(message: object) -> bytes:
    payload: bytes = msgpack.packb(message)
    assert len(payload) < 128, "these tests use one-byte length prefixes"
    return bytes([len(payload)]) + payload


def test_json_server_messages_are_the_documented_objects() -> None:
    assert json_records(JSON.invocation("news", [1, {"a": "é"}])) == [
        {"type": 1, "target": "news", "arguments": [1, {"a": "é"}]}
    ]
    assert json_records(JSON.ping()) == [{"type": 6}]
    assert json_records(JSON.close(None, allow_reconnect=False)) == [{"type": 7}]
    assert json_records(JSON.close("bye", allow_reconnect=True)) == [
        {"type": 7, "error": "bye", "allowReconnect": True}
    ]
    assert json_records(JSON.ack(4)) == [{"type": 8, "sequenceId": 4}]
    assert json_records(JSON.sequence(5)) == [{"type": 9, "sequenceId": 5}]


def test_json_frames_keep_non_ascii_text_as_utf8() -> None:
    assert "é€".encode() in JSON.invocation("t", ["é€"])


def test_messagepack_server_messages_are_length_prefixed_arrays() -> None:
    frame = MSGPACK.invocation("news", [1, "x"])
    assert frame[0] == len(frame) - 1
    assert msgpack.unpackb(frame[1:]) == [1, {}, None, "news", [1, "x"], []]
    assert msgpack.unpackb(MSGPACK.ping()[1:]) == [6]
    assert msgpack.unpackb(MSGPACK.close("bye", allow_reconnect=True)[1:]) == [7, "bye", True]
    assert msgpack.unpackb(MSGPACK.close(None, allow_reconnect=False)[1:]) == [7, None, False]
    assert msgpack.unpackb(MSGPACK.ack(4)[1:]) == [8, 4]
    assert msgpack.unpackb(MSGPACK.sequence(5)[1:]) == [9, 5]


def test_messagepack_length_prefix_is_a_varint_for_long_messages() -> None:
    frame = MSGPACK.invocation("t", ["x" * 300])
    payload_length = len(msgpack.packb([1, {}, None, "t", ["x" * 300], []]))
    assert frame[0] & 0x80
    assert not frame[1] & 0x80
    assert (frame[0] & 0x7F) | (frame[1] << 7) == payload_length
    assert MSGPACK.decoder(LIMIT).feed(MSGPACK.invocation("t", ["x" * 300]))[0].target == "t"


def test_json_decoder_reads_every_message_and_keeps_a_partial_one() -> None:
    decoder = JSON.decoder(LIMIT)
    stream = (
        b'{"type":6}\x1e{"type":1,"invocationId":"1","target":"send","arguments":[]}\x1e'
        b'{"type":8,"sequenceId":3}\x1e'
    )
    assert decoder.feed(stream[:15]) == [ClientMessage(type=6)]
    assert decoder.feed(stream[15:40]) == []
    assert decoder.feed(stream[40:]) == [
        ClientMessage(type=1, invocation_id="1", target="send"),
        ClientMessage(type=8, sequence_id=3),
    ]


def test_messagepack_decoder_reads_every_message_and_keeps_a_partial_one() -> None:
    decoder = MSGPACK.decoder(LIMIT)
    stream = (
        msgpack_frame([6])
        + msgpack_frame([1, {}, "2", "send", ["x"], []])
        + msgpack_frame([9, 1])
        + msgpack_frame([7, None])
    )
    messages = [
        message for byte in range(len(stream)) for message in decoder.feed(stream[byte : byte + 1])
    ]
    assert messages == [
        ClientMessage(type=6),
        ClientMessage(type=1, invocation_id="2", target="send"),
        ClientMessage(type=9, sequence_id=1),
        ClientMessage(type=7),
    ]


@pytest.mark.parametrize(
    ("message", "invocation", "sequenced"),
    [
        (ClientMessage(type=MessageType.INVOCATION, invocation_id="1", target="t"), True, True),
        (ClientMessage(type=MessageType.INVOCATION, target="t"), True, True),
        (ClientMessage(type=MessageType.STREAM_INVOCATION, invocation_id="2"), True, True),
        (ClientMessage(type=MessageType.COMPLETION, invocation_id="3"), False, True),
        (ClientMessage(type=MessageType.PING), False, False),
        (ClientMessage(type=MessageType.ACK, sequence_id=1), False, False),
    ],
)
def test_which_client_messages_invoke_the_hub_and_are_counted(
    message: ClientMessage, invocation: bool, sequenced: bool
) -> None:
    assert message.is_invocation is invocation
    assert message.is_sequenced is sequenced


@pytest.mark.parametrize(
    ("protocol", "start"),
    [(JSON, b'{"type":1,"target":"t","arguments":["'), (MSGPACK, b"\xff\xff\x7f\x96")],
)
def test_a_message_still_waiting_for_its_end_is_refused_past_the_limit_as_in_hub_connection_handler(
    protocol: JsonHubProtocol | MessagePackHubProtocol, start: bytes
) -> None:
    """dotnet/aspnetcore src/SignalR/server/Core/src/HubConnectionHandler.cs: a message over
    MaximumReceiveMessageSize fails the connection with this error."""
    decoder = protocol.decoder(64)
    assert decoder.feed(start) == []
    decoder.feed(b"x" * (64 - len(start)))

    with pytest.raises(ProtocolError, match="The maximum message size of 64B was exceeded"):
        decoder.feed(b"x")


def test_complete_messages_of_any_number_pass_the_limit() -> None:
    decoder = JSON.decoder(16)
    assert len(decoder.feed(b'{"type":6}\x1e' * 100)) == 100


@pytest.mark.parametrize(
    "record", [b"not json\x1e", b"[1,2]\x1e", b'{"type":"1"}\x1e', b'{"target":"x"}\x1e']
)
def test_json_decoder_refuses_what_is_not_a_hub_message(record: bytes) -> None:
    with pytest.raises(ProtocolError):
        JSON.decoder(LIMIT).feed(record)


@pytest.mark.parametrize(
    "data",
    [b"\x02\xc1\xc1", msgpack_frame({"type": 1}), msgpack_frame([]), msgpack_frame(["1"])],
)
def test_messagepack_decoder_refuses_what_is_not_a_hub_message(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        MSGPACK.decoder(LIMIT).feed(data)


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ([1, {}, None, "t", "x"], "Reading 'arguments' as Array failed."),
        ([1, {}, None, 7, []], "Reading 'target' as String failed."),
        ([1, {}, 5, "t", []], "Reading 'invocationId' as String failed."),
        ([1, {}, None, "t"], "Reading 'arguments' as Array failed."),
    ],
)
def test_messagepack_invocations_must_have_the_fields_aspnetcore_reads(
    message: list[object], error: str
) -> None:
    """dotnet/aspnetcore MessagePackHubProtocolWorker.CreateInvocationMessage."""
    with pytest.raises(ProtocolError, match=error.replace(".", r"\.")):
        MSGPACK.decoder(LIMIT).feed(msgpack_frame(message))


def test_messagepack_nested_past_the_untrusted_data_limit_is_refused() -> None:
    """MessagePackSecurity.UntrustedData: MaximumObjectGraphDepth 500."""
    payload = b"\x95\x01\x80\xc0\xa1t" + b"\x91" * 600 + b"\x90"
    length = len(payload)
    prefix = bytes([(length & 0x7F) | 0x80, length >> 7])
    with pytest.raises(ProtocolError, match="nested deeper"):
        MSGPACK.decoder(LIMIT).feed(prefix + payload)


def test_messagepack_decoder_refuses_a_length_prefix_over_five_bytes() -> None:
    with pytest.raises(ProtocolError, match="five bytes"):
        MSGPACK.decoder(LIMIT).feed(b"\xff\xff\xff\xff\xff\x01")


def test_handshake_names_the_protocol_and_returns_what_follows() -> None:
    handshake, rest = read_handshake(b'{"protocol":"messagepack","version":2}\x1e\x01\x91\x06') or (
        None,
        b"",
    )
    assert handshake is not None
    assert handshake.protocol is PROTOCOLS["messagepack"]
    assert handshake.supports_stateful_reconnect
    assert rest == b"\x01\x91\x06"


def test_handshake_version_one_has_no_stateful_reconnect() -> None:
    parsed = read_handshake(b'{"protocol":"json","version":1}\x1e')
    assert parsed is not None
    assert not parsed[0].supports_stateful_reconnect


def test_handshake_waits_for_its_separator() -> None:
    assert read_handshake(b'{"protocol":"json",') is None


@pytest.mark.parametrize(
    ("request_bytes", "error"),
    [
        (b'{"protocol":"xml","version":1}\x1e', "The protocol 'xml' is not supported."),
        (
            b'{"protocol":"json","version":3}\x1e',
            "The server does not support version 3 of the 'json' protocol.",
        ),
        (b'{"protocol":"json"}\x1e', "needs a string 'protocol' and an integer 'version'"),
        (b"{oops}\x1e", "not valid JSON"),
        (b"[]\x1e", "must be a JSON object"),
        (b"x" * 5000, "too long"),
    ],
)
def test_handshake_refusals_say_why(request_bytes: bytes, error: str) -> None:
    with pytest.raises(ProtocolError, match=error.replace("(", r"\(").replace(".", r"\.")):
        read_handshake(request_bytes)


def test_handshake_replies() -> None:
    assert handshake_ok() == b"{}\x1e"
    assert json.loads(handshake_error("nope")[:-1]) == {"error": "nope"}
