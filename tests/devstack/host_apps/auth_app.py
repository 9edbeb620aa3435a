"""Auth levels: the app default (function), admin and anonymous."""

import azure.functions as func

app = func.FunctionApp()


@app.route(route="guarded")
def guarded(req: func.HttpRequest) -> str:
    return "guarded"


@app.route(route="admin", auth_level=func.AuthLevel.ADMIN)
def admin(req: func.HttpRequest) -> str:
    return "admin"


@app.route(route="open", auth_level=func.AuthLevel.ANONYMOUS)
def open_to_all(req: func.HttpRequest) -> str:
    return "open"


@app.timer_trigger(arg_name="timer", schedule="0 0 * * * *")
def hourly(timer: func.TimerRequest) -> None:
    """Not HTTP: indexed, listed as skipped, never run by the dev host."""
