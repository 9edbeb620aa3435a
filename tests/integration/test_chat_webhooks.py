"""The webhook registry's routes through the real dev host, as Azure serves them: behind
the function key, and answering 409 ``webhooks_not_enabled`` while no work queue is
configured (``DOCCHAT_QUEUE``), on one instance and on two behind the front door."""

from __future__ import annotations

import pytest

from tests.integration.conftest import INSTANCES, LoadApp

HOOK = {"url": "https://hooks.example/in", "events": ["message.created"]}


@pytest.mark.parametrize("instances", INSTANCES)
async def test_without_a_work_queue_the_registry_answers_409_on_every_instance(
    load_app: LoadApp, instances: int
) -> None:
    host = await load_app(instances=instances)

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


async def test_a_bad_body_is_a_400_before_anything_else(load_app: LoadApp) -> None:
    host = await load_app()

    refused = await host.call(
        "put_webhook", route_params={"name": "crm"}, body={"url": "x", "events": ["nope"]}
    )

    assert refused.status_code == 400
    assert "events" in refused.json()["error"]["message"]
