"""The work after a chat request, as queue-triggered functions (a Blueprint) on Azure
Storage queues: the connection is ``DOCCHAT_QUEUE``, and host.json makes message bodies
plain JSON text.

- ``process_outbox`` (queue ``docchat-outbox``): one message per committed write batch;
  makes its notifications, sends them live and hands its events to the webhooks
  (:meth:`chat.app.outbox.OutboxService.process`).
- ``deliver_webhook`` (queue ``docchat-webhooks``): one try of one event's delivery to one
  webhook (:meth:`chat.app.webhooks.WebhookService.deliver`). A failed try is not an
  error: the use case puts the next try on the queue itself, hidden for the schedule's
  delay.

Each runs on whichever instance the queue hands a message to, with the Functions host's
retries behind it: an invocation that fails (the store, the queue or the real-time service
down) leaves its message for another try, and after ``maxDequeueCount`` tries (host.json)
the host moves it to ``<queue>-poison``. What they make is keyed by ids derived from what
it is about, so a try that failed half-way is simply made again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import azure.functions as func

from chat.app.realtime import Realtime  # at run time: the worker reads the annotations
from functions.edge import with_context, with_trigger_realtime
from realtime.backend import Backend
from shared import signals
from storage.queues import OUTBOX_QUEUE, QUEUE_SETTING, WEBHOOKS_QUEUE

if TYPE_CHECKING:
    from chat.app.outbox import OutboxService
    from chat.app.webhooks import WebhookService

__all__ = ["outbox_message", "work"]


def work(
    outbox: Callable[[Realtime], OutboxService],
    webhooks: Callable[[], WebhookService],
    backend: Backend,
) -> func.Blueprint:
    """The queue-triggered functions, each doing its work through the use case its factory
    builds (``outbox`` for the invocation's real-time seam)."""
    # azure-functions leaves Blueprint's constructor unannotated.
    blueprint = func.Blueprint()  # type: ignore[no-untyped-call]

    @blueprint.function_name("process_outbox")
    @blueprint.queue_trigger(arg_name="message", queue_name=OUTBOX_QUEUE, connection=QUEUE_SETTING)
    @with_trigger_realtime(blueprint, backend)
    def process_outbox(message: func.QueueMessage, realtime: Realtime) -> None:
        document_id, outbox_id, trace = outbox_message(message.get_body())
        with signals.invocation("process_outbox", "queue", trace) as call:
            retries = _retries(message)
            call.annotate({"retries": retries, "document_id": document_id})
            outcome = "done" if outbox(realtime).process(document_id, outbox_id) else "none"
            signals.count("docchat.outbox.batches", outcome=outcome, retries=retries)

    @blueprint.function_name("deliver_webhook")
    @blueprint.queue_trigger(
        arg_name="message", queue_name=WEBHOOKS_QUEUE, connection=QUEUE_SETTING
    )
    @with_context
    def deliver_webhook(message: func.QueueMessage) -> None:
        body = json.loads(message.get_body())
        with signals.invocation("deliver_webhook", "queue", signals.carried(body)) as call:
            retries = _retries(message)
            call.annotate({"retries": retries})
            outcome = webhooks().deliver(body).value
            call.annotate({"outcome": outcome})
            signals.count("docchat.webhook.deliveries", outcome=outcome, retries=retries)

    return blueprint


def _retries(message: func.QueueMessage) -> int:
    """How many tries of this message failed before this one (the host's dequeue count)."""
    return max(0, (message.dequeue_count or 1) - 1)


def outbox_message(body: bytes) -> tuple[str, str, dict[str, str]]:
    """The document and outbox ids an outbox queue message names, and the W3C trace
    context of the write that committed it (``traceparent``, ``tracestate``; none when that
    write was not traced). Only docchat puts messages there; anything else is a bug, which
    fails the invocation (and, tried again in vain, ends in the poison queue)."""
    parsed: Any = json.loads(body)
    document_id, outbox_id = parsed["documentId"], parsed["outboxId"]
    if not isinstance(document_id, str) or not isinstance(outbox_id, str):
        raise ValueError("an outbox message names its document and outbox by string ids")
    return document_id, outbox_id, signals.carried(parsed)
