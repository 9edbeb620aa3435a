"""The emulator's REST API (2022-06-01 through signalr.rest.HubClient, v1 and refusals raw)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from devstack.signalr import RunningEmulator
from shared.connection_string import ConnectionString, parse_connection_string
from signalr.errors import NotFoundError, ServiceError
from signalr.rest import HubClient
from signalr.tokens import client_connection_info, server_token
from tests.fixtures.signalr_emulator import WireClient

API_VERSION = {"api-version": "2022-06-01"}
MESSAGE = {"target": "message", "arguments": ["hi"]}


@asynccontextmanager
async def connected(
    emulator: RunningEmulator, connection: ConnectionString, hub: str, user: str | None = None
) -> AsyncIterator[WireClient]:
    token = client_connection_info(connection, hub, user_id=user).access_token
    async with WireClient.connect(emulator.endpoint, hub, token) as client:
        yield client


def call(
    connection: ConnectionString,
    method: str,
    path: str,
    *,
    token: str | None = None,
    params: dict[str, str] | None = None,
    **options: Any,
) -> requests.Response:
    """A raw REST call signed for its own URL (or with ``token``), as a .NET or Java SDK would."""
    url = f"{connection.server_url}{path}"
    signed = server_token(connection, url) if token is None else token
    headers = {"Authorization": f"Bearer {signed}"} if signed else {}
    return requests.request(method, url, params=params, headers=headers, timeout=10, **options)


def assert_error(response: requests.Response, status: int, code: str, says: str = "") -> None:
    assert response.status_code == status
    assert response.headers["x-ms-error-code"] == code
    if response.request.method != "HEAD":
        body = response.json()
        assert set(body) == {"code", "message", "target", "details", "inner"}
        assert body["code"] == code
        assert says in body["message"]


# Health and sends --------------------------------------------------------------------------


def test_health_answers_without_a_token(
    signalr_hub: HubClient, signalr_connection: ConnectionString
) -> None:
    assert signalr_hub.is_healthy()
    for method in ("HEAD", "GET"):
        assert call(signalr_connection, method, "/api/health", token="").status_code == 200


def test_sends_to_nobody_are_accepted(signalr_hub: HubClient) -> None:
    signalr_hub.send_to_all("message", ["to an empty hub"], excluded=["someone"])
    signalr_hub.send_to_group("document:42", "message", [])
    signalr_hub.send_to_user("nobody", "message", [])
    signalr_hub.send_to_connection("not-connected", "message", [])


def test_a_send_answers_202_with_no_body(
    signalr_connection: ConnectionString, signalr_hub_name: str
) -> None:
    path = f"/api/hubs/{signalr_hub_name}/:send"
    response = call(signalr_connection, "POST", path, params=API_VERSION, json=MESSAGE)
    assert response.status_code == 202
    assert response.content == b""


def test_body_field_names_ignore_case_as_in_the_dotnet_sdk(
    signalr_connection: ConnectionString, signalr_hub_name: str
) -> None:
    path = f"/api/hubs/{signalr_hub_name}/:send"
    body = {"Target": "message", "Arguments": [1]}
    assert call(signalr_connection, "POST", path, params=API_VERSION, json=body).status_code == 202


# Connections, users and groups ---------------------------------------------------------------


async def test_connection_user_and_group_existence_follow_the_connection(
    signalr_emulator: RunningEmulator,
    signalr_connection: ConnectionString,
    signalr_hub: HubClient,
    signalr_hub_name: str,
) -> None:
    async with connected(signalr_emulator, signalr_connection, signalr_hub_name, "alice") as alice:
        assert alice.connection_id is not None
        assert await asyncio.to_thread(signalr_hub.connection_exists, alice.connection_id)
        assert await asyncio.to_thread(signalr_hub.user_exists, "alice")
        assert not await asyncio.to_thread(signalr_hub.user_exists, "Alice")
        assert not await asyncio.to_thread(signalr_hub.group_exists, "document:42")
        await asyncio.to_thread(
            signalr_hub.add_connection_to_group, "document:42", alice.connection_id
        )
        assert await asyncio.to_thread(signalr_hub.group_exists, "document:42")
        await asyncio.to_thread(
            signalr_hub.remove_connection_from_group, "document:42", alice.connection_id
        )
        assert not await asyncio.to_thread(signalr_hub.group_exists, "document:42")
        for group in ("a/b", "é€ ✓"):
            await asyncio.to_thread(signalr_hub.add_connection_to_group, group, alice.connection_id)
        assert await asyncio.to_thread(signalr_hub.group_exists, "a/b")
        assert not await asyncio.to_thread(signalr_hub.group_exists, "a")
        await asyncio.to_thread(signalr_hub.remove_connection_from_all_groups, alice.connection_id)
        assert not await asyncio.to_thread(signalr_hub.group_exists, "é€ ✓")
        await asyncio.to_thread(
            signalr_hub.add_connection_to_group, "document:42", alice.connection_id
        )
        await asyncio.to_thread(signalr_hub.close_connection, alice.connection_id)
        assert not await asyncio.to_thread(signalr_hub.connection_exists, alice.connection_id)
        assert not await asyncio.to_thread(signalr_hub.user_exists, "alice")
        assert not await asyncio.to_thread(signalr_hub.group_exists, "document:42")
        assert await alice.next_message() == {"type": 7, "allowReconnect": True}


async def test_hub_names_ignore_case(
    signalr_emulator: RunningEmulator,
    signalr_connection: ConnectionString,
    signalr_hub_name: str,
) -> None:
    async with connected(signalr_emulator, signalr_connection, signalr_hub_name.lower()) as client:
        with HubClient(signalr_connection, signalr_hub_name.upper()) as shouting:
            assert client.connection_id is not None
            assert await asyncio.to_thread(shouting.connection_exists, client.connection_id)


async def test_the_application_parameter_prefixes_the_hub(
    signalr_emulator: RunningEmulator,
    signalr_connection: ConnectionString,
    signalr_hub_name: str,
) -> None:
    async with connected(signalr_emulator, signalr_connection, f"app_{signalr_hub_name}") as client:
        path = f"/api/hubs/{signalr_hub_name}/connections/{client.connection_id}"
        params = {**API_VERSION, "application": "app"}
        response = await asyncio.to_thread(call, signalr_connection, "HEAD", path, params=params)
        assert response.status_code == 200
        response = await asyncio.to_thread(
            call, signalr_connection, "HEAD", path, params=API_VERSION
        )
        assert response.status_code == 404


async def test_a_user_membership_puts_the_users_connections_in_the_group(
    signalr_emulator: RunningEmulator,
    signalr_connection: ConnectionString,
    signalr_hub: HubClient,
    signalr_hub_name: str,
) -> None:
    await asyncio.to_thread(signalr_hub.add_user_to_group, "document:42", "bob", ttl=3600)
    assert await asyncio.to_thread(signalr_hub.user_in_group, "document:42", "bob")
    assert not await asyncio.to_thread(signalr_hub.group_exists, "document:42")
    async with connected(signalr_emulator, signalr_connection, signalr_hub_name, "bob"):
        assert await asyncio.to_thread(signalr_hub.group_exists, "document:42")
        await asyncio.to_thread(signalr_hub.remove_user_from_group, "document:42", "bob")
        assert not await asyncio.to_thread(signalr_hub.group_exists, "document:42")


def test_user_memberships_are_added_and_removed(signalr_hub: HubClient) -> None:
    signalr_hub.add_user_to_group("g1", "carol")
    signalr_hub.add_user_to_group("g2", "carol")
    assert signalr_hub.user_in_group("g1", "carol")
    signalr_hub.remove_user_from_all_groups("carol")
    assert not signalr_hub.user_in_group("g1", "carol")
    assert not signalr_hub.user_in_group("g2", "carol")


def test_a_zero_ttl_membership_has_already_expired(signalr_hub: HubClient) -> None:
    signalr_hub.add_user_to_group("g", "dave", ttl=0)
    assert not signalr_hub.user_in_group("g", "dave")


# Not found ---------------------------------------------------------------------------------------


def test_changing_the_groups_of_an_unknown_connection_is_404(signalr_hub: HubClient) -> None:
    for change in (signalr_hub.add_connection_to_group, signalr_hub.remove_connection_from_group):
        with pytest.raises(NotFoundError) as missing:
            change("document:42", "not-connected")
        assert missing.value.error_code == "Error.Connection.NotExisted"


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("connections/not-connected", "Warning.Connection.NotExisted"),
        ("groups/empty", "Warning.Group.NotExisted"),
        ("users/nobody", "Warning.User.NotExisted"),
        ("users/nobody/groups/empty", "Info.User.NotInGroup"),
    ],
)
def test_existence_checks_answer_404_with_the_services_error_code(
    signalr_connection: ConnectionString, signalr_hub_name: str, path: str, code: str
) -> None:
    path = f"/api/hubs/{signalr_hub_name}/{path}"
    assert_error(call(signalr_connection, "HEAD", path, params=API_VERSION), 404, code)


def test_a_404_has_the_services_json_error_body(
    signalr_connection: ConnectionString, signalr_hub_name: str
) -> None:
    path = f"/api/hubs/{signalr_hub_name}/groups/g/connections/not-connected"
    response = call(signalr_connection, "PUT", path, params=API_VERSION)
    assert_error(response, 404, "Error.Connection.NotExisted", "does not exist")


def test_closing_an_unknown_connection_succeeds(signalr_hub: HubClient) -> None:
    signalr_hub.close_connection("not-connected", reason="gone anyway")
    signalr_hub.remove_connection_from_all_groups("not-connected")


# The v1 API ------------------------------------------------------------------------------------


async def test_v1_api_routes_and_status_codes(
    signalr_emulator: RunningEmulator,
    signalr_connection: ConnectionString,
    signalr_hub_name: str,
) -> None:
    v1 = f"/api/v1/hubs/{signalr_hub_name}"

    async def status(method: str, path: str, **options: Any) -> int:
        response = await asyncio.to_thread(
            call, signalr_connection, method, f"{v1}{path}", **options
        )
        return int(response.status_code)

    async with connected(signalr_emulator, signalr_connection, signalr_hub_name, "erin") as erin:
        connection = f"/connections/{erin.connection_id}"
        assert await status("POST", "", json=MESSAGE) == 202
        assert await erin.next_message() == {"type": 1, **MESSAGE}
        assert await status("POST", "/users/erin", json=MESSAGE) == 202
        assert await status("POST", connection, json=MESSAGE) == 202
        assert await status("GET", connection) == 200
        assert await status("HEAD", connection) == 200
        assert await status("GET", "/users/erin") == 200
        assert await status("PUT", f"/groups/g{connection}") == 200
        assert await status("GET", "/groups/g") == 200
        assert await status("POST", "/groups/g", json=MESSAGE) == 202
        assert (
            await status("POST", "", json=MESSAGE, params={"excluded": erin.connection_id}) == 202
        )
        assert await status("DELETE", f"/groups/g{connection}") == 200
        assert await status("PUT", "/groups/g2/users/erin", params={"ttl": "60"}) == 202
        assert await status("GET", "/groups/g2/users/erin") == 200
        assert await status("DELETE", "/groups/g2/users/erin") == 202
        assert await status("GET", "/groups/g2/users/erin") == 404
        assert await status("DELETE", "/users/erin/groups") == 200
        for _ in range(3):
            assert await erin.next_message() == {"type": 1, **MESSAGE}
        assert await status("DELETE", connection, params={"reason": "done"}) == 202
        assert await erin.next_message() == {"type": 7, "error": "done", "allowReconnect": True}
    assert await status("GET", "/connections/not-connected") == 404
    assert await status("PUT", "/groups/g/connections/not-connected") == 404


# Refusals ----------------------------------------------------------------------------------------


def other_key(connection: ConnectionString) -> ConnectionString:
    return parse_connection_string(
        f"Endpoint={connection.endpoint};AccessKey=another-key-{'0123456789' * 4};Version=1.0;"
    )


@pytest.mark.parametrize(
    ("token_for", "reason"),
    [
        (
            lambda c, url: server_token(c, url, now=datetime.now(UTC) - timedelta(hours=1)),
            "expired",
        ),
        (lambda c, url: server_token(other_key(c), url), "signature"),
        (lambda c, url: server_token(c, url.replace(":send", ":closeConnections")), "audience"),
        (lambda c, url: "", "no access token"),
    ],
    ids=["expired", "wrong key", "wrong audience", "no token"],
)
def test_rest_calls_without_a_valid_token_are_401_with_a_reason(
    signalr_connection: ConnectionString,
    signalr_hub_name: str,
    token_for: Callable[[ConnectionString, str], str],
    reason: str,
) -> None:
    path = f"/api/hubs/{signalr_hub_name}/:send"
    token = token_for(signalr_connection, f"{signalr_connection.server_url}{path}")
    response = call(signalr_connection, "POST", path, token=token, params=API_VERSION, json=MESSAGE)
    assert_error(response, 401, "Error.Unauthorized", reason)
    assert "invalid_token" in response.headers["WWW-Authenticate"]
    assert token == "" or token not in response.text


def test_a_body_over_one_megabyte_is_413(
    signalr_connection: ConnectionString, signalr_hub_name: str
) -> None:
    path = f"/api/hubs/{signalr_hub_name}/:send"
    body = json.dumps({"target": "message", "arguments": ["x" * (1024 * 1024)]})
    response = call(signalr_connection, "POST", path, params=API_VERSION, data=body)
    assert_error(response, 413, "Error.Request.TooLarge", "1048576 bytes")


def test_a_token_over_four_thousand_characters_is_413(
    signalr_connection: ConnectionString, signalr_hub_name: str
) -> None:
    path = f"/api/hubs/{signalr_hub_name}/:send"
    response = call(signalr_connection, "POST", path, token="x" * 5000, params=API_VERSION)
    assert_error(response, 413, "Error.Request.TooLarge", "4096")


@pytest.mark.parametrize(
    ("path", "params", "body", "says"),
    [
        ("/api/hubs/1chat/:send", API_VERSION, MESSAGE, "invalid hub name"),
        ("/api/hubs/{hub}/:send", {}, MESSAGE, "api-version"),
        ("/api/hubs/{hub}/:send", API_VERSION, "not json", "must be JSON"),
        (
            "/api/hubs/{hub}/:send",
            API_VERSION,
            '{"target":"t","arguments":' + "[" * 100_000 + "]" * 100_000 + "}",
            "must be JSON",
        ),
        ("/api/hubs/{hub}/:send", API_VERSION, ["target"], "JSON object"),
        ("/api/hubs/{hub}/:send", API_VERSION, {"arguments": []}, "'target'"),
        ("/api/hubs/{hub}/:send", API_VERSION, {"target": "t", "arguments": {}}, "array"),
        ("/api/hubs/{hub}/groups/" + "g" * 1025 + "/:send", API_VERSION, MESSAGE, "1 to 1024"),
        ("/api/hubs/{hub}/:send", {**API_VERSION, "application": "9"}, MESSAGE, "application"),
    ],
    ids=[
        "bad hub",
        "no api-version",
        "not json",
        "nested past the JSON readers' 64 levels, not a RecursionError",
        "not an object",
        "no target",
        "arguments not a list",
        "group too long",
        "bad application",
    ],
)
def test_bad_requests_are_400_saying_what_is_wrong(
    signalr_connection: ConnectionString,
    signalr_hub_name: str,
    path: str,
    params: dict[str, str],
    body: Any,
    says: str,
) -> None:
    path = path.format(hub=signalr_hub_name)
    data = body if isinstance(body, str) else json.dumps(body)
    response = call(signalr_connection, "POST", path, params=params, data=data)
    assert_error(response, 400, "Error.Request.Invalid", says)


@pytest.mark.parametrize(
    "ttl", ["-1", "1.5", "+5", " 5", "", "\u0663", "\u00b2", "2147483648", "99999999999"]
)
def test_a_ttl_that_is_not_int32_seconds_is_400(
    signalr_connection: ConnectionString, signalr_hub_name: str, ttl: str
) -> None:
    """azure-signalr docs/swagger/V20220601.json: ttl is an int32 number of seconds."""
    path = f"/api/hubs/{signalr_hub_name}/users/u/groups/g"
    response = call(signalr_connection, "PUT", path, params={**API_VERSION, "ttl": ttl})
    assert_error(response, 400, "Error.Request.Invalid", "ttl")


@pytest.mark.parametrize("ttl", ["0", "60", "2147483647"])
def test_int32_ttls_are_accepted(
    signalr_connection: ConnectionString, signalr_hub_name: str, ttl: str
) -> None:
    path = f"/api/hubs/{signalr_hub_name}/users/u/groups/g"
    response = call(signalr_connection, "PUT", path, params={**API_VERSION, "ttl": ttl})
    assert response.status_code == 200


async def test_a_zero_ttl_adds_only_the_users_connections_of_now_as_the_swagger_says(
    signalr_emulator: RunningEmulator,
    signalr_connection: ConnectionString,
    signalr_hub: HubClient,
    signalr_hub_name: str,
) -> None:
    """azure-signalr docs/swagger/V20220601.json: "If ttl = 0, only the current connected
    connections of the target user will be added to the target group"."""
    async with connected(signalr_emulator, signalr_connection, signalr_hub_name, "zed") as now:
        await asyncio.to_thread(signalr_hub.add_user_to_group, "g0", "zed", ttl=0)
        assert not await asyncio.to_thread(signalr_hub.user_in_group, "g0", "zed")
        async with connected(
            signalr_emulator, signalr_connection, signalr_hub_name, "zed"
        ) as later:
            await asyncio.to_thread(signalr_hub.send_to_group, "g0", "message", ["now only"])
            await asyncio.to_thread(signalr_hub.send_to_user, "zed", "message", ["barrier"])
            assert (await now.next_message())["arguments"] == ["now only"]
            assert (await later.next_message())["arguments"] == ["barrier"]


