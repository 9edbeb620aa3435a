"""The dev host's Web PubSub bindings and webhook, end to end: the official JS client connects
through the emulator, whose events go upstream to the dev host's /runtime/webhooks/webpubsub
(azure-sdk-for-net Microsoft.Azure.WebJobs.Extensions.WebPubSub WebPubSubTriggerDispatcher,
RequestValidator; Azure docs reference-cloud-events.md)."""

from __future__ import annotations

import hashlib
import hmac
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
        # The function got the data as its JSON text (BinaryDataJsonConverter.WriteJson).
        assert isinstance(reply["data"]["echo"], str)
        assert json.loads(reply["data"]["echo"]) == {"doc": 1}
        assert reply["data"]["user"] == "alice"
        assert reply["data"]["dataType"] == "Json"
        actions = [
            {"actionName": "sendToGroup", "group": "doc1", "data": "hello", "dataType": "text"},
            # No dataType: text (SendToGroupAction.DataType = WebPubSubDataType.Text).
            {"actionName": "sendToGroup", "group": "doc1", "data": "untyped"},
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
        untyped = await alice.next_event("group-message")
        assert untyped["data"] == "untyped"
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
    headers = {**cloud_event("connect", "c1"), "ce-signature": "sha256=00"}
    async with http.post(webhook, data=b"{}", headers=headers) as forged:
        assert forged.status == 401
    async with http.post(webhook, data=b"{}", headers={**headers, "ce-eventName": "nope"}) as none:
        assert none.status == 404


def cloud_event(event: str, connection_id: str, *, user: bool = False) -> dict[str, str]:
    """Headers of a signed CloudEvents request from the emulator's host, as the service sends."""
    digest = hmac.new(DEFAULT_ACCESS_KEY.encode(), connection_id.encode(), hashlib.sha256)
    return {
        "ce-hub": "chat",
        "ce-type": f"azure.webpubsub.{'user' if user else 'sys'}.{event}",
        "ce-eventName": event,
        "ce-connectionId": connection_id,
        "ce-userId": "alice",
        "ce-signature": "sha256=" + digest.hexdigest(),
        "WebHook-Request-Origin": "localhost",
        "Content-Type": "application/json",
    }


async def test_what_connected_disconnected_and_a_user_event_function_receive(
    stack: tuple[WebPubSubEmulator, aiohttp.ClientSession, str],
) -> None:
    """The request as WebPubSubTriggerBinding.ConvertTypeIfPossible serializes it (Newtonsoft,
    [DataContract] request classes of Microsoft.Azure.WebPubSub.Common): connectionContext
    with camelCase names and enums by name; ``reason`` for disconnected only; a user event's
    ``data`` a string and ``dataType`` the enum's name."""
    _, http, webhook = stack
    async with http.post(webhook, headers=cloud_event("connected", "c1")) as connected:
        assert connected.status == 200
    body = json.dumps({"reason": "gone"})
    async with http.post(webhook, data=body, headers=cloud_event("disconnected", "c1")) as gone:
        assert gone.status == 200
    async with http.get("/api/seen") as response:
        first, second = [json.loads(text) for text in await response.json()]
    assert set(first) == {"connectionContext"}
    context = first["connectionContext"]
    assert set(context) == {
        *("eventType", "eventName", "hub", "connectionId", "userId"),
        *("signature", "origin", "states", "headers"),
    }
    assert (context["eventType"], context["eventName"]) == ("System", "connected")
    assert (context["connectionId"], context["userId"], context["origin"]) == (
        "c1",
        "alice",
        "localhost",
    )
    assert set(second) == {"connectionContext", "reason"}
    assert second["reason"] == "gone"
    assert second["connectionContext"]["eventName"] == "disconnected"
    data = json.dumps({"documentId": "d1"})
    typing = cloud_event("typing", "c1", user=True)
    async with http.post(webhook, data=data, headers=typing) as answered:
        assert answered.status == 200
        echoed = await answered.json()
    assert echoed["fields"] == ["connectionContext", "data", "dataType"]
    assert echoed["echo"] == data
    assert echoed["dataType"] == "Json"


async def test_an_event_from_an_origin_that_is_no_configured_service_is_401(
    stack: tuple[WebPubSubEmulator, aiohttp.ClientSession, str],
) -> None:
    """RequestValidator.IsValidSignature: the origin must be a host of a configured endpoint,
    even when the signature is right; TryParseCloudEvents reads WebHook-Request-Origin, so an
    event without it is 400."""
    _, http, webhook = stack
    headers = cloud_event("typing", "c1", user=True)
    async with http.post(
        webhook, data="{}", headers={**headers, "WebHook-Request-Origin": "evil.example"}
    ) as elsewhere:
        assert elsewhere.status == 401
    del headers["WebHook-Request-Origin"]
    async with http.post(webhook, data="{}", headers=headers) as unnamed:
        assert unnamed.status == 400


async def test_abuse_protection_is_options_only(
    stack: tuple[WebPubSubEmulator, aiohttp.ClientSession, str],
) -> None:
    """RequestValidator.IsValidationRequest takes OPTIONS only: a GET is an event request,
    and one without the CloudEvents headers is 400."""
    _, http, webhook = stack
    async with http.get(webhook, headers={"WebHook-Request-Origin": "localhost"}) as got:
        assert got.status == 400
        assert "WebHook-Allowed-Origin" not in got.headers
    async with http.get(webhook, headers=cloud_event("typing", "c1", user=True)) as event:
        assert event.status == 400
