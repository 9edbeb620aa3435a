"""Azure Web PubSub's settings (``DOCCHAT_REALTIME=webpubsub``), named as the Functions
Web PubSub extension names them, read once at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chat.settings import AuthMode, optional_setting
from realtime.settings import Delivery, delivery_setting, service_connection
from shared.connection_string import ConnectionString

__all__ = [
    "WEBPUBSUB_CONNECTION_SETTING",
    "WEBPUBSUB_HUB_SETTING",
    "WebPubSubSettings",
    "load_webpubsub_settings",
]

#: The extension's default connection setting and hub setting.
WEBPUBSUB_CONNECTION_SETTING = "WebPubSubConnectionString"
WEBPUBSUB_HUB_SETTING = "WebPubSubHub"
DEFAULT_HUB = "documents"


@dataclass(frozen=True)
class WebPubSubSettings:
    """The mode, the hub, and (REST mode) the connection: an AccessKey, or Microsoft Entra
    ID through the extension's identity-based settings."""

    mode: Delivery
    hub: str = DEFAULT_HUB
    connection: ConnectionString | None = field(default=None, repr=False)


def load_webpubsub_settings(environ: Mapping[str, str], auth: AuthMode) -> WebPubSubSettings:
    """Read and check the Web PubSub settings; ``auth`` is chat's, which bindings mode needs."""
    mode = delivery_setting(environ, "DOCCHAT_WEBPUBSUB_MODE", auth)
    hub = optional_setting(environ, WEBPUBSUB_HUB_SETTING) or DEFAULT_HUB
    if mode is Delivery.BINDINGS:
        return WebPubSubSettings(mode, hub)
    # Web PubSub connection strings have SignalR's shape (Endpoint, AccessKey, Port, AuthType).
    return WebPubSubSettings(mode, hub, service_connection(environ, WEBPUBSUB_CONNECTION_SETTING))
