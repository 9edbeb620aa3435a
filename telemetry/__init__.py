"""docchat's telemetry: OpenTelemetry traces, metrics and logs, sent to Application Insights
in Azure and printed as one compact line per request locally. Loaded once, at start-up, and
only when configured: :func:`load_telemetry` reads the settings without importing
OpenTelemetry, and imports it only when they ask for telemetry.

- :mod:`telemetry.settings`: which telemetry the environment asks for (no OpenTelemetry).
- :mod:`telemetry.setup`: starts it once per process: Azure Monitor (managed identity) or
  a local tracer, and the Azure SDKs' tracing plugin.
- :mod:`telemetry.sink`: the sink of :mod:`shared.signals` over the OpenTelemetry API:
  invocation spans, their attributes, signalr/'s REST calls as client spans, the metrics.
- :mod:`telemetry.sdk_spans`: the Azure SDKs' spans, with no user id in their URLs.
- :mod:`telemetry.dropped`: no span started under one the sampler dropped.
- :mod:`telemetry.instruments`: the metric instruments docchat reports.
- :mod:`telemetry.console`: the compact trace line per request (``DOCCHAT_TRACE=console``).
"""

from __future__ import annotations

from collections.abc import Mapping

from telemetry.settings import read_telemetry_settings

__all__ = ["load_telemetry"]


def load_telemetry(environ: Mapping[str, str]) -> bool:
    """Start telemetry if ``environ`` configures it (once per process); whether it does."""
    settings = read_telemetry_settings(environ)
    if settings is None:
        return False
    from telemetry.setup import start  # OpenTelemetry is imported only now

    start(settings)
    return True
