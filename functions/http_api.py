"""The HTTP API's functions, as a Blueprint: one route per chat endpoint, wiring only.

:data:`ROUTES` is the whole API. Each function turns the host's request into chat's, hands
it to its endpoint with the process's :class:`~chat.app.runtime.Runtime` (and, where it reaches
clients or negotiates, the invocation's real-time seam from :mod:`functions.edge`), and
turns the answer back. Endpoints are imported on first use, to keep cold starts short.

User routes are anonymous to the host because docchat establishes identity itself
(``DOCCHAT_AUTH``); the ``service/`` routes for backends need a function key.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import azure.functions as func

from chat.api.http import Response
from chat.app.runtime import Runtime
from functions.edge import request_of, respond, with_negotiator, with_realtime
from realtime.backend import Backend

__all__ = ["ROUTES", "Route", "Seam", "http_api"]

DOCUMENT = "documents/{documentId}"
SERVICE_DOCUMENT = f"service/{DOCUMENT}"
MEMBER = f"{SERVICE_DOCUMENT}/members/{{userId}}"
MESSAGE = f"{DOCUMENT}/messages/{{messageId}}"
REACTION = f"{MESSAGE}/reactions/{{emoji}}"


class Seam(enum.Enum):
    """What an endpoint needs from the real-time backend besides the request."""

    NONE = enum.auto()
    REALTIME = enum.auto()
    NEGOTIATOR = enum.auto()


@dataclass(frozen=True)
class Route:
    """One function: its name, route, methods, endpoint (``module:function`` in chat)."""

    name: str
    route: str
    methods: tuple[str, ...]
    endpoint: str
    seam: Seam = Seam.NONE
    auth_level: func.AuthLevel = func.AuthLevel.ANONYMOUS


_BACKEND = func.AuthLevel.FUNCTION
ROUTES = (
    Route("negotiate", "negotiate", ("GET", "POST"), "negotiation:negotiate", Seam.NEGOTIATOR),
    Route("join_document", f"{DOCUMENT}/join", ("POST",), "endpoints:join_document", Seam.REALTIME),
    Route(
        "leave_document", f"{DOCUMENT}/leave", ("POST",), "endpoints:leave_document", Seam.REALTIME
    ),
    Route(
        "send_message", f"{DOCUMENT}/messages", ("POST",), "endpoints:send_message", Seam.REALTIME
    ),
    Route("list_messages", f"{DOCUMENT}/messages", ("GET",), "endpoints:list_messages"),
    Route("presence", f"{DOCUMENT}/presence", ("GET",), "endpoints:presence", Seam.REALTIME),
    Route("edit_message", MESSAGE, ("PATCH",), "endpoints:edit_message", Seam.REALTIME),
    Route("delete_message", MESSAGE, ("DELETE",), "endpoints:delete_message", Seam.REALTIME),
    Route(
        "delete_named_message",
        f"{DOCUMENT}/deletions",
        ("POST",),
        "endpoints:delete_named_message",
        Seam.REALTIME,
    ),
    Route("add_reaction", REACTION, ("PUT",), "endpoints:add_reaction", Seam.REALTIME),
    Route("remove_reaction", REACTION, ("DELETE",), "endpoints:remove_reaction", Seam.REALTIME),
    Route("mark_read", f"{DOCUMENT}/read", ("PUT",), "endpoints:mark_read"),
    Route("read_status", f"{DOCUMENT}/read", ("GET",), "endpoints:read_status"),
    Route(
        "send_service_message",
        f"{SERVICE_DOCUMENT}/messages",
        ("POST",),
        "endpoints:send_service_message",
        Seam.REALTIME,
        _BACKEND,
    ),
    Route("put_member", MEMBER, ("PUT",), "endpoints:put_member", auth_level=_BACKEND),
    Route("remove_member", MEMBER, ("DELETE",), "endpoints:remove_member", Seam.REALTIME, _BACKEND),
    Route(
        "list_members",
        f"{SERVICE_DOCUMENT}/members",
        ("GET",),
        "endpoints:list_members",
        auth_level=_BACKEND,
    ),
    Route("openapi", "openapi.json", ("GET",), "openapi:openapi_document"),
)


def http_api(runtime: Runtime, backend: Backend) -> func.Blueprint:
    """The HTTP functions, serving ``runtime`` over ``backend``."""
    # azure-functions leaves Blueprint's constructor unannotated.
    api = func.Blueprint(http_auth_level=func.AuthLevel.ANONYMOUS)  # type: ignore[no-untyped-call]
    for route in ROUTES:
        _register(api, route, runtime, backend)
    return api


def _register(api: func.Blueprint, route: Route, runtime: Runtime, backend: Backend) -> None:
    def handler(req: func.HttpRequest, *seam: Any) -> func.HttpResponse:
        return respond(_endpoint(route.endpoint)(runtime, request_of(req), *seam))

    handler.__name__ = handler.__qualname__ = route.name
    function = _with_seam(api, backend, route.seam)(handler)
    declared = api.route(
        route=route.route, methods=list(route.methods), auth_level=route.auth_level
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
    return plain


def _endpoint(reference: str) -> Callable[..., Response]:
    """``module:function`` in chat, imported now (on the first call of its function)."""
    module, _, name = reference.partition(":")
    endpoint: Callable[..., Response] = getattr(importlib.import_module(f"chat.{module}"), name)
    return endpoint
