"""Auth levels: function and admin routes need the function key, anonymous ones do not."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.devstack.host_apps.serving import serving

KEY = "sample-function-key"


@pytest.mark.parametrize("path", ["/api/guarded", "/api/admin"])
async def test_keyed_routes_take_the_key_as_header_or_code(path: str) -> None:
    async with serving("auth_app", function_key=KEY) as base_url, aiohttp.ClientSession() as http:
        async with http.get(base_url + path, headers={"x-functions-key": KEY}) as response:
            assert response.status == 200
        async with http.get(base_url + path, params={"code": KEY}) as response:
            assert response.status == 200


@pytest.mark.parametrize(
    "sent",
    [{}, {"headers": {"x-functions-key": "wrong"}}, {"params": {"code": KEY + "x"}}],
    ids=["no key", "wrong header", "wrong code"],
)
async def test_keyed_routes_refuse_a_missing_or_wrong_key_with_401(
    sent: dict[str, Any],
) -> None:
    async with (
        serving("auth_app", function_key=KEY) as base_url,
        aiohttp.ClientSession() as http,
        http.get(base_url + "/api/guarded", **sent) as response,
    ):
        assert response.status == 401
        body = await response.json()
    assert body["error"]["code"] == "unauthorized"
    assert "x-functions-key" in body["error"]["message"]
    assert KEY not in str(body)


async def test_anonymous_routes_need_no_key() -> None:
    async with (
        serving("auth_app", function_key=KEY) as base_url,
        aiohttp.ClientSession() as http,
        http.get(base_url + "/api/open") as response,
    ):
        assert await response.text() == "open"


async def test_without_a_configured_key_keyed_routes_stay_closed() -> None:
    async with (
        serving("auth_app", function_key=None) as base_url,
        aiohttp.ClientSession() as http,
        http.get(base_url + "/api/guarded", params={"code": ""}) as response,
    ):
        assert response.status == 401
