"""Settings: valid environments load, invalid ones fail with one clear, secret-free message."""

from __future__ import annotations

import pytest

from chat.settings import AccessMode, AuthMode, SettingsError, load_settings

ACCESS_KEY = "settings-test-access-key-0123456789abcdef"
JWT_SECRET = "a-jwt-secret-that-is-long-enough-for-hs256!"
VALID = {
    "DOCCHAT_AUTH": "dev",
    "DOCCHAT_ACCESS": "open",
    "AzureSignalRConnectionString": f"Endpoint=http://127.0.0.1:8888;AccessKey={ACCESS_KEY};",
}
JWT = {
    "DOCCHAT_AUTH": "jwt",
    "DOCCHAT_JWT_ISSUER": "https://issuer.example",
    "DOCCHAT_JWT_AUDIENCE": "docchat",
    "DOCCHAT_JWT_SECRET": JWT_SECRET,
}


def test_defaults_fill_in_what_is_optional() -> None:
    settings = load_settings(VALID)

    assert settings.auth is AuthMode.DEV
    assert settings.max_message_length == 4000
    assert (settings.posts_per_minute, settings.post_burst) == (60, 20)
    assert settings.jwt is None


def test_members_mode_and_the_posting_rate_are_read() -> None:
    environ = {
        **VALID,
        "DOCCHAT_ACCESS": "Members",
        "DOCCHAT_POSTS_PER_MINUTE": "0",
        "DOCCHAT_POST_BURST": "5",
    }

    settings = load_settings(environ)

    assert settings.access is AccessMode.MEMBERS
    assert (settings.posts_per_minute, settings.post_burst) == (0, 5)


def test_appservice_mode_runs_in_azure_only_behind_app_service_authentication() -> None:
    in_azure = {**VALID, "DOCCHAT_AUTH": "appservice", "WEBSITE_INSTANCE_ID": "abc"}

    assert load_settings({**in_azure, "WEBSITE_AUTH_ENABLED": "True"}).auth is AuthMode.APPSERVICE
    with pytest.raises(SettingsError, match="App Service Authentication"):
        load_settings(in_azure)
    with pytest.raises(SettingsError, match="App Service Authentication"):
        load_settings({**in_azure, "WEBSITE_AUTH_ENABLED": "False"})


def test_appservice_mode_refuses_to_start_outside_app_service() -> None:
    # Issue 26, finding 5: the only guard was WEBSITE_INSTANCE_ID, so any other host (a
    # container, another cloud, a laptop) trusted forged principal headers.
    with pytest.raises(SettingsError, match="nothing proves it is on"):
        load_settings({**VALID, "DOCCHAT_AUTH": "appservice"})


def test_a_jwks_url_on_loopback_may_be_plain_http() -> None:
    environ = {**VALID, **JWT, "DOCCHAT_JWT_SECRET": ""}

    jwt = load_settings({**environ, "DOCCHAT_JWT_JWKS_URL": "http://127.0.0.1:9/keys"}).jwt

    assert jwt is not None
    assert jwt.jwks_url == "http://127.0.0.1:9/keys"


def test_secrets_stay_out_of_repr() -> None:
    text = repr(load_settings({**VALID, **JWT}))

    for secret in (ACCESS_KEY, JWT_SECRET):
        assert secret not in text


def test_jwt_mode_reads_its_settings() -> None:
    jwt = load_settings({**VALID, **JWT}).jwt

    assert jwt is not None
    assert (jwt.issuer, jwt.audience, jwt.algorithm) == (
        "https://issuer.example",
        "docchat",
        "HS256",
    )


