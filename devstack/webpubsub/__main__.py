"""``python -m devstack.webpubsub``: run the Web PubSub emulator until SIGINT or SIGTERM.

The AccessKey comes from ``DEVSTACK_WEBPUBSUB_ACCESS_KEY`` (the public local key when unset).
Events go to event handlers by the rules given as ``--upstream`` (repeatable, first match
wins), then by those in ``DEVSTACK_WEBPUBSUB_UPSTREAM``, one a line: ``URL_TEMPLATE
[hub=P] [category=system|user] [event=P]``, e.g.
``http://127.0.0.1:7071/runtime/webhooks/webpubsub event=connect,connected,typing``.
The first line on stdout is ``WebPubSubConnectionString=...`` with the bound port and the
key masked; logs follow on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os

from devstack.emulator_core.cli import (
    access_key,
    base_parser,
    masked_url,
    refuse_in_azure,
    serve_until_signalled,
)
from devstack.emulator_core.upstream_rules import parse_upstream_rule
from devstack.webpubsub.emulator import WebPubSubEmulator
from devstack.webpubsub.server import serve
from devstack.webpubsub.settings import ACCESS_KEY_VARIABLE, DEFAULT_ACCESS_KEY, UPSTREAM_VARIABLE

DEFAULT_PORT = 8080
SETTING = "WebPubSubConnectionString"
logger = logging.getLogger("devstack.webpubsub")


def main() -> None:
    """Parse the command line, then serve until told to stop."""
    arguments = _parser().parse_args()
    refuse_in_azure("the Web PubSub emulator")
    texts = [*arguments.upstream, *os.environ.get(UPSTREAM_VARIABLE, "").splitlines()]
    try:
        upstream = [parse_upstream_rule(text) for text in texts if text.strip()]
    except ValueError as error:
        raise SystemExit(f"python -m devstack.webpubsub: {error}") from None
    emulator = WebPubSubEmulator(
        access_key(ACCESS_KEY_VARIABLE, DEFAULT_ACCESS_KEY), upstream=upstream
    )
    for rule in emulator.upstream.rules:
        logger.info("event handler: %s", masked_url(rule.url_template))
    asyncio.run(
        serve_until_signalled(
            lambda host, port: serve(emulator, host, port),
            arguments.host,
            arguments.port,
            SETTING,
            logger,
        )
    )


def _parser() -> argparse.ArgumentParser:
    parser = base_parser(
        "python -m devstack.webpubsub",
        "A local Azure Web PubSub. The AccessKey tokens are checked against comes from "
        f"{ACCESS_KEY_VARIABLE} (default: the public local key).",
        DEFAULT_PORT,
    )
    parser.add_argument(
        "--upstream",
        action="append",
        default=[],
        metavar="URL_TEMPLATE [hub=P] [category=P] [event=P]",
        help="send events matching the patterns (default *; categories system and user) to "
        f"the URL; repeatable, the first match wins; more one a line in {UPSTREAM_VARIABLE}",
    )
    return parser


if __name__ == "__main__":
    main()
