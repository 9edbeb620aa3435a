"""Where the Cosmos DB store is (``COSMOS_*``) and how long messages and notifications live
there (``DOCCHAT_MESSAGE_TTL_DAYS``, ``DOCCHAT_NOTIFICATION_TTL_DAYS``), read once at
start-up with :mod:`chat.settings`' helpers.

Only the standard library is imported: a cold start that never touches the store pays
nothing for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chat.settings import optional_setting, url_setting, whole_number_setting

__all__ = ["CosmosSettings", "load_cosmos_settings"]

#: Cosmos DB's largest item time to live is 2^31 - 1 seconds: just over 24 855 days.
MAX_MESSAGE_TTL_DAYS = 24_855
#: An inbox keeps what is about three months old: older news is history, not notice.
DEFAULT_NOTIFICATION_TTL_DAYS = 90


@dataclass(frozen=True)
class CosmosSettings:
    """The account, database and containers, and the key (None: Microsoft Entra ID)."""

    endpoint: str
    key: str | None = field(default=None, repr=False)
    database: str = "docchat"
    container: str = "messages"
    #: Messages expire this many days after their last write (0: kept for ever).
    message_ttl_days: int = 0
    #: The users' notifications (partitioned by user), and how many days each lives (0:
    #: for ever).
    notifications_container: str = "notifications"
    notification_ttl_days: int = DEFAULT_NOTIFICATION_TTL_DAYS

    @property
    def notification_ttl_seconds(self) -> int:
        """The notifications container's default time to live (-1: on, never expiring)."""
        return self.notification_ttl_days * 86_400 or -1

    @property
    def message_ttl_seconds(self) -> int | None:
        """The ``ttl`` each message item carries, or None when messages never expire."""
        return self.message_ttl_days * 86_400 or None


def load_cosmos_settings(environ: Mapping[str, str]) -> CosmosSettings:
    """Read and check the store's settings; :class:`~chat.settings.SettingsError` if invalid."""
    return CosmosSettings(
        endpoint=url_setting(environ, "COSMOS_ENDPOINT"),
        key=optional_setting(environ, "COSMOS_KEY"),
        database=optional_setting(environ, "COSMOS_DATABASE") or "docchat",
        container=optional_setting(environ, "COSMOS_CONTAINER") or "messages",
        message_ttl_days=whole_number_setting(
            environ, "DOCCHAT_MESSAGE_TTL_DAYS", 0, 0, MAX_MESSAGE_TTL_DAYS
        ),
        notifications_container=optional_setting(environ, "COSMOS_NOTIFICATIONS_CONTAINER")
        or "notifications",
        notification_ttl_days=whole_number_setting(
            environ,
            "DOCCHAT_NOTIFICATION_TTL_DAYS",
            DEFAULT_NOTIFICATION_TTL_DAYS,
            0,
            MAX_MESSAGE_TTL_DAYS,
        ),
    )
