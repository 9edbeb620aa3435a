"""A message for many clients, encoded at most once per hub protocol.

A broadcast to a thousand JSON clients serializes its arguments once; MessagePack is only
paid for when a MessagePack client is among the recipients.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from devstack.signalr.protocol import HubProtocol

__all__ = ["Invocation"]

log = logging.getLogger("devstack.signalr")


class Invocation:
    """``target(*arguments)`` to invoke on clients."""

    __slots__ = ("_arguments", "_frames", "target")

    def __init__(self, target: str, arguments: Sequence[Any]) -> None:
        self.target = target
        self._arguments = arguments
        self._frames: dict[HubProtocol, bytes | None] = {}

    def frame(self, protocol: HubProtocol) -> bytes | None:
        """The encoded message for ``protocol``; None if its arguments cannot be encoded."""
        try:
            return self._frames[protocol]
        except KeyError:
            frame = self._frames[protocol] = self._encode(protocol)
            return frame

    def _encode(self, protocol: HubProtocol) -> bytes | None:
        try:
            return protocol.invocation(self.target, self._arguments)
        except (TypeError, ValueError, OverflowError) as error:
            log.warning(
                "message %r not delivered to %s clients: its arguments cannot be encoded (%s)",
                self.target,
                protocol.name,
                error,
            )
            return None
