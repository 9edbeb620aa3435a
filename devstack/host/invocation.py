"""Invoke one function the way the host and the Python worker do: an HTTP function for its
request, a function of another trigger (``signalRTrigger``, ``webPubSubTrigger``,
``queueTrigger``) for its trigger value; the bindings are carried out the same way whatever
the trigger.

The order is the host's: bind the inputs (a failing binding expression fails the invocation
before the function runs), call the function (sync ones in a thread pool, so requests
overlap; coroutines on the event loop), then carry out every output binding the function
set, and only then answer. Any failure is logged with the host's wording and raised as
:class:`InvocationError`, which the server answers with 500 as the host does.

What the function returns is checked as the worker's dispatcher checks it
(``_handle__invocation_request``): a value returned where nothing takes it fails, and an
HTTP answer through ``$return`` must be a ``str`` or ``func.HttpResponse``: ``None`` fails
too (the worker's TestHttpFunctionsStein.test_no_return expects 500).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, TypeVar

import azure.functions as func
from aiohttp import web

from devstack.host.bindings import BindingScope, InputBinding, OutputBinding
from devstack.host.context import InvocationContext
from devstack.host.expressions import BindingData
from devstack.host.generic_values import encode_generic, returned_value
from devstack.host.http_messages import UnsupportedAnswerError, to_web_response
from devstack.host.indexing import HttpFunction, IndexedFunction
from devstack.host.load_rules import CONTEXT
from devstack.host.logs import current_request_id

__all__ = ["InvocationError", "Invoker", "OutputValue"]

T = TypeVar("T")
logger = logging.getLogger("devstack.host")


class InvocationError(Exception):
    """The invocation failed; the log holds why.

    ``detail`` is what the host's failed result says to a trigger that reports failures (the
    SignalR extension puts it in an invocation's error completion): for an exception the
    function raised, the text of the host's RpcException (azure-functions-host
    src/WebJobs.Script/Workers/Rpc/RpcException.cs: ``Result: {result}\nException:
    {message}\nStack: {stack}``); otherwise the message itself.
    """

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail or message


class OutputValue(func.Out[T]):
    """An output parameter: the function sets a value, the host carries it out afterwards."""

    def __init__(self) -> None:
        self._value: T | None = None

    def set(self, val: T) -> None:
        self._value = val

    def get(self) -> T:
        return self._value  # type: ignore[return-value]


class Invoker:
    """Invokes functions of one app with the given binding implementations."""

    def __init__(
        self,
        *,
        inputs: Mapping[str, InputBinding],
        outputs: Mapping[str, OutputBinding],
        settings: Mapping[str, str],
        executor: Executor,
        app_directory: Path,
    ) -> None:
        self._inputs = inputs
        self._outputs = outputs
        self._settings = settings
        self._executor = executor
        self._app_directory = app_directory

    def on(self, executor: Executor) -> Invoker:
        """This invoker running functions on ``executor`` instead."""
        return Invoker(
            inputs=self._inputs,
            outputs=self._outputs,
            settings=self._settings,
            executor=executor,
            app_directory=self._app_directory,
        )

    async def invoke(
        self, function: HttpFunction, request: func.HttpRequest, data: BindingData
    ) -> web.Response:
        """Run ``function`` for ``request``, whose binding data is ``data``; return its answer."""
        response = OutputValue[Any]()
        extra = {function.response_param: response} if function.response_param else {}
        with self._logged(function):
            answer = await self._run(function, request, data, extra)
            try:
                return _answer(function, response, answer)
            except UnsupportedAnswerError as error:
                raise InvocationError(f"Result: Failure Exception: {error}") from error

    async def invoke_trigger(
        self, function: IndexedFunction, value: object, data: BindingData
    ) -> Any:
        """Run ``function`` with its trigger value (as the worker converted it); what it
        returned, as the host receives a return value through the trigger's implicit output
        (:func:`returned_value`)."""
        with self._logged(function):
            answer = await self._run(function, value, data, {})
            try:
                return returned_value(function.name, answer)
            except TypeError as error:
                raise InvocationError(
                    f"Result: Failure Exception: {_describe(error)}", _rpc_failure(error)
                ) from error

    @contextlib.contextmanager
    def _logged(self, function: IndexedFunction) -> Iterator[None]:
        """The host's lines around an invocation: executing, then succeeded or failed."""
        qualified = f"Functions.{function.name}"
        logger.info("Executing '%s' (Id=%s)", qualified, current_request_id())
        started = time.perf_counter()
        try:
            yield
        except InvocationError as error:
            logger.error("Exception while executing function: %s. %s", qualified, error)
            self._log_executed(qualified, "Failed", started)
            raise
        self._log_executed(qualified, "Succeeded", started)

    async def _run(
        self,
        function: IndexedFunction,
        trigger_value: object,
        data: BindingData,
        extra: Mapping[str, OutputValue[Any]],
    ) -> Any:
        """Bind, call, carry out the outputs; what the function returned. ``extra`` are output
        parameters the trigger itself reads afterwards (an HTTP answer)."""
        scope = BindingScope(data, self._settings)
        arguments = {function.trigger_param: trigger_value, **self._bind_inputs(function, scope)}
        outputs = {spec.name: OutputValue[Any]() for spec in function.outputs}
        if function.takes_context:
            arguments[CONTEXT] = self._context(function)
        try:
            answer = await self._call(function, {**arguments, **extra, **outputs})
        except Exception as error:
            logger.exception("%s raised", function.name)
            raise InvocationError(
                f"Result: Failure Exception: {_describe(error)}", _rpc_failure(error)
            ) from error
        if answer is not None and not function.has_return:
            raise InvocationError(
                f"Result: Failure Exception: RuntimeError: function {function.name!r} "
                "without a $return binding returned a non-None value"
            )
        await self._in_thread(self._carry_out, function, outputs, scope)
        return answer

    def _context(self, function: IndexedFunction) -> InvocationContext:
        folder = str(self._app_directory / function.name)
        return InvocationContext(current_request_id(), function.name, folder)

    def _bind_inputs(self, function: IndexedFunction, scope: BindingScope) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for spec in function.inputs:
            try:
                value = self._inputs[spec.type].read(spec.properties, scope)
            except Exception as error:
                raise InvocationError(
                    f"Exception binding parameter '{spec.name}': {_describe(error)}"
                ) from error
            values[spec.name] = value.encode() if spec.as_bytes else value
        return values

    def _carry_out(
        self,
        function: IndexedFunction,
        outputs: Mapping[str, OutputValue[Any]],
        scope: BindingScope,
    ) -> None:
        for spec in function.outputs:
            value = outputs[spec.name].get()
            if value is None:
                continue
            try:
                text = encode_generic(spec.type, value)
                self._outputs[spec.type].write(spec.properties, text, scope)
            except Exception as error:
                raise InvocationError(
                    f"Error while handling parameter '{spec.name}' after function returned: "
                    f"{_describe(error)}"
                ) from error

    async def _call(self, function: IndexedFunction, arguments: dict[str, Any]) -> Any:
        if function.is_async:
            return await function.user_function(**arguments)
        return await self._in_thread(function.user_function, **arguments)

    async def _in_thread(self, target: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``target`` in the pool, in a copy of this context so logs keep the request id."""
        context = contextvars.copy_context()
        call = functools.partial(context.run, target, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    @staticmethod
    def _log_executed(qualified: str, outcome: str, started: float) -> None:
        duration = round((time.perf_counter() - started) * 1000)
        logger.info(
            "Executed '%s' (%s, Id=%s, Duration=%dms)",
            qualified,
            outcome,
            current_request_id(),
            duration,
        )


def _answer(function: HttpFunction, response: OutputValue[Any], returned: object) -> web.Response:
    if function.response_param is None:
        return to_web_response(returned)
    # An http output parameter left unset: 204, as a function that answers nothing.
    answer = response.get()
    return web.Response(status=204) if answer is None else to_web_response(answer)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _rpc_failure(error: BaseException) -> str:
    """How the host words an exception the worker reported: its type and message as the
    worker's dispatcher gives them, then the traceback."""
    stack = "".join(traceback.format_tb(error.__traceback__))
    return f"Result: Failure\nException: {_describe(error)}\nStack: {stack}"
