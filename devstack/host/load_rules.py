"""The Python worker's load rules, checked once per function when the app is indexed.

They follow ``Registry.add_indexed_function`` in azure-functions-python-worker's
``azure_functions_worker/functions.py``, so an app the dev host accepts also loads in Azure
and one Azure refuses is refused here too:

- every parameter is a binding and every binding a parameter; ``context`` aside, which, if
  annotated, must be annotated ``func.Context`` (``context: str`` fails);
- an annotation is a class; an output's is ``func.Out[T]`` or absent (an unannotated output
  loads), an input's never ``func.Out``;
- ``T`` and input annotations pass the binding's own check: the azure-functions library's
  converter for the types it knows (``httpTrigger``: ``func.HttpRequest``, ``http``:
  ``func.HttpResponse`` or ``str``), the worker's ``GenericBinding`` for every other type
  (inputs ``str`` or ``bytes``, outputs ``str``, ``bytes`` or ``bytearray``);
- the return annotation of an HTTP function answering through ``$return`` passes the
  ``http`` check too, so ``-> dict`` and ``-> None`` fail.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import azure.functions as func
from azure.functions.decorators.core import Binding, BindingDirection

__all__ = ["CONTEXT", "RETURN", "FunctionIndexError", "check_function", "has_return", "type_hints"]

RETURN = "$return"
CONTEXT = "context"
#: The one generic binding type without an implicit return value (bindings/generic.py).
_DURABLE_CLIENT = "durableClient"


class FunctionIndexError(Exception):
    """A function breaks a load rule; the message names the function and the rule."""


def type_hints(name: str, user_function: Callable[..., Any]) -> dict[str, Any]:
    """The evaluated annotations; one that cannot be evaluated fails the load, as in Azure."""
    try:
        return typing.get_type_hints(user_function)
    except (NameError, TypeError) as error:
        message = f"function {name}: its annotations do not evaluate: {error}"
        raise FunctionIndexError(message) from None


def check_function(
    name: str,
    parameters: Sequence[str],
    bindings: Sequence[Binding],
    hints: Mapping[str, Any],
) -> bool:
    """Apply every load rule to one function; return whether it takes ``context``."""
    bound = {binding.name for binding in bindings} - {RETURN}
    takes_context = CONTEXT in parameters and CONTEXT not in bound
    if takes_context:
        _check_context(name, hints)
    _check_names(name, set(parameters) - ({CONTEXT} if takes_context else set()), bound)
    for binding in bindings:
        if binding.name != RETURN and binding.name in hints:
            _check_annotation(name, binding, hints[binding.name])
    returned = [binding for binding in bindings if binding.name == RETURN]
    if returned and "return" in hints:
        _check_return(name, returned[0], hints["return"])
    return takes_context


def has_return(bindings: Sequence[Binding]) -> bool:
    """Whether the worker sends the function's return value anywhere (``fi.has_return``):
    with a ``$return`` binding, or with any binding of an implicit output (every generic
    type but durableClient, inputs included). Otherwise a returned value fails."""
    return any(
        binding.name == RETURN or _has_implicit_output(binding.type or "") for binding in bindings
    )


def _check_context(name: str, hints: Mapping[str, Any]) -> None:
    annotation = hints.get(CONTEXT)
    if CONTEXT in hints and not (isinstance(annotation, type) and annotation.__name__ == "Context"):
        raise FunctionIndexError(
            f'function {name}: the "context" parameter is expected to be of type '
            f"azure.functions.Context, got {annotation!r}"
        )


def _check_names(name: str, parameters: set[str], bound: set[str]) -> None:
    if bound - parameters:
        missing = ", ".join(sorted(bound - parameters))
        raise FunctionIndexError(f"function {name}: bindings without a parameter: {missing}")
    if parameters - bound:
        extra = ", ".join(sorted(parameters - bound))
        raise FunctionIndexError(f"function {name}: parameters without a binding: {extra}")


def _check_annotation(name: str, binding: Binding, annotation: Any) -> None:
    is_output = binding.direction == BindingDirection.OUT.value
    out_type = _out_type(name, binding.name, annotation)
    if is_output and out_type is None:
        raise FunctionIndexError(
            f'function {name}: binding {binding.name} is declared to have the "out" '
            "direction, but its annotation in Python is not a subclass of azure.functions.Out"
        )
    if not is_output and out_type is not None:
        raise FunctionIndexError(
            f'function {name}: binding {binding.name} is declared to have the "in" '
            "direction, but its annotation is azure.functions.Out"
        )
    python_type = annotation if out_type is None else out_type
    if not isinstance(python_type, type):
        raise FunctionIndexError(
            f"function {name}: binding {binding.name} has invalid non-type annotation "
            f"{annotation!r}"
        )
    if not _accepts(binding.type or "", python_type, is_output):
        raise FunctionIndexError(
            f'function {name}: type of {binding.name} binding "{binding.type}" does not '
            f'match its Python annotation "{python_type.__name__}"'
        )


def _check_return(name: str, binding: Binding, annotation: Any) -> None:
    if _out_type(name, RETURN, annotation) is not None:
        raise FunctionIndexError(
            f"function {name}: return annotation should not be azure.functions.Out"
        )
    if not isinstance(annotation, type):
        raise FunctionIndexError(
            f"function {name}: has invalid non-type return annotation {annotation!r}"
        )
    if not _accepts(binding.type or "", annotation, is_output=True):
        raise FunctionIndexError(
            f'function {name}: Python return annotation "{annotation.__name__}" does not '
            f'match binding type "{binding.type}"'
        )


def _out_type(name: str, parameter: str, annotation: Any) -> Any | None:
    """``T`` of ``func.Out[T]``; None when the annotation is not ``Out``."""
    origin = typing.get_origin(annotation) or annotation
    if not (isinstance(origin, type) and origin.__name__ == "Out"):
        return None
    arguments = typing.get_args(annotation)
    if len(arguments) != 1:
        raise FunctionIndexError(
            f"function {name}: binding {parameter} has invalid Out annotation {annotation!r}"
        )
    return arguments[0]


def _accepts(binding_type: str, python_type: type, is_output: bool) -> bool:
    converter = _library_converter(binding_type)
    # The worker checks str and bytes against the generic rules unless the type has an
    # implicit output (functions.py, validate_function_params).
    as_generic = python_type in (str, bytes) and not _has_implicit_output(binding_type)
    if converter is None or as_generic:
        generic = (str, bytes, bytearray) if is_output else (str, bytes)
        return issubclass(python_type, generic)
    check = (
        converter.check_output_type_annotation
        if is_output
        else converter.check_input_type_annotation
    )
    return bool(check(python_type))


def _has_implicit_output(binding_type: str) -> bool:
    """bindings/meta.py ``has_implicit_output``: the library's converter says, generic types
    have one (but durableClient)."""
    converter = _library_converter(binding_type)
    if converter is None:
        return binding_type != _DURABLE_CLIENT
    return bool(getattr(converter, "has_implicit_output", lambda: False)())


def _library_converter(binding_type: str) -> Any | None:
    registry = func.get_binding_registry()  # type: ignore[no-untyped-call]  # untyped library
    return registry.get(binding_type)