@pytest.mark.parametrize("hub", ["a" * 128, "a.b,c`d[e]_1"])
def test_hub_names_of_the_swagger_pattern_are_served(
    signalr_connection: ConnectionString, hub: str
) -> None:
    """azure-signalr docs/swagger/V20220601.json: ^[A-Za-z][A-Za-z0-9_`,.[\\]]{0,127}$."""
    with HubClient(signalr_connection, hub) as client:
        client.send_to_all("message", [])


@pytest.mark.parametrize("hub", ["a" * 129, "1chat", "chat-room"])
def test_hub_names_outside_the_swagger_pattern_are_400(
    signalr_connection: ConnectionString, hub: str
) -> None:
    response = call(signalr_connection, "POST", f"/api/hubs/{hub}/:send", params=API_VERSION)
    assert_error(response, 400, "Error.Request.Invalid", "at most 128 characters")
    assert "a" * 129 not in response.text


@pytest.mark.parametrize("group", ["%20", "%20%09"])
def test_a_whitespace_only_group_is_400_as_the_swagger_pattern_says(
    signalr_connection: ConnectionString, signalr_hub_name: str, group: str
) -> None:
    """azure-signalr docs/swagger/V20220601.json: group names match ^(?!\\s+$).+$."""
    path = f"/api/hubs/{signalr_hub_name}/groups/{group}/:send"
    response = call(signalr_connection, "POST", path, params=API_VERSION, json=MESSAGE)
    assert_error(response, 400, "Error.Request.Invalid", "whitespace")


