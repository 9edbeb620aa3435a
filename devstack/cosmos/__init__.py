"""A local Cosmos DB (NoSQL API) for docchat's dev stack and tests.

No Docker engine runs on our machines, so the official emulator cannot. This starts
`server.js` (next to this file): the in-memory npm package `@vercel/cosmosdb-server`
with the fixes docchat needs (see `patches.js`). Product code talks to it with
`azure-cosmos` exactly as to Azure: the SDK itself skips TLS verification for
`localhost` / `127.0.0.1`, and any key is accepted (use `EMULATOR_KEY`).

    with start_cosmos_server() as cosmos:
        client = CosmosClient(cosmos.endpoint, credential=EMULATOR_KEY)
"""

from __future__ import annotations

import collections
import http.client
import logging
import queue
import re
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Final

__all__ = [
    "DEFAULT_PORT",
    "EMULATOR_KEY",
    "LOCAL_TLS_WARNING",
    "CosmosServer",
    "CosmosServerError",
    "start_cosmos_server",
]

# The well-known key of Microsoft's emulator: public, not a secret. The server accepts
# any key; using this one keeps local settings identical to the emulator's.
EMULATOR_KEY: Final = (
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
)
DEFAULT_PORT: Final = 8081  # the emulator's port, so settings written for it work unchanged
#: urllib3 warns on every request whose TLS check azure-cosmos skips, which it does on
#: purpose for exactly these hosts: noise to filter where the local server is used.
LOCAL_TLS_WARNING: Final = (
    r"Unverified HTTPS request is being made to host '(127\.0\.0\.1|localhost)'"
)

_LAUNCHER: Final = Path(__file__).with_name("server.js")
_PROJECT_ROOT: Final = _LAUNCHER.parents[2]  # where node_modules lives
_READY_LINE: Final = re.compile(r"^cosmos listening on (\S+)$")
_STDERR_LINES_KEPT: Final = 20
_PROBE_TIMEOUT_S: Final = 2.0

_log = logging.getLogger(__name__)


class CosmosServerError(RuntimeError):
    """The local Cosmos server could not start; the message says what to do."""


class _ServerPipes:
    """Owns the server's pipes: stdin held open, stdout and stderr drained on threads.

    Why: node stops when stdin ends (so it dies with us), and a pipe nobody reads fills
    up and then blocks node. Stdout lines are queued for the ready check; the latest
    stderr lines are kept for error messages, and logged.
    """

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None  # all three pipes are opened by start_cosmos_server
        assert process.stderr is not None
        self.lines: queue.Queue[str] = queue.Queue()
        self._errors: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES_KEPT)
        self._streams = (process.stdin, process.stdout, process.stderr)
        self._threads = [
            _drain(process.stdout, self.lines.put),
            _drain(process.stderr, self._on_error_line),
        ]

    def _on_error_line(self, line: str) -> None:
        self._errors.append(line)
        _log.warning("%s", line)

    def errors(self) -> str:
        """The latest stderr lines on one line, for an exception message."""
        return " | ".join(self._errors) or "(no output)"

    def close(self, timeout: float = 2.0) -> None:
        """After the process ended: let the threads reach end-of-file, close the pipes."""
        for thread in self._threads:
            thread.join(timeout)
        for stream in self._streams:
            if stream is not None:
                stream.close()


