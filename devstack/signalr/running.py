"""Run the emulator on its own event loop in a background thread: for tests and scripts that
are not asyncio themselves (or must not share their loop with the service)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Sequence

from devstack.signalr.emulator import Emulator
from devstack.signalr.server import serve
from devstack.signalr.settings import DEFAULT_ACCESS_KEY, EmulatorSettings
from devstack.signalr.upstream_rules import UpstreamRule

__all__ = ["RunningEmulator", "connection_string", "endpoint_url", "start_emulator"]

#: How long starting or stopping may take before it is reported as stuck.
_THREAD_TIMEOUT = 15.0


def endpoint_url(host: str, port: int) -> str:
    """The Endpoint clients use: loopback hosts are spelled ``localhost`` (tokens say so too)."""
    if host in ("127.0.0.1", "localhost", "0.0.0.0", "::1", "::"):  # noqa: S104
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def connection_string(endpoint: str, access_key: str) -> str:
    """The Azure SignalR connection string for an emulator at ``endpoint``."""
    return f"Endpoint={endpoint};AccessKey={access_key};Version=1.0;"


class RunningEmulator:
    """An emulator serving from a background thread; stop it (or leave the ``with``) to end.

    The emulator itself stays private: its methods must run on its own loop. Code that wants
    to send in-process should :func:`~devstack.signalr.server.serve` an Emulator on its loop.
    """

    def __init__(self, emulator: Emulator, host: str, port: int, access_key: str) -> None:
        self._emulator = emulator
        self._host = host
        self._access_key = access_key
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._bound: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._serve(port),), name="signalr-emulator", daemon=True
        )
        self._thread.start()
        self.port = self._bound.result(timeout=_THREAD_TIMEOUT)
        self.endpoint = endpoint_url(host, self.port)
        self.connection_string = connection_string(self.endpoint, access_key)

    def stop(self) -> None:
        """Close every client (they may reconnect), stop listening, and end the thread.

        Stopping a stopped emulator does nothing.
        """
        if not self._thread.is_alive():
            return
        if self._loop is not None and self._stop_requested is not None:
            self._loop.call_soon_threadsafe(self._stop_requested.set)
        self._thread.join(timeout=_THREAD_TIMEOUT)
        if self._thread.is_alive():
            raise RuntimeError("the SignalR emulator did not stop in time")

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    async def _serve(self, port: int) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        try:
            async with serve(self._emulator, self._host, port) as bound:
                self._bound.set_result(bound)
                await self._stop_requested.wait()
        except Exception as error:
            if self._bound.done():
                raise
            self._bound.set_exception(error)


def start_emulator(
    port: int = 0,
    access_key: str = DEFAULT_ACCESS_KEY,
    host: str = "127.0.0.1",
    *,
    settings: EmulatorSettings | None = None,
    upstream: Sequence[UpstreamRule] = (),
) -> RunningEmulator:
    """Start an emulator on ``host:port`` (0 picks a free port) in a background thread;
    client events go to the first of the ``upstream`` rules that takes them."""
    emulator = Emulator(access_key, settings, upstream)
    return RunningEmulator(emulator, host, port, access_key)
