"""The SignalR bindings: the extension's JSON in and out, carried out on the real emulator."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import pytest
from pysignalr.client import SignalRClient

from devstack.signalr import RunningEmulator
from signalr.rest import HubClient
from tests.devstack.host_apps.serving import serving

KEY = "sample-access-key-for-the-binding-tests-0123456789"
OFFLINE = f"Endpoint=http://localhost:8888;AccessKey={KEY};Version=1.0;"
#: Long enough for any healthy loopback exchange; only a broken one waits this long.
PATIENCE = 10.0


def claims_of(connection_info: dict[str, str]) -> dict[str, Any]:
    """The token's claims, checked the way the service checks them."""
    return jwt.decode(
        connection_info["accessToken"],
        KEY,
        algorithms=["HS256"],
        audience="http://localhost/client/?hub=chat",
    )


def settings_for(connection_string: str, hub: str = "chat") -> dict[str, str]:
    return {
        "SAMPLE_SIGNALR": connection_string,
        "AzureSignalRConnectionString": connection_string,
        "SAMPLE_HUB": hub,
    }


@pytest.fixture
async def offline_host() -> AsyncIterator[aiohttp.ClientSession]:
    """The sample app with a connection string to a service that need not run."""
    async with (
        serving("signalr_app", settings=settings_for(OFFLINE)) as base_url,
        aiohttp.ClientSession(base_url) as http,
    ):
        yield http


async def negotiate(http: aiohttp.ClientSession, path: str, **request: Any) -> dict[str, str]:
    async with http.post(path, **request) as response:
        assert response.status == 200, await response.text()
        info: dict[str, str] = await response.json()
        return info


async def test_connection_info_is_the_extension_json_for_the_bound_user(
    offline_host: aiohttp.ClientSession,
) -> None:
    headers = {"x-ms-client-principal-id": "alice"}
    info = await negotiate(offline_host, "/api/negotiate", headers=headers)
    assert set(info) == {"url", "accessToken"}
    assert info["url"] == "http://localhost:8888/client/?hub=chat"
    claims = claims_of(info)
    assert (claims["asrs.s.uid"], claims["nameid"]) == ("alice", "alice")


async def test_the_user_may_come_from_the_query_and_the_hub_from_a_setting(
    offline_host: aiohttp.ClientSession,
) -> None:
    info = await negotiate(offline_host, "/api/negotiate/by-query", params={"user": "bob"})
    assert claims_of(info)["nameid"] == "bob"


async def test_without_a_user_id_the_token_names_no_user(
    offline_host: aiohttp.ClientSession,
) -> None:
    claims = claims_of(await negotiate(offline_host, "/api/negotiate/anonymous"))
    assert "nameid" not in claims
    assert "asrs.s.uid" not in claims


async def test_listed_claims_of_the_id_token_are_copied_without_clobbering(
    offline_host: aiohttp.ClientSession,
) -> None:
    issuer_key = "an-identity-provider-key-unknown-to-the-host"
    id_token = jwt.encode({"name": "Ada", "aud": "elsewhere", "email": "a@x"}, issuer_key)
    headers = {"Authorization": f"Bearer {id_token}"}
    claims = claims_of(await negotiate(offline_host, "/api/negotiate/with-claims", headers=headers))
    assert claims["name"] == "Ada"
    assert claims["asrs.u.aud"] == "elsewhere"
    assert "email" not in claims


async def test_a_missing_bound_header_fails_the_invocation_like_the_host(
    offline_host: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="devstack.host"):
        async with offline_host.post("/api/negotiate") as response:
            assert response.status == 500
            assert KEY not in await response.text()
    assert "Error while accessing 'x-ms-client-principal-id': property doesn't exist." in (
        caplog.text
    )
    assert "Executed 'Functions.negotiate' (Failed" in caplog.text


