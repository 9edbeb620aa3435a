"""docchat's JS client (clients/js, ``@docchat/client``) against the local stack that
``python -m devstack`` runs (the Cosmos DB server, the real-time emulator, Azurite's work
queues and the dev host, as child processes), driven from Node
(tests/fixtures/docchat_client.mjs): the scenario an app that embeds chat lives through.

Alice and Bob each run a DocchatClient with one document open, on either backend (the
official SignalR or Web PubSub client, as negotiate names it, imported by its npm name).
Alice mentions Bob: Bob's session shows the message and his client the mention's
notification. Cosmos DB stalls while Alice sends: her client hears a 503 and tries again
with the same id once Cosmos DB goes on, so the message is stored once. The real-time
service goes down: both clients say so, and a message Alice sends meanwhile is stored but not
broadcast (503 ``message_not_delivered``, ``stored: true``), which her store shows as such.
The service comes back: both clients reconnect, join again and catch up, gapless and in
``seq`` order, each message once and confirmed. Bob replies in the thread of Alice's first
message: her client hears the thread change and the reply's notification, and her session
loads the thread with his reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from devstack.stack import REALTIME_SETTING, LocalStack
from tests.fixtures.node_process import NodeProcess

SCRIPT = Path(__file__).resolve().parents[1] / "fixtures" / "docchat_client.mjs"
DOCUMENT = "js-client-scenario"
ALICE = {"id": "alice", "name": "Alice"}
BOB = {"id": "bob", "name": "Bob"}
#: Events a scenario step may wait through before the one it waits for (every change to a
#: session reports a snapshot: a few dozen a step).
MOST_EVENTS = 500

Event = dict[str, Any]


@pytest.fixture(scope="module", params=["signalr", "webpubsub"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    """The local stack on one backend, fresh (and empty) for the module."""
    with LocalStack(
        log_dir=tmp_path_factory.mktemp("js-client-logs"),
        settings_overrides={REALTIME_SETTING: request.param},
    ) as running:
        yield running


class JsClient:
    """One user's DocchatClient in its Node process, and every event it has reported."""

    def __init__(self, node: NodeProcess) -> None:
        self._node = node
        self.events: list[Event] = []
        #: The indices of the events a wait has already answered.
        self._taken: set[int] = set()

    @classmethod
    @asynccontextmanager
    async def open(cls, stack: LocalStack, user: dict[str, str]) -> AsyncIterator[JsClient]:
        """A client for ``user`` with the scenario's document open, live."""
        config = {"baseUrl": f"{stack.base_url}/api", "user": user, "documentId": DOCUMENT}
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
        """The first snapshot of which ``check`` holds among those no wait has looked at (it
        asks for one now; one comes after every change). Each check here holds only of a
        state the session reaches later than anything an earlier step waited for."""
        self._taken.update(range(len(self.events)))
        await self._node.write({"command": "snapshot", "rootId": root_id})
        return await self.wait_for("snapshot", check)


def texts(shown: Event) -> list[tuple[int | None, str | None, str]]:
    return [(item["seq"], item["text"], item["status"]) for item in shown["timeline"]]


def is_send(answer: Event, text: str, *statuses: int) -> bool:
    """Whether ``answer`` is to a send (POST .../messages) of ``text``, with one of ``statuses``."""
    sent: bool = answer["method"] == "POST" and answer["path"].endswith("/messages")
    return sent and answer["text"] == text and answer["status"] in statuses


async def test_the_js_client_mentions_retries_catches_up_and_threads(stack: LocalStack) -> None:
    async with JsClient.open(stack, ALICE) as alice, JsClient.open(stack, BOB) as bob:
        await alice.command("send", text="Shall we ship on Friday, @Bob?", mentions=["bob"])
        first = await bob.wait_for("message", lambda event: event["detail"]["seq"] == 1)
        mention = await bob.wait_for("notification")
        assert mention["detail"]["kind"] == "mention"
        assert mention["detail"]["messageId"] == first["detail"]["id"]
        assert mention["detail"]["actor"] == ALICE

        # Cosmos DB stalls: the send fails with a 503 and is tried again once it goes on.
        cosmos = stack.child("cosmos")
        stalled = "Sent while Cosmos DB stalled"
        cosmos.pause()
        try:
            await alice.command("send", text=stalled)
            await alice.wait_for("http", lambda event: is_send(event, stalled, 503))
        finally:
            cosmos.resume()
        await alice.wait_for("http", lambda event: is_send(event, stalled, 200, 201))

        await asyncio.to_thread(stack.stop_realtime)
        try:
            for client in (alice, bob):
                await client.wait_for("sync", lambda event: event["state"] == "offline")
            await alice.command("send", text="Sent while the service was down")
            await alice.settled(lambda shown: texts(shown)[-1][2] == "stored")
        finally:
            await asyncio.to_thread(stack.start_realtime)

        expected = [
            (1, "Shall we ship on Friday, @Bob?", "sent"),
            (2, "Sent while Cosmos DB stalled", "sent"),
            (3, "Sent while the service was down", "sent"),
        ]
        for client in (alice, bob):
            await client.wait_for("connected")
            await client.wait_for("sync", lambda event: event["state"] == "live")
            shown = await client.settled(lambda shown: texts(shown) == expected)
            assert shown["contiguousSeq"] == 3
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
            (4, "Friday works for me")
        ]
        # Replies are no part of the timeline, and nothing is missing below them.
        assert len(shown["timeline"]) == 3
        assert shown["contiguousSeq"] == 4
        for client in (alice, bob):
            await client.command("stop")
