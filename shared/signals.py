"""Where docchat's code reports what it does (a port): invocations, counts, measures, and
facts about the invocation under way. Nothing happens until a sink is installed.

    with signals.invocation("send_message", "http", headers) as call:
        ...
        call.answered(201)
    signals.count("docchat.head_conflicts")
    signals.record("docchat.group_commit.size", 3)
    signals.annotate(message_id=message_id, seq=seq)  # docchat.message_id, docchat.seq
    with signals.outgoing("POST", url) as call:  # a call to another service
        response = session.post(url, headers=call.headers())
        call.answered(response.status_code)

The one sink is OpenTelemetry's (:mod:`telemetry`), installed at start-up only when
telemetry is configured. Code reports through this port rather than through the
OpenTelemetry API so that nothing reporting imports OpenTelemetry (a cold start with
telemetry off never loads it) and a report with telemetry off costs one global look-up.

Attributes are plain values (str, int, float, bool), named without the ``docchat.`` prefix
the sink gives them. Never the text of a message, a token,
a key or a connection string; user ids only as the ``user_id`` attribute, which the sink
hashes unless a setting allows them as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Protocol

__all__ = [
    "Call",
    "Outgoing",
    "Sink",
    "annotate",
    "carried",
    "carrier",
    "count",
    "install",
    "installed",
    "invocation",
    "invocation_id",
    "invoked",
    "outgoing",
    "record",
    "trace_id",
    "without_user_ids",
]

Value = str | int | float | bool
#: The W3C trace context's fields, as :func:`carrier` gives them and a queue message keeps them.
TRACE_FIELDS = ("traceparent", "tracestate")
#: A user's path segment in the services' REST APIs (``…/users/<id>/…``).
_USER_SEGMENT = re.compile(r"/users/[^/?#]+")


class Call(Protocol):
    """One invocation under way: what it answered, and facts learnt on the way."""

    def answered(self, status: int, code: str | None = None) -> None:
        """The HTTP status it answered, and the error's stable code if it refused."""

    def annotate(self, attributes: Mapping[str, Value]) -> None:
        """Facts of this invocation (document id, message id, seq, outcome...)."""


class Outgoing(Protocol):
    """One call docchat makes to another service, under way."""

    def headers(self) -> dict[str, str]:
        """W3C trace context (``traceparent``) to send with the call, so that the service's
        side joins the trace."""

    def answered(self, status: int) -> None:
        """The HTTP status the service answered."""


class Sink(Protocol):
    """Where reports go (telemetry.otel.OtelSink)."""

    def invocation(
        self, name: str, trigger: str, carrier: Mapping[str, str]
    ) -> AbstractContextManager[Call]:
        """A span for the invocation ``name`` of ``trigger`` ("http", "queue", "realtime"),
        continuing the trace a W3C ``traceparent`` in ``carrier`` names."""

    def outgoing(self, method: str, url: str) -> AbstractContextManager[Outgoing]:
        """A client span for an HTTP call to ``url``, a child of the invocation's."""

    def annotate(self, attributes: Mapping[str, Value]) -> None: ...

    def count(self, name: str, value: int, attributes: Mapping[str, Value]) -> None: ...

    def record(self, name: str, value: float, attributes: Mapping[str, Value]) -> None: ...

    def trace_id(self) -> str | None: ...

    def carrier(self) -> dict[str, str]: ...


class _Unobserved:
    """The call of an invocation nobody observes."""

    def answered(self, status: int, code: str | None = None) -> None:
        pass

    def annotate(self, attributes: Mapping[str, Value]) -> None:
        pass


class _Unsent:
    """A call to another service nobody observes."""

    def headers(self) -> dict[str, str]:
        return {}

    def answered(self, status: int) -> None:
        pass


_UNOBSERVED = _Unobserved()
_UNSENT = _Unsent()
_sink: Sink | None = None
#: The host's id of the invocation under way (func.Context.invocation_id), when known.
_invocation_id: ContextVar[str | None] = ContextVar("docchat_invocation_id", default=None)


def install(sink: Sink | None) -> None:
    """Send every report to ``sink`` from now on (None: to nowhere)."""
    global _sink
    _sink = sink


def installed() -> Sink | None:
    return _sink


@contextmanager
def invoked(invocation_id: str | None) -> Iterator[None]:
    """Within: the invocation under way is the host's ``invocation_id`` (for its span and
    its log records)."""
    token = _invocation_id.set(invocation_id)
    try:
        yield
    finally:
        _invocation_id.reset(token)


def invocation_id() -> str | None:
    """The host's id of the invocation under way, if the function was given its context."""
    return _invocation_id.get()


@contextmanager
def invocation(name: str, trigger: str, carrier: Mapping[str, str] | None = None) -> Iterator[Call]:
    """The invocation ``name`` under way (see :meth:`Sink.invocation`)."""
    sink = _sink
    if sink is None:
        yield _UNOBSERVED
        return
    with sink.invocation(name, trigger, carrier or {}) as call:
        yield call


@contextmanager
def outgoing(method: str, url: str) -> Iterator[Outgoing]:
    """An HTTP call to another service under way (see :meth:`Sink.outgoing`). ``url`` goes
    into telemetry as it is: the caller leaves out the query and any user id."""
    sink = _sink
    if sink is None:
        yield _UNSENT
        return
    with sink.outgoing(method, url) as call:
        yield call


def without_user_ids(url: str) -> str:
    """``url`` with ``{userId}`` for each user id in its path (``/users/{userId}/:send``):
    the form in which a service call's URL may go into telemetry."""
    return _USER_SEGMENT.sub("/users/{userId}", url)


def annotate(**attributes: Value | None) -> None:
    """Facts of the invocation under way; None values are left out."""
    sink = _sink
    if sink is not None:
        sink.annotate({key: value for key, value in attributes.items() if value is not None})


def count(name: str, value: int = 1, **attributes: Value) -> None:
    """Add ``value`` to the counter ``name`` (one of telemetry.instruments.INSTRUMENTS)."""
    sink = _sink
    if sink is not None:
        sink.count(name, value, attributes)


def record(name: str, value: float, **attributes: Value) -> None:
    """Record ``value`` in the histogram ``name``."""
    sink = _sink
    if sink is not None:
        sink.record(name, value, attributes)


def carrier() -> dict[str, str]:
    """The trace under way as W3C headers (``traceparent``, ``tracestate``), for work handed
    on (a queue message) to continue it; empty when unobserved."""
    sink = _sink
    return {} if sink is None else sink.carrier()


def carried(body: Mapping[str, object]) -> dict[str, str]:
    """The trace context :func:`carrier` put into ``body`` (a queue message's), to continue
    with :func:`invocation`; empty when it carries none."""
    return {key: value for key in TRACE_FIELDS if isinstance(value := body.get(key), str)}


def trace_id() -> str | None:
    """The trace under way (32 hex digits), for a log record; None when unobserved."""
    sink = _sink
    return None if sink is None else sink.trace_id()
