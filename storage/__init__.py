"""The storage adapters that plug a database into chat's seam (:class:`chat.app.store.Storage`),
as :mod:`realtime` plugs in the real-time backends.

- :mod:`storage.cosmos`: Azure Cosmos DB, the one store docchat has.
- :mod:`storage.queues`: Azure Storage queues, the work queues (:class:`chat.app.queues.Queues`);
  :func:`storage.queues.load_queues` gives them, or None when ``DOCCHAT_QUEUE`` is not set.

:func:`load_storage` reads the store's settings and gives the use cases their stores, each
built on first use. The in-memory stores the unit tests use are test fixtures
(tests/fixtures/chat.py), held to the same contract tests as these.
"""

from __future__ import annotations

from collections.abc import Mapping

from chat.app.store import Storage
from storage.cosmos.settings import load_cosmos_settings
from storage.cosmos.storage import CosmosStorage
from storage.queues import load_queues

__all__ = ["load_storage"]


def load_storage(environ: Mapping[str, str]) -> Storage:
    """The configured store and queues; a wrong setting raises
    :class:`~chat.settings.SettingsError`."""
    return CosmosStorage(load_cosmos_settings(environ), load_queues(environ))
