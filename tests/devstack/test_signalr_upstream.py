"""Upstream end to end: the official JS client (JSON and MessagePack) on the emulator, whose
upstream is the dev host's /runtime/webhooks/signalr serving signalRTrigger functions
(host_apps/upstream_app.py). Each test names the source of the behaviour it holds:
azure-signalr src/Microsoft.Azure.SignalR.Emulator (the sending side) and the extension in
azure-sdk-for-net sdk/signalr/Microsoft.Azure.WebJobs.Extensions.SignalRService (the
receiving side).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from devstack.emulator_core.running import connection_string
from devstack.emulator_core.upstream_rules import parse_upstream_rule
from devstack.signalr import DEFAULT_ACCESS_KEY, start_emulator
from devstack.signalr.upstream import connection_signature
from shared.connection_string import parse_connection_string
from tests.devstack.host_apps.serving import serving
from tests.fixtures.hub_client import NodeHubClient
from tests.fixtures.signalr_emulator import NegotiateEndpoint, serve_negotiate

WEBHOOK = "/runtime/webhooks/signalr"
PROTOCOLS = ["json", "messagepack"]
#: InvocationContext's properties in declaration order (TriggerBindings/Context/
#: InvocationContext.cs), as Newtonsoft writes them for an out-of-process worker.
CONTEXT_KEYS = [
    "Arguments",
    "Error",
    "Category",
    "Event",
    "Hub",
    "ConnectionId",
    "UserId",
    "Headers",
    "Query",
    "Claims",
]
#: Long enough for any healthy loopback exchange; only a broken one waits this long.
PATIENCE = 10.0


@dataclass
class Stack:
    """The emulator sending upstream to a dev host serving upstream_app."""

    hub: str
    negotiate: NegotiateEndpoint
    http: aiohttp.ClientSession

    def client(self, protocol: str, user: str = "alice") -> Any:
        return NodeHubClient.connect(self.negotiate.url(self.hub, user), protocol=protocol)

    async def received(self, **wanted: Any) -> dict[str, Any]:
        """The first context a function received with the ``wanted`` values, once there is
        one (polled: the functions record what they get, the app lists it)."""
        deadline = time.monotonic() + PATIENCE
        while True:
            for context in await self.everything_received():
                if all(context.get(name) == value for name, value in wanted.items()):
                    return context
            assert time.monotonic() < deadline, f"no function received {wanted}"
            await asyncio.sleep(0.02)

    async def everything_received(self) -> list[dict[str, Any]]:
        async with self.http.get("/api/received") as response:
            contexts: list[dict[str, Any]] = await response.json()
            return contexts


@asynccontextmanager
async def upstream_stack(hub: str, function_key: str | None = None) -> AsyncIterator[Stack]:
    """The dev host first (its signature check needs only the AccessKey), then the emulator
    with the host's webhook as its one upstream rule."""
    settings = {
        "AzureSignalRConnectionString": connection_string("http://localhost", DEFAULT_ACCESS_KEY),
        "UPSTREAM_HUB": hub,
    }
    async with serving("upstream_app", settings=settings, function_key=function_key) as url:
        code = f"?code={function_key}" if function_key else ""
        rule = parse_upstream_rule(f"{url}{WEBHOOK}{code}")
        with start_emulator(upstream=[rule]) as emulator:
            service = parse_connection_string(emulator.connection_string)
            async with serve_negotiate(service) as negotiate, aiohttp.ClientSession(url) as http:
                yield Stack(hub, negotiate, http)


@pytest.fixture
async def stack(signalr_hub_name: str) -> AsyncIterator[Stack]:
    async with upstream_stack(signalr_hub_name) as running:
        yield running


