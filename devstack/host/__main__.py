"""Run the dev host: ``python -m devstack.host [--port 7071] [--app function_app.py]
[--settings local.settings.json] [--host 127.0.0.1] [--web DIR]``.

Like ``func start``: the app settings go into the environment (a variable already set wins),
the app is imported and indexed once, and its HTTP functions are listed with their URLs.
Next to the app, ``host.json`` gives the route prefix. The page is the app's own (its
``web_page`` function serves ``web/``, as in Azure); ``--web DIR`` serves a folder at ``/``
where no function's route matches, for an app without one.
The app setting ``FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`` caps request bodies
(:mod:`devstack.host.limits`).
``host.json``'s ``extensions.queues`` sets how ``queueTrigger`` functions poll their queues.
As one Flex Consumption instance, it runs at most ``infra/app/scale.json``'s per-instance HTTP
concurrency at once, on that many sync threads unless ``PYTHON_THREADPOOL_THREAD_COUNT`` says
otherwise (:mod:`devstack.host.concurrency`).
Set-up problems are reported in one line; Ctrl-C or SIGTERM stops the host.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import signal
import sys
import warnings
from pathlib import Path

from aiohttp import web

from devstack.azure_guard import refusal_in_azure
from devstack.cosmos import LOCAL_TLS_WARNING
from devstack.host.concurrency import SCALE_FILE, THREAD_COUNT_SETTING, read_scale
from devstack.host.cors import CorsPolicy
from devstack.host.indexing import FunctionIndexError
from devstack.host.keys import FUNCTION_KEY_SETTING
from devstack.host.limits import RequestLimits
from devstack.host.loading import FunctionAppLoadError, load_function_app
from devstack.host.logs import configure_logging
from devstack.host.queue_options import read_queue_options
from devstack.host.routing import RouteError
from devstack.host.server import (
    AUTH_ME_SETTING,
    FUNCTION_INDEX,
    FUNCTION_THREADS,
    HOST_OPTIONS,
    QUEUE_FUNCTIONS_IN_ERROR,
    SIGNALR_WEBHOOK_PATH,
    HostOptions,
    create_host_app,
    host_runner,
)
from devstack.host.settings import (
    SettingsError,
    apply_to_environment,
    read_local_settings,
    read_route_prefix,
)

logger = logging.getLogger("devstack.host")


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; the exit status says whether start-up worked."""
    args = _arguments(argv)
    refusal = refusal_in_azure("the dev host")
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    configure_logging()
    warnings.filterwarnings("ignore", message=LOCAL_TLS_WARNING)
    try:
        app = _application(args)
    except (SettingsError, FunctionAppLoadError, FunctionIndexError, RouteError) as error:
        logger.error("%s", error, exc_info=_import_failure(error))
        return 2
    return asyncio.run(_serve(app, args.host, args.port))


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack.host", description=__doc__)
    parser.add_argument("--port", type=int, default=7071)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--app", type=Path, default=Path("function_app.py"))
    parser.add_argument("--settings", type=Path, default=Path("local.settings.json"))
    parser.add_argument(
        "--web", type=Path, help="a folder served where no function's route matches"
    )
    return parser.parse_args(argv)


def _application(args: argparse.Namespace) -> web.Application:
    if not args.settings.exists():
        raise SettingsError(
            f"{args.settings} does not exist: copy local.settings.json.example to it"
        )
    settings = read_local_settings(args.settings)
    for name in apply_to_environment(settings.values):
        logger.info("Skipping '%s' from local settings: it is set in the environment", name)
    folder = args.app.resolve().parent
    http_concurrency = _http_concurrency(folder)
    options = HostOptions(
        route_prefix=read_route_prefix(folder / "host.json"),
        function_key=os.environ.get(FUNCTION_KEY_SETTING),
        cors=CorsPolicy.of(settings.cors_origins, settings.cors_credentials),
        settings=os.environ,
        app_directory=folder,
        web_root=args.web,
        limits=_limits(),
        http_concurrency=http_concurrency,
        queues=read_queue_options(folder / "host.json"),
        signed_out_auth_me=os.environ.get(AUTH_ME_SETTING) == "signed-out",
    )
    return create_host_app(load_function_app(args.app), options)


def _http_concurrency(folder: Path) -> int:
    """infra/'s per-instance HTTP concurrency; the thread count infra/ derives from it too,
    unless the app settings or the environment name one."""
    try:
        concurrency = read_scale(folder)
    except ValueError as error:
        raise SettingsError(str(error)) from None
    apply_to_environment({THREAD_COUNT_SETTING: str(concurrency)})
    return concurrency


def _limits() -> RequestLimits:
    try:
        return RequestLimits.from_settings(os.environ)
    except ValueError as error:
        raise SettingsError(str(error)) from None


def _import_failure(error: Exception) -> BaseException | None:
    """The app's own exception when importing it failed: its traceback is the clue."""
    return error.__cause__ if isinstance(error, FunctionAppLoadError) else None


async def _serve(app: web.Application, host: str, port: int) -> int:
    runner = host_runner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        if error.errno == errno.EADDRINUSE:
            logger.error("port %d is in use: stop what listens there or pass --port", port)
        else:
            logger.error("cannot listen on %s:%d: %s", host, port, error.strerror)
        return 1
    _announce(app, f"http://{host}:{port}")
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopped.set)
    await stopped.wait()
    logger.info("stopping")
    await runner.cleanup()
    return 0


def _announce(app: web.Application, base_url: str) -> None:
    index = app[FUNCTION_INDEX]
    prefix = "/".join(part for part in (base_url, app[HOST_OPTIONS].route_prefix) if part)
    # One record a line: the log escapes line breaks inside a record.
    logger.info("Dev host listening on %s", base_url)
    logger.info(
        "As one instance: %s HTTP invocations at once (%s, else Azure's default for Python), "
        "sync functions on %d threads (%s)",
        app[HOST_OPTIONS].http_concurrency,
        SCALE_FILE,
        app[FUNCTION_THREADS],
        THREAD_COUNT_SETTING,
    )
    for function in index.http_functions:
        methods = ",".join(sorted(function.methods)) if function.methods else "ANY"
        url = f"{prefix}/{function.route.lstrip('/')}"
        logger.info("Function %s: [%s] %s (%s)", function.name, methods, url, function.auth_level)
    for triggered in index.signalr_functions:
        trigger = triggered.trigger
        event = f"{trigger.get('hubName')}/{trigger.get('category')}/{trigger.get('event')}"
        logger.info(
            "Function %s: signalRTrigger %s at %s%s",
            triggered.name,
            event,
            base_url,
            SIGNALR_WEBHOOK_PATH,
        )
    in_error = app[QUEUE_FUNCTIONS_IN_ERROR]
    for triggered in index.queue_functions:
        queue = triggered.trigger.get("queueName")
        if triggered.name in in_error:
            logger.error("Function %s is in error: %s", triggered.name, in_error[triggered.name])
        else:
            logger.info("Function %s: queueTrigger on queue %s", triggered.name, queue)
    for name in index.skipped:
        logger.info("Function %s: no trigger the dev host runs, not run here", name)


if __name__ == "__main__":
    sys.exit(main())
