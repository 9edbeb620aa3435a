"""``python -m bench.request_costs``: the CPU one request of each kind costs the local stack.

A reconnect storm is made of catch-up pages, presence reads and negotiates, queued with the
sends (see bench/README.md, reconnect_storm), and the stack's CPU is what bounds it. This starts
the whole local stack on one instance, fills a document with ``--messages`` messages through
the service route, then sends each kind of request ``--repeats`` times, one at a time, and
reports the CPU time (user + system) each child process of the stack used per request: the app's
host (whole process group), the local Cosmos server, Azurite and the emulator. A send's figures
include the outbox work it leaves: the queue trigger that carries it out runs on the same host,
and the CPU is read once the outbox queue is empty again.
Writes bench/results/request_costs.json. About 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from itertools import count
from typing import Any
from urllib.parse import quote

import aiohttp
from azure.storage.queue.aio import QueueClient

from bench.live import FIRST_CURSOR, RESULTS, post_message, running_stack, stack_cpu_seconds
from devstack.stack import QUEUE_SETTING, LocalStack
from storage.queues import OUTBOX_QUEUE

DOCUMENT = "costs"
#: A second document for the timed sends, so the pages read never grow while they are timed.
SENT_TO = "costs-sent"
READER = {"x-ms-client-principal-id": "costs-reader", "x-ms-client-principal-name": "Reader"}
#: A few requests of each kind first: connections opened, code paths warm.
WARM_UP = 3
#: How often the outbox queue is asked whether the sends' work is all done.
DRAIN_POLL_SECONDS = 0.05

Request = Callable[[], Awaitable[None]]


def main() -> None:
    options = _parser().parse_args()
    with running_stack("request_costs") as stack:
        report = asyncio.run(_measure(stack, options.messages, options.repeats))
    for kind, figures in report.items():
        shown = ", ".join(f"{name} {ms:.1f}" for name, ms in figures["cpu_ms"].items())
        print(f"{kind:>28}: {figures['wall_ms']:6.1f} ms wall; CPU ms per request: {shown}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "request_costs.json").write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(),
                "arguments": vars(options),
                "requests": report,
            },
            indent=2,
        )
        + "\n"
    )


async def _measure(stack: LocalStack, messages: int, repeats: int) -> dict[str, dict[str, Any]]:
    async with aiohttp.ClientSession() as session:
        for number in range(messages):
            await _send(session, stack, DOCUMENT, f"fill-{number}")
        numbers = count()
        document = f"{stack.base_url}/api/documents/{quote(DOCUMENT, safe='')}"
        kinds: dict[str, Request] = {
            **{
                f"catch-up page of {limit}": _read(
                    session,
                    "GET",
                    f"{document}/messages",
                    {"after": FIRST_CURSOR, "limit": str(limit)},
                )
                for limit in (500, 100)
            },
            "presence read": _read(session, "GET", f"{document}/presence"),
            "negotiate": _read(session, "POST", f"{stack.base_url}/api/negotiate"),
            "send (with its outbox work)": lambda: _send(
                session, stack, SENT_TO, f"timed-{next(numbers)}"
            ),
        }
        async with QueueClient.from_connection_string(
            stack.settings[QUEUE_SETTING], OUTBOX_QUEUE
        ) as outbox:
            drained = _drained(outbox)
            return {
                kind: await _costs(stack, request, repeats, drained)
                for kind, request in kinds.items()
            }


async def _costs(
    stack: LocalStack, request: Request, repeats: int, drained: Callable[[], Awaitable[None]]
) -> dict[str, Any]:
    for _ in range(WARM_UP):
        await request()
    await drained()
    before, started = stack_cpu_seconds(stack), time.perf_counter()
    for _ in range(repeats):
        await request()
    wall = time.perf_counter() - started
    await drained()
    after = stack_cpu_seconds(stack)
    return {
        "wall_ms": wall / repeats * 1e3,
        "cpu_ms": {name: (after[name] - before[name]) / repeats * 1e3 for name in after},
    }


def _drained(outbox: QueueClient) -> Callable[[], Awaitable[None]]:
    """Waits until the outbox queue holds no message (its trigger deletes each once done)."""

    async def drained() -> None:
        while (await outbox.get_queue_properties()).approximate_message_count:  # noqa: ASYNC110 (Azurite's)
            await asyncio.sleep(DRAIN_POLL_SECONDS)

    return drained


def _read(
    session: aiohttp.ClientSession, method: str, url: str, params: dict[str, str] | None = None
) -> Request:
    """One request the reader makes, answered 200."""

    async def read() -> None:
        async with session.request(method, url, params=params, headers=READER) as response:
            _expect(200, response.status, await response.read())

    return read


async def _send(
    session: aiohttp.ClientSession, stack: LocalStack, document: str, message_id: str
) -> None:
    body = {"id": message_id, "text": message_id, "senderId": "bot", "senderName": "Bot"}
    status, answer = await post_message(session, stack, document, body)
    _expect(201, status, json.dumps(answer).encode())


def _expect(wanted: int, status: int, body: bytes) -> None:
    if status != wanted:
        raise RuntimeError(f"answered {status}, not {wanted}: {body[:200]!r}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.request_costs", description=__doc__)
    parser.add_argument("--messages", type=int, default=520, help="in the document read")
    parser.add_argument("--repeats", type=int, default=40, help="timed requests of each kind")
    return parser


if __name__ == "__main__":
    main()
