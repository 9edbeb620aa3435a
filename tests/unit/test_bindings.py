"""The signalR output binding's JSON: read, written back unchanged, and refused when malformed."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from signalr.bindings import (
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
    built = SignalRMessage(target="newMessage", arguments=[1], user_id="alice")

    assert parse_output('{"target":"newMessage","arguments":[1],"userId":"alice"}') == [built]
    assert built.to_json() == '{"target":"newMessage","arguments":[1],"userId":"alice"}'


def test_arguments_default_to_an_empty_list() -> None:
    assert parse_output('{"target": "ping"}') == [SignalRMessage(target="ping", arguments=[])]
    assert SignalRMessage(target="ping").to_json() == '{"target":"ping","arguments":[]}'


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

    assert item == SignalRMessage(target="t")


def test_models_are_frozen() -> None:
    message = SignalRMessage(target="t")

    with pytest.raises(ValidationError):
        message.target = "other"


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ('{"arguments": []}', "target"),
        ('{"target": "", "arguments": []}', "target"),
        ('{"target": "t", "arguments": "not a list"}', "arguments"),
        ('{"target": "t", "arguments": null}', "arguments"),
        ('{"target": 5}', "target"),
        ('{"target": "t", "userId": 7}', "userId"),
        ('{"action": "join", "groupName": "g", "userId": "u"}', "action"),
        ('{"action": null, "groupName": "g", "userId": "u"}', "action"),
        ('{"action": "add", "userId": "u"}', "add needs a groupName"),
        ('{"action": "remove", "groupName": "", "connectionId": "c"}', "remove needs a groupName"),
        ('{"action": "add", "groupName": "g"}', "add needs a connectionId or a userId"),
        (
            '{"action": "remove", "groupName": "g", "userId": ""}',
            "needs a connectionId or a userId",
        ),
        ('{"action": "removeAll"}', "removeAll needs a userId"),
        ('{"action": "removeAll", "connectionId": "c"}', "removeAll needs a userId"),
        ('{"action": "removeAll", "userId": "u", "connectionId": "c"}', "and no connectionId"),
        ('"newMessage"', "list"),
        ("[1, 2]", "dict"),
        ("[[]]", "dict"),
        ("{not json", "json"),
        ("", "json"),
    ],
)
def test_malformed_output_is_refused_naming_the_fault(payload: str, complaint: str) -> None:
    with pytest.raises(ValidationError, match=f"(?i){complaint}"):
        parse_output(payload)


def test_one_bad_item_refuses_the_whole_list() -> None:
    with pytest.raises(ValidationError):
        parse_output('[{"target": "ok"}, {"action": "add", "groupName": "g"}]')


def test_output_item_covers_both_kinds() -> None:
    items: list[OutputItem] = [
        SignalRMessage(target="t"),
        SignalRGroupAction(action="removeAll", user_id="u"),
    ]

    assert parse_output(dump_output(items)) == items
