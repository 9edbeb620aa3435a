"""Telemetry switched on and off in one process, so the send path is timed both ways in
alternating rounds on the same machine state.

On is what Azure runs with telemetry configured, minus the network: the SDK's tracer
provider with a batch span processor (as the Azure Monitor distro uses) whose exporter
drops the spans, a meter provider aggregating every instrument, the Azure SDKs' tracing
plugin, and docchat's sink (its spans, signalr/'s REST calls among them); sampled either as
the distro samples by default (:data:`DISTRO_DEFAULT`: at most 5 traces a second, so on a busy
instance most sends are not recorded) or every trace recorded (:data:`EVERY_TRACE`). Off is
what an app without telemetry runs: no sink, no plugin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from azure.core.settings import settings
from azure.monitor.opentelemetry.exporter import RateLimitedSampler
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Sampler, SamplingResult

from shared import signals
from telemetry.settings import TelemetrySettings
from telemetry.setup import start

__all__ = ["DISTRO_DEFAULT", "EVERY_TRACE", "TelemetrySwitch"]

#: azure-monitor-opentelemetry's sampler when OTEL_TRACES_SAMPLER is unset.
DISTRO_DEFAULT: Sampler = RateLimitedSampler(target_spans_per_second_limit=5.0)
EVERY_TRACE: Sampler = ALWAYS_ON


class _Switchable(Sampler):
    """The sampler in use, switched between rounds (a provider's is fixed)."""

    def __init__(self) -> None:
        self.current = EVERY_TRACE

    def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
        return self.current.should_sample(*args, **kwargs)

    def get_description(self) -> str:
        return f"Switchable({self.current.get_description()})"


class _Dropped(SpanExporter):
    """Exports nowhere: the exporter's network is not the send path's cost."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class TelemetrySwitch:
    """Sets the providers up once; :meth:`on` and :meth:`off` switch what reports."""

    def __init__(self) -> None:
        self._sampler = _Switchable()
        provider = TracerProvider(sampler=self._sampler)
        provider.add_span_processor(BatchSpanProcessor(_Dropped()))
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
        start(TelemetrySettings(None, None, console=False, plain_user_ids=False))
        # What start() switched on, to switch back on after each off().
        self._sink = signals.installed()
        self._sdk_spans = settings.tracing_implementation()
        self.off()

    def on(self, sampler: Sampler) -> None:
        self._sampler.current = sampler
        signals.install(self._sink)
        settings.tracing_implementation = self._sdk_spans

    def off(self) -> None:
        signals.install(None)
        settings.tracing_implementation = None
