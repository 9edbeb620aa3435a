"""Webhooks, in memory and in the local Cosmos DB server (the same contract): a name is
created once, updated keeping its secret and incarnation, listed, deleted; failures are
kept per incarnation, once per delivery, and listed newest first in pages that hold each
exactly once."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from azure.cosmos import CosmosClient

from chat.app.webhooks import WebhookStore
from chat.domain.webhooks import Failure, Webhook, new_incarnation, new_secret
from devstack.cosmos import EMULATOR_KEY
from storage.cosmos.container import CosmosContainer
from storage.cosmos.webhooks import CosmosWebhooks
from tests.fixtures.chat import InMemoryWebhooks

_containers = itertools.count()
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "cosmos"])
def store(request: pytest.FixtureRequest) -> WebhookStore:
    if request.param == "memory":
        return InMemoryWebhooks()
    cosmos_server: Any = request.getfixturevalue("cosmos_server")
    container = CosmosContainer(
        lambda: CosmosClient(cosmos_server.endpoint, EMULATOR_KEY),
        "docchat-webhooks",
        f"webhooks-{next(_containers)}",
        can_create=True,
        budget=30,
    )
    return CosmosWebhooks(container)


def hook(name: str, url: str = "https://a.example/") -> Webhook:
    return Webhook(name, url, ("message.created",), new_secret(), new_incarnation(), T0)


def failure(n: int) -> Failure:
    at = T0 + timedelta(seconds=n)
    return Failure(f"msg_{n}", f"o{n}.0", "message.created", 500, None, 4, at)


def test_a_name_is_created_once_and_updated_keeping_its_secret(store: WebhookStore) -> None:
    first = hook("crm/é x")

    assert store.create(first) is True
    assert store.create(hook("crm/é x", "https://b.example/")) is False
    updated = store.update("crm/é x", "https://c.example/", ("message.deleted", "thread.resolved"))

    assert updated == Webhook(
        "crm/é x",
        "https://c.example/",
        ("message.deleted", "thread.resolved"),
        first.secret,
        first.incarnation,
        T0,
    )
    assert store.get("crm/é x") == updated
    assert store.update("nobody", "https://c.example/", ()) is None


def test_webhooks_are_listed_and_deleted(store: WebhookStore) -> None:
    for name in ("a", "b", "c"):
        store.create(hook(name))

    assert store.delete("b") is True
    assert store.delete("b") is False

    assert sorted(webhook.name for webhook in store.all()) == ["a", "c"]
    assert store.get("b") is None


def test_concurrent_creates_of_one_name_create_it_once(store: WebhookStore) -> None:
    with ThreadPoolExecutor(4) as pool:
        created = list(pool.map(lambda _: store.create(hook("crm")), range(8)))

    assert created.count(True) == 1


def test_failures_are_kept_once_each_and_listed_newest_first_in_pages(
    store: WebhookStore,
) -> None:
    webhook = hook("crm")
    store.create(webhook)
    for n in range(7):
        store.record_failure(webhook, failure(n))
    store.record_failure(webhook, failure(3))  # the same delivery again

    seen: list[Failure] = []
    before: str | None = None
    while True:
        page = store.failures(webhook, 3, before)
        seen += page.failures
        if page.next_before is None:
            break
        before = page.next_before

    assert seen == [failure(n) for n in reversed(range(7))]


def test_a_webhook_registered_again_starts_without_failures(store: WebhookStore) -> None:
    old = hook("crm")
    store.create(old)
    store.record_failure(old, failure(1))
    store.delete("crm")
    new = hook("crm")
    store.create(new)

    assert store.failures(new, 10, None).failures == []
    assert store.failures(old, 10, None).failures == [failure(1)]
