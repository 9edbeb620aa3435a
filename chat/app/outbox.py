"""The work a committed write leaves: notifications, their live sends, webhook events.

**Why an outbox and a queue.** A message that should notify someone must do so once, even
if the instance that stored it dies the moment after. So the store writes what happened
(:class:`~chat.domain.happenings.Happening`) in the same atomic write as the messages: an
outbox item beside them, which exists exactly when they do. A queue message names it
(``docchat-outbox``): put before the write, hidden until the write surely has its outcome,
revealed at once after a commit (see :mod:`storage.cosmos.store`). Its consumer
(``process_outbox`` in :mod:`functions.work`, a queue trigger) runs :meth:`OutboxService.process`
on whichever instance the queue hands it to, with the queue's retries behind it.

**Exactly once, by ids.** Processing may run more than once for one outbox (a retry after a
failure, a message revealed twice): everything it makes has an id derived from what it is
about, so doing it again makes nothing new. A notification's id comes from its message and
recipient (the inbox keeps it once); a webhook event's from the happening's id (receivers
see the same ``webhook-id``); a live ``notification`` event carries the notification, which
clients keep by id. The outbox item is deleted last: until then a retry finds it all again.

A happening whose message is gone (expired under the messages' TTL) tells nothing.
"""

from __future__ import annotations

import logging
from typing import Protocol

from chat.app.notifications import NotificationService
from chat.app.realtime import Realtime
from chat.app.store import MessageStore
from chat.app.webhooks import WebhookService
from chat.domain.happenings import MESSAGE_CREATED, Happening
from chat.domain.messages import RESERVED_ID_PREFIX
from chat.domain.webhooks import Webhook
from shared import signals

__all__ = [
    "NOTIFICATION",
    "NOTIFICATION_CREATED",
    "OUTBOX_ID_PREFIX",
    "Outbox",
    "OutboxService",
]

#: How each outbox item's id starts: docchat's own items' prefix, never a message's.
OUTBOX_ID_PREFIX = f"{RESERVED_ID_PREFIX}outbox."
#: The live event a recipient's connections get, with the notification as its one argument.
NOTIFICATION = "notification"
#: The webhook event type of a new notification.
NOTIFICATION_CREATED = "notification.created"

_log = logging.getLogger(__name__)


class Outbox(Protocol):
    """The outbox items the store wrote beside committed writes."""

    def pending(self, document_id: str, outbox_id: str) -> list[Happening] | None:
        """The outbox's happenings in the order they were written, or None when there is
        no such item (its write never committed, or it was settled)."""
        ...

    def settle(self, document_id: str, outbox_id: str) -> None:
        """Delete the outbox item: its work is done. One already gone is fine."""
        ...


class OutboxService:
    """Carries out what an outbox item lists (see the module)."""

    def __init__(
        self,
        outbox: Outbox,
        store: MessageStore,
        notifications: NotificationService,
        webhooks: WebhookService,
        realtime: Realtime,
    ) -> None:
        self._outbox = outbox
        self._store = store
        self._notifications = notifications
        self._webhooks = webhooks
        self._realtime = realtime

    def process(self, document_id: str, outbox_id: str) -> int:
        """Do the outbox's work and settle it; how many happenings it listed (0: no such
        outbox, which is nothing to do). Any failure propagates, for the queue to retry."""
        happenings = self._outbox.pending(document_id, outbox_id)
        if happenings is None:
            return 0
        webhooks = self._webhooks.webhooks()  # one registry read for the whole outbox
        for happening in happenings:
            self._carry_out(happening, webhooks)
        self._outbox.settle(document_id, outbox_id)
        return len(happenings)

    def _carry_out(self, happening: Happening, webhooks: list[Webhook]) -> None:
        message = self._store.get(happening.document_id, happening.message_id)
        if message is None:
            _log.info("a happening's message is gone; nothing to tell")
            return
        root = None
        if happening.kind == MESSAGE_CREATED and message.thread_id is not None:
            # Only a new reply notifies its thread (chat.domain.notifications.recipients).
            root = self._store.get(happening.document_id, message.thread_id)
        self._webhooks.enqueue(happening.id, happening.kind, message.to_json(), among=webhooks)
        for notification in self._notifications.notify(happening, message, root):
            item = notification.to_json()
            self._realtime.send_to_user(notification.user_id, NOTIFICATION, item)
            self._webhooks.enqueue(notification.id, NOTIFICATION_CREATED, item, among=webhooks)
            signals.count("docchat.notifications", kind=happening.kind)
