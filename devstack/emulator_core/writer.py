"""One socket's writer: a task that drains the connection's :class:`Outbox` into it.

Every connection writes through its own writer, so a broadcast only appends to queues and
never waits for a socket: a slow or dead client delays nobody else, and one writer per socket
keeps that connection's messages in order. A burst taken at once leaves as one WebSocket frame
where the protocol frames its own messages (SignalR's record separators and length prefixes)
and as one frame per message where the frame is the message (Web PubSub's JSON). When the
outbox is finished and drained the writer closes the socket with the close code it was given.

A burst of frames goes to the transport in one write: each write to an idle transport is a
socket send, which costs far more than encoding the frame (measured: fanning Web PubSub group
messages out to 100 clients spent two thirds of the emulator's time in one send per frame).
Such bursts are encoded here (uncompressed server frames: FIN, opcode, length, no mask); the
writer then waits, looking every 5 ms, while the transport holds more than a frame's worth,
so a slow client's backlog stays in its bounded outbox as with aiohttp's own writes.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time

from aiohttp import WSCloseCode, WSMsgType, web

from devstack.emulator_core.outbox import Outbox

__all__ = ["SocketWriter", "websocket_frame"]

log = logging.getLogger("devstack.emulator")

#: How often a writer whose transport is full looks whether it has drained.
_DRAIN_POLL_SECONDS = 0.005


def websocket_frame(payload: bytes, opcode: int) -> bytes:
    """One final, unmasked (server to client), uncompressed WebSocket frame (RFC 6455 5.2)."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


class SocketWriter:
    """Writes one outbox to one socket until either ends."""

    def __init__(
        self,
        socket: web.WebSocketResponse,
        transport: asyncio.Transport,
        outbox: Outbox,
        *,
        binary: bool,
        max_frame_bytes: int,
        coalesce: bool = True,
    ) -> None:
        self.outbox = outbox
        #: When a frame last left (or the writer started): keep-alive reads it.
        self.last_sent = time.monotonic()
        self._socket = socket
        self._transport = transport
        self._opcode = WSMsgType.BINARY if binary else WSMsgType.TEXT
        self._max_frame_bytes = max_frame_bytes
        self._coalesce = coalesce
        self._close_code: int = WSCloseCode.OK
        self._task = asyncio.create_task(self._write())

    def writes_to(self, socket: web.WebSocketResponse) -> bool:
        """Whether this writer's socket is ``socket``."""
        return socket is self._socket

    def put(self, frame: bytes) -> bool:
        """Queue ``frame``; False if the outbox is full."""
        return self.outbox.put(frame)

    def finish(
        self, last_frame: bytes, *, discard_queued: bool, code: int = WSCloseCode.OK
    ) -> None:
        """Write ``last_frame`` after what is queued (or instead of it), then close with
        ``code``."""
        self._close_code = code
        self.outbox.finish(last_frame, discard_queued=discard_queued)

    def stop(self) -> None:
        """Stop writing; the socket is left as it is."""
        self._task.cancel()

    def cut(self) -> None:
        """Abort the socket's transport: its reader and this writer both end now."""
        self._transport.abort()
        self.stop()

    async def _write(self) -> None:
        try:
            while batch := await self.outbox.take(self._max_frame_bytes):
                if len(batch) == 1:
                    await self._socket.send_frame(batch[0], self._opcode)
                elif self._coalesce:
                    await self._socket.send_frame(b"".join(batch), self._opcode)
                elif self._socket.compress:
                    for frame in batch:
                        await self._socket.send_frame(frame, self._opcode)
                else:
                    await self._send_frames(batch)
                self.last_sent = time.monotonic()
            await self._socket.close(code=self._close_code)
        except ConnectionError:
            log.debug("a socket went away while its writer wrote to it")

    async def _send_frames(self, batch: list[bytes]) -> None:
        """Write one frame per message in one transport write, then wait while the transport
        holds more than ``max_frame_bytes``."""
        if self._socket.closed or self._transport.is_closing():
            raise ConnectionResetError("the socket is closing")
        self._transport.write(b"".join(websocket_frame(frame, self._opcode) for frame in batch))
        while self._transport.get_write_buffer_size() > self._max_frame_bytes:
            if self._transport.is_closing():
                raise ConnectionResetError("the socket closed while full")
            await asyncio.sleep(_DRAIN_POLL_SECONDS)
