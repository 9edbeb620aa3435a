"""``python -m devstack.signalr`` as a parent process runs it: read the connection string from
the first line, use the service, stop it with a signal."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from devstack.signalr import DEFAULT_ACCESS_KEY
from signalr.connection_string import parse_connection_string
from signalr.rest import HubClient

PREFIX = "AzureSignalRConnectionString="
TIMEOUT = 15.0


@asynccontextmanager
async def emulator_process(*arguments: str) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devstack.signalr",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def first_line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    return (await asyncio.wait_for(process.stdout.readline(), TIMEOUT)).decode().rstrip("\n")


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT])
async def test_the_cli_prints_its_connection_string_serves_and_stops_on_a_signal(
    stop_with: signal.Signals,
) -> None:
    async with emulator_process("--port", "0") as process:
        line = await first_line(process)
        assert line.startswith(PREFIX)
        connection = parse_connection_string(line.removeprefix(PREFIX))
        assert connection.endpoint.startswith("http://localhost:")
        assert connection.access_key == DEFAULT_ACCESS_KEY
        with HubClient(connection, "cli") as hub:
            assert await asyncio.to_thread(hub.is_healthy)
            await asyncio.to_thread(hub.send_to_all, "message", ["logged"])
        process.send_signal(stop_with)
        assert await asyncio.wait_for(process.wait(), TIMEOUT) == 0
        assert process.stderr is not None
        logs = (await process.stderr.read()).decode()
        assert "listening on 127.0.0.1:" in logs
        assert "POST /api/hubs/cli/:send 202" in logs
        assert DEFAULT_ACCESS_KEY not in logs


async def test_the_cli_takes_the_access_key_to_check_tokens_with() -> None:
    key = "a-key-of-this-test-only-0123456789-0123456789"
    async with emulator_process("--port", "0", "--access-key", key) as process:
        connection = parse_connection_string((await first_line(process)).removeprefix(PREFIX))
        assert connection.access_key == key
        with HubClient(connection, "cli") as hub:
            await asyncio.to_thread(hub.send_to_all, "message", [])
