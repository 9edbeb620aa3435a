"""How fast one user may post: a token bucket per user, in each instance's memory.

A user may post ``burst`` messages at once, then one every ``60 / per_minute`` seconds. The
buckets live in each instance, so with N instances behind the load balancer a user may
post up to N times as fast in the worst case: a bound against floods from one account, not
an exact quota (an exact one would cost a Cosmos DB write per message). Refusals happen
before anything is stored.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from chat.domain.errors import RateLimited

__all__ = ["PostingRate"]

#: Users an instance keeps a bucket for; a forgotten one starts full again.
MAX_TRACKED_USERS = 100_000


class PostingRate:
    """Refuses a post with :class:`RateLimited` when the user's bucket is empty."""

    def __init__(
        self,
        per_minute: int,
        burst: int,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_second = per_minute / 60
        self._burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, user_id: str) -> None:
        """Spend one post of ``user_id``'s allowance, or raise :class:`RateLimited`."""
        if self._per_second == 0:
            return  # DOCCHAT_POSTS_PER_MINUTE=0 turns the limit off
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.pop(user_id, (float(self._burst), now))
            tokens = min(float(self._burst), tokens + (now - then) * self._per_second)
            allowed = tokens >= 1
            self._buckets[user_id] = (tokens - 1 if allowed else tokens, now)
            if len(self._buckets) > MAX_TRACKED_USERS:
                self._buckets.popitem(last=False)
        if not allowed:
            wait = math.ceil((1 - tokens) / self._per_second)
            raise RateLimited(f"you are posting too fast: try again in {wait} s", retry_after=wait)
