"""``python -m bench.reconnect_storm``: the real-time emulator killed under load, then back.

For each of ``--backends`` in turn, starts the whole local stack on ``--instances`` app hosts
behind the front door, with ``--latency-ms`` added to each Cosmos DB and service REST
answer. ``--listeners`` page-like clients (bench/page_clients.mjs: official JS clients with
the page's reconnect policy and sync) join one document, and ``--senders`` concurrent
senders post to it through the service route without pause. After ``--before`` seconds the
emulator is killed (SIGKILL to its process group), and started again on its port
``--outage`` seconds later; every client reconnects at once. Measured from the moment the
emulator answers its health check again until every listener holds every message stored
until then (its newest seq, read at that moment); the senders go on for ``--after`` seconds
once that is done. Reports that time and accepted (201) and stored (201, or 503 with
``stored: true``) messages/s before the kill, while the emulator is down, during the storm
(back until caught up) and after, and the CPU time each process of the run used during the
storm. Writes bench/results/reconnect_storm.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from bench.live import (
    BACKENDS,
    FIRST_CURSOR,
    PAGE_CLIENTS,
    RESULTS,
    NodeProcess,
    add_stack_options,
    all_ready,
    post_message,
    process_cpu_seconds,
    realtime_answers_again,
    running_stack,
    stack_cpu_seconds,
)
from devstack.stack import LocalStack

DOCUMENT = "storm"
READER = "storm-reader"
CAUGHT_UP_AIM_S = 3.0
RATE_AIM = 0.5  # of the steady rate, while the storm lasts
CONNECT_TIMEOUT = 120.0
CAUGHT_UP_TIMEOUT = 60.0
#: The steps of a listener's sync the report shows (see _sync_steps).
SYNC_STEPS = (
    ("began_after_back", "began after the emulator answered"),
    ("join", "join"),
    ("catch_up", "catch-up"),
)
#: The clients' counts the report sums (page_clients.mjs's stats).
COUNTED = (
    "joins",
    "syncFailures",
    "notYetKnown",
    "syncs",
    "connections",
    "connected",
    "stuckRestarts",
)
SEND_TIMEOUT = 10.0


@dataclass
class Answers:
    """Every send's answer: when it came (wall clock), its status and ``stored``."""

    times: list[tuple[float, int, object]] = field(default_factory=list)
    failed: int = 0

    def rates(self, start: float, end: float) -> dict[str, float]:
        """Accepted and stored messages/s among the answers that came in [start, end)."""
        inside = [(status, stored) for at, status, stored in self.times if start <= at < end]
        seconds = max(end - start, 1e-9)
        accepted = sum(1 for status, _ in inside if status == 201)
        stored = accepted + sum(1 for status, kept in inside if status == 503 and kept is True)
        return {
            "seconds": end - start,
            "accepted_per_s": accepted / seconds,
            "stored_per_s": stored / seconds,
        }

    def outcomes(self) -> dict[str, int]:
        counted: dict[str, int] = {}
        for _, status, stored in self.times:
            key = str(status) if status in (200, 201) else f"{status} stored:{json.dumps(stored)}"
            counted[key] = counted.get(key, 0) + 1
        return counted


def main() -> None:
    options = _parser().parse_args()
    reports = {}
    for backend in options.backends:
        with running_stack(
            f"reconnect_storm-{backend}",
            instances=options.instances,
            latency_ms=options.latency_ms,
            backend=backend,
        ) as stack:
            reports[backend] = asyncio.run(_storm(stack, backend, options))
        _print(backend, reports[backend])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reconnect_storm.json").write_text(
        json.dumps({"arguments": vars(options), "backends": reports}, indent=2) + "\n"
    )


