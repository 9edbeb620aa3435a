"""Index a function app once, checking it with the Python worker's load rules.

Indexing turns each decorated function into an :class:`HttpFunction`: its route, methods,
auth level and bindings, plus how to call it. The checks are the worker's, so an app the dev
host accepts also loads in Azure: every binding names a parameter and every parameter a
binding (``context`` aside), outputs are annotated ``func.Out[...]``, generic inputs ``str``
or ``bytes``. One faulty function fails the whole app, as in Azure. Functions with triggers
other than HTTP are listed as skipped: the dev host only serves HTTP.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import azure.functions as func
from azure.functions.decorators.core import Binding, BindingDirection, DataType
from azure.functions.decorators.function_app import Function, FunctionRegister

__all__ = [
    "HTTP_OUTPUT",
    "BindingSpec",
    "FunctionIndex",
    "FunctionIndexError",
    "HttpFunction",
    "index_function_app",
]

HTTP_TRIGGER = "httpTrigger"
HTTP_OUTPUT = "http"
RETURN = "$return"
CONTEXT = "context"


class FunctionIndexError(Exception):
    """A function breaks a load rule; the message names the function and the rule."""


@dataclass(frozen=True)
class BindingSpec:
    """One input or output binding: its parameter, type and properties (camelCase)."""

    name: str
    type: str
    properties: Mapping[str, Any]
    as_bytes: bool = False


@dataclass(frozen=True)
class HttpFunction:
    """An HTTP-triggered function and everything needed to invoke it."""

    name: str
    route: str
    methods: frozenset[str] | None
    auth_level: str
    trigger_param: str
    inputs: tuple[BindingSpec, ...]
    outputs: tuple[BindingSpec, ...]
    response_param: str | None
    takes_context: bool
    user_function: Callable[..., Any]

    @property
    def is_async(self) -> bool:
        """Coroutine functions run on the event loop, the others in the thread pool."""
        return inspect.iscoroutinefunction(self.user_function)


@dataclass(frozen=True)
class FunctionIndex:
    """The indexed app: the HTTP functions, and the names of functions not served."""

    http_functions: tuple[HttpFunction, ...]
    skipped: tuple[str, ...]


def index_function_app(
    app: FunctionRegister, inputs: Collection[str], outputs: Collection[str]
) -> FunctionIndex:
    """Index ``app`` once, accepting only the binding types in ``inputs`` and ``outputs``."""
    functions = app.get_functions()
    http: list[HttpFunction] = []
    skipped: list[str] = []
    for function in functions:
        trigger = function.get_trigger()
        if trigger is None or trigger.type != HTTP_TRIGGER:
            skipped.append(function.get_function_name() or "")
            continue
        http.append(_http_function(function, trigger, inputs, outputs))
    return FunctionIndex(tuple(http), tuple(skipped))


def _http_function(
    function: Function, trigger: Binding, inputs: Collection[str], outputs: Collection[str]
) -> HttpFunction:
    name = function.get_function_name() or ""
    user_function = function.get_user_function()
    bindings = [binding for binding in function.get_bindings() if binding is not trigger]
    hints = _type_hints(user_function)
    _check_parameters(name, user_function, [trigger, *bindings])
    response = [b for b in bindings if b.type == HTTP_OUTPUT]
    if len(response) != 1:
        raise FunctionIndexError(f"function {name}: an HTTP function needs one http output")
    input_specs = [_spec(name, b, hints, inputs) for b in bindings if _is_input(b)]
    output_specs = [
        _spec(name, b, hints, outputs)
        for b in bindings
        if not _is_input(b) and b.type != HTTP_OUTPUT
    ]
    methods = getattr(trigger, "methods", None)
    return HttpFunction(
        name=name,
        route=getattr(trigger, "route", None) or name,
        methods=None if methods is None else frozenset(str(m.value) for m in methods),
        auth_level=str(getattr(trigger, "auth_level", func.AuthLevel.FUNCTION).value),
        trigger_param=trigger.name,
        inputs=tuple(input_specs),
        outputs=tuple(output_specs),
        response_param=None if response[0].name == RETURN else response[0].name,
        takes_context=CONTEXT in inspect.signature(user_function).parameters,
        user_function=user_function,
    )


def _check_parameters(
    name: str, user_function: Callable[..., Any], bindings: list[Binding]
) -> None:
    parameters = set(inspect.signature(user_function).parameters) - {CONTEXT}
    named = {binding.name for binding in bindings} - {RETURN}
    if named - parameters:
        missing = ", ".join(sorted(named - parameters))
        raise FunctionIndexError(f"function {name}: bindings without a parameter: {missing}")
    if parameters - named:
        extra = ", ".join(sorted(parameters - named))
        raise FunctionIndexError(f"function {name}: parameters without a binding: {extra}")


def _spec(
    name: str, binding: Binding, hints: Mapping[str, Any], supported: Collection[str]
) -> BindingSpec:
    kind = binding.type
    if kind is None or kind not in supported:
        raise FunctionIndexError(
            f"function {name}: binding type {binding.type!r} ({binding.name}) is not supported "
            f"by the dev host (supported: {', '.join(sorted(supported))}); use func start"
        )
    annotation = hints.get(binding.name)
    if _is_input(binding):
        if annotation not in (None, str, bytes):
            raise FunctionIndexError(
                f"function {name}: input {binding.name} must be annotated str or bytes"
            )
        wants_bytes = annotation is bytes or binding.data_type == DataType.BINARY.value
        return BindingSpec(binding.name, kind, binding.get_dict_repr(), wants_bytes)
    if binding.name != RETURN and not _is_out(annotation):
        raise FunctionIndexError(
            f"function {name}: output {binding.name} must be annotated func.Out[...]"
        )
    return BindingSpec(binding.name, kind, binding.get_dict_repr())


def _is_input(binding: Binding) -> bool:
    return binding.direction == BindingDirection.IN.value


def _is_out(annotation: object) -> bool:
    origin = typing.get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, func.Out)


def _type_hints(user_function: Callable[..., Any]) -> dict[str, Any]:
    """The parameter annotations, evaluated; any that cannot be evaluated count as absent."""
    try:
        return typing.get_type_hints(user_function)
    except (NameError, TypeError):
        return {}