# Existence checks by GET and the aliases Microsoft's emulator serves ----------------------


async def test_existence_checks_answer_get_as_the_management_sdk_asks(
    signalr_emulator: RunningEmulator,
    signalr_connection: ConnectionString,
    signalr_hub: HubClient,
    signalr_hub_name: str,
) -> None:
    """azure-signalr Management/RestHubLifetimeManager.cs IsUserInGroup checks by GET; the
    emulator's Common/SignalRServiceWebApiDefinition.cs serves GET and HEAD on each check."""
    hub = f"/api/hubs/{signalr_hub_name}"
    async with connected(signalr_emulator, signalr_connection, signalr_hub_name, "gil") as gil:
        await asyncio.to_thread(signalr_hub.add_connection_to_group, "g", gil.connection_id or "")
        await asyncio.to_thread(signalr_hub.add_user_to_group, "ug", "gil")
        for path in (f"/connections/{gil.connection_id}", "/users/gil", "/groups/g"):
            assert call(signalr_connection, "GET", hub + path, params=API_VERSION).ok
        assert call(signalr_connection, "GET", f"{hub}/users/gil/groups/ug", params=API_VERSION).ok
    gone = call(signalr_connection, "GET", f"{hub}/users/gil", params=API_VERSION)
    assert_error(gone, 404, "Warning.User.NotExisted")


