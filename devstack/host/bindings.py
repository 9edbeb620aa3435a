"""What a binding implementation sees of an invocation, and the shape it must have.

An input binding turns its properties into the value the function receives; an output
binding carries out the value the function set. Both resolve binding expressions through
the :class:`BindingScope` of the invocation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from devstack.host.expressions import BindingData, resolve_expressions

__all__ = ["BindingScope", "InputBinding", "OutputBinding"]


@dataclass(frozen=True)
class BindingScope:
    """The request data and app settings one invocation's bindings may read."""

    data: BindingData
    settings: Mapping[str, str]

    def resolve(self, text: str) -> str:
        """``text`` with its ``%setting%`` and ``{expression}`` parts replaced."""
        return resolve_expressions(text, self.data, self.settings)

    def property(self, properties: Mapping[str, Any], name: str, default: str = "") -> str:
        """The binding property ``name``, resolved; ``default`` when it is unset or empty."""
        value = properties.get(name)
        return self.resolve(value) if isinstance(value, str) and value else default


class InputBinding(Protocol):
    """Produces an input binding's value (a JSON string) before the function runs."""

    def read(self, properties: Mapping[str, Any], scope: BindingScope) -> str: ...


class OutputBinding(Protocol):
    """Carries out what the function set on an output binding, after it returned."""

    def write(self, properties: Mapping[str, Any], value: str, scope: BindingScope) -> None: ...

    def close(self) -> None: ...
