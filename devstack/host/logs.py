"""Request ids in every log line, and one line per record.

Each request gets an id, kept in a context variable for the request's task and copied into
the thread that runs a sync function. A log record factory stamps every record, the user
function's own included, with the id as ``record.request_id`` (``-`` outside a request).

Messages carry what clients send (paths, headers, whatever a function logs), so the log
escapes control characters in them: a path with ``%0a`` or a value with ``\r\n`` shows as
``\n`` or ``\r\n`` and cannot start a line that looks like a record of its own. A
traceback keeps its lines (its last one is the clue ``make dev`` shows when the host dies),
but one that starts with a digit, as every record's timestamp does, is indented: only
records start like records.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar
from typing import Any

__all__ = [
    "LOG_FORMAT",
    "NO_REQUEST",
    "OneLineFormatter",
    "configure_logging",
    "current_request_id",
    "escape_controls",
    "install_request_ids",
    "new_request_id",
]

NO_REQUEST = "-"
LOG_FORMAT = "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"

_REQUEST_ID: ContextVar[str] = ContextVar("devstack_request_id", default=NO_REQUEST)
#: C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_INDENT = "    "
_LIKE_A_RECORD = re.compile(r"^(?=\d)", re.MULTILINE)
_installed = False


def new_request_id() -> str:
    """Start a request: make a fresh id current in this context and return it."""
    request_id = uuid.uuid4().hex
    _REQUEST_ID.set(request_id)
    return request_id


def current_request_id() -> str:
    """The id of the request being served, or ``-``."""
    return _REQUEST_ID.get()


def install_request_ids() -> None:
    """Make every log record carry ``request_id``; safe to call more than once."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def stamped(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.request_id = _REQUEST_ID.get()
        return record

    logging.setLogRecordFactory(stamped)
    _installed = True


def escape_controls(text: str) -> str:
    """``text`` with each control character written as its Python escape, e.g. ``\\n``."""
    return _CONTROL.sub(lambda found: found[0].encode("unicode_escape").decode("ascii"), text)


class OneLineFormatter(logging.Formatter):
    """Writes a record's message on one line; its traceback below it cannot pose as one."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:
        return _unlike_records(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _unlike_records(super().formatStack(stack_info))


def _unlike_records(text: str) -> str:
    lines = "\n".join(escape_controls(line) for line in text.splitlines())
    return _LIKE_A_RECORD.sub(_INDENT, lines)


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr, one line per record, each with its request id. The Azure SDKs log
    warnings only, as host.json sets ``Azure.Core`` to ``Warning``: the queue listeners'
    polls would otherwise log every request."""
    install_request_ids()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter(LOG_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("azure").setLevel(logging.WARNING)
