"""Run an emulator on its own event loop in a background thread: for tests and scripts that
are not asyncio themselves (or must not share their loop with the service). Both services
take the same connection string, ``Endpoint=...;AccessKey=...;Version=1.0;``."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

__all__ = ["RunningEmulator", "Serving", "connection_string", "endpoint_url"]

#: Serves an emulator on ``(host, port)`` while entered, yielding the bound port.
Serving = Callable[[str, int], AbstractAsyncContextManager[int]]

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
    """The connection string for an emulator at ``endpoint``."""
    return f"Endpoint={endpoint};AccessKey={access_key};Version=1.0;"


class RunningEmulator:
    """An emulator serving from a background thread; stop it (or leave the ``with``) to end.

    The emulator itself stays private: its methods must run on its own loop. Code that wants
    to send in-process should serve an emulator on its own loop.
    """

    def __init__(
        self, serving: Serving, host: str, port: int, access_key: str, *, name: str
    ) -> None:
        self._serving = serving
        self._name = name
        self._host = host
        self._access_key = access_key
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._bound: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._serve(port),), name=name, daemon=True
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
            raise RuntimeError(f"{self._name} did not stop in time")

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    async def _serve(self, port: int) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        try:
            async with self._serving(self._host, port) as bound:
                self._bound.set_result(bound)
                await self._stop_requested.wait()
        except Exception as error:
            if self._bound.done():
                raise
            self._bound.set_exception(error)
