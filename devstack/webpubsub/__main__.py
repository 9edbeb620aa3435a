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
import logging

from devstack.emulator_core import cli
from devstack.webpubsub.emulator import WebPubSubEmulator
from devstack.webpubsub.server import serve
from devstack.webpubsub.settings import (
    ACCESS_KEY_VARIABLE,
    DEFAULT_ACCESS_KEY,
    UPSTREAM_VARIABLE,
    WebPubSubSettings,
)

PROG = "python -m devstack.webpubsub"
DEFAULT_PORT = 8080
SETTING = "WebPubSubConnectionString"
logger = logging.getLogger("devstack.webpubsub")


def main() -> None:
    """Parse the command line, then serve until told to stop."""
    arguments = _parser().parse_args()
    cli.refuse_in_azure("the Web PubSub emulator")
    upstream = cli.upstream_rules(arguments.upstream, UPSTREAM_VARIABLE, PROG)
    key = cli.access_key(ACCESS_KEY_VARIABLE, DEFAULT_ACCESS_KEY)
    settings = cli.settings_of(WebPubSubSettings, arguments, PROG)
    emulator = WebPubSubEmulator(key, settings, upstream=upstream)
    for rule in emulator.upstream.rules:
        logger.info("event handler: %s", cli.masked_url(rule.url_template))
    cli.run_until_signalled(
        lambda host, port: serve(emulator, host, port), arguments, SETTING, logger
    )


def _parser() -> argparse.ArgumentParser:
    return cli.base_parser(
        PROG,
        "A local Azure Web PubSub. The AccessKey tokens are checked against comes from "
        f"{ACCESS_KEY_VARIABLE} (default: the public local key).",
        DEFAULT_PORT,
        "send events matching the patterns (default *; categories system and user) to "
        f"the URL; repeatable, the first match wins; more one a line in {UPSTREAM_VARIABLE}",
    )


if __name__ == "__main__":
    main()
