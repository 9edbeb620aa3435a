"""One more dev host process for an app the ``load_app`` fixture serves: the app scaled out
to a second instance, with the same settings, Cosmos DB container and real-time emulator,
and nothing shared in memory."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from devstack.host.keys import FUNCTION_KEY_SETTING
from devstack.host.server import PING_PATH
from devstack.stack import ChildProcess, free_port
from tests.fixtures.functions_host import FUNCTION_KEY, PROJECT_ROOT, HostedApp

__all__ = ["second_process"]

#: How long a host process may take to start answering.
START_SECONDS = 30.0


@asynccontextmanager
async def second_process(
    first: HostedApp, work_dir: Path, **settings: str
) -> AsyncIterator[HostedApp]:
    """``first``'s app in a dev host process of its own (``settings`` overriding some of its
    settings), until the block ends."""
    port = free_port()
    settings_file = work_dir / f"settings-{port}.json"
    settings_file.write_text(json.dumps({"IsEncrypted": False, "Values": {}}))
    command = [sys.executable, "-m", "devstack.host", "--port", str(port)]
    command += ["--app", str(PROJECT_ROOT / "function_app.py"), "--settings", str(settings_file)]
    app_settings = {**first.environment, **settings}
    environment = {**os.environ, **app_settings, FUNCTION_KEY_SETTING: FUNCTION_KEY}
    host = ChildProcess(
        name=f"host-{port}",
        command=command,
        log_path=work_dir / f"host-{port}.log",
        env=environment,
        cwd=PROJECT_ROOT,
    )
    host.start()
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            await _answering(session, url + PING_PATH)
            yield HostedApp(url, session, app_settings)
    finally:
        host.stop()


async def _answering(session: aiohttp.ClientSession, url: str) -> None:
    deadline = asyncio.get_running_loop().time() + START_SECONDS
    while True:
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=1)) as answer:
                if answer.ok:
                    return
        except aiohttp.ClientError:
            pass
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the second host did not answer {url} in {START_SECONDS} s")
        await asyncio.sleep(0.05)
