"""A send as the capacity model sees it: some CPU, then waiting on Cosmos DB and the real-time
service. The dev host runs it as it runs docchat's functions (a sync function in the pool)."""

import os
import time

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

CPU_SECONDS = float(os.environ.get("BENCH_CPU_MS", "2.5")) / 1000
WAIT_SECONDS = float(os.environ.get("BENCH_WAIT_MS", "30")) / 1000


@app.route(route="send", methods=["POST"])
def send(req: func.HttpRequest) -> str:
    started = time.thread_time()
    while time.thread_time() - started < CPU_SECONDS:
        pass
    time.sleep(WAIT_SECONDS)  # the round trips a send waits on in Azure
    return "stored"
