"""CORS as configured by Host.CORS and Host.CORSCredentials in local.settings.json."""

from __future__ import annotations

import aiohttp

from devstack.host.cors import CorsPolicy
from tests.devstack.host_apps.serving import serving

PAGE = "http://page.test:5173"
PREFLIGHT = {
    "Origin": PAGE,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "x-functions-key, content-type",
}


async def preflight(policy: CorsPolicy, origin: str = PAGE) -> aiohttp.ClientResponse:
    async with (
        serving("auth_app", cors=policy, function_key="k") as base_url,
        aiohttp.ClientSession() as http,
        http.options(base_url + "/api/guarded", headers={**PREFLIGHT, "Origin": origin}) as answer,
    ):
        return answer


async def test_a_preflight_from_an_allowed_origin_is_answered_before_keys() -> None:
    answer = await preflight(CorsPolicy.of(["http://other.test", PAGE + "/"], True))
    assert answer.status == 204
    assert answer.headers["Access-Control-Allow-Origin"] == PAGE
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    assert answer.headers["Access-Control-Allow-Methods"] == "POST"
    assert answer.headers["Access-Control-Allow-Headers"] == "x-functions-key, content-type"


async def test_a_preflight_from_another_origin_gets_no_cors_headers() -> None:
    answer = await preflight(CorsPolicy.of([PAGE], True), origin="http://evil.test")
    assert "Access-Control-Allow-Origin" not in answer.headers


async def test_a_wildcard_without_credentials_answers_star() -> None:
    answer = await preflight(CorsPolicy.of(["*"], False))
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer.headers


async def test_a_wildcard_with_credentials_echoes_the_origin() -> None:
    answer = await preflight(CorsPolicy.of(["*"], True))
    assert answer.headers["Access-Control-Allow-Origin"] == PAGE
    assert answer.headers["Vary"] == "Origin"


async def test_actual_requests_and_errors_carry_the_cors_headers() -> None:
    policy = CorsPolicy.of([PAGE], True)
    async with (
        serving("auth_app", cors=policy, function_key="k") as base_url,
        aiohttp.ClientSession(headers={"Origin": PAGE}) as http,
    ):
        async with http.get(base_url + "/api/open") as answer:
            assert answer.status == 200
            assert answer.headers["Access-Control-Allow-Origin"] == PAGE
            assert answer.headers["Access-Control-Allow-Credentials"] == "true"
        async with http.get(base_url + "/api/guarded") as refused:
            assert refused.status == 401
            assert refused.headers["Access-Control-Allow-Origin"] == PAGE
