"""The endpoints in-process, with fakes behind the runtime: statuses, bodies, every 4xx."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chat.api import endpoints
from chat.api.http import Request, Response
from chat.api.inputs import CONNECTION_ID_RULE
from chat.api.routes import Endpoints
from chat.app.realtime import Realtime
from chat.app.runtime import Runtime
from realtime.signalr_bindings import BindingOutput
from signalr.bindings import SignalRGroupAction, SignalRMessage, parse_output
from tests.fixtures.chat import (
    BOB,
    DenyAll,
    InMemoryConnections,
    InMemoryMessageStore,
    RecordingRealtime,
    fake_runtime,
    make_request,
    make_settings,
)


@pytest.fixture
def runtime(store: InMemoryMessageStore) -> Runtime:
    return fake_runtime(make_settings(max_message_length=10), store=store)


def error_of(response: Response) -> tuple[int, str, str]:
    error = response.body["error"]
    return response.status, error["code"], error["message"]


def post(runtime: Runtime, realtime: Realtime, body: Any = None, **options: Any) -> Response:
    return Endpoints(runtime).messages.send(make_request(body=body, **options), realtime)


def test_send_answers_201_with_the_stored_message_and_200_on_a_retry(
    runtime: Runtime, realtime: RecordingRealtime
) -> None:
    first = post(runtime, realtime, {"text": "hello", "id": "c-1"})
    again = post(runtime, realtime, {"text": "hello", "id": "c-1"})

    assert (first.status, again.status) == (201, 200)
    assert first.body == again.body
    assert set(first.body) == {
        "id",
        "documentId",
        "senderId",
        "senderName",
        "text",
        "createdAt",
        "seq",
        "position",
        "cursor",
        "editedAt",
        "deleted",
        "reactions",
        "threadId",
        "thread",
        "anchor",
        "mentions",
    }
    assert first.body["seq"] == 1
    assert first.body["senderId"] == "alice-id"
    assert len(realtime.sent) == 2


def test_send_generates_an_id_when_none_is_given(
    runtime: Runtime, realtime: RecordingRealtime
) -> None:
    first, second = post(runtime, realtime, {"text": "a"}), post(runtime, realtime, {"text": "a"})

    assert first.body["id"] != second.body["id"]
    assert (first.status, second.status) == (201, 201)


def test_messages_are_numbered_in_the_order_they_are_posted(
    runtime: Runtime, realtime: RecordingRealtime
) -> None:
    posted = [post(runtime, realtime, {"text": f"t{n}"}).body for n in range(3)]

    assert [message["seq"] for message in posted] == [1, 2, 3]


def test_list_reads_newest_first_and_catches_up_oldest_first(
    runtime: Runtime, realtime: RecordingRealtime
) -> None:
    posted = [post(runtime, realtime, {"text": f"t{n}"}).body for n in range(3)]
    ids = [message["id"] for message in posted]

    newest = Endpoints(runtime).messages.list(make_request("GET", params={"limit": "2"}))
    assert [item["id"] for item in newest.body["items"]] == ids[:0:-1]
    assert newest.body["continuationToken"] is not None
    cursor = newest.body["items"][-1]["cursor"]
    caught_up = Endpoints(runtime).messages.list(make_request("GET", params={"after": cursor}))
    assert caught_up.status == 200
    assert [item["id"] for item in caught_up.body["items"]] == ids[2:]
    assert caught_up.body["continuationToken"] is None


def test_join_and_leave_answer_204(runtime: Runtime, realtime: RecordingRealtime) -> None:
    body = {"connectionId": "conn-1"}

    joined = Endpoints(runtime).membership.join(make_request(body=body), realtime)
    assert (joined.status, joined.content) == (204, b"")
    assert realtime.groups == {"document:doc-1": {"conn-1"}}
    assert Endpoints(runtime).membership.leave(make_request(body=body), realtime).status == 204
    assert realtime.groups == {"document:doc-1": set()}


def test_in_bindings_mode_the_output_binding_gets_the_group_action_and_the_message(
    runtime: Runtime,
) -> None:
    written: list[str] = []

    joining = BindingOutput(written.append)
    Endpoints(runtime).membership.join(make_request(body={"connectionId": "conn-1"}), joining)
    action, presence = parse_output(written[-1])
    assert action == SignalRGroupAction(
        action="add", group_name="document:doc-1", connection_id="conn-1"
    )
    assert presence == SignalRMessage(
        target="presence",
        arguments=[{"documentId": "doc-1", "users": [{"id": "alice-id", "name": "Alice"}]}],
        group_name="document:doc-1",
    )
    sending = BindingOutput(written.append)  # each invocation has its own output binding
    sent = Endpoints(runtime).messages.send(make_request(body={"text": "hi"}), sending)
    (message,) = parse_output(written[-1])
    assert message == SignalRMessage(
        target="newMessage", arguments=[sent.body], group_name="document:doc-1"
    )


def test_a_backend_names_the_sender(runtime: Runtime, realtime: RecordingRealtime) -> None:
    request = make_request(user=None, body={"text": "beep", "senderId": "bot", "senderName": "Bot"})

    response = Endpoints(runtime).messages.send_for_service(request, realtime)

    assert response.status == 201
    assert (response.body["senderId"], response.body["senderName"]) == ("bot", "Bot")


def test_a_backend_sender_name_defaults_to_its_id(
    runtime: Runtime, realtime: RecordingRealtime
) -> None:
    request = make_request(user=None, body={"text": "beep", "senderId": "bot"})

    assert (
        Endpoints(runtime).messages.send_for_service(request, realtime).body["senderName"] == "bot"
    )


@pytest.mark.parametrize(
    ("body", "code", "says"),
    [
        (b"", "invalid_json", "empty"),
        (b"{", "invalid_json", "not valid JSON"),
        (b'{"text": "\xff"}', "invalid_json", "UTF-8"),
        (b"[]", "invalid_json", "not an array"),
        (b'"hello"', "invalid_json", "not a string"),
        ({"text": "hi", "sender": "x"}, "invalid_request", "sender: unknown field"),
        ({"text": 5}, "invalid_request", "text: input should be a valid string"),
        ({}, "invalid_request", "text: field required"),
        ({"text": ""}, "invalid_request", "text: must be 1 to 10 characters"),
        ({"text": "x" * 11}, "invalid_request", "text: must be 1 to 10 characters, got 11"),
        ({"text": "  \n"}, "invalid_request", "text: must contain at least one visible"),
        ({"text": "\u200b\u200d\ufeff"}, "invalid_request", "at least one visible character"),
        ({"text": "\u3164\u2800"}, "invalid_request", "at least one visible character"),
        ({"text": "boom \ud800"}, "invalid_request", "text: must not contain lone surrogates"),
        ({"text": "a\x1bb"}, "invalid_request", "must not contain the character U+001B"),
        ({"text": "hi", "id": "_head"}, "invalid_request", "id: must not start with _"),
        ({"text": "hi", "id": "a\u200bb"}, "invalid_request", "id: must not contain"),
        ({"text": "hi", "id": "\udc00"}, "invalid_request", "id: must not contain"),
        (b"[" * 3000 + b"]" * 3000, "invalid_json", "nests arrays or objects too deeply"),
        (b'{"text": "hi", "id": ' + b"9" * 5000 + b"}", "invalid_json", "longer than 20 digits"),
        (b'{"text": "hi", "id": 1e99999}', "invalid_request", "id: input should be a valid"),
        (b'{"text": "\\ud800"}', "invalid_request", "lone surrogates"),
        ({"text": "hi", "id": "a/b"}, "invalid_request", "id: must not contain /"),
        ({"text": "hi", "id": ""}, "invalid_request", "id: must be 1 to 128"),
        ({"text": "hi", "id": "x" * 129}, "invalid_request", "id: must be 1 to 128"),
        ({"text": "hi", "id": 7}, "invalid_request", "id: input should be a valid string"),
    ],
)
def test_send_refuses_bad_bodies_saying_what_is_wrong(
    runtime: Runtime,
    store: InMemoryMessageStore,
    realtime: RecordingRealtime,
    body: bytes | dict[str, Any],
    code: str,
    says: str,
) -> None:
    status, error_code, message = error_of(post(runtime, realtime, body))

    assert (status, error_code) == (400, code)
    assert says in message
    assert realtime.sent == []
    assert store.items == {}


@pytest.mark.parametrize(
    ("document_id", "says"),
    [
        ("", "documentId must be 1 to 255 characters, got 0"),
        ("d" * 256, "documentId must be 1 to 255 characters, got 256"),
        ("a\\b", "documentId must not contain"),
        ("a?b", "documentId must not contain"),
        ("a#b", "documentId must not contain"),
        ("a\x00b", "documentId must not contain"),
        ("a\ud800b", "documentId must not contain"),
        ("a\u200bb", "documentId must not contain"),
    ],
)
def test_every_endpoint_refuses_a_bad_document_id(
    runtime: Runtime, realtime: RecordingRealtime, document_id: str, says: str
) -> None:
    calls: tuple[Callable[[], Response], ...] = (
        lambda: post(runtime, realtime, {"text": "hi"}, document_id=document_id),
        lambda: Endpoints(runtime).messages.list(make_request("GET", document_id=document_id)),
        lambda: Endpoints(runtime).membership.join(
            make_request(body={"connectionId": "c"}, document_id=document_id), realtime
        ),
    )
    for call in calls:
        status, code, message = error_of(call())
        assert (status, code) == (400, "invalid_request")
        assert says in message


def test_a_body_too_large_for_any_message_is_413(
    runtime: Runtime, realtime: RecordingRealtime
) -> None:
    limit = endpoints.max_body_bytes(10)

    response = post(runtime, realtime, json.dumps({"text": "x" * limit}))

    assert error_of(response)[:2] == (413, "payload_too_large")


def test_a_join_body_too_large_is_413(runtime: Runtime, realtime: RecordingRealtime) -> None:
    body = {"connectionId": "c" * endpoints.MAX_MEMBERSHIP_BODY_BYTES}
    response = Endpoints(runtime).membership.join(make_request(body=body), realtime)

    assert error_of(response)[:2] == (413, "payload_too_large")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({}, "connectionId: field required"),
        ({"connectionId": ""}, f"connectionId: {CONNECTION_ID_RULE}"),
        ({"connectionId": "a b"}, f"connectionId: {CONNECTION_ID_RULE}"),
        ({"connectionId": "\ud800"}, f"connectionId: {CONNECTION_ID_RULE}"),
        ({"connectionId": 1}, "connectionId: input should be a valid string"),
        ({"connectionId": "c", "x": 1}, "x: unknown field"),
    ],
)
def test_join_refuses_bad_bodies(
    runtime: Runtime, realtime: RecordingRealtime, body: dict[str, Any], says: str
) -> None:
    assert error_of(Endpoints(runtime).membership.join(make_request(body=body), realtime)) == (
        400,
        "invalid_request",
        says,
    )


def test_joining_with_a_connection_the_service_no_longer_has_is_404(
    realtime: RecordingRealtime,
) -> None:
    runtime = fake_runtime(connections=InMemoryConnections({"gone": "alice-id"}))
    response = Endpoints(runtime).membership.join(
        make_request(body={"connectionId": "gone"}), realtime
    )

    assert error_of(response)[:2] == (404, "connection_not_found")


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"limit": "0"}, "limit: input should be greater than or equal to 1"),
        ({"limit": "501"}, "limit: input should be less than or equal to 500"),
        ({"limit": "ten"}, "limit: input should be a valid integer"),
        ({"limit": "9" * 5000}, "limit: unable to parse input string as an integer"),
        ({"after": "not-a-cursor"}, "after is not a cursor docchat issued"),
        ({"after": "W1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tb"}, "after is not a cursor docchat issued"),
        ({"after": "Yzox"[:3]}, "after is not a cursor docchat issued"),
        ({"after": "bzox"}, "after is not a cursor docchat issued"),
        ({"after": "é"}, "after is not a cursor docchat issued"),
        ({"after": "\ud800"}, "after: input should be a valid string"),
        ({"continuationToken": "%%%"}, "continuationToken is not one docchat issued"),
        ({"continuationToken": "ünïcode"}, "continuationToken is not one docchat issued"),
        ({"continuationToken": "Yzox"}, "continuationToken is not one docchat issued"),
        ({"after": "x", "continuationToken": "y"}, "use either after or continuationToken"),
    ],
)
def test_list_refuses_bad_query_strings(
    runtime: Runtime, realtime: RecordingRealtime, params: dict[str, str], says: str
) -> None:
    status, code, message = error_of(
        Endpoints(runtime).messages.list(make_request("GET", params=params))
    )

    assert (status, code) == (400, "invalid_request")
    assert says in message


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"text": "hi"}, "senderId: field required"),
        ({"text": "hi", "senderId": ""}, "senderId: must be 1 to 255 characters"),
        ({"text": "hi", "senderId": "a\x07"}, "must not contain the character U+0007"),
        ({"text": "hi", "senderId": "b", "senderName": ""}, "senderName: must be 1 to 100"),
        ({"text": "hi", "senderId": "b", "senderName": "n" * 101}, "must be 1 to 100 characters"),
        ({"text": "hi", "senderId": "b", "senderName": "a\nb"}, "must not contain the character"),
        ({"text": "hi", "senderId": "b", "senderName": "\u200b"}, "one visible character"),
    ],
)
def test_the_service_route_refuses_bad_senders(
    runtime: Runtime, realtime: RecordingRealtime, body: dict[str, Any], says: str
) -> None:
    request = make_request(user=None, body=body)

    status, _, message = error_of(Endpoints(runtime).messages.send_for_service(request, realtime))

    assert status == 400
    assert says in message


def test_user_endpoints_answer_401_to_anonymous_callers(
    runtime: Runtime, realtime: RecordingRealtime
) -> None:
    anonymous: list[Request] = [
        make_request(user=None, body={"text": "hi"}),
        make_request("GET", user=None),
        make_request(user=None, body={"connectionId": "conn-1"}),
    ]
    calls: list[Callable[[Request], Response]] = [
        lambda request: Endpoints(runtime).messages.send(request, realtime),
        lambda request: Endpoints(runtime).messages.list(request),
        lambda request: Endpoints(runtime).membership.join(request, realtime),
        lambda request: Endpoints(runtime).membership.leave(request, realtime),
    ]

    for call, request in zip(calls, [*anonymous, anonymous[2]], strict=True):
        assert error_of(call(request))[:2] == (401, "unauthenticated")


def test_anonymous_callers_get_401_before_any_validation(
    runtime: Runtime, realtime: RecordingRealtime
) -> None:
    response = post(runtime, realtime, b"not json", user=None, document_id="bad/id")

    assert error_of(response)[:2] == (401, "unauthenticated")


def test_the_access_hook_turns_a_user_away_with_403(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    runtime = fake_runtime(store=store, access=DenyAll())

    assert error_of(post(runtime, realtime, {"text": "hi"}))[:2] == (403, "forbidden")
    list_response = Endpoints(runtime).messages.list(make_request("GET"))
    assert error_of(list_response)[:2] == (403, "forbidden")
    join = Endpoints(runtime).membership.join(
        make_request(body={"connectionId": "conn-1"}), realtime
    )
    assert error_of(join)[:2] == (403, "forbidden")


def test_reusing_an_id_for_another_message_is_409(
    runtime: Runtime, realtime: RecordingRealtime
) -> None:
    post(runtime, realtime, {"text": "hello", "id": "c-1"})

    response = post(runtime, realtime, {"text": "hello", "id": "c-1"}, user=BOB)

    assert error_of(response)[:2] == (409, "message_id_conflict")


def test_a_store_outage_is_503_saying_nothing_was_stored_and_nothing_broadcast(
    runtime: Runtime, store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    store.down = True

    response = post(runtime, realtime, {"text": "hello"})

    assert error_of(response)[:2] == (503, "store_unavailable")
    assert response.headers == {"Retry-After": "1"}
    assert response.body["error"]["stored"] is False
    assert response.body["error"]["id"]
    assert realtime.sent == []


def test_a_store_outage_with_the_clients_own_id_is_503_saying_an_earlier_try_may_be_stored(
    runtime: Runtime, store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    """The client may have sent this id before, and that try may still land."""
    store.down = True

    response = post(runtime, realtime, {"text": "hello", "id": "c-1"})

    assert error_of(response)[:2] == (503, "store_unavailable")
    assert (response.body["error"]["stored"], response.body["error"]["id"]) == (None, "c-1")
    assert realtime.sent == []


@pytest.mark.parametrize(("body", "stored"), [({}, False), ({"id": "c-1"}, None)])
def test_a_send_timed_out_behind_a_busy_document_is_503_document_busy_not_a_store_outage(
    runtime: Runtime,
    store: InMemoryMessageStore,
    realtime: RecordingRealtime,
    body: dict[str, str],
    stored: bool | None,
) -> None:
    """Found with two hosts on a loaded machine: a hot document's writers ran out of their
    budget in the queue, and each heard "the message store is unavailable" although Cosmos
    DB answered every request. ``stored`` keeps the send's rule."""
    store.busy = True

    response = post(runtime, realtime, {"text": "hello", **body})

    assert error_of(response)[:2] == (503, "document_busy")
    assert response.body["error"]["message"].startswith("the document is busy")
    assert response.body["error"]["stored"] is stored
    assert response.headers == {"Retry-After": "1"}
    assert realtime.sent == []


