"""``python -m bench.soak``: the whole local stack under many senders and listeners.

Starts :class:`~devstack.stack.LocalStack` (the dev host over HTTP, or ``--instances`` of
them behind the front door; the local Cosmos server, the SignalR emulator); connects
``--listeners`` official JS clients spread evenly over ``--documents`` documents, each
negotiating through the host and joining its document; then ``--senders`` concurrent
senders post ``--messages`` messages in turn over the documents through the service route,
each with its own id, retrying an answer that is not 201 or 200 with the same id as a client
would. With several instances, one is killed (SIGKILL) halfway through and the stack's
supervisor starts it again. Reports what the listeners lost, heard twice or heard out of
seq order, the live latency (send start to receipt), each stack process's memory, and
messages/s; then reads every document's history back: seqs gapless and unique, every
acknowledged message in it under its seq, and no message whose answer said ``stored: false``.
Writes bench/results/soak.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import statistics
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.live import (
    RESULTS,
    NodeProcess,
    add_stack_options,
    post_message,
    read_history,
    running_stack,
    stack_rss_mb,
)
from devstack.stack import LocalStack

LISTENERS_SCRIPT = Path(__file__).with_name("listeners.mjs")
LATENCY_AIM_MS = 150.0
CONNECT_TIMEOUT = 120.0
#: How long the listeners may take to hear the last messages after the last 201.
DRAIN_TIMEOUT = 60.0
#: Tries of one message (the first and its retries with the same id), and the waits between
#: them: the first, doubling, at most the last.
TRIES = 6
RETRY_WAIT = (0.2, 1.6)
READER = "soak-reader"


@dataclass
class Sends:
    """What the senders were told: per document, the seq of every message acknowledged (201,
    or 200 to a retry), and every answer's honesty material."""

    seqs: dict[str, list[int]] = field(default_factory=dict)
    retried_seqs: dict[str, set[int]] = field(default_factory=dict)
    acknowledged: dict[str, int] = field(default_factory=dict)  # message id -> seq
    refused: dict[str, int] = field(default_factory=dict)
    #: Per message id, what each try heard: "201", "200", "false", or "unknown" (stored:
    #: null or true without a 2xx, an answer not the app's, no answer).
    outcomes: dict[str, list[str]] = field(default_factory=dict)
    given_up: int = 0
    failed: int = 0
    retries: int = 0
    round_trips: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0
    killed_at: float | None = None

    @property
    def created(self) -> int:
        return sum(len(seqs) for seqs in self.seqs.values())


@dataclass(frozen=True)
class Hearing:
    """What the listeners heard, against what the senders were told was stored."""

    lost: int
    duplicated: int
    #: Heard again because a retry with the message's id delivered it again, by design
    #: (chat.app.service: a client that missed it gets it); the page keeps one per seq.
    redelivered: int
    out_of_order: int
    listeners_out_of_order: int
    extra: int


def main() -> None:
    options = _parser().parse_args()
    per_document = options.listeners // options.documents
    documents = [f"soak-{number:02d}" for number in range(options.documents)]
    with running_stack("soak", instances=options.instances, latency_ms=options.latency_ms) as stack:
        restarts: list[str] = []
        supervisor = threading.Thread(target=stack.supervise, args=(restarts.append,), daemon=True)
        supervisor.start()
        report = asyncio.run(_soak(stack, documents, per_document, options))
        report["restarts"] = restarts
    report["arguments"] = vars(options)
    _print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "soak.json").write_text(json.dumps(report, indent=2) + "\n")


async def _soak(
    stack: LocalStack, documents: list[str], per_document: int, options: argparse.Namespace
) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        for document in documents:  # creates the container and every head: not measured
            await post_message(session, stack, document, _body("warm-up", "soak-warm-up"))
        rss = {"idle": stack_rss_mb(stack)}
        config = {"baseUrl": stack.base_url, "documents": documents, "perDocument": per_document}
        async with NodeProcess.start(LISTENERS_SCRIPT, "BENCH_LISTENERS", config) as listeners:
            await listeners.expect("ready", CONNECT_TIMEOUT)
            rss["listening"] = stack_rss_mb(stack)
            sends = await _send_all(session, stack, documents, options)
            await listeners.send({"command": "expect", "deliveries": sends.created * per_document})
            heard = await listeners.expect("done", DRAIN_TIMEOUT + options.max_seconds)
            rss["after"] = stack_rss_mb(stack)
        histories = {
            document: await read_history(session, stack, document, READER) for document in documents
        }
    hearing = _judge(sends, heard["listeners"])
    return {
        "messages_created": sends.created,
        "refused": sends.refused,
        "retries": sends.retries,
        "given_up": sends.given_up,
        "failed": sends.failed,
        "killed_instance_after_s": (
            sends.killed_at - sends.started if sends.killed_at is not None else None
        ),
        "history": _check_histories(histories, sends),
        "messages_per_second": sends.created / (sends.finished - sends.started),
        "send_round_trip_ms": _percentiles(sends.round_trips),
        "hearing": asdict(hearing),
        "live_latency_ms": heard["latencyMs"],
        "after_server_stamp_ms": heard["serverMs"],
        "listeners_cpu_s": heard["cpuSeconds"],
        "rss_mb": rss,
    }


