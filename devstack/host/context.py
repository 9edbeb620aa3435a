"""The ``context`` argument a function receives when it declares one, as the worker passes it.

HTTP functions are never retried and the dev host does no distributed tracing, so the trace
and retry parts carry the values the worker gives an untraced first attempt.
"""

from __future__ import annotations

import threading

import azure.functions as func
from azure.functions import _abc

__all__ = ["InvocationContext"]


class _TraceContext(_abc.TraceContext):
    @property
    def trace_parent(self) -> str:
        return ""

    @property
    def trace_state(self) -> str:
        return ""

    @property
    def attributes(self) -> dict[str, str]:
        return {}


class _NoException(_abc.RpcException):
    source = ""
    stack_trace = ""
    message = ""


class _RetryContext(_abc.RetryContext):
    @property
    def retry_count(self) -> int:
        return 0

    @property
    def max_retry_count(self) -> int:
        return 0

    @property
    def exception(self) -> _abc.RpcException:
        return _NoException()


class InvocationContext(func.Context):
    """One invocation: its id (the request id), the function's name and folder."""

    def __init__(self, invocation_id: str, function_name: str, function_directory: str) -> None:
        self._invocation_id = invocation_id
        self._function_name = function_name
        self._function_directory = function_directory
        self._thread_local = threading.local()
        self._thread_local.invocation_id = invocation_id

    @property
    def invocation_id(self) -> str:
        return self._invocation_id

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def function_directory(self) -> str:
        return self._function_directory

    @property
    def thread_local_storage(self) -> threading.local:  # type: ignore[override]
        return self._thread_local

    @property
    def trace_context(self) -> _abc.TraceContext:
        return _TraceContext()

    @property
    def retry_context(self) -> _abc.RetryContext:
        return _RetryContext()
