"""A small client library for Azure SignalR Service in serverless mode.

Access tokens (:mod:`signalr.tokens`), the data-plane REST API (:mod:`signalr.rest`, with
``:generateToken``), the Functions output-binding payloads (:mod:`signalr.bindings`) and
its errors (:mod:`signalr.errors`). Connection strings and the Microsoft Entra credentials of
keyless connections are :mod:`shared`'s, as Web PubSub uses them too. It knows nothing
about the app that uses it. Import from the submodules: each pulls in only what it needs, which
keeps cold starts short.
"""
