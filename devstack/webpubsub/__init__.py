"""A local Azure Web PubSub for development and tests.

It speaks what the real service speaks to the official clients and SDKs: the client
WebSocket with the ``json.webpubsub.azure.v1`` and ``json.reliable.webpubsub.azure.v1``
subprotocols (groups, events, acks, sequence acks and recovery), the data-plane REST API
(2024-12-01) with the statuses the SDKs expect, CloudEvents to event handlers, and token
checks as strict as the SignalR emulator's, whose core it shares
(:mod:`devstack.emulator_core`).

From a shell: ``DEVSTACK_WEBPUBSUB_ACCESS_KEY=KEY python -m devstack.webpubsub [--port 8080]``.
In a test, ``with start_emulator() as webpubsub: ...``; in asyncio code, serve a
:class:`WebPubSubEmulator` on the running loop (``async with serve(emulator) as port``).
"""

from devstack.webpubsub.emulator import WebPubSubEmulator
from devstack.webpubsub.running import start_emulator
from devstack.webpubsub.server import serve
from devstack.webpubsub.settings import ACCESS_KEY_VARIABLE, DEFAULT_ACCESS_KEY, WebPubSubSettings

__all__ = [
    "ACCESS_KEY_VARIABLE",
    "DEFAULT_ACCESS_KEY",
    "WebPubSubEmulator",
    "WebPubSubSettings",
    "serve",
    "start_emulator",
]
