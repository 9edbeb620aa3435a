"""The Cosmos DB store's settings: defaults fill in, bad values fail naming the setting and
no secret, and the key stays out of repr."""

from __future__ import annotations

import pytest

from chat.settings import SettingsError
from storage.cosmos.settings import load_cosmos_settings

VALID = {"COSMOS_ENDPOINT": "https://127.0.0.1:8081", "COSMOS_KEY": "cosmos-key-value"}


def test_defaults_fill_in_what_is_optional() -> None:
    settings = load_cosmos_settings(VALID)

    assert (settings.database, settings.container) == ("docchat", "messages")
    assert settings.message_ttl_seconds is None


def test_the_message_time_to_live_is_read_in_days() -> None:
    settings = load_cosmos_settings({**VALID, "DOCCHAT_MESSAGE_TTL_DAYS": "2"})

    assert settings.message_ttl_seconds == 2 * 86_400


def test_notifications_live_90_days_in_their_own_container_unless_set() -> None:
    default = load_cosmos_settings(VALID)
    kept = load_cosmos_settings({**VALID, "DOCCHAT_NOTIFICATION_TTL_DAYS": "0"})
    named = load_cosmos_settings(
        {**VALID, "COSMOS_NOTIFICATIONS_CONTAINER": "inbox", "DOCCHAT_NOTIFICATION_TTL_DAYS": "7"}
    )

    assert (default.notifications_container, default.notification_ttl_seconds) == (
        "notifications",
        90 * 86_400,
    )
    assert kept.notification_ttl_seconds == -1  # on, never expiring
    assert (named.notifications_container, named.notification_ttl_seconds) == ("inbox", 7 * 86_400)


def test_without_a_key_the_store_uses_microsoft_entra_id() -> None:
    assert load_cosmos_settings({"COSMOS_ENDPOINT": VALID["COSMOS_ENDPOINT"]}).key is None


def test_the_key_stays_out_of_repr() -> None:
    assert "cosmos-key-value" not in repr(load_cosmos_settings(VALID))


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"COSMOS_ENDPOINT": ""}, "COSMOS_ENDPOINT is not set"),
        ({"COSMOS_ENDPOINT": "localhost:8081"}, "COSMOS_ENDPOINT must be an absolute http"),
        ({"DOCCHAT_MESSAGE_TTL_DAYS": "24856"}, "DOCCHAT_MESSAGE_TTL_DAYS must be a whole number"),
        (
            {"DOCCHAT_NOTIFICATION_TTL_DAYS": "-1"},
            "DOCCHAT_NOTIFICATION_TTL_DAYS must be a whole number",
        ),
    ],
)
def test_invalid_settings_fail_with_a_message_naming_the_setting(
    changes: dict[str, str], says: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_cosmos_settings({**VALID, **changes})

    assert says in str(raised.value)
    assert "cosmos-key-value" not in str(raised.value)
