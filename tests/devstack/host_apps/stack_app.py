"""A whole-stack sample: negotiate and broadcast through the SignalR bindings, report settings,
log what a caller sent, fail with what a caller sent, log what the outbox queue brings."""

import json
import logging
import os

import azure.functions as func

app = func.FunctionApp()


@app.route(route="negotiate", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@app.generic_input_binding(
    arg_name="connection_info",
    type="signalRConnectionInfo",
    hubName="sample",
    userId="{headers.x-sample-user}",
)
def negotiate(req: func.HttpRequest, connection_info: str) -> func.HttpResponse:
    return func.HttpResponse(connection_info, mimetype="application/json")


@app.route(route="broadcast", methods=["POST"])
@app.generic_output_binding(arg_name="messages", type="signalR", hubName="sample")
def broadcast(req: func.HttpRequest, messages: func.Out[str]) -> func.HttpResponse:
    messages.set(json.dumps({"target": "said", "arguments": [req.get_body().decode()]}))
    return func.HttpResponse(status_code=202)


@app.route(route="settings/{name}", methods=["GET"])
def setting(req: func.HttpRequest) -> str:
    return os.environ.get(req.route_params["name"], "")


@app.route(route="notes", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def note(req: func.HttpRequest) -> str:
    logging.getLogger("stack_app").info("note: %s", req.headers.get("x-note"))
    return "noted"


@app.route(route="fail", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
def fail(req: func.HttpRequest) -> str:
    raise ValueError(req.get_body().decode())


@app.queue_trigger(arg_name="message", queue_name="docchat-outbox", connection="DOCCHAT_QUEUE")
def outbox(message: func.QueueMessage) -> None:
    logging.getLogger("stack_app").info("outbox: %s", message.get_json()["note"])