def test_a_write_with_no_answer_is_503_saying_the_outcome_is_unknown(
    runtime: Runtime, store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    store.unanswered = True

    response = post(runtime, realtime, {"text": "hello", "id": "c-1"})

    assert error_of(response)[:2] == (503, "store_outcome_unknown")
    assert response.body["error"]["stored"] is None
    assert realtime.sent == []


def test_a_history_read_during_an_outage_is_503_without_a_stored_flag(
    runtime: Runtime, realtime: RecordingRealtime, store: InMemoryMessageStore
) -> None:
    store.down = True

    response = Endpoints(runtime).messages.list(make_request("GET"))

    assert error_of(response)[:2] == (503, "store_unavailable")
    assert "stored" not in response.body["error"]


def test_a_delivery_outage_is_503_saying_the_message_is_stored(
    runtime: Runtime, store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    realtime.down = True

    response = post(runtime, realtime, {"text": "hello", "id": "c-1"})

    assert response.status == 503
    assert response.headers == {"Retry-After": "7"}
    assert response.body["error"]["stored"] is True
    assert response.body["error"]["id"] == "c-1"
    assert store.get("doc-1", "c-1") is not None


def test_a_bug_fails_the_invocation_instead_of_answering(
    runtime: Runtime, realtime: RecordingRealtime, store: InMemoryMessageStore
) -> None:
    """The host then logs the traceback and answers 500 itself, as a failed invocation."""
    store.items = None  # type: ignore[assignment]

    with pytest.raises(TypeError):
        post(runtime, realtime, {"text": "hello"})
