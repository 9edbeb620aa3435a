"""Client connection info and server tokens, decoded and checked claim by claim with PyJWT."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest

from shared.connection_string import ConnectionString, parse_connection_string
from signalr.tokens import (
    MAX_TOKEN_LENGTH,
    ConnectionInfo,
    TokenError,
    client_connection_info,
    client_url,
    server_token,
    validate_hub_name,
)

KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn0123="
ENDPOINT = "https://docchat.service.signalr.net"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
NOW_SECONDS = int(NOW.timestamp())
CLIENT_AUDIENCE = f"{ENDPOINT}/client/?hub=chat"


def connection(extra: str = "") -> ConnectionString:
    return parse_connection_string(f"Endpoint={ENDPOINT};AccessKey={KEY};Version=1.0;{extra}")


def claims_of(token: str, audience: str) -> dict[str, Any]:
    """Verify the signature (key = the AccessKey's UTF-8 bytes) and audience; return the claims.

    Tests issue tokens at a fixed past instant and check the times as values, so expiry is
    not judged against the clock here.
    """
    return jwt.decode(
        token,
        KEY.encode(),
        algorithms=["HS256"],
        audience=audience,
        options={"require": ["aud", "exp", "iat", "nbf"], "verify_exp": False},
    )


# Client connection info ----------------------------------------------------------------------


def test_client_url_and_audience_name_the_lowercased_hub() -> None:
    info = client_connection_info(connection(), "Chat", now=NOW)

    assert info.url == f"{ENDPOINT}/client/?hub=chat"
    assert claims_of(info.access_token, CLIENT_AUDIENCE)["aud"] == CLIENT_AUDIENCE
    assert client_url(connection(), "CHAT") == info.url


def test_client_token_times_are_integer_seconds_for_one_hour_by_default() -> None:
    claims = claims_of(
        client_connection_info(connection(), "chat", now=NOW).access_token, CLIENT_AUDIENCE
    )

    assert claims["iat"] == claims["nbf"] == NOW_SECONDS
    assert claims["exp"] == NOW_SECONDS + 3600
    assert all(type(claims[name]) is int for name in ("exp", "iat", "nbf"))


@pytest.mark.parametrize(
    ("lifetime", "seconds"),
    [(timedelta(minutes=10), 600), (timedelta(days=1), 86400), (timedelta(milliseconds=1500), 2)],
)
def test_client_token_lifetime_is_configurable(lifetime: timedelta, seconds: int) -> None:
    token = client_connection_info(connection(), "chat", lifetime=lifetime, now=NOW).access_token

    assert claims_of(token, CLIENT_AUDIENCE)["exp"] == NOW_SECONDS + seconds


def test_client_token_times_default_to_now() -> None:
    before = int(datetime.now(UTC).timestamp())
    claims = claims_of(client_connection_info(connection(), "chat").access_token, CLIENT_AUDIENCE)
    after = int(datetime.now(UTC).timestamp())

    assert before <= claims["iat"] <= after
    assert claims["exp"] == claims["iat"] + 3600


@pytest.mark.parametrize("lifetime", [timedelta(0), timedelta(seconds=-1)])
def test_a_lifetime_that_is_not_positive_is_refused(lifetime: timedelta) -> None:
    with pytest.raises(TokenError, match="lifetime must be positive"):
        client_connection_info(connection(), "chat", lifetime=lifetime)


def test_the_token_is_hs256_signed_with_the_access_key_bytes_not_their_base64_decoding() -> None:
    token = client_connection_info(connection(), "chat", now=NOW).access_token

    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims_of(token, CLIENT_AUDIENCE)
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, base64.b64decode(KEY), algorithms=["HS256"], audience=CLIENT_AUDIENCE)


def test_port_moves_the_client_url_but_not_the_audience() -> None:
    info = client_connection_info(connection("Port=8443"), "chat", now=NOW)

    assert info.url == "https://docchat.service.signalr.net:8443/client/?hub=chat"
    assert claims_of(info.access_token, CLIENT_AUDIENCE)["aud"] == CLIENT_AUDIENCE


def test_an_endpoint_port_is_left_out_of_the_audience() -> None:
    local = parse_connection_string(f"Endpoint=http://localhost:8888;AccessKey={KEY}")

    info = client_connection_info(local, "chat", now=NOW)

    assert info.url == "http://localhost:8888/client/?hub=chat"
    assert claims_of(info.access_token, "http://localhost/client/?hub=chat")


def test_client_endpoint_moves_the_url_while_the_audience_stays_with_the_service() -> None:
    proxied = connection("ClientEndpoint=https://chat.example.org:4443/realtime/;Port=8443")

    info = client_connection_info(proxied, "chat", now=NOW)

    assert info.url == "https://chat.example.org:4443/realtime/client/?hub=chat"
    assert claims_of(info.access_token, CLIENT_AUDIENCE)["aud"] == CLIENT_AUDIENCE


def test_a_user_id_travels_as_both_asrs_s_uid_and_nameid() -> None:
    token = client_connection_info(connection(), "chat", user_id="alice@example.com").access_token

    claims = claims_of(token, CLIENT_AUDIENCE)

    assert claims["asrs.s.uid"] == claims["nameid"] == "alice@example.com"


def test_without_a_user_id_neither_user_claim_is_present() -> None:
    claims = claims_of(client_connection_info(connection(), "chat").access_token, CLIENT_AUDIENCE)

    assert set(claims) == {"aud", "exp", "iat", "nbf"}


def test_an_empty_user_id_is_refused() -> None:
    with pytest.raises(TokenError, match="user id must not be empty"):
        client_connection_info(connection(), "chat", user_id="")


def test_extra_claims_travel_but_cannot_clobber_reserved_ones() -> None:
    extra = {
        "aud": "https://evil.example.org",
        "exp": 9999999999,
        "iat": 1,
        "nbf": 1,
        "nameid": "mallory",
        "asrs.s.uid": "mallory",
        "asrs.s.custom": "x",
        "role": "editor",
        "name": "Alice",
    }

    token = client_connection_info(
        connection(), "chat", user_id="alice", claims=extra, now=NOW
    ).access_token
    claims = claims_of(token, CLIENT_AUDIENCE)

    assert claims["aud"] == CLIENT_AUDIENCE
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (NOW_SECONDS,) * 2 + (
        NOW_SECONDS + 3600,
    )
    assert claims["asrs.s.uid"] == claims["nameid"] == "alice"
    assert claims["role"] == "editor"
    assert claims["name"] == "Alice"
    for name in ("aud", "exp", "iat", "nbf", "nameid", "asrs.s.uid", "asrs.s.custom"):
        assert claims[f"asrs.u.{name}"] == extra[name]
    assert "asrs.s.custom" not in claims


@pytest.mark.parametrize(
    "name", ["iss", "actort", "acr", "azp", "c_hash", "jti", "nonce", "aud", "exp", "iat", "nbf"]
)
def test_every_claim_the_sdk_reserves_is_renamed_as_claims_utility_renames_it(name: str) -> None:
    """azure-signalr src/Microsoft.Azure.SignalR.Common/Utilities/ClaimsUtility.cs SystemClaims."""
    token = client_connection_info(connection(), "chat", claims={name: "theirs"}, now=NOW)

    claims = claims_of(token.access_token, CLIENT_AUDIENCE)

    assert claims[f"asrs.u.{name}"] == "theirs"
    assert claims.get(name) != "theirs"


def test_sub_stays_as_it_is_as_claims_utility_keeps_the_first_sub() -> None:
    """ClaimsUtility.cs keeps the first sub (the service's user id when no other is set)."""
    token = client_connection_info(connection(), "chat", claims={"sub": "alice"}, now=NOW)

    assert claims_of(token.access_token, CLIENT_AUDIENCE)["sub"] == "alice"


def test_reserved_claims_are_protected_even_without_a_user_id() -> None:
    token = client_connection_info(connection(), "chat", claims={"nameid": "mallory"}).access_token

    claims = claims_of(token, CLIENT_AUDIENCE)

    assert "nameid" not in claims
    assert claims["asrs.u.nameid"] == "mallory"


def test_a_token_longer_than_4096_characters_is_refused() -> None:
    with pytest.raises(TokenError, match=f"at most {MAX_TOKEN_LENGTH}"):
        client_connection_info(connection(), "chat", claims={"groups": "g" * 4000})


def test_a_token_just_under_the_limit_is_issued() -> None:
    info = client_connection_info(connection(), "chat", claims={"groups": "g" * 2800})

    assert 3500 < len(info.access_token) <= MAX_TOKEN_LENGTH


@pytest.mark.parametrize(
    "hub",
    ["", "1chat", "_chat", ".chat", "chat-room", "chat room", "ch@t", "chät", "c" * 129, "a/b"],
)
def test_an_invalid_hub_name_is_refused_by_the_swagger_pattern(hub: str) -> None:
    """azure-signalr docs/swagger/V20220601.json: ^[A-Za-z][A-Za-z0-9_`,.[\\]]{0,127}$."""
    with pytest.raises(TokenError, match="hub name must start with a letter"):
        client_connection_info(connection(), hub)


@pytest.mark.parametrize(
    "hub", ["a", "Chat", "chat_2", "DocChat_Hub", "a.b,c`d[e]", "c" * 128, "Hub1_[x]."]
)
def test_valid_hub_names_of_the_swagger_pattern_pass(hub: str) -> None:
    assert validate_hub_name(hub) == hub


def test_an_entra_connection_string_cannot_sign_tokens() -> None:
    entra = parse_connection_string(f"Endpoint={ENDPOINT};AuthType=azure.msi")

    with pytest.raises(TokenError, match="no AccessKey"):
        client_connection_info(entra, "chat")
    with pytest.raises(TokenError, match="no AccessKey"):
        server_token(entra, f"{ENDPOINT}/api/health")


def test_connection_info_has_the_binding_shape_and_hides_the_token_from_repr() -> None:
    info = client_connection_info(connection(), "chat", user_id="alice")

    assert info.as_json_dict() == {"url": info.url, "accessToken": info.access_token}
    assert info.access_token not in repr(info)
    assert info == ConnectionInfo(url=info.url, access_token=info.access_token)


# Server tokens -------------------------------------------------------------------------------


def test_server_token_audience_is_the_path_and_api_version_as_rest_api_provider_signs() -> None:
    """azure-signalr src/Microsoft.Azure.SignalR.Management/RestApiProvider.cs: the audience is
    the path with ``?api-version=`` and no other query."""
    url = f"{ENDPOINT}/api/hubs/chat/groups/document%3A42/:send"

    token = server_token(connection(), f"{url}?api-version=2022-06-01&excluded=a", now=NOW)
    claims = claims_of(token, f"{url}?api-version=2022-06-01")

    assert claims["iat"] == claims["nbf"] == NOW_SECONDS


@pytest.mark.parametrize(
    "extra",
    [
        "ServerEndpoint=http://10.0.0.7:8080/",
        "Port=8443",
        "ServerEndpoint=https://proxy.example.org:444;Port=8443",
    ],
)
def test_server_token_audience_names_the_service_host_without_a_port_as_service_endpoint_does(
    extra: str,
) -> None:
    """azure-signalr Common/Endpoints/ServiceEndpoint.cs BuildAudienceBaseUrlEndWithSlash:
    {scheme}://{host}/ of the Endpoint, whatever ServerEndpoint or Port say."""
    ported = connection(extra)

    token = server_token(ported, f"{ported.server_url}/api/hubs/chat/:send", now=NOW)

    claims_of(token, f"{ENDPOINT}/api/hubs/chat/:send?api-version=2022-06-01")


def test_server_tokens_are_short_lived() -> None:
    claims = claims_of(
        server_token(connection(), f"{ENDPOINT}/api/health", now=NOW),
        f"{ENDPOINT}/api/health?api-version=2022-06-01",
    )

    assert claims["exp"] == NOW_SECONDS + 300


def test_a_server_token_is_refused_for_another_url() -> None:
    token = server_token(connection(), f"{ENDPOINT}/api/hubs/chat/:send")

    with pytest.raises(jwt.InvalidAudienceError):
        claims_of(token, f"{ENDPOINT}/api/hubs/chat/users/alice/:send")
