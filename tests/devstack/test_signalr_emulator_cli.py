"""``python -m devstack.signalr`` as a parent process runs it: read the endpoint from the first
line (its key masked), use the service, stop it with a signal. The key comes by environment,
never on the command line, where ``ps`` shows it to every user."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest

from devstack.emulator_core.running import connection_string
from devstack.signalr import ACCESS_KEY_VARIABLE, DEFAULT_ACCESS_KEY
from devstack.signalr.settings import ALLOWED_ORIGINS_VARIABLE
from shared.connection_string import ConnectionString, parse_connection_string
from signalr.errors import ServiceError
from signalr.rest import HubClient

PREFIX = "AzureSignalRConnectionString="
TIMEOUT = 15.0


@asynccontextmanager
async def emulator_process(
    *arguments: str, key: str | None = None, **variables: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {name: value for name, value in os.environ.items() if name != ACCESS_KEY_VARIABLE}
    if key is not None:
        env[ACCESS_KEY_VARIABLE] = key
    env.update(variables)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devstack.signalr",
        *arguments,
        env=env,
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


def with_key(banner: str, key: str) -> ConnectionString:
    """The connection string a parent builds from the banner's endpoint and the key it gave."""
    endpoint = parse_connection_string(banner.removeprefix(PREFIX)).endpoint
    return parse_connection_string(connection_string(endpoint, key))


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT])
async def test_the_cli_prints_its_connection_string_serves_and_stops_on_a_signal(
    stop_with: signal.Signals,
) -> None:
    async with emulator_process("--port", "0") as process:
        line = await first_line(process)
        assert line.startswith(PREFIX)
        assert parse_connection_string(line.removeprefix(PREFIX)).access_key == "***"
        connection = with_key(line, DEFAULT_ACCESS_KEY)
        assert connection.endpoint.startswith("http://localhost:")
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


async def test_the_cli_takes_its_key_from_the_environment_and_never_shows_it() -> None:
    key = "a-key-of-this-test-only-0123456789-0123456789"
    async with emulator_process("--port", "0", key=key) as process:
        banner = await first_line(process)
        assert key not in banner
        with HubClient(with_key(banner, key), "cli") as hub:
            await asyncio.to_thread(hub.send_to_all, "message", [])
        with HubClient(with_key(banner, DEFAULT_ACCESS_KEY), "cli") as hub:
            assert await asyncio.to_thread(hub.is_healthy)
            with pytest.raises(ServiceError, match="401"):
                await asyncio.to_thread(hub.send_to_all, "message", [])
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), TIMEOUT) == 0
        assert process.stderr is not None
        assert key not in (await process.stderr.read()).decode()


async def test_the_cli_takes_no_key_on_its_command_line() -> None:
    async with emulator_process("--access-key", "visible-to-ps") as process:
        assert await asyncio.wait_for(process.wait(), TIMEOUT) == 2


async def test_a_bad_upstream_rule_stops_start_up_naming_it() -> None:
    """Utils.GetUpstreamUrl refuses a template that is not an absolute URI; here at start-up."""
    async with emulator_process("--port", "0", "--upstream", "webhooks/{event}") as process:
        assert await asyncio.wait_for(process.wait(), TIMEOUT) != 0
        assert process.stderr is not None
        assert "webhooks/{event}" in (await process.stderr.read()).decode()


async def test_the_allowed_origins_come_from_the_environment_as_the_resource_lists_them() -> None:
    """cors.allowedOrigins, comma-separated in DEVSTACK_SIGNALR_ALLOWED_ORIGINS: a listed
    origin is answered with CORS, another is not."""
    origins = {ALLOWED_ORIGINS_VARIABLE: "https://docs.example, https://app.example"}
    async with emulator_process("--port", "0", **origins) as process:
        endpoint = parse_connection_string((await first_line(process)).removeprefix(PREFIX))
        url = f"{endpoint.endpoint}/client/negotiate?hub=chat"
        preflight = {"Access-Control-Request-Method": "POST"}
        async with aiohttp.ClientSession() as http:
            for origin, allowed in (("https://app.example", True), ("https://evil.example", False)):
                async with http.options(url, headers={"Origin": origin, **preflight}) as reply:
                    assert reply.headers.get("Access-Control-Allow-Origin") == (
                        origin if allowed else None
                    )
