"""A value built once, on first use, however many threads ask for it at the same time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Once"]

_Built = TypeVar("_Built")


class Once(Generic[_Built]):
    """Builds a value on first :meth:`get`, exactly once even when threads race for it.

    A build that raises is tried again next time: an outage at start-up is not remembered.
    """

    def __init__(self, build: Callable[[], _Built]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._value: _Built | None = None

    def get(self) -> _Built:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._build()
        return self._value
