"""The dev host's web application: routes, keys, CORS, bindings and static files together.

:func:`create_host_app` indexes a function app once and returns an aiohttp application that
serves its HTTP functions below the route prefix, its ``signalRTrigger`` functions at
``/runtime/webhooks/signalr`` (:mod:`devstack.host.signalr_webhook`), its ``webPubSubTrigger``
functions at ``/runtime/webhooks/webpubsub`` (:mod:`devstack.host.webpubsub_webhook`), runs
its ``queueTrigger`` functions from their storage queues while it serves
(:mod:`devstack.host.queue_listener`), ``/admin/host/ping``
for health checks (as the Functions host does; the rest of ``/admin`` and ``/runtime`` is
404, never a function's, whatever its route), and static files where no function's route
matches (``--web``); with ``DEVSTACK_AUTH_ME=signed-out`` it answers ``/.auth/me`` as App
Service Authentication does for a reader without a session;
:func:`host_runner` serves it with the header timeout of :mod:`devstack.host.limits`. Every
answer carries ``x-request-id``, the id in every log line written while serving it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path
from typing import Protocol

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler
from azure.functions.decorators.function_app import FunctionRegister

from devstack.host.bindings import InputBinding, OutputBinding
from devstack.host.concurrency import HttpSlots, sync_thread_count
from devstack.host.cors import CorsPolicy, cors_middleware
from devstack.host.http_messages import to_function_request
from devstack.host.indexing import FunctionIndex, HttpFunction, index_function_app
from devstack.host.invocation import InvocationError, Invoker
from devstack.host.keys import KEY_HEADER, KEY_QUERY, SYSTEM, is_authorized
from devstack.host.limits import BodyRefused, RequestLimits
from devstack.host.logs import install_request_ids, new_request_id
from devstack.host.queue_listener import QueueListeners, queue_triggers
from devstack.host.queue_options import QueueOptions
from devstack.host.routing import MethodNotAllowed, RouteTable, decode_segment, has_null
from devstack.host.signalr_bindings import (
    CONNECTION_INFO_TYPE,
    OUTPUT_TYPE,
    ConnectionInfoBinding,
    SignalROutputBinding,
)
from devstack.host.signalr_triggers import TriggerTable
from devstack.host.signalr_webhook import SignalRWebhook, WebhookRefusal
from devstack.host.static import StaticFiles
from devstack.host.trigger_data import http_binding_data
from devstack.host.webpubsub_bindings import (
    CONNECTION_TYPE as WEBPUBSUB_CONNECTION_TYPE,
)
from devstack.host.webpubsub_bindings import (
    OUTPUT_TYPE as WEBPUBSUB_OUTPUT_TYPE,
)
from devstack.host.webpubsub_bindings import (
    WebPubSubConnectionBinding,
    WebPubSubOutputBinding,
)
from devstack.host.webpubsub_webhook import WebPubSubWebhook

__all__ = [
    "AUTH_ME_PATH",
    "AUTH_ME_SETTING",
    "FUNCTION_INDEX",
    "FUNCTION_THREADS",
    "HOST_OPTIONS",
    "PING_PATH",
    "QUEUE_FUNCTIONS_IN_ERROR",
    "SIGNALR_WEBHOOK_PATH",
    "WEBPUBSUB_WEBHOOK_PATH",
    "HostOptions",
    "create_host_app",
    "host_runner",
]

logger = logging.getLogger("devstack.host")

PING_PATH = "/admin/host/ping"
#: App Service Authentication's "who is signed in" endpoint, which the page asks.
AUTH_ME_PATH = "/.auth/me"
#: The setting that makes the dev host stand in for it with nobody signed in.
AUTH_ME_SETTING = "DEVSTACK_AUTH_ME"
#: Where the SignalR extension's webhook is (the host's ``runtime/webhooks/{extensionName}``).
SIGNALR_WEBHOOK_PATH = "/runtime/webhooks/signalr"
WEBPUBSUB_WEBHOOK_PATH = "/runtime/webhooks/webpubsub"
#: The verbs the host maps to an extension's webhook (HostController.ExtensionWebHookHandler).
_WEBHOOK_METHODS = frozenset({hdrs.METH_GET, hdrs.METH_POST, hdrs.METH_DELETE, hdrs.METH_OPTIONS})
FUNCTION_INDEX = web.AppKey("function_index", FunctionIndex)
#: How many threads run sync functions.
FUNCTION_THREADS = web.AppKey("function_threads", int)
#: Queue-triggered functions that cannot run (no connection, bad queue name), and why.
QUEUE_FUNCTIONS_IN_ERROR: web.AppKey[dict[str, str]] = web.AppKey("queue_functions_in_error")


@dataclass(frozen=True)
class HostOptions:
    """How to serve one function app. The defaults are the Functions host's."""

    route_prefix: str = "api"
    function_key: str | None = None
    cors: CorsPolicy = field(default_factory=CorsPolicy)
    #: Where ``%Setting%`` expressions and connection settings are read.
    settings: Mapping[str, str] = field(default_factory=lambda: os.environ)
    app_directory: Path = field(default_factory=Path.cwd)
    web_root: Path | None = None
    #: Single files at fixed URL paths, e.g. ``{"/vendor/x.js": Path(...)}``.
    static_files: Mapping[str, Path] = field(default_factory=dict)
    #: Folders at fixed URL prefixes, e.g. ``{"/lib/x": Path(...)}`` serves ``/lib/x/a.js``.
    static_folders: Mapping[str, Path] = field(default_factory=dict)
    limits: RequestLimits = field(default_factory=RequestLimits)
    #: HTTP-triggered invocations run at once (Flex Consumption's perInstanceConcurrency);
    #: more wait for a slot. None runs every request at once, as in-process tests want;
    #: ``python -m devstack.host`` passes what infra/ deploys (:mod:`devstack.host.concurrency`).
    http_concurrency: int | None = None
    #: host.json's ``extensions.queues`` (:func:`devstack.host.queue_options.read_queue_options`).
    queues: QueueOptions = field(default_factory=QueueOptions)
    #: Stand in for App Service Authentication's ``/.auth/me`` with nobody signed in (a test
    #: of the page's sign-in asks for it with ``DEVSTACK_AUTH_ME=signed-out``); off, the path
    #: goes to the app's functions, as on a host without Authentication.
    signed_out_auth_me: bool = False


