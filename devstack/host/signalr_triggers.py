"""Which ``signalRTrigger`` function hears which upstream event, decided once at start-up.

As the extension's SignalRTriggerDispatcher.Map (azure-sdk-for-net
sdk/signalr/Microsoft.Azure.WebJobs.Extensions.SignalRService/src/TriggerBindings): one
function per (hub, category, event), compared ignoring case (TupleStringIgnoreCasesComparer),
a second one for the same key fails start-up; the category is ``connections`` (events
``connected`` and ``disconnected`` only) or ``messages`` (the event is the hub method).
``hubName``, ``category`` and ``event`` may name app settings as ``%Setting%``
(SignalRTriggerBindingProvider resolves them when the host starts).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from devstack.host.expressions import BindingExpressionError, resolve_app_settings
from devstack.host.indexing import FunctionIndexError, TriggerFunction
from devstack.host.signalr_bindings import DEFAULT_CONNECTION_SETTING

__all__ = ["CONNECTED", "CONNECTIONS", "DISCONNECTED", "MESSAGES", "SignalRTrigger", "TriggerTable"]

CONNECTIONS, MESSAGES = "connections", "messages"
CONNECTED, DISCONNECTED = "connected", "disconnected"


@dataclass(frozen=True)
class SignalRTrigger:
    """A function and the event it is for, its properties resolved."""

    function: TriggerFunction
    hub: str
    #: ``connections`` or ``messages``, in lower case.
    category: str
    #: ``connected`` or ``disconnected`` in lower case for connections; the hub method as
    #: declared for messages.
    event: str
    parameter_names: tuple[str, ...]
    connection_setting: str


class TriggerTable:
    """Every ``signalRTrigger`` function of an app, by the event it is for."""

    def __init__(self, functions: Iterable[TriggerFunction], settings: Mapping[str, str]) -> None:
        self._triggers: dict[tuple[str, str, str], SignalRTrigger] = {}
        for function in functions:
            trigger = _resolved(function, settings)
            key = _key(trigger.hub, trigger.category, trigger.event)
            if key in self._triggers:
                raise FunctionIndexError(
                    f"function {function.name}: Duplicated key parameter hub: {trigger.hub}, "
                    f"category: {trigger.category}, event: {trigger.event} (also "
                    f"{self._triggers[key].function.name})"
                )
            self._triggers[key] = trigger

    def __iter__(self) -> Iterator[SignalRTrigger]:
        return iter(self._triggers.values())

    def find(self, hub: str, category: str, event: str) -> SignalRTrigger | None:
        """The function for an event, ignoring case; None if there is none."""
        return self._triggers.get(_key(hub, category, event))


def _key(hub: str, category: str, event: str) -> tuple[str, str, str]:
    return hub.lower(), category.lower(), event.lower()


def _resolved(function: TriggerFunction, settings: Mapping[str, str]) -> SignalRTrigger:
    properties = function.trigger

    def text(name: str, default: str = "") -> str:
        value = properties.get(name) or default
        if not isinstance(value, str):
            raise FunctionIndexError(f"function {function.name}: {name} must be a string")
        try:
            return resolve_app_settings(value, settings)
        except BindingExpressionError as error:
            raise FunctionIndexError(f"function {function.name}: {name}: {error}") from None

    hub, category, event = text("hubName"), text("category").lower(), text("event")
    if not hub or not event:
        raise FunctionIndexError(
            f"function {function.name}: a signalRTrigger needs hubName and event"
        )
    if category == CONNECTIONS:
        event = event.lower()
        if event not in (CONNECTED, DISCONNECTED):
            raise FunctionIndexError(
                f"function {function.name}: Event {event} is not supported in connections"
            )
    elif category != MESSAGES:
        raise FunctionIndexError(f"function {function.name}: Category {category} is not supported")
    names = properties.get("parameterNames") or ()
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise FunctionIndexError(
            f"function {function.name}: parameterNames must be a list of names"
        )
    return SignalRTrigger(
        function=function,
        hub=hub,
        category=category,
        event=event,
        parameter_names=tuple(names),
        connection_setting=text("connectionStringSetting", DEFAULT_CONNECTION_SETTING),
    )
