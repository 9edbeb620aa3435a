"""How much one instance runs at once, as in Azure: HTTP invocations and sync threads.

- **HTTP invocations.** Flex Consumption caps the HTTP-triggered invocations one instance
  runs at once (``functionAppConfig.scaleAndConcurrency.triggers.http.perInstanceConcurrency``;
  Azure docs, functions-concurrency.md "HTTP trigger concurrency": 4, 16 or 32 by instance
  size, but **1 for Python apps** at every size unless set). Requests past the cap wait for
  a slot, as Azure holds them until an instance has one. docchat sets the cap in one file,
  ``infra/app/scale.json``: Bicep loads it into the Flex app (``infra/app/api.bicep``) and
  :func:`read_scale` gives the dev host the same number.
- **Sync threads.** The Python worker runs sync functions in a ``ThreadPoolExecutor`` of
  ``PYTHON_THREADPOOL_THREAD_COUNT`` threads; unset, or not an integer of at least 1 (which
  it logs), it passes ``None``, the executor's own default, min(32, CPUs + 4), on Python 3.9
  and later (azure-functions-python-worker azure_functions_worker/dispatcher.py
  ``_get_sync_tp_max_workers``, constants.py). infra/ sets it to the cap, so every admitted
  invocation has a thread; :func:`sync_thread_count` reads it as the worker does, and
  ``python -m devstack.host`` gives it infra/'s value unless the app settings name one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

__all__ = [
    "MAX_HTTP_CONCURRENCY",
    "PYTHON_DEFAULT_HTTP_CONCURRENCY",
    "SCALE_FILE",
    "THREAD_COUNT_SETTING",
    "HttpSlots",
    "default_thread_count",
    "read_scale",
    "sync_thread_count",
]

logger = logging.getLogger("devstack.host")

#: Where, next to the app, infra/ keeps the per-instance HTTP concurrency.
SCALE_FILE = Path("infra/app/scale.json")
#: Azure's default for a Python app that sets no cap.
PYTHON_DEFAULT_HTTP_CONCURRENCY = 1
#: The largest value Flex Consumption takes.
MAX_HTTP_CONCURRENCY = 1000
THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"
_SCALE_KEY = "httpPerInstanceConcurrency"


def read_scale(app_folder: Path) -> int:
    """The per-instance HTTP concurrency infra/ deploys for the app in ``app_folder``, or
    Azure's default for Python when the app has no scale file. ValueError for a bad file."""
    path = app_folder / SCALE_FILE
    if not path.is_file():
        return PYTHON_DEFAULT_HTTP_CONCURRENCY
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get(_SCALE_KEY)
    except (OSError, ValueError, AttributeError) as error:
        raise ValueError(f"{path} is not a readable JSON object: {error}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{path}: {_SCALE_KEY} must be an integer")
    if not 1 <= value <= MAX_HTTP_CONCURRENCY:
        raise ValueError(f"{path}: {_SCALE_KEY} must be from 1 to {MAX_HTTP_CONCURRENCY}")
    return value


def sync_thread_count(settings: Mapping[str, str]) -> int:
    """``PYTHON_THREADPOOL_THREAD_COUNT`` as the worker reads it: the number, or the
    executor's default when unset or invalid (with the worker's warning for invalid)."""
    text = settings.get(THREAD_COUNT_SETTING)
    if text is None:
        return default_thread_count()
    try:
        value = int(text)
    except ValueError:
        logger.warning("%s must be an integer", THREAD_COUNT_SETTING)
        return default_thread_count()
    if value < 1:
        logger.warning(
            "%s must be set to a value between 1 and sys.maxint. "
            "Reverting to default value for max_workers",
            THREAD_COUNT_SETTING,
        )
        return default_thread_count()
    return value


def default_thread_count() -> int:
    """What ``ThreadPoolExecutor(max_workers=None)`` gives on Python 3.9 - 3.12, written out
    so the dev host can say it: min(32, CPUs + 4)."""
    return min(32, (os.cpu_count() or 1) + 4)


class HttpSlots:
    """At most ``limit`` HTTP-triggered invocations at once (None: no limit); the others wait
    their turn in arrival order, as Azure holds requests for an instance with a free slot.
    Extension webhooks are not HTTP triggers and take no slot."""

    def __init__(self, limit: int | None) -> None:
        self._limit = limit
        self._free = asyncio.Semaphore(limit) if limit else None

    @contextlib.asynccontextmanager
    async def taken(self) -> AsyncIterator[None]:
        """Hold a slot for the block, waiting for one if all are taken."""
        if self._free is None:
            yield
            return
        if self._free.locked():
            logger.info("all %d HTTP slots of this instance are taken: waiting", self._limit)
        async with self._free:
            yield
