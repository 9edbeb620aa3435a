"""Azure's round trip, locally: the REST API answers ``latency_ms`` later (``--latency-ms``).

On loopback a REST call costs a fraction of a millisecond, where one to the service in Azure
costs milliseconds; benchmarks add the difference to see what the app's calls cost there.
The delay comes before the call is handled, as a request's way to the service does, so what
the call does and its answer both come that much later. Client endpoints are not delayed:
the app never waits on them.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

__all__ = ["REST_PREFIX", "delay_rest_calls"]

#: Where the REST API of both services lives.
REST_PREFIX = "/api/"


def delay_rest_calls(latency_ms: int) -> Middleware:
    """A middleware holding each REST call ``latency_ms`` before it is handled."""
    if latency_ms < 0:
        raise ValueError("latency_ms must not be negative")
    seconds = latency_ms / 1000

    @web.middleware
    async def delay(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(REST_PREFIX):
            await asyncio.sleep(seconds)
        return await handler(request)

    return delay
