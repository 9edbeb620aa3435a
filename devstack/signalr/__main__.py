"""``python -m devstack.signalr``: run the emulator until SIGINT or SIGTERM.

The AccessKey comes from the environment variable ``DEVSTACK_SIGNALR_ACCESS_KEY`` (the public
local key when unset), never from the command line, which any user can read with ``ps``.

Client events go upstream by the rules given as ``--upstream`` (repeatable, first match wins;
syntax in :mod:`devstack.emulator_core.upstream_rules`), then by those in the environment variable
``DEVSTACK_SIGNALR_UPSTREAM``, one a line: where a URL carries a function key (``?code=``),
the variable keeps it off the command line too. Without any rule, client events go nowhere.

Browsers may negotiate from the origins in ``DEVSTACK_SIGNALR_ALLOWED_ORIGINS`` (comma-separated,
as the resource's ``cors.allowedOrigins``); unset, from any origin, the service's default.

The first line on stdout is the connection string (``AzureSignalRConnectionString=...``) with
the port actually bound and the key masked, so a parent process can start it with ``--port 0``
and read where it listens without the key reaching a terminal or a log; logs follow on stderr.
"""

from __future__ import annotations

import argparse
import logging
import os

from devstack.emulator_core import cli
from devstack.emulator_core.upstream_rules import UpstreamRule
from devstack.signalr.emulator import Emulator
from devstack.signalr.server import serve
from devstack.signalr.settings import (
    ACCESS_KEY_VARIABLE,
    ALLOWED_ORIGINS_VARIABLE,
    DEFAULT_ACCESS_KEY,
    UPSTREAM_VARIABLE,
    EmulatorSettings,
)

PROG = "python -m devstack.signalr"
DEFAULT_PORT = 8888
SETTING = "AzureSignalRConnectionString"
logger = logging.getLogger("devstack.signalr")


def main() -> None:
    """Parse the command line, then serve until told to stop."""
    arguments = _parser().parse_args()
    cli.refuse_in_azure("the SignalR emulator")
    upstream = cli.upstream_rules(arguments.upstream, UPSTREAM_VARIABLE, PROG)
    settings = cli.settings_of(
        EmulatorSettings, arguments, PROG, allowed_origins=_allowed_origins()
    )
    emulator = Emulator(
        cli.access_key(ACCESS_KEY_VARIABLE, DEFAULT_ACCESS_KEY), settings, upstream=upstream
    )
    logger.info("browsers may negotiate from: %s", ", ".join(settings.allowed_origins))
    for rule in emulator.upstream.rules:
        logger.info("upstream: %s", _described(rule))
    cli.run_until_signalled(
        lambda host, port: serve(emulator, host, port), arguments, SETTING, logger
    )


def _allowed_origins() -> tuple[str, ...]:
    listed = os.environ.get(ALLOWED_ORIGINS_VARIABLE, "")
    origins = tuple(origin.strip() for origin in listed.split(",") if origin.strip())
    return origins or ("*",)


def _parser() -> argparse.ArgumentParser:
    return cli.base_parser(
        PROG,
        "A local Azure SignalR Service in serverless mode. The AccessKey tokens are checked "
        f"against comes from {ACCESS_KEY_VARIABLE} (default: the public local key).",
        DEFAULT_PORT,
        "send client events matching the patterns (default *) to the URL; repeatable, "
        f"the first match wins; more rules may come one a line in {UPSTREAM_VARIABLE}",
    )


def _described(rule: UpstreamRule) -> str:
    """A rule for the log: its URL without the query (a function key may be there)."""
    patterns = " ".join(
        f"{name}={','.join(sorted(values))}"
        for name, values in (
            ("hub", rule.hubs),
            ("category", rule.categories),
            ("event", rule.events),
        )
    )
    return f"{cli.masked_url(rule.url_template)} {patterns}"


if __name__ == "__main__":
    main()
