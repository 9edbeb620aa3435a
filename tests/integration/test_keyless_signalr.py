"""docchat keyless: REST mode configured as infra/ configures it in Azure (the extension's
identity-based settings, a user-assigned managed identity), against the SignalR emulator
that takes the local issuer's Entra tokens. azure-identity's own ManagedIdentityCredential
gets them from a local identity endpoint, as it does from App Service's in Azure."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import jwt
import pytest

from chat.domain.users import User
from devstack.cosmos import EMULATOR_KEY
from devstack.emulator_core.upstream_rules import parse_upstream_rule
from devstack.signalr import EmulatorSettings, RunningEmulator, start_emulator
from devstack.stack import free_port
from tests.fixtures.entra_issuer import ManagedIdentityEndpoint
from tests.fixtures.functions_host import FUNCTION_KEY, serve_function_app
from tests.fixtures.hub_client import NodeHubClient
from tests.integration.chat_calls import NEW, body_of, doc, membership, post, principal
from tests.integration.conftest import IDENTITY_CLIENT_ID, ISSUER

ADA = User("ada-id", "Ada")


@dataclass(frozen=True)
class KeylessStack:
    """Where the app will listen, and the emulator whose upstream calls it there."""

    port: int
    emulator: RunningEmulator


@pytest.fixture
def stack() -> Iterator[KeylessStack]:
    """An emulator taking the issuer's tokens, sending client events to the app's webhook
    (docchat learns from them who owns a connection, which join checks)."""
    port = free_port()
    webhook = f"http://127.0.0.1:{port}/runtime/webhooks/signalr?code={FUNCTION_KEY}"
    settings = EmulatorSettings(entra_public_key=ISSUER.public_pem, entra_issuer=ISSUER.issuer)
    with start_emulator(settings=settings, upstream=[parse_upstream_rule(webhook)]) as emulator:
        yield KeylessStack(port, emulator)


def keyless_settings(cosmos_server: Any, endpoint: str, form: str = "identity") -> dict[str, str]:
    """REST mode without a key: the identity-based settings infra/ sets, or the same
    identity as an ``AuthType`` connection string."""
    connection = (
        {
            "AzureSignalRConnectionString__serviceUri": endpoint,
            "AzureSignalRConnectionString__credential": "managedidentity",
            "AzureSignalRConnectionString__clientId": IDENTITY_CLIENT_ID,
        }
        if form == "identity"
        else {
            "AzureSignalRConnectionString": (
                f"Endpoint={endpoint};AuthType=azure.msi;ClientId={IDENTITY_CLIENT_ID};Version=1.0;"
            )
        }
    )
    return {
        "DOCCHAT_AUTH": "dev",
        "DOCCHAT_ACCESS": "open",
        "DOCCHAT_SIGNALR_MODE": "rest",
        "COSMOS_ENDPOINT": cosmos_server.endpoint,
        "COSMOS_KEY": EMULATOR_KEY,
        "COSMOS_CONTAINER": "keyless",
        **connection,
    }


@pytest.mark.parametrize("form", ["identity", "authtype"])
async def test_negotiate_connect_join_send_and_receive_without_an_access_key(
    cosmos_server: Any, stack: KeylessStack, identity: ManagedIdentityEndpoint, form: str
) -> None:
    document = doc(f"keyless-{form}")
    headers = principal(ADA)
    settings = keyless_settings(cosmos_server, stack.emulator.endpoint, form)
    async with serve_function_app(settings, stack.port) as host:
        negotiated = await host.call("negotiate", headers=headers)
        assert negotiated.status_code == 200, negotiated.get_body()
        info = body_of(negotiated)

        async with NodeHubClient.connect(
            info["url"], access_token=info["accessToken"], targets=[NEW]
        ) as listener:
            joined = await membership(
                host, "join_document", document, listener.connection_id, headers
            )
            assert joined.status_code == 204, joined.get_body()
            sent = await post(host, ADA, document, "keyless hello")
            assert sent.status_code == 201, sent.get_body()

            target, [message] = await listener.next_message()

    assert (target, message["text"], message["senderId"]) == (NEW, "keyless hello", ADA.id)
    # The service made the token (:generateToken), for the signed-in user.
    claims = jwt.decode(info["accessToken"], options={"verify_signature": False})
    assert claims["asrs.s.uid"] == ADA.id
    assert "docchat.signedInUntil" not in claims
    # One token from the identity, for the service's resource, kept for every later call.
    [asked] = identity.requests
    assert (asked["resource"], asked["client_id"]) == (
        "https://signalr.azure.com",
        IDENTITY_CLIENT_ID,
    )


async def test_a_reconnecting_clients_old_token_renews_nothing_without_the_key(
    cosmos_server: Any, stack: KeylessStack, identity: ManagedIdentityEndpoint
) -> None:
    """The service's token cannot be checked here: negotiate wants the app's own sign-in."""
    settings = keyless_settings(cosmos_server, stack.emulator.endpoint) | {"DOCCHAT_AUTH": "jwt"}
    settings |= {
        "DOCCHAT_JWT_ISSUER": ISSUER.issuer,
        "DOCCHAT_JWT_AUDIENCE": "api://docchat",
        "DOCCHAT_JWT_PUBLIC_KEY": ISSUER.public_pem,
    }
    app_token = ISSUER.token(audience="api://docchat", sub=ADA.id, name=ADA.name, lifetime=600)
    async with serve_function_app(settings) as host:
        first = await host.call("negotiate", headers={"Authorization": f"Bearer {app_token}"})
        assert first.status_code == 200, first.get_body()
        service_token = body_of(first)["accessToken"]
        claims = jwt.decode(service_token, options={"verify_signature": False})

        again = await host.call("negotiate", headers={"Authorization": f"Bearer {service_token}"})

    assert again.status_code == 401
    # Issued in whole minutes within the ten-minute sign-in, so never past its end.
    assert claims["exp"] <= jwt.decode(app_token, options={"verify_signature": False})["exp"]
