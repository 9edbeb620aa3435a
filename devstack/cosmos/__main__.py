"""Run the local Cosmos DB in the foreground: `python -m devstack.cosmos [--port 8081]`.

Prints the settings to put in local.settings.json and serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

from devstack.azure_guard import refusal_in_azure
from devstack.cosmos import (
    DEFAULT_PORT,
    EMULATOR_KEY,
    CosmosServerError,
    start_cosmos_server,
)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m devstack.cosmos",
        description="Local in-memory Cosmos DB (NoSQL API) for docchat development.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="0 picks a free port (default: %(default)s)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback name to bind (default: %(default)s)"
    )
    parser.add_argument("--no-tls", action="store_true", help="serve plain http instead of https")
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        help="milliseconds each request waits, as a round trip to Azure (default: 0)",
    )
    parser.add_argument(
        "--partition-limit-bytes",
        type=int,
        default=0,
        help="a document's partition holding this many bytes is full, as at 20 GB in Azure"
        " (default: 0, no limit)",
    )
    return parser.parse_args(argv)


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """A plain `kill` must stop node too: turn SIGTERM into a normal exit through `with`."""
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> int:
    """Start, print the settings, serve until Ctrl-C; errors as one line, not a traceback."""
    args = _parse_args(argv)
    refusal = refusal_in_azure("the local Cosmos server")
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        server = start_cosmos_server(
            args.port,
            args.host,
            tls=not args.no_tls,
            latency_ms=args.latency_ms,
            partition_limit_bytes=args.partition_limit_bytes,
        )
    except CosmosServerError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    print(f"Local Cosmos DB ready at {server.endpoint} (in memory: data is lost on stop)")
    print(f"  COSMOS_ENDPOINT={server.endpoint}")
    print(f"  COSMOS_KEY={EMULATOR_KEY}")
    print("Press Ctrl-C to stop.", flush=True)
    with server:
        try:
            return server.wait()
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
