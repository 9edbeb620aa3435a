"""The sending side of a REST round, run in its own process so the client's CPU does not share
the emulator's event loop, as a function app calling the service would not.

A sender module parses its command line with :func:`parser` (``--count``, ``--concurrency``,
``--rate``, plus its own), then sends ``count`` messages, each carrying its wall-clock send
time in milliseconds, with ``concurrency`` requests in flight, optionally paced to ``rate``
per second: from asyncio tasks (:func:`send_from_tasks`) or from threads
(:func:`send_from_threads`, for blocking clients such as the service SDKs). Either prints one
JSON line: ``{"sent", "startedAt", "finishedAt", "failures", "firstFailure", "cpuSeconds"}``
(wall-clock seconds; the sender's CPU time while sending).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

__all__ = ["parser", "send_from_tasks", "send_from_threads"]

#: Sends one message carrying its send time (ms); None if accepted, else what went wrong.
AsyncSend = Callable[[float], Awaitable[str | None]]
BlockingSend = Callable[[float], str | None]


def parser(prog: str) -> argparse.ArgumentParser:
    """The options every sender takes."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--rate", type=float, default=0.0, help="per second; 0: flat out")
    return parser


class _Run:
    """Hands out message numbers, paces them, and counts failures."""

    def __init__(self, count: int, rate: float) -> None:
        self._numbers = iter(range(count))
        self._lock = threading.Lock()
        self.count, self.rate = count, rate
        self.failures = 0
        self.first_failure: str | None = None
        self.started, self.cpu = time.time(), time.process_time()

    def numbers(self) -> Iterator[int]:
        while True:
            with self._lock:
                number = next(self._numbers, None)
            if number is None:
                return
            yield number

    def delay(self, number: int) -> float:
        """Seconds to wait before sending message ``number``."""
        return max(0.0, self.started + number / self.rate - time.time()) if self.rate > 0 else 0

    def record(self, failure: str | None) -> None:
        if failure is not None:
            with self._lock:
                self.failures += 1
                self.first_failure = self.first_failure or failure

    def report(self) -> None:
        report: dict[str, Any] = {
            "sent": self.count,
            "startedAt": self.started,
            "finishedAt": time.time(),
            "failures": self.failures,
            "firstFailure": self.first_failure,
            "cpuSeconds": time.process_time() - self.cpu,
        }
        print(json.dumps(report), flush=True)


async def send_from_tasks(arguments: argparse.Namespace, send: AsyncSend) -> None:
    """Send from ``--concurrency`` tasks of one event loop, then print the report."""
    run = _Run(arguments.count, arguments.rate)

    async def worker() -> None:
        for number in run.numbers():
            if delay := run.delay(number):
                await asyncio.sleep(delay)
            run.record(await send(time.time() * 1000))

    await asyncio.gather(*(worker() for _ in range(arguments.concurrency)))
    run.report()


def send_from_threads(arguments: argparse.Namespace, make_send: Callable[[], BlockingSend]) -> None:
    """Send from ``--concurrency`` threads, each with its own ``make_send()`` (its own
    connections), then print the report."""
    run = _Run(arguments.count, arguments.rate)
    senders = [make_send() for _ in range(arguments.concurrency)]

    def worker(send: BlockingSend) -> None:
        for number in run.numbers():
            if delay := run.delay(number):
                time.sleep(delay)
            run.record(send(time.time() * 1000))

    threads = [threading.Thread(target=worker, args=(send,)) for send in senders]
    run.started, run.cpu = time.time(), time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.report()
