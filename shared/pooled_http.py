"""An HTTP transport for azure-core clients that keeps a connection per worker thread, over
a :class:`shared.settled_session.Session` (the environment read once).

azure-core's own requests session pools 10 connections per host, fewer than the
invocations one instance runs at once (16, infra/app/scale.json). Past the pool, each
request opens a connection (a TLS handshake, and the CA store loaded again: ~40 ms of CPU
here) and throws it away afterwards ("Connection pool is full, discarding connection"),
which under load was the rule. The Python worker runs at most
``PYTHON_THREADPOOL_THREAD_COUNT`` sync invocations at once (infra/ sets it to the HTTP
concurrency; unset, it is at most 32), so :data:`POOLED_CONNECTIONS` keeps one for each.
"""

from __future__ import annotations

from azure.core.pipeline.transport import RequestsTransport
from requests.adapters import HTTPAdapter

from shared.settled_session import Session

__all__ = ["POOLED_CONNECTIONS", "pooled_transport"]

POOLED_CONNECTIONS = 32


def pooled_transport(*, connection_timeout: float, read_timeout: float) -> RequestsTransport:
    """azure-core's requests transport over a session of our own, so that its pool can be
    sized; like azure-core's own session, it never retries (the clients' policies do).

    The timeouts are the transport's own: a client given a transport no longer makes one
    from its ``connection_timeout`` and ``read_timeout`` options (azure-core's
    ``PipelineClient``), so without them a call would wait azure-core's 300 s defaults."""
    adapter = HTTPAdapter(pool_maxsize=POOLED_CONNECTIONS, max_retries=0)
    session = Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(
        session=session,
        session_owner=False,
        connection_timeout=connection_timeout,
        read_timeout=read_timeout,
    )
