"""The signalR output binding's JSON: read as the Functions extension reads it, written back
unchanged, and refused when malformed.

The rules are the extension's (azure-sdk-for-net sdk/signalr/
Microsoft.Azure.WebJobs.Extensions.SignalRService/src/Bindings/SignalRMessage.cs,
SignalRGroupAction.cs, SignalROutputConverter.cs, Client/AzureSignalRClient.cs), which reads
the JSON with Newtonsoft: names match ignoring case, unknown names are ignored.
"""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from signalr.bindings import (
    OutputError,
    OutputItem,
    SignalRGroupAction,
    SignalRMessage,
    dump_output,
    parse_output,
)

MESSAGES = [
    {"target": "newMessage", "arguments": [{"text": "hi"}, 2]},
    {"target": "newMessage", "arguments": [], "userId": "alice"},
    {"target": "newMessage", "arguments": ["x"], "groupName": "document:42"},
    {"target": "newMessage", "arguments": [None], "connectionId": "c-1"},
    {"target": "t", "arguments": [1], "connectionId": "c", "userId": "u", "groupName": "g"},
]
ACTIONS = [
    {"action": "add", "groupName": "document:42", "connectionId": "c-1"},
    {"action": "remove", "groupName": "document:42", "connectionId": "c-1"},
    {"action": "add", "groupName": "document:42", "userId": "alice"},
    {"action": "remove", "groupName": "document:42", "userId": "alice"},
    {"action": "removeAll", "userId": "alice"},
    {"action": "add", "groupName": "g", "connectionId": "c-1", "userId": "alice"},
]


@pytest.mark.parametrize("payload", MESSAGES + ACTIONS)
def test_one_object_round_trips_to_the_same_json(payload: dict[str, object]) -> None:
    items = parse_output(json.dumps(payload))

    assert len(items) == 1
    assert json.loads(items[0].to_json()) == payload
    assert json.loads(dump_output(items)) == [payload]


def test_a_list_round_trips_in_order_with_messages_and_actions_told_apart() -> None:
    payload = MESSAGES + ACTIONS

    items = parse_output(json.dumps(payload).encode())

    assert [type(item) for item in items] == [SignalRMessage] * len(MESSAGES) + [
        SignalRGroupAction
    ] * len(ACTIONS)
    assert json.loads(dump_output(items)) == payload
    assert parse_output(dump_output(items)) == items


def test_models_read_camel_case_and_are_built_with_snake_case() -> None:
    """snake_case is only for building models in Python; the JSON is camelCase."""
    built = SignalRMessage(target="newMessage", arguments=[1], user_id="alice")

    assert parse_output('{"target":"newMessage","arguments":[1],"userId":"alice"}') == [built]
    assert built.to_json() == '{"target":"newMessage","arguments":[1],"userId":"alice"}'


@pytest.mark.parametrize(
    "payload",
    [
        '{"Target": "t", "Arguments": [1], "UserId": "alice"}',
        '{"TARGET": "t", "arguments": [1], "userid": "alice"}',
    ],
)
def test_names_match_ignoring_case_as_newtonsoft_matches_them(payload: str) -> None:
    assert parse_output(payload) == [SignalRMessage(target="t", arguments=[1], user_id="alice")]


def test_pascal_case_group_actions_are_read_too() -> None:
    [action] = parse_output('{"Action": "Add", "GroupName": "g", "ConnectionId": "c"}')

    assert action == SignalRGroupAction(action="add", group_name="g", connection_id="c")


@pytest.mark.parametrize("name", ["user_id", "group_name", "connection_id"])
def test_snake_case_routing_is_ignored_so_the_message_goes_to_everyone(name: str) -> None:
    """Newtonsoft has no property called user_id: Azure sends such a message to everyone."""
    [message] = parse_output(json.dumps({"target": "t", "arguments": [], name: "alice"}))

    assert message == SignalRMessage(target="t", arguments=[])


@pytest.mark.parametrize("payload", ['{"target": "ping"}', '{"target": "ping", "arguments": null}'])
def test_a_message_needs_arguments_as_json_required_says(payload: str) -> None:
    with pytest.raises(OutputError, match="neither a message"):
        parse_output(payload)


def test_an_object_with_target_and_arguments_is_a_message_whatever_else_it_says() -> None:
    """SignalROutputConverter.cs tries SignalRMessage before SignalRGroupAction."""
    [item] = parse_output('{"target": "t", "arguments": [], "action": "add", "groupName": "g"}')

    assert item == SignalRMessage(target="t", arguments=[], group_name="g")


