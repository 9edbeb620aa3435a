"""How the emulator sends upstream and what it makes of the answers, against a bare upstream
that answers each hub method its own way (the dev host only ever answers as the extension
does). Sources: azure-signalr src/Microsoft.Azure.SignalR.Emulator, Upstreams/ and
HubEmulator/HttpServerlessMessageHandler.cs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import msgpack
import pytest
from aiohttp import web

from devstack.emulator_core.upstream_rules import (
    UpstreamRule,
    first_upstream_url,
    parse_upstream_rule,
)
from devstack.signalr import EmulatorSettings, start_emulator
from shared.connection_string import parse_connection_string
from tests.fixtures.hub_client import NodeHubClient
from tests.fixtures.signalr_emulator import serve_negotiate

#: Per hub method: the status and body the bare upstream answers with.
ANSWERS = {
    "no-content": (204, b""),
    "empty": (200, b""),
    "unavailable": (503, b"down"),
}


@dataclass
class BareUpstream:
    """Records each request; answers by ``ANSWERS``, and never answers ``stall``."""

    url: str = ""
    requests: list[web.Request] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    #: Set when the test ends, so a stalled answer lets the server stop.
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def request(self, event: str) -> tuple[web.Request, bytes]:
        """The first request for ``event`` and its body."""
        index = next(i for i, r in enumerate(self.requests) if r.headers["X-ASRS-Event"] == event)
        return self.requests[index], self.bodies[index]

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        self.bodies.append(await request.read())
        event = request.headers["X-ASRS-Event"]
        if event == "stall":
            await self.done.wait()
        status, body = ANSWERS.get(event, (200, b""))
        return web.Response(status=status, body=body)


@asynccontextmanager
async def bare_upstream() -> AsyncIterator[BareUpstream]:
    upstream = BareUpstream()
    runner = web.AppRunner(web.Application(), access_log=None)
    runner.app.router.add_post("/{path:.*}", upstream.handle)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    upstream.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield upstream
    finally:
        upstream.done.set()
        await runner.cleanup()


@pytest.mark.parametrize(
    ("protocol", "content_type"),
    [("json", "application/json"), ("messagepack", "application/x-msgpack")],
)
async def test_invocations_go_to_the_template_url_and_their_answers_become_completions(
    signalr_hub_name: str, protocol: str, content_type: str
) -> None:
    """GetUpstreamUrl (escaped placeholders), TriggerAsync (POST, headers), WriteMessageAsync:
    204 or an empty 200 is an empty completion, another status an error completion, and a
    request that times out counts as a 500 (SafeAuthAndSendAsync)."""
    async with bare_upstream() as upstream:
        rule = parse_upstream_rule(f"{upstream.url}/{{hub}}/api/{{category}}/{{event}}")
        settings = EmulatorSettings(upstream_timeout=0.5)
        with start_emulator(upstream=[rule], settings=settings) as emulator:
            service = parse_connection_string(emulator.connection_string)
            async with (
                serve_negotiate(service) as negotiate,
                NodeHubClient.connect(
                    negotiate.url(signalr_hub_name, "alice"), protocol=protocol
                ) as alice,
            ):
                assert await alice.invocation("no-content") == (None, None)
                assert await alice.invocation("empty", "doc 1") == (None, None)
                assert await alice.invocation("unavailable") == (
                    None,
                    "Invocation failed, status code 503",
                )
                assert await alice.invocation("stall") == (
                    None,
                    "Invocation failed, status code 500",
                )
                await alice.send("with space/slash", 1)
                await alice.invocation("empty")  # serial: the send is upstream by now

    hub = signalr_hub_name
    connected, body = upstream.request("connected")
    assert connected.path == f"/{hub}/api/connections/connected"
    assert connected.headers["Content-Type"] == "application/json"
    assert body == b'{"type":10}'
    assert connected.headers["X-ASRS-User-Id"] == "alice"
    invocation, _ = upstream.request("empty")
    assert invocation.method == "POST"
    assert invocation.headers["Content-Type"] == content_type
    assert invocation.headers["X-ASRS-Hub"] == hub
    assert invocation.headers["X-ASRS-Category"] == "messages"
    assert invocation.headers["X-ASRS-Signature"].startswith("sha256=")
    sent, body = upstream.request("with space/slash")
    assert sent.raw_path == f"/{hub}/api/messages/with%20space%2Fslash"
    if protocol == "json":
        assert not body.endswith(b"\x1e"), "the record separator is stripped"
        assert b'"target":"with space/slash"' in body
    else:
        message = msgpack.unpackb(body)
        assert message[0] == 1
        assert message[3:5] == ["with space/slash", [1]]


def test_the_first_matching_rule_wins_and_patterns_match_exactly() -> None:
    """HttpUpstreamTrigger.TryGetMatchedUpstreamContext ("order matters"),
    UpstreamTemplateItem.IsMatch (*, a list, or one name; HashSet<string>, case-sensitive)."""
    rules = [
        parse_upstream_rule("http://a.test/{event} category=messages event=typing,echo"),
        parse_upstream_rule("http://b.test/{category} hub=chat"),
    ]
    assert first_upstream_url(rules, "chat", "messages", "echo") == "http://a.test/echo"
    assert first_upstream_url(rules, "chat", "messages", "Typing") == "http://b.test/messages"
    assert first_upstream_url(rules, "chat", "connections", "connected") == (
        "http://b.test/connections"
    )
    assert first_upstream_url(rules, "other", "messages", "send") is None
    assert rules[0] == UpstreamRule(
        "http://a.test/{event}",
        categories=frozenset({"messages"}),
        events=frozenset({"typing", "echo"}),
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="no template"),
        pytest.param("/runtime/webhooks/signalr", id="Utils.GetUpstreamUrl: not absolute"),
        pytest.param("http://a.test/{connection}", id="an unknown placeholder"),
        pytest.param("http://a.test/ group=x", id="an unknown pattern"),
    ],
)
def test_a_rule_that_cannot_give_an_upstream_url_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="upstream"):
        parse_upstream_rule(text)
