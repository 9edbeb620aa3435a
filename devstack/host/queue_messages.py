"""What a ``queueTrigger`` function receives for one queue message, and what binding
expressions may read of it.

- The value: for a parameter annotated ``str`` or ``bytes`` the body as such (the worker's
  generic decoding); otherwise a ``func.QueueMessage`` made by the azure-functions library's
  own converter (``azure/functions/queue.py``, QueueMessageInConverter.decode) from the
  body and the trigger metadata, typed as the host sends them
  (GrpcMessageConversionExtensions.ToRpc: ``DequeueCount`` a number, the times JSON
  strings of .NET ``DateTimeOffset``, ``Id`` and ``PopReceipt`` strings).
- The binding data: the extension's contract (azure-sdk-for-net
  sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Queues/src/Triggers/QueueTriggerBinding.cs,
  CreateBindingData): ``QueueTrigger`` (the body, when it is text), ``DequeueCount``,
  ``ExpirationTime``, ``Id``, ``InsertionTime``, ``NextVisibleTime``, ``PopReceipt``; and
  for a JSON object body its top-level properties that are neither objects, arrays nor null
  (what an output binding's ``{userId}`` reads), the built-in names winning a clash.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
from azure.functions.meta import Datum
from azure.functions.queue import QueueMessageInConverter

from devstack.host.expressions import BindingData
from devstack.host.trigger_data import json_properties

__all__ = ["Received", "binding_data", "trigger_value"]


@dataclass(frozen=True)
class Received:
    """One dequeued message: its decoded body and what the queue service said of it."""

    id: str
    body: bytes
    dequeue_count: int
    inserted_on: datetime | None
    expires_on: datetime | None
    next_visible_on: datetime | None
    pop_receipt: str

    @property
    def text(self) -> str | None:
        """The body as UTF-8 text; None when it is not (the extension's TryGetAsString)."""
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            return None


def trigger_value(message: Received, annotation: object) -> object:
    """The trigger parameter's value for a parameter annotated ``annotation``."""
    if annotation is bytes:
        return message.body
    if annotation is str:
        return message.text if message.text is not None else message.body
    value = message.text
    datum = Datum(value, "string") if value is not None else Datum(message.body, "bytes")
    converted: func.QueueMessage = QueueMessageInConverter.decode(
        datum, trigger_metadata=_metadata(message)
    )
    return converted


def binding_data(message: Received) -> BindingData:
    """What binding expressions of this invocation may read (names ignore case)."""
    built_in = {
        "DequeueCount": str(message.dequeue_count),
        "Id": message.id,
        "PopReceipt": message.pop_receipt,
        **_times(message),
    }
    text = message.text
    if text is not None:
        built_in["QueueTrigger"] = text
    names = {name.lower() for name in built_in}
    from_body = {
        name: value
        for name, value in (json_properties(text) if text is not None else {}).items()
        if name.lower() not in names
    }
    return BindingData.of_names({**from_body, **built_in})


def _metadata(message: Received) -> Mapping[str, Datum]:
    metadata: dict[str, Any] = {
        "Id": Datum(message.id, "string"),
        "PopReceipt": Datum(message.pop_receipt, "string"),
        "DequeueCount": Datum(message.dequeue_count, "int"),
    }
    for name, when in _times(message).items():
        metadata[name] = Datum(json.dumps(when), "json")
    return metadata


def _times(message: Received) -> dict[str, str]:
    """The message's times with the extension's defaults for a missing one (CreateBindingData:
    ``DateTimeOffset.MaxValue``, the insertion time ``UtcNow``)."""
    return {
        "ExpirationTime": _when(message.expires_on),
        "InsertionTime": _when(message.inserted_on or datetime.now(UTC)),
        "NextVisibleTime": _when(message.next_visible_on),
    }


def _when(when: datetime | None) -> str:
    """A time as Newtonsoft writes a UTC ``DateTimeOffset`` (the service gives whole
    seconds); None is ``DateTimeOffset.MaxValue``."""
    if when is None:
        return "9999-12-31T23:59:59.9999999+00:00"
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
