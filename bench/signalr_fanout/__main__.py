"""Fan-out benchmark of the local SignalR emulator: ``python -m bench.signalr_fanout``.

Connects ``--clients`` official JS clients (one Node process) to an emulator served on this
process's event loop, then measures three rounds:

1. in-process: ``Emulator.send_to_all`` called ``--messages`` times, in chunks that let the
   writers run between them; reports deliveries/s until the last client receipt;
2. REST, flat out: ``--rest-messages`` broadcasts POSTed by a separate process with
   ``--concurrency`` requests in flight; reports broadcasts/s (all 202s back), deliveries/s,
   and p50/p99 latency from just before each POST to each client's receipt;
3. REST, paced at ``--paced-rate`` broadcasts/s: the same latency at a light load.

Prints one line per round and writes bench/results/signalr_fanout.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench import fanout
from bench.fanout import ReceivingClients, Round, standard_rounds
from devstack.emulator_core.running import connection_string, endpoint_url
from devstack.signalr import DEFAULT_ACCESS_KEY, Emulator, serve
from shared.connection_string import parse_connection_string
from signalr.tokens import client_connection_info

HUB = "bench"
CLIENTS_SCRIPT = Path(__file__).with_name("clients.mjs")
SENDER = "bench.signalr_fanout.rest_sender"


async def run(arguments: argparse.Namespace) -> list[Round]:
    """Serve an emulator here, connect the clients, and measure every round."""
    emulator = Emulator()
    async with serve(emulator, port=0) as port:
        endpoint_string = connection_string(endpoint_url("127.0.0.1", port), DEFAULT_ACCESS_KEY)
        info = client_connection_info(parse_connection_string(endpoint_string), HUB, user_id="b")
        config = {
            **info.as_json_dict(),
            "clients": arguments.clients,
            "protocol": arguments.protocol,
        }
        async with ReceivingClients.start(CLIENTS_SCRIPT, config) as clients:
            return await standard_rounds(
                arguments,
                clients,
                lambda: emulator.send_to_all(HUB, "tick", [None]),
                SENDER,
                {"": {}},
                connection_string=endpoint_string,
                hub=HUB,
            )


def main() -> None:
    """Parse the command line, run, print one line per round."""
    command_line = fanout.parser("python -m bench.signalr_fanout", __doc__)
    command_line.add_argument("--protocol", choices=["json", "messagepack"], default="json")
    arguments = command_line.parse_args()
    print(f"{arguments.clients} {arguments.protocol} clients, emulator on 127.0.0.1")
    fanout.main("signalr_fanout", arguments, run)


if __name__ == "__main__":
    main()
