"""Start telemetry once per process: the providers, the Azure SDKs' tracing plugin,
requests' instrumentation (signalr/'s REST calls), and the sink of :mod:`shared.signals`.

In Azure (``APPLICATIONINSIGHTS_CONNECTION_STRING``) the Azure Monitor distro sets up all
three signals, signed in with the app's managed identity, and instruments the Azure SDKs
(Cosmos DB, Storage queues, Web PubSub) and requests itself. Locally, a tracer provider of
the SDK (or the one already in place: a test's, with its in-memory exporter) gets the
console line, and the same two instrumentations are switched on here.
"""

from __future__ import annotations

import threading

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from shared import signals
from telemetry.settings import TelemetrySettings
from telemetry.sink import OtelSink

__all__ = ["start"]

SERVICE = "docchat"
#: Instrumentations the distro offers for frameworks docchat does not use.
_UNUSED = ("django", "fastapi", "flask", "psycopg2")
_lock = threading.Lock()
_started: set[str] = set()


def start(settings: TelemetrySettings) -> None:
    """Set up what ``settings`` ask for, each part once per process, and install the sink."""
    with _lock:
        if settings.connection_string is None:
            _local()  # each part only if it is not on already
        elif "azure" not in _started:
            _azure_monitor(settings.connection_string, settings.identity_client_id)
            _started.add("azure")
        if settings.console and "console" not in _started:
            _console()
            _started.add("console")
        signals.install(OtelSink(plain_user_ids=settings.plain_user_ids))


def _azure_monitor(connection_string: str, client_id: str | None) -> None:
    from azure.monitor.opentelemetry import configure_azure_monitor

    credential = None
    if client_id is not None:
        from azure.identity import ManagedIdentityCredential

        credential = ManagedIdentityCredential(client_id=client_id or None)
    configure_azure_monitor(
        connection_string=connection_string,
        credential=credential,
        resource=Resource.create({"service.name": SERVICE}),
        instrumentation_options={name: {"enabled": False} for name in _UNUSED},
    )


def _local() -> None:
    """The SDK's tracer provider (unless one is in place), the Azure SDKs' tracing plugin
    and requests' instrumentation."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider(resource=Resource.create({"service.name": SERVICE}))
        trace.set_tracer_provider(provider)
    from azure.core.settings import settings
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    settings.tracing_implementation = "opentelemetry"
    instrumentor = RequestsInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def _console() -> None:
    from telemetry.console import ConsoleLines

    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.add_span_processor(ConsoleLines())
