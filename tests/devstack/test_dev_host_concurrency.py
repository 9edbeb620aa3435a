"""Requests run concurrently: sync functions in the thread pool, async ones on the loop.

Each sample function waits at a barrier for a second invocation; a host that ran them one
after another would break the barrier and answer 500.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.devstack.host_apps.serving import serving


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_two_waiting_invocations_overlap(kind: str) -> None:
    async with serving("slow_app") as base_url, aiohttp.ClientSession(base_url) as http:

        async def meet() -> tuple[int, str]:
            async with http.get(f"/api/meet/{kind}") as response:
                return response.status, await response.text()

        answers = await asyncio.gather(meet(), meet())
    assert list(answers) == [(200, "met"), (200, "met")]
