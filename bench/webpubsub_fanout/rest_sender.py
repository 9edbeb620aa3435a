"""The sending side of the REST rounds: group sends through the emulator's REST API.

``python -m bench.webpubsub_fanout.rest_sender --connection-string=... --hub=... --group=...
--count=n [--client sdk|requests]`` POSTs ``n`` JSON messages shaped as docchat's,
``{"event": "tick", "data": <send time in ms>}``, to
``/api/hubs/{hub}/groups/{group}/:send``, from threads (see :mod:`bench.fanout.sending` for
the other options and what it prints), each with its own client:

- ``sdk``: the official ``azure-messaging-webpubsubservice`` client, as docchat calls it
  (``send_to_group`` with ``application/json``; it signs a token for every request);
- ``requests``: a plain ``requests`` session kept alive, reusing one server token.
"""

from __future__ import annotations

import argparse
import json
from typing import Any
from urllib.parse import quote

import requests
from azure.core.exceptions import AzureError
from azure.messaging.webpubsubservice import WebPubSubServiceClient

from bench.fanout.sending import BlockingSend, parser, send_from_threads
from shared.connection_string import parse_connection_string
from signalr.tokens import server_token

API_VERSION = "2024-12-01"
_JSON = "application/json"
_TIMEOUT = 10.0


def _message(sent_at: float) -> dict[str, Any]:
    return {"event": "tick", "data": sent_at}


def sdk_sender(arguments: argparse.Namespace) -> BlockingSend:
    service = WebPubSubServiceClient.from_connection_string(
        arguments.connection_string, hub=arguments.hub
    )

    def send(sent_at: float) -> str | None:
        try:
            service.send_to_group(
                arguments.group, _message(sent_at), content_type=_JSON, timeout=_TIMEOUT
            )
        except AzureError as error:
            return str(error)
        return None

    return send


def requests_sender(arguments: argparse.Namespace) -> BlockingSend:
    connection = parse_connection_string(arguments.connection_string)
    url = (
        f"{connection.server_url}/api/hubs/{quote(arguments.hub, safe='')}"
        f"/groups/{quote(arguments.group, safe='')}/:send"
    )
    session = requests.Session()
    session.headers.update(
        {
            # The token's audience is the path; it serves every request of the run.
            "Authorization": f"Bearer {server_token(connection, url)}",
            "Content-Type": _JSON,
        }
    )
    params = {"api-version": API_VERSION}

    def send(sent_at: float) -> str | None:
        body = json.dumps(_message(sent_at))
        response = session.post(url, params=params, data=body, timeout=_TIMEOUT)
        return None if response.status_code == 202 else f"HTTP {response.status_code}"

    return send


SENDERS = {"sdk": sdk_sender, "requests": requests_sender}


def main() -> None:
    """Parse the command line and send."""
    command_line = parser("python -m bench.webpubsub_fanout.rest_sender")
    command_line.add_argument("--connection-string", required=True)
    command_line.add_argument("--hub", required=True)
    command_line.add_argument("--group", required=True)
    command_line.add_argument("--client", choices=sorted(SENDERS), default="sdk")
    arguments = command_line.parse_args()
    send_from_threads(arguments, lambda: SENDERS[arguments.client](arguments))


if __name__ == "__main__":
    main()
