"""CORS for the dev host, configured like Core Tools' ``Host.CORS`` and ``Host.CORSCredentials``.

Preflights (``OPTIONS`` with ``Access-Control-Request-Method``) are answered here, before
routing and keys, as a browser sends no key with them. An allowed origin is echoed back;
``*`` allows any origin, answered as ``*`` unless credentials are allowed, when the origin
itself must be echoed (browsers refuse ``*`` with credentials).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler, Middleware

__all__ = ["CorsPolicy", "cors_middleware"]


@dataclass(frozen=True)
class CorsPolicy:
    """Which origins may call, and whether they may send credentials."""

    origins: tuple[str, ...] = ()
    allow_credentials: bool = False

    @classmethod
    def of(cls, origins: Iterable[str], allow_credentials: bool) -> CorsPolicy:
        """A policy from origins as written in settings (case and a trailing ``/`` ignored)."""
        return cls(tuple(_normal(origin) for origin in origins), allow_credentials)

    def allow_origin_header(self, origin: str) -> str | None:
        """The ``Access-Control-Allow-Origin`` value for ``origin``, or None if not allowed."""
        if "*" in self.origins:
            return origin if self.allow_credentials else "*"
        return origin if _normal(origin) in self.origins else None

    def headers_for(self, origin: str) -> dict[str, str]:
        """CORS headers for any answer to ``origin``; empty when the origin is not allowed."""
        allowed = self.allow_origin_header(origin)
        if allowed is None:
            return {}
        headers: dict[str, str] = {hdrs.ACCESS_CONTROL_ALLOW_ORIGIN: allowed}
        if allowed != "*":
            headers[hdrs.VARY] = hdrs.ORIGIN
        if self.allow_credentials:
            headers[hdrs.ACCESS_CONTROL_ALLOW_CREDENTIALS] = "true"
        return headers

    def preflight(self, request: web.Request) -> web.Response:
        """The answer to a preflight: the method and headers asked for, if the origin may."""
        headers = self.headers_for(request.headers[hdrs.ORIGIN])
        if headers:
            headers[hdrs.ACCESS_CONTROL_ALLOW_METHODS] = request.headers[
                hdrs.ACCESS_CONTROL_REQUEST_METHOD
            ]
            asked = request.headers.get(hdrs.ACCESS_CONTROL_REQUEST_HEADERS)
            if asked:
                headers[hdrs.ACCESS_CONTROL_ALLOW_HEADERS] = asked
        return web.Response(status=204, headers=headers)


def cors_middleware(policy: CorsPolicy) -> Middleware:
    """Middleware applying ``policy`` to every request that carries an ``Origin``."""

    @web.middleware
    async def apply_cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None:
            return await handler(request)
        if _is_preflight(request):
            return policy.preflight(request)
        response = await handler(request)
        response.headers.update(policy.headers_for(origin))
        return response

    return apply_cors


def _is_preflight(request: web.Request) -> bool:
    return (
        request.method == hdrs.METH_OPTIONS
        and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers
    )


def _normal(origin: str) -> str:
    return origin.strip().rstrip("/").lower()