async def _storm(stack: LocalStack, backend: str, options: argparse.Namespace) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=options.senders + 10)
    async with (
        aiohttp.ClientSession(timeout=timeout, connector=connector) as session,
        AsyncExitStack() as running,
    ):
        status, _ = await post_message(session, stack, DOCUMENT, _body("storm-0"))
        if status != 201:
            raise RuntimeError(f"the first message answered {status}")
        users = [f"storm-listener-{number:03d}" for number in range(options.listeners)]
        processes = [
            await running.enter_async_context(
                NodeProcess.start(
                    PAGE_CLIENTS, "BENCH_CLIENTS", _config(stack, backend, share, options)
                )
            )
            for share in (users[index :: options.processes] for index in range(options.processes))
        ]
        await all_ready(processes, CONNECT_TIMEOUT)
        answers = Answers()
        sending = asyncio.Event()
        sending.set()
        senders = [
            asyncio.create_task(_sender(session, stack, answers, sending, number, options.rate))
            for number in range(options.senders)
        ]
        try:
            timeline = await _outage(session, stack, processes, options)
        finally:
            sending.clear()
            await asyncio.gather(*senders)
        stats, last_syncs = await _stats(processes)
    started, killed, back, caught_up, ended = timeline["moments"]
    return {
        "caught_up_s": None if caught_up is None else caught_up - back,
        "newest_seq_when_back": timeline["newest_seq"],
        "listeners_caught_up_s": timeline["listeners_caught_up_s"],
        "storm_cpu_s": timeline["storm_cpu_s"],
        "sync_steps_s": _sync_steps(last_syncs, back),
        "rates": {
            "before": answers.rates(started, killed),
            "down": answers.rates(killed, back),
            "storm": answers.rates(back, caught_up or ended),
            "after": answers.rates(caught_up or ended, ended),
        },
        "answers": answers.outcomes(),
        "failed": answers.failed,
        "clients": stats,
    }


async def _outage(
    session: aiohttp.ClientSession,
    stack: LocalStack,
    processes: list[NodeProcess],
    options: argparse.Namespace,
) -> dict[str, Any]:
    started = time.time()
    await asyncio.sleep(options.before)
    child = stack.child("webpubsub" if stack.uses_webpubsub else "signalr")
    assert child.pid is not None
    os.killpg(child.pid, signal.SIGKILL)
    killed = time.time()
    await asyncio.sleep(options.outage)
    answering = asyncio.create_task(realtime_answers_again(session, stack))
    await asyncio.to_thread(stack.start_realtime)
    back = await answering
    cpu_at_back = _cpu_seconds(stack, processes)
    newest = await _newest_seq(session, stack)
    for node in processes:
        await node.send({"command": "expect", "seq": newest})
    caught_up: float | None
    each: list[float] = []
    try:
        done = await asyncio.gather(
            *(node.expect("caughtUp", CAUGHT_UP_TIMEOUT) for node in processes)
        )
        caught_up = max(event["at"] for event in done) / 1000
        each = [at / 1000 - back for event in done for at in event["times"]]
    except TimeoutError:
        caught_up = None
    cpu_caught_up = _cpu_seconds(stack, processes)
    await asyncio.sleep(max(0.0, (caught_up or time.time()) + options.after - time.time()))
    ended = time.time()
    return {
        "moments": (started, killed, back, caught_up, ended),
        "newest_seq": newest,
        "listeners_caught_up_s": _spread(each),
        "storm_cpu_s": {name: cpu_caught_up[name] - cpu_at_back[name] for name in cpu_at_back},
    }


def _cpu_seconds(stack: LocalStack, processes: list[NodeProcess]) -> dict[str, float]:
    """The CPU time each process of the run has used so far: the stack's children, the
    clients' Node processes together, and this benchmark (its senders)."""
    used = stack_cpu_seconds(stack)
    used["clients"] = sum(process_cpu_seconds(node.pid) for node in processes)
    used["benchmark"] = time.process_time()
    return used


