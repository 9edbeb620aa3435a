"""carry_out performs each output-binding item as the right REST call, on a real loopback server,
as the Functions extension does (azure-sdk-for-net sdk/signalr/
Microsoft.Azure.WebJobs.Extensions.SignalRService/src/Bindings/SignalRAsyncCollector.cs)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from shared.connection_string import parse_connection_string
from signalr.bindings import carry_out, parse_output
from signalr.errors import NotFoundError
from signalr.rest import HubClient
from tests.integration.recording_server import (
    RecordingServer,
    Reply,
    recording_server,  # noqa: F401 - a fixture
)

KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn0123="
HUB = "/api/hubs/chat"


@pytest.fixture
def server(recording_server: RecordingServer) -> RecordingServer:  # noqa: F811
    return recording_server


@pytest.fixture
def hub(server: RecordingServer) -> Iterator[HubClient]:
    connection = parse_connection_string(f"Endpoint={server.url};AccessKey={KEY}")
    with HubClient(connection, "chat") as client:
        yield client


ROUTES = {
    "message to everyone": (
        {"target": "newMessage", "arguments": ["hi"]},
        "POST",
        f"{HUB}/:send",
    ),
    "message to a group": (
        {"target": "newMessage", "arguments": ["hi"], "groupName": "document:42"},
        "POST",
        f"{HUB}/groups/document%3A42/:send",
    ),
    "message to a user, who wins over a group": (
        {"target": "newMessage", "arguments": ["hi"], "userId": "alice", "groupName": "g"},
        "POST",
        f"{HUB}/users/alice/:send",
    ),
    "message to a connection, which wins over user and group": (
        {
            "target": "newMessage",
            "arguments": ["hi"],
            "connectionId": "c-1",
            "userId": "alice",
            "groupName": "g",
        },
        "POST",
        f"{HUB}/connections/c-1/:send",
    ),
    "empty routing fields mean everyone": (
        {"target": "newMessage", "arguments": ["hi"], "connectionId": "", "userId": ""},
        "POST",
        f"{HUB}/:send",
    ),
    "add a connection to a group": (
        {"action": "add", "groupName": "document:42", "connectionId": "c-1"},
        "PUT",
        f"{HUB}/groups/document%3A42/connections/c-1",
    ),
    "remove a connection from a group": (
        {"action": "remove", "groupName": "document:42", "connectionId": "c-1"},
        "DELETE",
        f"{HUB}/groups/document%3A42/connections/c-1",
    ),
    "a connection wins over a user when adding": (
        {"action": "add", "groupName": "g", "connectionId": "c-1", "userId": "alice"},
        "PUT",
        f"{HUB}/groups/g/connections/c-1",
    ),
    "a connection wins over a user when removing": (
        {"action": "remove", "groupName": "g", "connectionId": "c-1", "userId": "alice"},
        "DELETE",
        f"{HUB}/groups/g/connections/c-1",
    ),
    "add a user to a group": (
        {"action": "add", "groupName": "document:42", "userId": "alice@example.com"},
        "PUT",
        f"{HUB}/users/alice%40example.com/groups/document%3A42",
    ),
    "remove a user from a group": (
        {"action": "remove", "groupName": "document:42", "userId": "alice"},
        "DELETE",
        f"{HUB}/users/alice/groups/document%3A42",
    ),
    "remove a user from every group": (
        {"action": "removeAll", "userId": "alice"},
        "DELETE",
        f"{HUB}/users/alice/groups",
    ),
}


@pytest.mark.parametrize(("payload", "method", "path"), ROUTES.values(), ids=ROUTES.keys())
def test_each_item_becomes_its_rest_call(
    server: RecordingServer, hub: HubClient, payload: dict[str, object], method: str, path: str
) -> None:
    carry_out(hub, parse_output(json.dumps(payload)))

    [request] = server.requests
    assert (request.method, request.path) == (method, path)
    if "target" in payload:
        assert request.json() == {"target": "newMessage", "arguments": ["hi"]}
    else:
        assert request.body == b""


def test_a_list_is_carried_out_in_order(server: RecordingServer, hub: HubClient) -> None:
    payloads = [payload for payload, _, _ in ROUTES.values()]

    carry_out(hub, parse_output(json.dumps(payloads)))

    assert [(request.method, request.path) for request in server.requests] == [
        (method, path) for _, method, path in ROUTES.values()
    ]


def test_snake_case_routing_is_ignored_so_the_message_goes_to_everyone(
    server: RecordingServer, hub: HubClient
) -> None:
    """Newtonsoft knows no user_id (SignalRMessage.cs): Azure broadcasts such a message."""
    carry_out(hub, parse_output('{"target": "t", "arguments": [], "user_id": "alice"}'))

    assert server.requests[0].path == f"{HUB}/:send"


def test_remove_all_for_a_connection_does_nothing_as_in_the_extension(
    server: RecordingServer, hub: HubClient
) -> None:
    """SignalRAsyncCollector.cs routes a connection id first, with no removeAll case for it."""
    carry_out(hub, parse_output('{"action": "removeAll", "connectionId": "c", "userId": "u"}'))

    assert server.requests == []


def test_adding_a_connection_that_is_gone_succeeds_as_rest_hub_lifetime_manager_treats_it(
    server: RecordingServer, hub: HubClient
) -> None:
    """azure-signalr Management/RestHubLifetimeManager.cs AddToGroupAsync: a 404 with
    Error.Connection.NotExisted is an expected answer, so the binding does not fail."""
    gone = {"x-ms-error-code": "Error.Connection.NotExisted"}
    server.answer(Reply(404, headers=gone), Reply(202))

    carry_out(
        hub,
        parse_output(
            '[{"action": "add", "groupName": "g", "connectionId": "gone"},'
            ' {"target": "after", "arguments": []}]'
        ),
    )

    assert len(server.requests) == 2


def test_a_failing_item_raises_and_stops_the_rest(server: RecordingServer, hub: HubClient) -> None:
    server.answer(Reply(202), Reply(404, headers={"x-ms-error-code": "Error.Group.Other"}))
    items = parse_output(
        json.dumps(
            [
                {"target": "joined", "arguments": []},
                {"action": "add", "groupName": "g", "connectionId": "gone"},
                {"target": "after", "arguments": []},
            ]
        )
    )

    with pytest.raises(NotFoundError):
        carry_out(hub, items)

    assert len(server.requests) == 2


def test_nothing_to_do_sends_nothing(server: RecordingServer, hub: HubClient) -> None:
    carry_out(hub, parse_output("[]"))

    assert server.requests == []