HOST_OPTIONS = web.AppKey("host_options", HostOptions)


def create_host_app(function_app: FunctionRegister, options: HostOptions) -> web.Application:
    """Index ``function_app`` (once) and build the application serving it."""
    install_request_ids()
    signalr_output = SignalROutputBinding()
    inputs: dict[str, InputBinding] = {
        CONNECTION_INFO_TYPE: ConnectionInfoBinding(),
        WEBPUBSUB_CONNECTION_TYPE: WebPubSubConnectionBinding(),
    }
    outputs: dict[str, OutputBinding] = {
        OUTPUT_TYPE: signalr_output,
        WEBPUBSUB_OUTPUT_TYPE: WebPubSubOutputBinding(),
    }
    index = index_function_app(function_app, inputs=set(inputs), outputs=set(outputs))
    # The worker's pool for sync functions, sized by the app setting as the worker sizes it.
    threads = sync_thread_count(options.settings)
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="function")
    invoker = Invoker(
        inputs=inputs,
        outputs=outputs,
        settings=options.settings,
        executor=executor,
        app_directory=options.app_directory,
    )
    routes = RouteTable(
        options.route_prefix,
        ((function.route, function.methods, function) for function in index.http_functions),
    )
    static = StaticFiles(options.web_root, options.static_files, options.static_folders)
    webhooks: dict[str, Webhook] = {
        SIGNALR_WEBHOOK_PATH: SignalRWebhook(
            TriggerTable(index.signalr_functions, options.settings), invoker, options.settings
        ),
        WEBPUBSUB_WEBHOOK_PATH: WebPubSubWebhook(
            index.webpubsub_functions, invoker, options.settings
        ),
    }
    dispatcher = _Dispatcher(routes, invoker, webhooks, static, options)
    app = web.Application(
        middlewares=[_request_ids, cors_middleware(options.cors)],
        client_max_size=options.limits.max_body_bytes,
    )
    app[FUNCTION_INDEX] = index
    app[HOST_OPTIONS] = options
    app[FUNCTION_THREADS] = threads
    app.router.add_route(hdrs.METH_ANY, "/{path:.*}", dispatcher.handle)
    runnable, app[QUEUE_FUNCTIONS_IN_ERROR] = queue_triggers(
        index.queue_functions, options.settings
    )
    listeners = QueueListeners(runnable, invoker, options.queues, options.settings)

    async def listen(_: web.Application) -> None:
        await listeners.start()

    async def release(_: web.Application) -> None:
        await listeners.stop()
        executor.shutdown(wait=False, cancel_futures=True)
        signalr_output.close()

    app.on_startup.append(listen)
    app.on_cleanup.append(release)
    return app


