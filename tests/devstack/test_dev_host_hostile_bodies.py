"""What a client controls never makes the dev host fail: request bodies reach the function as
the Python worker hands them over (raw bytes, azure-functions-python-worker
azure_functions_worker/bindings/http.py), so the app answers them itself; webhook bodies are
read only after the signature and within the parsers' depth limits (issues 18 and 26)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from devstack.emulator_core.running import connection_string
from devstack.webpubsub import DEFAULT_ACCESS_KEY
from tests.devstack.host_apps.serving import serving

WEBHOOK = "/runtime/webhooks/webpubsub"
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "body",
    [DEEP, '{"a":' * 70 + "1" + "}" * 70, "[" * 65 + "]" * 65],
    ids=["100,000 deep", "objects 70 deep", "arrays 65 deep"],
)
async def test_a_deeply_nested_json_body_reaches_the_function_whole(body: str) -> None:
    """Issue 18: a body nested 1,000 deep made the binding data's json.loads recurse, and the
    host answered 500 where the app answers its own 400. The host's binding data gives up on
    such a body (Newtonsoft reads 64 levels; the HTTP extension's GetRequestBindingData keeps
    no data and raises nothing), and the function gets it unchanged."""
    async with serving("routes_app") as base_url, aiohttp.ClientSession(base_url) as http:
        headers = {"Content-Type": "application/json"}
        async with http.put("/api/items/x", data=body, headers=headers) as response:
            assert response.status == 200
            assert (await response.json())["body"] == body


async def test_a_host_header_that_makes_no_url_is_400_not_500() -> None:
    """Found while checking what the dev host parses: ``Host: x:99999`` failed building the
    function's ``req.url`` (500). Kestrel refuses a Host it cannot parse with 400 before any
    app code runs (aspnetcore Http1Connection, RequestRejectionReason.InvalidHostHeader)."""
    async with serving("routes_app") as base_url:
        host, port = base_url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"PUT /api/items/x HTTP/1.1\r\nHost: x:99999\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        writer.close()
        assert status_line.startswith(b"HTTP/1.1 400 ")


@pytest.fixture
async def webpubsub_host() -> AsyncIterator[aiohttp.ClientSession]:
    settings = {
        "WebPubSubConnectionString": connection_string("http://localhost:1", DEFAULT_ACCESS_KEY)
    }
    async with (
        serving("webpubsub_app", settings=settings) as base_url,
        aiohttp.ClientSession(base_url) as http,
    ):
        yield http


def cloud_event(event: str, signature: str | None, content_type: str) -> dict[str, str]:
    system = event == "connect"
    headers = {
        "ce-hub": "chat",
        "ce-type": f"azure.webpubsub.{'sys' if system else 'user'}.{event}",
        "ce-eventName": event,
        "ce-connectionId": "c1",
        "ce-userId": "alice",
        "WebHook-Request-Origin": "localhost",
        "Content-Type": content_type,
    }
    if signature is not None:
        headers["ce-signature"] = signature
    return headers


def signed(connection_id: str = "c1") -> str:
    digest = hmac.new(DEFAULT_ACCESS_KEY.encode(), connection_id.encode(), hashlib.sha256)
    return "sha256=" + digest.hexdigest()


@pytest.mark.parametrize("event", ["connect", "typing"])
@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64], ids=["unsigned", "forged"])
async def test_an_unsigned_web_pubsub_event_is_401_whatever_its_body(
    webpubsub_host: aiohttp.ClientSession, event: str, signature: str | None
) -> None:
    """WebPubSubTriggerDispatcher.ExecuteAsync checks IsValidSignature before it reads the
    body: 401."""
    headers = cloud_event(event, signature, "application/json")
    async with webpubsub_host.post(WEBHOOK, data=DEEP, headers=headers) as response:
        assert response.status == 401


@pytest.mark.parametrize("data", [DEEP, "{not json"], ids=["100,000 deep", "not JSON"])
async def test_user_event_data_the_host_cannot_parse_reaches_the_function_as_text(
    webpubsub_host: aiohttp.ClientSession, data: str
) -> None:
    """The extension never parses a user event's data (UserEventRequest.Data is BinaryData,
    handed on as its text): data that is not JSON must not fail the event, as it did (500)."""
    headers = cloud_event("typing", signed(), "application/json")
    async with webpubsub_host.post(WEBHOOK, data=data, headers=headers) as response:
        assert response.status == 200
        assert json.loads(await response.text())["echo"] == data


async def test_a_signed_connect_body_too_deep_is_refused_with_the_extensions_status(
    webpubsub_host: aiohttp.ClientSession,
) -> None:
    """System.Text.Json reads 64 levels; the extension's JsonSerializer.Deserialize throws out
    of ExecuteAsync, 500. The dev host answers the same status with its reason."""
    headers = cloud_event("connect", signed(), "application/json")
    async with webpubsub_host.post(WEBHOOK, data=DEEP, headers=headers) as response:
        assert response.status == 500
        assert "nested deeper than 64" in await response.text()
