"""The webhook delivery adapter: how docchat reaches backend services' receivers
(:class:`chat.app.webhooks.Network`), as :mod:`storage` plugs in the store.

- :mod:`webhooks.network`: resolving a receiver's host (the system resolver, with a time
  limit) and posting a signed try to the address the use case checked (httpx, signed with
  the ``standardwebhooks`` package).

:func:`load_network` builds it; httpx is imported only then, on the first webhook route or
delivery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chat.app.webhooks import Network

__all__ = ["load_network"]


def load_network() -> Network:
    """The network deliveries go out through."""
    from webhooks.network import HttpNetwork

    return HttpNetwork()