def host_runner(app: web.Application) -> web.AppRunner:
    """A runner serving ``app`` (from :func:`create_host_app`) within its request limits."""
    options = app[HOST_OPTIONS].limits.server_options()
    return web.AppRunner(app, access_log=None, handle_signals=False, **options)


class _Dispatcher:
    """Sends each request to its function, the health check, or a static file."""

    def __init__(
        self,
        routes: RouteTable[HttpFunction],
        invoker: Invoker,
        webhooks: Mapping[str, Webhook],
        static: StaticFiles,
        options: HostOptions,
    ) -> None:
        self._routes = routes
        self._invoker = invoker
        self._webhooks = webhooks
        self._static = static
        self._function_key = options.function_key
        self._limits = options.limits
        self._slots = HttpSlots(options.http_concurrency)
        self._signed_out_auth_me = options.signed_out_auth_me

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if not _valid_host(request):
            # Kestrel refuses a Host it cannot parse before any app code runs
            # (dotnet/aspnetcore src/Servers/Kestrel/Core/src/Internal/Http/Http1Connection.cs,
            # RequestRejectionReason.InvalidHostHeader: 400).
            return _error(400, "the Host header is not a valid host[:port]")
        raw_path = request.rel_url.raw_path
        if has_null(raw_path):
            # Kestrel's UrlDecoder throws on %00 and the request is refused (400).
            return _error(400, "the path contains null characters")
        if raw_path == PING_PATH and request.method in (hdrs.METH_GET, hdrs.METH_POST):
            return web.Response(status=200, headers={"Cache-Control": "no-store, no-cache"})
        webhook = _webhook_path(raw_path, self._webhooks)
        if webhook is not None:
            return await self._webhook(request, webhook)
        if self._signed_out_auth_me and raw_path.partition("?")[0] == AUTH_ME_PATH:
            # App Service Authentication answers /.auth/me with 401 when no session cookie
            # names a user (learn.microsoft.com, "Work with OAuth tokens in App Service
            # authentication": signed in, a JSON array of {provider_name, user_id,
            # user_claims, ...}).
            return _error(401, "no user is signed in")
        if _reserved(raw_path):
            # The host keeps /admin and /runtime for itself: what its own controllers do not
            # answer there is a 404 before any function's route is tried, even a catch-all
            # at an empty route prefix (azure-functions-host ReservedRouteGuardMiddleware).
            return _error(404, f"{request.path} is reserved by the Functions host")
        found = self._routes.resolve(request.method, raw_path)
        if isinstance(found, MethodNotAllowed):
            allowed = ", ".join(sorted(found.allowed))
            message = f"{request.method} is not allowed here; use {allowed}"
            return _error(405, message, Allow=allowed)
        if found is not None:
            return await self._call(request, found.target, found.params)
        return self._static_file(request, raw_path)

    async def _call(
        self, request: web.Request, function: HttpFunction, params: dict[str, str]
    ) -> web.StreamResponse:
        if not is_authorized(request, function.auth_level, self._function_key):
            return _error(
                401,
                f"this function needs the function key, as the {KEY_HEADER} header "
                f"or the {KEY_QUERY} query parameter",
            )
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        function_request = to_function_request(request, params, body)
        data = http_binding_data(request, params, body)
        async with self._slots.taken():
            try:
                return await self._invoker.invoke(function, function_request, data)
            except InvocationError:
                return _error(500, f"function {function.name} failed; the host log says why")

    async def _webhook(self, request: web.Request, path: str) -> web.StreamResponse:
        """An extension's webhook. Azure requires the ``<name>_extension`` system key; the
        local key stands in for it when set, and without one the webhook is open, as Core
        Tools leaves webhooks open locally."""
        if request.method not in _WEBHOOK_METHODS:
            allowed = ", ".join(sorted(_WEBHOOK_METHODS))
            return _error(
                405, f"{request.method} is not allowed here; use {allowed}", Allow=allowed
            )
        if self._function_key and not is_authorized(request, SYSTEM, self._function_key):
            return _error(
                401,
                f"the webhook needs the function key, as the {KEY_QUERY} query "
                f"parameter (or the {KEY_HEADER} header)",
            )
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        try:
            return await self._webhooks[path].answer(request, body)
        except WebhookRefusal as refusal:
            return _error(refusal.status, str(refusal))

    async def _body(self, request: web.Request) -> bytes | web.Response:
        """The request's body, or the refusal of one too big or too slow."""
        try:
            return await self._limits.read_body(request)
        except BodyRefused as refused:
            response = _error(refused.status, refused.message)
            # The rest of the body is never read: the connection cannot carry another request.
            response.force_close()
            return response

    def _static_file(self, request: web.Request, raw_path: str) -> web.StreamResponse:
        path = self._static.find(raw_path)
        if path is None:
            return _error(404, f"nothing is served at {request.path}")
        if request.method not in (hdrs.METH_GET, hdrs.METH_HEAD):
            return _error(405, f"{request.method} is not allowed here; use GET", Allow="GET, HEAD")
        return self._static.response(path)


