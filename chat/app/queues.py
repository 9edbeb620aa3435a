"""The seam between chat and a work queue: work done after a write commits (notifications,
webhook deliveries) is put on a queue, and a queue-triggered function carries it out.

chat/ names no queue service. :mod:`storage.queues` implements :class:`WorkQueue` with Azure
Storage queues (Azurite locally); the unit tests use the in-memory twin in
tests/fixtures/chat.py.

A message is put hidden (``hidden_for``) when the work must not start before the write it
follows is known to have committed: :meth:`WorkQueue.reveal` then makes it visible at once,
:meth:`WorkQueue.remove` takes it back after a sure failure, and a crash in between only
delays it until the hidden time passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Queues", "Ticket", "WorkQueue"]


@dataclass(frozen=True)
class Ticket:
    """What :meth:`WorkQueue.put` answers: enough to reveal or remove that message.

    One ticket serves one :meth:`~WorkQueue.reveal` or one :meth:`~WorkQueue.remove`: the
    queue service gives a message a new pop receipt each time its visibility changes."""

    message_id: str
    pop_receipt: str


class WorkQueue(Protocol):
    """One queue of work items, each a JSON object. Every method raises
    :class:`~chat.domain.errors.QueueUnavailable` when the queue service fails."""

    def put(self, body: Mapping[str, Any], *, hidden_for: float = 0.0) -> Ticket:
        """Add ``body`` (a JSON object) as one message, invisible to consumers for
        ``hidden_for`` seconds (whole seconds, rounded up; 0: visible now)."""
        ...

    def reveal(self, ticket: Ticket) -> None:
        """Make the message visible now. A message already gone, or already taken by a
        consumer (its hidden time passed), is fine: its work is done or under way."""
        ...

    def remove(self, ticket: Ticket) -> None:
        """Delete the message; one already gone, or already taken by a consumer, is fine."""
        ...


class Queues(Protocol):
    """docchat's queues, as a queue adapter gives them (each built on first use)."""

    @property
    def outbox(self) -> WorkQueue:
        """``docchat-outbox``: one message per committed write batch that has events."""
        ...

    @property
    def webhooks(self) -> WorkQueue:
        """``docchat-webhooks``: one message per webhook delivery try."""
        ...
