"""HubClient against a real HTTP server on loopback: paths, tokens, bodies, retries, errors."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, NamedTuple

import jwt
import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from opentelemetry.trace import SpanKind

from shared.connection_string import ConnectionString, parse_connection_string, replace_port
from shared.entra import CredentialError
from signalr.errors import (
    NotFoundError,
    PayloadTooLargeError,
    RetriesExhaustedError,
    ServiceError,
    ServiceUnavailableError,
    SignalRError,
)
from signalr.rest import API_VERSION, MAX_BODY_BYTES, HubClient, RetryPolicy
from tests.fixtures.telemetry import Observed
from tests.integration.recording_server import (
    RecordedRequest,
    RecordingServer,
    Reply,
    recording_server,  # noqa: F401 - a fixture
)

KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn0123="
FAST_RETRY = RetryPolicy.default(attempts=3, backoff=0.01)


def connection_to(server: RecordingServer, extra: str = "") -> ConnectionString:
    return parse_connection_string(f"Endpoint={server.url};AccessKey={KEY};Version=1.0;{extra}")


def bearer_audience(request: RecordedRequest) -> str:
    """The audience of the request's bearer token, after checking its signature."""
    scheme, _, token = request.headers["authorization"].partition(" ")
    assert scheme == "Bearer"
    claims = jwt.decode(
        token,
        KEY.encode(),
        algorithms=["HS256"],
        options={"verify_aud": False, "require": ["aud", "exp", "iat", "nbf"]},
    )
    assert claims["exp"] - claims["iat"] == 300
    return str(claims["aud"])


def audience(server: RecordingServer, path: str) -> str:
    """The REST audience the Management SDK signs (RestApiProvider.cs): the service's origin
    without its port, the path, and the api-version."""
    return f"{replace_port(server.url, None)}{path}?api-version={API_VERSION}"


@pytest.fixture
def server(recording_server: RecordingServer) -> RecordingServer:  # noqa: F811
    return recording_server


@pytest.fixture
def hub(server: RecordingServer) -> Iterator[HubClient]:
    with HubClient(connection_to(server), "chat", retry=FAST_RETRY, timeout=(2, 2)) as client:
        yield client


# Every operation of the 2022-06-01 table ------------------------------------------------------


class Call(NamedTuple):
    perform: Callable[[HubClient], Any]
    method: str
    path: str
    query: dict[str, list[str]]


