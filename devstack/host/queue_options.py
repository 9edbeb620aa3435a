"""host.json's ``extensions.queues``: how the queue trigger polls, how many messages it runs
at once, and what it does with a failure, read as the Storage Queues extension reads them.

The defaults and checks are QueuesOptions' (azure-sdk-for-net
sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Common/src/Shared/Queues/QueuesOptions.cs):
``batchSize`` 16 (1 to 32), ``newBatchThreshold`` ``batchSize / 2 * processorCount`` unless
set (0 or more), ``maxPollingInterval`` one minute (at least 100 ms,
QueuePollingIntervals.cs), ``visibilityTimeout`` zero, ``maxDequeueCount`` 5 (at least 1),
``messageEncoding`` ``base64`` (or ``none``). The processor count is the machine's, as
SkuUtility gives it outside the old Consumption plan (``WEBSITE_SKU=Dynamic``: 1). Times are
.NET TimeSpans (``hh:mm:ss[.fff]`` or ``d.hh:mm:ss``); names and enum values ignore case,
as the host's configuration binding does.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.host.settings import SettingsError

__all__ = ["BASE64", "NONE", "QueueOptions", "read_queue_options"]

BASE64, NONE = "base64", "none"
MAX_BATCH_SIZE = 32
MIN_POLLING_SECONDS = 0.1
_TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,7}))?")


@dataclass(frozen=True)
class QueueOptions:
    """The queue trigger's options; times in seconds."""

    batch_size: int = 16
    #: None: ``batch_size // 2 * processor count``, as QueuesOptions computes it.
    new_batch_threshold: int | None = None
    max_polling_interval: float = 60.0
    visibility_timeout: float = 0.0
    max_dequeue_count: int = 5
    message_encoding: str = BASE64

    def threshold(self, environ: Mapping[str, str] = os.environ) -> int:
        """The new batch threshold in force on this machine."""
        if self.new_batch_threshold is not None:
            return self.new_batch_threshold
        dynamic = environ.get("WEBSITE_SKU", "").lower() == "dynamic"
        return self.batch_size // 2 * (1 if dynamic else os.cpu_count() or 1)


def read_queue_options(path: Path) -> QueueOptions:
    """The ``extensions.queues`` of host.json at ``path``; defaults without the file or the
    section; :class:`SettingsError` naming the value when one is out of range."""
    if not path.exists():
        return QueueOptions()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SettingsError(f"{path} is not readable JSON: {error}") from None
    section = _lower_keys(
        _lower_keys(_lower_keys(document).get("extensions", {})).get("queues", {})
    )
    try:
        return _options(section)
    except (TypeError, ValueError) as error:
        raise SettingsError(f"{path}: extensions.queues: {error}") from None


def _options(section: Mapping[str, Any]) -> QueueOptions:
    defaults = QueueOptions()
    options = QueueOptions(
        batch_size=int(section.get("batchsize", defaults.batch_size)),
        new_batch_threshold=_optional_int(section.get("newbatchthreshold")),
        max_polling_interval=_seconds(section.get("maxpollinginterval"), 60.0),
        visibility_timeout=_seconds(section.get("visibilitytimeout"), 0.0),
        max_dequeue_count=int(section.get("maxdequeuecount", defaults.max_dequeue_count)),
        message_encoding=str(section.get("messageencoding", BASE64)).lower(),
    )
    if not 1 <= options.batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batchSize must be 1 to {MAX_BATCH_SIZE}, got {options.batch_size}")
    if options.new_batch_threshold is not None and options.new_batch_threshold < 0:
        raise ValueError("newBatchThreshold must not be negative")
    if options.max_polling_interval < MIN_POLLING_SECONDS:
        raise ValueError("maxPollingInterval must not be less than 00:00:00.1")
    if options.max_dequeue_count < 1:
        raise ValueError("maxDequeueCount must not be less than 1")
    if options.message_encoding not in (BASE64, NONE):
        raise ValueError(f"messageEncoding must be base64 or none, got {options.message_encoding}")
    return options


def _lower_keys(value: object) -> dict[str, Any]:
    return (
        {str(key).lower(): item for key, item in value.items()} if isinstance(value, dict) else {}
    )


def _optional_int(value: object) -> int | None:
    return None if value is None else int(str(value))


def _seconds(value: object, default: float) -> float:
    """A .NET TimeSpan string in seconds."""
    if value is None:
        return default
    match = _TIMESPAN.fullmatch(str(value).strip())
    if match is None:
        raise ValueError(f"{value!r} is not a TimeSpan such as 00:00:30")
    days, hours, minutes, seconds, fraction = match.groups()
    whole = int(days or 0) * 86_400 + int(hours) * 3_600 + int(minutes) * 60 + int(seconds)
    return whole + (float(f"0.{fraction}") if fraction else 0.0)
