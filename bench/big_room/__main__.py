"""``python -m bench.big_room``: many clients in one document, then many of them typing.

Starts the whole local stack on ``--instances`` app hosts behind the front door, with
``--latency-ms`` added to each Cosmos DB and service REST answer, on ``--backend``. Then
``--clients`` page-like clients (bench/page_clients.mjs: official JS clients, each its own
dev user, spread over ``--processes`` Node processes) connect and sync as the page does
(join, catch up, load who is here), ``--connect-at-once`` at a time per process. Reported:

- the service REST calls the emulator served while they joined (from its log), per join;
- the app hosts' CPU time (``/proc``, whole process groups) while they joined, per client
  (its negotiate, its connected event, its join, catch-up and presence read);
- the time from the last join's answer until every client's presence list holds every
  client (the page's PresenceState, fed by presence events and its own read);
- then ``--typists`` of them send one typing event each: the service REST calls and host
  CPU per typing event, and whether every other client heard each one.

Writes bench/results/big_room.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from contextlib import AsyncExitStack
from typing import Any

import aiohttp

from bench.live import (
    FIRST_CURSOR,
    PAGE_CLIENTS,
    RESULTS,
    NodeProcess,
    RestCalls,
    add_stack_options,
    all_ready,
    host_cpu_seconds,
    post_message,
    running_stack,
    total,
)
from devstack.stack import LocalStack

DOCUMENT = "big-room"
JOIN_CALLS_AIM = 2.0
TYPING_CALLS_AIM = 1.0
PRESENCE_AIM_S = 2.0
#: Bounds on each phase: past them the phase is reported as not done.
JOIN_TIMEOUT = 180.0
PRESENCE_TIMEOUT = 30.0
TYPING_TIMEOUT = 30.0
STATS_POLL = 0.25


def main() -> None:
    options = _parser().parse_args()
    with running_stack(
        "big_room",
        instances=options.instances,
        latency_ms=options.latency_ms,
        backend=options.backend,
    ) as stack:
        report = asyncio.run(_run(stack, options))
    report["arguments"] = vars(options)
    _print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "big_room.json").write_text(json.dumps(report, indent=2) + "\n")


async def _run(stack: LocalStack, options: argparse.Namespace) -> dict[str, Any]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        body = {"text": "welcome", "senderId": "big-room-bot", "senderName": "Bot"}
        status, _ = await post_message(session, stack, DOCUMENT, body)  # the head: not measured
        if status != 201:
            raise RuntimeError(f"the first message answered {status}")
    calls = RestCalls(stack)
    await calls.settle()
    users = [f"room-user-{number:03d}" for number in range(options.clients)]
    shares = [users[index :: options.processes] for index in range(options.processes)]
    async with AsyncExitStack() as running:
        cpu_before = host_cpu_seconds(stack)
        started = time.time()
        processes = [
            await running.enter_async_context(
                NodeProcess.start(PAGE_CLIENTS, "BENCH_CLIENTS", _config(stack, share, options))
            )
            for share in shares
        ]
        ready = await all_ready(processes, JOIN_TIMEOUT)
        last_join = max(event["at"] for event in ready) / 1000
        presence = await _presence_time(processes, options.clients, last_join)
        join_cpu = host_cpu_seconds(stack) - cpu_before
        join_calls = await calls.settle()
        typing = await _typing(stack, calls, processes, shares, options)
        stats = await _stats(processes)
    return {
        "clients": options.clients,
        "join_phase_s": last_join - started,
        "join": {
            "rest_calls": join_calls,
            "rest_calls_per_join": total(join_calls) / options.clients,
            "host_cpu_ms_per_client": join_cpu * 1e3 / options.clients,
        },
        "presence_right_after_last_join_s": presence,
        "typing": typing,
        "clients_stats": stats,
    }


def _config(stack: LocalStack, users: list[str], options: argparse.Namespace) -> dict[str, Any]:
    return {
        "baseUrl": stack.base_url,
        "backend": options.backend,
        "document": DOCUMENT,
        "users": users,
        "connectAtOnce": options.connect_at_once,
        "startCursor": FIRST_CURSOR,
    }


async def _presence_time(
    processes: list[NodeProcess], users: int, last_join: float
) -> float | None:
    """Seconds from the last join until every client shows all ``users``; None if never."""
    for node in processes:
        await node.send({"command": "presence", "users": users})
    try:
        right = await asyncio.gather(
            *(node.expect("presence", PRESENCE_TIMEOUT) for node in processes)
        )
    except TimeoutError:
        return None
    return float(max(event["at"] for event in right)) / 1000 - last_join


async def _typing(
    stack: LocalStack,
    calls: RestCalls,
    processes: list[NodeProcess],
    shares: list[list[str]],
    options: argparse.Namespace,
) -> dict[str, Any]:
    """``--typists`` clients, spread over the processes, each send one typing event."""
    per_process = [options.typists // len(processes)] * len(processes)
    for index in range(options.typists % len(processes)):
        per_process[index] += 1
    before = await _stats(processes)
    cpu_before = host_cpu_seconds(stack)
    for node, count, share in zip(processes, per_process, shares, strict=True):
        await node.send({"command": "type", "clients": list(range(min(count, len(share))))})
    expected = options.typists * (options.clients - 1)
    deadline = time.monotonic() + TYPING_TIMEOUT
    heard = 0
    while time.monotonic() < deadline:
        heard = (await _stats(processes))["typingHeard"] - before["typingHeard"]
        if heard >= expected:
            break
        await asyncio.sleep(STATS_POLL)
    cpu = host_cpu_seconds(stack) - cpu_before
    typing_calls = await calls.settle()
    return {
        "typists": options.typists,
        "deliveries_heard": heard,
        "deliveries_expected": expected,
        "rest_calls": typing_calls,
        "rest_calls_per_event": total(typing_calls) / options.typists,
        "host_cpu_ms_per_event": cpu * 1e3 / options.typists,
    }


async def _stats(processes: list[NodeProcess]) -> dict[str, Any]:
    """Every process's counters, summed (presence sizes: the smallest and the largest)."""
    combined: dict[str, Any] = {}
    for node in processes:
        await node.send({"command": "stats"})
        event = await node.expect("stats", PRESENCE_TIMEOUT)
        for key, value in event.items():
            if key in ("event", "at", "lastSyncs"):  # each client's sync steps: not reported here
                continue
            if key == "presenceMin":
                combined[key] = min(combined.get(key, value), value)
            elif key == "presenceMax":
                combined[key] = max(combined.get(key, value), value)
            else:
                combined[key] = combined.get(key, 0) + value
    return combined


