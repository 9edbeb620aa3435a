"""One client connection: who it is, how it speaks, and its own queue and writer.

Every connection writes through its own :class:`~devstack.emulator_core.writer.SocketWriter`,
so a broadcast never waits for a socket. A client that lets its queue overflow is closed with
an error.

With stateful reconnect, sequenced messages are also kept until the client acknowledges them;
if the socket drops, the connection stays registered (messages keep accumulating) until the
client comes back with the same connection token or the reconnect window passes.

Hub invocations from the client go upstream (:mod:`devstack.signalr.upstream`) one at a time:
the reader forwards what a frame carried before it reads the next frame, as the service reads
nothing more from a client while its invocation is upstream, and the client timeout waits
meanwhile (azure-signalr Emulator/HubEmulator/HubProxyHandler.cs DispatchMessagesAsync stops
and restarts it around each message).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiohttp import web

from devstack.emulator_core.outbox import Outbox
from devstack.emulator_core.writer import SocketWriter
from devstack.signalr.invocation import Invocation
from devstack.signalr.protocol import ClientMessage, HubProtocol, MessageType, ProtocolError
from devstack.signalr.settings import EmulatorSettings
from devstack.signalr.stateful import IncomingSequence, ReplayBuffer
from devstack.signalr.upstream import ConnectionEvents

__all__ = ["ClientConnection"]

log = logging.getLogger("devstack.signalr")

_CLIENT_TIMEOUT_ERROR = "Server timeout elapsed without receiving a message from the client."
#: What upstream hears when a socket ends without a close message.
_SOCKET_LOST_ERROR = "The connection was lost without a close message."
_OVERFLOW_ERROR = (
    "The client did not read its messages fast enough: {size} bytes were waiting for it."
)


class ClientConnection:
    """A client connected to one hub."""

    def __init__(
        self,
        *,
        connection_id: str,
        connection_token: str | None,
        hub: str,
        user_id: str | None,
        protocol: HubProtocol,
        stateful: bool,
        settings: EmulatorSettings,
        upstream: ConnectionEvents,
        on_end: Callable[[ClientConnection, str], None],
    ) -> None:
        self.connection_id = connection_id
        self.connection_token = connection_token
        self.hub = hub
        self.user_id = user_id
        self.protocol = protocol
        #: Retired: the service closed it or it went away; nothing more is sent to it.
        self.ended = False
        self._settings = settings
        self._upstream = upstream
        self._on_end = on_end
        #: Invocations received and not yet forwarded upstream.
        self._to_forward: list[ClientMessage] = []
        self._forwarding = False
        self._replay = ReplayBuffer(settings.max_buffered_bytes) if stateful else None
        self._incoming = IncomingSequence() if stateful else None
        self._decoder = protocol.decoder(settings.max_client_message_bytes)
        self._writer: SocketWriter | None = None
        self._cut_timer: asyncio.TimerHandle | None = None
        self._last_received = self._detached_at = time.monotonic()

    # Sockets -----------------------------------------------------------------------------

    def attach(
        self, socket: web.WebSocketResponse, transport: asyncio.Transport, handshake_reply: bytes
    ) -> None:
        """Start writing to ``socket``, the handshake reply first."""
        outbox = Outbox(self._settings.max_buffered_bytes, [handshake_reply])
        self._start_writer(socket, transport, outbox)

    def resume(self, socket: web.WebSocketResponse, transport: asyncio.Transport) -> None:
        """Take the client back on a new socket and resend what it has not acknowledged.

        The sequence message comes first, so the client can skip what it already has.
        """
        assert self._replay is not None, "only stateful connections resume"
        self._cut_socket()
        self._decoder = self.protocol.decoder(self._settings.max_client_message_bytes)
        resend = [self.protocol.sequence(self._replay.first_unacknowledged), *self._replay.frames()]
        self._start_writer(socket, transport, Outbox(self._settings.max_buffered_bytes, resend))

    def socket_closed(self, socket: web.WebSocketResponse, *, by_client: bool) -> None:
        """``socket`` is gone. ``by_client``: the client said goodbye with a close message.

        A stateful connection that lost its socket unannounced waits for its client;
        everything else ends.
        """
        if self._writer is None or not self._writer.writes_to(socket):
            return
        self._writer.stop()
        self._writer = None
        if self._cut_timer is not None:
            self._cut_timer.cancel()
        if self.ended:
            return
        if self._replay is not None and not by_client:
            self._detached_at = time.monotonic()
            return
        if by_client:
            self._retire("closed by the client", error=None)
        else:
            self._retire("socket lost", error=_SOCKET_LOST_ERROR)

    # Sending -----------------------------------------------------------------------------

    def deliver(self, invocation: Invocation) -> None:
        """Queue ``invocation`` for the client without waiting."""
        frame = invocation.frame(self.protocol)
        if frame is not None:
            self._send(frame, sequenced=True)

    def close(self, error: str | None, *, allow_reconnect: bool) -> None:
        """Send a close message after what is queued, then close the socket.

        A client that does not read it within the close grace is cut off.
        """
        self._request_close(error, allow_reconnect, discard_queued=False)

    # Receiving ---------------------------------------------------------------------------

    def receive(self, data: bytes) -> bool:
        """Process bytes from the client; False once the client sent its close message."""
        self._last_received = time.monotonic()
        if self.ended:
            return True
        try:
            messages = self._decoder.feed(data)
        except ProtocolError as error:
            self.close(str(error), allow_reconnect=False)
            return True
        return self._process(messages)

    async def announce_upstream(self) -> None:
        """Tell upstream the connection opened, before it hears any of its messages
        (HubProxyHandler.cs RunHubAsync). The client timeout waits meanwhile."""
        self._forwarding = True
        try:
            await self._upstream.connected()
        finally:
            self._forwarding = False
            self._last_received = time.monotonic()

    async def forward_upstream(self) -> None:
        """Send upstream, in order, the invocations received so far; write back what a
        blocking one gets. The client timeout waits meanwhile."""
        self._forwarding = True
        try:
            while self._to_forward and not self.ended:
                message = self._to_forward.pop(0)
                frame = await self._upstream.invoke(message, self.protocol)
                if frame is not None:
                    self._send(frame, sequenced=True)
        finally:
            self._forwarding = False
            self._last_received = time.monotonic()

    # Timers --------------------------------------------------------------------------------

    def keep_alive(self, now: float) -> None:
        """Ping an idle client, drop a silent one, end a detached one whose window passed."""
        if self.ended:
            return
        if self._writer is None:
            if now - self._detached_at > self._settings.reconnect_window:
                self._retire("the client did not reconnect in time", error=_SOCKET_LOST_ERROR)
            return
        if self._forwarding:
            return
        if now - self._last_received > self._settings.client_timeout:
            self.close(_CLIENT_TIMEOUT_ERROR, allow_reconnect=True)
        elif now - self._writer.last_sent >= self._settings.ping_interval:
            self._writer.put(self.protocol.ping())
            self._writer.last_sent = now

    # Plumbing ------------------------------------------------------------------------------

    def _process(self, messages: list[ClientMessage]) -> bool:
        received_sequenced = False
        for message in messages:
            if message.type == MessageType.CLOSE:
                return False
            if message.is_sequenced:
                received_sequenced = True
                if self._incoming is not None and not self._incoming.is_new():
                    continue
            self._handle(message)
        if received_sequenced and self._incoming is not None:
            self._send(self.protocol.ack(self._incoming.latest), sequenced=False)
        return True

    def _handle(self, message: ClientMessage) -> None:
        if message.type == MessageType.ACK and self._replay is not None:
            self._replay.acknowledge(message.sequence_id or 0)
        elif message.type == MessageType.SEQUENCE and self._incoming is not None:
            try:
                self._incoming.restart_at(message.sequence_id or 0)
            except ValueError as error:
                self.close(str(error), allow_reconnect=False)
        elif message.goes_upstream:
            self._to_forward.append(message)
        elif message.is_invocation:
            log.info(
                "connection %s started a stream %r: ignored, as the service ignores it",
                self.connection_id,
                message.target,
            )

    def _send(self, frame: bytes, *, sequenced: bool) -> None:
        if self.ended:
            return
        if sequenced and self._replay is not None and not self._replay.add(frame):
            self._overflow(self._replay.size)
        elif self._writer is not None and not self._writer.put(frame):
            self._overflow(self._writer.outbox.size)

    def _overflow(self, size: int) -> None:
        error = _OVERFLOW_ERROR.format(size=size)
        self._request_close(error, allow_reconnect=True, discard_queued=True)

    def _request_close(
        self, error: str | None, allow_reconnect: bool, discard_queued: bool
    ) -> None:
        """Retire the connection now; its socket, if any, still gets the close message."""
        if self.ended:
            return
        self._retire(f"closed by the service: {error or 'no error'}", error=error)
        if self._writer is None:
            return
        self._writer.finish(
            self.protocol.close(error, allow_reconnect), discard_queued=discard_queued
        )
        loop = asyncio.get_running_loop()
        self._cut_timer = loop.call_later(self._settings.close_grace, self._cut_socket)

    def _start_writer(
        self, socket: web.WebSocketResponse, transport: asyncio.Transport, outbox: Outbox
    ) -> None:
        self._writer = SocketWriter(
            socket,
            transport,
            outbox,
            binary=self.protocol.binary,
            max_frame_bytes=self._settings.max_frame_bytes,
        )
        self._last_received = time.monotonic()

    def _cut_socket(self) -> None:
        """Abort the socket: its reader and writer both end now."""
        if self._writer is not None:
            self._writer.cut()
            self._writer = None

    def _retire(self, reason: str, *, error: str | None) -> None:
        """No longer addressable: unregistered and unsendable, even while a close flushes.
        Upstream hears of it with ``error`` (None for a clean close)."""
        self.ended = True
        self._to_forward.clear()
        self._on_end(self, reason)
        self._upstream.disconnected(error)