async def _send_all(
    session: aiohttp.ClientSession,
    stack: LocalStack,
    documents: list[str],
    options: argparse.Namespace,
) -> Sends:
    """``options.senders`` tasks take the next message number in turn until ``--messages``
    are sent or ``--max-seconds`` have passed; message n goes to document n mod count."""
    sends = Sends(seqs={document: [] for document in documents})
    numbers = itertools.count()
    deadline = time.monotonic() + options.max_seconds
    kill_at = options.messages // 2 if options.instances > 1 else None

    async def sender(name: str) -> None:
        while time.monotonic() < deadline and (number := next(numbers)) < options.messages:
            if number == kill_at:
                _kill_an_instance(stack, sends)
            document = documents[number % len(documents)]
            await _send_one(session, stack, sends, document, f"{name}-{number}", name)

    sends.started = time.time()
    await asyncio.gather(*(sender(f"soak-sender-{n:02d}") for n in range(options.senders)))
    sends.finished = time.time()
    return sends


def _kill_an_instance(stack: LocalStack, sends: Sends) -> None:
    """SIGKILL the last app instance's process group, mid-run; the supervisor restarts it."""
    host = stack.child(f"host-{stack.instances}")
    if host.pid is not None:
        os.killpg(host.pid, signal.SIGKILL)
        sends.killed_at = time.time()


async def _send_one(
    session: aiohttp.ClientSession,
    stack: LocalStack,
    sends: Sends,
    document: str,
    message_id: str,
    sender: str,
) -> None:
    """Post one message, retrying with the same id until it is acknowledged or ``TRIES``."""
    body = {**_body(sender, sender), "id": message_id}  # the same on every try
    outcomes = sends.outcomes.setdefault(message_id, [])
    for attempt in range(TRIES):
        sends.retries += bool(attempt)
        started = time.time()
        try:
            status, answer = await post_message(session, stack, document, body)
        except (aiohttp.ClientError, TimeoutError):
            sends.failed += 1
            outcomes.append("unknown")
            await asyncio.sleep(_retry_wait(attempt))
            continue
        sends.round_trips.append(time.time() - started)
        if status in (200, 201):
            outcomes.append(str(status))
            sends.seqs[document].append(answer["seq"])
            sends.acknowledged[message_id] = answer["seq"]
            if attempt:
                sends.retried_seqs.setdefault(document, set()).add(answer["seq"])
            return
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        stored = error.get("stored")
        key = f"{status} stored:{json.dumps(stored)}"
        sends.refused[key] = sends.refused.get(key, 0) + 1
        outcomes.append("false" if stored is False else "unknown")
        await asyncio.sleep(_retry_wait(attempt))
    sends.given_up += 1


def _retry_wait(attempt: int) -> float:
    first, longest = RETRY_WAIT
    return min(first * (1 << attempt), longest)


def _body(sender_id: str, sender_name: str) -> dict[str, str]:
    # The send time leads the text: the listeners subtract it from their receipt time.
    text = f"{time.time() * 1000:.3f} soak message"
    return {"text": text, "senderId": sender_id, "senderName": sender_name}


def _judge(sends: Sends, listeners: list[dict[str, Any]]) -> Hearing:
    lost = duplicated = redelivered = out_of_order = listeners_out_of_order = extra = 0
    for listener in listeners:
        stored = set(sends.seqs[listener["document"]])
        retried = sends.retried_seqs.get(listener["document"], set())
        seqs: list[int] = listener["seqs"]
        heard = set(seqs)
        lost += len(stored - heard)
        extra += len(heard - stored)
        again = Counter(seqs) - Counter(heard)
        redelivered += sum(count for seq, count in again.items() if seq in retried)
        duplicated += sum(count for seq, count in again.items() if seq not in retried)
        first_hearings = list(dict.fromkeys(seqs))
        late = sum(1 for before, seq in itertools.pairwise(first_hearings) if seq <= before)
        out_of_order += late
        listeners_out_of_order += bool(late)
    return Hearing(lost, duplicated, redelivered, out_of_order, listeners_out_of_order, extra)


