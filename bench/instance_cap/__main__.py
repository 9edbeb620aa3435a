"""``python -m bench.instance_cap [--caps 1 4 16 32] [--clients 64] [--seconds 5]
[--cpu-ms 2.5] [--wait-ms 30]``

One dev host instance, in this process, serves the model send (model_app.py) with
``triggers.http.perInstanceConcurrency`` and ``PYTHON_THREADPOOL_THREAD_COUNT`` both set to
each cap in turn, while ``--clients`` callers send back to back. Reports accepted sends/s,
p50/p99 latency (queueing for a slot included) and the process CPU used per send. Writes
bench/results/instance_cap.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from devstack.host.loading import load_function_app
from devstack.host.server import HostOptions, create_host_app, host_runner

APP = Path(__file__).with_name("model_app.py")
RESULTS = Path(__file__).resolve().parents[1] / "results" / "instance_cap.json"


def main() -> None:
    options = _parser().parse_args()
    os.environ["BENCH_CPU_MS"] = str(options.cpu_ms)
    os.environ["BENCH_WAIT_MS"] = str(options.wait_ms)
    rows = [asyncio.run(_measure(cap, options.clients, options.seconds)) for cap in options.caps]
    print(f"model send: {options.cpu_ms} ms CPU + {options.wait_ms} ms waiting")
    print(f"{'cap':>5} {'sends/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/send':>12}")
    for row in rows:
        print(
            f"{row['cap']:>5} {row['sends_per_s']:>9.0f} {row['p50_ms']:>8.1f} "
            f"{row['p99_ms']:>8.1f} {row['cpu_ms_per_send']:>12.2f}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"options": vars(options), "rows": rows}, indent=2) + "\n")


async def _measure(cap: int, clients: int, seconds: float) -> dict[str, float]:
    settings = {"PYTHON_THREADPOOL_THREAD_COUNT": str(cap)}
    app = create_host_app(
        load_function_app(APP), HostOptions(settings=settings, http_concurrency=cap)
    )
    runner = host_runner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    latencies: list[float] = []
    limit = aiohttp.TCPConnector(limit=clients)
    try:
        async with aiohttp.ClientSession(f"http://{host}:{port}", connector=limit) as http:
            cpu, started = time.process_time(), time.perf_counter()
            deadline = started + seconds
            await asyncio.gather(*(_caller(http, deadline, latencies) for _ in range(clients)))
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await runner.cleanup()
    latencies.sort()
    return {
        "cap": cap,
        "sends_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "cpu_ms_per_send": cpu / len(latencies) * 1000,
    }


async def _caller(http: aiohttp.ClientSession, deadline: float, latencies: list[float]) -> None:
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        async with http.post("/api/send", data=b"{}") as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"the model send answered {response.status}")
        latencies.append(time.perf_counter() - started)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.instance_cap", description=__doc__)
    parser.add_argument("--caps", type=int, nargs="+", default=[1, 4, 16, 32])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--cpu-ms", type=float, default=2.5)
    parser.add_argument("--wait-ms", type=float, default=30.0)
    return parser


if __name__ == "__main__":
    main()
