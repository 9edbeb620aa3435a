"""``python -m bench.notifications``: what the outbox, mentions and webhooks cost a send,
and how long a mention takes to reach the mentioned user.

Drives the whole local stack (Cosmos server, SignalR emulator, Azurite, dev host). Each arm
posts ``--sends`` messages through the service route at ``--rate`` a second, open loop
(each send starts on its own time, whatever the earlier ones are doing), after
``--warmup`` untimed ones:

a. ``no queue``: a stack without Azurite and ``DOCCHAT_QUEUE``, so no outbox;
b. ``queue``: the work queues on, no mention, no webhook;
c. ``mention``: one mention per send; the mentioned user's official client hears each
   ``notification`` event (send to notification);
d. ``webhook``: as c, plus one webhook for ``message.created`` whose receiver answers 204 at
   once (send to delivery);
e. ``hanging webhook``: as c, ``--hanging-sends`` of them, with that webhook's receiver
   never answering (each try waits out the 10 s timeout; ``DOCCHAT_WEBHOOK_RETRY_SCHEDULE``
   is ``1,1``). A send not answered within ``--hanging-timeout`` seconds is given up on
   (and counted at that time, so the percentiles are then lower bounds); the stack stops
   after, with tries still hanging.

First, on the queue stack, a send's two queue calls (put, then reveal) are timed alone
(``--sends`` pairs, wall and CPU). Per arm: send latency p50/p95/p99; after a and b - d,
once the work queues are empty, the CPU time of each stack process per send, the Cosmos
batches and their operations, and the queue requests Azurite served, per send. Writes
bench/results/notifications.json; see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.live import (
    RESULTS,
    NodeProcess,
    add_stack_options,
    batch_counts,
    percentiles_ms,
    post_message,
    stack_cpu_seconds,
)
from bench.notifications.receivers import MESSAGE_CREATED, FastReceiver, HangingReceiver
from bench.notifications.stack import NotificationStack, QueueCalls, put_and_reveal, settled
from devstack.stack import LocalStack

OUTPUT = RESULTS / "notifications.json"
LISTENER = Path(__file__).with_name("listener.mjs")
SENDER = "bench-sender"
MENTIONED = "bench-mentioned"
WEBHOOK = "bench-hook"
#: Seconds between a failed webhook try and the next: two more tries, then a failure.
RETRY_SCHEDULE = "1,1"
#: The status counted for a send given up on.
NOT_ANSWERED = 0
#: How long the work queues may take to empty after an arm's last send.
SETTLE_SECONDS = 60.0
#: How long the mentioned user's client may take to connect.
CONNECT_SECONDS = 30.0
#: After the queues are empty every notification has been sent; allow for its way there.
HEAR_SECONDS = 5.0


@dataclass
class Run:
    """One stack and what listens to it."""

    stack: LocalStack
    session: aiohttp.ClientSession
    queue_calls: QueueCalls | None = None
    #: Message id to the first ``notification`` event about it (ms, wall clock).
    heard: dict[str, float] = field(default_factory=dict)
    #: Notification ids heard more than once.
    heard_again: int = 0
    #: Set on each notification heard.
    news: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class Arm:
    """How an arm sends, and what it waits for after."""

    name: str
    mention: bool = False
    #: Whether to wait for the work queues to empty, and so count the post-commit work.
    settle: bool = True
    #: Timed sends, if not ``--sends``.
    sends: int | None = None
    #: Seconds a send may wait for its answer before it counts as not answered.
    timeout: float = 60.0


def main() -> None:
    options = _parser().parse_args()
    report = asyncio.run(_run(options))
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2))
    _print(report)


async def _run(options: argparse.Namespace) -> dict[str, Any]:
    report: dict[str, Any] = {
        "options": vars(options),
        "load_average_at_start": os.getloadavg(),
        "arms": {},
    }
    arms: dict[str, Any] = report["arms"]
    async with _stack(options, queue=False) as run:
        arms["no queue"] = await _arm(run, Arm("no queue"), options)
    fast, hanging = FastReceiver(), HangingReceiver()
    async with (
        _stack(options, queue=True) as run,
        fast.running(),
        hanging.running(),
        _mentioned_user(run),
    ):
        report["put_and_reveal"] = await asyncio.to_thread(put_and_reveal, run.stack, options.sends)
        arms["queue"] = await _arm(run, Arm("queue"), options)
        arms["mention"] = await _arm(run, Arm("mention", mention=True), options)
        await _webhook(run, fast.url)
        arms["webhook"] = await _arm(run, Arm("webhook", mention=True), options, fast)
        await _webhook(run, hanging.url)
        hang = Arm(
            "hanging webhook",
            mention=True,
            settle=False,
            sends=options.hanging_sends,
            timeout=options.hanging_timeout,
        )
        arms["hanging webhook"] = await _arm(run, hang, options)
        arms["hanging webhook"]["tries_reached_receiver"] = hanging.connections
    report["load_average_at_end"] = os.getloadavg()
    report["deltas_ms"] = _deltas(arms)
    return report


@asynccontextmanager
async def _stack(options: argparse.Namespace, *, queue: bool) -> AsyncIterator[Run]:
    stack = NotificationStack(
        queue=queue,
        log_dir=RESULTS / "logs" / "notifications",
        instances=options.instances,
        latency_ms=options.latency_ms,
        settings_overrides={"DOCCHAT_WEBHOOK_RETRY_SCHEDULE": RETRY_SCHEDULE},
    )
    async with AsyncExitStack() as exits:
        exits.callback(stack.stop)
        await asyncio.to_thread(stack.start)
        connector = aiohttp.TCPConnector(limit=0)  # no client-side queue: the host's shows
        session = await exits.enter_async_context(aiohttp.ClientSession(connector=connector))
        yield Run(stack, session, QueueCalls(stack) if queue else None)


@asynccontextmanager
async def _mentioned_user(run: Run) -> AsyncIterator[None]:
    """The mentioned user's client, connected, filling ``run.heard`` as events come."""
    config = {"baseUrl": run.stack.base_url, "user": MENTIONED}
    async with NodeProcess.start(LISTENER, "BENCH_NOTIFIED", config) as node:
        await node.expect("ready", CONNECT_SECONDS)
        listening = asyncio.create_task(_hear(node, run))
        try:
            yield
        finally:
            listening.cancel()