CALLS = {
    "send to all": Call(
        lambda hub: hub.send_to_all("newMessage", ["hi"]), "POST", "/api/hubs/chat/:send", {}
    ),
    "send to all but some": Call(
        lambda hub: hub.send_to_all("newMessage", ["hi"], excluded=["c-1", "c/2"]),
        "POST",
        "/api/hubs/chat/:send",
        {"excluded": ["c-1", "c/2"]},
    ),
    "send to group": Call(
        lambda hub: hub.send_to_group("document:42", "newMessage", ["hi"]),
        "POST",
        "/api/hubs/chat/groups/document%3A42/:send",
        {},
    ),
    "send to group but some": Call(
        lambda hub: hub.send_to_group("document:42", "newMessage", ["hi"], excluded=["c-1"]),
        "POST",
        "/api/hubs/chat/groups/document%3A42/:send",
        {"excluded": ["c-1"]},
    ),
    "send to user": Call(
        lambda hub: hub.send_to_user("alice@example.com", "newMessage", ["hi"]),
        "POST",
        "/api/hubs/chat/users/alice%40example.com/:send",
        {},
    ),
    "send to connection": Call(
        lambda hub: hub.send_to_connection("conn/1+2 ü", "newMessage", ["hi"]),
        "POST",
        "/api/hubs/chat/connections/conn%2F1%2B2%20%C3%BC/:send",
        {},
    ),
    "add connection to group": Call(
        lambda hub: hub.add_connection_to_group("document:42", "c-1"),
        "PUT",
        "/api/hubs/chat/groups/document%3A42/connections/c-1",
        {},
    ),
    "remove connection from group": Call(
        lambda hub: hub.remove_connection_from_group("document:42", "c-1"),
        "DELETE",
        "/api/hubs/chat/groups/document%3A42/connections/c-1",
        {},
    ),
    "remove connection from all groups": Call(
        lambda hub: hub.remove_connection_from_all_groups("c-1"),
        "DELETE",
        "/api/hubs/chat/connections/c-1/groups",
        {},
    ),
    "add user to group": Call(
        lambda hub: hub.add_user_to_group("document:42", "alice"),
        "PUT",
        "/api/hubs/chat/users/alice/groups/document%3A42",
        {},
    ),
    "add user to group with ttl": Call(
        lambda hub: hub.add_user_to_group("document:42", "alice", ttl=3600),
        "PUT",
        "/api/hubs/chat/users/alice/groups/document%3A42",
        {"ttl": ["3600"]},
    ),
    "add user to group with ttl 0": Call(
        lambda hub: hub.add_user_to_group("g", "alice", ttl=0),
        "PUT",
        "/api/hubs/chat/users/alice/groups/g",
        {"ttl": ["0"]},
    ),
    "remove user from group": Call(
        lambda hub: hub.remove_user_from_group("document:42", "alice"),
        "DELETE",
        "/api/hubs/chat/users/alice/groups/document%3A42",
        {},
    ),
    "remove user from all groups": Call(
        lambda hub: hub.remove_user_from_all_groups("alice"),
        "DELETE",
        "/api/hubs/chat/users/alice/groups",
        {},
    ),
    "connection exists": Call(
        lambda hub: hub.connection_exists("c-1"), "HEAD", "/api/hubs/chat/connections/c-1", {}
    ),
    "group exists": Call(
        lambda hub: hub.group_exists("document:42"),
        "HEAD",
        "/api/hubs/chat/groups/document%3A42",
        {},
    ),
    "user exists": Call(
        lambda hub: hub.user_exists("alice"), "HEAD", "/api/hubs/chat/users/alice", {}
    ),
    "user in group": Call(
        lambda hub: hub.user_in_group("document:42", "alice"),
        "HEAD",
        "/api/hubs/chat/users/alice/groups/document%3A42",
        {},
    ),
    "close connection": Call(
        lambda hub: hub.close_connection("c-1"), "DELETE", "/api/hubs/chat/connections/c-1", {}
    ),
    "close connection with reason": Call(
        lambda hub: hub.close_connection("c-1", reason="signed out"),
        "DELETE",
        "/api/hubs/chat/connections/c-1",
        {"reason": ["signed out"]},
    ),
    "close all connections": Call(
        lambda hub: hub.close_all_connections(),
        "POST",
        "/api/hubs/chat/:closeConnections",
        {},
    ),
    "close all connections but some": Call(
        lambda hub: hub.close_all_connections(excluded=["c-1", "c-2"], reason="maintenance"),
        "POST",
        "/api/hubs/chat/:closeConnections",
        {"excluded": ["c-1", "c-2"], "reason": ["maintenance"]},
    ),
    "close group connections": Call(
        lambda hub: hub.close_group_connections("document:42", excluded=["c-1"], reason="bye"),
        "POST",
        "/api/hubs/chat/groups/document%3A42/:closeConnections",
        {"excluded": ["c-1"], "reason": ["bye"]},
    ),
    "close user connections": Call(
        lambda hub: hub.close_user_connections("alice", reason="revoked"),
        "POST",
        "/api/hubs/chat/users/alice/:closeConnections",
        {"reason": ["revoked"]},
    ),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_each_operation_sends_its_method_path_query_and_token(
    server: RecordingServer, hub: HubClient, call: Call
) -> None:
    call.perform(hub)

    [request] = server.requests
    assert request.method == call.method
    assert request.path == call.path
    assert request.query == {**call.query, "api-version": [API_VERSION]}
    assert bearer_audience(request) == audience(server, call.path)


def test_a_traced_call_sends_its_traceparent_and_its_span_keeps_no_user_id(
    server: RecordingServer, hub: HubClient, observed: Observed
) -> None:
    hub.send_to_user("alice@contoso", "notification", [])

    [request] = server.requests
    (span,) = observed.spans()
    assert span.kind is SpanKind.CLIENT
    assert span.context is not None
    assert request.headers["traceparent"].split("-")[2] == f"{span.context.span_id:016x}"
    attributes = dict(span.attributes or {})
    assert attributes["url.full"] == (f"{server.url}/api/hubs/chat/users/{{userId}}/:send")
    assert attributes["http.response.status_code"] == server.default_reply.status
    assert all("alice" not in str(value) for value in attributes.values())


def test_excluded_connections_are_repeated_query_parameters(
    server: RecordingServer, hub: HubClient
) -> None:
    hub.send_to_all("newMessage", [], excluded=iter(["a", "b"]))

    assert server.requests[0].raw_query == f"excluded=a&excluded=b&api-version={API_VERSION}"


@pytest.mark.parametrize(
    "send",
    [
        lambda hub, arguments: hub.send_to_all("newMessage", arguments),
        lambda hub, arguments: hub.send_to_group("g", "newMessage", arguments),
        lambda hub, arguments: hub.send_to_user("u", "newMessage", arguments),
        lambda hub, arguments: hub.send_to_connection("c", "newMessage", arguments),
    ],
    ids=["all", "group", "user", "connection"],
)
def test_a_send_posts_target_and_arguments_as_json(
    server: RecordingServer, hub: HubClient, send: Callable[[HubClient, Any], None]
) -> None:
    arguments = ({"text": "grüße", "n": 1}, [1, 2], None)

    send(hub, arguments)

    [request] = server.requests
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "target": "newMessage",
        "arguments": [{"text": "grüße", "n": 1}, [1, 2], None],
    }


