"""Python SignalR clients against the emulator: pysignalr (asyncio) and signalrcore (threads).

Both skip the service's negotiate: given the function app's ``{url, accessToken}`` they open
the WebSocket straight at ``url`` with a Bearer header and no connection id.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import pytest
from pysignalr.client import SignalRClient
from pysignalr.messages import CompletionMessage
from pysignalr.protocol.abstract import Protocol
from pysignalr.protocol.json import JSONProtocol
from pysignalr.protocol.messagepack import MessagepackProtocol
from signalrcore.hub_connection_builder import HubConnectionBuilder

from signalr.rest import HubClient
from tests.fixtures.signalr_emulator import NegotiateEndpoint

ARGUMENTS = ["text", 7, 2.5, None, False, {"nested": ["é€ ✓"]}]
TIMEOUT = 15.0


class PySignalRListener:
    """A running pysignalr client and what it received."""

    def __init__(self, client: SignalRClient) -> None:
        self.client = client
        self.opened = asyncio.Event()
        self.messages: asyncio.Queue[list[Any]] = asyncio.Queue()
        self.errors: asyncio.Queue[str] = asyncio.Queue()
        client.on_open(self._opened)
        client.on("message", self.messages.put)
        client.on_error(self._failed)

    @classmethod
    @asynccontextmanager
    async def running(cls, url: str, protocol: Protocol) -> AsyncIterator[PySignalRListener]:
        listener = cls(SignalRClient(url, protocol=protocol))
        task = asyncio.create_task(listener.client.run())
        try:
            await asyncio.wait_for(listener.opened.wait(), TIMEOUT)
            yield listener
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _opened(self) -> None:
        self.opened.set()

    async def _failed(self, message: CompletionMessage) -> None:
        await self.errors.put(str(message.error))


@pytest.mark.parametrize("protocol", [JSONProtocol, MessagepackProtocol])
async def test_pysignalr_connects_through_the_redirect_and_receives(
    function_app: NegotiateEndpoint,
    signalr_hub: HubClient,
    signalr_hub_name: str,
    protocol: type[JSONProtocol | MessagepackProtocol],
) -> None:
    url = function_app.url(signalr_hub_name, "py")
    async with PySignalRListener.running(url, protocol()) as listener:
        assert await asyncio.to_thread(signalr_hub.user_exists, "py")
        await asyncio.to_thread(signalr_hub.send_to_user, "py", "message", ARGUMENTS)
        await asyncio.to_thread(signalr_hub.add_user_to_group, "document:42", "py")
        await asyncio.to_thread(
            signalr_hub.send_to_group, "document:42", "message", ["to the group"]
        )
        assert await asyncio.wait_for(listener.messages.get(), TIMEOUT) == ARGUMENTS
        assert await asyncio.wait_for(listener.messages.get(), TIMEOUT) == ["to the group"]


async def test_pysignalr_invocation_is_ignored_as_serverless_without_upstream(
    function_app: NegotiateEndpoint, signalr_hub: HubClient, signalr_hub_name: str
) -> None:
    """azure-signalr Emulator/HubEmulator/HttpServerlessMessageHandler.cs: no upstream, so the
    service ignores the invocation: no completion, no error, and the connection lives on."""
    url = function_app.url(signalr_hub_name)
    async with PySignalRListener.running(url, JSONProtocol()) as listener:
        completed = asyncio.Event()

        async def on_completion(_: Any) -> None:
            completed.set()

        await listener.client.send("sendMessage", [{"text": "hi"}], on_invocation=on_completion)
        await asyncio.to_thread(signalr_hub.send_to_all, "message", ["still connected"])
        assert await asyncio.wait_for(listener.messages.get(), TIMEOUT) == ["still connected"]
        assert not completed.is_set()
        assert listener.errors.empty()


async def test_signalrcore_connects_through_the_redirect_with_messagepack(
    function_app: NegotiateEndpoint, signalr_hub: HubClient, signalr_hub_name: str
) -> None:
    """signalrcore's own stop() waits for the next frame from the service (its reader thread
    stays blocked in recv), so the service ends the connection here, as a REST close would."""
    opened, closed = threading.Event(), threading.Event()
    received: queue.Queue[list[Any]] = queue.Queue()
    connection = HubConnectionBuilder().with_url(function_app.url(signalr_hub_name, "core")).build()
    connection.on_open(opened.set)
    connection.on_close(closed.set)
    connection.on("message", received.put)
    await asyncio.to_thread(connection.start)
    try:
        assert await asyncio.to_thread(opened.wait, TIMEOUT)
        assert type(connection.protocol).__name__ == "MessagePackHubProtocol"
        await asyncio.to_thread(signalr_hub.send_to_user, "core", "message", ARGUMENTS)
        assert await asyncio.to_thread(received.get, timeout=TIMEOUT) == ARGUMENTS
    finally:
        await asyncio.to_thread(signalr_hub.close_user_connections, "core", reason="test over")
        assert await asyncio.to_thread(closed.wait, TIMEOUT)
