"""The webhook registry's routes through the real dev host, as Azure serves them (behind
the function key, on one instance and on two behind the front door), with its work queue in
Azurite and its store in the local Cosmos DB server: a webhook is created with its secret
once, updated, listed without secrets, deleted; unsafe URLs are a 400 saying why, outside
dev mode and (metadata) in it; without a work queue every route is a 409.

Deliveries run in the dev host, as its queue trigger ``deliver_webhook`` takes each try's
message off ``docchat-webhooks`` once its hidden time has passed (the Storage Queues
extension's behaviour, devstack/host). The event is put on the queue by
:meth:`~chat.app.webhooks.WebhookService.enqueue` in this process, over the app's own
store and queue, as the outbox consumer does after a commit.
"""

from __future__ import annotations

import asyncio
from itertools import pairwise
from typing import TypeVar

import pytest
from standardwebhooks import Webhook as Verifier

from chat.app.webhooks import WebhookService
from chat.settings import load_settings
from storage import load_storage
from storage.queues import WEBHOOKS_QUEUE, load_queues
from tests.fixtures.azurite import messages_in
from tests.fixtures.waiting import wait_for
from tests.integration.conftest import INSTANCES, LoadApp
from tests.integration.recording_server import RecordingServer, Reply
from webhooks import load_network

#: A receiver on loopback: dev mode allows it, and nothing here reaches a network.
HOOK = {"url": "http://127.0.0.1:9/in", "events": ["message.created"]}
EVENT = {"documentId": "doc-1", "id": "m1", "seq": 1, "text": "hello"}
_Found = TypeVar("_Found")
JWT = {
    "DOCCHAT_AUTH": "jwt",
    "DOCCHAT_JWT_ISSUER": "https://issuer.test",
    "DOCCHAT_JWT_AUDIENCE": "docchat",
    "DOCCHAT_JWT_SECRET": "webhook-tests-secret-long-enough-for-hs256",
}


@pytest.mark.parametrize("instances", INSTANCES)
async def test_a_webhook_is_created_updated_listed_and_deleted_on_every_instance(
    load_app: LoadApp, instances: int
) -> None:
    host = await load_app(instances=instances, queues=True)
    crm = {"name": "crm"}

    created = await host.call("put_webhook", route_params=crm, body=HOOK)
    changed = {**HOOK, "events": ["message.deleted", "thread.resolved"]}
    updated = await host.call("put_webhook", route_params=crm, body=changed)
    await host.call("put_webhook", route_params={"name": "audit"}, body=HOOK)
    listings = [await host.call("list_webhooks") for _ in range(instances * 2)]
    failures = await host.call("list_webhook_failures", route_params=crm)
    removed = await host.call("remove_webhook", route_params=crm)
    again = await host.call("remove_webhook", route_params=crm)

    assert created.status_code == 201, created.body
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    assert updated.status_code == 200
    assert updated.json()["events"] == changed["events"]
    assert "secret" not in updated.json()
    for listed in listings:
        assert [item["name"] for item in listed.json()["items"]] == ["audit", "crm"]
        assert secret.encode() not in listed.body
    assert failures.json() == {"items": [], "continuationToken": None}
    assert removed.status_code == 204
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "webhook_not_found"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/",
        "https://2130706433/",
        "https://[::1]/",
        "https://localhost/",
        "http://hooks.example/",
        "https://169.254.169.254/",
    ],
)
async def test_outside_dev_mode_unsafe_urls_are_a_400_saying_why(
    load_app: LoadApp, url: str
) -> None:
    host = await load_app(queues=True, **JWT)

    refused = await host.call("put_webhook", route_params={"name": "x"}, body={**HOOK, "url": url})

    assert refused.status_code == 400, refused.body
    assert refused.json()["error"]["code"] == "unsafe_webhook_url"
    assert refused.json()["error"]["message"].startswith("url")
    assert (await host.call("list_webhooks")).json()["items"] == []


async def test_dev_mode_allows_loopback_but_never_metadata(load_app: LoadApp) -> None:
    host = await load_app(queues=True)

    local = await host.call("put_webhook", route_params={"name": "local"}, body=HOOK)
    metadata = await host.call(
        "put_webhook",
        route_params={"name": "imds"},
        body={**HOOK, "url": "http://[fd00:ec2::254]/"},
    )

    assert local.status_code == 201
    assert metadata.status_code == 400
    assert "metadata" in metadata.json()["error"]["message"]


