"""A local Azure SignalR Service (serverless mode) for development and tests.

It speaks what the real service speaks to the official clients and SDKs: negotiate and the
client WebSocket with the JSON and MessagePack hub protocols (pings, close messages, stateful
reconnect), the data-plane REST API (2022-06-01 and v1) with the service's status codes and
error bodies, and token checks as strict as the service's.

From a shell: ``DEVSTACK_SIGNALR_ACCESS_KEY=KEY python -m devstack.signalr [--port 8888]``
(without the variable, the public local key). In a test::

    with start_emulator() as signalr:
        connection = parse_connection_string(signalr.connection_string)

In asyncio code, serve an :class:`Emulator` on the running loop and send in-process::

    emulator = Emulator()
    async with serve(emulator, port=0) as port:
        emulator.send_to_all("chat", "newMessage", [{"text": "hi"}])
"""

from devstack.emulator_core.running import RunningEmulator
from devstack.signalr.emulator import Emulator
from devstack.signalr.running import start_emulator
from devstack.signalr.server import serve
from devstack.signalr.settings import ACCESS_KEY_VARIABLE, DEFAULT_ACCESS_KEY, EmulatorSettings

__all__ = [
    "ACCESS_KEY_VARIABLE",
    "DEFAULT_ACCESS_KEY",
    "Emulator",
    "EmulatorSettings",
    "RunningEmulator",
    "serve",
    "start_emulator",
]
