"""The sink of :mod:`shared.signals` over the OpenTelemetry API: each invocation a span
(continuing a caller's W3C ``traceparent``), its facts as ``docchat.*`` attributes, and the
instruments of :mod:`telemetry.instruments`.

What a span says of an invocation: ``docchat.route`` (the function), ``faas.trigger``,
``http.response.status_code``, ``docchat.code`` (a refusal's stable code), and what the code
reporting learnt (``docchat.document_id``, ``docchat.message_id``, ``docchat.seq``,
``docchat.stored``, ``docchat.breaker``, ``docchat.retries``, ``docchat.head_conflicts``,
``docchat.user`` hashed). A failed invocation records its exception's type, never its
message (which might quote what a caller sent).

A call to another service made by docchat's own clients (signalr/'s REST calls) is a client
span beneath it (unless the sampler dropped the invocation's: :mod:`telemetry.dropped`),
with the HTTP semantic conventions' attributes (``http.request.method``,
``url.full``, ``server.address``, ``server.port``, ``http.response.status_code``), and its
``traceparent`` goes with the call. docchat makes that span itself rather than through
requests' instrumentation, which costs about 0.3 ms of CPU per call (bench/README.md) and
would put user ids in ``url.full``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import context, metrics, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from shared import signals
from shared.signals import Value
from telemetry.dropped import dropped_child
from telemetry.instruments import INSTRUMENTS

__all__ = ["OtelSink"]

#: The function whose latency and answers are the send metrics.
SEND = "send_message"
_TRIGGERS = {"http": "http", "queue": "pubsub", "realtime": "other"}
_KINDS = {"http": SpanKind.SERVER, "queue": SpanKind.CONSUMER, "realtime": SpanKind.SERVER}


class OtelSink:
    """Reports as OpenTelemetry spans and metrics, through the global providers."""

    def __init__(self, *, plain_user_ids: bool = False) -> None:
        self._tracer = trace.get_tracer("docchat")
        meter = metrics.get_meter("docchat")
        self._instruments: dict[str, Any] = {
            name: (meter.create_counter if spec.kind == "counter" else meter.create_histogram)(
                name, unit=spec.unit, description=spec.description
            )
            for name, spec in INSTRUMENTS.items()
        }
        self._plain_user_ids = plain_user_ids

    @contextmanager
    def invocation(self, name: str, trigger: str, carrier: Mapping[str, str]) -> Iterator[_Call]:
        context = propagate.extract(_folded(carrier)) if carrier else None
        started = time.perf_counter()
        with self._tracer.start_as_current_span(
            name,
            context=context,
            kind=_KINDS[trigger],
            attributes=_started_with(name, trigger),
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            call = _Call(self, span)
            try:
                yield call
            except BaseException as error:
                _failed(span, error)
                call.failed(trigger)
                raise
            finally:
                self._finished(name, trigger, call, (time.perf_counter() - started) * 1e3)

    @contextmanager
    def outgoing(self, method: str, url: str) -> Iterator[_Outgoing]:
        dropped = dropped_child()
        if dropped is not None:  # the sampler would drop the span: only its context goes
            yield _Outgoing(dropped)
            return
        # The parent named outright: the distro's sampler then follows its decision, where
        # with none named it hashes the trace id again for every span.
        with self._tracer.start_as_current_span(
            method,
            context=context.get_current(),
            kind=SpanKind.CLIENT,
            attributes=_outgoing_to(method, url),
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                yield _Outgoing(span)
            except BaseException as error:
                _failed(span, error)
                raise

    def annotate(self, attributes: Mapping[str, Value]) -> None:
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attributes(self.attributes(attributes))

    def count(self, name: str, value: int, attributes: Mapping[str, Value]) -> None:
        self._instruments[name].add(value, attributes)

    def record(self, name: str, value: float, attributes: Mapping[str, Value]) -> None:
        self._instruments[name].record(value, attributes)

    def trace_id(self) -> str | None:
        context = trace.get_current_span().get_span_context()
        return format(context.trace_id, "032x") if context.is_valid else None

    def carrier(self) -> dict[str, str]:
        return _injected()

    def attributes(self, facts: Mapping[str, Value]) -> dict[str, Value]:
        """``facts`` as span attributes: prefixed, the user id hashed unless allowed."""
        named = {f"docchat.{key}": value for key, value in facts.items() if key != "user_id"}
        if "user_id" in facts:
            named["docchat.user"] = self._user(str(facts["user_id"]))
        return named

    def _user(self, user_id: str) -> str:
        if self._plain_user_ids:
            return user_id
        return hashlib.sha256(user_id.encode()).hexdigest()[:16]

    def _finished(self, name: str, trigger: str, call: _Call, elapsed_ms: float) -> None:
        status = call.status
        if status is not None:
            status_class = f"{status // 100}xx"
        else:  # a trigger of no HTTP: it succeeded unless it raised (and is tried again)
            status_class = "error" if call.raised else "ok"
        invoked = {"function": name, "trigger": trigger, "status_class": status_class}
        self.count("docchat.invocations", 1, invoked)
        if status == 503:
            self.count("docchat.unavailable", 1, {"function": name, "code": call.code or ""})
        if name == SEND and status is not None:
            self.count("docchat.sends", 1, {"code": call.code or "accepted", "status": status})
            self.record("docchat.send.duration", elapsed_ms, {"status": status})


class _Call:
    """One invocation's span, as :class:`shared.signals.Call`."""

    def __init__(self, sink: OtelSink, span: trace.Span) -> None:
        self._sink = sink
        self._span = span
        self.status: int | None = None
        self.code: str | None = None
        self.raised = False

    def answered(self, status: int, code: str | None = None) -> None:
        self.status, self.code = status, code
        self._span.set_attribute("http.response.status_code", status)
        if code is not None:
            self._span.set_attribute("docchat.code", code)
        if status >= 500:
            self._span.set_status(Status(StatusCode.ERROR, code or str(status)))

    def failed(self, trigger: str) -> None:
        """The invocation raised: the host answers an HTTP one 500 (and tries a queue
        message again)."""
        self.raised = True
        self.status = 500 if trigger == "http" else None
        if self.status is not None:
            self._span.set_attribute("http.response.status_code", self.status)

    def annotate(self, attributes: Mapping[str, Value]) -> None:
        if self._span.is_recording():  # a dropped span's would go nowhere (the user id hashed)
            self._span.set_attributes(self._sink.attributes(attributes))


