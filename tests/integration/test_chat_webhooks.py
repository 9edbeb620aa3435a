"""The webhook registry's routes through the real dev host, as Azure serves them (behind
the function key, on one instance and on two behind the front door), with its work queue in
Azurite and its store in the local Cosmos DB server: a webhook is created with its secret
once, updated, listed without secrets, deleted; unsafe URLs are a 400 saying why, outside
dev mode and (metadata) in it; without a work queue every route is a 409.

The failures route is read after a delivery exhausted its schedule. The dev host does not
run queue triggers yet, so the tries of ``deliver_webhook`` run in this process, on the
same Azurite queue and Cosmos DB container the app uses, taking each message as the
trigger would once its hidden time passes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from azure.storage.queue import QueueClient

from chat.app.webhooks import Outcome, WebhookService
from chat.settings import load_settings
from devstack import azurite
from devstack.stack import LocalStack, free_port
from storage import load_storage
from storage.queues import WEBHOOKS_QUEUE, load_queues
from tests.fixtures.waiting import eventually
from tests.integration.conftest import INSTANCES, LoadApp
from tests.integration.recording_server import RecordingServer, Reply
from webhooks import load_network

#: A first start installs Azurite; later ones take a second.
pytestmark = pytest.mark.timeout(600)
#: A receiver on loopback: dev mode allows it, and nothing here reaches a network.
HOOK = {"url": "http://127.0.0.1:9/in", "events": ["message.created"]}
JWT = {
    "DOCCHAT_AUTH": "jwt",
    "DOCCHAT_JWT_ISSUER": "https://issuer.test",
    "DOCCHAT_JWT_AUDIENCE": "docchat",
    "DOCCHAT_JWT_SECRET": "webhook-tests-secret-long-enough-for-hs256",
}


@pytest.fixture(scope="module")
def queue_connection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``DOCCHAT_QUEUE`` for an Azurite of this module's own."""
    ports = (free_port(), free_port(), free_port())
    stack = LocalStack(azurite_ports=ports, log_dir=tmp_path_factory.mktemp("azurite"))
    try:
        stack.start_azurite()
        yield azurite.connection_string(ports)
    finally:
        stack.stop()


@pytest.mark.parametrize("instances", INSTANCES)
async def test_a_webhook_is_created_updated_listed_and_deleted_on_every_instance(
    load_app: LoadApp, queue_connection: str, instances: int
) -> None:
    host = await load_app(instances=instances, DOCCHAT_QUEUE=queue_connection)
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
    load_app: LoadApp, queue_connection: str, url: str
) -> None:
    host = await load_app(DOCCHAT_QUEUE=queue_connection, **JWT)

    refused = await host.call("put_webhook", route_params={"name": "x"}, body={**HOOK, "url": url})

    assert refused.status_code == 400, refused.body
    assert refused.json()["error"]["code"] == "unsafe_webhook_url"
    assert refused.json()["error"]["message"].startswith("url")
    assert (await host.call("list_webhooks")).json()["items"] == []


async def test_dev_mode_allows_loopback_but_never_metadata(
    load_app: LoadApp, queue_connection: str
) -> None:
    host = await load_app(DOCCHAT_QUEUE=queue_connection)

    local = await host.call("put_webhook", route_params={"name": "local"}, body=HOOK)
    metadata = await host.call(
        "put_webhook",
        route_params={"name": "imds"},
        body={**HOOK, "url": "http://[fd00:ec2::254]/"},
    )

    assert local.status_code == 201
    assert metadata.status_code == 400
    assert "metadata" in metadata.json()["error"]["message"]


async def test_a_delivery_that_exhausts_its_schedule_is_listed_in_failures(
    load_app: LoadApp, queue_connection: str
) -> None:
    host = await load_app(DOCCHAT_QUEUE=queue_connection)
    with RecordingServer(Reply(503)) as receiver:
        hook = {"url": f"{receiver.url}/in", "events": ["message.created"]}
        assert (
            await host.call("put_webhook", route_params={"name": "crm"}, body=hook)
        ).status_code == 201

        environment = {**host.environment, "DOCCHAT_WEBHOOK_RETRY_SCHEDULE": "1,1"}
        webhooks = consumer(environment)
        assert webhooks.enqueue("outbox-1.0", "message.created", {"id": "m1", "seq": 1}) == 1
        outcomes = await asyncio.to_thread(run_tries, webhooks, queue_connection, 3)

    page = await host.call("list_webhook_failures", route_params={"name": "crm"})

    assert outcomes == [Outcome.RETRYING, Outcome.RETRYING, Outcome.FAILED]
    assert len(receiver.requests) == 3
    [failure] = page.json()["items"]
    assert failure["eventId"] == "outbox-1.0"
    assert failure["type"] == "message.created"
    assert (failure["lastStatus"], failure["tries"]) == (503, 3)
    assert failure["webhookId"] == receiver.requests[0].headers["webhook-id"]
    assert page.json()["continuationToken"] is None


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
    """The use case ``deliver_webhook`` runs, over the app's own store and queue."""
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


def run_tries(webhooks: WebhookService, connection: str, tries: int) -> list[Outcome]:
    """Take ``tries`` messages off ``docchat-webhooks`` as each becomes visible, and run
    each as the trigger would (then delete it, as the host does after a success)."""
    queue = QueueClient.from_connection_string(connection, WEBHOOKS_QUEUE)
    outcomes: list[Outcome] = []
    for _ in range(tries):
        message = eventually(
            lambda: next(iter(queue.receive_messages(max_messages=1, visibility_timeout=30)), None),
            until=lambda taken: taken is not None,
            timeout=30,
            what="the next try's message",
        )
        assert message is not None
        outcomes.append(webhooks.deliver(json.loads(message.content)))
        queue.delete_message(message)
    return outcomes