async def test_a_missing_connection_setting_fails_naming_the_setting(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with (
        serving("signalr_app", settings={"SAMPLE_HUB": "chat"}) as base_url,
        aiohttp.ClientSession(base_url) as http,
        http.post("/api/negotiate/anonymous") as response,
    ):
        assert response.status == 500
    assert "'AzureSignalRConnectionString'" in caplog.text


@pytest.fixture
async def host_url(signalr_emulator: RunningEmulator, signalr_hub_name: str) -> AsyncIterator[str]:
    """The sample app bound to the session's emulator, on a hub of the test's own."""
    settings = settings_for(signalr_emulator.connection_string, signalr_hub_name)
    async with serving("signalr_app", settings=settings) as url:
        yield url


@pytest.fixture
async def host(host_url: str) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(host_url) as http:
        yield http


async def send(http: aiohttp.ClientSession, *items: dict[str, Any]) -> int:
    async with http.post("/api/send", data=json.dumps(list(items))) as response:
        return response.status


class Listener:
    """A real SignalR client connected through the app's negotiate, as one user."""

    def __init__(self, base_url: str, user: str) -> None:
        self.received: asyncio.Queue[list[Any]] = asyncio.Queue()
        self._opened = asyncio.Event()
        self._client = SignalRClient(f"{base_url}/api", headers={"x-ms-client-principal-id": user})
        self._client.on_open(self._on_open)
        self._client.on("said", self._on_said)
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Listener:
        self._task = asyncio.create_task(self._client.run())
        await asyncio.wait_for(self._opened.wait(), PATIENCE)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def next_message(self) -> list[Any]:
        return await asyncio.wait_for(self.received.get(), PATIENCE)

    async def _on_open(self) -> None:
        self._opened.set()

    async def _on_said(self, arguments: list[Any]) -> None:
        await self.received.put(arguments)


async def test_output_messages_reach_connected_clients(
    host: aiohttp.ClientSession, host_url: str
) -> None:
    async with Listener(host_url, "alice") as alice, Listener(host_url, "bob") as bob:
        assert await send(host, {"target": "said", "arguments": ["to all"]}) == 202
        assert await alice.next_message() == ["to all"]
        assert await bob.next_message() == ["to all"]
        assert await send(host, {"target": "said", "arguments": ["to bob"], "userId": "bob"}) == 202
        assert await send(host, {"target": "said", "arguments": ["to all again"]}) == 202
        assert await bob.next_message() == ["to bob"]
        assert await alice.next_message() == ["to all again"]


async def test_group_actions_are_carried_out(
    host: aiohttp.ClientSession, signalr_hub: HubClient
) -> None:
    service = signalr_hub
    join = {"action": "add", "groupName": "document:42", "userId": "carol"}
    assert await send(host, join) == 202
    assert await asyncio.to_thread(service.user_in_group, "document:42", "carol")
    assert await send(host, {**join, "action": "remove"}) == 202
    assert not await asyncio.to_thread(service.user_in_group, "document:42", "carol")


@pytest.mark.parametrize("kind", ["str", "bytes", "dict", "list"])
async def test_a_generic_output_may_be_set_to_str_bytes_dict_or_list(
    host: aiohttp.ClientSession, host_url: str, kind: str
) -> None:
    """azure-functions-python-worker, bindings/generic.py GenericBinding.encode and
    datumdef.py datum_as_proto: dict and list go as JSON, whatever the annotation."""
    message = {"target": "said", "arguments": [kind]}
    body = json.dumps([message] if kind == "list" else message)
    async with Listener(host_url, "alice") as alice:
        async with host.post(f"/api/send/as/{kind}", data=body) as response:
            assert response.status == 202
        assert await alice.next_message() == [kind]


@pytest.mark.parametrize(
    ("path", "body", "logged"),
    [
        ("/api/send", '{"arguments": []}', "target"),
        ("/api/send", "not json", "not JSON"),
        ("/api/send/as/int", "5", "is not a JSON object"),
        ("/api/send/as/set", "x", 'unsupported type "signalR" for Python type "set"'),
    ],
    ids=[
        "no target",
        "not JSON",
        "an int: the worker sends it, the extension cannot read it as a message",
        "a set: GenericBinding.encode refuses it",
    ],
)
async def test_a_bad_output_fails_the_invocation(
    host: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    path: str,
    body: str,
    logged: str,
) -> None:
    async with host.post(path, data=body) as response:
        assert response.status == 500
    assert "Error while handling parameter 'actions' after function returned" in caplog.text
    assert logged in caplog.text
