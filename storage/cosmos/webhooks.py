"""Backend services' webhooks in Azure Cosmos DB: docchat's own partition ``_webhooks`` of
the one container (a document id never starts with ``_``), so the registry needs no
container of its own, and each webhook read is a point read (~1 RU).

- A webhook: ``{"id": "_webhook:<sha256 of the name>", "documentId": "_webhooks", "name",
  "url", "events", "secret", "incarnation", "createdAt"}``. The secret is kept because every
  delivery is signed with it; it is never logged, and only the registry's creation answer
  shows it. The id is a hash because names may hold characters Cosmos DB refuses in ids.
- A failure: ``{"id": "_whfail:<incarnation>:<failure key>", ..., "ttl"}``: keyed by the
  webhook's incarnation, so one registered again under the same name starts with none, and
  kept :data:`FAILURE_TTL_SECONDS`. Listed newest first, as a range of ids (always indexed).

The listing of webhooks reads at most :data:`MAX_WEBHOOKS`: every event reads it, and a
registry is a handful of backends.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from chat.app.webhooks import FailurePage
from chat.domain.errors import StoreUnavailable
from chat.domain.messages import RESERVED_ID_PREFIX
from chat.domain.webhooks import Failure, Webhook, failure_key
from storage.cosmos.container import CosmosContainer, left, raise_if_container_missing

__all__ = ["FAILURE_TTL_SECONDS", "MAX_WEBHOOKS", "PARTITION", "CosmosWebhooks"]

PARTITION = f"{RESERVED_ID_PREFIX}webhooks"
MAX_WEBHOOKS = 1000
#: A failure is worth looking into for a month; then it goes by itself.
FAILURE_TTL_SECONDS = 30 * 24 * 3600
#: Updates racing each other: each retry reads the winner's item again.
_UPDATE_TRIES = 5
_WEBHOOK = f"{RESERVED_ID_PREFIX}webhook:"
_FAILURE = f"{RESERVED_ID_PREFIX}whfail:"
#: The items whose id is in [@from, @to), in id order either way.
_RANGE = (
    "SELECT * FROM c WHERE c.documentId = @documentId AND c.id >= @from AND c.id < @to"
    " ORDER BY c.id"
)


class CosmosWebhooks:
    """:class:`~chat.app.webhooks.WebhookStore` in the shared container."""

    def __init__(self, container: CosmosContainer) -> None:
        self._container = container

    def create(self, webhook: Webhook) -> bool:
        deadline = self._container.deadline()

        def create(container: ContainerProxy) -> bool:
            try:
                container.create_item(_webhook_item(webhook), timeout=left(deadline))
            except CosmosResourceExistsError:
                return False
            return True

        return self._container.call(create, writing=True)

    def update(self, name: str, url: str, events: tuple[str, ...]) -> Webhook | None:
        """Read, then replace if unchanged since: a webhook deleted and created again in
        between keeps its new secret (the update is made again on the new one)."""
        for _ in range(_UPDATE_TRIES):
            deadline = self._container.deadline()
            item = self._container.read_item(PARTITION, _webhook_id(name), deadline)
            if item is None:
                return None
            changed = {**item, "url": url, "events": list(events)}
            if self._container.call(_replacing(changed, deadline), writing=True):
                return _webhook(changed)
        raise StoreUnavailable("the webhook kept changing while it was updated")

    def get(self, name: str) -> Webhook | None:
        item = self._container.read_item(PARTITION, _webhook_id(name), self._container.deadline())
        return None if item is None else _webhook(item)

    def all(self) -> list[Webhook]:
        bounds: dict[str, object] = {"@from": _WEBHOOK, "@to": _after(_WEBHOOK)}
        return [
            _webhook(item)
            for item in self._container.query(PARTITION, _RANGE, bounds, MAX_WEBHOOKS)
        ]

    def delete(self, name: str) -> bool:
        deadline = self._container.deadline()

        def delete(container: ContainerProxy) -> bool:
            try:
                container.delete_item(
                    _webhook_id(name), partition_key=PARTITION, timeout=left(deadline)
                )
            except CosmosResourceNotFoundError as error:
                raise_if_container_missing(error)
                return False
            return True

        return self._container.call(delete, writing=True)

    def record_failure(self, webhook: Webhook, failure: Failure) -> None:
        deadline = self._container.deadline()
        item = {
            "id": _failures_prefix(webhook) + failure_key(failure),
            "documentId": PARTITION,
            "webhookId": failure.webhook_id,
            "eventId": failure.event_id,
            "type": failure.type,
            "lastStatus": failure.last_status,
            "lastError": failure.last_error,
            "tries": failure.tries,
            "failedAt": failure.failed_at.isoformat(),
            "ttl": FAILURE_TTL_SECONDS,
        }
        self._container.call(
            lambda container: container.upsert_item(item, timeout=left(deadline)), writing=True
        )

    def failures(self, webhook: Webhook, limit: int, before: str | None) -> FailurePage:
        prefix = _failures_prefix(webhook)
        upper = prefix + before if before is not None else _after(prefix)
        bounds: dict[str, object] = {"@from": prefix, "@to": upper}
        query = _RANGE + " DESC"
        items = self._container.query(PARTITION, query, bounds, limit + 1)
        failures = [_failure(item) for item in items[:limit]]
        more = len(items) > limit
        return FailurePage(failures, items[limit - 1]["id"].removeprefix(prefix) if more else None)


def _replacing(item: dict[str, Any], deadline: float) -> Any:
    def replace(container: ContainerProxy) -> bool:
        try:
            container.replace_item(
                item["id"],
                item,
                etag=item["_etag"],
                match_condition=MatchConditions.IfNotModified,
                timeout=left(deadline),
            )
        except (CosmosAccessConditionFailedError, CosmosResourceNotFoundError):
            return False
        return True

    return replace


def _webhook_id(name: str) -> str:
    return _WEBHOOK + hashlib.sha256(name.encode()).hexdigest()


def _failures_prefix(webhook: Webhook) -> str:
    return f"{_FAILURE}{webhook.incarnation}:"


def _after(prefix: str) -> str:
    """The least id above every id that starts with ``prefix`` (which ends in ``:``)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _webhook_item(webhook: Webhook) -> dict[str, Any]:
    return {
        "id": _webhook_id(webhook.name),
        "documentId": PARTITION,
        "name": webhook.name,
        "url": webhook.url,
        "events": list(webhook.events),
        "secret": webhook.secret,
        "incarnation": webhook.incarnation,
        "createdAt": webhook.created_at.isoformat(),
    }


def _webhook(item: dict[str, Any]) -> Webhook:
    return Webhook(
        item["name"],
        item["url"],
        tuple(item["events"]),
        item["secret"],
        item["incarnation"],
        datetime.fromisoformat(item["createdAt"]),
    )


def _failure(item: dict[str, Any]) -> Failure:
    return Failure(
        item["webhookId"],
        item["eventId"],
        item["type"],
        item["lastStatus"],
        item["lastError"],
        item["tries"],
        datetime.fromisoformat(item["failedAt"]),
    )
