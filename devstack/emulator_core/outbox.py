"""A connection's bounded queue of encoded messages, drained by one writer task.

Senders never wait: :meth:`Outbox.put` either queues a frame or reports that the client has
fallen too far behind. The writer takes everything queued at once (up to a frame size) so a
burst of messages leaves as one WebSocket frame instead of hundreds.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable

__all__ = ["Outbox"]


class Outbox:
    """Frames waiting for one client, in the order they were queued."""

    def __init__(self, limit: int, first_frames: Iterable[bytes] = ()) -> None:
        """``first_frames`` are queued regardless of ``limit``: what a resumed client is owed."""
        self._frames: deque[bytes] = deque(first_frames)
        self._size = sum(map(len, self._frames))
        self._limit = limit
        self._ready = asyncio.Event()
        self._finished = False

    @property
    def size(self) -> int:
        """Bytes queued now."""
        return self._size

    def put(self, frame: bytes) -> bool:
        """Queue ``frame``; False (and nothing queued) if that would exceed the limit.

        After :meth:`finish` frames are dropped silently: the connection is closing.
        """
        if self._finished:
            return True
        if self._size + len(frame) > self._limit:
            return False
        self._frames.append(frame)
        self._size += len(frame)
        self._ready.set()
        return True

    def finish(self, last_frame: bytes, *, discard_queued: bool = False) -> None:
        """Queue ``last_frame`` (even over the limit) and accept nothing after it."""
        if self._finished:
            return
        if discard_queued:
            self._frames.clear()
            self._size = 0
        self._frames.append(last_frame)
        self._size += len(last_frame)
        self._finished = True
        self._ready.set()

    async def take(self, max_bytes: int) -> list[bytes]:
        """Wait for frames and take as many as fit in ``max_bytes`` (at least one).

        Returns an empty list once the outbox is finished and drained.
        """
        while not self._frames:
            if self._finished:
                return []
            self._ready.clear()
            await self._ready.wait()
            # One more turn of the loop lets the rest of a burst (other REST calls handled in
            # the same turn) join this frame: a socket write costs far more than a turn.
            await asyncio.sleep(0)
        batch = [self._frames.popleft()]
        total = len(batch[0])
        while self._frames and total + len(self._frames[0]) <= max_bytes:
            frame = self._frames.popleft()
            batch.append(frame)
            total += len(frame)
        self._size -= total
        return batch
