"""docchat's Azure Functions (Python v2 programming model): wiring only.

Each function hands the request to one endpoint in ``chat/`` and returns its answer. The
settings are read here, at import, so a bad configuration stops the app at start-up. The
``chat`` endpoints are imported inside the functions, on first use, to keep cold starts
short: the worker imports this module before any request can be served.

User functions are anonymous to the Functions host because docchat establishes identity
itself (``DOCCHAT_AUTH``); the backend-service route needs a function key. In bindings
mode the SignalR edges are the host's ``signalRConnectionInfo`` input and ``signalR``
output bindings; in REST mode docchat calls SignalR itself and declares no bindings.
"""

import logging
import os
from collections.abc import Callable
from typing import Any

import azure.functions as func

from chat.http import Request, Response
from chat.runtime import Runtime
from chat.settings import HUB, SIGNALR_CONNECTION_SETTING, SignalRMode, load_settings

# The Azure SDKs log every HTTP request's headers at INFO: noise in Application Insights.
logging.getLogger("azure").setLevel(logging.WARNING)

RUNTIME = Runtime(load_settings(os.environ))
BINDINGS = RUNTIME.settings.signalr_mode is SignalRMode.BINDINGS
DOCUMENT = "documents/{documentId}"

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

Emit = Callable[[str], None]


def _request(req: func.HttpRequest) -> Request:
    return Request.of(
        req.method, dict(req.headers), dict(req.params), dict(req.route_params), req.get_body()
    )


def _respond(response: Response) -> func.HttpResponse:
    headers = dict(response.headers)
    if response.content_type:
        headers["Content-Type"] = response.content_type
    return func.HttpResponse(response.content, status_code=response.status, headers=headers)


def _named_after(wrapper: Callable[..., Any], handler: Callable[..., Any]) -> None:
    """Copy the handler's name for logs, but not ``__wrapped__``: the worker must see the
    wrapper's own parameters, which are the bindings."""
    wrapper.__name__ = handler.__name__
    wrapper.__qualname__ = handler.__qualname__
    wrapper.__doc__ = handler.__doc__


def _signalr_output(handler: Callable[[func.HttpRequest, Emit | None], func.HttpResponse]) -> Any:
    """In bindings mode, give the function a ``signalR`` output binding for ``handler`` to
    write to; in REST mode, none (``handler`` gets None and chat/ calls the REST API)."""
    if not BINDINGS:

        def via_rest(req: func.HttpRequest) -> func.HttpResponse:
            return handler(req, None)

        _named_after(via_rest, handler)
        return via_rest

    def via_binding(req: func.HttpRequest, signalr: func.Out[str]) -> func.HttpResponse:
        return handler(req, signalr.set)

    _named_after(via_binding, handler)
    return app.generic_output_binding(
        arg_name="signalr",
        type="signalR",
        hubName=HUB,
        connectionStringSetting=SIGNALR_CONNECTION_SETTING,
    )(via_binding)


def _signalr_connection_info(
    handler: Callable[[func.HttpRequest, str | None], func.HttpResponse],
) -> Any:
    """In bindings mode, give negotiate the host's ``signalRConnectionInfo`` input, issued
    for the App Service principal header; in REST mode, none (chat/ signs the token)."""
    if not BINDINGS:

        def signed_here(req: func.HttpRequest) -> func.HttpResponse:
            return handler(req, None)

        _named_after(signed_here, handler)
        return signed_here

    def from_binding(req: func.HttpRequest, connectionInfo: str) -> func.HttpResponse:
        return handler(req, connectionInfo)

    _named_after(from_binding, handler)
    return app.generic_input_binding(
        arg_name="connectionInfo",
        type="signalRConnectionInfo",
        hubName=HUB,
        connectionStringSetting=SIGNALR_CONNECTION_SETTING,
        userId="{headers.x-ms-client-principal-id}",
    )(from_binding)


