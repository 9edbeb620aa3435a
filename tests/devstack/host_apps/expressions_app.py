"""Binding expressions: each function's user id comes from another part of the request."""

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


def answer(connection_info: str) -> func.HttpResponse:
    return func.HttpResponse(connection_info, mimetype="application/json")


@app.route(route="bare/{who}", methods=["POST"])
@app.generic_input_binding(
    arg_name="connection_info", type="signalRConnectionInfo", hubName="chat", userId="{who}"
)
def bare_with_route(req: func.HttpRequest, connection_info: str) -> func.HttpResponse:
    return answer(connection_info)


@app.route(route="bare", methods=["POST"])
@app.generic_input_binding(
    arg_name="connection_info", type="signalRConnectionInfo", hubName="chat", userId="{who}"
)
def bare_without_route(req: func.HttpRequest, connection_info: str) -> func.HttpResponse:
    return answer(connection_info)


@app.route(route="key", methods=["POST"])
@app.generic_input_binding(
    arg_name="connection_info", type="signalRConnectionInfo", hubName="chat", userId="{code}"
)
def bare_code(req: func.HttpRequest, connection_info: str) -> func.HttpResponse:
    return answer(connection_info)


@app.route(route="query", methods=["POST"])
@app.generic_input_binding(
    arg_name="connection_info", type="signalRConnectionInfo", hubName="chat", userId="{query.who}"
)
def from_query(req: func.HttpRequest, connection_info: str) -> func.HttpResponse:
    return answer(connection_info)


@app.route(route="headers", methods=["POST"])
@app.generic_input_binding(
    arg_name="connection_info",
    type="signalRConnectionInfo",
    hubName="chat",
    userId="{headers.x-who}",
)
def from_headers(req: func.HttpRequest, connection_info: str) -> func.HttpResponse:
    return answer(connection_info)