class CosmosServer:
    """A running local Cosmos server process; stop it with `stop()` or a `with` block."""

    def __init__(self, process: subprocess.Popen[str], pipes: _ServerPipes, endpoint: str) -> None:
        self._process = process
        self._pipes = pipes
        self.endpoint: Final = endpoint  # e.g. "https://127.0.0.1:8081", no trailing slash
        self.key: Final = EMULATOR_KEY

    def __enter__(self) -> CosmosServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """The node process's id: tests pause it (SIGSTOP) to stand for a stalled service."""
        return self._process.pid

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM lets the server close its sockets cleanly; kill only if that hangs."""
        _stop(self._process, self._pipes, timeout)

    def wait(self) -> int:
        """Block until the server exits (the foreground mode); return its exit code."""
        return self._process.wait()


def start_cosmos_server(
    port: int = 0,
    host: str = "127.0.0.1",
    *,
    tls: bool = True,
    timeout: float = 30.0,
    latency_ms: int = 0,
    partition_limit_bytes: int = 0,
) -> CosmosServer:
    """Start the server and return once it answers requests.

    `port=0` picks a free port (read the real one from `.endpoint`). `host` must be a
    loopback name: the server has no authentication. `tls=False` serves plain http,
    for clients that cannot skip certificate checks. `latency_ms` holds every request that
    long before it is handled, as a round trip to Azure would. With `partition_limit_bytes`
    a logical partition that holds that many bytes refuses writes as a full one (20 GB) does
    in Azure: 403, sub-status 1014. Raises CosmosServerError with an
    actionable message (Node.js missing, `npm ci` not run, port taken, timeout).
    """
    node = shutil.which("node")
    if node is None:
        raise CosmosServerError("node not found: install Node.js 20 and put it on PATH")
    command = [node, str(_LAUNCHER), "--port", str(port), "--host", host, "--stop-with-stdin"]
    command += [f"--latency-ms={latency_ms}", f"--partition-limit-bytes={partition_limit_bytes}"]
    process = subprocess.Popen(  # noqa: S603 (fixed argv: node, our launcher, numbers/names)
        [*command, *([] if tls else ["--no-ssl"])],
        cwd=_PROJECT_ROOT,
        stdin=subprocess.PIPE,  # never written: its end tells node this process is gone
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    pipes = _ServerPipes(process)
    try:
        endpoint = _wait_until_healthy(
            process, pipes, time.monotonic() + timeout, latency_ms / 1000
        )
    except BaseException:
        _stop(process, pipes, timeout=5.0)
        raise
    return CosmosServer(process, pipes, endpoint)


def _wait_until_healthy(
    process: subprocess.Popen[str], pipes: _ServerPipes, deadline: float, latency: float
) -> str:
    """Wait for the launcher's ready line, then for a real answer on `GET /` (which comes
    `latency` seconds later than on loopback)."""
    endpoint = _read_endpoint(process, pipes, deadline)
    while not _answers(endpoint, latency):
        _check_alive(process, pipes)
        if time.monotonic() > deadline:
            raise CosmosServerError(f"local Cosmos server at {endpoint} never answered")
        time.sleep(0.05)
    return endpoint


def _read_endpoint(process: subprocess.Popen[str], pipes: _ServerPipes, deadline: float) -> str:
    """Return the endpoint from `cosmos listening on <endpoint>`; fail fast if node exits."""
    while time.monotonic() < deadline:
        try:
            line = pipes.lines.get(timeout=0.1)
        except queue.Empty:
            _check_alive(process, pipes)
            continue
        match = _READY_LINE.match(line.strip())
        if match:
            return match.group(1)
    raise CosmosServerError(
        f"local Cosmos server did not start in time; its last errors: {pipes.errors()}"
    )


def _check_alive(process: subprocess.Popen[str], pipes: _ServerPipes) -> None:
    """Turn an early exit into an error carrying the launcher's own explanation."""
    code = process.poll()
    if code is None:
        return
    pipes.close()  # reads stderr to its end first
    raise CosmosServerError(f"local Cosmos server exited with code {code}: {pipes.errors()}")


def _answers(endpoint: str, latency: float) -> bool:
    """One `GET /` (the account document): proves the server really serves requests."""
    scheme, _, address = endpoint.partition("://")
    host, _, port = address.rpartition(":")
    connection: http.client.HTTPConnection
    if scheme == "https":
        # Same choice as azure-cosmos for localhost: the package's certificate is self-signed
        # (and long expired).
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(
            host, int(port), timeout=_PROBE_TIMEOUT_S + latency, context=context
        )
    else:
        connection = http.client.HTTPConnection(host, int(port), timeout=_PROBE_TIMEOUT_S + latency)
    try:
        connection.request("GET", "/")
        return connection.getresponse().status == http.client.OK
    except OSError:
        return False
    finally:
        connection.close()


def _drain(stream: IO[str], sink: Callable[[str], None]) -> threading.Thread:
    """Feed each line of `stream` to `sink` on a daemon thread until end-of-file."""

    def drain() -> None:
        for line in stream:
            sink(line.rstrip("\n"))

    thread = threading.Thread(target=drain, name="cosmos-output", daemon=True)
    thread.start()
    return thread


def _stop(process: subprocess.Popen[str], pipes: _ServerPipes, timeout: float) -> None:
    """Terminate politely, then kill; safe to call again or after the process exited."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    pipes.close()
