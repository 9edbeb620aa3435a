"""Who is calling: principal headers and bearer tokens (HS256, RS256, JWKS). (The SignalR
client tokens negotiate takes back are test_realtime_signalr_tokens'.)"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chat.api.failures import answer
from chat.app.identity import PrincipalHeaders
from chat.app.jwt_identity import BearerTokens
from chat.domain.errors import IdentityProviderUnavailable, Unauthenticated
from chat.domain.users import User
from chat.settings import JwtSettings
from realtime.settings import HUB
from shared.connection_string import parse_connection_string
from signalr.tokens import client_connection_info

ISSUER = "https://issuer.test"
AUDIENCE = "docchat-api"
SECRET = "identity-test-secret-of-at-least-32-bytes"
SIGNALR = parse_connection_string(
    "Endpoint=http://127.0.0.1:8888;AccessKey=identity-test-signalr-key-0123456789;"
)
PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = (
    PRIVATE_KEY.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def token(key: Any = SECRET, algorithm: str = "HS256", **claims: Any) -> str:
    now = datetime.now(UTC)
    payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-1", "exp": now + timedelta(minutes=5)}
    payload.update(claims)
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode(payload, key, algorithm=algorithm, headers={"kid": "key-1"})


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


def hs256() -> BearerTokens:
    return BearerTokens(JwtSettings(ISSUER, AUDIENCE, secret=SECRET))


def test_principal_headers_name_the_user() -> None:
    headers = {"x-ms-client-principal-id": "abc", "x-ms-client-principal-name": "Ann"}

    assert PrincipalHeaders().authenticate(headers) == User("abc", "Ann")
    assert PrincipalHeaders().authenticate({"x-ms-client-principal-id": "abc"}) == User(
        "abc", "abc"
    )


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-ms-client-principal-id": ""}, {"x-ms-client-principal-id": "a\x01"}],
)
def test_principal_headers_without_a_usable_id_are_unauthenticated(
    headers: dict[str, str],
) -> None:
    with pytest.raises(Unauthenticated):
        PrincipalHeaders().authenticate(headers)


def test_an_hs256_token_names_the_user_by_sub_and_name_until_it_expires() -> None:
    expires = datetime.now(UTC) + timedelta(minutes=5)

    user = hs256().authenticate(bearer(token(name="Ann Example", exp=expires)))

    assert user == User("user-1", "Ann Example", int(expires.timestamp()))


def test_the_display_name_falls_back_to_preferred_username_then_sub() -> None:
    assert hs256().authenticate(bearer(token(preferred_username="ann@x"))).name == "ann@x"
    assert hs256().authenticate(bearer(token())).name == "user-1"


# Each token is made when its test runs (a lambda), not when the tests are collected: a
# token made at collection could expire before a slow suite reaches it.
@pytest.mark.parametrize(
    ("bad_token", "says"),
    [
        (lambda: token(iss="https://elsewhere.test"), "Invalid issuer"),
        (lambda: token(aud="another-api"), "Audience doesn't match"),
        (lambda: token(exp=datetime.now(UTC) - timedelta(minutes=5)), "Signature has expired"),
        (lambda: token(sub=None), 'missing the "sub" claim'),
        (lambda: token(exp=None), 'missing the "exp" claim'),
        (lambda: token(key="another-secret-that-is-also-32-bytes-long"), "Signature verification"),
        (
            lambda: token(key=PRIVATE_KEY, algorithm="RS256"),
            "The specified alg value is not allowed",
        ),
        (lambda: token(sub=42), "Subject must be a string"),
        (lambda: "not.a.jwt", "Invalid header"),
    ],
)
def test_tokens_that_do_not_check_out_are_unauthenticated(
    bad_token: Callable[[], str], says: str
) -> None:
    with pytest.raises(Unauthenticated) as raised:
        hs256().authenticate(bearer(bad_token()))

    assert says in raised.value.message
    assert dict(answer(raised.value).headers) == {
        "WWW-Authenticate": 'Bearer error="invalid_token"'
    }


@pytest.mark.parametrize(
    "headers", [{}, {"authorization": "Basic dXNlcjpwYXNz"}, {"authorization": "Bearer "}]
)
def test_no_bearer_token_is_unauthenticated_with_a_challenge(headers: dict[str, str]) -> None:
    with pytest.raises(Unauthenticated) as raised:
        hs256().authenticate(headers)

    assert dict(answer(raised.value).headers) == {"WWW-Authenticate": "Bearer"}


def test_an_rs256_token_checks_against_the_public_key() -> None:
    tokens = BearerTokens(JwtSettings(ISSUER, AUDIENCE, public_key=PUBLIC_PEM))

    assert tokens.authenticate(bearer(token(PRIVATE_KEY, "RS256"))).id == "user-1"
    with pytest.raises(Unauthenticated):
        tokens.authenticate(bearer(token()))


class _JwksHandler(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_: object) -> None:
        """Quiet: pytest shows failures, not access logs."""


@pytest.fixture
def jwks_url() -> Iterator[str]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(PRIVATE_KEY.public_key()))
    _JwksHandler.body = json.dumps({"keys": [{**jwk, "kid": "key-1", "use": "sig"}]}).encode()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _JwksHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/keys"
    server.shutdown()
    server.server_close()
    thread.join()


def test_an_rs256_token_checks_against_the_issuers_jwks(jwks_url: str) -> None:
    tokens = BearerTokens(JwtSettings(ISSUER, AUDIENCE, jwks_url=jwks_url))

    assert tokens.authenticate(bearer(token(PRIVATE_KEY, "RS256"))).id == "user-1"


def test_a_token_whose_key_is_not_in_the_jwks_is_unauthenticated(jwks_url: str) -> None:
    tokens = BearerTokens(JwtSettings(ISSUER, AUDIENCE, jwks_url=jwks_url))
    unknown_kid = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "u", "exp": datetime.now(UTC) + timedelta(1)},
        PRIVATE_KEY,
        algorithm="RS256",
        headers={"kid": "key-2"},
    )

    with pytest.raises(Unauthenticated, match="Unable to find a signing key"):
        tokens.authenticate(bearer(unknown_kid))


def test_an_unreachable_jwks_is_503_not_401() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    tokens = BearerTokens(JwtSettings(ISSUER, AUDIENCE, jwks_url=f"http://127.0.0.1:{port}/k"))

    with pytest.raises(IdentityProviderUnavailable):
        tokens.authenticate(bearer(token(PRIVATE_KEY, "RS256")))


def test_other_endpoints_do_not_accept_a_signalr_client_token() -> None:
    issued = client_connection_info(SIGNALR, HUB, user_id="user-7").access_token

    with pytest.raises(Unauthenticated):
        hs256().authenticate(bearer(issued))
