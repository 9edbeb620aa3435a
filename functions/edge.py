"""Where the Functions host meets chat: its request and response objects, and the backend's
bindings declared on the functions that need them.

Requests become :class:`chat.api.http.Request`, answers :class:`func.HttpResponse`. The backend
says which bindings a function needs (:class:`realtime.backend.Backend`); the decorators
here declare exactly those, and hand the function the seam built from the values the host
bound for this invocation. No other module knows a binding's name or type.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func

from chat.api.http import Request, Response
from realtime.backend import Backend, BindingDeclaration

__all__ = ["request_of", "respond", "with_negotiator", "with_realtime"]

HttpHandler = Callable[..., func.HttpResponse]
Decorator = Callable[[HttpHandler], HttpHandler]


def request_of(req: func.HttpRequest) -> Request:
    """The framework-neutral request chat's endpoints take."""
    return Request.of(
        req.method, dict(req.headers), _query(req), dict(req.route_params), req.get_body()
    )


def _query(req: func.HttpRequest) -> dict[str, str]:
    """The query parameters, with those sent empty kept as ``""``: the host leaves them out
    of ``params`` (azure-functions-host, GrpcMessageConversionExtensions.ToRpcHttp), which
    would take ``continuationToken=`` for "from the start" where the API says 400."""
    params = dict(req.params)
    for name, value in parse_qsl(urlsplit(req.url).query, keep_blank_values=True):
        if not value:
            params.setdefault(name, value)
    return params


def respond(response: Response) -> func.HttpResponse:
    """The host's answer for one of chat's responses."""
    headers = dict(response.headers)
    if response.content_type:
        headers["Content-Type"] = response.content_type
    return func.HttpResponse(response.content, status_code=response.status, headers=headers)


def with_realtime(api: func.Blueprint, backend: Backend) -> Decorator:
    """Give the handler the invocation's :class:`Realtime`, declaring the backend's output
    binding (as parameter ``realtime_output``) when it has one."""

    def bound(handler: HttpHandler) -> HttpHandler:
        def realtime_bound(
            req: func.HttpRequest, realtime_output: func.Out[str]
        ) -> func.HttpResponse:
            return handler(req, backend.realtime(realtime_output.set))

        return realtime_bound

    declare = api.generic_output_binding
    return _seam(declare, backend.output, "realtime_output", bound, backend.realtime)


def with_negotiator(api: func.Blueprint, backend: Backend) -> Decorator:
    """Give the handler the invocation's :class:`Negotiator`, declaring the backend's
    connection input binding (as parameter ``connection_input``) when it has one."""

    def bound(handler: HttpHandler) -> HttpHandler:
        def negotiator_bound(req: func.HttpRequest, connection_input: str) -> func.HttpResponse:
            return handler(req, backend.negotiator(connection_input))

        return negotiator_bound

    declare = api.generic_input_binding
    return _seam(declare, backend.connection_input, "connection_input", bound, backend.negotiator)


def _seam(
    declare: Callable[..., Decorator],
    declaration: BindingDeclaration | None,
    parameter: str,
    bound: Callable[[HttpHandler], HttpHandler],
    alone: Callable[[], object],
) -> Decorator:
    """Without a binding, the handler gets the seam the backend builds ``alone``; with one,
    the binding is declared as ``parameter`` and ``bound`` passes its value on."""

    def decorate(handler: HttpHandler) -> HttpHandler:
        if declaration is None:

            def unbound(req: func.HttpRequest) -> func.HttpResponse:
                return handler(req, alone())

            return _named(unbound, handler)
        return declare(arg_name=parameter, **declaration.binding())(_named(bound(handler), handler))

    return decorate


def _named(wrapper: HttpHandler, handler: HttpHandler) -> HttpHandler:
    """Copy the handler's name for logs, but not ``__wrapped__``: the worker must see the
    wrapper's own parameters, which are the bindings."""
    wrapper.__name__ = handler.__name__
    wrapper.__qualname__ = handler.__qualname__
    wrapper.__doc__ = handler.__doc__
    return wrapper
