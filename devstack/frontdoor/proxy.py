"""The front door: one address for every instance of the app, round robin, no affinity.

Azure's front end for Flex Consumption hands each request to any instance of the app, with no
session affinity; the app cannot tell which instance served the previous request of a client.
This proxy does the same for the dev host processes of a local stack, one request at a time,
so that state kept in one process (a cache, a counter) shows up as the bug it is in Azure.

Each request goes on as it came: the method, the path and query exactly as sent (percent
escapes untouched), every end-to-end header (Host included, as App Service keeps the site's
host), the body streamed, and the answer streamed back with its status, reason and headers.
Only hop-by-hop headers (RFC 9110 7.6.1) stay behind, and the ``X-Forwarded-*`` headers App
Service sets are added: ``X-Forwarded-For`` gets the client's address appended,
``X-Forwarded-Proto`` and ``X-Forwarded-Host`` say what the client asked for. Bodies are
neither decompressed nor buffered.

An instance that refuses the connection (dead, or restarting) is skipped and the request goes
to the next one, since it has not reached any instance yet; when none accepts, the answer
is 502. Like App Service's front end, a request gets 230 s for its answer, else 504.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence

import aiohttp
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

__all__ = ["ANSWER_TIMEOUT", "FrontDoor", "forwarded_headers", "server"]

logger = logging.getLogger("devstack.frontdoor")

#: App Service's front end ends a request whose answer has not come within 230 s.
ANSWER_TIMEOUT = 230.0
#: A loopback connect takes microseconds; one that takes seconds is to a stopped process.
_CONNECT_TIMEOUT = 5.0
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


def _end_to_end(headers: CIMultiDictProxy[str]) -> CIMultiDict[str]:
    """``headers`` without the hop-by-hop ones, nor those the Connection header names."""
    named = {
        token.strip().lower()
        for value in headers.getall("Connection", [])
        for token in value.split(",")
    }
    dropped = _HOP_BY_HOP | named
    return CIMultiDict(
        (name, value) for name, value in headers.items() if name.lower() not in dropped
    )


def forwarded_headers(request: web.BaseRequest) -> CIMultiDict[str]:
    """What an instance receives: the client's end-to-end headers and ``X-Forwarded-*``."""
    headers = _end_to_end(request.headers)
    client = request.remote or ""
    earlier = ", ".join(headers.popall("X-Forwarded-For", []))
    headers["X-Forwarded-For"] = f"{earlier}, {client}" if earlier else client
    headers["X-Forwarded-Proto"] = request.scheme
    headers["X-Forwarded-Host"] = request.host
    return headers


class FrontDoor:
    """Hands each request to the next instance in turn (``instances``: base URLs)."""

    def __init__(self, instances: Sequence[str]) -> None:
        if not instances:
            raise ValueError("a front door needs at least one instance")
        self.instances = tuple(url.rstrip("/") for url in instances)
        self._turns: Iterator[int] = itertools.count()
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the pool of connections to the instances (kept alive, as a front end's)."""
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0),
            timeout=aiohttp.ClientTimeout(total=ANSWER_TIMEOUT, sock_connect=_CONNECT_TIMEOUT),
            auto_decompress=False,
            # Nothing of the client's own: no User-Agent, Accept or Content-Type it never sent.
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            cookie_jar=aiohttp.DummyCookieJar(),
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Forward ``request`` to the next instance that accepts it; stream its answer back."""
        headers = forwarded_headers(request)
        if headers.get("Expect", "").lower() == "100-continue":
            # The client waits for this before it sends the body; the body then comes whole,
            # so the instance is not asked to wait for it again.
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            del headers["Expect"]
        body = request.content if request.body_exists else None
        for instance in self._next_round():
            try:
                upstream = await self._send(
                    request.method, instance, request.raw_path, headers, body
                )
            except aiohttp.ClientConnectorError:
                continue  # nothing reached this instance: the next one gets the request
            except TimeoutError:
                return _refusal(504, "the instance did not answer within 230 s")
            except aiohttp.ClientError as error:  # the instance died while it had the request
                return _refusal(502, f"the instance failed to answer ({type(error).__name__})")
            async with upstream:
                return await _relay(request, upstream)
        return _refusal(502, "no instance of the app accepts connections")

    def _next_round(self) -> Sequence[str]:
        """The instance whose turn it is, then the others in order (for refused connects)."""
        turn = next(self._turns) % len(self.instances)
        return self.instances[turn:] + self.instances[:turn]

    async def _send(
        self,
        method: str,
        instance: str,
        raw_path: str,
        headers: CIMultiDict[str],
        body: aiohttp.StreamReader | None,
    ) -> aiohttp.ClientResponse:
        assert self._session is not None, "start() the front door first"
        return await self._session.request(
            method,
            URL(instance + raw_path, encoded=True),
            headers=headers,
            data=body,
            allow_redirects=False,
        )


def server(front_door: FrontDoor) -> web.Server:
    """The HTTP server for ``front_door``: aiohttp's low-level one, so no router or
    middleware sees (or normalizes) a path; no access log (one line per request would drown
    the instances' own); bodies go on compressed as they came."""
    return web.Server(front_door.handle, access_log=None, auto_decompress=False)


async def _relay(request: web.BaseRequest, upstream: aiohttp.ClientResponse) -> web.StreamResponse:
    """Stream ``upstream``'s answer to the client as it comes."""
    response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
    response.headers.extend(_end_to_end(upstream.headers))
    await response.prepare(request)
    async for chunk in upstream.content.iter_any():
        await response.write(chunk)
    await response.write_eof()
    return response


def _refusal(status: int, message: str) -> web.Response:
    logger.warning("%d: %s", status, message)
    return web.json_response({"error": {"code": "front_door", "message": message}}, status=status)
