"""Forged upstream events, and the service's bearer token that tells them from real ones.

With an identity-based connection the SignalR extension checks no signature
(azure-sdk-for-net, SignatureValidationOptionsSetup.cs: "we don't have mechanism to validate
identity-based connection"; the dev host does the same), so whoever holds the extension's
system key can post ``connected`` and ``disconnected`` events. With the upstream's
``auth: {type: 'ManagedIdentity', managedIdentity: {resource}}`` the service sends a token of
its identity, which docchat checks (``DOCCHAT_UPSTREAM_*``, realtime/upstream_auth.py). Here
the emulator's identity gets its tokens from the tests' local Entra issuer, as the service's
gets them from Microsoft Entra ID.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from chat.domain.users import User
from devstack.emulator_core.upstream_rules import parse_upstream_rule
from devstack.signalr import EmulatorSettings, RunningEmulator, start_emulator
from devstack.stack import free_port
from tests.fixtures.chat import ALICE
from tests.fixtures.entra_issuer import ManagedIdentityEndpoint
from tests.fixtures.functions_host import FUNCTION_KEY, HostedApp, serve_function_app
from tests.fixtures.hub_client import NodeHubClient
from tests.integration.chat_calls import NEW, doc, membership, principal
from tests.integration.conftest import ISSUER
from tests.integration.test_keyless_signalr import KeylessStack, keyless_settings

MALLORY = User("mallory-id", "Mallory")
#: The resource the upstream's token is for (in Azure: the app's registration).
UPSTREAM_AUDIENCE = "api://docchat-upstream"
#: The object id of the service's managed identity (its tokens' ``sub``).
SERVICE_PRINCIPAL = "sigr-identity-0001"


def service_identity(resource: str) -> str:
    """The emulator's managed identity: a token for ``resource``, as Entra gives one."""
    return ISSUER.token(audience=resource, sub=SERVICE_PRINCIPAL)


@pytest.fixture
def stack() -> Iterator[KeylessStack]:
    """A keyless emulator whose upstream authenticates with its identity's token."""
    port = free_port()
    webhook = f"http://127.0.0.1:{port}/runtime/webhooks/signalr?code={FUNCTION_KEY}"
    settings = EmulatorSettings(
        entra_public_key=ISSUER.public_pem,
        entra_issuer=ISSUER.issuer,
        upstream_identity=service_identity,
    )
    rule = parse_upstream_rule(f"{webhook} auth={UPSTREAM_AUDIENCE}")
    with start_emulator(settings=settings, upstream=[rule]) as emulator:
        yield KeylessStack(port, emulator)


def checked_settings(cosmos_server: Any, emulator: RunningEmulator) -> dict[str, str]:
    return keyless_settings(cosmos_server, emulator.endpoint) | {
        "DOCCHAT_UPSTREAM_AUDIENCE": UPSTREAM_AUDIENCE,
        "DOCCHAT_UPSTREAM_ISSUER": ISSUER.issuer,
        "DOCCHAT_UPSTREAM_PUBLIC_KEY": ISSUER.public_pem,
        "DOCCHAT_UPSTREAM_PRINCIPAL_ID": SERVICE_PRINCIPAL,
    }


async def forge(
    host: HostedApp, event: str, connection_id: str, user_id: str, token: str | None = None
) -> int:
    """Post a connections event to the webhook as the service would, with the system key
    (which the forger holds), and the status the host answers."""
    headers = {
        "X-ASRS-Connection-Id": connection_id,
        "X-ASRS-Hub": "documents",
        "X-ASRS-Category": "connections",
        "X-ASRS-Event": event,
        "X-ASRS-User-Id": user_id,
        "Content-Type": "application/json",
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = b'{"type":10}' if event == "connected" else b'{"Type":11}'
    url = f"{host.base_url}/runtime/webhooks/signalr?code={FUNCTION_KEY}"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as answer,
    ):
        return answer.status


async def test_forged_connection_events_change_no_ownership_while_the_services_own_do(
    cosmos_server: Any, stack: KeylessStack, identity: ManagedIdentityEndpoint
) -> None:
    document = doc("forged")
    settings = checked_settings(cosmos_server, stack.emulator)
    async with serve_function_app(settings, stack.port) as host:
        negotiated = await host.call("negotiate", headers=principal(ALICE))
        info = negotiated.json()
        async with NodeHubClient.connect(
            info["url"], access_token=info["accessToken"], targets=[NEW]
        ) as alice:
            # The service's own connected event, with its token, made Alice the owner.
            joined = await membership(
                host, "join_document", document, alice.connection_id, principal(ALICE)
            )
            assert joined.status_code == 204, joined.get_body()

            # Mallory, with the system key, says Alice's connection closed and is his:
            # without a token, with one of another identity, with one for another resource.
            not_the_service = ISSUER.token(audience=UPSTREAM_AUDIENCE, sub="someone-else")
            other_resource = ISSUER.token(audience="api://elsewhere", sub=SERVICE_PRINCIPAL)
            for token in (None, not_the_service, other_resource):
                for event in ("disconnected", "connected"):
                    await forge(host, event, alice.connection_id, MALLORY.id, token)

            taken = await host.call(
                "join_document",
                document_id=doc("mallorys"),
                headers=principal(MALLORY),
                body={"connectionId": alice.connection_id},
            )
            assert taken.status_code == 403, taken.get_body()
            again = await membership(
                host, "join_document", document, alice.connection_id, principal(ALICE)
            )
            assert again.status_code == 204, again.get_body()


async def test_a_forged_connected_event_is_refused_and_a_genuine_token_is_taken(
    cosmos_server: Any, stack: KeylessStack, identity: ManagedIdentityEndpoint
) -> None:
    settings = checked_settings(cosmos_server, stack.emulator)
    async with serve_function_app(settings, stack.port) as host:
        # The extension answers a connected event whose function failed with 403.
        assert await forge(host, "connected", "forged-1", MALLORY.id) == 403
        genuine = service_identity(UPSTREAM_AUDIENCE)
        assert await forge(host, "connected", "genuine-1", MALLORY.id, genuine) == 200
