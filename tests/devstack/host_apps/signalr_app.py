"""The SignalR Service bindings, each way the extension is configured."""

import json
from collections.abc import Callable
from typing import Any

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def answer(connection_info: str) -> func.HttpResponse:
    return func.HttpResponse(connection_info, mimetype="application/json")


@app.route(route="negotiate", methods=["POST"])
@app.generic_input_binding(
    arg_name="connection_info",
    type="signalRConnectionInfo",
    hubName="%SAMPLE_HUB%",
    userId="{headers.x-ms-client-principal-id}",
    connectionStringSetting="SAMPLE_SIGNALR",
)
def negotiate(req: func.HttpRequest, connection_info: str) -> func.HttpResponse:
    return answer(connection_info)


@app.route(route="negotiate/by-query", methods=["POST"])
@app.generic_input_binding(
    arg_name="connection_info",
    type="signalRConnectionInfo",
    hubName="%SAMPLE_HUB%",
    userId="{query.user}",
)
def negotiate_by_query(req: func.HttpRequest, connection_info: str) -> func.HttpResponse:
    return answer(connection_info)


@app.route(route="negotiate/anonymous", methods=["POST"])
@app.generic_input_binding(
    arg_name="connection_info", type="signalRConnectionInfo", hubName="%SAMPLE_HUB%"
)
def negotiate_anonymously(req: func.HttpRequest, connection_info: bytes) -> func.HttpResponse:
    return answer(connection_info.decode())


@app.route(route="negotiate/with-claims", methods=["POST"])
@app.generic_input_binding(
    arg_name="connection_info",
    type="signalRConnectionInfo",
    hubName="%SAMPLE_HUB%",
    idToken="{headers.authorization}",
    claimTypeList=["name", "aud"],
)
def negotiate_with_claims(req: func.HttpRequest, connection_info: str) -> func.HttpResponse:
    return answer(connection_info)


@app.route(route="send", methods=["POST"])
@app.generic_output_binding(arg_name="actions", type="signalR", hubName="%SAMPLE_HUB%")
def send(req: func.HttpRequest, actions: func.Out[str]) -> func.HttpResponse:
    actions.set(req.get_body().decode())
    return func.HttpResponse(status_code=202)


#: How send_as turns the body into the Python value it sets, by the route's kind.
AS_KIND: dict[str, Callable[[str], Any]] = {
    "str": str,
    "bytes": str.encode,
    "dict": json.loads,
    "list": json.loads,
    "int": int,
    "set": lambda text: {text},
}


@app.route(route="send/as/{kind}", methods=["POST"])
@app.generic_output_binding(arg_name="actions", type="signalR", hubName="%SAMPLE_HUB%")
def send_as(req: func.HttpRequest, actions) -> func.HttpResponse:  # type: ignore[no-untyped-def]
    """Sets the body as the kind of value the route names; the output has no annotation."""
    actions.set(AS_KIND[req.route_params["kind"]](req.get_body().decode()))
    return func.HttpResponse(status_code=202)
