"""docchat's local stand-ins for Azure, so a fresh clone runs with no cloud and no Core Tools.

- :mod:`devstack.cosmos`: a local Cosmos DB (NoSQL API) server.
- :mod:`devstack.signalr`: a local Azure SignalR Service (serverless mode) emulator.
- :mod:`devstack.host`: a local Functions host for function_app.py.
- :mod:`devstack.webpubsub`: a local Azure Web PubSub emulator.
- :mod:`devstack.azurite`: Azurite (Microsoft's storage emulator), installed on first use:
  the work queues, and host storage for ``func start``.
- :mod:`devstack.emulator_core`: what both emulators share (REST, upstream, serving, latency).
- :mod:`devstack.frontdoor`: the round-robin front door before several app instances.
- :mod:`devstack.json_limits`: JSON from clients parsed within the services' nesting limit.
- :mod:`devstack.stack`: all of them as child processes (:class:`~devstack.stack.LocalStack`).

``python -m devstack`` (what ``make dev`` runs) starts the whole stack and restarts a part
that dies.
"""
