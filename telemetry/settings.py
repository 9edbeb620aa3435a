"""Which telemetry the environment asks for, read without importing OpenTelemetry.

- ``APPLICATIONINSIGHTS_CONNECTION_STRING``: send traces, metrics and logs to Application
  Insights (set by infra/). ``APPLICATIONINSIGHTS_AUTHENTICATION_STRING``
  (``ClientId=<id>;Authorization=AAD``) makes the exporter sign in with that managed
  identity, as the Functions host reads the same setting.
- ``DOCCHAT_TRACE=console``: print one compact line per request (``make dev``).
- ``DOCCHAT_TELEMETRY_USER_IDS``: ``hashed`` (default) or ``plain``: whether user ids go
  into telemetry as a hash or as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chat.settings import SettingsError

__all__ = ["TelemetrySettings", "read_telemetry_settings"]

TRACE_SETTING = "DOCCHAT_TRACE"
USER_IDS_SETTING = "DOCCHAT_TELEMETRY_USER_IDS"
CONNECTION_SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING"
AUTHENTICATION_SETTING = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"


@dataclass(frozen=True)
class TelemetrySettings:
    #: Application Insights' connection string, or None (no Azure Monitor).
    connection_string: str | None
    #: The managed identity's client id the exporter signs in with, "" for the system one,
    #: or None (no Entra sign-in).
    identity_client_id: str | None
    console: bool
    plain_user_ids: bool


def read_telemetry_settings(environ: Mapping[str, str]) -> TelemetrySettings | None:
    """The telemetry ``environ`` configures, or None for none; a wrong value raises
    :class:`SettingsError` naming the setting."""
    trace = environ.get(TRACE_SETTING, "").strip().lower()
    if trace not in ("", "console"):
        raise SettingsError(f"{TRACE_SETTING} must be 'console' or unset, not {trace!r}")
    user_ids = environ.get(USER_IDS_SETTING, "hashed").strip().lower()
    if user_ids not in ("hashed", "plain"):
        raise SettingsError(f"{USER_IDS_SETTING} must be 'hashed' or 'plain', not {user_ids!r}")
    connection_string = environ.get(CONNECTION_SETTING, "").strip() or None
    if connection_string is None and not trace:
        return None
    return TelemetrySettings(
        connection_string,
        _identity(environ.get(AUTHENTICATION_SETTING, "")),
        trace == "console",
        user_ids == "plain",
    )


def _identity(authentication: str) -> str | None:
    """The client id of ``ClientId=<id>;Authorization=AAD`` ("" without ClientId: the
    system-assigned identity), or None unless it says ``Authorization=AAD``. The value holds
    no secret, but its parts are never echoed in an error all the same."""
    parts = dict(
        part.strip().partition("=")[::2] for part in authentication.split(";") if part.strip()
    )
    fields = {key.strip().lower(): value.strip() for key, value in parts.items()}
    if not fields:
        return None
    if fields.get("authorization", "").lower() != "aad":
        raise SettingsError(f"{AUTHENTICATION_SETTING} must say Authorization=AAD")
    return fields.get("clientid", "")
