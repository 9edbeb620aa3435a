"""Request ids in every log line.

Each request gets an id, kept in a context variable for the request's task and copied into
the thread that runs a sync function. A log record factory stamps every record, the user
function's own included, with the id as ``record.request_id`` (``-`` outside a request).
"""

from __future__ import annotations

import logging
import sys
import uuid
from contextvars import ContextVar
from typing import Any

__all__ = [
    "LOG_FORMAT",
    "NO_REQUEST",
    "configure_logging",
    "current_request_id",
    "install_request_ids",
    "new_request_id",
]

NO_REQUEST = "-"
LOG_FORMAT = "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s"

_REQUEST_ID: ContextVar[str] = ContextVar("devstack_request_id", default=NO_REQUEST)
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


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr, one line per record, each with its request id."""
    install_request_ids()
    logging.basicConfig(level=level, format=LOG_FORMAT, stream=sys.stderr, force=True)
