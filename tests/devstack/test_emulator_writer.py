"""The shared socket writer: a burst of messages that are each their own WebSocket frame
leaves in one transport write and arrives as separate messages, in order."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import WSMsgType

from devstack.emulator_core.running import endpoint_url
from devstack.emulator_core.writer import websocket_frame
from devstack.webpubsub import WebPubSubEmulator, serve
from devstack.webpubsub.auth import client_url
from devstack.webpubsub.payload import Payload
from devstack.webpubsub.protocol import JSON


@pytest.mark.parametrize(
    ("size", "header"),
    [
        (0, b"\x81\x00"),
        (125, b"\x81\x7d"),
        (126, b"\x81\x7e\x00\x7e"),
        (65535, b"\x81\x7e\xff\xff"),
        (65536, b"\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00"),
    ],
)
def test_websocket_frame_is_final_unmasked_with_the_shortest_length(
    size: int, header: bytes
) -> None:
    payload = b"x" * size
    assert websocket_frame(payload, WSMsgType.TEXT) == header + payload


async def test_a_burst_of_web_pubsub_messages_arrives_as_one_message_each_in_order() -> None:
    emulator = WebPubSubEmulator()
    async with serve(emulator) as port:
        endpoint = endpoint_url("127.0.0.1", port)
        audience = client_url("http", endpoint.removeprefix("http://"), "hub")
        token = emulator.tokens.client_token(audience, "u", [], ["g"], 5)
        url = f"{endpoint}/client/hubs/hub?access_token={token}"
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(url, protocols=[JSON]) as socket,
        ):
            assert json.loads(await socket.receive_str(timeout=5))["event"] == "connected"
            # Sent in one turn of the loop, so the writer takes them as one burst; the
            # largest needs a 64-bit length.
            sizes = [1, 200, 70_000, *range(2, 50)]
            for size in sizes:
                emulator.send_to_group("hub", "g", Payload("text", "x" * size))
            received = [json.loads(await socket.receive_str(timeout=5)) for _ in sizes]
            assert [len(message["data"]) for message in received] == sizes
            await asyncio.sleep(0.05)
            assert socket.closed is False
