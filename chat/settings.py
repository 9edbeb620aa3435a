"""docchat's settings, read from the environment once at start-up.

Every rule about what a valid configuration is lives here, so a wrong setting stops the app
when it loads, with one message naming the setting, instead of failing the first request.
Messages name settings and allowed values, never a secret's value. Only the standard library
is imported: this runs on every cold start. The real-time backend's settings are
:mod:`realtime.settings`'s, the store's :mod:`storage.cosmos.settings`', read with the same
helpers.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

__all__ = [
    "LOOPBACK_HOSTS",
    "AccessMode",
    "AuthMode",
    "JwtSettings",
    "Settings",
    "SettingsError",
    "frame_ancestors_setting",
    "load_settings",
    "optional_setting",
    "required_setting",
    "retry_schedule_setting",
    "setting_choice",
    "token_issuer_settings",
    "url_setting",
    "whole_number_setting",
]

DEFAULT_MAX_MESSAGE_LENGTH = 4000
#: Above this a message no longer fits comfortably in one SignalR frame or Cosmos item.
MAX_MAX_MESSAGE_LENGTH = 100_000
#: Posting allowance per user and instance: a steady rate plus a burst, enough for a person
#: typing fast and pasting, far below what a script needs to flood a document.
DEFAULT_POSTS_PER_MINUTE = 60
DEFAULT_POST_BURST = 20
#: Seconds between a webhook delivery's tries (``DOCCHAT_WEBHOOK_RETRY_SCHEDULE``): the
#: Standard Webhooks guidance's example schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
#: 10 h), so 8 tries over about 27.6 hours.
DEFAULT_WEBHOOK_RETRY_SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
#: A queue message stays hidden at most 7 days (Azure Storage queues' visibility limit).
MAX_WEBHOOK_RETRY_DELAY = 7 * 24 * 3600
MAX_WEBHOOK_RETRIES = 20
#: HS256 keys shorter than the hash are guessable; PyJWT warns below this too.
MIN_JWT_SECRET_BYTES = 32
#: Who may show the embeddable panel (``/embed``) in a frame, by default: the app's own pages.
DEFAULT_FRAME_ANCESTORS = ("'self'",)
#: A source of CSP's frame-ancestors that docchat accepts: an http(s) origin, a host's
#: subdomains written ``*.``, with an optional port; nothing with a path, a quote or a ``;``.
_FRAME_ANCESTOR = re.compile(r"https?://(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?")

_Choice = TypeVar("_Choice", bound=enum.StrEnum)
#: Hosts on this machine: the only ones plain http may carry keys or tokens to.
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class SettingsError(ValueError):
    """The configuration is invalid; the message names the setting and what is wrong."""


class AuthMode(enum.StrEnum):
    """How a caller's identity is established (``DOCCHAT_AUTH``)."""

    APPSERVICE = "appservice"
    JWT = "jwt"
    DEV = "dev"


@dataclass(frozen=True)
class JwtSettings:
    """How bearer tokens are checked in ``jwt`` mode: exactly one key source is set."""

    issuer: str
    audience: str
    secret: str | None = field(default=None, repr=False)
    public_key: str | None = field(default=None, repr=False)
    jwks_url: str | None = None

    @property
    def algorithm(self) -> str:
        """HS256 for a shared secret, RS256 for a public key or a JWKS."""
        return "HS256" if self.secret is not None else "RS256"


class AccessMode(enum.StrEnum):
    """Who may see which document (``DOCCHAT_ACCESS``)."""

    OPEN = "open"
    MEMBERS = "members"


