"""Fail fast while a dependency is known to be down.

The Functions worker runs a handful of invocations at once (its thread pool: 6 on two
cores). If each of 20 concurrent sends waited out its own timeout against a stalled
service, the last would hear its 503 after several rounds of timeouts, and every history
read queued behind them would wait as long. A :class:`Breaker` remembers the last outage:
for ``cooldown`` seconds after it, calls fail at once without touching the network; after
that, calls go through again and the first success closes it.

    breaker.check()           # raises the outage's error while open
    try: call()
    except Outage: breaker.opened(); raise
    else: breaker.closed()

:meth:`Breaker.trial` is stricter after the cooldown: one call at a time probes the service
while the others still fail at once, so a service that is still stalled holds one worker
for one timeout, not every worker that took a request meanwhile (each of which would hold
its request a whole timeout, and the requests queued behind it as long again).

    with breaker.trial() as probing:  # raises while open, or while another call probes
        call()                # outages call breaker.opened(); any answer closes it
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from shared import signals

__all__ = ["Breaker"]

#: Long enough to spare a stalled service the next wave of requests, short enough that a
#: recovered one is used again almost at once.
DEFAULT_COOLDOWN_SECONDS = 1.0


class Breaker:
    """Open for ``cooldown`` seconds after each outage; ``failure`` makes the fast error.
    ``name`` (the dependency) labels its opens and fast refusals in telemetry."""

    def __init__(
        self,
        failure: Callable[[], Exception],
        *,
        name: str = "",
        cooldown: float = DEFAULT_COOLDOWN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._failure = failure
        self._name = name
        self._cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._open_until = 0.0
        self._recovering = False
        self._probing = False

    @property
    def is_open(self) -> bool:
        """Whether calls fail fast now."""
        with self._lock:
            return self._clock() < self._open_until

    @property
    def refusing(self) -> bool:
        """Whether :meth:`trial` would fail a call now (open, or another call probes)."""
        with self._lock:
            return self._clock() < self._open_until or (self._recovering and self._probing)

    def check(self) -> None:
        """Raise ``failure()`` while open; return at once otherwise."""
        if self.is_open:
            raise self._refused()

    @contextmanager
    def trial(self) -> Iterator[bool]:
        """Let one call through: raise ``failure()`` while open, and after an outage while
        another call probes; yield whether this call is the probe. The probe closes the
        breaker unless it saw an outage itself (a call that ended with an answer, even a
        refusal, found the service up)."""
        with self._lock:
            refused = self._clock() < self._open_until or (self._recovering and self._probing)
            probe = self._recovering and not refused
            self._probing = self._probing or probe
        if refused:
            raise self._refused()
        try:
            yield probe
        finally:
            if probe:
                with self._lock:
                    self._probing = False
                    if self._clock() >= self._open_until:
                        self._recovering = False

    def opened(self) -> None:
        """An outage was seen: fail fast for the next ``cooldown`` seconds."""
        with self._lock:
            now = self._clock()
            was_open = now < self._open_until
            self._open_until = now + self._cooldown
            self._recovering = True
        if not was_open:
            signals.count("docchat.breaker.opens", dependency=self._name)

    def _refused(self) -> Exception:
        """The fast error, noted on the invocation's span."""
        signals.annotate(breaker=f"{self._name or 'breaker'} open")
        return self._failure()

    def closed(self) -> None:
        """A call succeeded: the dependency is back."""
        with self._lock:
            self._open_until = 0.0
            self._recovering = False