@pytest.mark.parametrize(
    "call",
    [call for call in CALLS.values() if call.method != "POST"],
    ids=[name for name, call in CALLS.items() if call.method != "POST"],
)
def test_calls_other_than_sends_have_no_body(
    server: RecordingServer, hub: HubClient, call: Call
) -> None:
    call.perform(hub)

    assert server.requests[0].body == b""


def test_a_send_needs_a_target(server: RecordingServer, hub: HubClient) -> None:
    with pytest.raises(ValueError, match="target"):
        hub.send_to_all("", [])

    assert server.requests == []


@pytest.mark.parametrize("name", ["", ".", ".."])
def test_names_that_cannot_be_a_path_segment_are_refused_before_sending(
    server: RecordingServer, hub: HubClient, name: str
) -> None:
    refused: tuple[Callable[[], None], ...] = (
        lambda: hub.send_to_group(name, "newMessage", []),
        lambda: hub.send_to_user(name, "newMessage", []),
        lambda: hub.add_connection_to_group("g", name),
        lambda: hub.close_connection(name),
    )
    for perform in refused:
        with pytest.raises(ValueError, match="connection id, user id or group name"):
            perform()

    assert server.requests == []


def test_a_negative_ttl_is_refused(server: RecordingServer, hub: HubClient) -> None:
    with pytest.raises(ValueError, match="ttl"):
        hub.add_user_to_group("g", "alice", ttl=-1)

    assert server.requests == []


def test_the_hub_name_is_validated(server: RecordingServer) -> None:
    with pytest.raises(ValueError, match="hub name"):
        HubClient(connection_to(server), "chat room")


def test_calls_share_one_pooled_connection(server: RecordingServer, hub: HubClient) -> None:
    for _ in range(5):
        hub.send_to_all("newMessage", [])

    assert len({request.client_port for request in server.requests}) == 1


