"""The dev host caps bodies before buffering them and drops clients that send too slowly.

The Functions host's Kestrel answers 413 past its body limit and drops slow clients
(azure-functions-host: ScriptConstants.DefaultMaxRequestBodySize, HttpRequestBodySizeMiddleware;
Kestrel's RequestHeadersTimeout and MinRequestBodyDataRate). These tests speak raw HTTP/1.1 on
a socket, so that they control exactly what is sent and when.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from yarl import URL

from devstack.host.limits import BODY_LIMIT_SETTING, RequestLimits
from tests.devstack.host_apps.serving import serving

CAP = 1024
LIMITS = RequestLimits(max_body_bytes=CAP, header_timeout=0.5, body_timeout=0.5)
#: Long enough for any healthy loopback exchange; only a broken one waits this long.
PATIENCE = 10.0
PUT_HEAD = "PUT /api/items/pear HTTP/1.1\r\nHost: dev\r\n"


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    async with serving("routes_app", limits=LIMITS) as url:
        yield url


@contextlib.asynccontextmanager
async def connection(
    base_url: str,
) -> AsyncIterator[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    url = URL(base_url)
    reader, writer = await asyncio.open_connection(url.host, url.port)
    try:
        yield reader, writer
    finally:
        writer.close()


async def answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, Any]]:
    """The status and JSON body of the host's answer; it must say it closes the connection."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), PATIENCE)
    lines = head.decode().lower().split("\r\n")
    assert "connection: close" in lines
    length = next(int(line.split(":")[1]) for line in lines if line.startswith("content-length"))
    body = await asyncio.wait_for(reader.readexactly(length), PATIENCE)
    return int(lines[0].split()[1]), json.loads(body)


async def test_a_declared_body_over_the_cap_is_413_before_any_of_it_is_sent(
    base_url: str,
) -> None:
    async with connection(base_url) as (reader, writer):
        writer.write(f"{PUT_HEAD}Content-Length: {CAP + 1}\r\n\r\n".encode())
        status, body = await answer(reader)
    assert status == 413
    assert BODY_LIMIT_SETTING in body["error"]["message"]


async def test_a_chunked_body_is_413_as_soon_as_it_passes_the_cap(base_url: str) -> None:
    async with connection(base_url) as (reader, writer):
        writer.write(f"{PUT_HEAD}Transfer-Encoding: chunked\r\n\r\n".encode())
        writer.write(f"{CAP + 1:x}\r\n".encode() + b"x" * (CAP + 1) + b"\r\n")  # no last chunk
        status, _ = await answer(reader)
    assert status == 413


async def test_a_body_of_exactly_the_cap_reaches_the_function(base_url: str) -> None:
    async with (
        aiohttp.ClientSession(base_url) as http,
        http.put("/api/items/pear", data=b"x" * CAP) as response,
    ):
        assert response.status == 200
        assert len((await response.json())["body"]) == CAP


async def test_a_client_dripping_its_headers_is_dropped(base_url: str) -> None:
    async with connection(base_url) as (reader, writer):
        writer.write(b"GET /api/items/7 HTTP/1.1\r\nHost: dev\r\n")

        async def drip() -> None:
            with contextlib.suppress(OSError):
                while True:
                    writer.write(b"X-Slow: still coming\r\n")
                    await writer.drain()
                    await asyncio.sleep(0.1)

        dripping = asyncio.create_task(drip())
        try:
            assert await asyncio.wait_for(reader.read(), PATIENCE) == b""
        finally:
            dripping.cancel()


async def test_a_body_slower_than_the_timeout_is_408_and_the_connection_closed(
    base_url: str,
) -> None:
    async with connection(base_url) as (reader, writer):
        writer.write(f"{PUT_HEAD}Content-Length: 100\r\n\r\n".encode() + b"x" * 10)
        status, body = await answer(reader)
        assert await asyncio.wait_for(reader.read(), PATIENCE) == b""
    assert status == 408
    assert "took longer than 0.5 s" in body["error"]["message"]
