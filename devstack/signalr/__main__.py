"""``python -m devstack.signalr``: run the emulator until SIGINT or SIGTERM.

The AccessKey comes from the environment variable ``DEVSTACK_SIGNALR_ACCESS_KEY`` (the public
local key when unset), never from the command line, which any user can read with ``ps``.

Client events go upstream by the rules given as ``--upstream`` (repeatable, first match wins;
syntax in :mod:`devstack.signalr.upstream_rules`), then by those in the environment variable
``DEVSTACK_SIGNALR_UPSTREAM``, one a line: where a URL carries a function key (``?code=``),
the variable keeps it off the command line too. Without any rule, client events go nowhere.

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
from devstack.signalr.settings import ACCESS_KEY_VARIABLE, DEFAULT_ACCESS_KEY, UPSTREAM_VARIABLE
from devstack.signalr.upstream_rules import UpstreamRule, parse_upstream_rule

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
    texts = [*arguments.upstream, *os.environ.get(UPSTREAM_VARIABLE, "").splitlines()]
    try:
        upstream = [parse_upstream_rule(text) for text in texts if text.strip()]
    except ValueError as error:
        sys.exit(f"python -m devstack.signalr: {error}")
    emulator = Emulator(access_key, upstream=upstream)
    asyncio.run(_serve_until_stopped(emulator, arguments.host, arguments.port))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.signalr",
        description="A local Azure SignalR Service in serverless mode. The AccessKey tokens "
        f"are checked against comes from {ACCESS_KEY_VARIABLE} (default: the public local key).",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument(
        "--upstream",
        action="append",
        default=[],
        metavar="URL_TEMPLATE [hub=P] [category=P] [event=P]",
        help="send client events matching the patterns (default *) to the URL; repeatable, "
        f"the first match wins; more rules may come one a line in {UPSTREAM_VARIABLE}",
    )
    return parser


async def _serve_until_stopped(emulator: Emulator, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serve(emulator, host, port) as bound:
        url = endpoint_url(host, bound)
        print(f"AzureSignalRConnectionString={connection_string(url, MASKED_KEY)}", flush=True)
        logger = logging.getLogger("devstack.signalr")
        logger.info("listening on %s:%d", host, bound)
        for rule in emulator.upstream.rules:
            logger.info("upstream: %s", _described(rule))
        await stop.wait()
    logging.getLogger("devstack.signalr").info("stopped")


def _described(rule: UpstreamRule) -> str:
    """A rule for the log: its URL without the query (a function key may be there)."""
    url, query = rule.url_template.partition("?")[::2]
    patterns = " ".join(
        f"{name}={','.join(sorted(values))}"
        for name, values in (
            ("hub", rule.hubs),
            ("category", rule.categories),
            ("event", rule.events),
        )
    )
    return f"{url}{'?' + MASKED_KEY if query else ''} {patterns}"


if __name__ == "__main__":
    main()
