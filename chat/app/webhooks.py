"""Webhooks for backend services: the registry, fan-out of events to the
``docchat-webhooks`` queue, and one delivery try per queue message.

**Fan-out.** :meth:`WebhookService.enqueue` puts one message per subscribed webhook, so a
slow or dead receiver delays nobody: each try is its own queue message and invocation of
the ``deliver_webhook`` trigger, never part of a chat request. The message names the
webhook and its incarnation, never its secret; the secret is read at delivery.

**A try** (:meth:`WebhookService.deliver`) reads the webhook (gone, or registered again
since: the try is dropped), resolves its host and checks every address again (a host that
resolved to a public address at registration may not now), and posts the signed payload to
the address it checked (:class:`Network`). A 2xx ends it. Anything else puts the next try
on the queue, hidden for the schedule's next delay (with jitter); after the last, the
failure is recorded for ``GET service/webhooks/{name}/failures``. Every try of one event's
delivery to one webhook carries the same ``webhook-id``.

Ports: :class:`WebhookStore` (where webhooks and failures are kept; Cosmos DB in
:mod:`storage.cosmos.webhooks`), :class:`Network` (resolving and posting; httpx in
:mod:`webhooks.network`) and :class:`chat.app.queues.WorkQueue`.
"""

from __future__ import annotations

import enum
import ipaddress
import json
import logging
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from chat.app.queues import WorkQueue
from chat.domain.errors import (
    InvalidRequest,
    UnsafeWebhookUrl,
    WebhookNotFound,
    WebhooksNotEnabled,
)
from chat.domain.webhooks import (
    EVENT_TYPES,
    Address,
    Failure,
    Webhook,
    address_problem,
    delivery_id,
    jittered,
    new_incarnation,
    new_secret,
    url_problem,
    webhook_name_problem,
)
from shared import signals

__all__ = [
    "Answer",
    "FailurePage",
    "Network",
    "Outcome",
    "Outgoing",
    "Registered",
    "WebhookService",
    "WebhookStore",
]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailurePage:
    """A page of a webhook's failures, newest first, and the key of its last when more
    follow (:func:`chat.domain.webhooks.failure_key`)."""

    failures: list[Failure]
    next_before: str | None


class WebhookStore(Protocol):
    """Registered webhooks, by name, and the deliveries to each that exhausted the
    schedule."""

    def create(self, webhook: Webhook) -> bool:
        """Store ``webhook`` unless its name is taken; False (storing nothing) if it is."""
        ...

    def update(self, name: str, url: str, events: tuple[str, ...]) -> Webhook | None:
        """Give the webhook a new url and events, keeping its secret and incarnation; None
        if there is none of that name."""
        ...

    def get(self, name: str) -> Webhook | None:
        """The webhook of that name, if any."""
        ...

    def all(self) -> list[Webhook]:
        """Every webhook."""
        ...

    def delete(self, name: str) -> bool:
        """Remove the webhook; False if there was none."""
        ...

    def record_failure(self, webhook: Webhook, failure: Failure) -> None:
        """Keep ``failure`` of this incarnation of the webhook (again: kept once)."""
        ...

    def failures(self, webhook: Webhook, limit: int, before: str | None) -> FailurePage:
        """Up to ``limit`` failures of this incarnation, newest first, all keyed below
        ``before``."""
        ...


@dataclass(frozen=True)
class Outgoing:
    """One try: the payload to post to ``url``, connecting to ``address`` (checked), signed
    with ``secret`` under ``webhook_id``."""

    url: str
    address: Address
    webhook_id: str
    secret: str = field(repr=False)
    payload: bytes


@dataclass(frozen=True)
class Answer:
    """What a try got: the receiver's status, or why none came."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Network(Protocol):
    """How docchat reaches receivers."""

    def addresses(self, host: str) -> list[Address]:
        """Every address ``host`` resolves to now (none: it does not resolve)."""
        ...

    def send(self, outgoing: Outgoing) -> Answer:
        """Post the signed payload to ``outgoing.address`` (the URL's host in the Host header
        and TLS server name), following no redirect, reading at most 1 KB of the answer,
        within the try's timeout."""
        ...