async def _hear(node: NodeProcess, run: Run) -> None:
    seen: set[str] = set()
    while True:
        event = await node.next_event(within=3600)
        if event["event"] == "exited":
            return
        if event["id"] in seen:
            run.heard_again += 1
        seen.add(event["id"])
        run.heard.setdefault(event["messageId"], event["at"])
        run.news.set()


async def _webhook(run: Run, url: str) -> None:
    """Register (or point elsewhere) the benchmark's one webhook, for message.created."""
    address = f"{run.stack.base_url}/api/service/webhooks/{WEBHOOK}"
    body = {"url": url, "events": [MESSAGE_CREATED]}
    headers = {"x-functions-key": run.stack.function_key}
    async with run.session.put(address, json=body, headers=headers) as answer:
        if answer.status not in (200, 201):
            raise RuntimeError(f"registering the webhook answered {answer.status}")


async def _arm(
    run: Run, arm: Arm, options: argparse.Namespace, receiver: FastReceiver | None = None
) -> dict[str, Any]:
    document = f"bench-notifications-{arm.name.replace(' ', '-')}"
    await _paced(options.warmup, options.rate, lambda _: _send(run, document, arm, {}))
    if arm.settle and run.queue_calls is not None:
        await settled(run.stack, SETTLE_SECONDS)
        await run.queue_calls.read()
    cpu_before = stack_cpu_seconds(run.stack)
    batches_before = await batch_counts(run.session, run.stack)
    sent_at: dict[str, float] = {}
    started = time.monotonic()
    count = arm.sends or options.sends
    outcomes = await _paced(count, options.rate, lambda _: _send(run, document, arm, sent_at))
    result: dict[str, Any] = {
        "sends": len(outcomes),
        "seconds": time.monotonic() - started,
        "statuses": _statuses(outcomes),
        "send_ms": percentiles_ms([seconds for _, seconds in outcomes]),
        "send_max_ms": max(seconds for _, seconds in outcomes) * 1e3,
    }
    if not arm.settle:
        if arm.mention:
            result["notifications"] = _arrivals(sent_at, run.heard)
        return result
    if run.queue_calls is not None:
        result["settle_seconds"] = await settled(run.stack, SETTLE_SECONDS)
    cpu = _cpu_between(cpu_before, stack_cpu_seconds(run.stack))
    result["cpu_ms_per_send"] = {name: ms / len(outcomes) for name, ms in cpu.items()}
    result["cosmos"] = _batches(
        batches_before, await batch_counts(run.session, run.stack), len(outcomes)
    )
    if run.queue_calls is not None:
        calls = await run.queue_calls.read()
        result["queue_calls_per_send"] = {
            kind: count / len(outcomes) for kind, count in sorted(calls.items())
        }
    if arm.mention:
        await _heard_all(run, sent_at)
        result["notifications"] = _arrivals(sent_at, run.heard)
        result["notifications_heard_twice"] = run.heard_again
    if receiver is not None:
        result["webhook_deliveries"] = _arrivals(sent_at, receiver.arrivals)
        result["webhook_posts"] = receiver.deliveries
    return result


