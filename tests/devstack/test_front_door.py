"""The front door (devstack.frontdoor) in front of echo servers: what a client sends reaches an
instance unchanged, what the instance answers reaches the client unchanged, and the turns go
round robin, skipping an instance that refuses connections."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from devstack.frontdoor.proxy import FrontDoor, server
from devstack.stack import free_port

#: A path and query with escapes a normalizing proxy would change: an encoded slash, an
#: encoded unreserved character, a dot segment, a double slash, an encoded space and ``+``.
RAW_PATH = "/api/documents/a%2Fb/%7Euser/../x//y?q=%20a+b&q=2&empty=&%41=1"
GZIPPED = gzip.compress(b"compressed as the instance sent it")
HOST = [("Host", "docchat.example")]


async def echo(request: web.BaseRequest) -> web.StreamResponse:
    """What an instance saw, as JSON; ``/teapot`` and ``/stream`` answer in their own way."""
    name = request.app_name  # type: ignore[attr-defined]
    if request.path == "/teapot":
        response = web.Response(status=418, reason="Short And Stout", body=GZIPPED)
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2")
        response.headers["Content-Encoding"] = "gzip"
        return response
    if request.path == "/stream":
        streamed = web.StreamResponse()
        await streamed.prepare(request)
        await streamed.write(b"first ")
        await request.release_second  # type: ignore[attr-defined]
        await streamed.write(b"second")
        await streamed.write_eof()
        return streamed
    seen = {
        "instance": name,
        "method": request.method,
        "raw_path": request.raw_path,
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in request.raw_headers],
        "body": (await request.read()).hex(),
    }
    return web.json_response(seen)


@asynccontextmanager
async def serving(handler: Callable[[web.BaseRequest], Any] | web.Server) -> AsyncIterator[str]:
    """Serve ``handler`` (an instance) or a ready server (the front door's) on a free port."""
    if not isinstance(handler, web.Server):
        handler = web.Server(handler, auto_decompress=False)
    runner = web.ServerRunner(handler, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def instance(name: str, second: asyncio.Future[None] | None = None) -> Callable[..., Any]:
    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        request.app_name = name  # type: ignore[attr-defined]
        request.release_second = second  # type: ignore[attr-defined]
        return await echo(request)

    return handle


@asynccontextmanager
async def front_door(instances: list[str]) -> AsyncIterator[str]:
    door = FrontDoor(instances)
    await door.start()
    try:
        async with serving(server(door)) as url:
            yield url
    finally:
        await door.close()


@pytest.fixture
async def two_instances() -> AsyncIterator[str]:
    """The front door's URL, before instances ``a`` and ``b``."""
    async with AsyncExitStack() as stack:
        urls = [await stack.enter_async_context(serving(instance(name))) for name in "ab"]
        yield await stack.enter_async_context(front_door(urls))


def send(base_url: str, method: str, path: str, headers: list[tuple[str, str]], body: Any) -> Any:
    """One request with exactly this path and these headers (http.client changes neither)."""
    connection = http.client.HTTPConnection(base_url.removeprefix("http://"), timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        chunked = body is not None and not isinstance(body, bytes)
        if chunked:
            connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders(body, encode_chunked=chunked)
        answer = connection.getresponse()
        return answer, answer.read()
    finally:
        connection.close()


def headers_named(seen: dict[str, Any], name: str) -> list[str]:
    return [value for key, value in seen["headers"] if key.lower() == name.lower()]


async def test_a_request_reaches_the_instance_as_the_client_sent_it(two_instances: str) -> None:
    body = bytes(range(256)) * 4
    headers = [
        ("Host", "docchat.example"),
        ("X-Custom", "one"),
        ("X-Custom", "two"),
        ("Content-Type", "application/octet-stream"),
        ("Content-Length", str(len(body))),
        ("X-Ms-Client-Principal-Id", "alice-id"),
    ]

    answer, raw = await asyncio.to_thread(send, two_instances, "PATCH", RAW_PATH, headers, body)

    seen = json.loads(raw)
    assert answer.status == 200
    assert (seen["method"], seen["raw_path"], bytes.fromhex(seen["body"])) == (
        "PATCH",
        RAW_PATH,
        body,
    )
    for name, value in headers:
        assert value in headers_named(seen, name), name
    assert headers_named(seen, "X-Custom") == ["one", "two"]
    assert headers_named(seen, "User-Agent") == []  # nothing added of the proxy's own


async def test_a_chunked_body_is_streamed_on_whole(two_instances: str) -> None:
    parts = [b"part one, ", b"", b"part two"]

    _, raw = await asyncio.to_thread(send, two_instances, "POST", "/api/x", HOST, iter(parts))

    seen = json.loads(raw)
    assert bytes.fromhex(seen["body"]) == b"part one, part two"
    assert headers_named(seen, "Content-Length") == []


async def test_a_client_that_expects_100_continue_is_told_to_go_on(two_instances: str) -> None:
    """The client waits for ``100 Continue`` before its body (RFC 9110 10.1.1), as curl does
    for a large one: the front door says it, so the body is not held back."""
    address = two_instances.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(address[0], int(address[1]))
    head = "POST /api/x HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
    writer.write(head.encode())
    assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5) == (
        b"HTTP/1.1 100 Continue\r\n\r\n"
    )
    writer.write(b"body")
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()

    assert status.startswith(b"HTTP/1.1 200")


async def test_x_forwarded_headers_say_who_asked_and_hop_by_hop_ones_stay_behind(
    two_instances: str,
) -> None:
    """App Service adds X-Forwarded-For/-Proto; a Connection header's names end at the
    proxy (RFC 9110 7.6.1)."""
    headers = [
        ("Host", "docchat.example:7071"),
        ("X-Forwarded-For", "203.0.113.9"),
        ("X-Forwarded-Host", "forged.example"),
        ("Connection", "keep-alive, X-Hop"),
        ("X-Hop", "for the proxy only"),
        ("Keep-Alive", "timeout=5"),
    ]

    _, raw = await asyncio.to_thread(send, two_instances, "GET", "/api/x", headers, None)

    seen = json.loads(raw)
    assert headers_named(seen, "X-Forwarded-For") == ["203.0.113.9, 127.0.0.1"]
    assert headers_named(seen, "X-Forwarded-Proto") == ["http"]
    assert headers_named(seen, "X-Forwarded-Host") == ["docchat.example:7071"]
    assert headers_named(seen, "Host") == ["docchat.example:7071"]
    assert headers_named(seen, "X-Hop") == headers_named(seen, "Keep-Alive") == []


async def test_the_answer_reaches_the_client_as_the_instance_sent_it(two_instances: str) -> None:
    answer, raw = await asyncio.to_thread(send, two_instances, "GET", "/teapot", HOST, None)

    assert (answer.status, answer.reason) == (418, "Short And Stout")
    assert answer.headers.get_all("Set-Cookie") == ["a=1", "b=2"]
    assert answer.headers["Content-Encoding"] == "gzip"
    assert raw == GZIPPED  # not decompressed on the way


async def test_an_answer_is_streamed_as_it_comes() -> None:
    second: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    async with serving(instance("a", second)) as url, front_door([url]) as door:
        connection = http.client.HTTPConnection(door.removeprefix("http://"), timeout=10)
        await asyncio.to_thread(connection.request, "GET", "/stream")
        answer = await asyncio.to_thread(connection.getresponse)
        first = await asyncio.to_thread(answer.read1)
        second.set_result(None)
        rest = await asyncio.to_thread(answer.read)
        connection.close()

    assert first == b"first "  # before the instance wrote the rest
    assert rest == b"second"


async def test_requests_go_round_robin_on_one_connection(two_instances: str) -> None:
    connection = http.client.HTTPConnection(two_instances.removeprefix("http://"), timeout=10)

    def served_by() -> str:
        connection.request("GET", "/api/x")
        return str(json.loads(connection.getresponse().read())["instance"])

    turns = [await asyncio.to_thread(served_by) for _ in range(5)]
    connection.close()

    assert turns == ["a", "b", "a", "b", "a"]


async def test_an_instance_that_refuses_connections_is_skipped_and_none_is_502() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    async with serving(instance("alive")) as alive, front_door([dead, alive]) as door:
        served = [
            json.loads(
                (
                    await asyncio.to_thread(
                        send, door, "POST", "/x", [*HOST, ("Content-Length", "1")], b"b"
                    )
                )[1]
            )
            for _ in range(3)
        ]
    async with front_door([dead]) as nobody:
        refused, raw = await asyncio.to_thread(send, nobody, "GET", "/x", HOST, None)

    assert [seen["instance"] for seen in served] == ["alive"] * 3
    assert [seen["body"] for seen in served] == [b"b".hex()] * 3
    assert refused.status == 502
    assert json.loads(raw)["error"]["code"] == "front_door"
