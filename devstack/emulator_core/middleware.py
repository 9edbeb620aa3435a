"""Cross-cutting HTTP behaviour: one log line per call, CORS for browsers, JSON errors.

Order matters: logging sees the final status, CORS decorates error responses too (a browser
cannot read a 401 without them), and errors become the service's JSON shape innermost.
"""

from __future__ import annotations

import logging
import time

from aiohttp import web
from aiohttp.typedefs import Handler

from devstack.emulator_core.errors import ApiError, ErrorCode, error_response

__all__ = ["ALLOWED_ORIGINS", "MAX_REQUEST_BODY_BYTES", "MIDDLEWARES"]

log = logging.getLogger("devstack.emulator")

#: The services refuse larger REST bodies with 413.
MAX_REQUEST_BODY_BYTES = 1024 * 1024

#: Browsers negotiate cross-origin with credentials; WebSockets need no CORS.
_CORS_PREFIX = "/client/"
#: The origins an app lets browsers call its client endpoints from: the resource's
#: ``cors.allowedOrigins`` (Microsoft.SignalRService/signalR ``SignalRCorsSettings``), where
#: ``*`` (the default when it is omitted) allows every origin.
ALLOWED_ORIGINS = web.AppKey("allowed_origins", tuple[str, ...])
_CORS_MAX_AGE = "600"
_HTTP_ERROR_CODES = {
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
}


@web.middleware
async def log_calls(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Log each HTTP call once, without its query string (which may hold a token).

    WebSocket sessions are logged by the connection instead, when it opens and ends.
    """
    started = time.perf_counter()
    response = await handler(request)
    if not isinstance(response, web.WebSocketResponse):
        elapsed = (time.perf_counter() - started) * 1000
        log.info("%s %s %d %.1f ms", request.method, request.path, response.status, elapsed)
    return response


@web.middleware
async def allow_browsers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CORS with credentials on the client endpoints for the allowed origins: echo the
    origin, answer preflights. Another origin gets no CORS headers, so its browser reads no
    answer (a preflight still gets 204, as ASP.NET Core's CORS middleware answers one)."""
    origin = request.headers.get("Origin")
    if origin is None or not request.path.startswith(_CORS_PREFIX):
        return await handler(request)
    allowed = _is_allowed(origin, request.app.get(ALLOWED_ORIGINS, ("*",)))
    preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers
    if not allowed:
        return web.Response(status=204) if preflight else await handler(request)
    if preflight:
        response: web.StreamResponse = web.Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", "Authorization, Content-Type"
        )
        response.headers["Access-Control-Max-Age"] = _CORS_MAX_AGE
    else:
        response = await handler(request)
    if not response.prepared:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Vary"] = "Origin"
    return response


def _is_allowed(origin: str, allowed: tuple[str, ...]) -> bool:
    """Origins compare without case or a trailing slash, as the portal writes them."""
    wanted = origin.rstrip("/").lower()
    return any(entry == "*" or entry.rstrip("/").lower() == wanted for entry in allowed)


@web.middleware
async def render_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer :class:`ApiError` and aiohttp's own HTTP errors in the service's JSON shape."""
    try:
        return await handler(request)
    except ApiError as error:
        return error_response(error)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return error_response(_as_api_error(error))


def _as_api_error(error: web.HTTPException) -> ApiError:
    code = _HTTP_ERROR_CODES.get(error.status, ErrorCode.INVALID_REQUEST)
    message = error.reason
    if error.status == 413:
        message = f"the request body is larger than {MAX_REQUEST_BODY_BYTES} bytes"
    headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
    return ApiError(error.status, code, message, headers=headers)


MIDDLEWARES = [log_calls, allow_browsers, render_errors]
