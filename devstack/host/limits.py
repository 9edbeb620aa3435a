"""How much a client may send, and how slowly: the body cap and the read timeouts.

Body size. The Functions host lets Kestrel refuse a body over 100 MB with 413
(azure-functions-host: ``ScriptConstants.DefaultMaxRequestBodySize``, set in
``Program.cs``), a limit the app setting ``FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`` changes
(``HttpRequestBodySizeMiddleware``). The dev host reads the same setting but defaults to
8 MiB: it holds every body whole in one Python process, once per concurrent request, so 100
MB bodies from a fuzzer or a runaway script could exhaust a small development machine, while
no docchat request comes near 1 MiB. Set the setting to 104857600 for Azure's limit. A
declared ``Content-Length`` over the cap is refused before any of the body is read; a chunked
body as soon as what arrived passes it.

Time. Kestrel, whose limits the host leaves at their defaults, drops a client that takes more
than 30 s over its headers (``RequestHeadersTimeout``) or sends its body too slowly
(``MinRequestBodyDataRate``). The dev host closes a connection that has not sent a request's
headers within ``header_timeout`` of opening or of its previous answer (aiohttp's keep-alive
timer, which a half-sent request does not stop), and answers 408, closing the connection, when
a body takes longer than ``body_timeout`` in all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

__all__ = ["BODY_LIMIT_SETTING", "BodyRefused", "RequestLimits"]

BODY_LIMIT_SETTING = "FUNCTIONS_REQUEST_BODY_SIZE_LIMIT"
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
#: Kestrel's RequestHeadersTimeout.
DEFAULT_HEADER_TIMEOUT = 30.0
DEFAULT_BODY_TIMEOUT = 30.0
#: After refusing a body, how long to read and drop what the client still sends before
#: closing, so that it can read the refusal (aiohttp lingers 10 s by default).
_LINGER_SECONDS = 2.0


class BodyRefused(Exception):
    """The body was not read: too large (413) or too slow (408)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class RequestLimits:
    """The body cap in bytes and the header and body read timeouts in seconds."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> RequestLimits:
        """The defaults, with the body cap from ``FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`` if set;
        ValueError naming the setting if it is not a positive whole number of bytes."""
        text = settings.get(BODY_LIMIT_SETTING, "").strip()
        if not text:
            return cls()
        if not text.isdigit() or int(text) == 0:
            raise ValueError(f"{BODY_LIMIT_SETTING} must be a positive number of bytes")
        return cls(max_body_bytes=int(text))

    def server_options(self) -> dict[str, Any]:
        """Keyword arguments for aiohttp's server that enforce the header timeout."""
        # Bodies reach functions as sent: Kestrel decompresses nothing, and a compressed
        # body could otherwise grow far past the cap.
        return {
            "keepalive_timeout": self.header_timeout,
            "lingering_time": _LINGER_SECONDS,
            "auto_decompress": False,
        }

    async def read_body(self, request: web.Request) -> bytes:
        """The whole body of ``request``, or :class:`BodyRefused`."""
        declared = request.content_length
        if declared is not None and declared > self.max_body_bytes:
            raise self._too_large()
        try:
            async with asyncio.timeout(self.body_timeout):
                # The application's client_max_size stops a chunked body at the cap.
                return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise self._too_large() from None
        except TimeoutError:
            raise BodyRefused(
                408, f"the request body took longer than {self.body_timeout:g} s to arrive"
            ) from None

    def _too_large(self) -> BodyRefused:
        return BodyRefused(
            413,
            f"the request body is larger than {self.max_body_bytes} bytes; "
            f"{BODY_LIMIT_SETTING} sets the limit",
        )
