"""``python -m bench.soak``: the whole local stack under many senders and listeners.

Starts :class:`~devstack.stack.LocalStack` (the dev host over HTTP, the local Cosmos server,
the SignalR emulator); connects ``--listeners`` official JS clients spread evenly over
``--documents`` documents, each negotiating through the host and joining its document;
then ``--senders`` concurrent senders post ``--messages`` messages in turn over the
documents through the service route. Reports what the listeners lost, heard twice or heard
out of seq order, the live latency (send start to receipt), each stack process's memory,
and messages/s. Writes bench/results/soak.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench.live import RESULTS, NodeProcess, post_message, running_stack, stack_rss_mb
from devstack.stack import LocalStack

LISTENERS_SCRIPT = Path(__file__).with_name("listeners.mjs")
LATENCY_AIM_MS = 150.0
CONNECT_TIMEOUT = 120.0
#: How long the listeners may take to hear the last messages after the last 201.
DRAIN_TIMEOUT = 60.0


@dataclass
class Sends:
    """What the senders were told: per document, the seq of every 201."""

    seqs: dict[str, list[int]] = field(default_factory=dict)
    refused: dict[int, int] = field(default_factory=dict)
    failed: int = 0
    round_trips: list[float] = field(default_factory=list)
    started: float = 0.0
    finished: float = 0.0

    @property
    def created(self) -> int:
        return sum(len(seqs) for seqs in self.seqs.values())


@dataclass(frozen=True)
class Hearing:
    """What the listeners heard, against what the senders were told was stored."""

    lost: int
    duplicated: int
    out_of_order: int
    listeners_out_of_order: int
    extra: int


def main() -> None:
    options = _parser().parse_args()
    per_document = options.listeners // options.documents
    documents = [f"soak-{number:02d}" for number in range(options.documents)]
    with running_stack("soak") as stack:
        report = asyncio.run(_soak(stack, documents, per_document, options))
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
    hearing = _judge(sends, heard["listeners"])
    return {
        "messages_created": sends.created,
        "refused": sends.refused,
        "failed": sends.failed,
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

    async def sender(name: str) -> None:
        while time.monotonic() < deadline and (number := next(numbers)) < options.messages:
            document = documents[number % len(documents)]
            started = time.time()
            try:
                status, answer = await post_message(session, stack, document, _body(name, name))
            except (aiohttp.ClientError, TimeoutError):
                sends.failed += 1
                continue
            sends.round_trips.append(time.time() - started)
            if status == 201:
                sends.seqs[document].append(answer["seq"])
            else:
                sends.refused[status] = sends.refused.get(status, 0) + 1

    sends.started = time.time()
    await asyncio.gather(*(sender(f"soak-sender-{n:02d}") for n in range(options.senders)))
    sends.finished = time.time()
    return sends


def _body(sender_id: str, sender_name: str) -> dict[str, str]:
    # The send time leads the text: the listeners subtract it from their receipt time.
    text = f"{time.time() * 1000:.3f} soak message"
    return {"text": text, "senderId": sender_id, "senderName": sender_name}


def _judge(sends: Sends, listeners: list[dict[str, Any]]) -> Hearing:
    lost = duplicated = out_of_order = listeners_out_of_order = extra = 0
    for listener in listeners:
        stored = set(sends.seqs[listener["document"]])
        seqs: list[int] = listener["seqs"]
        heard = set(seqs)
        lost += len(stored - heard)
        extra += len(heard - stored)
        duplicated += len(seqs) - len(heard)
        late = sum(1 for before, seq in itertools.pairwise(seqs) if seq <= before)
        out_of_order += late
        listeners_out_of_order += bool(late)
    return Hearing(lost, duplicated, out_of_order, listeners_out_of_order, extra)


def _percentiles(seconds: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(seconds, n=100)
    return {"p50": cuts[49] * 1e3, "p95": cuts[94] * 1e3, "p99": cuts[98] * 1e3}


def _print(report: dict[str, Any]) -> None:
    hearing, latency = report["hearing"], report["live_latency_ms"]
    print(
        f"{report['messages_created']} messages stored (201) at "
        f"{report['messages_per_second']:.0f}/s; refused {report['refused']}, "
        f"failed {report['failed']}"
    )
    print(
        f"lost {hearing['lost']}, duplicated {hearing['duplicated']}, out of order "
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
    parser.add_argument("--messages", type=int, default=10_000, help="messages to send in all")
    parser.add_argument("--listeners", type=int, default=100, help="JS clients in all")
    parser.add_argument("--documents", type=int, default=10)
    parser.add_argument("--senders", type=int, default=20, help="sends in flight")
    parser.add_argument("--max-seconds", type=float, default=240.0, help="stop sending after")
    return parser


if __name__ == "__main__":
    main()
