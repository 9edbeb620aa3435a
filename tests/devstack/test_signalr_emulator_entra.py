"""The emulator's keyless path: Microsoft Entra tokens of a local issuer on the REST API,
and client tokens the service makes (``:generateToken``), taken by the official JS client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import jwt
import pytest
import requests

from devstack.signalr import EmulatorSettings, RunningEmulator, start_emulator
from shared.connection_string import (
    ConnectionString,
    identity_connection,
    parse_connection_string,
)
from signalr.errors import ServiceError
from signalr.rest import HubClient
from signalr.tokens import TokenError
from tests.fixtures.entra_issuer import IssuerCredential, LocalIssuer
from tests.fixtures.hub_client import NodeHubClient

ISSUER = LocalIssuer()


@pytest.fixture(scope="module")
def entra_emulator() -> Iterator[RunningEmulator]:
    """An emulator that takes the local issuer's tokens besides its AccessKey's."""
    settings = EmulatorSettings(entra_public_key=ISSUER.public_pem, entra_issuer=ISSUER.issuer)
    with start_emulator(settings=settings) as emulator:
        yield emulator


@pytest.fixture
def keyless(entra_emulator: RunningEmulator) -> ConnectionString:
    return identity_connection(entra_emulator.endpoint, managed_identity=True, client_id="id-1")


def health_of_hub(endpoint: str, hub: str, token: str) -> requests.Response:
    """A REST call presenting ``token``: does group ``g`` of ``hub`` exist?"""
    return requests.head(
        f"{endpoint}/api/hubs/{hub}/groups/g",
        params={"api-version": "2022-06-01"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def test_rest_calls_carry_one_cached_entra_token_the_emulator_accepts(
    keyless: ConnectionString, signalr_hub_name: str
) -> None:
    credential = IssuerCredential(ISSUER)

    with HubClient(keyless, signalr_hub_name, credential=credential) as hub:
        hub.send_to_all("message", ["hi"])
        hub.add_user_to_group("g", "u-1")
        assert hub.user_in_group("g", "u-1")

    assert credential.scopes == [("https://signalr.azure.com/.default",)]


def test_a_token_about_to_expire_is_replaced_before_it_is_sent(
    keyless: ConnectionString, signalr_hub_name: str
) -> None:
    """A token within five minutes of its end is not used: it could expire on its way."""
    credential = IssuerCredential(ISSUER, lifetime=240)

    with HubClient(keyless, signalr_hub_name, credential=credential) as hub:
        hub.send_to_all("message", ["one"])
        hub.send_to_all("message", ["two"])

    assert len(credential.scopes) == 2


@pytest.mark.parametrize(
    ("token", "says"),
    [
        (LocalIssuer(ISSUER.issuer).token(), "Signature verification failed"),
        (ISSUER.token(audience="https://management.azure.com"), "Audience doesn't match"),
        (ISSUER.token(lifetime=-60), "Signature has expired"),
        (LocalIssuer().token(iss="https://elsewhere.test/"), "Signature verification failed"),
    ],
    ids=["another issuer's key", "another audience", "expired", "another issuer"],
)
def test_entra_tokens_that_do_not_hold_are_refused(
    entra_emulator: RunningEmulator, token: str, says: str
) -> None:
    refused = health_of_hub(entra_emulator.endpoint, "hub", token)

    assert refused.status_code == 401
    assert says in refused.headers["WWW-Authenticate"]


def test_a_token_naming_another_issuer_is_refused_even_with_the_right_key(
    entra_emulator: RunningEmulator,
) -> None:
    refused = health_of_hub(
        entra_emulator.endpoint, "hub", ISSUER.token(iss="https://elsewhere.test/")
    )

    assert refused.status_code == 401
    assert "Invalid issuer" in refused.headers["WWW-Authenticate"]


def test_an_emulator_without_an_issuer_key_refuses_entra_tokens(
    signalr_emulator: RunningEmulator,
) -> None:
    refused = health_of_hub(signalr_emulator.endpoint, "hub", ISSUER.token())

    assert refused.status_code == 401
    assert "no Entra issuer key" in refused.headers["WWW-Authenticate"]


def test_access_key_tokens_still_work_beside_entra(
    entra_emulator: RunningEmulator, signalr_hub_name: str
) -> None:
    with HubClient(
        parse_connection_string(entra_emulator.connection_string), signalr_hub_name
    ) as hub:
        hub.send_to_all("message", ["keyed"])


async def test_generate_token_makes_a_client_token_the_js_client_connects_with(
    keyless: ConnectionString, signalr_hub_name: str
) -> None:
    with HubClient(keyless, signalr_hub_name, credential=IssuerCredential(ISSUER)) as hub:
        info = hub.client_connection_info(user_id="u-7", lifetime=timedelta(minutes=5, seconds=59))

        async with NodeHubClient.connect(
            info.url, access_token=info.access_token, targets=["message"]
        ) as client:
            hub.send_to_user("u-7", "message", ["for u-7"])
            assert await client.next_message() == ("message", ["for u-7"])

    claims = jwt.decode(info.access_token, options={"verify_signature": False})
    assert info.url == f"{keyless.endpoint}/client/?hub={signalr_hub_name.lower()}"
    assert claims["exp"] - time.time() == pytest.approx(5 * 60, abs=5)


def test_generate_token_refuses_a_lifetime_that_is_not_whole_minutes_from_one(
    entra_emulator: RunningEmulator, keyless: ConnectionString
) -> None:
    refused = requests.post(
        f"{entra_emulator.endpoint}/api/hubs/hub/:generateToken",
        params={"api-version": "2024-12-01", "minutesToExpire": "0"},
        headers={"Authorization": f"Bearer {ISSUER.token()}"},
        timeout=10,
    )
    assert refused.status_code == 400
    assert refused.json()["target"] == "minutesToExpire"

    with (
        HubClient(keyless, "hub", credential=IssuerCredential(ISSUER)) as hub,
        pytest.raises(TokenError, match="one minute or more"),
    ):
        hub.client_connection_info(user_id="u", lifetime=timedelta(seconds=59))


def test_generate_token_needs_an_authorized_caller(keyless: ConnectionString) -> None:
    stranger = IssuerCredential(LocalIssuer())

    with (
        HubClient(keyless, "hub", credential=stranger) as hub,
        pytest.raises(ServiceError) as refused,
    ):
        hub.client_connection_info(user_id="u")

    assert refused.value.status_code == 401
