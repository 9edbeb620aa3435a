"""The SignalR Service bindings, carried out through the project's ``signalr`` library.

``signalRConnectionInfo`` (input) gives the function the extension's JSON,
``{"url": ..., "accessToken": ...}``, for ``hubName`` and an optional ``userId``, plus the
claims named in ``claimTypeList`` copied from the ``idToken``. ``signalR`` (output) takes the
extension's JSON (a message or group action, or a list of them) and performs it by REST.
Both read the connection string from the app setting named by ``connectionStringSetting``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

import jwt

from devstack.host.bindings import BindingScope
from shared.connection_string import ConnectionString, parse_connection_string
from signalr.bindings import carry_out, parse_output
from signalr.rest import HubClient
from signalr.tokens import client_connection_info

__all__ = [
    "CONNECTION_INFO_TYPE",
    "DEFAULT_CONNECTION_SETTING",
    "OUTPUT_TYPE",
    "ConnectionInfoBinding",
    "SignalRBindingError",
    "SignalROutputBinding",
]

CONNECTION_INFO_TYPE = "signalRConnectionInfo"
OUTPUT_TYPE = "signalR"
DEFAULT_CONNECTION_SETTING = "AzureSignalRConnectionString"


class SignalRBindingError(ValueError):
    """A SignalR binding is misconfigured for this invocation."""


class ConnectionInfoBinding:
    """The ``signalRConnectionInfo`` input binding."""

    def read(self, properties: Mapping[str, Any], scope: BindingScope) -> str:
        """The connection info JSON for the hub and user named in ``properties``."""
        hub = scope.property(properties, "hubName")
        if not hub:
            raise SignalRBindingError("signalRConnectionInfo needs a hubName")
        info = client_connection_info(
            _connection(properties, scope),
            hub,
            user_id=scope.property(properties, "userId") or None,
            claims=_id_token_claims(properties, scope),
        )
        return json.dumps(info.as_json_dict())


class SignalROutputBinding:
    """The ``signalR`` output binding; keeps one pooled REST client per service and hub."""

    def __init__(self) -> None:
        self._clients: dict[tuple[ConnectionString, str], HubClient] = {}
        self._lock = threading.Lock()

    def write(self, properties: Mapping[str, Any], value: str, scope: BindingScope) -> None:
        """Perform every message and group action in ``value``, in order."""
        hub = scope.property(properties, "hubName")
        if not hub:
            raise SignalRBindingError("signalR output needs a hubName")
        items = parse_output(value)
        carry_out(self._client(_connection(properties, scope), hub), items)

    def close(self) -> None:
        """Release every pooled connection."""
        with self._lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def _client(self, connection: ConnectionString, hub: str) -> HubClient:
        with self._lock:
            key = (connection, hub.lower())
            if key not in self._clients:
                self._clients[key] = HubClient(connection, hub)
            return self._clients[key]


def _connection(properties: Mapping[str, Any], scope: BindingScope) -> ConnectionString:
    setting = scope.property(properties, "connectionStringSetting", DEFAULT_CONNECTION_SETTING)
    text = scope.settings.get(setting)
    if not text:
        raise SignalRBindingError(
            f"the SignalR connection string must be set in the app setting {setting!r}"
        )
    return parse_connection_string(text)


def _id_token_claims(properties: Mapping[str, Any], scope: BindingScope) -> dict[str, Any]:
    """The ``claimTypeList`` claims of ``idToken``; like the extension, it does not verify the
    token: only a front end that authenticates callers makes these claims trustworthy."""
    token = scope.property(properties, "idToken").removeprefix("Bearer ").strip()
    wanted = set(properties.get("claimTypeList") or ())
    if not token or not wanted:
        return {}
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as error:
        raise SignalRBindingError(f"idToken is not a readable JWT: {error}") from None
    return {name: value for name, value in claims.items() if name in wanted}
