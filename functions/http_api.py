"""The HTTP API's functions, as a Blueprint: one function per row of
:data:`chat.api.routes.ROUTES`, wiring only.

Each function turns the host's request into chat's, hands it to its endpoint (with, where
it reaches clients or negotiates, the invocation's real-time seam from
:mod:`functions.edge`), and turns the answer back. The endpoints are built once, by
:class:`~chat.api.routes.Endpoints`, each group on its first call, to keep cold starts
short.

User routes are anonymous to the host because docchat establishes identity itself
(``DOCCHAT_AUTH``); the ``service/`` routes for backends need a function key.

host.json's ``routePrefix`` is empty, so that the page is served at ``/`` (:mod:`functions.web`):
each API route says ``api/`` itself (:data:`API_PREFIX`), and stays where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import azure.functions as func

from chat.api.routes import ROUTES, Audience, Endpoints, Route, Seam
from functions.edge import observed, with_context, with_negotiator, with_realtime
from realtime.backend import Backend

__all__ = ["API_PREFIX", "http_api"]

#: Where the API lives: every route of :data:`~chat.api.routes.ROUTES` below it.
API_PREFIX = "api"

_AUTH_LEVELS = {
    Audience.USER: func.AuthLevel.ANONYMOUS,
    Audience.SERVICE: func.AuthLevel.FUNCTION,
    Audience.ANYONE: func.AuthLevel.ANONYMOUS,
}


def http_api(endpoints: Endpoints, backend: Backend) -> func.Blueprint:
    """The HTTP functions, serving ``endpoints`` over ``backend``."""
    # azure-functions leaves Blueprint's constructor unannotated.
    api = func.Blueprint(http_auth_level=func.AuthLevel.ANONYMOUS)  # type: ignore[no-untyped-call]
    for route in ROUTES:
        _register(api, route, endpoints, backend)
    return api


def _register(api: func.Blueprint, route: Route, endpoints: Endpoints, backend: Backend) -> None:
    def handler(req: func.HttpRequest, *seam: Any) -> func.HttpResponse:
        return observed(route.name, req, lambda request: route.endpoint(endpoints)(request, *seam))

    handler.__name__ = handler.__qualname__ = route.name
    function = _with_seam(api, backend, route.seam)(handler)
    declared = api.route(
        route=f"{API_PREFIX}/{route.route}",
        methods=list(route.methods),
        auth_level=_AUTH_LEVELS[route.audience],
    )
    api.function_name(route.name)(declared(function))


def _with_seam(api: func.Blueprint, backend: Backend, seam: Seam) -> Callable[[Any], Any]:
    if seam is Seam.REALTIME:
        return with_realtime(api, backend)
    if seam is Seam.NEGOTIATOR:
        return with_negotiator(api, backend)
    return _plain


def _plain(handler: Callable[..., func.HttpResponse]) -> Callable[..., func.HttpResponse]:
    def plain(req: func.HttpRequest) -> func.HttpResponse:
        return handler(req)

    plain.__name__ = plain.__qualname__ = handler.__name__
    return with_context(plain)
