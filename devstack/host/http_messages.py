"""Translate between aiohttp's HTTP messages and the ones Azure Functions code sees.

Requests become ``func.HttpRequest`` (the full URL, headers, first value of each query
parameter, route parameters, body bytes). What a function answers is encoded by the
``azure.functions`` library's own HTTP converter, so a ``str`` is a 200 ``text/plain``
answer and anything but a ``str`` or ``func.HttpResponse`` fails exactly as in Azure.
"""

from __future__ import annotations

from typing import Any

import azure.functions as func
from aiohttp import web
from azure.functions.http import HttpResponseConverter
from multidict import CIMultiDict

__all__ = ["UnsupportedAnswerError", "to_function_request", "to_web_response"]


class UnsupportedAnswerError(TypeError):
    """The function answered something that is not an HTTP response."""


async def to_function_request(
    request: web.Request, route_params: dict[str, str]
) -> func.HttpRequest:
    """The ``func.HttpRequest`` the worker would build for ``request``."""
    params: dict[str, str] = {}
    for name, value in request.query.items():
        params.setdefault(name, value)
    return func.HttpRequest(
        method=request.method,
        url=str(request.url),
        headers={name: ", ".join(request.headers.getall(name)) for name in request.headers},
        params=params,
        route_params=route_params,
        body=await request.read(),
    )


def to_web_response(answer: object) -> web.Response:
    """The HTTP response for what a function returned; ``None`` is 204 No Content."""
    if answer is None:
        return web.Response(status=204)
    try:
        datum = HttpResponseConverter.encode(answer, expected_type=None)
    except NotImplementedError:
        raise UnsupportedAnswerError(
            f"an HTTP function must return func.HttpResponse or str, not {type(answer).__name__}"
        ) from None
    if datum.type == "string":
        return web.Response(text=datum.value, content_type="text/plain", charset="utf-8")
    value: dict[str, Any] = datum.value
    headers = CIMultiDict((name, header.value) for name, header in value["headers"].items())
    for cookie in value["cookies"] or ():
        for morsel in cookie.values():
            headers.add("Set-Cookie", morsel.OutputString())
    return web.Response(
        status=int(value["status_code"].value), body=value["body"].value, headers=headers
    )