async def test_a_receiver_failing_three_tries_gets_four_signed_deliveries_with_one_id(
    load_app: LoadApp,
) -> None:
    host = await load_app(queues=True, DOCCHAT_WEBHOOK_RETRY_SCHEDULE="1,1,1")
    with RecordingServer() as receiver:
        receiver.answer(Reply(500), Reply(502), Reply(429), Reply(200))
        hook = {"url": f"{receiver.url}/in", "events": ["message.created"]}
        created = await host.call("put_webhook", route_params={"name": "crm"}, body=hook)
        secret = created.json()["secret"]

        assert consumer(host.environment).enqueue("outbox-1.0", "message.created", EVENT) == 1
        await wait_for(lambda: asyncio.to_thread(lambda: len(receiver.requests) >= 4), "try 4")
        await wait_for(lambda: asyncio.to_thread(queue_is_empty, host.environment), "no try left")

    deliveries = receiver.requests
    assert len(deliveries) == 4
    assert len({delivery.headers["webhook-id"] for delivery in deliveries}) == 1
    for delivery in deliveries:
        payload = Verifier(secret).verify(delivery.body, dict(delivery.headers))
        assert (payload["type"], payload["data"]) == ("message.created", EVENT)
    gaps = [later.received_at - earlier.received_at for earlier, later in pairwise(deliveries)]
    assert all(gap >= 0.8 for gap in gaps), gaps
    failures = await host.call("list_webhook_failures", route_params={"name": "crm"})
    assert failures.json()["items"] == []


async def test_a_delivery_that_exhausts_its_schedule_is_listed_in_failures(
    load_app: LoadApp,
) -> None:
    host = await load_app(queues=True, DOCCHAT_WEBHOOK_RETRY_SCHEDULE="1,1")
    with RecordingServer(Reply(503)) as receiver:
        hook = {"url": f"{receiver.url}/in", "events": ["message.created"]}
        await host.call("put_webhook", route_params={"name": "crm"}, body=hook)
        consumer(host.environment).enqueue("outbox-1.0", "message.created", EVENT)

        async def listed() -> list[dict[str, object]]:
            page = await host.call("list_webhook_failures", route_params={"name": "crm"})
            items: list[dict[str, object]] = page.json()["items"]
            return items

        failures = await wait_for(listed, "the failure to be recorded")

    [failure] = failures
    assert len(receiver.requests) == 3
    assert failure["eventId"] == "outbox-1.0"
    assert failure["type"] == "message.created"
    assert (failure["lastStatus"], failure["lastError"], failure["tries"]) == (503, None, 3)
    assert failure["webhookId"] == receiver.requests[0].headers["webhook-id"]


async def test_without_a_work_queue_every_route_is_a_409(load_app: LoadApp) -> None:
    host = await load_app()

    put = await host.call("put_webhook", route_params={"name": "crm"}, body=HOOK)
    listed = await host.call("list_webhooks")
    failures = await host.call("list_webhook_failures", route_params={"name": "crm"})
    removed = await host.call("remove_webhook", route_params={"name": "crm"})

    for answer in (put, listed, failures, removed):
        assert answer.status_code == 409, answer.body
        assert answer.json()["error"]["code"] == "webhooks_not_enabled"


async def test_the_registry_needs_the_function_key(load_app: LoadApp) -> None:
    host = await load_app()

    refused = await host.call("list_webhooks", headers={"x-functions-key": "wrong"})

    assert refused.status_code == 401


async def test_a_bad_body_is_a_400_naming_the_field(load_app: LoadApp) -> None:
    host = await load_app()

    refused = await host.call(
        "put_webhook", route_params={"name": "crm"}, body={"url": "x", "events": ["nope"]}
    )

    assert refused.status_code == 400
    assert "events" in refused.json()["error"]["message"]


def consumer(environment: dict[str, str]) -> WebhookService:
    """The use case over the app's own store and queue (what the outbox consumer calls)."""
    queues = load_queues(environment)
    assert queues is not None
    settings = load_settings(environment)
    return WebhookService(
        load_storage(environment).webhooks,
        queues.webhooks,
        load_network(),
        dev=settings.dev,
        schedule=settings.webhook_retry_schedule,
    )


def queue_is_empty(environment: dict[str, str]) -> bool:
    """Whether ``docchat-webhooks`` holds no message, hidden or not."""
    return messages_in(environment["DOCCHAT_QUEUE"], WEBHOOKS_QUEUE) == 0
