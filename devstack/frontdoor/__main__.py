"""``python -m devstack.frontdoor --port 7071 --instance http://127.0.0.1:PORT ...``: serve
the front door (:mod:`devstack.frontdoor.proxy`) until SIGINT or SIGTERM.

Instances are loopback URLs only: the dev hosts they name trust whatever headers come in. The
first line on stdout is ``Front door listening on http://127.0.0.1:PORT`` with the port bound
(``--port 0`` picks one), once it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from urllib.parse import urlsplit

from aiohttp import web

from devstack.azure_guard import refusal_in_azure
from devstack.frontdoor.proxy import FrontDoor, server

PROG = "python -m devstack.frontdoor"
READY_PREFIX = "Front door listening on "
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def main(argv: list[str] | None = None) -> int:
    """Serve until told to stop; 2 for a bad command line or when run in Azure."""
    arguments = _parser().parse_args(argv)
    refusal = refusal_in_azure("the front door")
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return asyncio.run(_serve(FrontDoor(arguments.instance), arguments.host, arguments.port))


def _instance(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK or parts.path.strip("/"):
        raise argparse.ArgumentTypeError(f"{text!r} is not http://127.0.0.1:PORT")
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("--port", type=int, default=7071, help="0 picks a free port")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--instance",
        type=_instance,
        action="append",
        required=True,
        help="an instance's base URL; repeat for each instance, in turn order",
    )
    return parser


async def _serve(front_door: FrontDoor, host: str, port: int) -> int:
    await front_door.start()
    runner = web.ServerRunner(server(front_door), handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, reuse_address=True).start()
    except OSError as error:
        await runner.cleanup()
        await front_door.close()
        print(f"{PROG}: cannot listen on {host}:{port}: {error.strerror}", file=sys.stderr)
        return 1
    bound = runner.addresses[0][1]
    print(f"{READY_PREFIX}http://{host}:{bound}", flush=True)
    logging.getLogger("devstack.frontdoor").info(
        "round robin over %s", ", ".join(front_door.instances)
    )
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()
    await runner.cleanup()
    await front_door.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
