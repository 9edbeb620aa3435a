"""SignalR Service upstream events as signalRTrigger functions, registered the way the Python
docs register them (app.generic_trigger(type="signalRTrigger", ...)).

Each function records the invocation context it received; ``GET /api/received`` lists them in
order, so a test sees exactly what the extension would have handed the function.
"""

import json

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

RECEIVED: list[dict[str, object]] = []


def record(invocation: str) -> dict[str, object]:
    context: dict[str, object] = json.loads(invocation)
    RECEIVED.append(context)
    return context


@app.route(route="received", methods=["GET"])
def received(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(RECEIVED), mimetype="application/json")


@app.generic_trigger(
    arg_name="invocation",
    type="signalRTrigger",
    hubName="%UPSTREAM_HUB%",
    category="connections",
    event="connected",
)
def connected(invocation: str) -> None:
    record(invocation)


@app.generic_trigger(
    arg_name="invocation",
    type="signalRTrigger",
    hubName="%UPSTREAM_HUB%",
    category="connections",
    event="disconnected",
)
def disconnected(invocation: bytes) -> None:
    record(invocation.decode())


@app.generic_trigger(
    arg_name="invocation",
    type="signalRTrigger",
    hubName="%UPSTREAM_HUB%",
    category="messages",
    event="typing",
    parameterNames=["documentId"],
)
def typing(invocation: str) -> None:
    record(invocation)


@app.generic_trigger(
    arg_name="invocation",
    type="signalRTrigger",
    hubName="%UPSTREAM_HUB%",
    category="messages",
    event="echo",
)
def echo(invocation: str) -> dict[str, object]:
    return {"echoed": record(invocation)["Arguments"]}


@app.generic_trigger(
    arg_name="invocation",
    type="signalRTrigger",
    hubName="%UPSTREAM_HUB%",
    category="messages",
    event="fail",
)
def fail(invocation: str) -> None:
    record(invocation)
    raise ValueError("no such document")
