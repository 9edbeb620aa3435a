"""The SignalR Service bindings, each way the extension is configured."""

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


@app.route(route="send/not-json", methods=["POST"])
@app.generic_output_binding(arg_name="actions", type="signalR", hubName="%SAMPLE_HUB%")
def send_a_dict(req: func.HttpRequest, actions: func.Out[str]) -> func.HttpResponse:
    actions.set({"target": "said", "arguments": []})  # type: ignore[arg-type]
    return func.HttpResponse(status_code=202)
