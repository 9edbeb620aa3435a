"""Connection strings parse exactly as the service SDKs read them, and never reveal the key."""

from __future__ import annotations

import pytest

from shared.connection_string import (
    ConnectionString,
    ConnectionStringError,
    identity_connection,
    parse_connection_string,
    replace_port,
)
from shared.entra import credential_for

KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn0123="
ENDPOINT = "https://docchat.service.signalr.net"
BASIC = f"Endpoint={ENDPOINT};AccessKey={KEY};Version=1.0;"


def parse_with(extra: str) -> ConnectionString:
    return parse_connection_string(f"Endpoint={ENDPOINT};AccessKey={KEY};{extra}")


def test_the_documented_form_parses() -> None:
    parsed = parse_connection_string(BASIC)

    assert parsed.endpoint == ENDPOINT
    assert parsed.access_key == KEY
    assert parsed.version == "1.0"
    assert parsed.port is None
    assert parsed.client_endpoint is None
    assert parsed.server_endpoint is None
    assert not parsed.uses_entra_id
    assert parsed.service_url == parsed.client_url == parsed.server_url == ENDPOINT


def test_keys_ignore_case_and_keys_and_values_are_trimmed() -> None:
    parsed = parse_connection_string(
        f"  endPOINT = {ENDPOINT}/ ;  ACCESSKEY =  {KEY} ; version= 1.1 ;PORT = 8443 "
    )

    assert parsed.endpoint == ENDPOINT
    assert parsed.access_key == KEY
    assert parsed.version == "1.1"
    assert parsed.port == 8443


def test_values_are_split_on_the_first_equals_sign_only() -> None:
    key_with_padding = "c2VjcmV0IGtleSB3aXRoIHBhZGRpbmc=="

    parsed = parse_connection_string(f"Endpoint={ENDPOINT};AccessKey={key_with_padding}")

    assert parsed.access_key == key_with_padding


@pytest.mark.parametrize(
    ("written", "endpoint"),
    [
        (f"{ENDPOINT}/", ENDPOINT),
        (f"{ENDPOINT}//", ENDPOINT),
        ("http://localhost:8888/", "http://localhost:8888"),
        ("http://127.0.0.1:8888", "http://127.0.0.1:8888"),
        ("http://[::1]:8888/", "http://[::1]:8888"),
        ("https://proxy.example.org/signalr/", "https://proxy.example.org/signalr"),
        ("http://signalr_emulator:8888", "http://signalr_emulator:8888"),
        ("https://bücher.example/", "https://bücher.example"),
    ],
)
def test_endpoint_is_an_http_url_without_its_trailing_slash(written: str, endpoint: str) -> None:
    assert parse_connection_string(f"Endpoint={written};AccessKey={KEY}").endpoint == endpoint


def test_empty_parts_and_a_trailing_semicolon_are_ignored() -> None:
    parsed = parse_connection_string(f";;Endpoint={ENDPOINT};;AccessKey={KEY};; ;")

    assert parsed.endpoint == ENDPOINT


def test_version_defaults_to_1_0() -> None:
    assert parse_connection_string(f"Endpoint={ENDPOINT};AccessKey={KEY}").version == "1.0"


@pytest.mark.parametrize(
    "version", ["1.0", "1.1", "1.10", "1.0-preview", "1.0.0", "1.1_beta", "1.\u0663"]
)
def test_version_1_x_with_a_suffix_is_accepted_by_the_sdks_regex(version: str) -> None:
    """azure-signalr Common/Utilities/ConnectionStringParser.cs: ^1\\.\\d+(?:[\\w-.]+)?$ (.NET's
    \\d and \\w are Unicode-aware, as Python's are)."""
    assert parse_with(f"Version={version}").version == version


@pytest.mark.parametrize(
    "version", ["2.0", "1", "1.", "1.x", "v1.0", "0.9", "1.0 preview", "1.0+build"]
)
def test_a_version_other_than_1_x_is_refused(version: str) -> None:
    with pytest.raises(ConnectionStringError, match=r"Version must look like 1\.x"):
        parse_with(f"Version={version}")


@pytest.mark.parametrize("port", [1, 443, 65535])
def test_port_overrides_the_endpoints_port(port: int) -> None:
    parsed = parse_connection_string(
        f"Endpoint=https://docchat.service.signalr.net:9999;AccessKey={KEY};Port={port}"
    )

    assert parsed.port == port
    assert parsed.service_url == f"https://docchat.service.signalr.net:{port}"
    assert parsed.server_url == parsed.service_url


@pytest.mark.parametrize(
    "port", ["0", "65536", "-1", "+80", "80a", "\uff18\uff10", "²", "99999999"]
)
def test_a_port_outside_1_to_65535_is_refused(port: str) -> None:
    with pytest.raises(ConnectionStringError, match="Port must be a whole number from 1 to 65535"):
        parse_with(f"Port={port}")


