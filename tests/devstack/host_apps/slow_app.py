"""Functions that finish only when two invocations run at the same time."""

import asyncio
import threading

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

#: Generous: only a host that runs invocations one after another ever waits this long.
WAIT_SECONDS = 20
sync_meeting = threading.Barrier(2)
async_meeting = asyncio.Barrier(2)


@app.route(route="meet/sync")
def meet_in_threads(req: func.HttpRequest) -> str:
    sync_meeting.wait(timeout=WAIT_SECONDS)
    return "met"


@app.route(route="meet/async")
async def meet_on_the_loop(req: func.HttpRequest) -> str:
    async with asyncio.timeout(WAIT_SECONDS):
        await async_meeting.wait()
    return "met"
