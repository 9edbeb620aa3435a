"""Where the Functions host meets chat: its request and response objects, and the backend's
bindings declared on the functions that need them.

Requests become :class:`chat.api.http.Request`, answers :class:`func.HttpResponse`. The backend
says which bindings a function needs (:class:`realtime.backend.Backend`); the decorators
here declare exactly those, and hand the function the seam built from the values the host
bound for this invocation: :func:`with_realtime` and :func:`with_negotiator` for an HTTP
route, :func:`with_trigger_realtime` for a function of any other trigger (a queue, the
real-time service's reports). No other module knows a binding's name or type.

:func:`observed` runs an invocation inside its span (:mod:`shared.signals`: nothing unless
telemetry is configured) and logs each refused or failed request with its stable code.
"""

from __future__ import annotations

import inspect
import logging
import typing
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import azure.functions as func

from chat.api.http import Request, Response
from chat.app.realtime import Realtime
from realtime.backend import Backend, BindingDeclaration
from shared import signals

__all__ = [
    "CONTEXT",
    "REALTIME_OUTPUT",
    "observed",
    "request_of",
    "respond",
    "with_context",
    "with_negotiator",
    "with_realtime",
    "with_trigger_realtime",
]

HttpHandler = Callable[..., func.HttpResponse]
Decorator = Callable[[HttpHandler], HttpHandler]
#: A non-HTTP function's handler: its trigger's value and the invocation's Realtime.
TriggerHandler = Callable[[Any, Realtime], Any]
#: The parameter the backend's output binding is declared as, on every function that has it.
REALTIME_OUTPUT = "realtime_output"
#: The parameter the worker passes the invocation's context as (its id, its trace).
CONTEXT = "context"
_log = logging.getLogger(__name__)


def observed(
    name: str, req: func.HttpRequest, answer: Callable[[Request], Response]
) -> func.HttpResponse:
    """The host's answer to ``req``, from ``answer``, run inside the invocation's span
    (continuing the caller's ``traceparent``); a refusal or failure is logged with its
    stable code, the invocation, the trace, the document and the message, in fields of the
    record (never its text, nor the user id)."""
    with signals.invocation(name, "http", req.headers) as call:
        request = request_of(req)
        response = answer(request)
        code = _code(response)
        observing = signals.installed() is not None
        refused = response.status >= 400
        facts = _facts(request.route_params, response) if observing or refused else {}
        if observing:
            call.annotate(facts)
        call.answered(response.status, code)
        if refused:
            _log.log(
                logging.WARNING if response.status >= 500 else logging.INFO,
                "%s answered %d %s",
                name,
                response.status,
                code,
                extra={
                    "docchat.route": name,
                    "docchat.status": response.status,
                    "docchat.code": code,
                    "docchat.document_id": facts.get("document_id"),
                    "docchat.message_id": facts.get("message_id"),
                    "docchat.trace_id": signals.trace_id(),
                    "docchat.invocation_id": signals.invocation_id(),
                },
            )
        return respond(response)


def _code(response: Response) -> str | None:
    """A refusal's stable code (chat.api.failures' body), if the answer is one."""
    body = response.body
    if response.status < 400 or not isinstance(body, dict):
        return None
    error = body.get("error")
    return error.get("code") if isinstance(error, dict) else None


def _facts(route_params: Mapping[str, str], response: Response) -> dict[str, signals.Value]:
    """What the answer tells of the invocation: its document, and of a message its id,
    ``seq``, sender and whether it is stored (a refused send's ``stored``: true, false or
    unknown)."""
    facts: dict[str, signals.Value] = {}
    if "documentId" in route_params:
        facts["document_id"] = route_params["documentId"]
    body = response.body if isinstance(response.body, dict) else {}
    error = body.get("error")
    if isinstance(error, dict) and "stored" in error:
        stored = error["stored"]
        facts["stored"] = "unknown" if stored is None else str(bool(stored)).lower()
        message = error
    elif response.status < 300 and isinstance(body.get("seq"), int):
        facts["stored"] = "true"
        facts["seq"] = body["seq"]
        if isinstance(body.get("senderId"), str):
            facts["user_id"] = body["senderId"]  # hashed by the sink unless allowed
        message = body
    else:
        return facts
    if isinstance(message.get("id"), str):
        facts["message_id"] = message["id"]
    return facts