def test_client_and_server_endpoints_override_the_endpoint_for_their_own_use() -> None:
    parsed = parse_with(
        "ClientEndpoint=https://chat.example.org/ws/;ServerEndpoint=http://10.0.0.7:8080/;Port=444"
    )

    assert parsed.client_url == "https://chat.example.org/ws"
    assert parsed.server_url == "http://10.0.0.7:8080"
    assert parsed.service_url == f"{ENDPOINT}:444"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("Endpoint", "docchat.service.signalr.net"),
        ("Endpoint", "ftp://docchat.service.signalr.net"),
        ("Endpoint", "wss://docchat.service.signalr.net"),
        ("Endpoint", "/relative/path"),
        ("Endpoint", "https://"),
        ("Endpoint", ""),
        ("Endpoint", "https://docchat .service.signalr.net"),
        ("Endpoint", "https://docchat,x=y.service.signalr.net"),
        ("Endpoint", "https://docchat.service.signalr.net:99999"),
        ("Endpoint", "https://docchat.service.signalr.net:port"),
        ("Endpoint", "https://[::1"),
        ("Endpoint", "https://user:password@docchat.service.signalr.net"),
        ("Endpoint", "https://docchat.service.signalr.net/?x=1"),
        ("Endpoint", "https://docchat.service.signalr.net/#top"),
        ("ClientEndpoint", "chat.example.org"),
        ("ClientEndpoint", "ws://chat.example.org"),
        ("ServerEndpoint", "10.0.0.7:8080"),
    ],
)
def test_a_setting_that_is_not_an_absolute_http_url_is_refused(setting: str, value: str) -> None:
    text = f"AccessKey={KEY};{setting}={value}"
    if setting != "Endpoint":
        text += f";Endpoint={ENDPOINT}"

    with pytest.raises(ConnectionStringError, match=f"^{setting} must be an absolute http"):
        parse_connection_string(text)


@pytest.mark.parametrize(
    "auth_type", ["aad", "azure", "azure.msi", "azure.app", "AAD", "Azure.MSI", "Azure.App"]
)
def test_entra_auth_types_need_no_access_key(auth_type: str) -> None:
    parsed = parse_connection_string(
        f"Endpoint={ENDPOINT};AuthType={auth_type};ClientId=app-1;TenantId=t-1;"
        "ClientSecret=s;Version=1.0"
    )

    assert parsed.uses_entra_id
    assert parsed.access_key is None
    assert parsed.client_id == "app-1"
    assert parsed.tenant_id == "t-1"


@pytest.mark.parametrize(
    "text",
    [
        f"Endpoint={ENDPOINT}",
        f"Endpoint={ENDPOINT};AccessKey=",
        f"Endpoint={ENDPOINT};AccessKey=   ",
        f"Endpoint={ENDPOINT};AuthType=basic",
        f"Endpoint={ENDPOINT};AuthType=",
    ],
)
def test_without_entra_auth_an_access_key_is_required(text: str) -> None:
    with pytest.raises(ConnectionStringError, match="no AccessKey"):
        parse_connection_string(text)


def test_an_entra_connection_string_may_still_carry_a_key() -> None:
    parsed = parse_connection_string(f"Endpoint={ENDPOINT};AuthType=aad;AccessKey={KEY}")

    assert parsed.uses_entra_id
    assert parsed.access_key == KEY


@pytest.mark.parametrize(
    "text",
    [f"AccessKey={KEY};Version=1.0", f"endpoints={ENDPOINT};AccessKey={KEY}"],
)
def test_endpoint_is_required(text: str) -> None:
    with pytest.raises(ConnectionStringError, match="no Endpoint"):
        parse_connection_string(text)


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_an_empty_connection_string_is_refused(text: str) -> None:
    with pytest.raises(ConnectionStringError, match="empty"):
        parse_connection_string(text)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (
            f"Endpoint={ENDPOINT};AccessKey={KEY};endpoint=https://other.example.org",
            "part 3 repeats the key 'endpoint'",
        ),
        (
            f"Endpoint={ENDPOINT};AccessKey={KEY};ACCESSKEY={KEY}",
            "part 3 repeats the key 'accesskey'",
        ),
        (
            f"Endpoint={ENDPOINT};AccessKey={KEY};Version=1.0; version =1.0",
            "part 4 repeats the key",
        ),
        (f"Endpoint={ENDPOINT};AccessKey={KEY};Custom=1;custom=2", "part 4 repeats an earlier key"),
    ],
)
def test_a_repeated_key_is_refused(text: str, complaint: str) -> None:
    with pytest.raises(ConnectionStringError, match=complaint):
        parse_connection_string(text)


@pytest.mark.parametrize(
    ("text", "part"),
    [
        (f"Endpoint={ENDPOINT};{KEY.rstrip('=')}", 2),
        (f"Endpoint={ENDPOINT};AccessKey={KEY};=1.0", 3),
        (f"Endpoint {ENDPOINT};AccessKey={KEY}", 1),
    ],
)
def test_a_part_without_key_and_value_is_refused_by_position(text: str, part: int) -> None:
    with pytest.raises(ConnectionStringError, match=f"part {part} is not of the form Key=Value"):
        parse_connection_string(text)


def test_unknown_keys_are_ignored() -> None:
    parsed = parse_with("Application=docchat;Foo=bar=baz")

    assert parsed == parse_connection_string(BASIC)


