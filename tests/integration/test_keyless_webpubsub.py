"""docchat keyless on Web PubSub: REST mode with the extension's identity-based settings (as
infra/ sets them), against the Web PubSub emulator taking the local issuer's Entra tokens.
The official service SDK gets its token from azure-identity's ManagedIdentityCredential, and
client access URLs from the service's ``:generateToken``: docchat holds no key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from devstack.cosmos import EMULATOR_KEY
from devstack.emulator_core.running import RunningEmulator
from devstack.emulator_core.upstream_rules import parse_upstream_rule
from devstack.stack import free_port
from devstack.webpubsub import WebPubSubSettings, start_emulator
from tests.fixtures.chat import ALICE
from tests.fixtures.entra_issuer import ManagedIdentityEndpoint
from tests.fixtures.functions_host import FUNCTION_KEY, serve_function_app
from tests.fixtures.webpubsub_client import NodeWebPubSubClient
from tests.integration.chat_calls import (
    body_of,
    doc,
    membership,
    post,
    principal,
    webpubsub_event,
)
from tests.integration.conftest import (
    IDENTITY_CLIENT_ID,
    ISSUER,
    WEBPUBSUB_EVENTS,
    closed_port,
)


@pytest.fixture
def app_port() -> int:
    return free_port()


@pytest.fixture
def emulator(app_port: int) -> Iterator[RunningEmulator]:
    """Web PubSub taking the issuer's tokens, its events going to the app's webhook."""
    rule = f"http://127.0.0.1:{app_port}/runtime/webhooks/webpubsub?code={FUNCTION_KEY}"
    settings = WebPubSubSettings(entra_public_key=ISSUER.public_pem, entra_issuer=ISSUER.issuer)
    upstream = [parse_upstream_rule(f"{rule} event={WEBPUBSUB_EVENTS}")]
    with start_emulator(settings=settings, upstream=upstream) as running:
        yield running


def keyless_settings(cosmos_server: Any, service_uri: str) -> dict[str, str]:
    """REST mode with the identity-based settings infra/ sets, and no key anywhere."""
    return {
        "DOCCHAT_AUTH": "dev",
        "DOCCHAT_ACCESS": "open",
        "DOCCHAT_REALTIME": "webpubsub",
        "COSMOS_ENDPOINT": cosmos_server.endpoint,
        "COSMOS_KEY": EMULATOR_KEY,
        "COSMOS_CONTAINER": "keyless-webpubsub",
        "WebPubSubConnectionString__serviceUri": service_uri,
        "WebPubSubConnectionString__credential": "managedidentity",
        "WebPubSubConnectionString__clientId": IDENTITY_CLIENT_ID,
    }


async def test_negotiate_connect_join_send_and_receive_without_an_access_key(
    cosmos_server: Any, identity: ManagedIdentityEndpoint, emulator: RunningEmulator, app_port: int
) -> None:
    document = doc("keyless-webpubsub")
    settings = keyless_settings(cosmos_server, emulator.endpoint)
    async with serve_function_app(settings, app_port) as host:
        negotiated = await host.call("negotiate", headers=principal(ALICE))
        assert negotiated.status_code == 200, negotiated.get_body()
        url = body_of(negotiated)["url"]
        async with NodeWebPubSubClient.connect(url) as client:
            joined = await membership(
                host, "join_document", document, client.connection_id, principal(ALICE)
            )
            assert joined.status_code == 204, joined.get_body()
            sent = await post(host, ALICE, document, "keyless on Web PubSub")
            assert sent.status_code == 201, sent.get_body()
            heard = await webpubsub_event(client, "newMessage")

    assert heard == body_of(sent)
    # The service made the client token (:generateToken), for the signed-in user.
    token = url.partition("access_token=")[2]
    assert jwt.decode(token, options={"verify_signature": False})["sub"] == ALICE.id
    # Every call signed in with the identity, for Web PubSub's resource.
    assert {(asked["resource"], asked["client_id"]) for asked in identity.requests} == {
        ("https://webpubsub.azure.com", IDENTITY_CLIENT_ID)
    }


async def test_keyless_negotiate_is_503_while_the_service_is_down_and_500_without_an_identity(
    cosmos_server: Any,
    identity: ManagedIdentityEndpoint,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Keyless, negotiate calls the service (:generateToken): its outage is a 503 to retry,
    while an identity that cannot get a token is a misconfiguration (a failed invocation)."""
    settings = keyless_settings(cosmos_server, f"http://127.0.0.1:{closed_port()}")
    async with serve_function_app(settings) as host:
        down = await host.call("negotiate", headers=principal(ALICE))
    for name in identity.environment:
        monkeypatch.delenv(name)
    async with serve_function_app(settings) as host:
        no_identity = await host.call("negotiate", headers=principal(ALICE))

    assert down.status_code == 503
    assert down.headers["Retry-After"] == "1"
    assert no_identity.status_code == 500
    assert "no Microsoft Entra token for Web PubSub" in caplog.text
