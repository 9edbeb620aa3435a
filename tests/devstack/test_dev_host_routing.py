"""The dev host routes like the Functions host: route prefix, templates, methods, answers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

from tests.devstack.host_apps.serving import serving


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with serving("routes_app") as base_url, aiohttp.ClientSession(base_url) as session:
        yield session


async def seen_by(response: aiohttp.ClientResponse) -> dict[str, Any]:
    assert response.status == 200, await response.text()
    seen: dict[str, Any] = await response.json()
    return seen


async def test_functions_live_below_the_route_prefix(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/items/7") as response:
        seen = await seen_by(response)
    assert seen["function"] == "item_by_number"
    assert seen["route"] == {"id": "7"}
    async with client.get("/items/7") as response:
        assert response.status == 404


async def test_a_literal_segment_beats_a_parameter(client: aiohttp.ClientSession) -> None:
    async with client.get("/API/Items/LATEST") as response:
        assert (await seen_by(response))["function"] == "latest_item"


async def test_a_constraint_decides_which_template_matches(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/items/pear") as response:
        seen = await seen_by(response)
    assert (seen["function"], seen["route"]) == ("item_by_name", {"name": "pear"})


async def test_functions_share_a_template_by_method(client: aiohttp.ClientSession) -> None:
    async with client.delete("/api/items/pear") as response:
        assert (await seen_by(response))["function"] == "delete_item"
    async with client.put("/api/items/pear") as response:
        assert (await seen_by(response))["function"] == "item_by_name"


async def test_a_method_no_function_takes_is_405_naming_the_allowed_ones(
    client: aiohttp.ClientSession,
) -> None:
    async with client.post("/api/items/pear") as response:
        assert response.status == 405
        assert response.headers["Allow"] == "DELETE, GET, PUT"
        error = (await response.json())["error"]
        assert error["code"] == "method_not_allowed"
        assert "POST" in error["message"]


async def test_an_unknown_path_is_404_with_a_json_error(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/nowhere") as response:
        assert response.status == 404
        error = (await response.json())["error"]
        assert error["code"] == "not_found"
        assert "/api/nowhere" in error["message"]


async def test_a_catch_all_takes_the_rest_of_the_path(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/files/docs/2024/notes.txt") as response:
        assert (await seen_by(response))["route"] == {"path": "docs/2024/notes.txt"}


async def test_an_optional_parameter_may_be_left_out(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/pages") as response:
        assert (await seen_by(response))["route"] == {}
    async with client.get("/api/pages/3") as response:
        assert (await seen_by(response))["route"] == {"page": "3"}


async def test_the_route_defaults_to_the_function_name(client: aiohttp.ClientSession) -> None:
    async with client.post("/api/default_route") as response:
        assert (await seen_by(response))["function"] == "default_route"


async def test_the_request_reaches_the_function_as_the_host_converts_it(
    client: aiohttp.ClientSession,
) -> None:
    """azure-functions-host, GrpcMessageConversionExtensions.ToRpcHttp: repeated values joined
    with "," (StringValues.ToString), empty query values left out (its test HttpObjects_Query:
    the Python worker does not ask for nullable values)."""
    query = "colour=green&colour=red&size=2&empty=&flag"
    headers = CIMultiDict([("X-Sample", "header value"), ("X-Sample", "second")])
    async with client.put(f"/api/items/pear?{query}", data=b"the body", headers=headers) as answer:
        seen = await seen_by(answer)
    assert seen["method"] == "PUT"
    assert seen["url"].endswith(f"/api/items/pear?{query}")
    assert seen["params"] == {"colour": "green,red", "size": "2"}
    assert seen["header"] == "header value,second"
    assert seen["body"] == "the body"


@pytest.mark.parametrize(
    ("segment", "route_value"),
    [
        ("%FF", "%FF"),
        ("%FE", "%FE"),
        ("%ED%A0%80", "%ED%A0%80"),
        ("caf%C3%A9%FF", "café%FF"),
        ("%E2%80%A8", "\u2028"),
    ],
    ids=["not UTF-8", "another", "an encoded surrogate", "mixed", "valid UTF-8"],
)
async def test_route_values_are_decoded_as_kestrel_decodes_the_path(
    client: aiohttp.ClientSession, segment: str, route_value: str
) -> None:
    """aspnetcore src/Shared/UrlDecoder/UrlDecoder.cs: bytes that are not well-formed UTF-8
    are left percent-encoded. Decoding them to U+FFFD made %FF, %FE and %ED%A0%80 one
    document (issue 26)."""
    async with client.get(f"/api/items/{segment}") as answer:
        seen = await seen_by(answer)
    assert seen["route"] == {"name": route_value}


async def test_an_encoded_nul_in_the_path_is_400(client: aiohttp.ClientSession) -> None:
    """UrlDecoder.DecodeCore throws "The path contains null characters." and Kestrel refuses
    the request."""
    async with client.get("/api/items/a%00b") as answer:
        assert answer.status == 400


async def test_a_str_answer_is_plain_text(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/answers/text") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert await response.text() == "plain words"


async def test_an_http_response_keeps_status_headers_and_cookies(
    client: aiohttp.ClientSession,
) -> None:
    async with client.post("/api/answers/created") as response:
        assert response.status == 201
        assert response.headers["x-made"] == "yes"
        assert response.cookies["session"].value == "abc"
        assert await response.text() == "made"


async def test_an_http_output_parameter_is_the_answer(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/answers/out") as response:
        assert response.status == 202
        assert await response.text() == "set through func.Out"


async def test_async_functions_are_awaited(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/answers/async") as response:
        assert (await seen_by(response))["function"] == "async_answer"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        pytest.param(
            "/api/answers/dict",
            "must return func.HttpResponse or str, not dict",
            id="HttpResponseConverter.encode: a dict",
        ),
        pytest.param(
            "/api/answers/nothing",
            "must return func.HttpResponse or str, not NoneType",
            id="worker TestHttpFunctionsStein.test_no_return: None is 500",
        ),
        pytest.param(
            "/api/answers/out-and-return",
            "function 'out_and_return' without a $return binding returned a non-None value",
            id="worker dispatcher: a value returned where nothing takes it",
        ),
        pytest.param(
            "/api/answers/raises", "the sample function broke on purpose", id="an exception"
        ),
    ],
)
async def test_a_failing_function_is_500_and_logged(
    client: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture, path: str, logged: str
) -> None:
    with caplog.at_level(logging.INFO, logger="devstack.host"):
        async with client.get(path) as response:
            assert response.status == 500
            assert "error" in await response.json()
    assert logged in caplog.text
    assert "(Failed, Id=" in caplog.text


async def test_the_context_carries_the_request_id(client: aiohttp.ClientSession) -> None:
    async with client.get("/api/context") as response:
        assert await response.text() == f"with_context {response.headers['x-request-id']}"


async def test_every_log_line_of_a_request_carries_its_id(
    client: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        async with client.get("/api/answers/raises") as response:
            request_id = response.headers["x-request-id"]
    served = [record for record in caplog.records if record.name == "devstack.host"]
    assert len(served) >= 4  # executing, the traceback, executed, the request line
    assert {record.__dict__["request_id"] for record in served} == {request_id}


async def test_an_empty_route_prefix_serves_functions_at_the_root() -> None:
    async with (
        serving("routes_app", route_prefix="") as base_url,
        aiohttp.ClientSession(base_url) as session,
        session.get("/items/latest") as response,
    ):
        assert (await seen_by(response))["function"] == "latest_item"