def test_the_error_type_is_a_value_error() -> None:
    assert issubclass(ConnectionStringError, ValueError)


@pytest.mark.parametrize(
    ("credential", "missing"),
    [
        ("TenantId=t-1;ClientSecret=s", "ClientId"),
        ("ClientId=app-1;ClientSecret=s", "TenantId"),
        ("ClientId=app-1;TenantId=t-1", "ClientSecret or ClientCert"),
        ("ClientId=;TenantId=t-1;ClientSecret=s", "ClientId"),
    ],
)
def test_azure_app_needs_its_app_registration_as_the_sdks_parser_requires(
    credential: str, missing: str
) -> None:
    """azure-signalr Common/Utilities/ConnectionStringParser.cs BuildAzureAppAccessKey."""
    with pytest.raises(ConnectionStringError, match=f"AuthType=azure.app needs {missing}"):
        parse_connection_string(f"Endpoint={ENDPOINT};AuthType=azure.app;{credential}")


def test_azure_app_may_use_a_certificate() -> None:
    parsed = parse_connection_string(
        f"Endpoint={ENDPOINT};AuthType=azure.app;ClientId=a;TenantId=t;ClientCert=/c.pem"
    )

    assert parsed.uses_entra_id


# Secrets ------------------------------------------------------------------------------------


def test_repr_and_str_hide_the_access_key_and_client_secret() -> None:
    parsed = parse_connection_string(
        f"Endpoint={ENDPOINT};AccessKey={KEY};AuthType=azure.app;ClientSecret=hunter2-secret;"
        "ClientId=app-1;TenantId=t-1"
    )

    for shown in (repr(parsed), str(parsed)):
        assert KEY not in shown
        assert "hunter2-secret" not in shown
        assert ENDPOINT in shown


@pytest.mark.parametrize(
    "text",
    [
        # A comma typed for a semicolon puts the key inside the previous value.
        f"Endpoint={ENDPOINT},AccessKey={KEY};AuthType=aad",
        f"Endpoint={ENDPOINT};AuthType=aad;Version=1.0,AccessKey={KEY}",
        f"Endpoint={ENDPOINT};AuthType=aad;Port=443,AccessKey={KEY}",
        f"Endpoint={ENDPOINT};AuthType=aad;ClientEndpoint=chat.example.org,AccessKey={KEY}",
        f"Endpoint={ENDPOINT};AuthType=aad;ServerEndpoint=ftp://x,AccessKey={KEY}",
        # The key pasted where another value belongs.
        f"Endpoint={KEY};AccessKey={KEY}",
        f"Endpoint={ENDPOINT};AccessKey={KEY};Version={KEY}",
        f"Endpoint={ENDPOINT};AccessKey={KEY};Port={KEY}",
        f"Endpoint={ENDPOINT};AccessKey={KEY};AccessKey={KEY}",
        f"Endpoint={ENDPOINT};{KEY}",
        f"Endpoint={ENDPOINT};AccessKey={KEY};{KEY};{KEY}",
        f"Endpoint={ENDPOINT};AccessKey={KEY};{KEY.rstrip('=')}",
        f"AccessKey={KEY}",
    ],
)
def test_an_error_never_contains_the_key(text: str) -> None:
    with pytest.raises(ConnectionStringError) as raised:
        parse_connection_string(text)

    assert KEY not in str(raised.value)
    assert KEY not in repr(raised.value)
    assert KEY.lower() not in str(raised.value).lower()


# replace_port -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "port", "expected"),
    [
        ("https://h.example.org/client/?hub=chat", None, "https://h.example.org/client/?hub=chat"),
        ("https://h.example.org:8443/client/?hub=a", None, "https://h.example.org/client/?hub=a"),
        ("http://h.example.org:80/api", 8080, "http://h.example.org:8080/api"),
        ("http://[::1]:80/x", 81, "http://[::1]:81/x"),
    ],
)
def test_replace_port_sets_or_removes_the_port(url: str, port: int | None, expected: str) -> None:
    assert replace_port(url, port) == expected


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Endpoint=https://x;AuthType=azure.msi;ClientId=abc", "ManagedIdentityCredential"),
        ("Endpoint=https://x;AuthType=aad", "DefaultAzureCredential"),
        ("Endpoint=https://x;AuthType=azure", "DefaultAzureCredential"),
        (
            "Endpoint=https://x;AuthType=azure.app;ClientId=c;TenantId=t;ClientSecret=s",
            "ClientSecretCredential",
        ),
    ],
)
def test_an_entra_connection_names_its_credential_as_the_sdks_parser_builds_it(
    text: str, kind: str
) -> None:
    assert type(credential_for(parse_connection_string(text))).__name__ == kind


def test_the_identity_based_settings_form_is_a_connection_without_a_key() -> None:
    connection = identity_connection("https://x/", managed_identity=True, client_id="abc")

    assert (connection.endpoint, connection.uses_entra_id, connection.access_key) == (
        "https://x",
        True,
        None,
    )
    assert type(credential_for(connection)).__name__ == "ManagedIdentityCredential"
