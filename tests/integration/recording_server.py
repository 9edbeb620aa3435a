"""A real HTTP server on 127.0.0.1 that records every request and answers as scripted.

HTTP client tests run against it instead of mocking ``requests``: the client's own pool,
timeouts and retries meet a real socket. Each request is recorded as it arrived (method,
path with its escapes intact, query, headers, body, arrival time); each answer comes from a
queue of :class:`Reply` scripts, so a test can say "429 with Retry-After, then 202", or hold
an answer past the client's read timeout, or drop the connection without answering.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

__all__ = ["RecordedRequest", "RecordingServer", "Reply", "recording_server"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request exactly as the server read it."""

    method: str
    path: str
    raw_query: str
    headers: Mapping[str, str]
    body: bytes
    client_port: int
    received_at: float

    @property
    def query(self) -> dict[str, list[str]]:
        """The query string decoded; a repeated name keeps every value, in order."""
        return parse_qs(self.raw_query, keep_blank_values=True)

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Reply:
    """How to answer one request."""

    status: int = 200
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    hold: float = 0.0
    drop: bool = False

    @classmethod
    def json(cls, status: int, payload: object, headers: Mapping[str, str] | None = None) -> Reply:
        """Answer ``status`` with ``payload`` as a JSON body."""
        return cls(
            status,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )

    @classmethod
    def slow(cls, seconds: float, status: int = 200) -> Reply:
        """Answer only after ``seconds`` (or when the server stops, whichever comes first)."""
        return cls(status, hold=seconds)

    @classmethod
    def dropped(cls) -> Reply:
        """Read the request, then close the socket without answering."""
        return cls(drop=True)


class RecordingServer:
    """Records requests and answers from a script; a context manager that owns its thread.

    Answers come from the queue filled by :meth:`answer`; once it is empty, every request
    gets :attr:`default_reply`.
    """

    def __init__(self, default_reply: Reply | None = None) -> None:
        self.default_reply = default_reply or Reply(200)
        self._replies: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, without a trailing slash."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def answer(self, *replies: Reply) -> None:
        """Queue ``replies`` for the next requests, in order."""
        with self._lock:
            self._replies.extend(replies)

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def _record(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self._requests.append(request)
            return self._replies.popleft() if self._replies else self.default_reply

    def _hold(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        recorder: RecordingServer,
    ) -> None:
        super().__init__(address, handler)
        self.recorder = recorder


class _Handler(BaseHTTPRequestHandler):
    """Keeps connections alive (HTTP/1.1) so the client's pooling is exercised too."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = urlsplit(self.path)
        reply = self.server.recorder._record(
            RecordedRequest(
                method=self.command,
                path=target.path,
                raw_query=target.query,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=body,
                client_port=self.client_address[1],
                received_at=time.monotonic(),
            )
        )
        if reply.drop:
            self.close_connection = True
            return
        if reply.hold:
            self.server.recorder._hold(reply.hold)
        try:
            self._write(reply)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting: that was the point

    def _write(self, reply: Reply) -> None:
        body = b"" if self.command == "HEAD" else reply.body
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the recorded requests are the log."""


@pytest.fixture
def recording_server() -> Iterator[RecordingServer]:
    """A started :class:`RecordingServer`, stopped after the test."""
    with RecordingServer() as server:
        yield server
