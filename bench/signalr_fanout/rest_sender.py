"""The sending side of the REST rounds: broadcasts through the emulator's REST API.

``python -m bench.signalr_fanout.rest_sender --connection-string=... --hub=... --count=n``
POSTs ``n`` broadcasts of ``tick(sentAtMs)`` to ``/api/hubs/{hub}/:send`` from one aiohttp
session (see :mod:`bench.fanout.sending` for the other options and what it prints).
"""

from __future__ import annotations

import argparse
import asyncio
import json

import aiohttp

from bench.fanout.sending import parser, send_from_tasks
from shared.connection_string import parse_connection_string
from signalr.tokens import server_token

_TIMEOUT = aiohttp.ClientTimeout(total=10)


async def send(arguments: argparse.Namespace) -> None:
    """Broadcast every tick from one session, reusing one server token."""
    connection = parse_connection_string(arguments.connection_string)
    url = f"{connection.server_url}/api/hubs/{arguments.hub}/:send"
    headers = {
        "Authorization": f"Bearer {server_token(connection, url)}",
        "Content-Type": "application/json",
    }
    params = {"api-version": "2022-06-01"}
    async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:

        async def broadcast(sent_at: float) -> str | None:
            body = json.dumps({"target": "tick", "arguments": [sent_at]})
            async with session.post(url, params=params, data=body, headers=headers) as response:
                return None if response.status == 202 else f"HTTP {response.status}"

        await send_from_tasks(arguments, broadcast)


def main() -> None:
    """Parse the command line and send."""
    command_line = parser("python -m bench.signalr_fanout.rest_sender")
    command_line.add_argument("--connection-string", required=True)
    command_line.add_argument("--hub", required=True)
    asyncio.run(send(command_line.parse_args()))


if __name__ == "__main__":
    main()