@dataclass(frozen=True)
class Settings:
    """Everything docchat reads from its environment. Safe to log: secrets stay out of repr."""

    auth: AuthMode
    access: AccessMode = AccessMode.OPEN
    max_message_length: int = DEFAULT_MAX_MESSAGE_LENGTH
    posts_per_minute: int = DEFAULT_POSTS_PER_MINUTE
    post_burst: int = DEFAULT_POST_BURST
    jwt: JwtSettings | None = None
    webhook_retry_schedule: tuple[float, ...] = DEFAULT_WEBHOOK_RETRY_SCHEDULE
    #: The sources of the panel's CSP ``frame-ancestors`` (``DOCCHAT_FRAME_ANCESTORS``).
    frame_ancestors: tuple[str, ...] = DEFAULT_FRAME_ANCESTORS

    @property
    def dev(self) -> bool:
        """Whether this is dev mode (``DOCCHAT_AUTH=dev``): local use only."""
        return self.auth is AuthMode.DEV


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Read and check the settings in ``environ``; raise :class:`SettingsError` if invalid."""
    auth = setting_choice(environ, "DOCCHAT_AUTH", AuthMode, default=None)
    _check_auth_fits(auth, environ)
    return Settings(
        auth=auth,
        access=setting_choice(environ, "DOCCHAT_ACCESS", AccessMode, default=None),
        posts_per_minute=whole_number_setting(
            environ, "DOCCHAT_POSTS_PER_MINUTE", DEFAULT_POSTS_PER_MINUTE, 0, 100_000
        ),
        post_burst=whole_number_setting(
            environ, "DOCCHAT_POST_BURST", DEFAULT_POST_BURST, 1, 10_000
        ),
        max_message_length=whole_number_setting(
            environ,
            "DOCCHAT_MAX_MESSAGE_LENGTH",
            DEFAULT_MAX_MESSAGE_LENGTH,
            1,
            MAX_MAX_MESSAGE_LENGTH,
        ),
        jwt=_jwt_settings(environ) if auth is AuthMode.JWT else None,
        webhook_retry_schedule=retry_schedule_setting(
            environ, "DOCCHAT_WEBHOOK_RETRY_SCHEDULE", DEFAULT_WEBHOOK_RETRY_SCHEDULE
        ),
        frame_ancestors=frame_ancestors_setting(environ, "DOCCHAT_FRAME_ANCESTORS"),
    )


def _check_auth_fits(auth: AuthMode, environ: Mapping[str, str]) -> None:
    in_azure = optional_setting(environ, "WEBSITE_INSTANCE_ID") is not None
    auth_enabled = _app_service_authentication_on(environ)
    if auth is AuthMode.APPSERVICE and not auth_enabled:
        raise SettingsError(
            "DOCCHAT_AUTH=appservice trusts the X-MS-CLIENT-PRINCIPAL header, which only App "
            "Service Authentication makes trustworthy, but nothing proves it is on here "
            "(App Service sets WEBSITE_AUTH_ENABLED=True while it is): turn it on, or use "
            "DOCCHAT_AUTH=jwt"
        )
    if auth is AuthMode.DEV and in_azure:
        raise SettingsError(
            "DOCCHAT_AUTH=dev trusts any caller's headers and is for local use only, "
            "but this is running in Azure (WEBSITE_INSTANCE_ID is set): use appservice or jwt"
        )


def _app_service_authentication_on(environ: Mapping[str, str]) -> bool:
    """Whether App Service says its Authentication is on: it sets WEBSITE_AUTH_ENABLED to
    ``True`` then, as AzureAD/microsoft-identity-web's AppServicesAuthenticationInformation
    reads it. Anywhere else (another host, a container, a laptop) nothing strips a forged
    principal header, so the mode must not start."""
    return (optional_setting(environ, "WEBSITE_AUTH_ENABLED") or "").lower() == "true"


def setting_choice(
    environ: Mapping[str, str], name: str, kind: type[_Choice], *, default: _Choice | None
) -> _Choice:
    """One of ``kind``'s values, in any case; ``default`` when unset (None: required)."""
    value = optional_setting(environ, name)
    allowed = " or ".join(member.value for member in kind)
    if value is None:
        if default is None:
            raise SettingsError(f"{name} is not set: set it to {allowed}")
        return default
    try:
        return kind(value.lower())
    except ValueError:
        raise SettingsError(f"{name} must be {allowed}, got {value!r}") from None


def optional_setting(environ: Mapping[str, str], name: str) -> str | None:
    """The setting without surrounding blanks, or None when unset or blank."""
    value = environ.get(name, "").strip()
    return value or None


def required_setting(environ: Mapping[str, str], name: str) -> str:
    """The setting, or :class:`SettingsError` naming it when unset."""
    value = optional_setting(environ, name)
    if value is None:
        raise SettingsError(f"{name} is not set")
    return value


def url_setting(environ: Mapping[str, str], name: str) -> str:
    """The setting, an absolute http or https URL."""
    value = required_setting(environ, name)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"{name} must be an absolute http or https URL, got {value!r}")
    return value


def whole_number_setting(
    environ: Mapping[str, str], name: str, default: int, lowest: int, highest: int
) -> int:
    """The setting, a whole number from ``lowest`` to ``highest``; ``default`` when unset."""
    value = optional_setting(environ, name)
    if value is None:
        return default
    if not value.isdigit() or not lowest <= int(value) <= highest:
        raise SettingsError(
            f"{name} must be a whole number from {lowest} to {highest}, got {value!r}"
        )
    return int(value)


