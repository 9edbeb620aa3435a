"""docchat's chat domain: everything but the wiring (functions/) and the real-time
backends (realtime/, signalr/).

It imports neither azure.functions nor any backend, so all of it runs and is tested without
the host; :mod:`chat.realtime` is the seam a backend plugs into.

- :mod:`chat.settings`: docchat's own settings, checked once at start-up.
- :mod:`chat.runtime`: builds the long-lived parts once per process, on first use.
- :mod:`chat.negotiation`, :mod:`chat.endpoints`, :mod:`chat.openapi`: request in, status +
  JSON out.
- :mod:`chat.http`: framework-neutral requests, responses and the one place errors become
  answers.
- :mod:`chat.identity`, :mod:`chat.jwt_identity`: who is calling.
- :mod:`chat.access`: who may join, read and post; :mod:`chat.ratelimit`: how fast.
- :mod:`chat.inputs`: what callers may send: request bodies and query strings (pydantic).
- :mod:`chat.messages`: the domain's values: messages, timestamps, cursors, page tokens.
- :mod:`chat.service`: the use cases, the same for every backend and mode.
- :mod:`chat.realtime`: the seam to a real-time backend (groups, sends, negotiation).
- :mod:`chat.store`, :mod:`chat.cosmos_store`, :mod:`chat.cosmos_members`,
  :mod:`chat.cosmos_container`: where messages and members are kept.
- :mod:`chat.breaker`: failing fast while a dependency is down.
- :mod:`chat.pooled_http`: an HTTP transport with a connection per worker thread.
- :mod:`chat.errors`: every deliberate failure, with its status and code.

Modules import their heavy dependencies only where needed: see :mod:`chat.runtime`.
"""