def request_of(req: func.HttpRequest) -> Request:
    """The framework-neutral request chat's endpoints take."""
    return Request.of(
        req.method, dict(req.headers), _query(req), dict(req.route_params), req.get_body()
    )


def _query(req: func.HttpRequest) -> dict[str, str]:
    """The query parameters, with those sent empty kept as ``""``: the host leaves them out
    of ``params`` (azure-functions-host, GrpcMessageConversionExtensions.ToRpcHttp), which
    would take ``continuationToken=`` for "from the start" where the API says 400."""
    params = dict(req.params)
    for name, value in parse_qsl(urlsplit(req.url).query, keep_blank_values=True):
        if not value:
            params.setdefault(name, value)
    return params


def respond(response: Response) -> func.HttpResponse:
    """The host's answer for one of chat's responses."""
    headers = dict(response.headers)
    if response.content_type:
        headers["Content-Type"] = response.content_type
    return func.HttpResponse(response.content, status_code=response.status, headers=headers)


def with_realtime(api: func.Blueprint, backend: Backend) -> Decorator:
    """Give the handler the invocation's :class:`Realtime`, declaring the backend's output
    binding (as parameter ``realtime_output``) when it has one."""

    def bound(handler: HttpHandler) -> HttpHandler:
        def realtime_bound(
            req: func.HttpRequest, realtime_output: func.Out[str]
        ) -> func.HttpResponse:
            return handler(req, backend.realtime(realtime_output.set))

        return realtime_bound

    declare = api.generic_output_binding
    return _seam(declare, backend.output, REALTIME_OUTPUT, bound, backend.realtime)


def with_trigger_realtime(blueprint: func.Blueprint, backend: Backend) -> Callable[..., Any]:
    """Give a function of any trigger but HTTP its invocation's :class:`Realtime`,
    declaring the backend's output binding (as parameter ``realtime_output``) when it has one.

    The handler takes the trigger's value first, under the ``arg_name`` its trigger decorator
    names, then the Realtime; this decorator goes innermost, right on the handler::

        @blueprint.function_name("process_outbox")
        @blueprint.queue_trigger(arg_name="message", queue_name=..., connection=...)
        @with_trigger_realtime(blueprint, backend)
        def process_outbox(message: func.QueueMessage, realtime: Realtime) -> None: ...

    The worker hands each binding's value to the parameter of its name, and checks the
    parameters and their annotations against the bindings (azure-functions-python-worker,
    functions.py: ``inspect.signature`` and ``typing.get_type_hints``); so the function the
    host sees takes the handler's trigger parameter, as the handler annotates it, and the
    output, and says so in its signature, as azure-functions' own wrapped triggers do
    (decorators/function_app.py, the MCP tool trigger's ``wrapper.__signature__``). The
    handler's annotations are evaluated when it is decorated; it is a plain function (the
    wrapper is one: the worker runs it in its thread pool).
    """

    def decorate(handler: TriggerHandler) -> Any:
        if inspect.iscoroutinefunction(handler):
            raise TypeError(f"{handler.__name__}: with_trigger_realtime takes a plain function")
        hints = typing.get_type_hints(handler)  # evaluated here, in the handler's module
        trigger = next(iter(inspect.signature(handler).parameters))
        output = backend.output

        def trigger_bound(**values: Any) -> Any:
            emit = values[REALTIME_OUTPUT].set if output is not None else None
            return handler(values[trigger], backend.realtime(emit))

        taken = {trigger: hints.get(trigger, inspect.Parameter.empty)}
        if output is not None:
            taken[REALTIME_OUTPUT] = func.Out[str]
        wrapper = with_context(_taking(_named(trigger_bound, handler), taken, hints))
        if output is None:
            return wrapper
        declared = blueprint.generic_output_binding(arg_name=REALTIME_OUTPUT, **output.binding())
        return declared(wrapper)

    return decorate