def _print(report: dict[str, Any]) -> None:
    arguments, join, typing = report["arguments"], report["join"], report["typing"]
    print(
        f"{report['clients']} clients in one document on {arguments['backend']}, "
        f"{arguments['instances']} instances, {arguments['latency_ms']} ms added latency"
    )
    per_join = join["rest_calls_per_join"]
    print(
        f"join phase {report['join_phase_s']:.1f} s; service REST calls per join "
        f"{per_join:.2f} (aim <= {JOIN_CALLS_AIM:g}: {_met(per_join <= JOIN_CALLS_AIM)}); "
        f"host CPU per client {join['host_cpu_ms_per_client']:.1f} ms"
    )
    print(f"  calls while joining: {join['rest_calls']}")
    presence = report["presence_right_after_last_join_s"]
    shown = "never (within the timeout)" if presence is None else f"{presence:.2f} s"
    print(
        f"every presence list right {shown} after the last join (aim <= {PRESENCE_AIM_S:g} s: "
        f"{_met(presence is not None and presence <= PRESENCE_AIM_S)})"
    )
    per_event = typing["rest_calls_per_event"]
    print(
        f"{typing['typists']} typing events: service REST calls per event {per_event:.2f} "
        f"(aim <= {TYPING_CALLS_AIM:g}: {_met(per_event <= TYPING_CALLS_AIM)}); host CPU per "
        f"event {typing['host_cpu_ms_per_event']:.1f} ms; deliveries heard "
        f"{typing['deliveries_heard']} of {typing['deliveries_expected']}"
    )
    print(f"  calls while typing: {typing['rest_calls']}")
    print(f"clients: {report['clients_stats']}")


def _met(met: bool) -> str:
    return "met" if met else "MISSED"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.big_room", description=__doc__)
    add_stack_options(parser, backend=True)
    parser.add_argument("--clients", type=int, default=500, help="clients in the document")
    parser.add_argument("--typists", type=int, default=200, help="clients that type once each")
    parser.add_argument("--processes", type=int, default=4, help="Node processes for the clients")
    parser.add_argument(
        "--connect-at-once", type=int, default=10, help="clients connecting at once per process"
    )
    return parser


if __name__ == "__main__":
    main()