def test_a_public_key_means_rs256_and_its_escaped_newlines_are_restored() -> None:
    key = "-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----"
    environ = {**VALID, **JWT, "DOCCHAT_JWT_SECRET": "", "DOCCHAT_JWT_PUBLIC_KEY": key}

    jwt = load_settings(environ).jwt

    assert jwt is not None
    assert jwt.algorithm == "RS256"
    assert jwt.public_key == "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"DOCCHAT_AUTH": ""}, "DOCCHAT_AUTH is not set: set it to appservice or jwt or dev"),
        ({"DOCCHAT_AUTH": "open"}, "DOCCHAT_AUTH must be appservice or jwt or dev, got 'open'"),
        ({"DOCCHAT_ACCESS": ""}, "DOCCHAT_ACCESS is not set: set it to open or members"),
        ({"DOCCHAT_ACCESS": "all"}, "DOCCHAT_ACCESS must be open or members, got 'all'"),
        ({"DOCCHAT_POSTS_PER_MINUTE": "-1"}, "DOCCHAT_POSTS_PER_MINUTE must be a whole number"),
        ({"DOCCHAT_POST_BURST": "0"}, "DOCCHAT_POST_BURST must be a whole number from 1"),
        (
            {"DOCCHAT_AUTH": "appservice", "WEBSITE_INSTANCE_ID": "abc"},
            "App Service Authentication makes trustworthy, but nothing proves it is on",
        ),
        ({"WEBSITE_INSTANCE_ID": "abc"}, "running in Azure (WEBSITE_INSTANCE_ID is set)"),
        ({"DOCCHAT_MAX_MESSAGE_LENGTH": "0"}, "DOCCHAT_MAX_MESSAGE_LENGTH must be a whole number"),
        ({"DOCCHAT_MAX_MESSAGE_LENGTH": "4k"}, "DOCCHAT_MAX_MESSAGE_LENGTH must be a whole number"),
        ({**JWT, "DOCCHAT_JWT_ISSUER": ""}, "DOCCHAT_JWT_ISSUER is not set"),
        ({**JWT, "DOCCHAT_JWT_SECRET": ""}, "needs exactly one of DOCCHAT_JWT_SECRET"),
        (
            {**JWT, "DOCCHAT_JWT_JWKS_URL": "https://issuer.example/keys"},
            "DOCCHAT_JWT_SECRET and DOCCHAT_JWT_JWKS_URL are set",
        ),
        ({**JWT, "DOCCHAT_JWT_SECRET": "short"}, "DOCCHAT_JWT_SECRET must be at least 32 bytes"),
        (
            {**JWT, "DOCCHAT_JWT_SECRET": "", "DOCCHAT_JWT_JWKS_URL": "http://issuer.example/k"},
            "DOCCHAT_JWT_JWKS_URL must be https",
        ),
        (
            {**JWT, "DOCCHAT_JWT_SECRET": "", "DOCCHAT_JWT_PUBLIC_KEY": "ssh-rsa AAAA"},
            "DOCCHAT_JWT_PUBLIC_KEY must be a PEM public key",
        ),
    ],
)
def test_invalid_settings_fail_with_a_message_naming_the_setting(
    changes: dict[str, str], says: str
) -> None:
    with pytest.raises(SettingsError) as raised:
        load_settings({**VALID, **changes})

    message = str(raised.value)
    assert says in message
    for secret in (ACCESS_KEY, JWT_SECRET, "short"):
        assert secret not in message


@pytest.mark.parametrize(
    ("value", "sources"),
    [
        (None, ("'self'",)),
        ("'none'", ("'none'",)),
        (
            "'self'  https://docs.example.com http://127.0.0.1:8000 https://*.example.org:8443",
            (
                "'self'",
                "https://docs.example.com",
                "http://127.0.0.1:8000",
                "https://*.example.org:8443",
            ),
        ),
    ],
)
def test_the_panel_s_framers_are_read_as_csp_sources(
    value: str | None, sources: tuple[str, ...]
) -> None:
    environ = VALID if value is None else {**VALID, "DOCCHAT_FRAME_ANCESTORS": value}

    assert load_settings(environ).frame_ancestors == sources


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "https:",
        "docs.example.com",
        "https://a.example.com/",
        "'self';script-src *",
        "'unsafe-inline'",
    ],
)
def test_a_framer_that_is_no_origin_is_refused_by_name(value: str) -> None:
    with pytest.raises(SettingsError, match="DOCCHAT_FRAME_ANCESTORS must be"):
        load_settings({**VALID, "DOCCHAT_FRAME_ANCESTORS": value})
