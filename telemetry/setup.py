"""Start telemetry once per process: the providers, the Azure SDKs' tracing plugin, and
the sink of :mod:`shared.signals` (which also traces signalr/'s REST calls).

In Azure (``APPLICATIONINSIGHTS_CONNECTION_STRING``) the Azure Monitor distro sets up all
three signals, signed in with the app's managed identity, and instruments the Azure SDKs
(Cosmos DB, Storage queues, Web PubSub). Locally, a tracer provider of the SDK (or the one
already in place: a test's, with its in-memory exporter) gets the console line. Either way
the Azure SDKs' plugin traces with the span class of :mod:`telemetry.sdk_spans`, which keeps
user ids out of the URLs it records.

The distro's HTTP library instrumentations (requests, urllib, urllib3) stay off: the Azure
SDKs' plugin already makes their HTTP spans, the sink makes signalr/'s, and requests'
instrumentation alone cost about 0.3 ms of CPU per call, a tenth of a send (bench/README.md).
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
#: Instrumentations the distro offers that docchat leaves off: frameworks it does not use,
#: and HTTP libraries whose calls are traced already (see above).
_UNUSED = ("django", "fastapi", "flask", "psycopg2", "requests", "urllib", "urllib3")
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
        _trace_the_sdks(plain_user_ids=settings.plain_user_ids)
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
    """The SDK's tracer provider, unless one is in place."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        provider = TracerProvider(resource=Resource.create({"service.name": SERVICE}))
        trace.set_tracer_provider(provider)


def _trace_the_sdks(*, plain_user_ids: bool) -> None:
    """The Azure SDKs' tracing plugin on, with the span class for ``plain_user_ids`` (in
    Azure this replaces the distro's)."""
    from azure.core.settings import settings

    from telemetry.sdk_spans import sdk_spans

    settings.tracing_implementation = sdk_spans(plain_user_ids=plain_user_ids)


def _console() -> None:
    from telemetry.console import ConsoleLines

    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.add_span_processor(ConsoleLines())
