"""The Python client (clients/python) against the whole local stack as ``python -m devstack``
runs it (devstack.stack.LocalStack: the Cosmos DB server, Azurite for the work queues, the
SignalR emulator and the dev Functions host, each its own process), sync and async: send;
retry through an outage (the Cosmos DB server stalled with SIGSTOP until the client has
heard its first 503), stored once; a thread; a mention that reaches the mentioned user's
inbox; catch-up from a cursor; typed errors from the real app; and a webhook registered
through the client whose signed delivery to a receiver on 127.0.0.1 ``verify_webhook``
accepts. Then a send through a SignalR emulator restart (stored, then delivered once), and
the READMEs' examples as written."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from docchat_client import (
    AsyncDocchatClient,
    Conflict,
    DevUser,
    DocchatClient,
    InvalidRequest,
    Message,
    Notification,
    ServiceUnavailable,
    WebhookEvent,
    WebhookVerificationError,
    verify_webhook,
)

from devstack.host.keys import FUNCTION_KEY_SETTING
from devstack.stack import LocalStack
from tests.fixtures.waiting import eventually, wait_for
from tests.integration.recording_server import RecordedRequest, RecordingServer

#: Starting the stack may install Azurite first (npm, from its lockfile): on a fresh clone
#: this module is the first to start it, on two busy cores.
pytestmark = pytest.mark.timeout(300)
RUN = uuid.uuid4().hex[:8]
_documents = itertools.count()
KEY = "python-client-function-key"
#: How the stack runs: dev identities (DevUser), open access, webhooks to loopback allowed.
SETTINGS = {
    "DOCCHAT_AUTH": "dev",
    "DOCCHAT_ACCESS": "open",
    "DOCCHAT_REALTIME": "signalr",
    FUNCTION_KEY_SETTING: KEY,
    "COSMOS_CONTAINER": f"pyclient-{RUN}",
}
EVENTS = ["message.created", "notification.created"]
ROOT = Path(__file__).resolve().parents[2]


def new_document() -> str:
    return f"pyclient-{RUN}-{next(_documents)}"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    logs = tmp_path_factory.mktemp("pyclient-stack")
    with LocalStack(log_dir=logs, settings_overrides=SETTINGS) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[RecordingServer]:
    """A webhook receiver on 127.0.0.1 that takes every delivery (200)."""
    with RecordingServer() as server:
        yield server


def base_url(stack: LocalStack) -> str:
    return stack.base_url.replace("localhost", "127.0.0.1")


class _Outage:
    """Ends an outage once the client has heard a 503 (``end``: resume the stalled Cosmos DB
    server, start the SignalR emulator again), so the retry meets an outage that surely
    happened, whatever the machine's speed; and records each status the client heard."""

    def __init__(self, end: Callable[[], None]) -> None:
        self.end = end
        self.statuses: list[int] = []

    def heard(self, response: httpx.Response) -> httpx.Response:
        self.statuses.append(response.status_code)
        if response.status_code == 503:
            self.end()
        return response


class EndsOutage(httpx.HTTPTransport):
    def __init__(self, outage: _Outage) -> None:
        super().__init__()
        self.outage = outage

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.outage.heard(super().handle_request(request))


class AsyncEndsOutage(httpx.AsyncHTTPTransport):
    def __init__(self, outage: _Outage) -> None:
        super().__init__()
        self.outage = outage

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self.outage.heard(await super().handle_async_request(request))


def deliveries(receiver: RecordingServer, document: str, kind: str) -> list[RecordedRequest]:
    """What the receiver got of ``kind`` about ``document`` (the stack's webhooks hear every
    document's events)."""
    found = []
    for request in receiver.requests:
        body: dict[str, Any] = request.json()
        if body["type"] == kind and body["data"]["documentId"] == document:
            found.append(request)
    return found


def delivered_ids(receiver: RecordingServer, document: str) -> list[str]:
    """The ids of the messages whose ``message.created`` reached the receiver, as often as
    each did."""
    return [r.json()["data"]["id"] for r in deliveries(receiver, document, "message.created")]


def verified(delivery: RecordedRequest, secret: str) -> WebhookEvent:
    """The delivery, checked as a receiver checks it, by this client and by the JS one
    (clients/js ``verifyWebhook``); and a tampered copy refused by both."""
    event = verify_webhook(delivery.headers, delivery.body, secret)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(delivery.headers, delivery.body + b" ", secret)
    assert js_verified(delivery, delivery.body, secret) == json.loads(delivery.body)
    assert js_verified(delivery, delivery.body + b" ", secret) is None
    return event


