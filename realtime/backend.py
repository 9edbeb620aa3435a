"""What a real-time backend offers the function edge, whichever backend and mode it is.

Each adapter (one per backend and mode) says which Functions bindings a function needs
declared, and turns the values those bindings carry in one invocation into the chat seam
(:class:`~chat.app.realtime.Realtime`, :class:`~chat.app.realtime.Negotiator`). The edge declares
what it is told and asks for nothing else, so a new backend is a new adapter, not new wiring.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from chat.app.events import InboundEvent
from chat.app.realtime import Negotiator, Realtime

__all__ = ["Backend", "BindingDeclaration"]


@dataclass(frozen=True)
class BindingDeclaration:
    """A generic Functions binding: its type and properties (the edge names the parameter)."""

    type: str
    properties: dict[str, Any] = field(default_factory=dict)

    def binding(self) -> dict[str, Any]:
        """The keyword arguments of ``generic_input_binding``/``generic_output_binding``."""
        return {"type": self.type, **self.properties}


class Backend(Protocol):
    """One real-time backend in one mode."""

    #: The output binding a function that changes groups or sends must declare, if any.
    output: BindingDeclaration | None
    #: The input binding negotiate must declare, if any.
    connection_input: BindingDeclaration | None
    #: The trigger of each function that hears the service's reports: name -> trigger.
    event_triggers: Mapping[str, BindingDeclaration]

    def realtime(self, output: Any = None) -> Realtime:
        """The seam for one invocation; ``output`` sets its declared output binding."""
        ...

    def negotiator(self, connection_input: Any = None) -> Negotiator:
        """The seam for one negotiate; ``connection_input`` is its declared input's value."""
        ...

    def inbound(self, trigger_value: str) -> InboundEvent:
        """The report a trigger function was invoked with, as chat's event."""
        ...

    def reported(self) -> None:
        """The service has just reported an event, so it is up: calls to it need not wait
        out a breaker an earlier failure opened (the first join of a connection made after
        an outage would be refused for up to its cooldown)."""
        ...
