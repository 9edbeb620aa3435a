"""The emulator's token checks, with tokens minted by signalr.tokens (and a few forged ones)."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest

from devstack.emulator_core.tokens import (
    MAX_TOKEN_LENGTH,
    RequestTarget,
    TokenTooLong,
    Unauthorized,
    bearer_token,
)
from devstack.signalr.auth import TokenValidator
from shared.connection_string import parse_connection_string
from signalr.tokens import client_connection_info, server_token

KEY = "unit-test-access-key-" + "0123456789" * 5
CONNECTION = parse_connection_string(f"Endpoint=http://localhost:8888;AccessKey={KEY};Version=1.0;")
VALIDATOR = TokenValidator(KEY)
CLIENT = RequestTarget("http", "localhost:8888", "/client/?hub=chat&id=abc", hub="chat")


def forged(claims: dict[str, object], key: str = KEY, algorithm: str = "HS256") -> str:
    now = int(datetime.now(UTC).timestamp())
    return jwt.encode({"exp": now + 60, **claims}, key, algorithm=algorithm)


def rest_target(path: str, host: str = "localhost:8888") -> RequestTarget:
    return RequestTarget("http", host, path)


def test_a_client_token_from_negotiate_names_its_user() -> None:
    token = client_connection_info(CONNECTION, "Chat", user_id="alice").access_token
    identity = VALIDATOR.client_identity(token, CLIENT)
    assert identity.user_id == "alice"


def test_an_anonymous_client_token_has_no_user() -> None:
    token = client_connection_info(CONNECTION, "chat").access_token
    assert VALIDATOR.client_identity(token, CLIENT).user_id is None


@pytest.mark.parametrize(
    ("claims", "user"),
    [
        ({"asrs.s.uid": "functions", "nameid": "rest"}, "functions"),
        ({"asrs.s.uid": "functions", "sub": "subject"}, "functions"),
        ({"nameid": "rest"}, "rest"),
        ({"sub": "subject"}, "subject"),
        ({"sub": "subject", "nameid": "rest"}, "subject"),
        ({"nameid": "rest", "sub": "subject"}, "rest"),
        ({"asrs.s.uid": "", "nameid": "rest"}, "rest"),
    ],
)
def test_the_user_is_asrs_s_uid_else_the_first_name_identifier_as_in_http_context_extensions(
    claims: dict[str, object], user: str
) -> None:
    """azure-signalr Emulator/Common/HttpContextExtenstions.cs GetUserIdentifier: asrs.s.uid,
    else FindFirst(NameIdentifier), which both nameid and sub map to (ClaimTypeMapping.cs)."""
    token = forged({"aud": "http://localhost/client/?hub=chat", **claims})
    assert VALIDATOR.client_identity(token, CLIENT).user_id == user


@pytest.mark.parametrize("algorithm", ["HS256", "HS512"])
def test_tokens_signed_as_the_sdk_can_sign_them_pass(algorithm: str) -> None:
    """azure-signalr Common/AccessTokenAlgorithm.cs: the SDK signs HS256 or HS512."""
    token = forged({"aud": "http://localhost/client/?hub=chat"}, algorithm=algorithm)
    assert VALIDATOR.client_identity(token, CLIENT).claims["aud"]


@pytest.mark.parametrize(
    "audience",
    [
        "http://localhost/client/?hub=chat",
        "http://localhost:8888/client/?hub=chat",
        "http://localhost/client/?hub=CHAT",
        "http://LOCALHOST/client?hub=chat",
    ],
)
def test_client_audiences_the_service_accepts(audience: str) -> None:
    VALIDATOR.client_identity(forged({"aud": audience}), CLIENT)


@pytest.mark.parametrize("audience", ["http://LOCALHOST/client/", "http://localhost/client"])
def test_a_client_audience_without_its_hub_is_refused(audience: str) -> None:
    """azure-signalr DefaultServiceEndpointGenerator.GetClientAudience: every SDK writes
    ``client/?hub=<hub>``; a token is for the hub it names, so one naming none opens none."""
    with pytest.raises(Unauthorized, match="audience"):
        VALIDATOR.client_identity(forged({"aud": audience}), CLIENT)


@pytest.mark.parametrize(
    "audience",
    [
        "http://localhost/client/?hub=other",
        "https://localhost/client/?hub=chat",
        "http://elsewhere/client/?hub=chat",
        "http://localhost/api/hubs/chat",
        "http://localhost/client/negotiate?hub=chat",
    ],
)
def test_client_audiences_for_somewhere_else_are_refused(audience: str) -> None:
    with pytest.raises(Unauthorized, match="audience"):
        VALIDATOR.client_identity(forged({"aud": audience}), CLIENT)


def test_a_client_token_without_audience_is_refused() -> None:
    with pytest.raises(Unauthorized, match="audience"):
        VALIDATOR.client_identity(forged({}), CLIENT)


def test_a_rest_token_from_the_rest_client_matches_its_url() -> None:
    path = "/api/hubs/chat/groups/document%3A42/:send"
    token = server_token(CONNECTION, f"http://localhost:8888{path}")
    VALIDATOR.check_server_token(token, rest_target(f"{path}?api-version=2022-06-01"))


@pytest.mark.parametrize(
    "audience",
    [
        "http://localhost/api/hubs/chat/:send",
        "http://localhost:8888/api/hubs/chat/:send?api-version=2022-06-01",
        "http://localhost:8888/api/hubs/Chat/:send",
    ],
)
def test_rest_audiences_the_service_accepts(audience: str) -> None:
    target = rest_target("/api/hubs/chat/:send?api-version=2022-06-01")
    VALIDATOR.check_server_token(forged({"aud": audience}), target)


def test_rest_audiences_ignore_the_case_of_percent_escapes_only() -> None:
    target = rest_target("/api/hubs/chat/groups/document%3A42/:send")
    VALIDATOR.check_server_token(
        forged({"aud": "http://localhost/api/hubs/chat/groups/document%3a42/:send"}), target
    )
    with pytest.raises(Unauthorized, match="audience"):
        VALIDATOR.check_server_token(
            forged({"aud": "http://localhost/api/hubs/chat/groups/Document%3A42/:send"}), target
        )


@pytest.mark.parametrize(
    "audience",
    [
        "http://localhost/api/hubs/chat/users/alice/:send",
        "http://localhost/api/hubs/chat",
        "http://127.0.0.1/api/hubs/chat/:send",
        "http://localhost/client/?hub=chat",
    ],
)
def test_rest_audiences_for_another_url_are_refused(audience: str) -> None:
    with pytest.raises(Unauthorized, match="audience"):
        VALIDATOR.check_server_token(forged({"aud": audience}), rest_target("/api/hubs/chat/:send"))


def test_a_list_of_audiences_passes_if_one_matches() -> None:
    token = forged({"aud": ["http://other/", "http://localhost/client/?hub=chat"]})
    VALIDATOR.client_identity(token, CLIENT)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (forged({"aud": "http://localhost/client/", "exp": 1}), "expired"),
        (forged({"aud": "http://localhost/client/", "nbf": 4102444800}), "not valid yet"),
        (
            forged({"aud": "http://localhost/client/"}, key="another-key-0123456789-0123456789"),
            "signature",
        ),
        (jwt.encode({"aud": "http://localhost/client/"}, KEY, algorithm="HS256"), "no 'exp' claim"),
        (forged({"aud": "http://localhost/client/"}, algorithm="HS384"), "HS256 or HS512"),
        ("not.a.jwt", "well-formed"),
    ],
)
def test_refused_tokens_say_why(token: str, reason: str) -> None:
    with pytest.raises(Unauthorized, match=reason):
        VALIDATOR.client_identity(token, CLIENT)


def test_the_reason_never_repeats_the_token() -> None:
    token = forged({"aud": "http://localhost/client/", "exp": 1})
    with pytest.raises(Unauthorized) as refused:
        VALIDATOR.client_identity(token, CLIENT)
    assert token not in refused.value.reason


def test_tokens_longer_than_the_service_accepts_are_refused_as_too_large() -> None:
    token = forged({"aud": "http://localhost/client/", "padding": "x" * MAX_TOKEN_LENGTH})
    with pytest.raises(TokenTooLong):
        VALIDATOR.client_identity(token, CLIENT)


def test_bearer_token_comes_from_the_header_first_then_the_query() -> None:
    assert bearer_token({"Authorization": "Bearer abc"}, {"access_token": "xyz"}) == "abc"
    assert bearer_token({"Authorization": "bearer  abc "}, {}) == "abc"
    assert bearer_token({}, {"access_token": "xyz"}) == "xyz"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "no access token"),
        ({"Authorization": "Basic abc"}, "Bearer"),
        ({"Authorization": "Bearer "}, "Bearer"),
    ],
)
def test_bearer_token_refusals(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(Unauthorized, match=reason):
        bearer_token(headers, {})


def test_the_request_hostname_drops_the_port_and_case() -> None:
    assert RequestTarget("http", "LocalHost:8888", "/").hostname == "localhost"
    assert RequestTarget("http", "[::1]:8888", "/").hostname == "::1"
