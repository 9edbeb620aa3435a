"""Negotiate in-process: whoever is signed in gets the backend's connection, within the
sign-in; a client token the backend issued renews it only in jwt mode."""

from __future__ import annotations

import json
import time

import jwt

from chat.api.http import Request, Response
from chat.api.routes import Endpoints
from chat.app.realtime import Negotiator
from chat.app.runtime import Runtime
from chat.settings import AuthMode, JwtSettings
from realtime.signalr_bindings import ConnectionInfo
from realtime.signalr_tokens import SIGNED_IN_UNTIL_CLAIM, SignedTokens
from shared.connection_string import parse_connection_string
from tests.fixtures.chat import fake_runtime, make_request, make_settings

JWT = JwtSettings("https://issuer.test", "docchat", secret="negotiation-test-secret-0123456789ab")
ACCESS_KEY = "negotiation-test-access-key-0123456789abcdef"
SIGNALR = parse_connection_string(f"Endpoint=http://127.0.0.1:8888;AccessKey={ACCESS_KEY};")


def negotiate(runtime: Runtime, request: Request, negotiator: Negotiator) -> Response:
    return Endpoints(runtime).negotiation.negotiate(request, negotiator)


def test_rest_mode_signs_a_client_token_for_the_authenticated_user() -> None:
    response = negotiate(fake_runtime(), make_request(), SignedTokens(SIGNALR))

    assert response.status == 200
    assert response.headers == {"Cache-Control": "no-store"}
    assert response.body["url"] == "http://127.0.0.1:8888/client/?hub=documents"
    claims = jwt.decode(
        response.body["accessToken"],
        ACCESS_KEY,
        algorithms=["HS256"],
        audience="http://127.0.0.1/client/?hub=documents",
    )
    assert claims["asrs.s.uid"] == claims["nameid"] == "alice-id"


def test_bindings_mode_returns_the_connection_info_the_host_issued() -> None:
    info = {"url": "https://x/client/?hub=documents", "accessToken": "from-the-host"}

    response = negotiate(fake_runtime(), make_request(), ConnectionInfo(json.dumps(info)))

    assert (response.status, response.body) == (200, info)


def test_an_anonymous_caller_gets_401() -> None:
    response = negotiate(fake_runtime(), make_request(user=None), SignedTokens(SIGNALR))

    assert response.status == 401
    assert response.body["error"]["code"] == "unauthenticated"


def app_token(subject: str, expires: int) -> str:
    assert JWT.secret is not None
    claims = {"iss": JWT.issuer, "aud": JWT.audience, "sub": subject, "exp": expires}
    return jwt.encode(claims, JWT.secret, algorithm="HS256")


def test_jwt_mode_takes_the_user_from_the_bearer_token_and_renews_within_the_sign_in() -> None:
    runtime = fake_runtime(make_settings(auth=AuthMode.JWT, jwt=JWT))
    signed_in_until = int(time.time()) + 600
    bearer = {"authorization": f"Bearer {app_token('token-user', signed_in_until)}"}

    spoofed = negotiate(runtime, make_request(), SignedTokens(SIGNALR))
    signed_in = negotiate(runtime, make_request(headers=bearer), SignedTokens(SIGNALR))
    reconnecting = {"authorization": f"Bearer {signed_in.body['accessToken']}"}
    renewed = negotiate(runtime, make_request(headers=reconnecting), SignedTokens(SIGNALR))

    assert spoofed.status == 401
    for response in (signed_in, renewed):
        claims = jwt.decode(response.body["accessToken"], options={"verify_signature": False})
        assert claims["nameid"] == "token-user"
        assert claims[SIGNED_IN_UNTIL_CLAIM] == signed_in_until
        assert claims["exp"] <= signed_in_until


def test_outside_jwt_mode_a_client_token_renews_nothing() -> None:
    issued = negotiate(fake_runtime(), make_request(), SignedTokens(SIGNALR)).body
    reconnecting = {"authorization": f"Bearer {issued['accessToken']}"}

    response = negotiate(
        fake_runtime(), make_request(user=None, headers=reconnecting), SignedTokens(SIGNALR)
    )

    assert response.status == 401