@dataclass(frozen=True)
class Registered:
    """A webhook put: whether it was created (its secret shown this once) or updated."""

    webhook: Webhook
    created: bool


class Outcome(enum.Enum):
    """What a try came to."""

    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"
    DROPPED = "dropped"


@dataclass(frozen=True)
class _Job:
    """A queue message: one try of one event's delivery to one webhook."""

    webhook: str
    incarnation: str
    webhook_id: str
    event_id: str
    type: str
    payload: dict[str, Any]
    attempt: int
    #: The trace of the work that made the event (W3C fields): every try continues it.
    trace: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {
            **self.trace,
            "webhook": self.webhook,
            "incarnation": self.incarnation,
            "webhookId": self.webhook_id,
            "eventId": self.event_id,
            "type": self.type,
            "payload": self.payload,
            "try": self.attempt,
        }

    @classmethod
    def of(cls, body: Mapping[str, Any]) -> _Job:
        return cls(
            str(body["webhook"]),
            str(body["incarnation"]),
            str(body["webhookId"]),
            str(body["eventId"]),
            str(body["type"]),
            dict(body["payload"]),
            int(body["try"]),
            signals.carried(body),
        )


class WebhookService:
    """Register webhooks, fan events out to them and deliver each try.

    ``queue`` is the ``docchat-webhooks`` queue (None: webhooks are off, the registry
    answers :class:`WebhooksNotEnabled` and :meth:`enqueue` puts nothing); ``dev`` allows
    http and loopback receivers; ``schedule`` the seconds between tries."""

    def __init__(
        self,
        store: WebhookStore,
        queue: WorkQueue | None,
        network: Network,
        *,
        dev: bool,
        schedule: Sequence[float],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        spread: Callable[[], float] = lambda: random.uniform(-1.0, 1.0),  # noqa: S311 (jitter)
    ) -> None:
        self._store = store
        self._queue = queue
        self._network = network
        self._dev = dev
        self._schedule = tuple(schedule)
        self._clock = clock
        self._spread = spread

    def register(self, name: str, url: str, events: Sequence[str]) -> Registered:
        """Create the webhook (with a new secret) or change its url and events."""
        self._enabled()
        _check_name(name)
        chosen = tuple(dict.fromkeys(events))
        unknown = [event for event in chosen if event not in EVENT_TYPES]
        if unknown or not chosen:
            raise InvalidRequest(f"events must be one or more of {', '.join(EVENT_TYPES)}")
        self._check_url(url)
        for _ in range(2):  # deleted between the create and the update: create again
            webhook = Webhook(name, url, chosen, new_secret(), new_incarnation(), self._clock())
            if self._store.create(webhook):
                return Registered(webhook, created=True)
            updated = self._store.update(name, url, chosen)
            if updated is not None:
                return Registered(updated, created=False)
        raise WebhookNotFound(f"webhook {name!r} was deleted while it was put; put it again")

    def webhooks(self) -> list[Webhook]:
        """Every webhook, by name."""
        self._enabled()
        return sorted(self._store.all(), key=lambda webhook: webhook.name)

    def remove(self, name: str) -> None:
        """Delete the webhook; its pending tries are dropped when they come up."""
        self._enabled()
        if not self._store.delete(_check_name(name)):
            raise WebhookNotFound(f"no webhook is named {name!r}")

    def failures(self, name: str, limit: int, before: str | None) -> FailurePage:
        """A page of the webhook's deliveries that exhausted the schedule, newest first."""
        self._enabled()
        webhook = self._store.get(_check_name(name))
        if webhook is None:
            raise WebhookNotFound(f"no webhook is named {name!r}")
        return self._store.failures(webhook, limit, before)

    def enqueue(
        self,
        event_id: str,
        type: str,
        data: Mapping[str, Any],
        *,
        at: datetime | None = None,
        among: Sequence[Webhook] | None = None,
    ) -> int:
        """Put the first try of ``event_id``'s delivery to each webhook subscribed to
        ``type`` (of ``among``, :meth:`webhooks` read once for many events; else the
        registry as it is now) on the queue; answer how many. Again for the same event: the
        same ``webhook-id`` s, so receivers see duplicates as such. Raises
        :class:`~chat.domain.errors.QueueUnavailable` when a put fails (the caller retries
        the whole event)."""
        if type not in EVENT_TYPES:
            raise ValueError(f"{type!r} is not a webhook event")
        if self._queue is None:
            return 0
        timestamp = (at or self._clock()).isoformat().replace("+00:00", "Z")
        payload = {"type": type, "timestamp": timestamp, "data": dict(data)}
        webhooks = self._store.all() if among is None else among
        subscribed = [webhook for webhook in webhooks if type in webhook.events]
        trace = signals.carrier()
        for webhook in subscribed:
            job = _Job(
                webhook.name,
                webhook.incarnation,
                delivery_id(event_id, webhook.name),
                event_id,
                type,
                payload,
                attempt=1,
                trace=trace,
            )
            self._queue.put(job.body())
        return len(subscribed)

    def deliver(self, body: Mapping[str, Any]) -> Outcome:
        """Make the try a queue message describes, and schedule the next or record the
        failure. Raises :class:`~chat.domain.errors.QueueUnavailable` when the next try
        could not be put (the trigger fails, and the host runs this try again)."""
        job = _Job.of(body)
        webhook = self._store.get(job.webhook)
        if webhook is None or webhook.incarnation != job.incarnation:
            _log.info("webhook %s is gone: delivery %s dropped", job.webhook, job.webhook_id)
            return Outcome.DROPPED
        answer = self._try(webhook, job)
        _log.info(
            "webhook %s delivery %s try %d: %s",
            job.webhook,
            job.webhook_id,
            job.attempt,
            answer.status if answer.status is not None else answer.error,
        )
        if answer.ok:
            return Outcome.DELIVERED
        if job.attempt <= len(self._schedule):
            delay = jittered(self._schedule[job.attempt - 1], self._spread())
            next_try = replace(job, attempt=job.attempt + 1)
            self._enabled().put(next_try.body(), hidden_for=delay)
            return Outcome.RETRYING
        failure = Failure(
            job.webhook_id,
            job.event_id,
            job.type,
            answer.status,
            answer.error,
            job.attempt,
            self._clock(),
        )
        self._store.record_failure(webhook, failure)
        return Outcome.FAILED

    def _try(self, webhook: Webhook, job: _Job) -> Answer:
        try:
            address = self._checked_address(webhook.url)
        except UnsafeWebhookUrl as refused:
            return Answer(None, refused.message)
        payload = json.dumps(job.payload, separators=(",", ":"), ensure_ascii=False).encode()
        outgoing = Outgoing(webhook.url, address, job.webhook_id, webhook.secret, payload)
        return self._network.send(outgoing)

    def _check_url(self, url: str) -> None:
        problem = url_problem(url, dev=self._dev)
        if problem:
            raise UnsafeWebhookUrl(f"url {problem}")
        self._checked_address(url)

    def _checked_address(self, url: str) -> Address:
        """The address to deliver to ``url`` at: its host's first address, if none of them
        is one docchat must not reach."""
        host = urlsplit(url).hostname or ""
        try:
            addresses: list[Address] = [ipaddress.ip_address(host)]
        except ValueError:
            addresses = self._network.addresses(host)
        if not addresses:
            raise UnsafeWebhookUrl(f"url's host {host!r} does not resolve")
        for address in addresses:
            problem = address_problem(address, dev=self._dev)
            if problem:
                raise UnsafeWebhookUrl(f"url's host {host!r} resolves to {problem}")
        return addresses[0]

    def _enabled(self) -> WorkQueue:
        if self._queue is None:
            raise WebhooksNotEnabled(
                "webhooks need a work queue: set DOCCHAT_QUEUE (see docs/deploy.md)"
            )
        return self._queue


def _check_name(name: str) -> str:
    problem = webhook_name_problem(name)
    if problem:
        raise InvalidRequest(f"name {problem}")
    return name