async def _paced(
    count: int, rate: float, send: Callable[[int], Coroutine[Any, Any, tuple[int, float]]]
) -> list[tuple[int, float]]:
    """``count`` sends, the n-th started n / ``rate`` seconds after the first, each whatever
    the others are doing; their statuses and seconds."""
    loop = asyncio.get_running_loop()
    first = loop.time()
    tasks: list[asyncio.Task[tuple[int, float]]] = []
    for number in range(count):
        await asyncio.sleep(max(0.0, first + number / rate - loop.time()))
        tasks.append(asyncio.create_task(send(number)))
    return list(await asyncio.gather(*tasks))


async def _send(run: Run, document: str, arm: Arm, sent_at: dict[str, float]) -> tuple[int, float]:
    message_id = str(uuid.uuid4())
    body: dict[str, Any] = {
        "id": message_id,
        "text": f"benchmark message for the {arm.name} arm",
        "senderId": SENDER,
        "senderName": "Bench sender",
    }
    if arm.mention:
        body["mentions"] = [MENTIONED]
    sent_at[message_id] = time.time() * 1e3
    started = time.perf_counter()
    try:
        async with asyncio.timeout(arm.timeout):
            status, _ = await post_message(run.session, run.stack, document, body)
    except TimeoutError:
        status = NOT_ANSWERED
    return status, time.perf_counter() - started


async def _heard_all(run: Run, sent_at: dict[str, float]) -> None:
    """Wait a little for notifications still on their way (the queues are empty by now)."""
    deadline = time.monotonic() + HEAR_SECONDS
    while any(key not in run.heard for key in sent_at):
        run.news.clear()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        with suppress(TimeoutError):
            await asyncio.wait_for(run.news.wait(), remaining)


def _arrivals(sent_at: dict[str, float], arrived: dict[str, float]) -> dict[str, Any]:
    """From each send's start to its first arrival: p50/p95/p99 ms, and how many arrived."""
    delays = [(arrived[key] - at) / 1e3 for key, at in sent_at.items() if key in arrived]
    return {"arrived": len(delays), "of": len(sent_at), **percentiles_ms(delays)}


