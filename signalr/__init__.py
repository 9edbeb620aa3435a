"""A small client library for Azure SignalR Service in serverless mode.

Connection strings (:mod:`signalr.connection_string`), access tokens (:mod:`signalr.tokens`),
Microsoft Entra credentials and their bearer tokens for keyless connections
(:mod:`signalr.entra`), the data-plane REST API (:mod:`signalr.rest`, with ``:generateToken``)
and the Functions output-binding payloads (:mod:`signalr.bindings`). It knows nothing about
the app that uses it. Import from the submodules: each pulls in only what it needs, which
keeps cold starts short.
"""
