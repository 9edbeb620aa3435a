"""What Web PubSub reports through its event handler, as chat's events; and the one message
shape of every event docchat sends its clients.

The Functions Web PubSub extension hands a ``webPubSubTrigger`` function named ``request``
the whole request as JSON: ``{"connectionContext": {"eventType", "eventName",
"connectionId", "userId", ...}, "dataType", "data"}``. Typing is the user event ``typing``
with ``{"documentId"}`` as its JSON data (``client.sendEvent("typing", {documentId},
"json")``).
"""

from __future__ import annotations

import json
from typing import Any

from chat.events import TYPING, ClientEvent, Connected, Disconnected, InboundEvent
from realtime.backend import BindingDeclaration
from realtime.webpubsub_settings import WEBPUBSUB_CONNECTION_SETTING

__all__ = ["inbound_event", "outbound_message", "webpubsub_triggers"]


def webpubsub_triggers(hub: str) -> dict[str, BindingDeclaration]:
    """The trigger of each function that hears a report of ``hub``."""

    def trigger(event_type: str, event_name: str) -> BindingDeclaration:
        properties = {
            "hub": hub,
            "eventType": event_type,
            "eventName": event_name,
            "connections": [WEBPUBSUB_CONNECTION_SETTING],
        }
        return BindingDeclaration("webPubSubTrigger", properties)

    return {
        "on_connected": trigger("system", "connected"),
        "on_disconnected": trigger("system", "disconnected"),
        "on_typing": trigger("user", TYPING),
    }


def outbound_message(event: str, payload: Any) -> dict[str, Any]:
    """What a client receives for ``event``: one JSON message ``{"event", "data"}``, the
    names and payloads the same as on SignalR."""
    return {"event": event, "data": payload}


def inbound_event(request: str) -> InboundEvent:
    """The event a trigger's request reports; ValueError if it is none docchat knows."""
    value = _object(json.loads(request))
    context = _object(value.get("connectionContext"))
    connection_id = _text(context, "connectionId")
    kind, name = _text(context, "eventType").lower(), _text(context, "eventName")
    if kind == "system" and name.lower() == "connected":
        return Connected(connection_id, _text(context, "userId"))
    if kind == "system" and name.lower() == "disconnected":
        return Disconnected(connection_id)
    if kind == "user":
        return ClientEvent(connection_id, _text(context, "userId"), name, _arguments(value))
    raise ValueError(f"no event docchat handles: {kind}/{name}")


def _arguments(value: dict[str, Any]) -> list[Any]:
    """A user event's JSON data ``{"documentId"}`` as the one argument chat's events take."""
    data = value.get("data")
    if isinstance(data, dict) and "documentId" in data:
        return [data["documentId"]]
    return []


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("the event handler request is not a JSON object")
    return value


def _text(values: dict[str, Any], key: str) -> str:
    value = values.get(key)
    return value if isinstance(value, str) else ""