def _spread(seconds: list[float]) -> dict[str, float] | None:
    """The median, 90th percentile and last of when each listener caught up."""
    if not seconds:
        return None
    ordered = sorted(seconds)
    return {
        "p50": ordered[len(ordered) // 2],
        "p90": ordered[int(len(ordered) * 0.9)],
        "last": ordered[-1],
    }


async def _sender(
    session: aiohttp.ClientSession,
    stack: LocalStack,
    answers: Answers,
    sending: asyncio.Event,
    number: int,
    rate: float,
) -> None:
    began = time.monotonic()
    for count in itertools.count():
        if rate:
            # A paced sender starts each message on its schedule, or at once when behind it.
            await asyncio.sleep(max(0.0, began + count / rate - time.monotonic()))
        if not sending.is_set():
            return
        try:
            status, answer = await post_message(
                session, stack, DOCUMENT, _body(f"storm-{number}-{count}")
            )
        except (aiohttp.ClientError, TimeoutError):
            answers.failed += 1
            continue
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        answers.times.append((time.time(), status, error.get("stored")))


async def _newest_seq(session: aiohttp.ClientSession, stack: LocalStack) -> int:
    url = f"{stack.base_url}/api/documents/{quote(DOCUMENT, safe='')}/messages"
    headers = {"x-ms-client-principal-id": READER, "x-ms-client-principal-name": READER}
    async with session.get(url, params={"limit": "1"}, headers=headers) as response:
        if response.status != 200:
            raise RuntimeError(f"reading the newest message answered {response.status}")
        page = await response.json()
    return int(page["items"][0]["seq"])


async def _stats(processes: list[NodeProcess]) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """The clients' counts, summed, and each client's latest sync (see page_clients.mjs)."""
    combined: dict[str, int] = {}
    last_syncs: list[dict[str, Any]] = []
    for node in processes:
        await node.send({"command": "stats"})
        event = await node.expect("stats", CONNECT_TIMEOUT)
        for key in COUNTED:
            combined[key] = combined.get(key, 0) + event[key]
        last_syncs.extend(sync for sync in event["lastSyncs"] if sync is not None)
    return combined, last_syncs


def _sync_steps(last_syncs: list[dict[str, Any]], back: float) -> dict[str, Any]:
    """Where the listeners' storm syncs spent their time: when each began after the emulator
    answered (its connection was made), then how long its join and its catch-up took."""
    done = [sync for sync in last_syncs if sync["caughtUp"] is not None]
    return {
        "began_after_back": _spread([sync["started"] / 1000 - back for sync in done]),
        "join": _spread([(sync["joined"] - sync["started"]) / 1000 for sync in done]),
        "catch_up": _spread([(sync["caughtUp"] - sync["joined"]) / 1000 for sync in done]),
    }


def _config(
    stack: LocalStack, backend: str, users: list[str], options: argparse.Namespace
) -> dict[str, Any]:
    return {
        "baseUrl": stack.base_url,
        "backend": backend,
        "document": DOCUMENT,
        "users": users,
        "connectAtOnce": options.connect_at_once,
        "startCursor": FIRST_CURSOR,
    }


def _body(message_id: str) -> dict[str, str]:
    return {"id": message_id, "text": "storm", "senderId": "storm-bot", "senderName": "Storm"}


def _print(backend: str, report: dict[str, Any]) -> None:
    caught_up = report["caught_up_s"]
    met = caught_up is not None and caught_up <= CAUGHT_UP_AIM_S
    shown = "never (within the timeout)" if caught_up is None else f"{caught_up:.2f} s"
    print(
        f"{backend}: last listener caught up (seq {report['newest_seq_when_back']}) {shown} "
        f"after the emulator answered (aim <= {CAUGHT_UP_AIM_S:g} s: {'met' if met else 'MISSED'})"
    )
    spread = report["listeners_caught_up_s"]
    if spread:
        print(
            f"  listeners caught up after p50 {spread['p50']:.2f} s, p90 {spread['p90']:.2f} s, "
            f"last {spread['last']:.2f} s"
        )
    steps = report["sync_steps_s"]
    if steps["join"]:
        shown = ", ".join(
            f"{label} p50 {steps[step]['p50']:.2f} s (p90 {steps[step]['p90']:.2f})"
            for step, label in SYNC_STEPS
        )
        print(f"  each listener's sync: {shown}")
    cpu = report["storm_cpu_s"]
    shown = ", ".join(f"{name} {seconds:.2f}" for name, seconds in sorted(cpu.items()))
    print(f"  CPU-s used from the emulator answering until caught up: {shown}")
    rates = report["rates"]
    for window, figures in rates.items():
        print(
            f"  {window:>6}: {figures['accepted_per_s']:6.0f} accepted/s, "
            f"{figures['stored_per_s']:6.0f} stored/s over {figures['seconds']:.1f} s"
        )
    steady = rates["before"]["accepted_per_s"]
    storm = rates["storm"]["accepted_per_s"]
    kept = storm / steady if steady else 0.0
    print(
        f"  accepted during the storm {kept:.0%} of before (aim >= {RATE_AIM:.0%}: "
        f"{'met' if kept >= RATE_AIM else 'MISSED'}); answers {report['answers']}, "
        f"failed {report['failed']}; clients {report['clients']}"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.reconnect_storm", description=__doc__)
    add_stack_options(parser)
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--listeners", type=int, default=100)
    parser.add_argument("--senders", type=int, default=20, help="sends in flight")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="messages/s each sender starts (0: flat out, the next as soon as one answers)",
    )
    parser.add_argument("--processes", type=int, default=2, help="Node processes for the clients")
    parser.add_argument(
        "--connect-at-once", type=int, default=10, help="clients connecting at once per process"
    )
    parser.add_argument("--before", type=float, default=5.0, help="seconds of steady sending")
    parser.add_argument("--outage", type=float, default=2.0, help="seconds the emulator is down")
    parser.add_argument("--after", type=float, default=5.0, help="seconds sent after catching up")
    return parser


if __name__ == "__main__":
    main()
