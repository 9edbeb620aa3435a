"""jwt mode end to end: the user is whoever the bearer token says, and negotiate also
takes back the SignalR client token docchat issued, as a reconnecting JS client sends it."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import jwt

from tests.fixtures.functions_host import HostedApp
from tests.fixtures.hub_client import NodeHubClient
from tests.integration.chat_calls import membership
from tests.integration.conftest import LoadApp

ISSUER = "https://login.docchat.test"
AUDIENCE = "docchat"
SECRET = "jwt-integration-secret-0123456789abcdef"


#: Documents are named per run, so no other test on the shared emulator hears them.
RUN = uuid.uuid4().hex[:8]


def doc(name: str) -> str:
    return f"doc-{name}-{RUN}"


async def jwt_app(load_app: LoadApp) -> HostedApp:
    return await load_app(
        DOCCHAT_AUTH="jwt",
        DOCCHAT_JWT_ISSUER=ISSUER,
        DOCCHAT_JWT_AUDIENCE=AUDIENCE,
        DOCCHAT_JWT_SECRET=SECRET,
    )


def bearer(subject: str, name: str) -> dict[str, str]:
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": subject, "name": name}
    token = jwt.encode({**claims, "exp": int(time.time()) + 300}, SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


async def call(host: HostedApp, name: str, **request: Any) -> Any:
    """Status, JSON body (None for none) and headers."""
    response = await host.call(name, **request)
    body = json.loads(response.get_body()) if response.get_body() else None
    return response.status_code, body, response.headers


async def test_the_user_is_the_tokens_subject_and_principal_headers_count_for_nothing(
    load_app: LoadApp,
) -> None:
    host = await jwt_app(load_app)
    message = {"document_id": doc("jwt"), "body": {"text": "hello"}}

    status, body, _ = await call(host, "send_message", headers=bearer("u-1", "Uma"), **message)
    spoofed = {"X-MS-CLIENT-PRINCIPAL-ID": "u-1", "X-MS-CLIENT-PRINCIPAL-NAME": "Uma"}
    refused, error, headers = await call(host, "send_message", headers=spoofed, **message)

    assert (status, body["senderId"], body["senderName"]) == (201, "u-1", "Uma")
    assert (refused, error["error"]["code"]) == (401, "unauthenticated")
    assert headers["WWW-Authenticate"] == "Bearer"


async def test_a_reconnecting_client_negotiates_with_its_old_client_token(
    load_app: LoadApp,
) -> None:
    host = await jwt_app(load_app)
    status, first, _ = await call(host, "negotiate", headers=bearer("u-2", "Vic"))
    assert status == 200
    old_token = {"Authorization": f"Bearer {first['accessToken']}"}

    status, renewed, _ = await call(host, "negotiate", headers=old_token)
    assert status == 200
    async with NodeHubClient.connect(
        renewed["url"], access_token=renewed["accessToken"], targets=["newMessage"]
    ) as listener:
        joined = await membership(
            host, "join_document", doc("reconnect"), listener.connection_id, bearer("u-2", "Vic")
        )
        assert joined.status_code == 204, joined.get_body()
        _, sent, _ = await call(
            host,
            "send_message",
            document_id=doc("reconnect"),
            headers=bearer("u-3", "Wes"),
            body={"text": "welcome back"},
        )
        assert await listener.next_message() == ("newMessage", [sent])
    renewed_user = jwt.decode(renewed["accessToken"], options={"verify_signature": False})
    assert renewed_user["nameid"] == "u-2"


async def test_the_client_token_is_good_for_negotiate_only(load_app: LoadApp) -> None:
    host = await jwt_app(load_app)
    _, info, _ = await call(host, "negotiate", headers=bearer("u-4", "Xia"))

    status, body, _ = await call(
        host,
        "send_message",
        document_id=doc("jwt"),
        headers={"Authorization": f"Bearer {info['accessToken']}"},
        body={"text": "sneaky"},
    )

    assert (status, body["error"]["code"]) == (401, "unauthenticated")