async def test_the_aliases_of_microsofts_emulator_are_served(
    signalr_emulator: RunningEmulator,
    signalr_connection: ConnectionString,
    signalr_hub: HubClient,
    signalr_hub_name: str,
) -> None:
    """azure-signalr Emulator/Common/SignalRServiceWebApiDefinition.cs: /api/v1/health, sends
    without ":send", and a connection's group addressed from the connection."""
    hub = f"/api/hubs/{signalr_hub_name}"
    assert call(signalr_connection, "GET", "/api/v1/health", token="").status_code == 200
    assert call(signalr_connection, "HEAD", "/api/v1/health", token="").status_code == 200
    async with connected(signalr_emulator, signalr_connection, signalr_hub_name, "ida") as ida:
        in_group = f"{hub}/connections/{ida.connection_id}/groups/g"
        assert call(signalr_connection, "PUT", in_group, params=API_VERSION).status_code == 200
        for path in ("", "/users/ida", f"/connections/{ida.connection_id}", "/groups/g"):
            sent = call(signalr_connection, "POST", hub + path, params=API_VERSION, json=MESSAGE)
            assert sent.status_code == 202
        for _ in range(4):
            assert await ida.next_message() == {"type": 1, **MESSAGE}
        assert call(signalr_connection, "DELETE", in_group, params=API_VERSION).status_code == 200
        assert not await asyncio.to_thread(signalr_hub.group_exists, "g")


