"""What the real-time service said about connections lately, per process.

A join whose connection docchat has not heard of yet asks the service whether it is
connected (404 if not, else 503 to retry soon); remembering the answer for a few seconds
keeps a client's retries to one call.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["Liveness"]

#: How long an answer to "is this connection connected?" is trusted.
LIVENESS_SECONDS = 10.0
#: Connections whose liveness a process remembers.
MAX_REMEMBERED = 10_000


class Liveness:
    """Recent answers of the service about connections, per process, bounded."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._known: OrderedDict[str, tuple[float, bool]] = OrderedDict()

    def get(self, connection_id: str) -> bool | None:
        with self._lock:
            known = self._known.get(connection_id)
        if known is None or known[0] < self._clock():
            return None
        return known[1]

    def put(self, connection_id: str, connected: bool) -> None:
        with self._lock:
            self._known[connection_id] = (self._clock() + LIVENESS_SECONDS, connected)
            self._known.move_to_end(connection_id)
            if len(self._known) > MAX_REMEMBERED:
                self._known.popitem(last=False)
