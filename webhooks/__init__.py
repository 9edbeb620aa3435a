"""The webhook delivery adapter: how docchat reaches backend services' receivers
(:class:`chat.app.webhooks.Network`), as :mod:`storage` plugs in the store.

- :mod:`webhooks.network`: resolving a receiver's host (the system resolver, with a time
  limit) and posting a signed try to the address the use case checked (httpx, signed with
  the ``standardwebhooks`` package).
"""
