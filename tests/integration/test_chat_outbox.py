"""The work after a commit, end to end through the dev host, Azurite and the local Cosmos
DB server (issue 22, items 4 and 5): a mention reaches the mentioned user live on any
document and in the inbox, and a webhook hears of the message and the notification, on
both backends in both modes and on two instances; and every notification arrives exactly
once even when the instance dies between the commit and the fan-out.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from aiohttp import web
from standardwebhooks import Webhook as Verifier

from devstack.frontdoor.proxy import FrontDoor
from devstack.stack import ChildProcess, free_port
from storage.queues import OUTBOX_QUEUE
from tests.fixtures.azurite import Azurite, messages_in
from tests.fixtures.chat import ALICE, BOB
from tests.fixtures.functions_host import HostedApp, wait_until_answering
from tests.fixtures.waiting import wait_for
from tests.fixtures.webpubsub_client import NodeWebPubSubClient
from tests.integration.chat_calls import (
    BACKEND_MODES,
    body_of,
    doc,
    post,
    principal,
    webpubsub_event,
)
from tests.integration.conftest import INSTANCES, LoadApp
from tests.integration.recording_server import RecordingServer

NOTIFICATION = "notification"

Heard = Callable[[], Awaitable[Any]]


async def listen_for_notifications(
    host: HostedApp, listen: Callable[..., Any], listeners: AsyncExitStack, document: str
) -> Heard:
    """Bob connected with his backend's official client (joined to ``document``, which is
    not the one he is mentioned in): the next ``notification`` he hears."""
    if host.environment.get("DOCCHAT_REALTIME") != "webpubsub":
        hub = await listen(host, BOB, document, targets=(NOTIFICATION,))

        async def heard_on_signalr() -> Any:
            target, (item,) = await hub.next_message()
            assert target == NOTIFICATION
            return item

        return heard_on_signalr
    negotiated = await host.call("negotiate", headers=principal(BOB))
    client = await listeners.enter_async_context(
        NodeWebPubSubClient.connect(body_of(negotiated)["url"])
    )
    return lambda: webpubsub_event(client, NOTIFICATION)


async def inbox(host: HostedApp) -> list[dict[str, Any]]:
    answer = await host.call("list_notifications", headers=principal(BOB))
    assert answer.status_code == 200, answer.get_body()
    items: list[dict[str, Any]] = body_of(answer)["items"]
    return items


@pytest.mark.parametrize("settings", BACKEND_MODES)
async def test_a_mention_reaches_the_user_live_in_the_inbox_and_a_webhook_once(
    load_app: LoadApp,
    listen: Callable[..., Any],
    listeners: AsyncExitStack,
    settings: dict[str, str],
) -> None:
    host = await load_app(queues=True, **settings)
    heard = await listen_for_notifications(host, listen, listeners, doc("elsewhere"))
    with RecordingServer() as receiver:
        events = ["message.created", "notification.created"]
        hook = {"url": f"{receiver.url}/in", "events": events}
        created = await host.call("put_webhook", route_params={"name": "crm"}, body=hook)
        secret = body_of(created)["secret"]
        document = doc("mentioned")

        sent = body_of(await post(host, ALICE, document, "hi @Bob", mentions=[BOB.id]))
        live = await heard()
        items = await wait_for(lambda: inbox(host), "the notification in Bob's inbox")
        await wait_for(lambda: _at_least(receiver, 2), "both webhook events")

    assert live["kind"] == "mention"
    assert (live["documentId"], live["messageId"]) == (document, sent["id"])
    assert live["actor"] == {"id": ALICE.id, "name": ALICE.name}
    assert items == [live]
    payloads = [Verifier(secret).verify(r.body, dict(r.headers)) for r in receiver.requests]
    by_type = {payload["type"]: payload["data"] for payload in payloads}
    assert sorted(by_type) == events
    assert by_type["message.created"]["seq"] == sent["seq"] == 1
    assert by_type["message.created"]["documentId"] == document
    assert by_type["notification.created"] == live


@pytest.mark.parametrize("instances", INSTANCES)
async def test_an_edit_notifies_only_the_mentions_it_added_on_every_instance(
    load_app: LoadApp, listen: Callable[..., Any], listeners: AsyncExitStack, instances: int
) -> None:
    host = await load_app(queues=True, instances=instances)
    heard = await listen_for_notifications(host, listen, listeners, doc("elsewhere"))
    document = doc("edited")
    sent = body_of(await post(host, ALICE, document, "hi", mentions=["carol-id"]))

    edited = await host.call(
        "edit_message",
        document_id=document,
        route_params={"messageId": sent["id"]},
        headers=principal(ALICE),
        body={"mentions": ["carol-id", BOB.id]},
    )
    live = await heard()

    assert edited.status_code == 200, edited.get_body()
    assert (live["messageId"], live["kind"]) == (sent["id"], "mention")
    assert [item["id"] for item in await inbox(host)] == [live["id"]]


async def _at_least(receiver: RecordingServer, count: int) -> bool:
    return len(receiver.requests) >= count


# The crash between the commit and the fan-out ---------------------------------------------


def _is_outbox_reveal(request: web.BaseRequest) -> bool:
    """Update Message on ``docchat-outbox`` making a message visible now: the store's
    reveal after a commit (a failed invocation's retry is hidden for host.json's 10 s)."""
    return (
        request.method == "PUT"
        and f"/{OUTBOX_QUEUE}/messages/" in request.path
        and request.query.get("visibilitytimeout") == "0"
    )


class Tripwire(FrontDoor):
    """Azurite's queue service behind a proxy which, once armed, runs ``trip`` on the first
    outbox reveal instead of passing it on: the app dies with its batch committed and its
    queue message still hidden."""

    def __init__(self, queue_service: str, trip: Callable[[], None]) -> None:
        super().__init__([queue_service])
        self.armed = False
        self.tripped = False
        self.connection_string = ""
        self._trip = trip

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if self.armed and _is_outbox_reveal(request):
            self.armed, self.tripped = False, True
            self._trip()
            return web.Response(status=503)
        return await super().handle(request)


@asynccontextmanager
async def tripwire(connection_string: str, trip: Callable[[], None]) -> AsyncIterator[Tripwire]:
    """A :class:`Tripwire` on a free port; ``.connection_string`` names the account
    through it."""
    fields = dict(part.split("=", 1) for part in connection_string.split(";") if part)
    queue_endpoint = fields["QueueEndpoint"]
    origin, account = queue_endpoint.rsplit("/", 1)
    proxy = Tripwire(origin, trip)
    await proxy.start()
    runner = web.ServerRunner(web.Server(proxy.handle, access_log=None))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    through = {**fields, "QueueEndpoint": f"http://127.0.0.1:{port}/{account}"}
    proxy.connection_string = "".join(f"{key}={value};" for key, value in through.items())
    try:
        yield proxy
    finally:
        await runner.cleanup()
        await proxy.close()


async def test_an_instance_dying_between_the_commit_and_the_fan_out_loses_and_repeats_nothing(
    load_app: LoadApp,
    listen: Callable[..., Any],
    azurite_server: Azurite,
) -> None:
    """Both instances are killed (SIGKILL) when a committed batch's queue message is about
    to be revealed, then started again. The message shows itself when its hidden time (the
    batch's budget and 10 s) is over, and a started instance's queue trigger makes the
    notification once. The sender heard no answer; the message is stored once; Bob hears the
    notification once, and then the next one."""
    account = azurite_server.fresh_account()
    instances: list[ChildProcess] = []

    def kill_the_instances() -> None:
        for child in instances:
            assert child.pid is not None
            os.killpg(child.pid, signal.SIGKILL)

    async with tripwire(account, kill_the_instances) as proxy:
        host = await load_app(instances=2, DOCCHAT_QUEUE=proxy.connection_string)
        instances += host.processes
        hub = await listen(host, BOB, doc("elsewhere"), targets=(NOTIFICATION,))
        document = doc("crash")

        proxy.armed = True
        dropped = await post(host, ALICE, document, "hi @Bob", mentions=[BOB.id], id="m-1")
        assert proxy.tripped
        for child in instances:
            child.start()
        await asyncio.to_thread(
            wait_until_answering, dict(zip(host.instance_urls, instances, strict=True))
        )
        target, (first,) = await hub.next_message()
        await wait_for(lambda: _outbox_done(account), "the outbox queue to be empty")
        await post(host, ALICE, document, "again @Bob", mentions=[BOB.id], id="m-2")
        target_next, (second,) = await hub.next_message()

        listed = await host.call("list_messages", document_id=document, headers=principal(BOB))
        timeline = body_of(listed)["items"]
        items = await inbox(host)

    assert dropped.status_code == 502  # the front door: the instance died with the request
    assert [m["id"] for m in timeline] == ["m-2", "m-1"]
    assert (target, first["messageId"]) == (NOTIFICATION, "m-1")
    assert (target_next, second["messageId"]) == (NOTIFICATION, "m-2")
    assert [item["messageId"] for item in items] == ["m-2", "m-1"]


async def _outbox_done(connection_string: str) -> bool:
    """Whether ``docchat-outbox`` holds no message, hidden or not, and none was poisoned."""

    def empty(name: str) -> bool:
        return messages_in(connection_string, name) == 0

    return await asyncio.to_thread(lambda: empty(OUTBOX_QUEUE) and empty(f"{OUTBOX_QUEUE}-poison"))
