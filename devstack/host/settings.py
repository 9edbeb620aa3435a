"""Local settings, read the way Azure Functions Core Tools reads them.

``local.settings.json`` holds the app settings (``Values``) and the local web host's options
(``Host``: CORS origins, whether CORS allows credentials). ``host.json`` holds the HTTP route
prefix. Core Tools exposes ``Values`` as environment variables but lets a variable that is
already set win; :func:`apply_to_environment` does the same, so a stack can override one
setting by exporting it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_ROUTE_PREFIX",
    "LocalSettings",
    "SettingsError",
    "apply_to_environment",
    "read_local_settings",
    "read_route_prefix",
]

#: The Functions host's route prefix when host.json names none.
DEFAULT_ROUTE_PREFIX = "api"


class SettingsError(ValueError):
    """A settings file is missing or malformed; the message names the file and the fault."""


@dataclass(frozen=True)
class LocalSettings:
    """What the dev host needs from local.settings.json."""

    values: Mapping[str, str]
    cors_origins: tuple[str, ...] = ()
    cors_credentials: bool = False


def read_local_settings(path: Path) -> LocalSettings:
    """Read ``path`` (a local.settings.json) or raise :class:`SettingsError`."""
    document = _read_json_object(path)
    if document.get("IsEncrypted") is True:
        raise SettingsError(f"{path}: encrypted settings are not supported; set IsEncrypted false")
    values = document.get("Values", {})
    host = document.get("Host", {})
    if not isinstance(values, dict) or not isinstance(host, dict):
        raise SettingsError(f"{path}: Values and Host must be JSON objects")
    origins = host.get("CORS", "")
    if not isinstance(origins, str):
        raise SettingsError(f"{path}: Host.CORS must be a comma-separated string of origins")
    return LocalSettings(
        values={name: _setting_text(value) for name, value in values.items()},
        cors_origins=tuple(origin.strip() for origin in origins.split(",") if origin.strip()),
        cors_credentials=host.get("CORSCredentials") is True,
    )


def read_route_prefix(path: Path) -> str:
    """The ``extensions.http.routePrefix`` of host.json at ``path``, without slashes."""
    if not path.exists():
        return DEFAULT_ROUTE_PREFIX
    http = _read_json_object(path).get("extensions", {}).get("http", {})
    prefix = http.get("routePrefix", DEFAULT_ROUTE_PREFIX)
    if not isinstance(prefix, str):
        raise SettingsError(f"{path}: extensions.http.routePrefix must be a string")
    return prefix.strip("/")


def apply_to_environment(
    values: Mapping[str, str], environ: MutableMapping[str, str] = os.environ
) -> list[str]:
    """Set each value not already in ``environ``; return the names left as they were."""
    kept = [name for name in values if name in environ]
    for name, value in values.items():
        environ.setdefault(name, value)
    return kept


def _read_json_object(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path} does not exist") from None
    except (OSError, ValueError) as error:
        raise SettingsError(f"{path} is not readable JSON: {error}") from None
    if not isinstance(document, dict):
        raise SettingsError(f"{path} must hold a JSON object")
    return document


def _setting_text(value: object) -> str:
    """App settings are strings; a JSON number or boolean becomes its JSON text."""
    return value if isinstance(value, str) else json.dumps(value)