@app.function_name("negotiate")
@app.route(route="negotiate", methods=["GET", "POST"])
@_signalr_connection_info
def negotiate(req: func.HttpRequest, connection_info: str | None) -> func.HttpResponse:
    """Tell the signed-in user's client where and how to connect to SignalR."""
    from chat import negotiation

    return _respond(negotiation.negotiate(RUNTIME, _request(req), connection_info))


@app.function_name("join_document")
@app.route(route=f"{DOCUMENT}/join", methods=["POST"])
@_signalr_output
def join_document(req: func.HttpRequest, emit: Emit | None) -> func.HttpResponse:
    """Add a connection to the document's group."""
    from chat import endpoints

    return _respond(endpoints.join_document(RUNTIME, _request(req), emit))


@app.function_name("leave_document")
@app.route(route=f"{DOCUMENT}/leave", methods=["POST"])
@_signalr_output
def leave_document(req: func.HttpRequest, emit: Emit | None) -> func.HttpResponse:
    """Remove a connection from the document's group."""
    from chat import endpoints

    return _respond(endpoints.leave_document(RUNTIME, _request(req), emit))


@app.function_name("send_message")
@app.route(route=f"{DOCUMENT}/messages", methods=["POST"])
@_signalr_output
def send_message(req: func.HttpRequest, emit: Emit | None) -> func.HttpResponse:
    """Store a message from the signed-in user and broadcast it to the document."""
    from chat import endpoints

    return _respond(endpoints.send_message(RUNTIME, _request(req), emit))


@app.function_name("list_messages")
@app.route(route=f"{DOCUMENT}/messages", methods=["GET"])
def list_messages(req: func.HttpRequest) -> func.HttpResponse:
    """Read the document's messages: newest first, or the ones after a cursor."""
    from chat import endpoints

    return _respond(endpoints.list_messages(RUNTIME, _request(req)))


@app.function_name("send_service_message")
@app.route(
    route=f"service/{DOCUMENT}/messages", methods=["POST"], auth_level=func.AuthLevel.FUNCTION
)
@_signalr_output
def send_service_message(req: func.HttpRequest, emit: Emit | None) -> func.HttpResponse:
    """Store and broadcast a message a backend service posts on a sender's behalf."""
    from chat import endpoints

    return _respond(endpoints.send_service_message(RUNTIME, _request(req), emit))


MEMBER = f"service/{DOCUMENT}/members/{{userId}}"


@app.function_name("put_member")
@app.route(route=MEMBER, methods=["PUT"], auth_level=func.AuthLevel.FUNCTION)
@_signalr_output
def put_member(req: func.HttpRequest, emit: Emit | None) -> func.HttpResponse:
    """Make a user a reader or writer of the document (DOCCHAT_ACCESS=members)."""
    from chat import endpoints

    return _respond(endpoints.put_member(RUNTIME, _request(req), emit))


@app.function_name("remove_member")
@app.route(route=MEMBER, methods=["DELETE"], auth_level=func.AuthLevel.FUNCTION)
@_signalr_output
def remove_member(req: func.HttpRequest, emit: Emit | None) -> func.HttpResponse:
    """End a user's membership; their connections stop hearing the document at once."""
    from chat import endpoints

    return _respond(endpoints.remove_member(RUNTIME, _request(req), emit))


@app.function_name("list_members")
@app.route(route=f"service/{DOCUMENT}/members", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
@_signalr_output
def list_members(req: func.HttpRequest, emit: Emit | None) -> func.HttpResponse:
    """The document's members and their roles."""
    from chat import endpoints

    return _respond(endpoints.list_members(RUNTIME, _request(req), emit))


@app.function_name("openapi")
@app.route(route="openapi.json", methods=["GET"])
def openapi(req: func.HttpRequest) -> func.HttpResponse:
    """The OpenAPI 3.1 description of this API."""
    from chat.openapi import openapi_document

    return _respond(openapi_document(RUNTIME.settings))
