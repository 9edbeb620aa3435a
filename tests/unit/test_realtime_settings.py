"""The real-time backend's settings: valid ones load, invalid ones fail with one clear,
secret-free message."""

from __future__ import annotations

import re

import pytest

from chat.settings import AuthMode, SettingsError
from devstack.emulator_core.upstream_rules import parse_upstream_rule
from realtime import load_backend
from realtime.settings import Delivery, load_realtime_settings
from realtime.signalr_bindings import SignalRBindings
from realtime.signalr_rest import SignalRRest
from realtime.upstream_auth import load_upstream_check
from realtime.webpubsub_bindings import WebPubSubBindings
from realtime.webpubsub_rest import WebPubSubRest
from realtime.webpubsub_settings import load_webpubsub_settings
from shared.connection_string import ConnectionString

ACCESS_KEY = "realtime-settings-test-key-0123456789abcdef"
VALID = {"AzureSignalRConnectionString": f"Endpoint=http://127.0.0.1:8888;AccessKey={ACCESS_KEY};"}


def test_rest_mode_is_the_default_and_reads_the_connection_string() -> None:
    settings = load_realtime_settings(VALID, AuthMode.DEV)

    assert settings.mode is Delivery.REST
    assert settings.connection is not None
    assert ACCESS_KEY not in repr(settings)
    assert isinstance(load_backend(VALID, AuthMode.DEV), SignalRRest)


def test_bindings_mode_needs_no_connection_string() -> None:
    environ = {"DOCCHAT_SIGNALR_MODE": "Bindings"}

    settings = load_realtime_settings(environ, AuthMode.APPSERVICE)

    assert (settings.mode, settings.connection) == (Delivery.BINDINGS, None)
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
            {"AzureSignalRConnectionString__serviceUri": "https://x.service.signalr.net"},
            AuthMode.DEV,
            "set AzureSignalRConnectionString (a connection string) or "
            "AzureSignalRConnectionString__serviceUri (Microsoft Entra ID), not both",
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


IDENTITY = {
    "AzureSignalRConnectionString__serviceUri": "https://sigr-x.service.signalr.net/",
    "AzureSignalRConnectionString__credential": "ManagedIdentity",
    "AzureSignalRConnectionString__clientId": "0b0c0d0e-client-id",
}


def keyless(environ: dict[str, str]) -> ConnectionString:
    connection = load_realtime_settings(environ, AuthMode.JWT).connection
    assert connection is not None
    return connection


def test_the_extensions_identity_based_settings_name_a_user_assigned_managed_identity() -> None:
    connection = keyless(IDENTITY)

    assert connection.uses_entra_id
    assert (connection.endpoint, connection.access_key) == (
        "https://sigr-x.service.signalr.net",
        None,
    )
    assert (connection.auth_type, connection.client_id) == ("azure.msi", "0b0c0d0e-client-id")


def test_a_service_uri_alone_means_default_azure_credential_as_in_the_extension() -> None:
    connection = keyless({"AzureSignalRConnectionString__serviceUri": "https://x"})

    assert (connection.auth_type, connection.client_id) == ("azure", None)