#: Runs the JS client's verifyWebhook on the delivery in JS_DELIVERY: prints the event, or
#: exits 1 with the refusal.
JS_VERIFY = f"""
import {{ verifyWebhook }} from {json.dumps((ROOT / "clients/js/src/webhooks.js").as_uri())};
const {{ headers, body, secret }} = JSON.parse(process.env.JS_DELIVERY);
try {{
  console.log(JSON.stringify(await verifyWebhook(headers, body, secret)));
}} catch (error) {{
  if (error.name !== "WebhookVerificationError") throw error;
  process.exit(1);
}}
"""


def js_verified(delivery: RecordedRequest, body: bytes, secret: str) -> Any:
    """What the JS client's ``verifyWebhook`` makes of ``body`` with the delivery's
    headers: the event, or None when it refuses it."""
    headers = {name.lower(): value for name, value in delivery.headers.items()}
    given = {"headers": headers, "body": body.decode(), "secret": secret}
    ran = subprocess.run(  # noqa: S603 - node with a script of this module
        ["node", "--input-type=module", "-e", JS_VERIFY],  # noqa: S607 - node as on PATH
        env={**os.environ, "JS_DELIVERY": json.dumps(given)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert ran.returncode in (0, 1), ran.stderr
    return json.loads(ran.stdout) if ran.returncode == 0 else None


def assert_caught_up(
    caught: list[Message], root: Message, others: list[Message], mentioned: Message
) -> None:
    """Everything after the root's first state, once each, in change order: the later
    messages, and the root again in its new state (its thread changed)."""
    ids = [message.id for message in caught]
    assert sorted(ids) == sorted([root.id, *(message.id for message in others)])
    assert [message.position for message in caught] == sorted(m.position for m in caught)
    again = next(message for message in caught if message.id == root.id)
    assert again.thread is not None
    assert again.thread.reply_count == 1
    assert next(m for m in caught if m.id == mentioned.id).mentions == ("carol",)


def inbox_has(notifications: list[Notification], message: Message) -> bool:
    return any(n.message_id == message.id and n.kind == "mention" for n in notifications)


def test_the_sync_client_drives_the_whole_scenario_against_the_stack(
    stack: LocalStack, receiver: RecordingServer
) -> None:
    document = new_document()
    cosmos = stack.child("cosmos")
    outage = _Outage(cosmos.resume)
    client = DocchatClient(
        base_url(stack), function_key=KEY, identity=DevUser("alice"), transport=EndsOutage(outage)
    )
    with client:
        hook = client.put_webhook(f"sync-{RUN}", f"{receiver.url}/hook", EVENTS)
        assert hook.secret is not None
        assert hook.secret.startswith("whsec_")
        root = client.send(document, "the plan?", sender_id="alice", sender_name="Alice")

        heard = len(outage.statuses)
        cosmos.pause()
        try:
            through = client.send(document, "sent through an outage", sender_id="bot")
        finally:
            cosmos.resume()
        during = outage.statuses[heard:]
        reply = client.send(document, "a reply", sender_id="bob", reply_to=root.id)
        mentioned = client.send(document, "@carol look", sender_id="bot", mentions=["carol"])

        thread = list(client.thread(document, root.id))
        caught = list(client.catch_up(document, after=root.cursor, limit=2))
        timeline = list(client.history(document, limit=1))
        carol = client.as_user(DevUser("carol"))
        inbox = eventually(
            lambda: list(carol.notifications()),
            until=lambda items: inbox_has(items, mentioned),
            timeout=60,
            what="carol's inbox to list the mention",
        )
        with pytest.raises(InvalidRequest) as refused:
            client.send(document, "   ", sender_id="bot")
        with pytest.raises(Conflict) as not_members:
            client.put_member(document, "carol", "reader")
        sent = {m.id for m in (root, through, reply, mentioned)}
        eventually(
            lambda: delivered_ids(receiver, document),
            until=lambda ids: set(ids) == sent,
            timeout=60,
            what="a message.created delivery of each message",
        )
        listed = [each.name for each in client.webhooks()]
        client.delete_webhook(f"sync-{RUN}")
        assert f"sync-{RUN}" not in [each.name for each in client.webhooks()]

    assert 503 in during  # the outage happened, and the client went through it
    assert during[-1] in (200, 201)
    assert [m.seq for m in (root, through, reply, mentioned)] == [1, 2, 3, 4]
    assert [m.id for m in thread] == [root.id, reply.id]
    assert reply.thread_id == root.id
    assert_caught_up(caught, root, [through, reply, mentioned], mentioned)
    assert [m.id for m in timeline] == [mentioned.id, through.id, root.id]  # roots only
    assert next(n for n in inbox if n.message_id == mentioned.id).actor.id == "bot"
    assert refused.value.code == "invalid_request"
    assert refused.value.stored is False
    assert not_members.value.code == "members_not_enabled"
    assert f"sync-{RUN}" in listed
    events = [verified(d, hook.secret) for d in deliveries(receiver, document, "message.created")]
    assert sorted(event.message().id for event in events) == sorted(sent)  # each once


async def test_the_async_client_drives_the_whole_scenario_against_the_stack(
    stack: LocalStack, receiver: RecordingServer
) -> None:
    document = new_document()
    cosmos = stack.child("cosmos")
    outage = _Outage(cosmos.resume)
    client = AsyncDocchatClient(
        base_url(stack),
        function_key=KEY,
        identity=DevUser("alice"),
        transport=AsyncEndsOutage(outage),
    )
    async with client:
        hook = await client.put_webhook(f"async-{RUN}", f"{receiver.url}/hook", EVENTS)
        assert hook.secret is not None
        root = await client.send(document, "the plan?", sender_id="alice")

        heard = len(outage.statuses)
        cosmos.pause()
        try:
            through = await client.send(document, "sent through an outage", sender_id="bot")
        finally:
            cosmos.resume()
        during = outage.statuses[heard:]
        reply = await client.send(document, "a reply", sender_id="bob", reply_to=root.id)
        mentioned = await client.send(document, "@carol look", sender_id="bot", mentions=["carol"])

        thread = [m async for m in client.thread(document, root.id)]
        caught = [m async for m in client.catch_up(document, after=root.cursor, limit=2)]
        carol = client.as_user(DevUser("carol"))

        async def carols_inbox() -> list[Notification] | None:
            items = [n async for n in carol.notifications(unread=True)]
            return items if inbox_has(items, mentioned) else None

        await wait_for(carols_inbox, "carol's inbox to list the mention")

        async def delivered() -> list[RecordedRequest]:
            found = deliveries(receiver, document, "notification.created")
            return [r for r in found if r.json()["data"]["messageId"] == mentioned.id]

        (notified,) = await wait_for(delivered, "the notification.created delivery")
        await client.delete_webhook(f"async-{RUN}")

    assert 503 in during
    assert during[-1] in (200, 201)
    assert [m.seq for m in (root, through, reply, mentioned)] == [1, 2, 3, 4]
    assert [m.id for m in thread] == [root.id, reply.id]
    assert_caught_up(caught, root, [through, reply, mentioned], mentioned)
    event = verified(notified, hook.secret)
    assert event.type == "notification.created"
    assert event.notification().message_id == mentioned.id
    assert event.notification().kind == "mention"


def test_a_send_through_a_signalr_emulator_restart_is_stored_once_and_delivered(
    stack: LocalStack,
) -> None:
    """With the emulator down a send is stored but not broadcast: the client retries until
    its deadline and then says so (503 ``message_not_delivered``, ``stored`` true); sent
    again with that id while the emulator comes back, it is delivered, still stored once."""
    document = new_document()
    text = "while SignalR is down"
    outage = _Outage(stack.start_signalr)
    url = base_url(stack)
    with DocchatClient(url, function_key=KEY) as plain:
        before = plain.send(document, "before", sender_id="bot")
        stack.stop_signalr()
        try:
            with pytest.raises(ServiceUnavailable) as undelivered:
                plain.send(document, text, sender_id="bot", deadline=3)
        finally:
            stack.start_signalr()
    ending = EndsOutage(outage)
    message_id = undelivered.value.message_id
    reader = DevUser("alice")
    with DocchatClient(url, function_key=KEY, identity=reader, transport=ending) as client:
        stack.stop_signalr()
        try:
            delivered = client.send(document, text, sender_id="bot", id=message_id)
        finally:
            stack.start_signalr()
        during = list(outage.statuses)
        after = list(client.catch_up(document, after=before.cursor))

    assert undelivered.value.code == "message_not_delivered"
    assert undelivered.value.stored is True
    assert during == [503, 200]  # the retry found it stored (and broadcast it)
    assert delivered.id == undelivered.value.message_id
    assert before.seq == 1
    assert [(m.id, m.seq) for m in after] == [(delivered.id, 2)]


def python_example(readme: Path, heading: str) -> str:
    """The first Python block after ``heading`` in ``readme``."""
    text = readme.read_text(encoding="utf-8")
    section = text[text.index(f"\n{heading}\n") :]
    found = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert found, f"no Python example under {heading!r} in {readme.name}"
    return found[1]


@pytest.mark.parametrize(
    ("readme", "heading"),
    [
        (ROOT / "README.md", "## Use docchat from your code"),
        (ROOT / "clients/python/README.md", "## Example"),
    ],
    ids=["README", "clients-python-README"],
)
def test_the_readmes_python_examples_run_against_the_stack(
    stack: LocalStack, readme: Path, heading: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """As written, but for where the stack listens and its key."""
    example = python_example(readme, heading)
    example = example.replace("http://localhost:7071", base_url(stack))
    example = example.replace('"docchat-local-function-key"', repr(KEY))
    exec(compile(example, str(readme), "exec"), {})  # noqa: S102 (the README's own example)

    printed = capsys.readouterr().out.splitlines()
    assert len(printed) >= 2  # the root's new state and the reply, caught up
