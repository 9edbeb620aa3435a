"""``python -m bench.hot_document``: many senders on one document.

Starts the whole local stack on ``--instances`` app hosts behind the front door, with
``--latency-ms`` added to each Cosmos DB and service REST answer. For each number of
``--senders`` in turn, that many concurrent senders post to one document through the service
route for ``--seconds`` (at most ``--messages`` each round), each sending its next message
as soon as the last is answered. Reports accepted messages/s (201s over the round's time),
the send latency of the 201s at p50/p99, the app hosts' CPU per message, every other answer,
and the transactional batches the Cosmos server ran: committed (messages per batch) and
failed by status (412: a writer lost the race for the document's head, and retried). Then
reads the document's whole history
back and checks that its seqs are 1..n, each once, and that every 201 names a message the
history holds under that seq. With ``--replies`` half the sends are replies to 5 hot
threads (roots posted first), and the check adds that each root's ``replyCount`` is exactly
the replies the history holds in its thread. Writes bench/results/hot_document.json
(hot_document_replies.json with ``--replies``). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.live import (
    RESULTS,
    add_stack_options,
    batch_counts,
    host_cpu_seconds,
    percentiles_ms,
    post_message,
    read_history,
    running_stack,
)
from devstack.stack import LocalStack

DOCUMENT = "hot-document"
READER = "hot-document-reader"
RATE_AIM = 300.0
P99_AIM_MS = 300.0
#: A send that takes longer is counted as failed: far past any answer the app gives.
SEND_TIMEOUT = 30.0
#: With ``--replies``: the threads half the sends reply to.
HOT_THREADS = [f"hot-thread-{number}" for number in range(5)]


@dataclass
class Round:
    """What one round's senders were told."""

    senders: int
    accepted: dict[str, int] = field(default_factory=dict)  # message id -> seq of its 201
    latencies: list[float] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    seconds: float = 0.0
    host_cpu_seconds: float = 0.0
    batches: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        return {
            "senders": self.senders,
            "accepted": len(self.accepted),
            "messages_per_second": len(self.accepted) / self.seconds,
            "send_latency_ms": percentiles_ms(self.latencies),
            "answers": self.answers,
            "failed": self.failed,
            "seconds": self.seconds,
            "host_cpu_ms_per_message": self.host_cpu_seconds * 1e3 / max(len(self.accepted), 1),
            "host_cpu_cores": self.host_cpu_seconds / self.seconds,
            "batches": self.batches,
        }


def main() -> None:
    options = _parser().parse_args()
    with running_stack(
        "hot_document", instances=options.instances, latency_ms=options.latency_ms
    ) as stack:
        report = asyncio.run(_run(stack, options))
    report["arguments"] = vars(options)
    _print(report)
    RESULTS.mkdir(exist_ok=True)
    name = "hot_document_replies.json" if options.replies else "hot_document.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")


async def _run(stack: LocalStack, options: argparse.Namespace) -> dict[str, Any]:
    timeout = aiohttp.ClientTimeout(total=SEND_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=max(options.senders) + 10)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        # Creates the container and the document's head, and warms every instance.
        warm = Round(senders=1)
        for number in range(2 * options.instances):
            await _send(session, stack, warm, f"warm-{number}")
        for root in HOT_THREADS if options.replies else []:
            await _send(session, stack, warm, root)
        rounds = []
        for senders in options.senders:
            rounds.append(await _round(session, stack, senders, options))
        history = await read_history(session, stack, DOCUMENT, READER)
    accepted = {**warm.accepted}
    for done in rounds:
        accepted.update(done.accepted)
    return {
        "rounds": [done.figures() for done in rounds],
        "history": _check(history, accepted),
    }


