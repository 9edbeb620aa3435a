"""``python -m devstack.signalr``: run the emulator until SIGINT or SIGTERM.

The AccessKey comes from the environment variable ``DEVSTACK_SIGNALR_ACCESS_KEY`` (the public
local key when unset), never from the command line, which any user can read with ``ps``.

The first line on stdout is the connection string (``AzureSignalRConnectionString=...``) with
the port actually bound and the key masked, so a parent process can start it with ``--port 0``
and read where it listens without the key reaching a terminal or a log; logs follow on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from devstack.azure_guard import refusal_in_azure
from devstack.signalr.emulator import Emulator
from devstack.signalr.running import connection_string, endpoint_url
from devstack.signalr.server import serve
from devstack.signalr.settings import ACCESS_KEY_VARIABLE, DEFAULT_ACCESS_KEY

DEFAULT_PORT = 8888
#: What the banner shows in place of the AccessKey.
MASKED_KEY = "***"


def main() -> None:
    """Parse the command line, then serve until told to stop."""
    arguments = _parser().parse_args()
    refusal = refusal_in_azure("the SignalR emulator")
    if refusal:
        sys.exit(refusal)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    access_key = os.environ.get(ACCESS_KEY_VARIABLE) or DEFAULT_ACCESS_KEY
    asyncio.run(_serve_until_stopped(arguments.host, arguments.port, access_key))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.signalr",
        description="A local Azure SignalR Service in serverless mode. The AccessKey tokens "
        f"are checked against comes from {ACCESS_KEY_VARIABLE} (default: the public local key).",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    return parser


async def _serve_until_stopped(host: str, port: int, access_key: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serve(Emulator(access_key), host, port) as bound:
        url = endpoint_url(host, bound)
        print(f"AzureSignalRConnectionString={connection_string(url, MASKED_KEY)}", flush=True)
        logging.getLogger("devstack.signalr").info("listening on %s:%d", host, bound)
        await stop.wait()
    logging.getLogger("devstack.signalr").info("stopped")


if __name__ == "__main__":
    main()
