"""An app that says which instance served a request, and which instance each upstream
``connected`` event reached: for the tests of several instances behind the front door."""

import json
import os

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

#: The connection ids of the ``connected`` events this instance received.
CONNECTED: list[str] = []


@app.route(route="instance", methods=["GET"])
def instance(req: func.HttpRequest) -> str:
    return str(os.getpid())


@app.route(route="connected", methods=["GET"])
def connected_here(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(CONNECTED), mimetype="application/json")


@app.generic_trigger(
    arg_name="invocation",
    type="signalRTrigger",
    hubName="topology",
    category="connections",
    event="connected",
)
def connected(invocation: str) -> None:
    CONNECTED.append(json.loads(invocation)["ConnectionId"])
