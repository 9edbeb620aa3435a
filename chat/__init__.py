"""docchat's chat: everything but the wiring (functions/), the real-time backends
(realtime/, signalr/) and the store (storage/), in three layers, each importing only those
below it:

- :mod:`chat.domain`: the values, rules and errors of chat; no I/O, no HTTP.
- :mod:`chat.app`: the use cases, and the ports they need (store, real-time backend,
  identity) as Protocols; the adapters in realtime/ and storage/ implement them.
- :mod:`chat.api`: the HTTP surface: the route table, endpoints, inputs, the OpenAPI
  contract, and the one place errors become answers.
- :mod:`chat.settings`: docchat's own settings, checked once at start-up.

It imports neither azure.functions nor any Azure SDK nor any backend, so all of it runs and
is tested without the host (tests/unit/test_layers.py holds these rules).
"""
