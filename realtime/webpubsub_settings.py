"""Azure Web PubSub's settings (``DOCCHAT_REALTIME=webpubsub``), named as the Functions
Web PubSub extension names them, read once at start-up."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from chat.settings import AuthMode, SettingsError, optional_setting, setting_choice
from realtime.settings import service_connection
from shared.connection_string import ConnectionString

__all__ = [
    "WEBPUBSUB_CONNECTION_SETTING",
    "WEBPUBSUB_HUB_SETTING",
    "WebPubSubMode",
    "WebPubSubSettings",
    "load_webpubsub_settings",
]

#: The extension's default connection setting and hub setting.
WEBPUBSUB_CONNECTION_SETTING = "WebPubSubConnectionString"
WEBPUBSUB_HUB_SETTING = "WebPubSubHub"
DEFAULT_HUB = "documents"


class WebPubSubMode(enum.StrEnum):
    """How docchat talks to Web PubSub (``DOCCHAT_WEBPUBSUB_MODE``)."""

    REST = "rest"
    BINDINGS = "bindings"


@dataclass(frozen=True)
class WebPubSubSettings:
    """The mode, the hub, and (REST mode) the connection: an AccessKey, or Microsoft Entra
    ID through the extension's identity-based settings."""

    mode: WebPubSubMode
    hub: str = DEFAULT_HUB
    connection: ConnectionString | None = field(default=None, repr=False)


def load_webpubsub_settings(environ: Mapping[str, str], auth: AuthMode) -> WebPubSubSettings:
    """Read and check the Web PubSub settings; ``auth`` is chat's, which bindings mode needs."""
    mode = setting_choice(
        environ, "DOCCHAT_WEBPUBSUB_MODE", WebPubSubMode, default=WebPubSubMode.REST
    )
    hub = optional_setting(environ, WEBPUBSUB_HUB_SETTING) or DEFAULT_HUB
    if mode is WebPubSubMode.BINDINGS:
        if auth is AuthMode.JWT:
            raise SettingsError(
                "DOCCHAT_WEBPUBSUB_MODE=bindings takes the user id from a request header the "
                "Functions host reads before docchat runs, so it needs DOCCHAT_AUTH=appservice "
                "or dev; with DOCCHAT_AUTH=jwt use DOCCHAT_WEBPUBSUB_MODE=rest"
            )
        return WebPubSubSettings(mode, hub)
    # Web PubSub connection strings have SignalR's shape (Endpoint, AccessKey, Port, AuthType).
    return WebPubSubSettings(mode, hub, service_connection(environ, WEBPUBSUB_CONNECTION_SETTING))