def by_lower_name(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_connected_and_disconnected_reach_their_functions_with_the_extension_context(
    stack: Stack, protocol: str
) -> None:
    """Emulator HttpServerlessMessageHandler.cs AddClientConnectionAsync/
    RemoveClientConnectionAsync, HttpUpstreamTrigger.cs TriggerAsync (headers);
    extension SignalRRequestResolver.TryGetInvocationContext, SignalRTriggerUtils."""
    async with stack.client(protocol) as alice:
        connected = await stack.received(Event="connected", ConnectionId=alice.connection_id)
        assert list(connected) == CONTEXT_KEYS
        assert connected["Category"] == "connections"
        assert connected["Hub"] == stack.hub
        assert connected["UserId"] == "alice"
        assert connected["Arguments"] is None
        assert connected["Error"] is None
        assert connected["Claims"]["asrs.s.uid"] == "alice"
        assert connected["Query"]["hub"] == stack.hub
        headers = by_lower_name(connected["Headers"])
        assert headers["x-asrs-signature"] == connection_signature(
            alice.connection_id, [DEFAULT_ACCESS_KEY]
        )
        assert "content-type" not in headers, "content headers stay out of Headers"
        await alice.stop()
    disconnected = await stack.received(Event="disconnected", ConnectionId=alice.connection_id)
    assert disconnected["Category"] == "connections"
    assert disconnected["UserId"] == "alice"
    assert disconnected["Error"] is None, "a clean close carries no error"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_a_sent_hub_method_reaches_its_function_with_the_arguments(
    stack: Stack, protocol: str
) -> None:
    """Emulator HubProxyHandler.TryGetPayload (the client's invocation, unframed) and
    HttpServerlessMessageHandler.WriteMessageAsync; extension SignalRInvocationMethodExecutor
    (context.Arguments = message.Arguments)."""
    async with stack.client(protocol) as alice:
        await alice.send("typing", "doc-42")
        typing = await stack.received(Event="typing", ConnectionId=alice.connection_id)
    assert typing["Category"] == "messages"
    assert typing["Arguments"] == ["doc-42"]
    assert typing["UserId"] == "alice"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_an_invoked_hub_method_completes_with_the_function_result_or_its_failure(
    stack: Stack, protocol: str
) -> None:
    """Extension SignalRInvocationMethodExecutor: CompletionMessage.WithResult of the return
    value, WithError of the failure's message (the host's RpcException text); emulator
    WriteMessageAsync writes the 200 body to the client as it is."""
    async with stack.client(protocol) as alice:
        result, error = await alice.invocation("echo", "doc-42", {"n": 1})
        assert (result, error) == ({"echoed": ["doc-42", {"n": 1}]}, None)

        result, error = await alice.invocation("fail")
        assert result is None
        assert error is not None
        assert error.startswith("Result: Failure\nException: ValueError: no such document\n")


async def test_arguments_not_matching_parameter_names_fail_the_invocation(stack: Stack) -> None:
    """Extension SignalRTriggerBinding.BindAsync: SignalRTriggerParametersNotMatchException."""
    async with stack.client("json") as alice:
        _, error = await alice.invocation("typing", "doc-1", "doc-2")
    assert error == "The function accept 1 arguments but message provided 2."


def upstream_request(
    hub: str, event: str, signature: str, content_type: str = "application/json"
) -> dict[str, Any]:
    """What the emulator would send for a ``send`` of ``event`` by connection ``forged``."""
    return {
        "data": json.dumps({"type": 1, "target": event, "arguments": ["doc-1"]}),
        "headers": {
            "X-ASRS-Connection-Id": "forged",
            "X-ASRS-Hub": hub,
            "X-ASRS-Category": "messages",
            "X-ASRS-Event": event,
            "X-ASRS-Signature": signature,
            "Content-Type": content_type,
        },
    }


async def test_a_forged_call_with_a_bad_signature_is_401_and_never_invokes(stack: Stack) -> None:
    """Extension SignalRMethodExecutor.ExecuteWithAuthAsync → SignalRTriggerDispatcher: 401."""
    forged = upstream_request(stack.hub, "typing", "sha256=" + "0" * 64)
    async with stack.http.post(WEBHOOK, **forged) as response:
        assert response.status == 401
    signed = upstream_request(
        stack.hub, "typing", connection_signature("forged", ["another-key", DEFAULT_ACCESS_KEY])
    )
    async with stack.http.post(WEBHOOK, **signed) as response:
        assert response.status == 200, "any of several comma-joined signatures may match"
    await stack.received(ConnectionId="forged")
    assert len([c for c in await stack.everything_received() if c["ConnectionId"] == "forged"]) == 1


@pytest.mark.parametrize(
    ("change", "status"),
    [
        pytest.param({"Content-Type": "text/plain"}, 415, id="ValidateContentType: 415"),
        pytest.param({"X-ASRS-Hub": ""}, 400, id="TryGetDispatchingKey: empty header, 400"),
        pytest.param({"X-ASRS-Event": "nosuch"}, 404, id="no function for the event: 404"),
        pytest.param({"X-ASRS-Connection-Id": ""}, 401, id="no connection id: never signed, 401"),
        pytest.param({"X-ASRS-Event": "echo"}, 500, id="AssertConsistency: event != target, 500"),
    ],
)
async def test_the_webhook_refuses_as_the_extension_dispatcher_does(
    stack: Stack, change: dict[str, str], status: int
) -> None:
    """Extension SignalRTriggerDispatcher.ExecuteAsync, in its order."""
    request = upstream_request(
        stack.hub, "typing", connection_signature("forged", [DEFAULT_ACCESS_KEY])
    )
    request["headers"].update(change)
    async with stack.http.post(WEBHOOK, **request) as response:
        assert response.status == status
    assert not [c for c in await stack.everything_received() if c["ConnectionId"] == "forged"]


async def test_a_signed_request_without_connection_id_is_500_as_in_the_extension(
    stack: Stack,
) -> None:
    """SignalRInvocationMethodExecutor: TryGetInvocationContext fails, SignalRTriggerException,
    500 (the dispatcher's catch-all), once the (empty) connection id's signature matched."""
    request = upstream_request(stack.hub, "typing", connection_signature("", [DEFAULT_ACCESS_KEY]))
    request["headers"]["X-ASRS-Connection-Id"] = ""
    async with stack.http.post(WEBHOOK, **request) as response:
        assert response.status == 500


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("event", ["typing", "disconnected"])
@pytest.mark.parametrize(
    "body",
    [DEEP, json.dumps({"type": 1, "target": "typing", "arguments": "x"}), "not json"],
    ids=["nested 100,000 deep", "arguments not an array", "not JSON"],
)
async def test_an_unsigned_forged_body_is_401_before_it_is_read(
    stack: Stack, event: str, body: str
) -> None:
    """Issue 26: the signature (over the connection id header alone: SignalRRequestResolver
    ValidateSignature) is checked before the body is parsed, so nobody without the AccessKey
    reaches the parser; the extension's answer to an unsigned request is 401
    (SignalRMethodExecutor.ExecuteWithAuthAsync, SignalRTriggerDispatcher)."""
    request = upstream_request(stack.hub, event, "sha256=" + "0" * 64)
    request["data"] = body
    if event == "disconnected":
        request["headers"]["X-ASRS-Category"] = "connections"
    async with stack.http.post(WEBHOOK, **request) as response:
        assert response.status == 401


async def test_a_signed_body_nested_too_deep_is_the_extensions_parse_failure(
    stack: Stack,
) -> None:
    """Newtonsoft reads 64 levels at most: JsonServerlessProtocol fails, "Parsing message
    failed", 500 from the dispatcher's catch-all; never a RecursionError escaping the host."""
    request = upstream_request(
        stack.hub, "typing", connection_signature("forged", [DEFAULT_ACCESS_KEY])
    )
    request["data"] = DEEP
    async with stack.http.post(WEBHOOK, **request) as response:
        assert response.status == 500
        assert "Parsing message failed" in await response.text()
    assert not [c for c in await stack.everything_received() if c["ConnectionId"] == "forged"]


async def test_with_a_function_key_the_webhook_needs_it_and_upstream_sends_it(
    signalr_hub_name: str,
) -> None:
    """Host DefaultScriptWebHookProvider: the webhook needs the signalr_extension system key,
    which the local function key stands in for; the URL template carries it as ?code=."""
    async with upstream_stack(signalr_hub_name, function_key="local-key") as stack:
        request = upstream_request(
            stack.hub, "typing", connection_signature("forged", [DEFAULT_ACCESS_KEY])
        )
        async with stack.http.post(WEBHOOK, **request) as response:
            assert response.status == 401
        async with stack.client("json") as alice:
            await stack.received(Event="connected", ConnectionId=alice.connection_id)