def _check_histories(histories: dict[str, list[dict[str, Any]]], sends: Sends) -> dict[str, Any]:
    """Each document's stored history against what its answers said."""
    seqs_ok = ids_unique = True
    stored_ids: dict[str, int] = {}
    for messages in histories.values():
        seqs = [message["seq"] for message in messages]
        seqs_ok &= sorted(seqs) == list(range(1, len(seqs) + 1))
        ids = [message["id"] for message in messages]
        ids_unique &= len(set(ids)) == len(ids)
        stored_ids.update({message["id"]: message["seq"] for message in messages})
    acknowledged_missing = sum(
        1 for mid, seq in sends.acknowledged.items() if stored_ids.get(mid) != seq
    )
    return {
        "messages": len(stored_ids),
        "seqs_gapless_and_unique": seqs_ok,
        "ids_unique": ids_unique,
        "acknowledged_not_stored": acknowledged_missing,
        "said_not_stored_but_stored": sum(
            _contradicted(outcomes) for mid, outcomes in sends.outcomes.items() if mid in stored_ids
        ),
        "stored_without_acknowledgement": len(stored_ids.keys() - sends.acknowledged.keys())
        - len(histories),  # less each document's warm-up message
    }


def _contradicted(outcomes: list[str]) -> int:
    """How many ``stored: false`` answers of a message the history holds no later try can
    explain: none after it stored it (201) or might have (unknown). Such an answer was false:
    the message was stored by that try or an earlier one still landing."""
    return sum(
        1
        for index, outcome in enumerate(outcomes)
        if outcome == "false"
        and not any(later in ("201", "unknown") for later in outcomes[index + 1 :])
    )


def _percentiles(seconds: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(seconds, n=100)
    return {"p50": cuts[49] * 1e3, "p95": cuts[94] * 1e3, "p99": cuts[98] * 1e3}


def _print(report: dict[str, Any]) -> None:
    hearing, latency = report["hearing"], report["live_latency_ms"]
    print(
        f"{report['messages_created']} messages acknowledged (201, or 200 to a retry) at "
        f"{report['messages_per_second']:.0f}/s; other answers {report['refused']}, "
        f"failed {report['failed']}, retries {report['retries']}, given up {report['given_up']}"
    )
    if report["killed_instance_after_s"] is not None:
        print(
            f"one instance killed {report['killed_instance_after_s']:.1f} s in; "
            f"restarts: {report['restarts']}"
        )
    history = report["history"]
    print(
        f"history: {history['messages']} messages, seqs gapless and unique "
        f"{history['seqs_gapless_and_unique']}, ids unique {history['ids_unique']}, "
        f"acknowledged but not stored {history['acknowledged_not_stored']}, said "
        f"stored:false but stored {history['said_not_stored_but_stored']}, stored without "
        f"an acknowledgement {history['stored_without_acknowledgement']}"
    )
    print(
        f"lost {hearing['lost']}, duplicated {hearing['duplicated']} (and "
        f"{hearing['redelivered']} delivered again by a retry), out of order "
        f"{hearing['out_of_order']} (at {hearing['listeners_out_of_order']} listeners), "
        f"unexpected {hearing['extra']}"
    )
    met = "met" if latency["p99"] <= LATENCY_AIM_MS else "MISSED"
    print(
        f"live latency p50 {latency['p50']:.1f} ms, p95 {latency['p95']:.1f} ms, "
        f"p99 {latency['p99']:.1f} ms (aim p99 <= {LATENCY_AIM_MS:g} ms: {met})"
    )
    trip = report["send_round_trip_ms"]
    print(f"send round trip p50 {trip['p50']:.1f} ms, p99 {trip['p99']:.1f} ms")
    for moment, sizes in report["rss_mb"].items():
        print(f"RSS {moment:>9}: " + ", ".join(f"{n} {mb:.0f} MB" for n, mb in sizes.items()))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    add_stack_options(parser, instances=1)
    parser.add_argument("--messages", type=int, default=10_000, help="messages to send in all")
    parser.add_argument("--listeners", type=int, default=100, help="JS clients in all")
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--senders", type=int, default=20, help="sends in flight")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="stop sending after")
    return parser


if __name__ == "__main__":
    main()