def retry_schedule_setting(
    environ: Mapping[str, str], name: str, default: tuple[float, ...]
) -> tuple[float, ...]:
    """The setting, comma-separated seconds between tries (each from 0 to 7 days, at most
    :data:`MAX_WEBHOOK_RETRIES` of them; blank: no retry); ``default`` when unset."""
    if name not in environ:
        return default
    delays = [_delay(text) for text in environ[name].split(",") if text.strip()]
    if len(delays) > MAX_WEBHOOK_RETRIES or None in delays:
        raise SettingsError(
            f"{name} must be up to {MAX_WEBHOOK_RETRIES} comma-separated numbers of seconds, "
            f"each from 0 to {MAX_WEBHOOK_RETRY_DELAY}, got {environ[name]!r}"
        )
    return tuple(delay for delay in delays if delay is not None)


def frame_ancestors_setting(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    """Space-separated sources of CSP's ``frame-ancestors``: ``'self'``, ``'none'`` alone, or
    origins (``https://app.example.com``, ``https://*.example.com:8443``); unset: ``'self'``."""
    value = optional_setting(environ, name)
    if value is None:
        return DEFAULT_FRAME_ANCESTORS
    sources = tuple(value.split())
    if sources == ("'none'",):
        return sources
    wrong = [s for s in sources if s != "'self'" and not _FRAME_ANCESTOR.fullmatch(s)]
    if wrong or not sources:
        raise SettingsError(
            f"{name} must be 'self', 'none' alone, or http(s) origins separated by spaces "
            f"(such as https://app.example.com), not {' '.join(wrong) or 'nothing'}"
        )
    return sources


def _delay(text: str) -> float | None:
    try:
        delay = float(text)
    except ValueError:
        return None
    return delay if 0 <= delay <= MAX_WEBHOOK_RETRY_DELAY else None


def _jwt_settings(environ: Mapping[str, str]) -> JwtSettings:
    return token_issuer_settings(environ, "DOCCHAT_JWT", needed_by="DOCCHAT_AUTH=jwt")


def token_issuer_settings(
    environ: Mapping[str, str], prefix: str, *, needed_by: str, secret_allowed: bool = True
) -> JwtSettings:
    """How to check tokens of one issuer for one audience: ``{prefix}_ISSUER``,
    ``{prefix}_AUDIENCE`` and exactly one key source (``{prefix}_SECRET`` when
    ``secret_allowed``, ``{prefix}_PUBLIC_KEY`` or ``{prefix}_JWKS_URL``); ``needed_by``
    names what needs them, for the error."""
    sources = (
        *([f"{prefix}_SECRET"] if secret_allowed else []),
        f"{prefix}_PUBLIC_KEY",
        f"{prefix}_JWKS_URL",
    )
    given = [name for name in sources if optional_setting(environ, name)]
    if len(given) != 1:
        raise SettingsError(
            f"{needed_by} needs exactly one of {', '.join(sources)}; "
            f"{'none is' if not given else ' and '.join(given) + ' are'} set"
        )
    secret = optional_setting(environ, f"{prefix}_SECRET") if secret_allowed else None
    if secret is not None and len(secret.encode()) < MIN_JWT_SECRET_BYTES:
        raise SettingsError(f"{prefix}_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes")
    jwks_url = f"{prefix}_JWKS_URL"
    return JwtSettings(
        issuer=required_setting(environ, f"{prefix}_ISSUER"),
        audience=required_setting(environ, f"{prefix}_AUDIENCE"),
        secret=secret,
        public_key=_pem(environ, f"{prefix}_PUBLIC_KEY"),
        jwks_url=_jwks_url_setting(environ, jwks_url) if jwks_url in given else None,
    )


def _jwks_url_setting(environ: Mapping[str, str], name: str) -> str:
    """Signing keys fetched over plain http could be swapped by anyone on the path."""
    url = url_setting(environ, name)
    parts = urlsplit(url)
    if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
        raise SettingsError(f"{name} must be https (http only on loopback)")
    return url


def _pem(environ: Mapping[str, str], name: str) -> str | None:
    """App settings are one line, so a PEM key often arrives with literal ``\\n``."""
    value = optional_setting(environ, name)
    if value is None:
        return None
    if "-----BEGIN PUBLIC KEY-----" not in value:
        raise SettingsError(f"{name} must be a PEM public key (-----BEGIN PUBLIC KEY-----...)")
    return value.replace("\\n", "\n")
