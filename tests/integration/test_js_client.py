"""docchat's JS client (clients/js, ``@docchat/client``) against the app served by the dev
host, the SignalR emulator, the local Cosmos DB server and Azurite's work queues, driven from
Node (tests/fixtures/docchat_client.mjs): the scenario an app that embeds chat lives through.

Alice and Bob each run a DocchatClient with one document open, on either backend (the
official SignalR or Web PubSub client, as negotiate names it). Alice mentions Bob: Bob's
session shows the message and his client the mention's notification. The real-time service
goes down: both clients say so, and a message Alice sends meanwhile is stored but not
broadcast (503 ``message_not_delivered``, ``stored: true``), which her store shows as such.
The service comes back on its port: both clients reconnect, join again and catch up, gapless
and in ``seq`` order, Alice's message confirmed with its ``seq``. Bob replies in the thread
of Alice's first message: her client hears the thread change and the reply's notification,
and her session loads the thread with his reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from devstack.emulator_core.upstream_rules import parse_upstream_rule
from devstack.signalr import start_emulator as start_signalr
from devstack.webpubsub import start_emulator as start_webpubsub
from tests.fixtures.functions_host import FUNCTION_KEY, HostedApp
from tests.fixtures.node_process import NodeProcess
from tests.integration.conftest import WEBPUBSUB_EVENTS, LoadApp

SCRIPT = Path(__file__).resolve().parents[1] / "fixtures" / "docchat_client.mjs"
DOCUMENT = "js-client-scenario"
ALICE = {"id": "alice", "name": "Alice"}
BOB = {"id": "bob", "name": "Bob"}
#: Events a scenario step may wait through before the one it waits for (every change to a
#: session reports a snapshot: a few dozen a step).
MOST_EVENTS = 500

Event = dict[str, Any]


class JsClient:
    """One user's DocchatClient in its Node process, and every event it has reported."""

    def __init__(self, node: NodeProcess) -> None:
        self._node = node
        self.events: list[Event] = []
        #: The indices of the events a wait has already answered.
        self._taken: set[int] = set()

    @classmethod
    @asynccontextmanager
    async def open(cls, host: HostedApp, user: dict[str, str]) -> AsyncIterator[JsClient]:
        """A client for ``user`` with the scenario's document open, live."""
        config = {"baseUrl": f"{host.base_url}/api", "user": user, "documentId": DOCUMENT}
        async with NodeProcess.run(SCRIPT, "DOCCHAT_CLIENT", config) as node:
            client = cls(node)
            await client.wait_for("connected")
            await client.wait_for("sync", lambda event: event["state"] == "live")
            yield client

    async def wait_for(self, kind: str, matches: Callable[[Event], bool] = lambda _: True) -> Event:
        """The first event of ``kind`` that ``matches`` and no earlier wait answered, heard
        already or next; each read waits a bounded time."""
        for index, event in enumerate(self.events):
            if index not in self._taken and event["event"] == kind and matches(event):
                self._taken.add(index)
                return event
        for _ in range(MOST_EVENTS):
            event = await self._node.read()
            self.events.append(event)
            if event["event"] == kind and matches(event):
                self._taken.add(len(self.events) - 1)
                return event
        raise AssertionError(f"no {kind} event among {MOST_EVENTS}: {self.events[-10:]}")

    async def command(self, command: str, **args: Any) -> None:
        await self._node.write({"command": command, **args})
        await self.wait_for("done", lambda event: event["command"] == command)

    async def settled(self, check: Callable[[Event], bool], root_id: str | None = None) -> Event:
        """The session's first snapshot from now on of which ``check`` holds: asked for now,
        then one after every change."""
        self._taken.update(range(len(self.events)))
        await self._node.write({"command": "snapshot", "rootId": root_id})
        return await self.wait_for("snapshot", check)


def texts(shown: Event) -> list[tuple[int | None, str | None, str]]:
    return [(item["seq"], item["text"], item["status"]) for item in shown["timeline"]]


def restart_service(host: HostedApp, backend: str, port: int) -> Any:
    """The app's real-time emulator started again on ``port``, its events going to the app
    as the first one's did (tests/integration/conftest.py)."""
    rule = f"{host.base_url}/runtime/webhooks/{backend}?code={FUNCTION_KEY}"
    if backend == "webpubsub":
        return start_webpubsub(
            port=port, upstream=[parse_upstream_rule(f"{rule} event={WEBPUBSUB_EVENTS}")]
        )
    return start_signalr(port=port, upstream=[parse_upstream_rule(rule)])


@pytest.mark.parametrize("backend", ["signalr", "webpubsub"])
async def test_the_js_client_sends_mentions_catches_up_after_an_outage_and_threads(
    load_app: LoadApp, backend: str
) -> None:
    host = await load_app(queues=True, DOCCHAT_REALTIME=backend)
    async with JsClient.open(host, ALICE) as alice, JsClient.open(host, BOB) as bob:
        await alice.command("send", text="Shall we ship on Friday, @Bob?", mentions=["bob"])
        first = await bob.wait_for("message", lambda event: event["detail"]["seq"] == 1)
        mention = await bob.wait_for("notification")
        assert mention["detail"]["kind"] == "mention"
        assert mention["detail"]["messageId"] == first["detail"]["id"]
        assert mention["detail"]["actor"] == ALICE

        port = host.emulator.port
        await asyncio.to_thread(host.emulator.stop)
        for client in (alice, bob):
            await client.wait_for("sync", lambda event: event["state"] == "offline")
        await alice.command("send", text="Sent while the service was down")
        await alice.settled(lambda shown: texts(shown)[-1][2] == "stored")

        restarted = restart_service(host, backend, port)
        try:
            expected = [
                (1, "Shall we ship on Friday, @Bob?", "sent"),
                (2, "Sent while the service was down", "sent"),
            ]
            for client in (alice, bob):
                await client.wait_for("connected")
                await client.wait_for("sync", lambda event: event["state"] == "live")
                shown = await client.settled(lambda shown: texts(shown) == expected)
                assert shown["contiguousSeq"] == 2
                assert not shown["incomplete"]

            root_id = first["detail"]["id"]
            await bob.command("reply", rootId=root_id, text="Friday works for me")
            thread = await alice.wait_for(
                "thread", lambda event: event["detail"]["message"]["threadId"] == root_id
            )
            assert thread["detail"]["rootId"] == root_id
            reply = await alice.wait_for("notification")
            assert reply["detail"]["kind"] == "reply"
            assert reply["detail"]["threadId"] == root_id
            await alice.command("openThread", rootId=root_id)
            shown = await alice.settled(lambda shown: shown["threadState"] == "loaded", root_id)
            assert [(item["seq"], item["text"]) for item in shown["replies"]] == [
                (3, "Friday works for me")
            ]
            # Replies are no part of the timeline, and nothing is missing below them.
            assert len(shown["timeline"]) == 2
            assert shown["contiguousSeq"] == 3
            for client in (alice, bob):
                await client.command("stop")
        finally:
            await asyncio.to_thread(restarted.stop)
