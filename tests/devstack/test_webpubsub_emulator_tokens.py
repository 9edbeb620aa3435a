"""Every way the Web PubSub emulator refuses a token, over real HTTP: client WebSockets at
``/client/hubs/{hub}`` and the REST API, with tokens from the official service SDK (and
forged ones beside them).

The service answers a refused client token with 401 before the WebSocket upgrade, and a
REST call with 401 (azure-messaging-webpubsubservice maps it to ClientAuthenticationError);
client tokens are HS256 JWTs for the hub's client URL, ``sub`` naming the user (the SDK's
``get_token_by_key``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import aiohttp
import jwt
import pytest
import requests
from azure.core.exceptions import ClientAuthenticationError
from azure.messaging.webpubsubservice import WebPubSubServiceClient

from devstack.emulator_core.running import RunningEmulator, connection_string
from devstack.emulator_core.tokens import MAX_TOKEN_LENGTH
from devstack.webpubsub import DEFAULT_ACCESS_KEY, start_emulator

HUB = "documents"
OTHER_KEY = "another-access-key-" + "0123456789" * 4


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with start_emulator() as running:
        yield running


def base(emulator: RunningEmulator) -> str:
    return f"http://127.0.0.1:{emulator.port}"


def forged(emulator: RunningEmulator, key: str = DEFAULT_ACCESS_KEY, **claims: Any) -> str:
    """A client token as the SDK mints one for ``HUB``, with ``claims`` changed (None: left
    out)."""
    now = int(time.time())
    token = {"aud": f"{base(emulator)}/client/hubs/{HUB}", "exp": now + 60, "sub": "alice"}
    token |= claims
    return jwt.encode({k: v for k, v in token.items() if v is not None}, key, algorithm="HS256")


async def handshake(emulator: RunningEmulator, query: str, headers: dict[str, str]) -> int:
    """The status of a WebSocket handshake at the hub's client endpoint (101 when accepted)."""
    url = f"{base(emulator)}/client/hubs/{HUB}{query}"
    async with aiohttp.ClientSession() as session:
        try:
            async with session.ws_connect(
                url, headers=headers, protocols=["json.webpubsub.azure.v1"]
            ):
                return 101
        except aiohttp.WSServerHandshakeError as refused:
            return refused.status


async def test_a_token_from_the_service_sdk_opens_the_socket(emulator: RunningEmulator) -> None:
    service = WebPubSubServiceClient.from_connection_string(
        connection_string(base(emulator), DEFAULT_ACCESS_KEY), hub=HUB
    )
    url = service.get_client_access_token(user_id="alice")["url"]

    assert await handshake(emulator, "?" + url.partition("?")[2], {}) == 101


@pytest.mark.parametrize(
    "refused",
    [
        pytest.param(lambda e: {}, id="no token"),
        pytest.param(lambda e: {"access_token": "not-a-jwt"}, id="not a JWT"),
        pytest.param(lambda e: {"access_token": forged(e, key=OTHER_KEY)}, id="another key"),
        pytest.param(
            lambda e: {"access_token": forged(e, exp=int(time.time()) - 60)}, id="expired"
        ),
        pytest.param(
            lambda e: {"access_token": forged(e, nbf=int(time.time()) + 600)}, id="not yet valid"
        ),
        pytest.param(lambda e: {"access_token": forged(e, exp=None)}, id="no expiry"),
        pytest.param(
            lambda e: {"access_token": forged(e, aud=f"{base(e)}/client/hubs/other")},
            id="another hub",
        ),
        pytest.param(
            lambda e: {"access_token": forged(e, aud=f"http://example.com/client/hubs/{HUB}")},
            id="another host",
        ),
        pytest.param(
            lambda e: {"access_token": forged(e, aud=f"{base(e)}/api/hubs/{HUB}")},
            id="a REST audience",
        ),
        pytest.param(
            lambda e: {
                "access_token": jwt.encode(
                    {"aud": f"{base(e)}/client/hubs/{HUB}", "exp": int(time.time()) + 60},
                    "",
                    algorithm="none",
                )
            },
            id="unsigned",
        ),
    ],
)
async def test_a_client_token_is_refused_with_401_before_the_upgrade(
    emulator: RunningEmulator, refused: Any
) -> None:
    query = refused(emulator)
    encoded = "?" + "&".join(f"{name}={value}" for name, value in query.items()) if query else ""
    assert await handshake(emulator, encoded, {}) == 401


async def test_an_authorization_header_that_is_not_bearer_is_refused(
    emulator: RunningEmulator,
) -> None:
    headers = {"Authorization": f"Basic {forged(emulator)}"}
    assert await handshake(emulator, "", headers) == 401


async def test_an_oversize_token_is_refused_with_413(emulator: RunningEmulator) -> None:
    token = forged(emulator, padding="x" * MAX_TOKEN_LENGTH)
    assert await handshake(emulator, "", {"Authorization": f"Bearer {token}"}) == 413


def test_the_service_sdk_with_another_key_is_refused(emulator: RunningEmulator) -> None:
    endpoint = base(emulator)
    service = WebPubSubServiceClient.from_connection_string(
        connection_string(endpoint, OTHER_KEY), hub=HUB
    )
    with pytest.raises(ClientAuthenticationError):
        service.send_to_all({"hello": "world"})


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda e: forged(e), id="a client token"),
        pytest.param(
            lambda e: forged(e, aud=f"{base(e)}/api/hubs/other/:send"), id="another REST URL"
        ),
    ],
)
def test_a_rest_call_with_a_token_for_another_url_is_refused(
    emulator: RunningEmulator, token: Any
) -> None:
    answer = requests.post(
        f"{base(emulator)}/api/hubs/{HUB}/:send",
        params={"api-version": "2024-12-01"},
        json={"hello": "world"},
        headers={"Authorization": f"Bearer {token(emulator)}"},
        timeout=5,
    )
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
