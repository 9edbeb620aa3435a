"""Fan-out benchmark of the local SignalR emulator: ``python -m bench.signalr_fanout``.

Connects ``--clients`` official JS clients (one Node process) to an emulator served on this
process's event loop, then measures three rounds:

1. in-process: ``Emulator.send_to_all`` called ``--messages`` times, in chunks that let the
   writers run between them; reports deliveries/s until the last client receipt;
2. REST, flat out: ``--rest-messages`` broadcasts POSTed by a separate process with
   ``--concurrency`` requests in flight; reports broadcasts/s (all 202s back), deliveries/s,
   and p50/p99 latency from just before each POST to each client's receipt;
3. REST, paced at ``--paced-rate`` broadcasts/s: the same latency at a light load.

Prints one line per round and writes bench/results/signalr_fanout.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from devstack.emulator_core.running import connection_string, endpoint_url
from devstack.signalr import DEFAULT_ACCESS_KEY, Emulator, serve
from signalr.connection_string import parse_connection_string
from signalr.tokens import client_connection_info

HUB = "bench"
CLIENTS_SCRIPT = Path(__file__).with_name("clients.mjs")
RESULTS = Path(__file__).resolve().parents[1] / "results" / "signalr_fanout.json"
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

    def line(self) -> str:
        """One human-readable result line."""
        parts = [f"{self.name:<20} {self.deliveries / self.seconds:>10,.0f} deliveries/s"]
        if self.broadcasts_per_second is not None:
            parts.append(f"{self.broadcasts_per_second:>8,.0f} broadcasts/s")
        if self.p50_ms is not None and self.p99_ms is not None:
            parts.append(f"latency p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms")
        parts.append(
            f"CPU s: emulator {self.emulator_cpu:.1f}, clients {self.clients_cpu:.1f} "
            f"in {self.seconds:.1f} s"
        )
        return "  ".join(parts)


class NodeClients:
    """The Node process holding the receiving clients."""

    def __init__(self, process: asyncio.subprocess.Process, count: int) -> None:
        self._process = process
        self.count = count

    @classmethod
    @asynccontextmanager
    async def start(cls, config: dict[str, Any]) -> AsyncIterator[NodeClients]:
        """Start the clients and wait until every one is connected."""
        process = await asyncio.create_subprocess_exec(
            "node",
            str(CLIENTS_SCRIPT),
            env={**os.environ, "BENCH_CLIENTS": json.dumps(config)},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        clients = cls(process, config["clients"])
        try:
            await clients._next("ready")
            yield clients
        finally:
            process.kill()
            await process.wait()

    async def expect(self, deliveries: int) -> None:
        """Start a round that ends when ``deliveries`` messages have arrived in total."""
        assert self._process.stdin is not None
        command = {"command": "expect", "deliveries": deliveries}
        self._process.stdin.write(json.dumps(command).encode() + b"\n")
        await self._process.stdin.drain()

    async def done(self) -> dict[str, Any]:
        """Wait for the round to end; its report."""
        return await self._next("done")

    async def _next(self, wanted: str) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = await asyncio.wait_for(self._process.stdout.readline(), ROUND_TIMEOUT)
        event: dict[str, Any] = json.loads(line) if line else {"event": "exited"}
        if event["event"] != wanted:
            raise RuntimeError(f"expected {wanted!r} from the clients, got {event}")
        return event


async def in_process_round(emulator: Emulator, clients: NodeClients, messages: int) -> Round:
    """Broadcast in-process, yielding to the writers after every chunk."""
    await clients.expect(messages * clients.count)
    started, cpu = time.time(), time.process_time()
    for first in range(0, messages, CHUNK):
        for _ in range(min(CHUNK, messages - first)):
            emulator.send_to_all(HUB, "tick", [None])
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
    name: str, endpoint_string: str, clients: NodeClients, messages: int, **sender: float
) -> Round:
    """Broadcast through the REST API from a separate sender process."""
    await clients.expect(messages * clients.count)
    cpu = time.process_time()
    options = [f"--{key}={value}" for key, value in sender.items()]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.signalr_fanout.rest_sender",
        f"--connection-string={endpoint_string}",
        f"--hub={HUB}",
        f"--count={messages}",
        *options,
        stdout=asyncio.subprocess.PIPE,
    )
    output, _ = await asyncio.wait_for(process.communicate(), ROUND_TIMEOUT)
    sent = json.loads(output)
    if sent["failures"]:
        raise RuntimeError(f"{sent['failures']} REST broadcasts failed")
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
    )


async def run(arguments: argparse.Namespace) -> list[Round]:
    """Serve an emulator here, connect the clients, and measure every round."""
    emulator = Emulator()
    async with serve(emulator, port=0) as port:
        endpoint_string = connection_string(endpoint_url("127.0.0.1", port), DEFAULT_ACCESS_KEY)
        info = client_connection_info(parse_connection_string(endpoint_string), HUB, user_id="b")
        config = {
            **info.as_json_dict(),
            "clients": arguments.clients,
            "protocol": arguments.protocol,
        }
        async with NodeClients.start(config) as clients:
            return [
                await in_process_round(emulator, clients, arguments.messages),
                await rest_round(
                    "REST flat out",
                    endpoint_string,
                    clients,
                    arguments.rest_messages,
                    concurrency=arguments.concurrency,
                ),
                await rest_round(
                    f"REST {arguments.paced_rate:g}/s",
                    endpoint_string,
                    clients,
                    arguments.paced_messages,
                    concurrency=4,
                    rate=arguments.paced_rate,
                ),
            ]


def main() -> None:
    """Parse the command line, run, print one line per round."""
    parser = argparse.ArgumentParser(prog="python -m bench.signalr_fanout", description=__doc__)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--protocol", choices=["json", "messagepack"], default="json")
    parser.add_argument("--messages", type=int, default=30_000, help="in-process broadcasts")
    parser.add_argument(
        "--rest-messages", type=int, default=10_000, help="flat-out REST broadcasts"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="REST requests in flight")
    parser.add_argument("--paced-rate", type=float, default=100.0, help="paced broadcasts/s")
    parser.add_argument("--paced-messages", type=int, default=500)
    arguments = parser.parse_args()
    print(f"{arguments.clients} {arguments.protocol} clients, emulator on 127.0.0.1")
    rounds = asyncio.run(run(arguments))
    for result in rounds:
        print(result.line())
    RESULTS.parent.mkdir(exist_ok=True)
    report = {"arguments": vars(arguments), "rounds": [asdict(result) for result in rounds]}
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
