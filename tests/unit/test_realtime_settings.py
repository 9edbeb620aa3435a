"""The real-time backend's settings: valid ones load, invalid ones fail with one clear,
secret-free message."""

from __future__ import annotations

import pytest

from chat.settings import AuthMode, SettingsError
from realtime import load_backend
from realtime.settings import SignalRMode, load_realtime_settings
from realtime.signalr_bindings import SignalRBindings
from realtime.signalr_rest import SignalRRest

ACCESS_KEY = "realtime-settings-test-key-0123456789abcdef"
VALID = {"AzureSignalRConnectionString": f"Endpoint=http://127.0.0.1:8888;AccessKey={ACCESS_KEY};"}


def test_rest_mode_is_the_default_and_reads_the_connection_string() -> None:
    settings = load_realtime_settings(VALID, AuthMode.DEV)

    assert settings.signalr_mode is SignalRMode.REST
    assert settings.connection is not None
    assert ACCESS_KEY not in repr(settings)
    assert isinstance(load_backend(VALID, AuthMode.DEV), SignalRRest)


def test_bindings_mode_needs_no_connection_string() -> None:
    environ = {"DOCCHAT_SIGNALR_MODE": "Bindings"}

    settings = load_realtime_settings(environ, AuthMode.APPSERVICE)

    assert (settings.signalr_mode, settings.connection) == (SignalRMode.BINDINGS, None)
    assert isinstance(load_backend(environ, AuthMode.APPSERVICE), SignalRBindings)


@pytest.mark.parametrize(
    ("changes", "auth", "says"),
    [
        (
            {"DOCCHAT_SIGNALR_MODE": "ws"},
            AuthMode.DEV,
            "DOCCHAT_SIGNALR_MODE must be rest or bindings",
        ),
        (
            {"DOCCHAT_SIGNALR_MODE": "bindings"},
            AuthMode.JWT,
            "it needs DOCCHAT_AUTH=appservice or dev",
        ),
        (
            {"AzureSignalRConnectionString": ""},
            AuthMode.DEV,
            "AzureSignalRConnectionString is not set",
        ),
        (
            {"AzureSignalRConnectionString": "Endpoint=ftp://x;AccessKey=k"},
            AuthMode.DEV,
            "AzureSignalRConnectionString: Endpoint must be an absolute http",
        ),
        (
            {"AzureSignalRConnectionString": "Endpoint=https://x;AuthType=azure.msi"},
            AuthMode.DEV,
            "has no AccessKey: DOCCHAT_SIGNALR_MODE=rest signs client tokens with it",
        ),
    ],
)
def test_invalid_settings_fail_with_a_message_naming_the_setting(
    changes: dict[str, str], auth: AuthMode, says: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_realtime_settings({**VALID, **changes}, auth)

    assert says in str(raised.value)
    assert ACCESS_KEY not in str(raised.value)
