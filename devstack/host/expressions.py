"""Binding expressions in binding properties, resolved per invocation as the host does.

``%Name%`` is replaced by the app setting ``Name``. ``{headers.x}`` and ``{query.x}`` are
replaced by the value from the HTTP request that triggered the invocation, and a bare
``{name}`` by a route parameter, else a query parameter (never the ``code`` key), else a
top-level property of a JSON body: the HTTP extension's binding data
(azure-webjobs-sdk-extensions, HttpTriggerAttributeBindingProvider.GetRequestBindingData,
fills it from the body, then the query without ``code``, then the route, each overwriting the
one before). Names ignore case. A name the request does not carry fails the invocation with
the host's own message, e.g. ``Error while accessing 'x-user': property doesn't exist.``
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["BindingData", "BindingExpressionError", "resolve_app_settings", "resolve_expressions"]

#: The function key's query parameter: the extension keeps it out of bare names.
_KEY_QUERY = "code"

_APP_SETTING = re.compile(r"%([^%\s]+)%")
_EXPRESSION = re.compile(r"\{([^{}]+)\}")


class BindingExpressionError(LookupError):
    """An expression names something the invocation does not have."""


@dataclass(frozen=True)
class BindingData:
    """What expressions may read from one HTTP request; lookups ignore case."""

    headers: Mapping[str, str]
    query: Mapping[str, str]
    route: Mapping[str, str]
    #: Top-level properties of a JSON object body that are neither objects nor arrays.
    body: Mapping[str, str]

    @classmethod
    def of_names(cls, values: Mapping[str, str]) -> BindingData:
        """Binding data of a trigger that only names values (a ``signalRTrigger``'s
        ``parameterNames``): bare names only, no headers, query or body."""
        return cls(headers={}, query={}, route=values, body={})

    def lookup(self, name: str) -> str:
        """The value ``name`` (``headers.x``, ``query.x`` or a bare name) stands for."""
        source, dot, key = name.partition(".")
        if dot and source.lower() == "headers":
            return _get(self.headers, key)
        if dot and source.lower() == "query":
            return _get(self.query, key)
        query = {k: v for k, v in self.query.items() if k.lower() != _KEY_QUERY}
        for values in (self.route, query, self.body):
            found = _find(values, name)
            if found is not None:
                return found
        raise _missing(name)


def resolve_expressions(text: str, data: BindingData, settings: Mapping[str, str]) -> str:
    """``text`` with every ``%setting%`` and ``{expression}`` replaced."""
    with_settings = resolve_app_settings(text, settings)
    return _EXPRESSION.sub(lambda found: data.lookup(found[1].strip()), with_settings)


def resolve_app_settings(text: str, settings: Mapping[str, str]) -> str:
    """``text`` with every ``%setting%`` replaced: all a trigger's properties may hold when the
    host reads them at start-up."""
    return _APP_SETTING.sub(lambda found: _setting(settings, found[1]), text)


def _get(values: Mapping[str, str], key: str) -> str:
    found = _find(values, key)
    if found is None:
        raise _missing(key)
    return found


def _find(values: Mapping[str, str], key: str) -> str | None:
    wanted = key.lower()
    return next((value for name, value in values.items() if name.lower() == wanted), None)


def _missing(key: str) -> BindingExpressionError:
    return BindingExpressionError(f"Error while accessing '{key}': property doesn't exist.")


def _setting(settings: Mapping[str, str], name: str) -> str:
    if name not in settings:
        raise BindingExpressionError(f"'%{name}%' does not resolve to an app setting value.")
    return settings[name]
