"""Binding expressions read the request as the HTTP extension's binding data holds it
(azure-webjobs-sdk-extensions, src/WebJobs.Extensions.Http/HttpTriggerAttributeBindingProvider.cs
GetRequestBindingData, Utility.ApplyBindingData, HttpRequestExtensions.GetQueryParameterDictionary).

Each sample function binds a SignalR connection's user id from one expression; the user in
the token it answers with is what the expression resolved to.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import pytest
from multidict import CIMultiDict

from tests.devstack.host_apps.serving import serving

SETTINGS = {
    "AzureSignalRConnectionString": (
        "Endpoint=http://localhost:8888;AccessKey=expressions-test-key-0123456789abcdef;Version=1.0;"
    )
}


@pytest.fixture
async def host() -> AsyncIterator[aiohttp.ClientSession]:
    async with (
        serving("expressions_app", settings=SETTINGS) as base_url,
        aiohttp.ClientSession(base_url) as http,
    ):
        yield http


async def user_bound(http: aiohttp.ClientSession, path: str, **request: Any) -> str | None:
    """The user id the function's binding resolved, or None for a token without one."""
    async with http.post(path, **request) as response:
        assert response.status == 200, await response.text()
        token = (await response.json())["accessToken"]
    claims = jwt.decode(token, options={"verify_signature": False})
    user: str | None = claims.get("nameid")
    return user


async def test_a_bare_name_is_a_route_parameter_before_a_query_parameter_or_the_body(
    host: aiohttp.ClientSession,
) -> None:
    """GetRequestBindingData writes the body, then the query, then the route: the last wins."""
    request = {"params": {"who": "from-query"}, "json": {"who": "from-body"}}
    assert await user_bound(host, "/api/bare/from-route", **request) == "from-route"
    assert await user_bound(host, "/api/bare", **request) == "from-query"
    assert await user_bound(host, "/api/bare", json={"who": "from-body"}) == "from-body"


async def test_a_bare_name_reads_only_top_level_scalars_of_a_json_body(
    host: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """Utility.ApplyBindingData skips objects, arrays and nulls; a true is written True."""
    assert await user_bound(host, "/api/bare", json={"who": True}) == "True"
    assert await user_bound(host, "/api/bare", json={"who": 42}) == "42"
    for body in ({"who": {"name": "nested"}}, {"who": ["listed"]}, {"who": None}, ["who"]):
        with caplog.at_level(logging.INFO, logger="devstack.host"):
            async with host.post("/api/bare", json=body) as response:
                assert response.status == 500
        assert "Error while accessing 'who': property doesn't exist." in caplog.text
        caplog.clear()


async def test_a_bare_name_never_reads_the_function_key_parameter(
    host: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """GetRequestBindingData skips the query parameter "code"."""
    with caplog.at_level(logging.INFO, logger="devstack.host"):
        async with host.post("/api/key", params={"code": "the-function-key"}) as response:
            assert response.status == 500
    assert "Error while accessing 'code': property doesn't exist." in caplog.text
    assert await user_bound(host, "/api/key", json={"code": "from-body"}) == "from-body"


async def test_a_query_expression_takes_the_last_value_and_keeps_an_empty_one(
    host: aiohttp.ClientSession,
) -> None:
    """GetQueryParameterDictionary: the last of repeated values; empty values stay."""
    assert await user_bound(host, "/api/query?who=first&who=last") == "last"
    assert await user_bound(host, "/api/query?who=") is None


async def test_a_header_expression_joins_repeated_values(host: aiohttp.ClientSession) -> None:
    """GetRequestBindingData: a header's values joined with "," (StringValues.ToString)."""
    headers = CIMultiDict([("X-Who", "first"), ("X-Who", "second")])
    assert await user_bound(host, "/api/headers", headers=headers) == "first,second"