def test_unknown_routes_and_methods_answer_in_the_services_shape(
    signalr_connection: ConnectionString, signalr_hub_name: str
) -> None:
    unknown = call(signalr_connection, "GET", f"/api/hubs/{signalr_hub_name}/nothing-here")
    assert_error(unknown, 404, "Error.Route.NotFound")
    wrong_method = call(signalr_connection, "GET", f"/api/hubs/{signalr_hub_name}/:send")
    assert_error(wrong_method, 405, "Error.Route.MethodNotAllowed")
    assert "POST" in wrong_method.headers["Allow"]


def test_the_rest_client_surfaces_the_services_error(signalr_connection: ConnectionString) -> None:
    with (
        HubClient(other_key(signalr_connection), "chat") as intruder,
        pytest.raises(ServiceError) as refused,
    ):
        intruder.send_to_all("message", [])
    assert refused.value.status_code == 401
    assert refused.value.error_code == "Error.Unauthorized"


@pytest.mark.parametrize(
    ("path", "version", "status"),
    [
        ("/:send", "2022-06-01", 202),
        ("/:send", "2023-07-01", 202),
        ("/:send", "2024-12-01", 202),
        ("/:send", "2021-01-01", 400),
        ("/:send", "2022-06-01-preview", 400),
        ("/:generateToken", "2022-06-01", 400),
        ("/:generateToken", "2023-07-01", 200),
        ("/:generateToken", "2024-12-01", 200),
    ],
)
def test_an_operation_answers_only_in_the_api_versions_that_have_it(
    signalr_connection: ConnectionString,
    signalr_hub_name: str,
    path: str,
    version: str,
    status: int,
) -> None:
    """azure-signalr docs/swagger: V20220601.json has no :generateToken; V20230701.md and
    v20241201.md have it and every 2022-06-01 operation. Other versions are refused."""
    full = f"/api/hubs/{signalr_hub_name}{path}"
    params = {"api-version": version}
    response = call(signalr_connection, "POST", full, params=params, data=json.dumps(MESSAGE))
    if status == 400:
        assert_error(response, 400, "Error.Request.Invalid", "does not offer this operation")
    else:
        assert response.status_code == status
