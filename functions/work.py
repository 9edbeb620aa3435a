"""The functions that do work after a chat request, taken from Azure Storage queues, as a
Blueprint (the connection is ``DOCCHAT_QUEUE``; host.json makes message bodies plain JSON
text).

- ``deliver_webhook`` (queue ``docchat-webhooks``): one try of one event's delivery to one
  webhook (:meth:`chat.app.webhooks.WebhookService.deliver`). A failed try is not an
  error: the use case puts the next try on the queue itself, hidden for the schedule's
  delay, so the host's own retries (and the poison queue) are left for a try that could
  not finish at all (the store or the queue down): the host runs it again.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import azure.functions as func

from chat.app.webhooks import WebhookService

__all__ = ["QUEUE_CONNECTION", "WEBHOOK_QUEUE", "webhook_work"]

QUEUE_CONNECTION = "DOCCHAT_QUEUE"
WEBHOOK_QUEUE = "docchat-webhooks"


def webhook_work(webhooks: Callable[[], WebhookService]) -> func.Blueprint:
    """``deliver_webhook``, delivering through the use case ``webhooks`` gives."""
    # azure-functions leaves Blueprint's constructor unannotated.
    work = func.Blueprint()  # type: ignore[no-untyped-call]

    @work.function_name("deliver_webhook")
    @work.queue_trigger(arg_name="message", queue_name=WEBHOOK_QUEUE, connection=QUEUE_CONNECTION)
    def deliver_webhook(message: func.QueueMessage) -> None:
        webhooks().deliver(json.loads(message.get_body()))

    return work