def with_negotiator(api: func.Blueprint, backend: Backend) -> Decorator:
    """Give the handler the invocation's :class:`Negotiator`, declaring the backend's
    connection input binding (as parameter ``connection_input``) when it has one."""

    def bound(handler: HttpHandler) -> HttpHandler:
        def negotiator_bound(req: func.HttpRequest, connection_input: str) -> func.HttpResponse:
            return handler(req, backend.negotiator(connection_input))

        return negotiator_bound

    declare = api.generic_input_binding
    return _seam(declare, backend.connection_input, "connection_input", bound, backend.negotiator)


def _seam(
    declare: Callable[..., Decorator],
    declaration: BindingDeclaration | None,
    parameter: str,
    bound: Callable[[HttpHandler], HttpHandler],
    alone: Callable[[], object],
) -> Decorator:
    """Without a binding, the handler gets the seam the backend builds ``alone``; with one,
    the binding is declared as ``parameter`` and ``bound`` passes its value on."""

    def decorate(handler: HttpHandler) -> HttpHandler:
        if declaration is None:

            def unbound(req: func.HttpRequest) -> func.HttpResponse:
                return handler(req, alone())

            return with_context(_named(unbound, handler))
        bound_handler = with_context(_named(bound(handler), handler))
        return declare(arg_name=parameter, **declaration.binding())(bound_handler)

    return decorate


def with_context(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, taking the host's ``context`` too, whose invocation id its span and log
    records carry (:func:`shared.signals.invoked`); innermost, under any binding's
    decorator. The worker passes ``context`` to a function that declares it, annotated
    ``func.Context`` (azure-functions-python-worker, functions.py); a caller that gives none
    (a benchmark, a test) runs it without an id."""

    def context_bound(*args: Any, context: func.Context | None = None, **kwargs: Any) -> Any:
        with signals.invoked(None if context is None else context.invocation_id):
            return function(*args, **kwargs)

    signature = inspect.signature(function)
    declared = inspect.Parameter(
        CONTEXT, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=func.Context
    )
    wrapper = _named(context_bound, function)
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), declared]
    )
    wrapper.__annotations__ = {**typing.get_type_hints(function), CONTEXT: func.Context}
    return wrapper


def _taking(
    wrapper: Callable[..., Any], parameters: dict[str, Any], hints: dict[str, Any]
) -> Callable[..., Any]:
    """``wrapper``, saying it takes ``parameters`` (name -> annotation, or none) and returns
    what ``hints`` say the handler returns: in its signature and in its annotations, the
    two things the worker reads."""
    returns = hints.get("return", inspect.Signature.empty)
    taken = [
        inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=annotation)
        for name, annotation in parameters.items()
    ]
    wrapper.__signature__ = inspect.Signature(taken, return_annotation=returns)  # type: ignore[attr-defined]
    annotations = {name: a for name, a in parameters.items() if a is not inspect.Parameter.empty}
    if returns is not inspect.Signature.empty:
        annotations["return"] = returns
    wrapper.__annotations__ = annotations
    return wrapper


def _named(wrapper: HttpHandler, handler: HttpHandler) -> HttpHandler:
    """Copy the handler's name for logs, but not ``__wrapped__``: the worker must see the
    wrapper's own parameters, which are the bindings."""
    wrapper.__name__ = handler.__name__
    wrapper.__qualname__ = handler.__qualname__
    wrapper.__doc__ = handler.__doc__
    return wrapper
