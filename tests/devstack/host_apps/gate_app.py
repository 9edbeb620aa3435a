"""A sync function that waits at a gate the test opens, counting how many wait at once."""

import threading

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

#: Generous: the test opens the gate as soon as what it waits for has happened.
WAIT_SECONDS = 20
gate = threading.Event()
_lock = threading.Lock()
running = 0
most_at_once = 0


@app.route(route="gate")
def wait_at_the_gate(req: func.HttpRequest) -> str:
    global running, most_at_once
    with _lock:
        running += 1
        most_at_once = max(most_at_once, running)
    try:
        gate.wait(timeout=WAIT_SECONDS)
    finally:
        with _lock:
            running -= 1
    return "through"
