"""What Web PubSub reports through its event handler, as chat's events; and the one message
shape of every event docchat sends its clients.

The Functions Web PubSub extension hands a ``webPubSubTrigger`` function named ``request``
the request object as JSON (WebPubSubTriggerBinding.ConvertTypeIfPossible, Newtonsoft with
the converters of WebPubSubConfigProvider.RegisterJsonConverter; azure-sdk-for-net
sdk/webpubsub): ``{"connectionContext": {"eventType", "eventName", "connectionId",
"userId", ...}}``, with ``reason`` for ``disconnected`` and, for a user event, ``dataType``
and ``data``, which is always a string (BinaryDataJsonConverter.WriteJson writes the body's
text; JObjectTests.TestWebPubSubContext_UserEvent). Typing is the user event ``typing`` whose
data is the JSON text of ``{"documentId"}`` (``client.sendEvent("typing", {documentId},
"json")``), parsed here as the official samples ``JSON.parse(request.data)``.

Python has no ``context.triggerMetadata``, so the connection context comes from the request.
Extension versions before Microsoft.Azure.WebPubSub.Common 1.1 serialized it without
``[DataMember]`` names (``ConnectionContext``, ``EventType``, ... and enums as numbers):
names are read ignoring case and the event type as a name or its number, so any of these
forms is understood (devstack/README.md, differences).
"""

from __future__ import annotations

import json
from typing import Any

from chat.app.events import TYPING, ClientEvent, Connected, Disconnected, InboundEvent
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
    value = _folded(json.loads(request))
    context = _folded(value.get("connectioncontext"))
    connection_id = _text(context, "connectionid")
    kind, name = _event_type(context.get("eventtype")), _text(context, "eventname")
    if not connection_id:
        raise ValueError("the event handler request names no connection")
    if kind == "system" and name.lower() == "connected":
        return Connected(connection_id, _text(context, "userid"))
    if kind == "system" and name.lower() == "disconnected":
        return Disconnected(connection_id)
    if kind == "user":
        return ClientEvent(connection_id, _text(context, "userid"), name, _arguments(value))
    raise ValueError(f"no event docchat handles: {kind}/{name}")


def _arguments(value: dict[str, Any]) -> list[Any]:
    """A user event's data, the JSON text of ``{"documentId"}``, as the one argument chat's
    events take. Data that is not such JSON (a client sends what it likes) gives none, and
    chat's typing refuses that quietly: the trigger never fails on it."""
    data = value.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except (ValueError, RecursionError):
            return []
    if isinstance(data, dict) and "documentId" in data:
        return [data["documentId"]]
    return []


def _event_type(value: Any) -> str:
    """``System``/``User`` by name, or as WebPubSubEventType's number (0, 1)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {0: "system", 1: "user"}.get(value, "")
    return value.lower() if isinstance(value, str) else ""


def _folded(value: Any) -> dict[str, Any]:
    """A JSON object with its names lower-cased, whichever casing the extension wrote."""
    if not isinstance(value, dict):
        raise ValueError("the event handler request is not a JSON object")
    return {str(key).lower(): item for key, item in value.items()}


def _text(values: dict[str, Any], key: str) -> str:
    value = values.get(key)
    return value if isinstance(value, str) else ""
