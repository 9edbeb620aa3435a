"""The endpoints against abuse: JSON only, the posting rate, members mode and its routes,
App Service's principal, and SignalR tokens bounded by the sign-in (in-process, on fakes)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import jwt
import pytest

from chat.api.http import Request, Response
from chat.api.routes import Endpoints
from chat.app.access import Role
from chat.app.identity import AppServicePrincipal
from chat.app.runtime import Runtime
from chat.domain.errors import Unauthenticated
from chat.domain.users import User
from chat.settings import AccessMode, AuthMode
from realtime.signalr_tokens import SIGNED_IN_UNTIL_CLAIM, SignedTokens
from shared.connection_string import parse_connection_string
from tests.fixtures.chat import (
    ALICE,
    InMemoryMemberships,
    InMemoryMessageStore,
    RecordingRealtime,
    fake_runtime,
    make_request,
    make_settings,
)

SIGNALR = parse_connection_string(
    "Endpoint=http://127.0.0.1:8888;AccessKey=hardening-test-access-key-0123456789;"
)


def error_of(response: Response) -> tuple[int, str]:
    return response.status, response.body["error"]["code"]


def send(runtime: Runtime, request: Request) -> Response:
    return Endpoints(runtime).messages.send(request, RecordingRealtime())


def members_runtime() -> tuple[Runtime, InMemoryMemberships]:
    memberships = InMemoryMemberships()
    settings = make_settings(access=AccessMode.MEMBERS)
    return fake_runtime(settings, memberships=memberships), memberships


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"]
)
def test_a_body_not_declared_as_json_is_415_and_stores_nothing(content_type: str | None) -> None:
    store = InMemoryMessageStore()
    runtime = fake_runtime(store=store)
    request = make_request(body={"text": "hi"})
    sent = {k: v for k, v in request.headers.items() if k != "content-type"}
    request = replace(
        request, headers=sent | ({} if content_type is None else {"content-type": content_type})
    )

    assert error_of(send(runtime, request)) == (
        415,
        "unsupported_media_type",
    )
    assert store.items == {}


def test_json_with_a_charset_is_json() -> None:
    runtime = fake_runtime()
    request = make_request(
        body={"text": "hi"}, headers={"content-type": "Application/JSON; charset=utf-8"}
    )

    assert send(runtime, request).status == 201


def test_posting_too_fast_is_429_with_retry_after_and_stores_nothing() -> None:
    store = InMemoryMessageStore()
    runtime = fake_runtime(make_settings(post_burst=2), store=store)
    for n in range(2):
        assert (
            Endpoints(runtime)
            .messages.send(make_request(body={"text": f"{n}"}), RecordingRealtime())
            .status
            == 201
        )

    refused = Endpoints(runtime).messages.send(
        make_request(body={"text": "one too many"}), RecordingRealtime()
    )

    assert error_of(refused) == (429, "rate_limited")
    assert refused.headers["Retry-After"] == "1"
    assert len(store.items) == 2


def member_request(method: str, user_id: str = ALICE.id, body: Any = None) -> Request:
    request = make_request(method, user=None, body=body)
    return replace(request, route_params={**request.route_params, "userId": user_id})


def test_a_backend_adds_lists_changes_and_removes_members() -> None:
    runtime, memberships = members_runtime()

    added = Endpoints(runtime).members.put(member_request("PUT", body={"role": "reader"}))
    again = Endpoints(runtime).members.put(member_request("PUT", body={"role": "writer"}))
    listed = Endpoints(runtime).members.list(make_request("GET", user=None))
    removed = Endpoints(runtime).members.remove(member_request("DELETE"), RecordingRealtime())
    removed_again = Endpoints(runtime).members.remove(member_request("DELETE"), RecordingRealtime())

    assert (added.status, added.body) == (201, {"userId": ALICE.id, "role": "reader"})
    assert again.status == 200
    assert listed.body == {
        "members": [{"userId": ALICE.id, "role": "writer"}],
        "continuationToken": None,
    }
    assert (removed.status, removed_again.status) == (204, 204)
    assert memberships.roles == {}


def test_the_member_list_pages_with_a_continuation_token() -> None:
    runtime, memberships = members_runtime()
    for n in range(5):
        memberships.put("doc-1", f"u{n}", Role.READER)

    listed: list[str] = []
    params = {"limit": "2"}
    for _ in range(3):
        page = Endpoints(runtime).members.list(make_request("GET", user=None, params=params))
        assert page.status == 200
        listed += [member["userId"] for member in page.body["members"]]
        params = {"limit": "2", "continuationToken": page.body["continuationToken"]}

    assert params["continuationToken"] is None
    assert sorted(listed) == [f"u{n}" for n in range(5)]


@pytest.mark.parametrize("token", ["", "bm90IG9uZQ", "YzE6MQ", "x" * 300])
def test_a_member_list_token_docchat_did_not_issue_is_400(token: str) -> None:
    runtime, _ = members_runtime()
    request = make_request("GET", user=None, params={"continuationToken": token})

    assert error_of(Endpoints(runtime).members.list(request)) == (400, "invalid_request")


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"role": "owner"}, "role: input should be 'reader' or 'writer'"),
        ({}, "role: field required"),
        ({"role": "reader", "x": 1}, "x: unknown field"),
    ],
)
def test_a_member_body_is_checked(body: dict[str, Any], says: str) -> None:
    runtime, memberships = members_runtime()

    response = Endpoints(runtime).members.put(member_request("PUT", body=body))

    assert error_of(response) == (400, "invalid_request")
    assert says in response.body["error"]["message"]
    assert memberships.roles == {}


def test_a_member_id_is_checked() -> None:
    runtime, _ = members_runtime()

    response = Endpoints(runtime).members.put(member_request("PUT", "a\x00b", {"role": "reader"}))

    assert error_of(response) == (400, "invalid_request")


def test_in_members_mode_a_reader_reads_but_may_not_post_and_others_get_403() -> None:
    runtime, memberships = members_runtime()
    memberships.put("doc-1", ALICE.id, Role.READER)

    assert Endpoints(runtime).messages.list(make_request("GET")).status == 200
    posted = send(runtime, make_request(body={"text": "hi"}))
    assert error_of(posted) == (403, "forbidden")
    other = make_request("GET", user=User("mallory", "Mallory"))
    assert error_of(Endpoints(runtime).messages.list(other)) == (403, "forbidden")


def test_member_routes_in_open_mode_are_409() -> None:
    runtime = fake_runtime()

    response = Endpoints(runtime).members.put(member_request("PUT", body={"role": "reader"}))

    assert error_of(response) == (409, "members_not_enabled")


def principal(claims: list[dict[str, str]], name_typ: str = "name") -> str:
    value = {"auth_typ": "aad", "name_typ": name_typ, "role_typ": "roles", "claims": claims}
    return base64.b64encode(json.dumps(value).encode()).decode()


OID = "http://schemas.microsoft.com/identity/claims/objectidentifier"
NAME_ID = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier"


def test_app_service_names_the_user_from_its_principal() -> None:
    claims = [{"typ": OID, "val": "oid-1"}, {"typ": "name", "val": "Ann Example"}]
    headers = {"x-ms-client-principal-id": "oid-1", "x-ms-client-principal": principal(claims)}

    assert AppServicePrincipal().authenticate(headers) == User("oid-1", "Ann Example")


def test_app_service_takes_the_id_from_the_claims_not_the_id_header() -> None:
    claims = [{"typ": NAME_ID, "val": "github|42"}, {"typ": "name", "val": "Octo"}]
    headers = {"x-ms-client-principal-id": "github|42", "x-ms-client-principal": principal(claims)}

    assert AppServicePrincipal().authenticate(headers) == User("github|42", "Octo")
    with pytest.raises(Unauthenticated):
        AppServicePrincipal().authenticate({"x-ms-client-principal": principal(claims)})


def test_a_forged_id_header_beside_a_principal_is_unauthenticated() -> None:
    # Issue 26, finding 5: X-MS-CLIENT-PRINCIPAL-ID "admin" with any principal got 201 as admin.
    claims = [{"typ": OID, "val": "oid-1"}, {"typ": "name", "val": "Ann Example"}]
    headers = {"x-ms-client-principal-id": "admin", "x-ms-client-principal": principal(claims)}

    with pytest.raises(Unauthenticated, match="does not match"):
        AppServicePrincipal().authenticate(headers)


def test_a_principal_without_an_id_claim_is_unauthenticated() -> None:
    claims = [{"typ": "name", "val": "admin"}]
    headers = {"x-ms-client-principal-id": "admin", "x-ms-client-principal": principal(claims)}

    with pytest.raises(Unauthenticated, match="names no user"):
        AppServicePrincipal().authenticate(headers)


@pytest.mark.parametrize(
    "headers",
    [
        {"x-ms-client-principal-id": "oid-1"},
        {"x-ms-client-principal-id": "oid-1", "x-ms-client-principal": "not base64!"},
        {"x-ms-client-principal-id": "oid-1", "x-ms-client-principal": "W10="},
        {"x-ms-client-principal-id": "oid-1", "x-ms-client-principal": "A" * 40_000},
        {"x-ms-client-principal-id": "oid-1, oid-2", "x-ms-client-principal": principal([])},
        {"x-ms-client-principal": principal([])},
    ],
    ids=["no principal", "not base64", "not an object", "too long", "sent twice", "no id"],
)
def test_app_service_mode_refuses_a_principal_app_service_did_not_send(
    headers: dict[str, str],
) -> None:
    with pytest.raises(Unauthenticated):
        AppServicePrincipal().authenticate(headers)


def test_dev_mode_refuses_an_id_header_sent_twice() -> None:
    runtime = fake_runtime()
    request = make_request("GET")
    request = replace(request, headers={**request.headers, "x-ms-client-principal-id": "a, b"})

    assert error_of(Endpoints(runtime).messages.list(request)) == (401, "unauthenticated")


class SignedIn:
    """An authenticator that returns one user, signed in until a given moment."""

    def __init__(self, until: int) -> None:
        self.user = User("user-1", "User", until)

    def authenticate(self, headers: Mapping[str, str]) -> User:
        return self.user


def negotiate_until(until: int) -> Response:
    runtime = fake_runtime(make_settings(auth=AuthMode.JWT), authenticator=SignedIn(until))
    return Endpoints(runtime).negotiation.negotiate(
        make_request("POST", user=None), SignedTokens(SIGNALR)
    )


def test_a_client_token_ends_with_the_sign_in_and_names_its_end() -> None:
    until = int(time.time()) + 120

    token = negotiate_until(until).body["accessToken"]

    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims[SIGNED_IN_UNTIL_CLAIM] == until
    assert claims["exp"] <= until


def test_after_the_sign_in_ended_negotiate_is_401() -> None:
    assert error_of(negotiate_until(int(time.time()) - 1)) == (401, "unauthenticated")
