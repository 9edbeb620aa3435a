"""One client connection: who it is, what it may do, its socket writer, and, on the reliable
subprotocol, the messages it has not acknowledged.

A reliable connection numbers every message it is sent (``sequenceId`` from 1) and keeps each
until the client acknowledges it with ``sequenceAck`` (the largest id it has, cumulative).
Beyond 1000 unacknowledged messages or 16 MB the connection closes for good
(azure-webpubsub protocols/client/client-spec.md 3.2). When its socket drops without a close
frame, the connection stays registered, collecting messages, until the client recovers it
with ``awps_connection_id`` and ``awps_reconnection_token`` or the reconnect window passes
(1.4); recovery resends what is unacknowledged, and the client skips what it already has.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from collections.abc import Callable

from aiohttp import WSCloseCode, web

from devstack.emulator_core.outbox import Outbox
from devstack.emulator_core.writer import SocketWriter
from devstack.webpubsub import protocol
from devstack.webpubsub.permissions import Permissions
from devstack.webpubsub.settings import WebPubSubSettings
from devstack.webpubsub.upstream import ConnectionEvents

__all__ = ["Connection"]

#: Why a connection ends, as upstream's ``disconnected`` event and the client hear it.
_OVERFLOW = "The client did not acknowledge its messages fast enough."
_NOT_RECOVERED = "The client did not reconnect in time."
_LOST = "The connection was lost."


class Connection:
    """A client connected to one hub."""

    def __init__(
        self,
        *,
        connection_id: str,
        hub: str,
        user_id: str | None,
        subprotocol: str,
        permissions: Permissions,
        events: ConnectionEvents,
        settings: WebPubSubSettings,
        on_end: Callable[[Connection, str], None],
    ) -> None:
        self.connection_id = connection_id
        self.hub = hub
        self.user_id = user_id
        self.subprotocol = subprotocol
        self.permissions = permissions
        #: Its events to the app's event handlers, in order.
        self.events = events
        self.reliable = subprotocol == protocol.RELIABLE_JSON
        self.reconnection_token = secrets.token_urlsafe(32) if self.reliable else None
        #: Retired: closed or gone; nothing more is sent to it.
        self.ended = False
        #: ackIds the client used, so a retried request is not carried out twice.
        self.ack_ids: set[int] = set()
        self._settings = settings
        self._on_end = on_end
        self._writer: SocketWriter | None = None
        self._cut_timer: asyncio.TimerHandle | None = None
        self._sequence_id = 0
        self._unacked: deque[tuple[int, bytes]] = deque()
        self._unacked_bytes = 0
        self._detached_at = time.monotonic()

    def attach(self, socket: web.WebSocketResponse, transport: asyncio.Transport) -> None:
        """Start writing to a new connection's socket: the connected message first."""
        first = protocol.connected(self.user_id, self.connection_id, self.reconnection_token)
        self._start_writer(socket, transport, [first])

    def resume(self, socket: web.WebSocketResponse, transport: asyncio.Transport) -> None:
        """Take the client back on a new socket and resend what it has not acknowledged."""
        if self._writer is not None:
            self._writer.cut()
        self._start_writer(socket, transport, [frame for _, frame in self._unacked])

    def socket_closed(self, socket: web.WebSocketResponse, *, by_client: bool) -> None:
        """``socket`` is gone; ``by_client``: with a close frame. A reliable connection that
        lost its socket unannounced waits for its client; anything else ends."""
        if self._writer is None or not self._writer.writes_to(socket):
            return
        self._writer.stop()
        self._writer = None
        if self.ended:
            return
        if self.reliable and not by_client:
            self._detached_at = time.monotonic()
        else:
            self._retire("closed by the client" if by_client else _LOST)

    def deliver(self, frame: bytes) -> None:
        """Queue a ``message`` frame, numbered for a reliable client, without waiting."""
        if self.ended:
            return
        if self.reliable:
            self._sequence_id += 1
            frame = protocol.sequenced(frame, self._sequence_id)
            self._unacked.append((self._sequence_id, frame))
            self._unacked_bytes += len(frame)
            limits = self._settings
            if (
                len(self._unacked) > limits.max_unacked_messages
                or self._unacked_bytes > limits.max_unacked_bytes
            ):
                self.close(_OVERFLOW, code=WSCloseCode.POLICY_VIOLATION, discard_queued=True)
                return
        self.reply(frame)

    def reply(self, frame: bytes) -> None:
        """Queue a frame that is not numbered (acks, pongs) for the current socket, if any."""
        if self._writer is not None and not self.ended and not self._writer.put(frame):
            self.close(_OVERFLOW, code=WSCloseCode.POLICY_VIOLATION, discard_queued=True)

    def acknowledge(self, sequence_id: int) -> None:
        """The client has every message up to ``sequence_id``."""
        while self._unacked and self._unacked[0][0] <= sequence_id:
            self._unacked_bytes -= len(self._unacked.popleft()[1])

    def close(
        self, reason: str, *, code: int = WSCloseCode.OK, discard_queued: bool = False
    ) -> None:
        """Retire the connection; its socket, if any, gets the ``disconnected`` message and
        the close ``code`` after what is queued, within the close grace."""
        if self.ended:
            return
        self._retire(reason)
        if self._writer is None:
            return
        self._writer.finish(protocol.disconnected(reason), discard_queued=discard_queued, code=code)
        loop = asyncio.get_running_loop()
        self._cut_timer = loop.call_later(self._settings.close_grace, self._cut)

    def drop_socket(self) -> None:
        """Abort the socket without a close frame, as a network failure would; a reliable
        client may then recover the connection."""
        self._cut()

    def keep_alive(self, now: float) -> None:
        """End a detached connection whose reconnect window has passed."""
        detached = self._writer is None and not self.ended
        if detached and now - self._detached_at > self._settings.reconnect_window:
            self._retire(_NOT_RECOVERED)

    def _start_writer(
        self, socket: web.WebSocketResponse, transport: asyncio.Transport, first: list[bytes]
    ) -> None:
        outbox = Outbox(self._settings.max_buffered_bytes, first)
        self._writer = SocketWriter(
            socket,
            transport,
            outbox,
            binary=False,
            max_frame_bytes=self._settings.max_frame_bytes,
            coalesce=False,
        )

    def _cut(self) -> None:
        if self._writer is not None:
            self._writer.cut()
            self._writer = None

    def _retire(self, reason: str) -> None:
        self.ended = True
        self._unacked.clear()
        self._on_end(self, reason)
