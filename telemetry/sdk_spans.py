"""The Azure SDKs' spans (the azure-core-tracing-opentelemetry plugin): none under a span
the sampler dropped, and no user id in their URLs.

The plugin records each HTTP call's URL as ``url.full``, with its query's values redacted
(azure-core keeps only ``api-version``) but its path as it is. The Web PubSub SDK names users
in paths (``/api/hubs/documents/users/<id>/:send`` for a notification,
``…/:closeConnections`` for a revocation), and user ids go into telemetry only hashed unless
a setting allows them (telemetry.settings). :class:`UserIdsHidden` writes such a path as
signalr/'s client spans do, ``/users/{userId}/…``; a plain-ids setting keeps the plugin's
own span. Neither starts a span under a parent the sampler dropped (:mod:`telemetry.dropped`).
"""

from __future__ import annotations

from typing import Any

from azure.core.tracing.ext.opentelemetry_span import OpenTelemetrySpan
from opentelemetry.trace import Span

from shared.signals import without_user_ids
from telemetry.dropped import dropped_child

__all__ = ["SdkSpan", "UserIdsHidden", "sdk_spans"]

#: The keys the plugin writes a call's URL under (``http.url`` is mapped to ``url.full``).
_URL_KEYS = frozenset({"http.url", "url.full"})


class SdkSpan(OpenTelemetrySpan):
    """The plugin's span, or under a dropped parent a stand-in that records nothing (the
    plugin's own way to wrap a span it is given)."""

    def __init__(self, span: Span | None = None, name: str | None = "span", **kwargs: Any) -> None:
        super().__init__(dropped_child() if span is None else span, name, **kwargs)

    # A stand-in's attributes would go nowhere: they are not worked out.

    def add_attribute(self, key: str, value: str | int) -> None:
        if self.span_instance.is_recording():
            super().add_attribute(key, value)

    def set_http_attributes(self, request: Any, response: Any = None) -> None:
        if self.span_instance.is_recording():
            super().set_http_attributes(request, response)


class UserIdsHidden(SdkSpan):
    """The plugin's span, with ``{userId}`` for each user id in a URL it records."""

    def add_attribute(self, key: str, value: str | int) -> None:
        if key in _URL_KEYS and isinstance(value, str):
            value = without_user_ids(value)
        super().add_attribute(key, value)


def sdk_spans(*, plain_user_ids: bool) -> type[OpenTelemetrySpan]:
    """The span class the Azure SDKs trace with (azure-core's ``tracing_implementation``)."""
    return SdkSpan if plain_user_ids else UserIdsHidden
