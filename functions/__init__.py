"""docchat's Azure Functions, as Blueprints: the wiring between the host and chat.

The backend and its mode are decided once, at start-up, from the settings; each surface is
a Blueprint built for them.

- :mod:`functions.http_api`: the HTTP API (negotiate, documents, messages, members).
- :mod:`functions.realtime_events`: the real-time service's reports (connections, typing).
- :mod:`functions.work`: work taken from the queues (``process_outbox``,
  ``deliver_webhook``), registered when a work queue is configured.
- :mod:`functions.web`: the page and the embeddable panel (``/``, ``/embed``), with their
  files and config, served by the app itself.
- :mod:`functions.edge`: the host's requests and responses, and the backend's bindings.

:func:`create_app` builds the app function_app.py exposes to the host.
"""

from __future__ import annotations

from collections.abc import Mapping

import azure.functions as func

from chat.api.routes import Endpoints
from chat.app.runtime import Runtime
from chat.settings import load_settings
from functions.http_api import http_api
from functions.realtime_events import realtime_events
from functions.web import web_pages
from functions.work import work
from realtime import load_backend
from realtime.upstream_auth import load_upstream_check
from storage import load_storage
from telemetry import load_telemetry
from webhooks import load_network

__all__ = ["create_app"]


def create_app(environ: Mapping[str, str], runtime: Runtime | None = None) -> func.FunctionApp:
    """The function app for ``environ``; a wrong setting raises
    :class:`~chat.settings.SettingsError` naming it, so the app stops at start-up."""
    load_telemetry(environ)  # first, so that what starts next is traced; nothing if unset
    settings = load_settings(environ)
    storage = load_storage(environ)
    backend = load_backend(environ, settings.auth)
    runtime = runtime or Runtime(settings, storage, webhook_network=load_network)
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    app.register_functions(http_api(Endpoints(runtime), backend))
    upstream = load_upstream_check(environ)
    app.register_functions(realtime_events(runtime.events, backend, upstream))
    app.register_functions(web_pages(settings))
    if runtime.works_after_commits:
        app.register_functions(work(runtime.outbox, lambda: runtime.webhooks, backend))
    return app
