"""Requests run concurrently: sync functions in the thread pool, async ones on the loop, as
many at once as one Flex Consumption instance runs.

Each sample function waits at a barrier for a second invocation; a host that ran them one
after another would break the barrier and answer 500.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from devstack.host.concurrency import read_scale
from devstack.host.loading import load_function_app
from devstack.host.server import FUNCTION_THREADS, HostOptions, create_host_app
from tests.devstack.host_apps.serving import app_path, serving


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_two_waiting_invocations_overlap(kind: str) -> None:
    async with serving("slow_app") as base_url, aiohttp.ClientSession(base_url) as http:

        async def meet() -> tuple[int, str]:
            async with http.get(f"/api/meet/{kind}") as response:
                return response.status, await response.text()

        answers = await asyncio.gather(meet(), meet())
    assert list(answers) == [(200, "met"), (200, "met")]


#: Only a host that never reaches the condition waits this long.
PATIENCE = 10.0


async def test_http_invocations_past_the_instance_cap_wait_for_a_slot(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Flex Consumption runs at most triggers.http.perInstanceConcurrency HTTP invocations on
    an instance at once (Azure docs functions-concurrency.md, "HTTP trigger concurrency");
    the others wait. Five requests, a cap of two: three wait until the gate opens."""
    caplog.set_level(logging.INFO, logger="devstack.host")
    async with (
        serving("gate_app", http_concurrency=2) as base_url,
        aiohttp.ClientSession(base_url) as http,
    ):
        gate_app = sys.modules["gate_app"]

        async def call() -> tuple[int, str]:
            async with http.get("/api/gate") as response:
                return response.status, await response.text()

        calls = [asyncio.create_task(call()) for _ in range(5)]
        deadline = time.monotonic() + PATIENCE
        # Polled: two run and three wait, once every request has reached the host.
        while waiting_records(caplog) != 3 or gate_app.running != 2:
            assert time.monotonic() < deadline, "the cap did not hold three requests back"
            await asyncio.sleep(0.01)
        gate_app.gate.set()
        answers = await asyncio.gather(*calls)
    assert answers == [(200, "through")] * 5
    assert gate_app.most_at_once == 2


def waiting_records(caplog: pytest.LogCaptureFixture) -> int:
    return sum("HTTP slots of this instance are taken" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("setting", "threads"),
    [
        ({"PYTHON_THREADPOOL_THREAD_COUNT": "3"}, 3),
        ({}, min(32, (os.cpu_count() or 1) + 4)),
        ({"PYTHON_THREADPOOL_THREAD_COUNT": "0"}, min(32, (os.cpu_count() or 1) + 4)),
        ({"PYTHON_THREADPOOL_THREAD_COUNT": "many"}, min(32, (os.cpu_count() or 1) + 4)),
    ],
    ids=["set", "unset: the executor's default", "below 1: default", "not a number: default"],
)
def test_sync_functions_get_the_threads_the_python_worker_would_give_them(
    setting: dict[str, str], threads: int
) -> None:
    """azure-functions-python-worker dispatcher.py _get_sync_tp_max_workers: the app setting
    PYTHON_THREADPOOL_THREAD_COUNT, else (unset or invalid) None, ThreadPoolExecutor's default
    min(32, CPUs + 4) on Python >= 3.9."""
    app = create_host_app(load_function_app(app_path("gate_app")), HostOptions(settings=setting))
    assert app[FUNCTION_THREADS] == threads


def test_the_dev_host_reads_the_cap_infra_deploys_else_azures_python_default(
    tmp_path: Path,
) -> None:
    """The same scale.json that infra/app/api.bicep loads; without one, 1, Azure's default
    for Python apps at every instance size."""
    assert read_scale(tmp_path) == 1
    scale = tmp_path / "infra" / "app" / "scale.json"
    scale.parent.mkdir(parents=True)
    scale.write_text('{"httpPerInstanceConcurrency": 8}')
    assert read_scale(tmp_path) == 8
    for bad in ('{"httpPerInstanceConcurrency": 0}', '{"httpPerInstanceConcurrency": "8"}', "["):
        scale.write_text(bad)
        with pytest.raises(ValueError, match=r"scale\.json"):
            read_scale(tmp_path)
