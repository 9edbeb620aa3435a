"""The HTTP trigger's binding data: what binding expressions may read from a request.

Built as the HTTP extension builds it (azure-webjobs-sdk-extensions,
src/WebJobs.Extensions.Http: HttpTriggerAttributeBindingProvider.GetRequestBindingData,
Utility.ApplyBindingData, HttpRequestExtensions.GetQueryParameterDictionary):

- headers: a repeated header's values joined with ``,``;
- query: a repeated parameter's last value; empty values are kept (unlike the function's
  ``req.params``, which the host builds separately);
- body: only with a ``Content-Length`` above 0, and only a JSON object's top-level
  properties that are not objects, arrays or null, as text (``true`` as .NET writes it,
  ``True``). Anything else in the body gives no binding data and no error: JSON nested
  deeper than Newtonsoft's 64 levels too (:mod:`devstack.json_limits`), so the function
  still gets the raw body, as the worker passes it, and answers it itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from devstack import json_limits
from devstack.host.expressions import BindingData
from devstack.host.http_messages import by_name

__all__ = ["http_binding_data", "json_properties"]


def http_binding_data(
    request: web.Request, route_params: Mapping[str, str], body: bytes
) -> BindingData:
    """The binding data of ``request``, matched to ``route_params``, with body ``body``."""
    return BindingData(
        headers=by_name(request.headers, ",".join),
        query=by_name(request.query, lambda values: values[-1]),
        route=route_params,
        body=_body_properties(body) if (request.content_length or 0) > 0 else {},
    )


def _body_properties(body: bytes) -> dict[str, str]:
    # ReadAsStringAsync reads UTF-8, honouring a byte order mark.
    return json_properties(body.decode("utf-8-sig", errors="replace"))


def json_properties(text: str) -> dict[str, str]:
    """The top-level properties of a JSON object ``text`` that are neither objects, arrays
    nor null, as text; nothing for anything else (not JSON, not an object, too deep)."""
    try:
        parsed = json_limits.loads(text, parse_int=str, parse_float=str, parse_constant=str)
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {
        name: _text(value)
        for name, value in parsed.items()
        if value is not None and not isinstance(value, dict | list)
    }


def _text(value: str | bool) -> str:
    """A JSON scalar as the extension's ``(string)`` cast gives it; numbers arrive as text."""
    if isinstance(value, bool):
        return "True" if value else "False"
    return value