def test_an_action_with_a_target_but_no_arguments_is_a_group_action() -> None:
    [item] = parse_output('{"target": "t", "action": "remove", "groupName": "g", "userId": "u"}')

    assert item == SignalRGroupAction(action="remove", group_name="g", user_id="u")


@pytest.mark.parametrize(("number", "action"), [(0, "add"), (1, "remove"), (2, "removeAll")])
def test_actions_may_be_numbers_as_the_string_enum_converter_allows(
    number: int, action: str
) -> None:
    [item] = parse_output(json.dumps({"action": number, "groupName": "g", "userId": "u"}))

    assert isinstance(item, SignalRGroupAction)
    assert item.action == action


def test_remove_all_for_a_connection_is_read_as_the_extension_reads_it() -> None:
    """SignalRAsyncCollector.cs routes a connection id first and has no removeAll case for it:
    the item is valid and does nothing (see test_rest_carry_out)."""
    [item] = parse_output('{"action": "removeAll", "connectionId": "c", "userId": "u"}')

    assert item == SignalRGroupAction(action="removeAll", connection_id="c", user_id="u")


def test_dump_writes_unset_routing_fields_not_at_all() -> None:
    action = SignalRGroupAction(action="removeAll", user_id="alice")

    assert dump_output([action]) == '[{"action":"removeAll","userId":"alice"}]'


def test_dump_of_nothing_is_an_empty_list() -> None:
    assert dump_output([]) == "[]"
    assert parse_output("[]") == []


@pytest.mark.parametrize(
    ("written", "read"), [("ADD", "add"), ("Remove", "remove"), ("removeall", "removeAll")]
)
def test_action_names_ignore_case_and_are_written_canonically(written: str, read: str) -> None:
    [action] = parse_output(json.dumps({"action": written, "groupName": "g", "userId": "u"}))

    assert isinstance(action, SignalRGroupAction)
    assert action.action == read
    assert json.loads(action.to_json())["action"] == read


def test_unknown_fields_are_ignored() -> None:
    [item] = parse_output('{"target":"t","arguments":[],"endpoints":[],"extra":1}')

    assert item == SignalRMessage(target="t", arguments=[])


def test_models_are_frozen() -> None:
    message = SignalRMessage(target="t", arguments=[])

    with pytest.raises(ValidationError):
        message.target = "other"


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ('{"arguments": []}', "neither a message"),
        ('{"target": "", "arguments": []}', "target"),
        ('{"target": "t", "arguments": "not a list"}', "arguments"),
        ('{"target": 5, "arguments": []}', "target"),
        ('{"target": "t", "arguments": [], "userId": 7}', "user_id"),
        ('{"action": "join", "groupName": "g", "userId": "u"}', "action"),
        ('{"action": 3, "groupName": "g", "userId": "u"}', "action"),
        ('{"action": null, "groupName": "g", "userId": "u"}', "neither a message"),
        ('{"action": "add", "userId": "u"}', "add needs a groupName"),
        ('{"action": "remove", "groupName": "", "connectionId": "c"}', "remove needs a groupName"),
        ('{"action": "add", "groupName": "g"}', "ConnectionId and UserId cannot be null"),
        ('{"action": "remove", "groupName": "g", "userId": ""}', "cannot be null or empty"),
        ('{"action": "removeAll"}', "cannot be null or empty"),
        ('"newMessage"', "not a JSON object"),
        ("[1, 2]", "item 1 is not a JSON object"),
        ("[[]]", "not a JSON object"),
        ("{not json", "not JSON"),
        ("", "not JSON"),
    ],
)
def test_malformed_output_is_refused_naming_the_fault(payload: str, complaint: str) -> None:
    with pytest.raises(OutputError, match=complaint):
        parse_output(payload)


def test_one_bad_item_refuses_the_whole_list_naming_it() -> None:
    with pytest.raises(OutputError, match="item 2"):
        parse_output('[{"target": "ok", "arguments": []}, {"action": "add", "groupName": "g"}]')


def test_output_item_covers_both_kinds() -> None:
    items: list[OutputItem] = [
        SignalRMessage(target="t", arguments=[]),
        SignalRGroupAction(action="removeAll", user_id="u"),
    ]

    assert parse_output(dump_output(items)) == items
