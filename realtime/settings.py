"""The real-time backend's settings, read once at start-up next to chat's.

Every rule about a valid backend configuration lives here, so a wrong setting stops the app
when it loads, with one message naming the setting and never a secret's value.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from chat.settings import AuthMode, SettingsError, optional_setting, setting_choice
from shared.connection_string import (
    ConnectionString,
    ConnectionStringError,
    identity_connection,
    parse_connection_string,
)

__all__ = [
    "HUB",
    "SIGNALR_CONNECTION_SETTING",
    "Delivery",
    "RealtimeSettings",
    "delivery_setting",
    "load_realtime_settings",
    "service_connection",
]

#: The one hub docchat uses.
HUB = "documents"
#: The app setting holding the SignalR connection string (the Functions extension's default).
SIGNALR_CONNECTION_SETTING = "AzureSignalRConnectionString"


class Delivery(enum.StrEnum):
    """How docchat talks to a real-time service (``DOCCHAT_SIGNALR_MODE``,
    ``DOCCHAT_WEBPUBSUB_MODE``): its REST API, or the Functions extension's bindings."""

    REST = "rest"
    BINDINGS = "bindings"


@dataclass(frozen=True)
class RealtimeSettings:
    """SignalR's mode and how to reach it; ``connection`` only in REST mode (with an
    AccessKey, or Microsoft Entra ID)."""

    mode: Delivery
    connection: ConnectionString | None = field(default=None, repr=False)


def load_realtime_settings(environ: Mapping[str, str], auth: AuthMode) -> RealtimeSettings:
    """Read and check the backend settings; ``auth`` is chat's, which some modes need."""
    mode = delivery_setting(environ, "DOCCHAT_SIGNALR_MODE", auth)
    if mode is Delivery.BINDINGS:
        return RealtimeSettings(mode)
    return RealtimeSettings(mode, service_connection(environ, SIGNALR_CONNECTION_SETTING))


def delivery_setting(environ: Mapping[str, str], name: str, auth: AuthMode) -> Delivery:
    """The mode in setting ``name`` (REST when unset). Bindings need a user id the host can
    read from a request header, which ``auth`` (chat's) must then provide."""
    mode = setting_choice(environ, name, Delivery, default=Delivery.REST)
    if mode is Delivery.BINDINGS and auth is AuthMode.JWT:
        raise SettingsError(
            f"{name}=bindings takes the user id from a request header that the Functions host "
            "reads before docchat runs, so it needs DOCCHAT_AUTH=appservice or dev; with "
            f"DOCCHAT_AUTH=jwt use {name}=rest"
        )
    return mode


def service_connection(environ: Mapping[str, str], name: str) -> ConnectionString:
    """The connection string in setting ``name``, or the extension's identity-based settings
    under ``name__`` (used when the plain value is absent: Functions
    OptionsSetupFromConfig). Setting both is refused: the extension would quietly ignore the
    identity. SignalR's and Web PubSub's extensions read them alike."""
    text = optional_setting(environ, name)
    service_uri = optional_setting(environ, f"{name}__serviceUri")
    if text is not None and service_uri is not None:
        raise SettingsError(
            f"set {name} (a connection string) or {name}__serviceUri (Microsoft Entra ID), not both"
        )
    if service_uri is not None:
        return _identity_connection(environ, name, service_uri)
    if text is None:
        raise SettingsError(f"{name} is not set (nor {name}__serviceUri for Microsoft Entra ID)")
    try:
        return parse_connection_string(text)
    except ConnectionStringError as error:
        raise SettingsError(f"{name}: {error}") from None


def _identity_connection(
    environ: Mapping[str, str], name: str, service_uri: str
) -> ConnectionString:
    """``__credential=managedidentity`` (with ``__clientId`` for a user-assigned identity),
    or neither for ``DefaultAzureCredential``, as the extension reads them; anything it would
    quietly ignore is refused instead."""
    credential = optional_setting(environ, f"{name}__credential")
    client_id = optional_setting(environ, f"{name}__clientId")
    managed = credential is not None and credential.lower() == "managedidentity"
    if credential is not None and not managed:
        raise SettingsError(
            f"{name}__credential must be managedidentity, or unset for DefaultAzureCredential"
        )
    if client_id is not None and not managed:
        raise SettingsError(
            f"{name}__clientId names a user-assigned managed identity: "
            f"set {name}__credential=managedidentity too"
        )
    try:
        return identity_connection(service_uri, managed_identity=managed, client_id=client_id)
    except ConnectionStringError as error:
        raise SettingsError(f"{name}__serviceUri: {error}") from None