async def _round(
    session: aiohttp.ClientSession, stack: LocalStack, senders: int, options: argparse.Namespace
) -> Round:
    done = Round(senders=senders)
    numbers = itertools.count()
    deadline = time.monotonic() + options.seconds

    async def sender() -> None:
        while time.monotonic() < deadline and (number := next(numbers)) < options.messages:
            reply_to = HOT_THREADS[number // 2 % 5] if options.replies and number % 2 else None
            await _send(session, stack, done, f"s{senders}-{number}", reply_to)

    batches = await batch_counts(session, stack)
    started, cpu = time.monotonic(), host_cpu_seconds(stack)
    await asyncio.gather(*(sender() for _ in range(senders)))
    done.seconds = time.monotonic() - started
    done.host_cpu_seconds = host_cpu_seconds(stack) - cpu
    done.batches = _batches_between(batches, await batch_counts(session, stack))
    return done


def _batches_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    committed = after["committed"] - before["committed"]
    operations = after["operations"] - before["operations"]
    failed = {
        status: count - before["failed"].get(status, 0)
        for status, count in after["failed"].items()
        if count > before["failed"].get(status, 0)
    }
    # Each batch writes its messages and the document's head: one operation more.
    per_batch = (operations - committed) / committed if committed else 0.0
    return {"committed": committed, "messages_per_batch": per_batch, "failed": failed}


async def _send(
    session: aiohttp.ClientSession,
    stack: LocalStack,
    done: Round,
    message_id: str,
    reply_to: str | None = None,
) -> None:
    body = {"id": message_id, "text": "hot", "senderId": "hot-sender", "senderName": "Hot"}
    if reply_to is not None:
        body["replyTo"] = reply_to
    started = time.monotonic()
    try:
        status, answer = await post_message(session, stack, DOCUMENT, body)
    except (aiohttp.ClientError, TimeoutError):
        done.failed += 1
        return
    if status == 201:
        done.latencies.append(time.monotonic() - started)
        done.accepted[message_id] = answer["seq"]
        return
    stored = answer.get("error", {}).get("stored") if isinstance(answer, dict) else None
    key = f"{status} stored:{json.dumps(stored)}"
    done.answers[key] = done.answers.get(key, 0) + 1


def _check(history: list[dict[str, Any]], accepted: dict[str, int]) -> dict[str, Any]:
    """Gapless and unique seqs, every 201 in the history under its seq, and each root's
    reply count the replies its thread holds."""
    seqs = [message["seq"] for message in history]
    by_id = {message["id"]: message["seq"] for message in history}
    unique = len(set(seqs)) == len(seqs)
    gapless = sorted(seqs) == list(range(1, len(seqs) + 1))
    missing = [mid for mid, seq in accepted.items() if by_id.get(mid) != seq]
    return {
        "messages": len(history),
        "accepted": len(accepted),
        "unique": unique,
        "gapless": gapless,
        "accepted_not_in_history": len(missing),
        "stored_beyond_201s": len(history) - len(accepted),
        "replies": sum(1 for message in history if message.get("threadId")),
        "reply_counts_exact": all(
            message["thread"]["replyCount"]
            == sum(1 for reply in history if reply.get("threadId") == message["id"])
            for message in history
            if message.get("thread")
        ),
    }


def _print(report: dict[str, Any]) -> None:
    arguments = report["arguments"]
    mix = "half of them replies to 5 hot threads" if arguments["replies"] else "flat timeline"
    print(
        f"one document, {arguments['instances']} instances, "
        f"{arguments['latency_ms']} ms added latency, {mix}"
    )
    print(
        "senders | accepted msg/s | p50 ms | p99 ms | host CPU/msg | batches (msg each) | "
        "failed batches | other answers | failed"
    )
    for done in report["rounds"]:
        latency, batches = done["send_latency_ms"], done["batches"]
        print(
            f"{done['senders']:>7} | {done['messages_per_second']:>14.0f} | "
            f"{latency['p50'] or 0:>6.1f} | {latency['p99'] or 0:>6.1f} | "
            f"{done['host_cpu_ms_per_message']:>7.1f} ms | "
            f"{batches['committed']} ({batches['messages_per_batch']:.1f}) | "
            f"{batches['failed'] or '-'} | {done['answers'] or '-'} | {done['failed']}"
        )
    best = max(report["rounds"], key=lambda done: done["messages_per_second"])
    met = (
        best["messages_per_second"] >= RATE_AIM
        and (best["send_latency_ms"]["p99"] or 0) <= P99_AIM_MS
    )
    print(
        f"aim >= {RATE_AIM:g} msg/s with p99 <= {P99_AIM_MS:g} ms: "
        f"{'met' if met else 'MISSED'} (best: {best['senders']} senders)"
    )
    history = report["history"]
    print(
        f"history: {history['messages']} messages, unique {history['unique']}, gapless "
        f"{history['gapless']}, 201s not in it under their seq "
        f"{history['accepted_not_in_history']}, stored beyond the 201s "
        f"{history['stored_beyond_201s']}, replies {history['replies']} (reply counts "
        f"exact: {history['reply_counts_exact']})"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.hot_document", description=__doc__)
    add_stack_options(parser)
    parser.add_argument(
        "--senders", type=int, nargs="+", default=[1, 10, 50], help="concurrent senders per round"
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each round")
    parser.add_argument("--messages", type=int, default=5000, help="most messages per round")
    parser.add_argument(
        "--replies",
        action="store_true",
        help="half the sends reply to 5 hot threads (the reply-heavy mix)",
    )
    return parser


if __name__ == "__main__":
    main()
