"""``python -m bench.outages``: how soon senders hear 503 while a dependency is down.

Against the whole local stack (dev host over HTTP), for each of four outages in turn (the
SignalR emulator SIGSTOP'd, then killed; the Cosmos server SIGSTOP'd, then killed): take
the dependency down, at once post ``--sends`` messages concurrently through the service
route, and right after them (without waiting for their answers) read the document's
history as a user. Times each answer from its request's start. Then brings the dependency
back (SIGCONT, or a restart on the same port) and waits until a send succeeds again, and
repeats ``--rounds`` times. Writes bench/results/outages.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from bench.live import RESULTS, post_message, running_stack
from devstack.stack import ChildProcess, LocalStack

DOCUMENT = "outage-doc"
READER = {"x-ms-client-principal-id": "outage-reader", "x-ms-client-principal-name": "Reader"}
AIM_SECONDS = 2.0
#: How long a dependency brought back may take before sends succeed again.
RECOVERY_TIMEOUT = 30.0
#: Longer than any answer should take: a send still unanswered then counts as a timeout.
REQUEST_TIMEOUT = 30.0
OUTAGES = (
    ("signalr", "stopped"),
    ("signalr", "killed"),
    ("cosmos", "stopped"),
    ("cosmos", "killed"),
)


@dataclass
class Outcome:
    """Answers heard during one kind of outage, over every round."""

    send_seconds: list[float] = field(default_factory=list)
    send_answers: Counter[str] = field(default_factory=Counter)
    read_seconds: list[float] = field(default_factory=list)
    read_answers: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {
            "sends": {**_summary(self.send_seconds), "answers": dict(self.send_answers)},
            "reads": {**_summary(self.read_seconds), "answers": dict(self.read_answers)},
        }


def main() -> None:
    options = _parser().parse_args()
    with running_stack("outages") as stack:
        outcomes = asyncio.run(_all_outages(stack, options))
    report = {f"{name} {how}": outcome.as_json() for (name, how), outcome in outcomes.items()}
    for what, figures in report.items():
        sends, reads = figures["sends"], figures["reads"]
        met = "met" if sends["p99_s"] <= AIM_SECONDS else "MISSED"
        print(
            f"{what:<16} sends p50 {sends['p50_s']:.3f} s p99 {sends['p99_s']:.3f} s "
            f"(aim p99 <= {AIM_SECONDS:g} s: {met}) {sends['answers']}; "
            f"read p50 {reads['p50_s']:.3f} s max {reads['max_s']:.3f} s {reads['answers']}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "outages.json").write_text(
        json.dumps({"arguments": vars(options), "outages": report}, indent=2) + "\n"
    )


async def _all_outages(
    stack: LocalStack, options: argparse.Namespace
) -> dict[tuple[str, str], Outcome]:
    outcomes: dict[tuple[str, str], Outcome] = {}
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    ) as session:
        await _until_sends_succeed(session, stack)
        for name, how in OUTAGES:
            outcome = outcomes[name, how] = Outcome()
            for _ in range(options.rounds):
                child = _child(stack, name)
                os.killpg(child.pid or 0, signal.SIGSTOP if how == "stopped" else signal.SIGKILL)
                await _round(session, stack, options.sends, outcome)
                _bring_back(stack, child, how)
                await _until_sends_succeed(session, stack)
    return outcomes


async def _round(
    session: aiohttp.ClientSession, stack: LocalStack, count: int, outcome: Outcome
) -> None:
    sends = [asyncio.create_task(_timed_send(session, stack)) for _ in range(count)]
    await asyncio.sleep(0)  # let the sends go out first
    read = asyncio.create_task(_timed_read(session, stack))
    for seconds, answer in await asyncio.gather(*sends):
        outcome.send_seconds.append(seconds)
        outcome.send_answers[answer] += 1
    seconds, answer = await read
    outcome.read_seconds.append(seconds)
    outcome.read_answers[answer] += 1


async def _timed_send(session: aiohttp.ClientSession, stack: LocalStack) -> tuple[float, str]:
    body = {"text": "outage probe", "id": str(uuid.uuid4()), "senderId": "outage-bot"}
    started = time.monotonic()
    try:
        status, answer = await post_message(session, stack, DOCUMENT, body)
    except (aiohttp.ClientError, TimeoutError) as error:
        return time.monotonic() - started, type(error).__name__
    seconds = time.monotonic() - started
    if status == 503:
        return seconds, f"503 stored:{json.dumps(answer['error'].get('stored'))}"
    return seconds, str(status)


async def _timed_read(session: aiohttp.ClientSession, stack: LocalStack) -> tuple[float, str]:
    url = f"{stack.base_url}/api/documents/{quote(DOCUMENT)}/messages?limit=20"
    started = time.monotonic()
    try:
        async with session.get(url, headers=READER) as response:
            await response.read()
            return time.monotonic() - started, str(response.status)
    except (aiohttp.ClientError, TimeoutError) as error:
        return time.monotonic() - started, type(error).__name__


def _child(stack: LocalStack, name: str) -> ChildProcess:
    (child,) = [child for child in stack.children if child.name == name]
    return child


def _bring_back(stack: LocalStack, child: ChildProcess, how: str) -> None:
    if how == "stopped":
        os.killpg(child.pid or 0, signal.SIGCONT)
    elif child.name == "signalr":
        stack.start_signalr()
    else:
        # Same command, same port: it comes back empty and the app creates the container again.
        child.stop(grace=0)
        child.start()
        child.wait_for_ready_line(time.monotonic() + stack.timeout)


async def _until_sends_succeed(session: aiohttp.ClientSession, stack: LocalStack) -> None:
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    while time.monotonic() < deadline:
        body = {"text": "recovery probe", "senderId": "outage-bot"}
        try:
            status, _ = await post_message(session, stack, DOCUMENT, body)
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        if status == 201:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"sends did not succeed again within {RECOVERY_TIMEOUT:g} s")


def _summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50_s": statistics.median(ordered),
        "p99_s": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "max_s": ordered[-1],
        "count": len(ordered),
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.outages", description=__doc__)
    parser.add_argument("--sends", type=int, default=20, help="concurrent sends per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per outage")
    return parser


if __name__ == "__main__":
    main()