def test_a_call_looks_for_no_netrc_file(
    server: RecordingServer, hub: HubClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests reads ~/.netrc (a file system lookup per call) unless the call has auth.
    looked: list[str] = []
    monkeypatch.setattr("requests.sessions.get_netrc_auth", lambda url: looked.append(url))

    hub.send_to_all("newMessage", [])

    assert (looked, bearer_audience(server.requests[0])) == (
        [],
        audience(server, "/api/hubs/chat/:send"),
    )


def test_each_call_signs_a_fresh_token_for_its_own_url(
    server: RecordingServer, hub: HubClient
) -> None:
    hub.send_to_user("alice", "t", [])
    hub.send_to_user("bob", "t", [])

    first, second = (bearer_audience(request) for request in server.requests)
    assert first == audience(server, "/api/hubs/chat/users/alice/:send")
    assert second == audience(server, "/api/hubs/chat/users/bob/:send")


def test_the_hub_travels_lower_cased_as_rest_api_provider_sends_it(
    server: RecordingServer,
) -> None:
    """azure-signalr Management/RestApiProvider.cs lower-cases the hub in URL and audience."""
    with HubClient(connection_to(server), "DocChat") as client:
        client.send_to_all("t", [])

    [request] = server.requests
    assert request.path == "/api/hubs/docchat/:send"
    assert bearer_audience(request) == audience(server, "/api/hubs/docchat/:send")


# Where requests go -------------------------------------------------------------------------


def test_server_endpoint_receives_the_calls_but_the_audience_names_the_service(
    server: RecordingServer,
) -> None:
    """azure-signalr Management/RestApiProvider.cs: calls go to the ServerEndpoint, the token
    names the service (ServiceEndpoint.cs AudienceBaseUrl), as a real service behind a proxy
    expects."""
    elsewhere = parse_connection_string(
        f"Endpoint=https://docchat.invalid;AccessKey={KEY};ServerEndpoint={server.url}/"
    )

    with HubClient(elsewhere, "chat", retry=FAST_RETRY) as client:
        client.send_to_all("t", [])

    assert bearer_audience(server.requests[0]) == (
        f"https://docchat.invalid/api/hubs/chat/:send?api-version={API_VERSION}"
    )


def test_port_sends_the_calls_to_that_port(server: RecordingServer) -> None:
    ported = parse_connection_string(
        f"Endpoint=http://127.0.0.1:1;AccessKey={KEY};Port={server.port}"
    )

    with HubClient(ported, "chat", retry=FAST_RETRY) as client:
        client.send_to_all("t", [])

    assert bearer_audience(server.requests[0]) == audience(server, "/api/hubs/chat/:send")


class RecordingCredential:
    """A stand-in Microsoft Entra credential: hands out a fixed token, remembers scopes."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken("entra-token", int(time.time()) + 3600)


def test_an_entra_connection_authenticates_with_the_credentials_token(
    server: RecordingServer,
) -> None:
    credential = RecordingCredential()
    entra = parse_connection_string(f"Endpoint={server.url};AuthType=azure.msi")

    with HubClient(entra, "chat", credential=credential, retry=FAST_RETRY) as client:
        client.send_to_all("t", [])

    assert server.requests[0].headers["authorization"] == "Bearer entra-token"
    assert credential.scopes == [("https://signalr.azure.com/.default",)]


class RefusingCredential:
    """A credential Microsoft Entra ID turns down, as an unknown managed identity is."""

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        raise ClientAuthenticationError("ManagedIdentityCredential: identity not found")


def test_a_credential_that_gets_no_token_is_a_credential_error_and_sends_nothing(
    server: RecordingServer,
) -> None:
    entra = parse_connection_string(f"Endpoint={server.url};AuthType=azure.msi")

    with (
        HubClient(entra, "chat", credential=RefusingCredential()) as client,
        pytest.raises(CredentialError, match="identity not found"),
    ):
        client.send_to_all("t", [])

    assert server.requests == []


def test_generate_token_asks_the_service_for_whole_minutes_as_the_user(
    server: RecordingServer,
) -> None:
    server.answer(Reply.json(200, {"token": "made-by-the-service"}))
    entra = parse_connection_string(f"Endpoint={server.url};AuthType=azure")

    with HubClient(entra, "Chat", credential=RecordingCredential()) as client:
        info = client.client_connection_info(user_id="a b", lifetime=timedelta(seconds=150))

    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/api/hubs/chat/:generateToken")
    assert request.query == {
        "userId": ["a b"],
        "minutesToExpire": ["2"],
        "api-version": ["2024-12-01"],
    }
    assert (info.url, info.access_token) == (
        f"{server.url}/client/?hub=chat",
        "made-by-the-service",
    )


def test_an_answer_without_a_token_is_a_service_error(server: RecordingServer) -> None:
    server.answer(Reply.json(200, {"accessToken": "not where the API puts it"}))
    entra = parse_connection_string(f"Endpoint={server.url};AuthType=azure")

    with (
        HubClient(entra, "chat", credential=RecordingCredential()) as client,
        pytest.raises(ServiceError, match="no 'token'"),
    ):
        client.client_connection_info(user_id="u")


# Existence checks ------------------------------------------------------------------------------

EXISTENCE_CHECKS = {
    "connection": lambda hub: hub.connection_exists("c-1"),
    "group": lambda hub: hub.group_exists("g"),
    "user": lambda hub: hub.user_exists("alice"),
    "user in group": lambda hub: hub.user_in_group("g", "alice"),
}


@pytest.mark.parametrize("check", EXISTENCE_CHECKS.values(), ids=EXISTENCE_CHECKS.keys())
@pytest.mark.parametrize(("status", "exists"), [(200, True), (404, False)])
def test_existence_checks_answer_a_bool(
    server: RecordingServer,
    hub: HubClient,
    check: Callable[[HubClient], bool],
    status: int,
    exists: bool,
) -> None:
    server.answer(Reply(status))

    assert check(hub) is exists
    assert len(server.requests) == 1


def test_an_existence_check_raises_for_other_errors(
    server: RecordingServer, hub: HubClient
) -> None:
    server.answer(Reply(401, headers={"x-ms-error-code": "Error.Unauthorized"}))

    with pytest.raises(ServiceError) as raised:
        hub.group_exists("g")

    assert raised.value.status_code == 401
    assert raised.value.error_code == "Error.Unauthorized"


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_health_check(server: RecordingServer, status: int, healthy: bool) -> None:
    server.default_reply = Reply(status)

    with HubClient(
        connection_to(server), "chat", retry=RetryPolicy.default(attempts=1, backoff=0.01)
    ) as client:
        assert client.is_healthy() is healthy

    request = server.requests[0]
    assert (request.method, request.path) == ("HEAD", "/api/health")
    assert request.query == {"api-version": [API_VERSION]}
    assert bearer_audience(request) == audience(server, "/api/health")


def test_an_unreachable_service_is_not_healthy() -> None:
    with HubClient(
        connection_to_closed_port(), "chat", retry=RetryPolicy.default(attempts=1, backoff=0.01)
    ) as client:
        assert client.is_healthy() is False


# Errors ------------------------------------------------------------------------------------------


def test_an_error_carries_the_code_and_message_of_the_json_body(
    server: RecordingServer, hub: HubClient
) -> None:
    server.answer(
        Reply.json(
            403,
            {"code": "Error.Forbidden.Hub", "message": "Not allowed to send", "target": None},
            headers={"x-ms-error-code": "Error.Forbidden"},
        )
    )

    with pytest.raises(ServiceError) as raised:
        hub.send_to_all("t", [])

    error = raised.value
    assert type(error) is ServiceError
    assert (error.status_code, error.error_code, error.message) == (
        403,
        "Error.Forbidden.Hub",
        "Not allowed to send",
    )
    assert "Error.Forbidden.Hub" in str(error)
    assert "Not allowed to send" in str(error)
    assert len(server.requests) == 1


def test_an_error_without_a_json_body_takes_the_header_code_and_reason(
    server: RecordingServer, hub: HubClient
) -> None:
    server.answer(Reply(400, b"<html>nope</html>", {"x-ms-error-code": "Error.BadRequest"}))

    with pytest.raises(ServiceError) as raised:
        hub.send_to_all("t", [])

    assert raised.value.error_code == "Error.BadRequest"
    assert raised.value.message == "Bad Request"


def test_an_error_without_any_code_still_says_what_happened(
    server: RecordingServer, hub: HubClient
) -> None:
    server.answer(Reply.json(409, {"detail": "other shape"}))

    with pytest.raises(ServiceError) as raised:
        hub.send_to_all("t", [])

    assert raised.value.error_code is None
    assert raised.value.message == "Conflict"
    assert str(raised.value) == "SignalR service answered 409: Conflict"


def test_not_found_is_its_own_error(server: RecordingServer, hub: HubClient) -> None:
    server.answer(Reply.json(404, {"code": "Error.Connection.NotExisted", "message": "gone"}))

    with pytest.raises(NotFoundError) as raised:
        hub.add_connection_to_group("g", "c-1")

    assert raised.value.error_code == "Error.Connection.NotExisted"
    assert raised.value.message == "gone"


def test_every_error_is_a_signalr_error() -> None:
    for kind in (
        NotFoundError,
        PayloadTooLargeError,
        RetriesExhaustedError,
        ServiceError,
        ServiceUnavailableError,
    ):
        assert issubclass(kind, SignalRError)


def test_errors_never_show_the_token(server: RecordingServer, hub: HubClient) -> None:
    server.answer(Reply.json(401, {"code": "Error.Unauthorized", "message": "bad token"}))

    with pytest.raises(ServiceError) as raised:
        hub.send_to_all("t", [])

    token = server.requests[0].headers["authorization"].split()[1]
    assert token not in str(raised.value)
    assert KEY not in str(raised.value)


# Retries -----------------------------------------------------------------------------------------


# The rules are the Management SDK's, per operation: azure-signalr
# src/Microsoft.Azure.SignalR.Management/DependencyInjectionExtensions.cs.


def test_without_a_policy_nothing_is_retried_as_with_the_sdk_and_extension_defaults(
    server: RecordingServer,
) -> None:
    server.default_reply = Reply(503)

    with HubClient(connection_to(server), "chat") as client, pytest.raises(RetriesExhaustedError):
        client.add_connection_to_group("g", "c")

    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_send_answered_above_500_is_retried_until_success(
    server: RecordingServer, hub: HubClient, status: int
) -> None:
    server.answer(Reply(status), Reply(status), Reply(202))

    hub.send_to_group("document:42", "newMessage", ["hi"])

    assert len(server.requests) == 3
    assert {request.path for request in server.requests} == {
        "/api/hubs/chat/groups/document%3A42/:send"
    }
    assert {request.body for request in server.requests} == {server.requests[0].body}


@pytest.mark.parametrize("status", [429, 500])
def test_a_send_answered_500_or_429_is_not_retried_as_it_may_have_landed_or_was_throttled(
    server: RecordingServer, hub: HubClient, status: int
) -> None:
    server.default_reply = Reply(status)

    with pytest.raises(RetriesExhaustedError):
        hub.send_to_all("t", [])

    assert len(server.requests) == 1


@pytest.mark.parametrize("status", [408, 500, 503])
def test_an_idempotent_call_is_retried_on_5xx_and_408(
    server: RecordingServer, hub: HubClient, status: int
) -> None:
    server.answer(Reply(status), Reply(200))

    hub.add_connection_to_group("g", "c")

    assert len(server.requests) == 2


def test_retries_are_bounded_then_the_last_answer_is_raised(
    server: RecordingServer, hub: HubClient
) -> None:
    server.default_reply = Reply.json(503, {"code": "Error.Busy", "message": "try later"})

    with pytest.raises(RetriesExhaustedError) as raised:
        hub.send_to_all("t", [])

    assert len(server.requests) == 4
    error = raised.value
    assert isinstance(error, ServiceError)
    assert isinstance(error, ServiceUnavailableError)
    assert (error.status_code, error.error_code, error.message) == (503, "Error.Busy", "try later")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 429])
def test_other_errors_are_not_retried(server: RecordingServer, hub: HubClient, status: int) -> None:
    server.default_reply = Reply(status)

    with pytest.raises(ServiceError):
        hub.add_user_to_group("g", "alice")

    assert len(server.requests) == 1


def test_retry_after_is_honoured(server: RecordingServer) -> None:
    server.answer(Reply(503, headers={"Retry-After": "1"}), Reply(202))

    with HubClient(
        connection_to(server), "chat", retry=RetryPolicy.default(attempts=1, backoff=0.01)
    ) as client:
        client.send_to_all("t", [])

    first, second = server.requests
    assert second.received_at - first.received_at >= 1.0


def test_backoff_waits_before_the_first_retry(server: RecordingServer) -> None:
    server.answer(Reply(503), Reply(202))

    with HubClient(
        connection_to(server), "chat", retry=RetryPolicy.default(attempts=1, backoff=0.3)
    ) as client:
        client.send_to_all("t", [])

    first, second = server.requests
    assert second.received_at - first.received_at >= 0.3


def test_a_dropped_send_is_not_retried_as_it_may_have_landed(
    server: RecordingServer, hub: HubClient
) -> None:
    server.default_reply = Reply.dropped()

    with pytest.raises(ServiceUnavailableError) as raised:
        hub.send_to_all("t", [])

    assert not isinstance(raised.value, ServiceError)
    assert len(server.requests) == 1
    assert "/api/hubs/chat/:send" in str(raised.value)


def test_a_dropped_idempotent_call_is_retried_a_bounded_number_of_times(
    server: RecordingServer, hub: HubClient
) -> None:
    server.default_reply = Reply.dropped()

    with pytest.raises(ServiceUnavailableError):
        hub.remove_connection_from_group("g", "c")

    assert len(server.requests) == 4


def test_a_slow_send_times_out_and_is_not_retried(server: RecordingServer) -> None:
    server.default_reply = Reply.slow(30)

    with (
        HubClient(
            connection_to(server),
            "chat",
            retry=RetryPolicy.default(attempts=2, backoff=0.01),
            timeout=(2, 0.2),
        ) as client,
        pytest.raises(ServiceUnavailableError),
    ):
        client.send_to_all("t", [])

    assert len(server.requests) == 1


def test_a_slow_idempotent_call_times_out_and_is_retried(server: RecordingServer) -> None:
    server.answer(Reply.slow(30), Reply(200))

    with HubClient(
        connection_to(server),
        "chat",
        retry=RetryPolicy.default(attempts=2, backoff=0.01),
        timeout=(2, 0.2),
    ) as client:
        client.add_connection_to_group("g", "c")

    assert len(server.requests) == 2


def test_the_budget_bounds_a_call_with_its_retries_and_waits(server: RecordingServer) -> None:
    server.default_reply = Reply.slow(30)
    budget = RetryPolicy.default(attempts=10, backoff=0.05, budget=0.6)

    started = time.monotonic()
    with (
        HubClient(connection_to(server), "chat", retry=budget, timeout=(2, 0.25)) as client,
        pytest.raises(ServiceUnavailableError),
    ):
        client.add_connection_to_group("g", "c")

    assert time.monotonic() - started < 0.6 + 0.2
    assert 2 <= len(server.requests) <= 3


def test_a_wait_that_would_end_past_the_budget_is_not_started(server: RecordingServer) -> None:
    server.default_reply = Reply(503, headers={"Retry-After": "5"})
    budget = RetryPolicy.default(attempts=3, max_wait=10, budget=1.0)

    started = time.monotonic()
    with (
        HubClient(connection_to(server), "chat", retry=budget) as client,
        pytest.raises(RetriesExhaustedError),
    ):
        client.send_to_all("t", [])

    assert time.monotonic() - started < 1.0
    assert len(server.requests) == 1


def connection_to_closed_port() -> ConnectionString:
    """A connection string for a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return parse_connection_string(f"Endpoint=http://127.0.0.1:{port};AccessKey={KEY}")


def test_a_connection_never_opened_is_retried_even_for_a_send() -> None:
    started = time.monotonic()
    with (
        HubClient(
            connection_to_closed_port(), "chat", retry=RetryPolicy.default(attempts=2, backoff=0.2)
        ) as client,
        pytest.raises(ServiceUnavailableError),
    ):
        client.send_to_all("t", [])

    assert time.monotonic() - started >= 0.2 + 0.4


def test_an_unreachable_service_raises_service_unavailable() -> None:
    with (
        HubClient(
            connection_to_closed_port(), "chat", retry=RetryPolicy.default(attempts=2, backoff=0.01)
        ) as client,
        pytest.raises(ServiceUnavailableError) as raised,
    ):
        client.send_to_all("t", [])

    assert "unreachable" in str(raised.value)
    assert KEY not in str(raised.value)


# Payload size ------------------------------------------------------------------------------------

ENVELOPE = len('{"target":"t","arguments":[""]}')


def test_a_body_over_1_mb_is_refused_before_sending(
    server: RecordingServer, hub: HubClient
) -> None:
    with pytest.raises(PayloadTooLargeError, match="1048577 bytes"):
        hub.send_to_all("t", ["x" * (MAX_BODY_BYTES - ENVELOPE + 1)])

    assert server.requests == []


def test_the_limit_counts_utf8_bytes_not_characters(
    server: RecordingServer, hub: HubClient
) -> None:
    with pytest.raises(PayloadTooLargeError):
        hub.send_to_group("g", "t", ["é" * (MAX_BODY_BYTES // 2)])

    assert server.requests == []


def test_a_body_of_exactly_1_mb_is_sent(server: RecordingServer, hub: HubClient) -> None:
    hub.send_to_all("t", ["x" * (MAX_BODY_BYTES - ENVELOPE)])

    [request] = server.requests
    assert len(request.body) == MAX_BODY_BYTES


def test_payload_too_large_is_a_value_error() -> None:
    assert issubclass(PayloadTooLargeError, ValueError)
