"""What ``python -m devstack.signalr`` and ``python -m devstack.webpubsub`` share: the AccessKey
from the environment (never the command line, which any user can read with ``ps``), upstream
rules from ``--upstream`` and then an environment variable (where a function key stays off the
command line too), log lines on stderr, and serving until SIGINT or SIGTERM after a banner on
stdout.

The banner is the connection string with the port actually bound and the key masked, so a
parent process can start an emulator with ``--port 0`` and read where it listens without
the key reaching a terminal or a log.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from devstack.azure_guard import refusal_in_azure
from devstack.emulator_core.running import Serving, connection_string, endpoint_url
from devstack.emulator_core.upstream_rules import UpstreamRule, parse_upstream_rule

__all__ = [
    "MASKED_KEY",
    "access_key",
    "base_parser",
    "masked_url",
    "refuse_in_azure",
    "run_until_signalled",
    "serve_until_signalled",
    "settings_of",
    "upstream_rules",
]

S = TypeVar("S")

#: What the banner shows in place of the AccessKey.
MASKED_KEY = "***"


def refuse_in_azure(what: str) -> None:
    """Exit at once when running in Azure; otherwise set up logging."""
    refusal = refusal_in_azure(what)
    if refusal:
        sys.exit(refusal)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def access_key(variable: str, default: str) -> str:
    """The AccessKey from ``variable``, or the public local key."""
    return os.environ.get(variable) or default


def base_parser(
    prog: str, description: str, default_port: int, upstream_help: str
) -> argparse.ArgumentParser:
    """``--port``, ``--host``, ``--latency-ms`` and ``--upstream``; the emulator may add its
    own options."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--port", type=int, default=default_port, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        help="milliseconds each REST call waits, as a round trip to Azure (default 0)",
    )
    parser.add_argument(
        "--upstream",
        action="append",
        default=[],
        metavar="URL_TEMPLATE [hub=P] [category=P] [event=P]",
        help=upstream_help,
    )
    return parser


def upstream_rules(given: list[str], variable: str, prog: str) -> list[UpstreamRule]:
    """The rules ``given`` (``--upstream``), then those in ``variable``, one a line; a rule
    that does not parse ends ``prog`` with why."""
    texts = [*given, *os.environ.get(variable, "").splitlines()]
    try:
        return [parse_upstream_rule(text) for text in texts if text.strip()]
    except ValueError as error:
        raise SystemExit(f"{prog}: {error}") from None


def settings_of(
    kind: Callable[..., S], arguments: argparse.Namespace, prog: str, **others: Any
) -> S:
    """The emulator's settings with the command line's (``--latency-ms``) and ``others``; a
    value they refuse ends ``prog`` with why."""
    try:
        return kind(latency_ms=arguments.latency_ms, **others)
    except ValueError as error:
        raise SystemExit(f"{prog}: {error}") from None


def masked_url(url: str) -> str:
    """A URL for the log: its query (where a function key may be) masked."""
    path, query = url.partition("?")[::2]
    return f"{path}{'?' + MASKED_KEY if query else ''}"


def run_until_signalled(
    serving: Serving, arguments: argparse.Namespace, setting: str, logger: logging.Logger
) -> None:
    """:func:`serve_until_signalled` on ``--host`` and ``--port``, on a new event loop."""
    asyncio.run(serve_until_signalled(serving, arguments.host, arguments.port, setting, logger))


async def serve_until_signalled(
    serving: Serving, host: str, port: int, setting: str, logger: logging.Logger
) -> None:
    """Serve, print ``{setting}=<connection string with the key masked>``, and stop on a signal."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with serving(host, port) as bound:
        url = endpoint_url(host, bound)
        print(f"{setting}={connection_string(url, MASKED_KEY)}", flush=True)
        logger.info("listening on %s:%d", host, bound)
        await stop.wait()
    logger.info("stopped")
