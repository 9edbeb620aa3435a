"""What the SignalR service reports through its upstream, as chat's events.

The Functions SignalR extension hands a ``signalRTrigger`` function the invocation context
as JSON (PascalCase keys, as Newtonsoft writes ``InvocationContext``: ``ConnectionId``,
``UserId``, ``Category``, ``Event``, ``Arguments``...); the same triggers serve REST and
bindings mode, since the service calls the app's webhook either way.
"""

from __future__ import annotations

import json
from typing import Any

from chat.app.events import TYPING, ClientEvent, Connected, Disconnected, InboundEvent
from realtime.backend import BindingDeclaration
from realtime.settings import HUB, SIGNALR_CONNECTION_SETTING

__all__ = ["SIGNALR_TRIGGERS", "inbound_event"]


def _trigger(category: str, event: str) -> BindingDeclaration:
    properties = {
        "hubName": HUB,
        "category": category,
        "event": event,
        "connectionStringSetting": SIGNALR_CONNECTION_SETTING,
    }
    return BindingDeclaration("signalRTrigger", properties)


#: The trigger of each function that handles a report: function name -> declaration.
SIGNALR_TRIGGERS = {
    "on_connected": _trigger("connections", "connected"),
    "on_disconnected": _trigger("connections", "disconnected"),
    "on_typing": _trigger("messages", TYPING),
}


def inbound_event(invocation: str) -> InboundEvent:
    """The event an invocation context reports; ValueError if it is none docchat knows."""
    context = {key.lower(): value for key, value in _object(json.loads(invocation)).items()}
    connection_id = _text(context, "connectionid")
    category, event = _text(context, "category").lower(), _text(context, "event")
    if category == "connections" and event.lower() == "connected":
        return Connected(connection_id, _text(context, "userid"))
    if category == "connections" and event.lower() == "disconnected":
        return Disconnected(connection_id)
    if category == "messages":
        arguments = context.get("arguments") or []
        if not isinstance(arguments, list):
            raise ValueError("the invocation's Arguments are not a list")
        return ClientEvent(connection_id, _text(context, "userid"), event, arguments)
    raise ValueError(f"no event docchat handles: {category}/{event}")


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("the invocation context is not a JSON object")
    return value


def _text(context: dict[str, Any], key: str) -> str:
    value = context.get(key)
    return value if isinstance(value, str) else ""
