"""A Web PubSub app for the dev host's tests: negotiate with webPubSubConnection, join and
send with the webPubSub output, and webPubSubTrigger functions for connect and a user event,
written as the official Python samples write them (azure-webpubsub samples/functions/python).
What the ``connected`` and ``disconnected`` functions received is kept for ``/api/seen``."""

from __future__ import annotations

import json

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
#: The ``request`` each connected and disconnected invocation received, in order.
SEEN: list[str] = []


@app.route(route="negotiate", methods=["POST"])
@app.generic_input_binding(
    arg_name="connection", type="webPubSubConnection", hub="chat", userId="{query.userId}"
)
def negotiate(req: func.HttpRequest, connection: str) -> func.HttpResponse:
    return func.HttpResponse(connection, mimetype="application/json")


@app.route(route="actions", methods=["POST"])
@app.generic_output_binding(arg_name="actions", type="webPubSub", hub="chat")
def actions(req: func.HttpRequest, actions: func.Out[str]) -> func.HttpResponse:
    actions.set(req.get_body().decode())
    return func.HttpResponse(status_code=204)


@app.generic_trigger(
    arg_name="request", type="webPubSubTrigger", hub="chat", eventType="system", eventName="connect"
)
def connect(request: str) -> dict[str, object]:
    context = json.loads(request)["connectionContext"]
    if context["userId"] == "mallory":
        return {"code": "unauthorized", "errorMessage": "not you"}
    return {"userId": context["userId"], "roles": ["webpubsub.joinLeaveGroup"], "groups": ["lobby"]}


@app.generic_trigger(
    arg_name="request", type="webPubSubTrigger", hub="chat", eventType="user", eventName="typing"
)
def typing(request: str) -> dict[str, object]:
    body = json.loads(request)
    answer = {
        "echo": body["data"],
        "user": body["connectionContext"]["userId"],
        "fields": sorted(body),
        "dataType": body["dataType"],
    }
    return {"data": json.dumps(answer), "dataType": "json"}


@app.generic_trigger(
    arg_name="request",
    type="webPubSubTrigger",
    hub="chat",
    eventType="system",
    eventName="connected",
)
def connected(request: str) -> None:
    SEEN.append(request)


@app.generic_trigger(
    arg_name="request",
    type="webPubSubTrigger",
    hub="chat",
    eventType="system",
    eventName="disconnected",
)
def disconnected(request: str) -> None:
    SEEN.append(request)


@app.route(route="seen", methods=["GET"])
def seen(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(SEEN), mimetype="application/json")