def test_an_authtype_connection_string_is_keyless_too() -> None:
    text = "Endpoint=https://x;AuthType=azure.msi;ClientId=abc"
    connection = keyless({"AzureSignalRConnectionString": text})

    assert (connection.uses_entra_id, connection.client_id) == (True, "abc")


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        (
            {"AzureSignalRConnectionString__credential": "clientsecret"},
            "__credential must be managedidentity, or unset for DefaultAzureCredential",
        ),
        (
            {"AzureSignalRConnectionString__credential": ""},
            "__clientId names a user-assigned managed identity: set "
            "AzureSignalRConnectionString__credential=managedidentity too",
        ),
        (
            {"AzureSignalRConnectionString__serviceUri": "sigr-x.service.signalr.net"},
            "AzureSignalRConnectionString__serviceUri: serviceUri must be an absolute http",
        ),
        (
            {"AzureSignalRConnectionString__serviceUri": " "},
            "AzureSignalRConnectionString is not set (nor "
            "AzureSignalRConnectionString__serviceUri for Microsoft Entra ID)",
        ),
    ],
)
def test_identity_settings_the_extension_would_ignore_or_misread_are_refused(
    changes: dict[str, str], says: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_realtime_settings({**IDENTITY, **changes}, AuthMode.DEV)

    assert says in str(raised.value)


WEB_PUBSUB = {
    "DOCCHAT_REALTIME": "webpubsub",
    "WebPubSubConnectionString": f"Endpoint=http://127.0.0.1:8888;AccessKey={ACCESS_KEY};",
}


def test_web_pubsub_is_chosen_by_setting_with_rest_mode_and_hub_documents_by_default() -> None:
    settings = load_webpubsub_settings(WEB_PUBSUB, AuthMode.DEV)

    assert (settings.mode, settings.hub) == (Delivery.REST, "documents")
    assert settings.connection is not None
    assert settings.connection.access_key == ACCESS_KEY
    assert ACCESS_KEY not in repr(settings)
    assert isinstance(load_backend(WEB_PUBSUB, AuthMode.DEV), WebPubSubRest)


def test_web_pubsub_reads_the_extensions_identity_based_settings_too() -> None:
    environ = {
        "DOCCHAT_REALTIME": "webpubsub",
        "WebPubSubConnectionString__serviceUri": "https://wps-x.webpubsub.azure.com",
        "WebPubSubConnectionString__credential": "managedidentity",
        "WebPubSubConnectionString__clientId": "client-id",
        "WebPubSubHub": "chat",
    }

    settings = load_webpubsub_settings(environ, AuthMode.APPSERVICE)

    assert settings.hub == "chat"
    assert settings.connection == ConnectionString(
        endpoint="https://wps-x.webpubsub.azure.com", auth_type="azure.msi", client_id="client-id"
    )


def test_web_pubsub_bindings_mode_needs_no_connection() -> None:
    environ = {"DOCCHAT_REALTIME": "webpubsub", "DOCCHAT_WEBPUBSUB_MODE": "bindings"}

    assert isinstance(load_backend(environ, AuthMode.APPSERVICE), WebPubSubBindings)


@pytest.mark.parametrize(
    ("changes", "auth", "says"),
    [
        ({"DOCCHAT_REALTIME": "pusher"}, AuthMode.DEV, "DOCCHAT_REALTIME must be signalr or"),
        ({"DOCCHAT_WEBPUBSUB_MODE": "bindings"}, AuthMode.JWT, "DOCCHAT_WEBPUBSUB_MODE=rest"),
        ({"WebPubSubConnectionString": ""}, AuthMode.DEV, "WebPubSubConnectionString is not set"),
        (
            {"WebPubSubConnectionString__serviceUri": "https://wps-x.webpubsub.azure.com"},
            AuthMode.DEV,
            "set WebPubSubConnectionString (a connection string) or",
        ),
    ],
)
def test_invalid_web_pubsub_settings_fail_with_a_message_naming_the_setting(
    changes: dict[str, str], auth: AuthMode, says: str
) -> None:
    with pytest.raises(SettingsError, match=re.escape(says)) as refused:
        load_backend({**WEB_PUBSUB, **changes}, auth)

    assert ACCESS_KEY not in str(refused.value)


def test_upstream_token_checks_need_one_key_source_and_are_for_signalr_only() -> None:
    assert load_upstream_check({}) is None
    partial = {"DOCCHAT_UPSTREAM_AUDIENCE": "api://x", "DOCCHAT_UPSTREAM_ISSUER": "https://i/"}
    with pytest.raises(SettingsError, match="DOCCHAT_UPSTREAM_JWKS_URL"):
        load_upstream_check(partial)
    keyed = partial | {"DOCCHAT_UPSTREAM_JWKS_URL": "https://login.example/keys"}
    assert load_upstream_check(keyed) is not None
    with pytest.raises(SettingsError, match="SignalR"):
        load_upstream_check(keyed | {"DOCCHAT_REALTIME": "webpubsub"})
    # A shared secret would let whoever reads app settings sign events: not offered.
    with pytest.raises(SettingsError):
        load_upstream_check(partial | {"DOCCHAT_UPSTREAM_SECRET": "s" * 40})


def test_an_upstream_rule_may_name_the_resource_its_token_is_for() -> None:
    rule = parse_upstream_rule("http://127.0.0.1:1/hook event=connected auth=api://docchat")
    assert (rule.auth_resource, rule.events) == ("api://docchat", frozenset({"connected"}))
    assert parse_upstream_rule("http://127.0.0.1:1/hook").auth_resource is None
