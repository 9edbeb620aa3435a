"""Spans not worth starting: the children of a span the sampler dropped.

The Azure Monitor distro's sampler drops every child of a dropped local parent
(``parent_context_sampling`` in azure-monitor-opentelemetry-exporter), as OpenTelemetry's
parent-based samplers do, and by default it keeps at most 5 traces a second: on a busy
instance most invocations are dropped. Starting a child there is cost and nothing else (the
SDK builds it and asks the sampler; the Azure SDKs' plugin also looks its tracer up). A
stand-in from :func:`dropped_child` records nothing, as the dropped child would not, and
carries the parent's context, so a call's ``traceparent`` still says "not sampled".
"""

from __future__ import annotations

from opentelemetry import trace

__all__ = ["dropped_child"]


def dropped_child() -> trace.Span | None:
    """A non-recording span in the current span's context if the sampler dropped that span
    (locally: a remote parent's decision is the sampler's to weigh), else None."""
    parent = trace.get_current_span()
    context = parent.get_span_context()
    dropped = not context.trace_flags.sampled and not parent.is_recording()
    if context.is_valid and not context.is_remote and dropped:
        return trace.NonRecordingSpan(context)
    return None
