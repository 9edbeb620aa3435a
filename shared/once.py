"""A value built once, on first use, however many threads ask for it at the same time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["Once", "built_once"]

_Built = TypeVar("_Built")
_Owner = TypeVar("_Owner")


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


class built_once(Generic[_Owner, _Built]):
    """A read-only property whose method builds its value on first use, once per object even
    when threads race for it (:func:`functools.cached_property` takes no lock since Python
    3.12). A build that raises is tried again next time, as :class:`Once`'s."""

    def __init__(self, build: Callable[[_Owner], _Built]) -> None:
        self._build = build
        self._name = build.__name__
        self.__doc__ = build.__doc__
        self._lock = threading.Lock()

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> built_once[_Owner, _Built]: ...
    @overload
    def __get__(self, instance: _Owner, owner: type[Any]) -> _Built: ...
    def __get__(
        self, instance: _Owner | None, owner: type[Any]
    ) -> built_once[_Owner, _Built] | _Built:
        if instance is None:
            return self
        built: dict[str, Any] = vars(instance)
        if self._name not in built:
            with self._lock:
                if self._name not in built:
                    built[self._name] = self._build(instance)
        value: _Built = built[self._name]
        return value
