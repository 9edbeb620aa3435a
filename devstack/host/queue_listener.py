"""Run ``queueTrigger`` functions from an Azure Storage queue (Azurite locally), as the
Storage Queues extension's listener does (azure-sdk-for-net
sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Common/src/Shared/Queues/: QueueListener.cs,
QueueProcessor.cs, QueuesOptions.cs; Timers/RandomizedExponentialBackoffStrategy.cs):

- **Polling.** Each function's listener asks whether its queue exists until it does, then
  takes up to ``batchSize`` messages at once, each hidden for 10 minutes while it runs. An
  empty queue, a missing one or a service error backs off: 100 ms, then growing about
  twice each time (±20 % at random) up to ``maxPollingInterval``; a batch with a message
  resets it. After a batch it polls again at once unless more than ``newBatchThreshold``
  messages are still running, then as soon as one ends.
- **Each message.** One whose ``dequeueCount`` is already over ``maxDequeueCount`` goes to
  the poison queue unrun. A success deletes it. A failure with ``dequeueCount`` below
  ``maxDequeueCount`` makes it visible again after ``visibilityTimeout``; at
  ``maxDequeueCount`` it is copied to ``<queue>-poison`` (created if missing) and deleted. A
  queue whose name cannot take the suffix (it ends in ``-poison`` or has 57+ characters)
  has no poison queue: a failed message is left hidden (QueueListenerFactory). A message
  that moved on meanwhile (a pop receipt mismatch, the message or queue gone) is left alone.
- **Encoding.** ``messageEncoding`` ``base64`` decodes each body; one that is not Base64 is
  moved to the poison queue at once, as the extension's MessageDecodingFailed handler does
  (QueueServiceClientProvider). ``none`` passes the text as it is.

The function is invoked as every other trigger's (:class:`~devstack.host.invocation.Invoker`),
so its output bindings (signalR, webPubSub) are carried out as for an HTTP function.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import random
import typing
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueMessage
from azure.storage.queue.aio import QueueClient, QueueServiceClient

from devstack.host.concurrency import sync_thread_count
from devstack.host.expressions import BindingExpressionError, resolve_app_settings
from devstack.host.indexing import TriggerFunction
from devstack.host.invocation import InvocationError, Invoker
from devstack.host.logs import new_request_id
from devstack.host.queue_messages import Received, binding_data, trigger_value
from devstack.host.queue_options import BASE64, QueueOptions

__all__ = [
    "HIDDEN_WHILE_RUNNING",
    "POISON_SUFFIX",
    "Backoff",
    "QueueListeners",
    "QueueTrigger",
    "queue_triggers",
]

logger = logging.getLogger("devstack.host")

#: The connection setting when the trigger names none (the extension's default account).
DEFAULT_CONNECTION = "AzureWebJobsStorage"
POISON_SUFFIX = "-poison"
#: How long a taken message stays hidden while its function runs (QueueListener: 10 min).
HIDDEN_WHILE_RUNNING = 600
MIN_POLLING_SECONDS = 0.1
#: Azure's limits on queue names: 3 to 63 lower-case letters, digits and single hyphens.
_MAX_QUEUE_NAME = 63
#: Service answers that mean a message or queue moved on (QueueProcessor's checks).
_MOVED_ON = frozenset(
    {"PopReceiptMismatch", "MessageNotFound", "QueueNotFound", "QueueBeingDeleted", "QueueDisabled"}
)


@dataclass(frozen=True)
class QueueTrigger:
    """A ``queueTrigger`` function, its queue and connection resolved."""

    function: TriggerFunction
    queue_name: str
    connection_setting: str
    #: The trigger parameter's annotation (``str``, ``bytes``, ``func.QueueMessage``, or None).
    annotation: object

    @property
    def poison_queue_name(self) -> str | None:
        """``<queue>-poison``, unless the name cannot take the suffix."""
        name = self.queue_name + POISON_SUFFIX
        if self.queue_name.endswith(POISON_SUFFIX) or len(name) > _MAX_QUEUE_NAME:
            return None
        return name


def queue_triggers(
    functions: Iterable[TriggerFunction], settings: Mapping[str, str]
) -> tuple[list[QueueTrigger], dict[str, str]]:
    """The runnable queue triggers, and for each function that cannot run, why (the host
    marks such a function in error and runs the others)."""
    runnable: list[QueueTrigger] = []
    in_error: dict[str, str] = {}
    for function in functions:
        try:
            runnable.append(_trigger(function, settings))
        except (ValueError, BindingExpressionError) as error:
            in_error[function.name] = str(error)
    return runnable, in_error


def _trigger(function: TriggerFunction, settings: Mapping[str, str]) -> QueueTrigger:
    setting = str(function.trigger.get("connection") or DEFAULT_CONNECTION)
    if connection_string(setting, settings) is None:
        raise ValueError(
            f"Storage account connection string '{setting}' does not exist (the dev host "
            "reads a connection string only, not identity-based settings)"
        )
    # QueueTriggerAttributeBindingProvider: the name is resolved, lower-cased, then checked.
    name = resolve_app_settings(str(function.trigger.get("queueName") or ""), settings).lower()
    if not 3 <= len(name) <= _MAX_QUEUE_NAME or not _valid_queue_name(name):
        raise ValueError(f"the queue name {name!r} is not valid for a storage queue")
    hints = typing.get_type_hints(function.user_function)
    return QueueTrigger(function, name, setting, hints.get(function.trigger_param))


def connection_string(setting: str, settings: Mapping[str, str]) -> str | None:
    """The connection string ``setting`` names, as the host looks it up (the name, then
    ``AzureWebJobs<name>``)."""
    return settings.get(setting) or settings.get(f"AzureWebJobs{setting}") or None


def _valid_queue_name(name: str) -> bool:
    parts = name.split("-")
    return all(part and part.isascii() and part.isalnum() for part in parts)


class Backoff:
    """RandomizedExponentialBackoffStrategy: the minimum after a success, else the minimum
    plus a random 0.8 to 1.2 times ``minimum * 2^(n-1)``, capped at the maximum."""

    def __init__(self, maximum: float, rng: random.Random | None = None) -> None:
        self.minimum = MIN_POLLING_SECONDS
        self.maximum = max(maximum, self.minimum)
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._current = 0.0
        self._exponent = 0

    def next_delay(self, *, succeeded: bool) -> float:
        if succeeded:
            self._current, self._exponent = self.minimum, 1
        elif self._current != self.maximum:
            interval = self.minimum
            if self._exponent > 0:
                factor = self._rng.uniform(0.8, 1.2)
                interval += factor * 2 ** (self._exponent - 1) * self.minimum
            if interval < self.maximum:
                self._current, self._exponent = interval, self._exponent + 1
            else:
                self._current = self.maximum
        return self._current


class QueueListeners:
    """One listener per queue trigger, started and stopped with the dev host."""

    def __init__(
        self,
        triggers: Iterable[QueueTrigger],
        invoker: Invoker,
        options: QueueOptions,
        settings: Mapping[str, str],
    ) -> None:
        self._triggers = list(triggers)
        self._invoker = invoker
        self._options = options
        self._settings = settings
        self._services: list[QueueServiceClient] = []
        self._listeners: list[_Listener] = []
        self._executors: list[ThreadPoolExecutor] = []

    async def start(self) -> None:
        services: dict[str, QueueServiceClient] = {}
        for trigger in self._triggers:
            text = connection_string(trigger.connection_setting, self._settings)
            assert text is not None  # queue_triggers kept only triggers with a connection
            if text not in services:
                services[text] = QueueServiceClient.from_connection_string(text)
            # A worker's threads of its own: on Flex Consumption a queue-triggered function
            # scales on instances of its own, apart from the HTTP functions' (Azure docs,
            # flex-consumption-plan.md, "Per-function scaling"), so a stuck invocation of
            # it never holds a thread an HTTP request needs.
            executor = ThreadPoolExecutor(
                max_workers=sync_thread_count(self._settings),
                thread_name_prefix=f"queue-{trigger.function.name}",
            )
            self._executors.append(executor)
            invoker = self._invoker.on(executor)
            listener = _Listener(trigger, services[text], invoker, self._options)
            listener.start()
            self._listeners.append(listener)
        self._services = list(services.values())

    async def stop(self) -> None:
        await asyncio.gather(*(listener.stop() for listener in self._listeners))
        for service in self._services:
            await service.close()
        for executor in self._executors:
            executor.shutdown(wait=False, cancel_futures=True)


class _Listener:
    """Polls one queue for one function (QueueListener) and settles each message
    (QueueProcessor)."""

    def __init__(
        self,
        trigger: QueueTrigger,
        service: QueueServiceClient,
        invoker: Invoker,
        options: QueueOptions,
    ) -> None:
        self._trigger = trigger
        # Bodies are read and copied as the service holds them; Base64 is decoded here.
        self._queue = service.get_queue_client(
            trigger.queue_name, message_encode_policy=None, message_decode_policy=None
        )
        poison = trigger.poison_queue_name
        self._poison = None if poison is None else service.get_queue_client(poison)
        self._invoker = invoker
        self._options = options
        self._threshold = options.threshold()
        self._backoff = Backoff(options.max_polling_interval)
        self._processing: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._poller = asyncio.create_task(self._poll_forever())

    async def stop(self) -> None:
        """Stop polling and let what runs finish, as the listener's StopAsync waits for it."""
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        if self._processing:
            await asyncio.wait(self._processing)

    async def _poll_forever(self) -> None:
        exists = False
        found_since_delay = False
        while True:
            try:
                exists = exists or await self._exists()
                batch = await self._receive() if exists else []
            except Exception as error:  # the listener outlives any one failed poll
                # Any error resets the existence check (QueueListener.ExecuteAsync).
                exists = False
                batch = []
                logger.warning("queue %s: %s", self._trigger.queue_name, _reason(error))
            if not batch:
                delay = self._backoff.next_delay(succeeded=found_since_delay)
                found_since_delay = False
                await asyncio.sleep(delay)
                continue
            found_since_delay = True
            for message in batch:
                task = asyncio.create_task(self._process(message))
                self._processing.add(task)
                task.add_done_callback(self._processing.discard)
            while len(self._processing) > self._threshold:
                await asyncio.wait(self._processing, return_when=asyncio.FIRST_COMPLETED)

    async def _exists(self) -> bool:
        try:
            await self._queue.get_queue_properties()
        except ResourceNotFoundError:
            return False
        return True

    async def _receive(self) -> list[QueueMessage]:
        pages = self._queue.receive_messages(
            messages_per_page=self._options.batch_size, visibility_timeout=HIDDEN_WHILE_RUNNING
        ).by_page()
        async for page in pages:
            return [message async for message in page]
        return []

    async def _process(self, message: QueueMessage) -> None:
        """Run the function for one message and settle it; nothing escapes (the extension
        reports such an error and goes on)."""
        new_request_id()
        try:
            await self._settle(message)
        except Exception:
            logger.exception(
                "queue %s: message %s not settled", self._trigger.queue_name, message.id
            )

    async def _settle(self, message: QueueMessage) -> None:
        count = message.dequeue_count or 0
        if count > self._options.max_dequeue_count:
            await self._to_poison(message)
            return
        body = self._body(message)
        if body is None:
            logger.warning(
                "Message decoding has failed! Check MessageEncoding settings. MessageId=%s.",
                message.id,
            )
            await self._to_poison(message)
            return
        received = Received(
            id=message.id,
            body=body,
            dequeue_count=count,
            inserted_on=message.inserted_on,
            expires_on=message.expires_on,
            next_visible_on=message.next_visible_on,
            pop_receipt=message.pop_receipt or "",
        )
        if await self._succeeds(received):
            await self._moved_on_is_fine(
                self._queue.delete_message(message.id, message.pop_receipt)
            )
        elif self._poison is None:
            pass  # no poison queue: the message stays hidden, so a failure does not loop fast
        elif count >= self._options.max_dequeue_count:
            await self._to_poison(message)
        else:
            await self._moved_on_is_fine(
                self._queue.update_message(
                    message.id,
                    message.pop_receipt,
                    visibility_timeout=round(self._options.visibility_timeout),
                )
            )

    def _body(self, message: QueueMessage) -> bytes | None:
        content = message.content if isinstance(message.content, str) else ""
        if self._options.message_encoding != BASE64:
            return content.encode("utf-8")
        try:
            return base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            return None

    async def _succeeds(self, message: Received) -> bool:
        function = self._trigger.function
        value = trigger_value(message, self._trigger.annotation)
        try:
            await self._invoker.invoke_trigger(function, value, binding_data(message))
        except InvocationError:
            return False
        return True

    async def _to_poison(self, message: QueueMessage) -> None:
        """Copy the message's body to the poison queue (created if missing), then delete it
        (QueueProcessor.HandlePoisonMessageAsync)."""
        if self._poison is None:
            return
        logger.warning(
            "Message has reached MaxDequeueCount of %d. Moving message to queue '%s'.",
            self._options.max_dequeue_count,
            self._trigger.poison_queue_name,
        )
        await _send_creating(self._poison, message.content)
        await self._moved_on_is_fine(self._queue.delete_message(message.id, message.pop_receipt))

    @staticmethod
    async def _moved_on_is_fine(call: typing.Awaitable[object]) -> None:
        try:
            await call
        except HttpResponseError as error:
            if getattr(error, "error_code", None) not in _MOVED_ON:
                raise


async def _send_creating(queue: QueueClient, content: object) -> None:
    """AddMessageAndCreateIfNotExistsAsync: send, and on a missing queue create it first."""
    try:
        await queue.send_message(content)
    except ResourceNotFoundError:
        with contextlib.suppress(ResourceExistsError):
            await queue.create_queue()
        await queue.send_message(content)


def _reason(error: Exception) -> str:
    code = getattr(error, "error_code", None)
    return f"{type(error).__name__} ({code})" if code else type(error).__name__
