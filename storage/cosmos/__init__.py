"""Azure Cosmos DB as docchat's store: every document's items in one container, partitioned
by ``/documentId``, and the users' notifications in a second, partitioned by ``/userId``.

- :mod:`storage.cosmos.settings`: ``COSMOS_*`` and the message and notification times to
  live, read at start-up.
- :mod:`storage.cosmos.storage`: :class:`~chat.app.store.Storage` over the container, each store
  built (and the SDK imported) on first use.
- :mod:`storage.cosmos.container`: the container and its clients (one per thread), time
  budgets, the breaker, and Cosmos DB's failures as chat's errors.
- :mod:`storage.cosmos.store`: messages, with a gapless per-document ``seq`` (group commit).
- :mod:`storage.cosmos.tail`: each hot document's newest messages, kept for catch-ups.
- :mod:`storage.cosmos.presence`: connection owners and presence, expiring by TTL.
- :mod:`storage.cosmos.members`: document members and roles.
- :mod:`storage.cosmos.reading`: read markers.
- :mod:`storage.cosmos.notifications`: each user's notifications (the second container).
"""
