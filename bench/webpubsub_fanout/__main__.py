"""Fan-out benchmark of the local Web PubSub emulator: ``python -m bench.webpubsub_fanout``.

Connects ``--clients`` official JS clients (``@azure/web-pubsub-client``, one Node process,
JSON subprotocol) to an emulator served on this process's event loop, every one in one group
through its token, then measures the rounds of :func:`bench.fanout.standard_rounds`:

1. in-process: ``WebPubSubEmulator.send_to_group`` called ``--messages`` times, in chunks that
   let the writers run between them; deliveries/s until the last client receipt;
2. REST, flat out: ``--rest-messages`` group sends POSTed by a separate process with
   ``--concurrency`` requests in flight, once through the official service SDK and once
   through a plain ``requests`` session; group sends/s (all 202s back), deliveries/s, and
   p50/p99 latency from just before each POST to each client's receipt;
3. REST through the SDK, paced at ``--paced-rate`` sends/s: the same latency at a light load.

Prints one line per round and writes bench/results/webpubsub_fanout.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import fanout
from bench.fanout import ReceivingClients, Round, standard_rounds
from devstack.emulator_core.running import connection_string, endpoint_url
from devstack.webpubsub import DEFAULT_ACCESS_KEY, WebPubSubEmulator, serve
from devstack.webpubsub.auth import client_url
from devstack.webpubsub.payload import Payload

HUB = "bench"
GROUP = "document:bench"
CLIENTS_SCRIPT = Path(__file__).with_name("clients.mjs")
SENDER = "bench.webpubsub_fanout.rest_sender"
#: Messages are shaped as docchat's; in-process ones carry no send time (only REST rounds time
#: deliveries).
_UNTIMED = Payload("json", {"event": "tick", "data": None})


async def run(arguments: argparse.Namespace) -> list[Round]:
    """Serve an emulator here, connect the clients, and measure every round."""
    emulator = WebPubSubEmulator()
    async with serve(emulator, port=0) as port:
        endpoint = endpoint_url("127.0.0.1", port)
        audience = client_url("http", endpoint.removeprefix("http://"), HUB)
        token = emulator.tokens.client_token(audience, "bench", [], [GROUP], minutes=60)
        config = {
            "url": f"{endpoint.replace('http', 'ws', 1)}/client/hubs/{HUB}?access_token={token}",
            "clients": arguments.clients,
        }
        async with ReceivingClients.start(CLIENTS_SCRIPT, config) as clients:
            return await standard_rounds(
                arguments,
                clients,
                lambda: emulator.send_to_group(HUB, GROUP, _UNTIMED),
                SENDER,
                {" (SDK)": {"client": "sdk"}, " (requests)": {"client": "requests"}},
                connection_string=connection_string(endpoint, DEFAULT_ACCESS_KEY),
                hub=HUB,
                group=GROUP,
            )


def main() -> None:
    """Parse the command line, run, print one line per round."""
    arguments = fanout.parser("python -m bench.webpubsub_fanout", __doc__).parse_args()
    print(f"{arguments.clients} json clients in one group, emulator on 127.0.0.1")
    fanout.main("webpubsub_fanout", arguments, run)


if __name__ == "__main__":
    main()