@web.middleware
async def _request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id, log one line about it, and answer 500 if anything escapes."""
    request_id = new_request_id()
    started = time.perf_counter()
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = _error(error.status, error.reason)
    except Exception:
        logger.exception("unexpected error serving %s %s", request.method, request.path)
        response = _error(500, "the dev host failed; its log says why")
    response.headers["x-request-id"] = request_id
    duration = round((time.perf_counter() - started) * 1000)
    logger.info("%s %s -> %d (%dms)", request.method, request.path, response.status, duration)
    return response


def _valid_host(request: web.Request) -> bool:
    """Whether the request's Host makes a URL (a function's ``req.url`` is built from it)."""
    try:
        request.url  # noqa: B018 - building it is the check
    except ValueError:
        return False
    return True


#: The first path segments the Functions host keeps (ScriptConstants' reserved routes).
_RESERVED_SEGMENTS = frozenset({"admin", "runtime"})


def _reserved(raw_path: str) -> bool:
    first = raw_path.lstrip("/").partition("/")[0].partition("?")[0]
    return decode_segment(first).lower() in _RESERVED_SEGMENTS


def _webhook_path(raw_path: str, webhooks: Mapping[str, Webhook]) -> str | None:
    """The webhook ``runtime/webhooks/<name>`` or anything below it (the host's ``{*extra}``)
    addresses, in any case, as ASP.NET routes match."""
    path = raw_path.partition("?")[0].lower()
    return next((hook for hook in webhooks if path == hook or path.startswith(hook + "/")), None)


class Webhook(Protocol):
    """An extension's webhook: answers a request, or raises WebhookRefusal."""

    async def answer(self, request: web.Request, body: bytes) -> web.Response: ...


def _error(status: int, message: str, **headers: str) -> web.Response:
    """The host's own refusals in the app's error shape, so clients parse one form."""
    code = HTTPStatus(status).phrase.lower().replace(" ", "_")
    body = {"error": {"code": code, "message": message}}
    return web.json_response(body, status=status, headers=headers)
