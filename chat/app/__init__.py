"""chat's use cases, the same for every backend, mode and authenticator, and the ports they
need (Protocols an adapter implements).

- :mod:`chat.app.service`: join, leave, presence, post (replies too), history (the timeline,
  a thread, the thread list), and member admin.
- :mod:`chat.app.editing`: edit, delete and react to messages; resolve threads.
- :mod:`chat.app.writing`: what posting and editing share: the policy, the rate, the store,
  the clock, and telling the document.
- :mod:`chat.app.reading`: read markers and unread counts (port: ``ReadMarkers``).
- :mod:`chat.app.notifications`: making notifications after a write, and each user's inbox
  (port: ``Notifications``).
- :mod:`chat.app.people`: who a reader may mention in a document.
- :mod:`chat.app.presence`: connection owners and presence (port: ``Connections``), and the
  coalesced presence announcements.
- :mod:`chat.app.events`: what the real-time service reports (connected, disconnected,
  typing).
- :mod:`chat.app.access`: who may join, read and post (port: ``Memberships``).
- :mod:`chat.app.store`: the message store port, and ``Storage``, all a storage adapter gives.
- :mod:`chat.app.realtime`: the real-time backend port (groups, sends, negotiation).
- :mod:`chat.app.queues`: the work queue port (``WorkQueue``, ``Ticket``, ``Queues``): work
  done after a write commits.
- :mod:`chat.app.webhooks`: backend services' webhooks: the registry, fan-out of events to
  the ``docchat-webhooks`` queue, one delivery try per message (ports: ``WebhookStore``,
  ``Network``).
- :mod:`chat.app.identity`, :mod:`chat.app.jwt_identity`: who is calling, by
  ``DOCCHAT_AUTH``.
- :mod:`chat.app.runtime`: builds the long-lived parts once per process, on first use.
"""
