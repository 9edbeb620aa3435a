"""Work queues: where post-commit work waits until a queue trigger takes it (Azure Storage
queues; the adapter is :mod:`storage.queues`). Failures raise
:class:`~chat.domain.errors.QueueUnavailable`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["Ticket", "WorkQueue"]


@dataclass(frozen=True)
class Ticket:
    """What :meth:`WorkQueue.put` answers: enough to reveal or remove that message."""

    message_id: str
    pop_receipt: str


class WorkQueue(Protocol):
    """One queue of JSON messages."""

    def put(self, body: Mapping[str, Any], *, hidden_for: float = 0.0) -> Ticket:
        """Add a message, invisible for ``hidden_for`` seconds."""
        ...

    def reveal(self, ticket: Ticket) -> None:
        """Make the message visible now."""
        ...

    def remove(self, ticket: Ticket) -> None:
        """Delete the message; one already gone is fine."""
        ...
