"""A queue-triggered app for the dev host's tests, declared as the Python v2 model declares it
(``@app.queue_trigger(arg_name, queue_name, connection)``). Each message is a JSON object
that says what the invocation does: ``fail`` (fail while ``dequeue_count`` is at most it),
``hold`` (wait until the test releases :data:`GATE` once for it); ``notify`` sends to a user
through the SignalR output binding. What every invocation received is kept in :data:`SEEN`;
:data:`RUNNING` counts those that run now, :data:`MOST_AT_ONCE` the most that ran at once."""

from __future__ import annotations

import json
import threading
from typing import Any

import azure.functions as func

app = func.FunctionApp()
SEEN: list[dict[str, Any]] = []
#: Each held invocation waits for one release of it.
GATE = threading.Semaphore(0)
RUNNING = [0]
MOST_AT_ONCE = [0]
_LOCK = threading.Lock()


@app.queue_trigger(arg_name="message", queue_name="%WORK_QUEUE%", connection="WorkStorage")
def work(message: func.QueueMessage) -> None:
    body = message.get_json()
    SEEN.append(
        {
            "body": body,
            "id": message.id,
            "dequeue_count": message.dequeue_count,
            "insertion_time": message.insertion_time,
            "expiration_time": message.expiration_time,
            "time_next_visible": message.time_next_visible,
            "pop_receipt": message.pop_receipt,
        }
    )
    with _LOCK:
        RUNNING[0] += 1
        MOST_AT_ONCE[0] = max(MOST_AT_ONCE[0], RUNNING[0])
    try:
        if body.get("hold"):
            GATE.acquire(timeout=60)
        if message.dequeue_count <= body.get("fail", 0):
            raise RuntimeError(f"asked to fail try {message.dequeue_count}")
    finally:
        with _LOCK:
            RUNNING[0] -= 1


@app.queue_trigger(arg_name="message", queue_name="%NOTIFY_QUEUE%", connection="WorkStorage")
@app.generic_output_binding(
    arg_name="signalr", type="signalR", hubName="{hub}", connectionStringSetting="SignalRSetting"
)
def notify(message: func.QueueMessage, signalr: func.Out[str]) -> None:
    """A user-targeted send through the SignalR output binding, its hub named by the
    message's own JSON (binding data)."""
    body = message.get_json()
    signalr.set(json.dumps({"userId": body["user"], "target": "note", "arguments": [body]}))


@app.route(route="ping", auth_level=func.AuthLevel.ANONYMOUS)
def ping(req: func.HttpRequest) -> func.HttpResponse:
    """A sync HTTP function: it needs one of the worker's threads for HTTP."""
    return func.HttpResponse("pong")


@app.queue_trigger(arg_name="text", queue_name="%TEXT_QUEUE%", connection="WorkStorage")
def as_text(text: str) -> None:
    SEEN.append({"text": text})
