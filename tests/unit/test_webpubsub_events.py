"""The Web PubSub adapter reads the trigger's request as the extension writes it
(azure-sdk-for-net sdk/webpubsub: WebPubSubTriggerBinding.ConvertTypeIfPossible,
BinaryDataJsonConverter.WriteJson, the [DataContract] request classes of
Microsoft.Azure.WebPubSub.Common), and every older form it may plausibly take."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chat.app.events import ClientEvent, Connected, Disconnected
from realtime.webpubsub_events import inbound_event


def request(event_type: Any, name: str, **fields: Any) -> str:
    context = {"eventType": event_type, "eventName": name, "connectionId": "c1", "userId": "u1"}
    return json.dumps({"connectionContext": context, **fields})


def test_typing_data_arrives_as_json_text_as_azure_sends_it() -> None:
    """JObjectTests.TestWebPubSubContext_UserEvent: request["data"] is the body's text."""
    value = request("User", "typing", data=json.dumps({"documentId": "doc-1"}), dataType="Json")
    assert inbound_event(value) == ClientEvent("c1", "u1", "typing", ["doc-1"])


@pytest.mark.parametrize(
    "data",
    ["{not json", "[" * 100_000 + "]" * 100_000, '"doc-1"', "[]", "", json.dumps([1, 2])],
    ids=["not JSON", "100,000 deep", "a JSON string", "an array", "empty", "a list"],
)
def test_data_that_is_no_document_gives_no_argument_and_no_failure(data: str) -> None:
    event = inbound_event(request("User", "typing", data=data, dataType="Text"))
    assert event == ClientEvent("c1", "u1", "typing", [])


def test_data_already_parsed_is_read_too() -> None:
    value = request("User", "typing", data={"documentId": "doc-1"}, dataType="Json")
    assert inbound_event(value) == ClientEvent("c1", "u1", "typing", ["doc-1"])


def test_system_events_as_the_extension_writes_them() -> None:
    assert inbound_event(request("System", "connected")) == Connected("c1", "u1")
    gone = request("System", "disconnected", reason="closed")
    assert inbound_event(gone) == Disconnected("c1")


def test_pascal_case_names_and_numeric_enums_of_older_extensions_are_understood() -> None:
    """Before Common 1.1 the context had no [DataMember] names: Newtonsoft wrote the .NET
    names, and enums as numbers where no converter was registered."""
    context = {"EventType": 0, "EventName": "connected", "ConnectionId": "c1", "UserId": "u1"}
    assert inbound_event(json.dumps({"ConnectionContext": context})) == Connected("c1", "u1")
    user = {**context, "EventType": 1, "EventName": "typing"}
    value = json.dumps({"ConnectionContext": user, "Data": '{"documentId": "d"}'})
    assert inbound_event(value) == ClientEvent("c1", "u1", "typing", ["d"])


@pytest.mark.parametrize(
    "value",
    ["[]", json.dumps({"reason": "x"}), json.dumps({"connectionContext": {"eventType": "User"}})],
    ids=["not an object", "no context", "no connection"],
)
def test_a_request_that_names_no_connection_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match=r"not a JSON object|names no connection"):
        inbound_event(value)
