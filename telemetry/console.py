"""One compact line per request on stderr (``DOCCHAT_TRACE=console``, for ``make dev``):

    trace 8fbf761cfbb370ef04343f5753288097 send_message 201 6.9ms document_id=d1
    message_id=a3685f93-… seq=2 stored=true | POST /dbs/docchat/colls/chat-0/docs/ 3.0ms,
    ContainerProxy.execute_item_batch 3.8ms,
    POST /api/hubs/documents/groups/document%3Ad1/:send 1.5ms

(one line; wrapped here).

The invocation's span (the first in this process: no parent here, or a caller's remote
one), its status and facts, then each span beneath it in the order they ended. Spans wait
for their invocation in a bounded buffer, so a trace that never ends costs nothing lasting.
"""

from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from typing import TextIO
from urllib.parse import urlsplit

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

__all__ = ["ConsoleLines", "line"]

#: Traces whose children wait for their invocation's end, at most.
_PENDING_TRACES = 256
_FACTS = ("document_id", "message_id", "seq", "stored", "code", "breaker", "retries")


class ConsoleLines(SpanProcessor):
    """Prints each invocation with the spans beneath it, when it ends."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out
        self._lock = threading.Lock()
        self._children: OrderedDict[int, list[ReadableSpan]] = OrderedDict()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        pass

    def on_end(self, span: ReadableSpan) -> None:
        context = span.context
        if context is None:
            return
        with self._lock:
            if span.parent is not None and not span.parent.is_remote:
                self._children.setdefault(context.trace_id, []).append(span)
                while len(self._children) > _PENDING_TRACES:
                    self._children.popitem(last=False)
                return
            children = self._children.pop(context.trace_id, [])
        print(line(span, children), file=self._out or sys.stderr, flush=True)

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def line(invocation: ReadableSpan, children: list[ReadableSpan]) -> str:
    """The compact line of ``invocation`` and the spans beneath it."""
    attributes = invocation.attributes or {}
    trace_id = format(invocation.context.trace_id, "032x") if invocation.context else "-"
    status = attributes.get("http.response.status_code", invocation.status.status_code.name)
    facts = " ".join(
        f"{fact}={attributes[f'docchat.{fact}']!s}"
        for fact in _FACTS
        if f"docchat.{fact}" in attributes
    )
    below = ", ".join(f"{_label(child)} {_ms(child)}" for child in children)
    text = f"trace {trace_id} {invocation.name} {status} {_ms(invocation)}"
    return " ".join(part for part in (text, facts, f"| {below}" if below else "") if part)


def _label(span: ReadableSpan) -> str:
    """A span's name, and an HTTP call's path (never its query string)."""
    attributes = span.attributes or {}
    url = attributes.get("url.full", attributes.get("http.url"))
    return f"{span.name} {urlsplit(str(url)).path}" if url else span.name


def _ms(span: ReadableSpan) -> str:
    if span.start_time is None or span.end_time is None:
        return "?"
    return f"{(span.end_time - span.start_time) / 1e6:.1f}ms"
