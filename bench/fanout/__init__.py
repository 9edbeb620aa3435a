"""What the fan-out benchmarks share (``bench.signalr_fanout``, ``bench.webpubsub_fanout``).

One Node process holds the receiving JS clients (its script builds them and hands them to
``receiver.mjs``, which counts deliveries and times those that carry a send time). A round
tells it how many deliveries to expect, sends, and reads its report. Two kinds of round:

- in-process: the emulator's own send method called on this event loop, in chunks that let
  the socket writers run between them; deliveries/s until the last client receipt;
- REST: a separate sender process (``python -m <module>``, see :mod:`bench.fanout.sending`)
  POSTs the messages; broadcasts/s (all accepted), deliveries/s and send-to-receipt latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.live import RESULTS, NodeProcess

__all__ = [
    "ReceivingClients",
    "Round",
    "in_process_round",
    "main",
    "parser",
    "rest_round",
    "standard_rounds",
]

#: Messages sent per turn of the event loop in the in-process round.
CHUNK = 100
#: A round that makes no progress for this long has failed.
ROUND_TIMEOUT = 120.0


@dataclass(frozen=True)
class Round:
    """What the clients saw of one round."""

    name: str
    deliveries: int
    seconds: float
    emulator_cpu: float
    clients_cpu: float
    p50_ms: float | None = None
    p99_ms: float | None = None
    broadcasts_per_second: float | None = None
    sender_cpu: float | None = None

    def line(self) -> str:
        """One human-readable result line."""
        parts = [f"{self.name:<20} {self.deliveries / self.seconds:>10,.0f} deliveries/s"]
        if self.broadcasts_per_second is not None:
            parts.append(f"{self.broadcasts_per_second:>8,.0f} broadcasts/s")
        if self.p50_ms is not None and self.p99_ms is not None:
            parts.append(f"latency p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms")
        sender = "" if self.sender_cpu is None else f", sender {self.sender_cpu:.1f}"
        parts.append(
            f"CPU s: emulator {self.emulator_cpu:.1f}, clients {self.clients_cpu:.1f}{sender} "
            f"in {self.seconds:.1f} s"
        )
        return "  ".join(parts)


class ReceivingClients:
    """The Node process holding the receiving clients."""

    def __init__(self, node: NodeProcess, count: int) -> None:
        self._node = node
        self.count = count

    @classmethod
    @asynccontextmanager
    async def start(cls, script: Path, config: dict[str, Any]) -> AsyncIterator[ReceivingClients]:
        """Run ``script`` with ``config`` (which names ``clients``, how many) in
        ``BENCH_CLIENTS`` and wait until every client is connected."""
        async with NodeProcess.start(script, "BENCH_CLIENTS", config) as node:
            await node.expect("ready", ROUND_TIMEOUT)
            yield cls(node, config["clients"])

    async def expect(self, deliveries: int) -> None:
        """Start a round that ends when ``deliveries`` messages have arrived in total."""
        await self._node.send({"command": "expect", "deliveries": deliveries})
        # Counting starts now, not when Node reads the command after the first deliveries.
        await self._node.expect("expecting", ROUND_TIMEOUT)

    async def done(self) -> dict[str, Any]:
        """Wait for the round to end; its report."""
        return await self._node.expect("done", ROUND_TIMEOUT)


async def in_process_round(
    send: Callable[[], object], clients: ReceivingClients, messages: int
) -> Round:
    """Call ``send`` ``messages`` times on this loop, yielding to the writers after every
    chunk; each call must reach every client once."""
    await clients.expect(messages * clients.count)
    started, cpu = time.time(), time.process_time()
    for first in range(0, messages, CHUNK):
        for _ in range(min(CHUNK, messages - first)):
            send()
        await asyncio.sleep(0)
    report = await clients.done()
    return Round(
        "in-process",
        report["received"],
        report["lastAt"] / 1000 - started,
        emulator_cpu=time.process_time() - cpu,
        clients_cpu=report["cpuSeconds"],
    )


async def rest_round(
    name: str, sender: str, clients: ReceivingClients, messages: int, **options: object
) -> Round:
    """Send ``messages`` through the REST API from the sender module ``sender``, run with
    ``--count`` and ``options`` as its command line; each must reach every client once."""
    await clients.expect(messages * clients.count)
    cpu = time.process_time()
    arguments = [f"--{key.replace('_', '-')}={value}" for key, value in options.items()]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        sender,
        f"--count={messages}",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await asyncio.wait_for(process.communicate(), ROUND_TIMEOUT)
    if process.returncode:
        raise RuntimeError(f"{sender} exited with {process.returncode}")
    sent = json.loads(output)
    if sent["failures"]:
        raise RuntimeError(f"{sent['failures']} REST sends failed: {sent['firstFailure']}")
    report = await clients.done()
    return Round(
        name,
        report["received"],
        report["lastAt"] / 1000 - sent["startedAt"],
        emulator_cpu=time.process_time() - cpu,
        clients_cpu=report["cpuSeconds"],
        p50_ms=report["p50Ms"],
        p99_ms=report["p99Ms"],
        broadcasts_per_second=messages / (sent["finishedAt"] - sent["startedAt"]),
        sender_cpu=sent["cpuSeconds"],
    )


async def standard_rounds(
    arguments: argparse.Namespace,
    clients: ReceivingClients,
    send: Callable[[], object],
    sender: str,
    variants: Mapping[str, Mapping[str, object]],
    **options: object,
) -> list[Round]:
    """The in-process round; one REST round flat out per sender variant (its name's suffix
    and its extra options); the first variant paced."""
    rounds = [await in_process_round(send, clients, arguments.messages)]
    flat_out = {"concurrency": arguments.concurrency, **options}
    for suffix, extra in variants.items():
        rounds.append(
            await rest_round(
                f"REST flat out{suffix}",
                sender,
                clients,
                arguments.rest_messages,
                **flat_out,
                **extra,
            )
        )
    suffix, extra = next(iter(variants.items()))
    paced = {**options, **extra, "concurrency": 4, "rate": arguments.paced_rate}
    rounds.append(
        await rest_round(
            f"REST {arguments.paced_rate:g}/s{suffix}",
            sender,
            clients,
            arguments.paced_messages,
            **paced,
        )
    )
    return rounds


def parser(prog: str, description: str | None) -> argparse.ArgumentParser:
    """The options every fan-out benchmark takes."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--messages", type=int, default=30_000, help="in-process broadcasts")
    parser.add_argument(
        "--rest-messages", type=int, default=10_000, help="flat-out REST broadcasts"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="REST requests in flight")
    parser.add_argument("--paced-rate", type=float, default=100.0, help="paced broadcasts/s")
    parser.add_argument("--paced-messages", type=int, default=500)
    return parser


def main(
    benchmark: str,
    arguments: argparse.Namespace,
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, list[Round]]],
) -> None:
    """Run, print one line per round, and write ``bench/results/<benchmark>.json``."""
    rounds = asyncio.run(run(arguments))
    for result in rounds:
        print(result.line())
    RESULTS.mkdir(exist_ok=True)
    report = {"arguments": vars(arguments), "rounds": [asdict(result) for result in rounds]}
    (RESULTS / f"{benchmark}.json").write_text(json.dumps(report, indent=2) + "\n")
