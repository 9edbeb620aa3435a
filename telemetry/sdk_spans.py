"""The Azure SDKs' spans (the azure-core-tracing-opentelemetry plugin) with no user id in
their URLs.

The plugin records each HTTP call's URL as ``url.full``, with its query's values redacted
(azure-core keeps only ``api-version``) but its path as it is. The Web PubSub SDK names users
in paths (``/api/hubs/documents/users/<id>/:send`` for a notification,
``…/:closeConnections`` for a revocation), and user ids go into telemetry only hashed unless
a setting allows them (telemetry.settings). :class:`UserIdsHidden` writes such a path as
signalr/'s client spans do, ``/users/{userId}/…``; a plain-ids setting keeps the plugin's
own span.
"""

from __future__ import annotations

from azure.core.tracing.ext.opentelemetry_span import OpenTelemetrySpan

from shared.signals import without_user_ids

__all__ = ["UserIdsHidden", "sdk_spans"]

#: The keys the plugin writes a call's URL under (``http.url`` is mapped to ``url.full``).
_URL_KEYS = frozenset({"http.url", "url.full"})


class UserIdsHidden(OpenTelemetrySpan):
    """The plugin's span, with ``{userId}`` for each user id in a URL it records."""

    def add_attribute(self, key: str, value: str | int) -> None:
        if key in _URL_KEYS and isinstance(value, str):
            value = without_user_ids(value)
        super().add_attribute(key, value)


def sdk_spans(*, plain_user_ids: bool) -> type[OpenTelemetrySpan]:
    """The span class the Azure SDKs trace with (azure-core's ``tracing_implementation``)."""
    return OpenTelemetrySpan if plain_user_ids else UserIdsHidden
