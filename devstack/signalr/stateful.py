"""Stateful reconnect bookkeeping (hub protocol version 2).

Both sides number their sequenced messages from 1. The sender keeps what it sent until the
receiver acknowledges it; when a dropped client comes back with the same connection token,
the sender announces the first unacknowledged number with a sequence message and sends the
rest again. The receiver counts along and skips numbers it already processed, so every
message takes effect exactly once.
"""

from __future__ import annotations

from collections import deque

__all__ = ["IncomingSequence", "ReplayBuffer"]


class ReplayBuffer:
    """Sequenced frames sent to a client and not yet acknowledged, bounded in bytes."""

    def __init__(self, limit: int) -> None:
        self._frames: deque[bytes] = deque()
        self._first_id = 1
        self._size = 0
        self._limit = limit

    @property
    def first_unacknowledged(self) -> int:
        """The sequence number of the oldest frame kept (the next one when none is)."""
        return self._first_id

    @property
    def size(self) -> int:
        """Bytes kept now."""
        return self._size

    def add(self, frame: bytes) -> bool:
        """Keep ``frame`` as the next numbered message; False if over the limit."""
        if self._size + len(frame) > self._limit:
            return False
        self._frames.append(frame)
        self._size += len(frame)
        return True

    def acknowledge(self, sequence_id: int) -> None:
        """Forget every frame numbered up to ``sequence_id``."""
        while self._frames and self._first_id <= sequence_id:
            self._size -= len(self._frames.popleft())
            self._first_id += 1

    def frames(self) -> list[bytes]:
        """Every kept frame, oldest first: what to resend after a reconnect."""
        return list(self._frames)


class IncomingSequence:
    """Numbers a client's sequenced messages and spots the ones it resends."""

    def __init__(self) -> None:
        self._next_id = 1
        self._latest_id = 0

    @property
    def latest(self) -> int:
        """The highest number processed: what to acknowledge."""
        return self._latest_id

    def restart_at(self, sequence_id: int) -> None:
        """The client's sequence message: its next message is number ``sequence_id``.

        Raises ValueError when that skips messages never received, which would lose them.
        """
        if sequence_id > self._next_id:
            raise ValueError(
                f"sequence {sequence_id} skips messages: the next expected is {self._next_id}"
            )
        self._next_id = sequence_id

    def is_new(self) -> bool:
        """Count one sequenced message; False if it was processed before a reconnect."""
        current = self._next_id
        self._next_id += 1
        if current <= self._latest_id:
            return False
        self._latest_id = current
        return True
