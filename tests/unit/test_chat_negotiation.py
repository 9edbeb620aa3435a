"""Negotiate in-process: a token for the caller in REST mode, the binding's in bindings mode."""

from __future__ import annotations

import json

import jwt

from chat.negotiation import negotiate
from chat.runtime import Runtime
from chat.settings import AuthMode, JwtSettings
from tests.fixtures.chat import make_request, make_settings

JWT = JwtSettings("https://issuer.test", "docchat", secret="negotiation-test-secret-0123456789ab")


def test_rest_mode_signs_a_client_token_for_the_authenticated_user() -> None:
    settings = make_settings()

    response = negotiate(Runtime(settings), make_request(headers={"authorization": "Bearer old"}))

    assert response.status == 200
    assert response.headers == {"Cache-Control": "no-store"}
    assert response.body["url"] == "http://127.0.0.1:8888/client/?hub=documents"
    assert settings.signalr is not None
    assert settings.signalr.access_key is not None
    claims = jwt.decode(
        response.body["accessToken"],
        settings.signalr.access_key,
        algorithms=["HS256"],
        audience="http://127.0.0.1/client/?hub=documents",
    )
    assert claims["asrs.s.uid"] == claims["nameid"] == "alice-id"


def test_bindings_mode_returns_the_connection_info_the_host_issued() -> None:
    info = {"url": "https://x/client/?hub=documents", "accessToken": "from-the-host"}

    response = negotiate(Runtime(make_settings()), make_request(), json.dumps(info))

    assert (response.status, response.body) == (200, info)


def test_an_anonymous_caller_gets_401() -> None:
    response = negotiate(Runtime(make_settings()), make_request(user=None))

    assert response.status == 401
    assert response.body["error"]["code"] == "unauthenticated"


def test_jwt_mode_takes_the_user_from_the_bearer_token_not_the_principal_headers() -> None:
    runtime = Runtime(make_settings(auth=AuthMode.JWT, jwt=JWT))
    assert JWT.secret is not None
    app_token = jwt.encode(
        {"iss": JWT.issuer, "aud": JWT.audience, "sub": "token-user", "exp": 2**40},
        JWT.secret,
        algorithm="HS256",
    )

    spoofed = negotiate(runtime, make_request())
    signed_in = negotiate(runtime, make_request(headers={"authorization": f"Bearer {app_token}"}))

    assert spoofed.status == 401
    reconnect = negotiate(
        runtime, make_request(headers={"authorization": f"Bearer {signed_in.body['accessToken']}"})
    )
    for response in (signed_in, reconnect):
        claims = jwt.decode(response.body["accessToken"], options={"verify_signature": False})
        assert claims["nameid"] == "token-user"
