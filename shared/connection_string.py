"""Azure SignalR Service connection strings.

A connection string names the service endpoint and how to authenticate against it, e.g.
``Endpoint=https://x.service.signalr.net;AccessKey=...;Version=1.0;``. Parsing follows the
service SDKs: keys are case-insensitive, values are taken after the first ``=``, and a
malformed string fails loudly with a message that names the faulty part. Messages never
echo a value: one mistyped separator (``,`` for ``;``) puts the AccessKey inside another
value, so quoting values would leak it into logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "ConnectionString",
    "ConnectionStringError",
    "identity_connection",
    "parse_connection_string",
    "replace_port",
]

#: AuthType values meaning Microsoft Entra ID (no AccessKey); anything else needs a key.
ENTRA_AUTH_TYPES = frozenset({"aad", "azure", "azure.msi", "azure.app"})

_KNOWN_KEYS = frozenset(
    {
        "endpoint",
        "accesskey",
        "version",
        "port",
        "clientendpoint",
        "serverendpoint",
        "authtype",
        "clientid",
        "clientsecret",
        "clientcert",
        "tenantid",
    }
)
#: The SDK's rule for Version (azure-signalr Common/Utilities/ConnectionStringParser.cs
#: ValidVersionRegex): 1.x with an optional suffix, so ``1.0-preview`` is valid.
_VERSION = re.compile(r"1\.\d+(?:[\w.-]+)?")
_PORT = re.compile(r"[0-9]{1,5}")
#: Host names (internationalised and container names too) and IPv4 addresses; IPv6 literals
#: are recognised by their colons. What it shuts out is what a mistyped separator brings in.
_HOST_NAME = re.compile(r"[\w.-]+")


class ConnectionStringError(ValueError):
    """The connection string is malformed; the message says which part and why."""


@dataclass(frozen=True)
class ConnectionString:
    """A parsed connection string. Secrets stay out of ``repr`` so it is safe to log."""

    endpoint: str
    access_key: str | None = field(default=None, repr=False)
    version: str = "1.0"
    port: int | None = None
    client_endpoint: str | None = None
    server_endpoint: str | None = None
    auth_type: str | None = None
    client_id: str | None = None
    tenant_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    #: With ``AuthType=azure.app``: the path of the app registration's certificate.
    client_cert: str | None = None

    @property
    def uses_entra_id(self) -> bool:
        """True when requests authenticate with Microsoft Entra ID instead of the AccessKey."""
        return self.auth_type is not None and self.auth_type.lower() in ENTRA_AUTH_TYPES

    @property
    def service_url(self) -> str:
        """The service endpoint with ``Port`` applied: the base of every audience."""
        return self.endpoint if self.port is None else replace_port(self.endpoint, self.port)

    @property
    def client_url(self) -> str:
        """Where clients connect: ``ClientEndpoint`` if set (a reverse proxy), else the service."""
        return self.client_endpoint or self.service_url

    @property
    def server_url(self) -> str:
        """Where REST calls go: ``ServerEndpoint`` if set, else the service."""
        return self.server_endpoint or self.service_url


def parse_connection_string(text: str) -> ConnectionString:
    """Parse ``text`` into a :class:`ConnectionString` or raise :class:`ConnectionStringError`."""
    if not text or not text.strip():
        raise ConnectionStringError("connection string is empty")
    values = _split_pairs(text)
    if "endpoint" not in values:
        raise ConnectionStringError("connection string has no Endpoint")
    auth_type = values.get("authtype") or None
    access_key = values.get("accesskey") or None
    if access_key is None and (auth_type is None or auth_type.lower() not in ENTRA_AUTH_TYPES):
        raise ConnectionStringError(
            "connection string has no AccessKey (or AuthType=aad for Microsoft Entra ID)"
        )
    if auth_type is not None and auth_type.lower() == "azure.app":
        _check_app_credential(values)
    return ConnectionString(
        endpoint=_absolute_url("Endpoint", values["endpoint"]),
        access_key=access_key,
        version=_version(values.get("version")),
        port=_port(values.get("port")),
        client_endpoint=_optional_url("ClientEndpoint", values.get("clientendpoint")),
        server_endpoint=_optional_url("ServerEndpoint", values.get("serverendpoint")),
        auth_type=auth_type,
        client_id=values.get("clientid") or None,
        tenant_id=values.get("tenantid") or None,
        client_secret=values.get("clientsecret") or None,
        client_cert=values.get("clientcert") or None,
    )


def identity_connection(
    service_uri: str, *, managed_identity: bool = False, client_id: str | None = None
) -> ConnectionString:
    """The connection the Functions extension's identity-based settings describe
    (``<name>__serviceUri``, ``__credential``, ``__clientId``): Microsoft Entra ID against
    ``service_uri``, through a managed identity (user-assigned with ``client_id``) or, as the
    extension falls back to, ``DefaultAzureCredential``."""
    return ConnectionString(
        endpoint=_absolute_url("serviceUri", service_uri),
        auth_type="azure.msi" if managed_identity else "azure",
        client_id=client_id,
    )


def _check_app_credential(values: dict[str, str]) -> None:
    """``AuthType=azure.app`` names an app registration: the SDK's parser (BuildAzureAppAccessKey)
    requires its ClientId and TenantId, and a ClientSecret or ClientCert."""
    for key, name in (("clientid", "ClientId"), ("tenantid", "TenantId")):
        if not values.get(key):
            raise ConnectionStringError(f"AuthType=azure.app needs {name}")
    if not (values.get("clientsecret") or values.get("clientcert")):
        raise ConnectionStringError("AuthType=azure.app needs ClientSecret or ClientCert")


def _split_pairs(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    seen: set[str] = set()
    for position, segment in enumerate(text.split(";"), start=1):
        if not segment.strip():
            continue
        key, separator, value = segment.partition("=")
        key = key.strip().lower()
        if not separator or not key:
            raise ConnectionStringError(
                f"connection string part {position} is not of the form Key=Value"
            )
        if key in seen:
            # Unknown names are not echoed: a stray AccessKey with its "=" padding reads as one.
            name = f"the key {key!r}" if key in _KNOWN_KEYS else "an earlier key"
            raise ConnectionStringError(f"connection string part {position} repeats {name}")
        seen.add(key)
        if key in _KNOWN_KEYS:
            values[key] = value.strip()
    return values


def _absolute_url(name: str, value: str) -> str:
    if not _is_http_url(value):
        raise ConnectionStringError(
            f"{name} must be an absolute http or https URL, such as https://host[:port][/path], "
            "with no spaces, user info, query or fragment"
        )
    return value.rstrip("/")


def _is_http_url(value: str) -> bool:
    if any(character.isspace() for character in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a malformed or out-of-range port
    except ValueError:
        return False
    host = parts.hostname or ""
    return (
        parts.scheme in ("http", "https")
        and (":" in host or bool(_HOST_NAME.fullmatch(host)))
        and not ("@" in parts.netloc or parts.query or parts.fragment)
    )


def _optional_url(name: str, value: str | None) -> str | None:
    return _absolute_url(name, value) if value else None


def _version(value: str | None) -> str:
    if not value:
        return "1.0"
    if not _VERSION.fullmatch(value):
        raise ConnectionStringError("Version must look like 1.x, such as 1.0 or 1.0-preview")
    return value


def _port(value: str | None) -> int | None:
    if not value:
        return None
    if not _PORT.fullmatch(value) or not 1 <= int(value) <= 65535:
        raise ConnectionStringError("Port must be a whole number from 1 to 65535")
    return int(value)


def replace_port(url: str, port: int | None) -> str:
    """``url`` with its port set to ``port``, or with no port at all when ``port`` is None."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
