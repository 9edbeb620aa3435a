"""docchat's chat domain: everything but the Azure Functions wiring (function_app.py).

It never imports azure.functions, so all of it runs and is tested without the host.

- :mod:`chat.settings`: the environment, checked once at start-up.
- :mod:`chat.runtime`: builds clients once per process, on first use.
- :mod:`chat.negotiation`, :mod:`chat.endpoints`: request in, status + JSON out.
- :mod:`chat.http`: framework-neutral requests, responses and error mapping.
- :mod:`chat.identity`, :mod:`chat.jwt_identity`: who is calling.
- :mod:`chat.access`: who may join, read and post (default: everyone).
- :mod:`chat.models`: request bodies and query strings (pydantic).
- :mod:`chat.messages`: messages, timestamps and cursors as values.
- :mod:`chat.service`: the use cases, the same in both SignalR modes.
- :mod:`chat.store`, :mod:`chat.cosmos_store`: where messages are kept.
- :mod:`chat.realtime`: SignalR by REST or through the output binding.
- :mod:`chat.errors`: every deliberate failure, with its status and code.

Modules import their heavy dependencies only where needed: see :mod:`chat.runtime`.
"""
