"""The dev host's Web PubSub bindings and webhook, end to end: the official JS client connects
through the emulator, whose events go upstream to the dev host's /runtime/webhooks/webpubsub
(azure-sdk-for-net Microsoft.Azure.WebJobs.Extensions.WebPubSub WebPubSubTriggerDispatcher,
RequestValidator; Azure docs reference-cloud-events.md)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from devstack.emulator_core.running import connection_string, endpoint_url
from devstack.emulator_core.upstream_rules import parse_upstream_rule
from devstack.webpubsub import DEFAULT_ACCESS_KEY, WebPubSubEmulator, serve
from tests.devstack.host_apps.serving import serving
from tests.fixtures.webpubsub_client import NodeWebPubSubClient


@pytest.fixture
async def stack() -> AsyncIterator[tuple[WebPubSubEmulator, aiohttp.ClientSession, str]]:
    emulator = WebPubSubEmulator()
    async with serve(emulator) as port:
        settings = {
            "WebPubSubConnectionString": connection_string(
                endpoint_url("127.0.0.1", port), DEFAULT_ACCESS_KEY
            )
        }
        async with serving("webpubsub_app", settings=settings) as host_url:
            webhook = f"{host_url}/runtime/webhooks/webpubsub"
            emulator.upstream.rules = (parse_upstream_rule(webhook),)
            async with aiohttp.ClientSession(host_url) as http:
                yield emulator, http, webhook


async def negotiate(http: aiohttp.ClientSession, user: str) -> dict[str, str]:
    async with http.post("/api/negotiate", params={"userId": user}) as response:
        assert response.status == 200
        info: dict[str, str] = json.loads(await response.text())
        return info


async def test_connect_answer_sets_roles_and_groups_and_user_events_are_answered(
    stack: tuple[WebPubSubEmulator, aiohttp.ClientSession, str],
) -> None:
    emulator, http, _ = stack
    info = await negotiate(http, "alice")
    assert set(info) == {"baseUrl", "url", "accessToken"}
    assert info["baseUrl"].startswith("ws://")
    assert info["baseUrl"].endswith("/client/hubs/chat")
    async with NodeWebPubSubClient.connect(info["url"]) as alice:
        assert alice.user_id == "alice"
        # The connect answer's roles allow joining; its groups are joined already.
        assert (await alice.command("joinGroup", group="doc1"))["error"] is None
        members = emulator.hub("chat").in_group("lobby")
        assert [member.connection_id for member in members] == [alice.connection_id]
        assert (await alice.command("sendEvent", event="typing", data={"doc": 1}))["error"] is None
        reply = await alice.next_event("server-message")
        assert reply["data"] == {"echo": {"doc": 1}, "user": "alice"}
        actions = [
            {"actionName": "sendToGroup", "group": "doc1", "data": "hello", "dataType": "text"},
            {
                "actionName": "removeConnectionFromGroup",
                "group": "doc1",
                "connectionId": alice.connection_id,
            },
        ]
        async with http.post("/api/actions", data=json.dumps(actions)) as response:
            assert response.status == 204
        heard = await alice.next_event("group-message")
        assert heard["data"] == "hello"
        assert emulator.hub("chat").in_group("doc1") == []


async def test_a_connect_answer_of_unauthorized_refuses_the_client(
    stack: tuple[WebPubSubEmulator, aiohttp.ClientSession, str],
) -> None:
    _, http, _ = stack
    info = await negotiate(http, "mallory")
    with pytest.raises(AssertionError, match="401"):
        async with NodeWebPubSubClient.connect(info["url"]):
            pass


async def test_the_webhook_checks_origin_and_signature(
    stack: tuple[WebPubSubEmulator, aiohttp.ClientSession, str],
) -> None:
    """RequestValidator: the origin must be the Endpoint's host; the signature the key's."""
    _, http, webhook = stack
    async with http.options(webhook, headers={"WebHook-Request-Origin": "localhost"}) as ok:
        assert ok.status == 200
        assert ok.headers["WebHook-Allowed-Origin"] == "*"
    async with http.options(webhook, headers={"WebHook-Request-Origin": "evil.example"}) as bad:
        assert bad.status == 400
    headers = {
        "ce-hub": "chat",
        "ce-type": "azure.webpubsub.sys.connect",
        "ce-eventName": "connect",
        "ce-connectionId": "c1",
        "ce-signature": "sha256=00",
        "Content-Type": "application/json",
    }
    async with http.post(webhook, data=b"{}", headers=headers) as forged:
        assert forged.status == 401
    async with http.post(webhook, data=b"{}", headers={**headers, "ce-eventName": "nope"}) as none:
        assert none.status == 404
