"""Index a function app once, checking it with the Python worker's load rules.

Indexing turns each decorated function into an :class:`HttpFunction` (its route, methods,
auth level and bindings, plus how to call it) or, for a SignalR Service, Web PubSub or
Storage queue trigger, a :class:`TriggerFunction`. The checks are the worker's
(:mod:`devstack.host.load_rules`), so an app the dev host accepts also loads in Azure. One
faulty function fails the whole app, as in Azure. Functions with other triggers are listed as
skipped: the dev host does not run them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from azure.functions.decorators.core import Binding, BindingDirection, DataType
from azure.functions.decorators.function_app import Function, FunctionRegister

from devstack.host.load_rules import (
    RETURN,
    FunctionIndexError,
    check_function,
    has_return,
    type_hints,
)

__all__ = [
    "HTTP_OUTPUT",
    "QUEUE_TRIGGER",
    "SIGNALR_TRIGGER",
    "WEBPUBSUB_TRIGGER",
    "BindingSpec",
    "FunctionIndex",
    "FunctionIndexError",
    "HttpFunction",
    "IndexedFunction",
    "TriggerFunction",
    "index_function_app",
]

HTTP_TRIGGER = "httpTrigger"
HTTP_OUTPUT = "http"
SIGNALR_TRIGGER = "signalRTrigger"
WEBPUBSUB_TRIGGER = "webPubSubTrigger"
QUEUE_TRIGGER = "queueTrigger"


@dataclass(frozen=True)
class BindingSpec:
    """One input or output binding: its parameter, type and properties (camelCase)."""

    name: str
    type: str
    properties: Mapping[str, Any]
    as_bytes: bool = False


@dataclass(frozen=True)
class IndexedFunction:
    """A function and everything needed to invoke it, whatever its trigger."""

    name: str
    trigger_param: str
    inputs: tuple[BindingSpec, ...]
    outputs: tuple[BindingSpec, ...]
    takes_context: bool
    #: Whether a returned value goes anywhere; if not, returning one fails the invocation.
    has_return: bool
    user_function: Callable[..., Any]

    @property
    def is_async(self) -> bool:
        """Coroutine functions run on the event loop, the others in the thread pool."""
        return inspect.iscoroutinefunction(self.user_function)


@dataclass(frozen=True)
class HttpFunction(IndexedFunction):
    """An HTTP-triggered function."""

    route: str
    methods: frozenset[str] | None
    auth_level: str
    response_param: str | None


@dataclass(frozen=True)
class TriggerFunction(IndexedFunction):
    """A function with a ``signalRTrigger``, ``webPubSubTrigger`` or ``queueTrigger``: its
    trigger's properties
    as declared (camelCase, ``%setting%`` not yet resolved) and whether its parameter takes
    bytes."""

    trigger: Mapping[str, Any]
    trigger_as_bytes: bool


@dataclass(frozen=True)
class FunctionIndex:
    """The indexed app: the functions the dev host runs, and the names of the others."""

    http_functions: tuple[HttpFunction, ...]
    signalr_functions: tuple[TriggerFunction, ...]
    webpubsub_functions: tuple[TriggerFunction, ...]
    skipped: tuple[str, ...]
    queue_functions: tuple[TriggerFunction, ...] = ()


def index_function_app(
    app: FunctionRegister, inputs: Collection[str], outputs: Collection[str]
) -> FunctionIndex:
    """Index ``app`` once, accepting only the binding types in ``inputs`` and ``outputs``."""
    functions = app.get_functions()
    http: list[HttpFunction] = []
    triggered: dict[str, list[TriggerFunction]] = {
        SIGNALR_TRIGGER: [],
        WEBPUBSUB_TRIGGER: [],
        QUEUE_TRIGGER: [],
    }
    skipped: list[str] = []
    for function in functions:
        trigger = function.get_trigger()
        kind = trigger.type if trigger is not None else None
        if trigger is not None and kind == HTTP_TRIGGER:
            http.append(_http_function(function, trigger, inputs, outputs))
        elif trigger is not None and kind in triggered:
            triggered[kind].append(_trigger_function(function, trigger, inputs, outputs))
        else:
            skipped.append(function.get_function_name() or "")
    return FunctionIndex(
        tuple(http),
        tuple(triggered[SIGNALR_TRIGGER]),
        tuple(triggered[WEBPUBSUB_TRIGGER]),
        tuple(skipped),
        tuple(triggered[QUEUE_TRIGGER]),
    )


def _http_function(
    function: Function, trigger: Binding, inputs: Collection[str], outputs: Collection[str]
) -> HttpFunction:
    common, _ = _indexed(function, trigger, inputs, outputs)
    response = [b for b in function.get_bindings() if b.type == HTTP_OUTPUT]
    if len(response) != 1:
        raise FunctionIndexError(
            f"function {common['name']}: an HTTP function needs one http output"
        )
    methods = getattr(trigger, "methods", None)
    return HttpFunction(
        **common,
        route=getattr(trigger, "route", None) or common["name"],
        methods=None if methods is None else frozenset(str(m.value) for m in methods),
        auth_level=str(getattr(trigger, "auth_level", func.AuthLevel.FUNCTION).value),
        response_param=None if response[0].name == RETURN else response[0].name,
    )


def _trigger_function(
    function: Function, trigger: Binding, inputs: Collection[str], outputs: Collection[str]
) -> TriggerFunction:
    common, hints = _indexed(function, trigger, inputs, outputs)
    return TriggerFunction(
        **common, trigger=trigger.get_dict_repr(), trigger_as_bytes=_wants_bytes(trigger, hints)
    )


def _indexed(
    function: Function, trigger: Binding, inputs: Collection[str], outputs: Collection[str]
) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """What every kind of function has (as keyword arguments), checked by the load rules;
    and the function's type hints."""
    name = function.get_function_name() or ""
    user_function = function.get_user_function()
    every_binding = list(function.get_bindings())
    bindings = [binding for binding in every_binding if binding is not trigger]
    hints = type_hints(name, user_function)
    parameters = list(inspect.signature(user_function).parameters)
    takes_context = check_function(name, parameters, every_binding, hints)
    common = {
        "name": name,
        "trigger_param": trigger.name,
        "inputs": tuple(_spec(name, b, hints, inputs) for b in bindings if _is_input(b)),
        "outputs": tuple(
            _spec(name, b, hints, outputs)
            for b in bindings
            if not _is_input(b) and b.type != HTTP_OUTPUT
        ),
        "takes_context": takes_context,
        "has_return": has_return(every_binding),
        "user_function": user_function,
    }
    return common, hints


def _spec(
    name: str, binding: Binding, hints: Mapping[str, Any], supported: Collection[str]
) -> BindingSpec:
    kind = binding.type
    if kind is None or kind not in supported:
        raise FunctionIndexError(
            f"function {name}: binding type {binding.type!r} ({binding.name}) is not supported "
            f"by the dev host (supported: {', '.join(sorted(supported))}); use func start"
        )
    return BindingSpec(binding.name, kind, binding.get_dict_repr(), _wants_bytes(binding, hints))


def _wants_bytes(binding: Binding, hints: Mapping[str, Any]) -> bool:
    return hints.get(binding.name) is bytes or binding.data_type == DataType.BINARY.value


def _is_input(binding: Binding) -> bool:
    return binding.direction == BindingDirection.IN.value
