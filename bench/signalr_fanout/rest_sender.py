"""The sending side of the REST round: broadcasts through the emulator's REST API.

Runs in its own process (``python -m bench.signalr_fanout.rest_sender``) so the client's
CPU does not share the emulator's event loop, as a function app calling the service would
not. It POSTs ``count`` broadcasts of ``tick(sentAtMs)`` with ``concurrency`` requests in
flight, optionally paced to ``rate`` per second, then prints one JSON line:
``{"sent", "startedAt", "finishedAt", "failures"}`` (wall-clock seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import aiohttp

from signalr.connection_string import parse_connection_string
from signalr.tokens import server_token

_TIMEOUT = aiohttp.ClientTimeout(total=10)


async def send(connection_string: str, hub: str, count: int, concurrency: int, rate: float) -> None:
    """Broadcast ``count`` ticks and print what happened."""
    connection = parse_connection_string(connection_string)
    url = f"{connection.server_url}/api/hubs/{hub}/:send"
    headers = {
        "Authorization": f"Bearer {server_token(connection, url)}",
        "Content-Type": "application/json",
    }
    params = {"api-version": "2022-06-01"}
    next_index = iter(range(count))
    failures = 0
    started = time.time()

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        for index in next_index:
            if rate > 0:
                await asyncio.sleep(max(0.0, started + index / rate - time.time()))
            body = json.dumps({"target": "tick", "arguments": [time.time() * 1000]})
            async with session.post(url, params=params, data=body, headers=headers) as response:
                failures += response.status != 202

    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    report = {"sent": count, "startedAt": started, "finishedAt": time.time(), "failures": failures}
    print(json.dumps(report), flush=True)


def main() -> None:
    """Parse the command line and send."""
    parser = argparse.ArgumentParser(prog="python -m bench.signalr_fanout.rest_sender")
    parser.add_argument("--connection-string", required=True)
    parser.add_argument("--hub", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=0.0, help="per second; 0: flat out")
    args = parser.parse_args()
    asyncio.run(send(args.connection_string, args.hub, args.count, args.concurrency, args.rate))


if __name__ == "__main__":
    main()
