"""The real-time backend's settings, read once at start-up next to chat's.

Every rule about a valid backend configuration lives here, so a wrong setting stops the app
when it loads, with one message naming the setting and never a secret's value.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from chat.settings import AuthMode, SettingsError, required_setting, setting_choice
from signalr.connection_string import (
    ConnectionString,
    ConnectionStringError,
    parse_connection_string,
)

__all__ = [
    "HUB",
    "SIGNALR_CONNECTION_SETTING",
    "RealtimeSettings",
    "SignalRMode",
    "load_realtime_settings",
]

#: The one hub docchat uses.
HUB = "documents"
#: The app setting holding the SignalR connection string (the Functions extension's default).
SIGNALR_CONNECTION_SETTING = "AzureSignalRConnectionString"


class SignalRMode(enum.StrEnum):
    """How docchat talks to SignalR (``DOCCHAT_SIGNALR_MODE``)."""

    REST = "rest"
    BINDINGS = "bindings"


@dataclass(frozen=True)
class RealtimeSettings:
    """The backend and how to reach it; ``connection`` only in REST mode (it signs tokens)."""

    signalr_mode: SignalRMode
    connection: ConnectionString | None = field(default=None, repr=False)


def load_realtime_settings(environ: Mapping[str, str], auth: AuthMode) -> RealtimeSettings:
    """Read and check the backend settings; ``auth`` is chat's, which some modes need."""
    mode = setting_choice(environ, "DOCCHAT_SIGNALR_MODE", SignalRMode, default=SignalRMode.REST)
    if mode is SignalRMode.BINDINGS:
        if auth is AuthMode.JWT:
            raise SettingsError(
                "DOCCHAT_SIGNALR_MODE=bindings takes the SignalR user id from a request header "
                "that the Functions host reads before docchat runs, so it needs DOCCHAT_AUTH="
                "appservice or dev; with DOCCHAT_AUTH=jwt use DOCCHAT_SIGNALR_MODE=rest"
            )
        return RealtimeSettings(mode)
    return RealtimeSettings(mode, _signalr_connection(environ))


def _signalr_connection(environ: Mapping[str, str]) -> ConnectionString:
    name = SIGNALR_CONNECTION_SETTING
    try:
        connection = parse_connection_string(required_setting(environ, name))
    except ConnectionStringError as error:
        raise SettingsError(f"{name}: {error}") from None
    if connection.access_key is None:
        raise SettingsError(
            f"{name} has no AccessKey: DOCCHAT_SIGNALR_MODE=rest signs client tokens with it; "
            "with Microsoft Entra ID use DOCCHAT_SIGNALR_MODE=bindings"
        )
    return connection
