"""The work after a commit, as queue-triggered functions (a Blueprint).

- ``process_outbox`` (queue ``docchat-outbox``): one message per committed write batch;
  makes its notifications, sends them live and hands its events to the webhooks
  (:class:`chat.app.outbox.OutboxService`).

Each runs on whichever instance the queue hands a message to, with the Functions host's
retries behind it: an invocation that fails leaves its message for another try, and after
``maxDequeueCount`` tries (host.json) the host moves it to ``<queue>-poison``. Everything
they do is idempotent by id, so a try that failed half-way is simply made again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import azure.functions as func

from functions.edge import with_trigger_realtime
from realtime.backend import Backend
from storage.queues import OUTBOX_QUEUE, QUEUE_SETTING

if TYPE_CHECKING:
    from chat.app.outbox import OutboxService
    from chat.app.realtime import Realtime

__all__ = ["outbox_message", "work"]


def work(outbox: Callable[[Realtime], OutboxService], backend: Backend) -> func.Blueprint:
    """The queue-triggered functions, each carrying out its work through the use case its
    factory builds for the invocation."""
    # azure-functions leaves Blueprint's constructor unannotated.
    blueprint = func.Blueprint()  # type: ignore[no-untyped-call]

    @blueprint.function_name("process_outbox")
    @blueprint.queue_trigger(arg_name="message", queue_name=OUTBOX_QUEUE, connection=QUEUE_SETTING)
    @with_trigger_realtime(blueprint, backend)
    def process_outbox(message: func.QueueMessage, realtime: Realtime) -> None:
        document_id, outbox_id = outbox_message(message.get_body())
        outbox(realtime).process(document_id, outbox_id)

    return blueprint


def outbox_message(body: bytes) -> tuple[str, str]:
    """The document and outbox ids an outbox queue message names. Only docchat puts
    messages there; anything else is a bug, which fails the invocation (and, tried again
    in vain, ends in the poison queue)."""
    parsed: Any = json.loads(body)
    document_id, outbox_id = parsed["documentId"], parsed["outboxId"]
    if not isinstance(document_id, str) or not isinstance(outbox_id, str):
        raise ValueError("an outbox message names its document and outbox by string ids")
    return document_id, outbox_id