def _statuses(outcomes: list[tuple[int, float]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status, _ in outcomes:
        key = "not answered" if status == NOT_ANSWERED else str(status)
        counts[key] = counts.get(key, 0) + 1
    return counts


def _cpu_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU ms used by each stack process between the two readings, and their total."""
    used = {name: (after[name] - before.get(name, 0.0)) * 1e3 for name in after}
    return {**used, "total": sum(used.values())}


def _batches(before: dict[str, Any], after: dict[str, Any], sends: int) -> dict[str, float]:
    committed = after["committed"] - before["committed"]
    operations = after["operations"] - before["operations"]
    return {
        "batches_per_send": committed / sends,
        "operations_per_batch": operations / committed if committed else 0.0,
    }


def _deltas(arms: dict[str, Any]) -> dict[str, Any]:
    """What each step adds: send p50/p95/p99 and stack CPU per send, arm minus arm."""
    steps = [("queue", "no queue"), ("mention", "queue"), ("webhook", "mention")]
    deltas: dict[str, Any] = {}
    for arm, base in steps:
        latency = {
            cut: arms[arm]["send_ms"][cut] - arms[base]["send_ms"][cut]
            for cut in ("p50", "p95", "p99")
        }
        cpu = arms[arm]["cpu_ms_per_send"]["total"] - arms[base]["cpu_ms_per_send"]["total"]
        deltas[f"{arm} - {base}"] = {**latency, "cpu_ms_per_send": cpu}
    deltas["hanging p99 / fast p99"] = (
        arms["hanging webhook"]["send_ms"]["p99"] / arms["webhook"]["send_ms"]["p99"]
    )
    return deltas


def _print(report: dict[str, Any]) -> None:
    print(f"{'arm':>16}  {'p50':>7}  {'p95':>7}  {'p99':>7}  {'max':>7}  {'CPU/send':>9}  answers")
    for name, arm in report["arms"].items():
        latency = arm["send_ms"]
        cpu = arm.get("cpu_ms_per_send", {}).get("total")
        cpu_text = f"{cpu:6.2f} ms" if cpu is not None else "       -"
        print(
            f"{name:>16}  {latency['p50']:7.2f}  {latency['p95']:7.2f}  {latency['p99']:7.2f}  "
            f"{arm['send_max_ms']:7.1f}  {cpu_text:>9}  {arm['statuses']}"
        )
    for step, delta in report["deltas_ms"].items():
        print(f"{step}: {delta}")
    for name, arm in report["arms"].items():
        for what in ("notifications", "webhook_deliveries"):
            if what in arm:
                got = arm[what]
                print(
                    f"{name} {what}: {got['arrived']}/{got['of']}, p50 {_ms(got['p50'])}, "
                    f"p99 {_ms(got['p99'])}"
                )
        if "queue_calls_per_send" in arm:
            print(f"{name} queue calls per send: {arm['queue_calls_per_send']}")
        if "cosmos" in arm:
            print(f"{name} Cosmos: {arm['cosmos']}")
    bare = report["put_and_reveal"]
    print(
        f"put + reveal alone: p50 {bare['wall_ms_p50']:.2f} ms, CPU p50 {bare['cpu_ms_p50']:.2f} ms"
    )
    print(f"wrote {OUTPUT}")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.notifications", description=__doc__)
    parser.add_argument("--sends", type=int, default=300, help="timed sends per arm")
    parser.add_argument("--warmup", type=int, default=20, help="untimed sends first, per arm")
    parser.add_argument("--rate", type=float, default=20.0, help="sends a second, open loop")
    parser.add_argument(
        "--hanging-sends", type=int, default=100, help="timed sends with the hanging receiver"
    )
    parser.add_argument(
        "--hanging-timeout",
        type=float,
        default=15.0,
        help="seconds a send waits for its answer with the hanging receiver",
    )
    add_stack_options(parser, instances=1)
    return parser


if __name__ == "__main__":
    main()
