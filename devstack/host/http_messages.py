"""Translate between aiohttp's HTTP messages and the ones Azure Functions code sees.

Requests become ``func.HttpRequest`` as the host hands them to the Python worker
(azure-functions-host, GrpcMessageConversionExtensions.ToRpcHttp): header names in lower
case, a repeated header or query parameter as its values joined with ``,`` (ASP.NET's
``StringValues.ToString()``), and a query parameter whose value is empty left out, as the
host does for workers that do not ask for nullable values (the Python worker does not; the
host's test HttpObjects_Query pins it). What a function answers is encoded by the
``azure.functions`` library's own HTTP converter, so a ``str`` is a 200 ``text/plain``
answer and anything but a ``str`` or ``func.HttpResponse``, ``None`` included, fails exactly
as in Azure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import azure.functions as func
from aiohttp import web
from azure.functions.http import HttpResponseConverter
from multidict import CIMultiDict, MultiMapping

__all__ = ["UnsupportedAnswerError", "by_name", "to_function_request", "to_web_response"]


class UnsupportedAnswerError(TypeError):
    """The function answered something that is not an HTTP response."""


def by_name(values: MultiMapping[str], combine: Callable[[list[str]], str]) -> dict[str, str]:
    """Each name once, ignoring case as ASP.NET's collections do, its values combined."""
    folded: CIMultiDict[str] = CIMultiDict(values)
    combined: CIMultiDict[str] = CIMultiDict()
    for name in folded:
        if name not in combined:
            combined[name] = combine(folded.getall(name))
    return dict(combined)


def to_function_request(
    request: web.Request, route_params: Mapping[str, str], body: bytes
) -> func.HttpRequest:
    """The ``func.HttpRequest`` the worker would build for ``request``."""
    headers = by_name(request.headers, ",".join)
    query = by_name(request.query, ",".join)
    return func.HttpRequest(
        method=request.method,
        url=str(request.url),
        headers={name.lower(): value for name, value in headers.items()},
        params={name: value for name, value in query.items() if value},
        route_params=dict(route_params),
        body=body,
    )


def to_web_response(answer: object) -> web.Response:
    """The HTTP response for what a function returned."""
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