class _Outgoing:
    """One call to another service's client span, as :class:`shared.signals.Outgoing`."""

    def __init__(self, span: trace.Span) -> None:
        self._span = span

    def headers(self) -> dict[str, str]:
        return _injected()

    def answered(self, status: int) -> None:
        self._span.set_attribute("http.response.status_code", status)
        if status >= 400:  # a client span's error, by the HTTP conventions
            self._span.set_status(Status(StatusCode.ERROR, str(status)))


def _failed(span: trace.Span, error: BaseException) -> None:
    """The span's invocation or call raised: its exception's type, never its message."""
    span.set_status(Status(StatusCode.ERROR, type(error).__name__))
    span.set_attribute("error.type", type(error).__qualname__)


def _injected() -> dict[str, str]:
    """The trace under way as W3C headers."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


def _outgoing_to(method: str, url: str) -> dict[str, Value]:
    parts = urlsplit(url)
    attributes: dict[str, Value] = {"http.request.method": method, "url.full": url}
    if parts.hostname:
        attributes["server.address"] = parts.hostname
    if parts.port:
        attributes["server.port"] = parts.port
    return attributes


def _started_with(name: str, trigger: str) -> dict[str, Value]:
    """What a span says of its invocation from the start: the function, the trigger, and
    the host's invocation id when the function was given its context."""
    attributes: dict[str, Value] = {"docchat.route": name, "faas.trigger": _TRIGGERS[trigger]}
    invocation_id = signals.invocation_id()
    if invocation_id is not None:
        attributes["faas.invocation_id"] = invocation_id
    return attributes


def _folded(carrier: Mapping[str, str]) -> dict[str, str]:
    """Header names in lower case, as the W3C propagator looks them up."""
    return {key.lower(): value for key, value in carrier.items()}
