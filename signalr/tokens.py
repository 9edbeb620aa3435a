"""Access tokens for Azure SignalR Service: HS256 JWTs signed with the AccessKey.

Two kinds exist. A *client* token lets one client connect to one hub (it is what negotiate
hands out); a *server* token authorizes one REST call. The service checks the signature,
``exp``/``nbf`` and that ``aud`` names the URL being used.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import jwt

from shared.connection_string import ConnectionString, replace_port

__all__ = [
    "API_VERSION",
    "DEFAULT_CLIENT_TOKEN_LIFETIME",
    "MAX_TOKEN_LENGTH",
    "SERVER_TOKEN_LIFETIME",
    "ConnectionInfo",
    "TokenError",
    "client_audience",
    "client_connection_info",
    "client_url",
    "rest_audience",
    "server_token",
    "validate_hub_name",
]

#: The data-plane REST API version docchat speaks; REST audiences name it.
API_VERSION = "2022-06-01"
DEFAULT_CLIENT_TOKEN_LIFETIME = timedelta(hours=1)
#: Short on purpose: a leaked REST token is worth little.
SERVER_TOKEN_LIFETIME = timedelta(minutes=5)
#: The service refuses longer access tokens.
MAX_TOKEN_LENGTH = 4096

#: Claims the service reads itself. The Functions extension emits ``asrs.s.uid`` for the user
#: id, the REST reference documents ``nameid``; we emit both so any service version agrees.
USER_ID_CLAIMS = ("asrs.s.uid", "nameid")
#: The claims the SDK renames when a caller's claims carry them (azure-signalr
#: Common/Utilities/ClaimsUtility.cs SystemClaims, and the extension's AzureSignalRClient.cs),
#: plus the user id claims we set ourselves. ClaimsUtility also renames a second ``sub``; a
#: mapping holds one, which it keeps as it is.
_RESERVED_CLAIMS = frozenset(
    {
        "aud",
        "exp",
        "iat",
        "nbf",
        "iss",
        "actort",
        "acr",
        "azp",
        "c_hash",
        "jti",
        "nonce",
        *USER_ID_CLAIMS,
    }
)
_SYSTEM_CLAIM_PREFIX = "asrs.s."
#: Where a colliding user claim goes, as the official tooling does.
_USER_CLAIM_PREFIX = "asrs.u."

#: The service's hub name rule: the swagger's pattern (azure-signalr docs/swagger/V20220601.json,
#: and the emulator's Common/ParameterValidator.cs): a letter, then up to 127 of these.
_HUB_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_`,.\[\]]{0,127}")


class TokenError(ValueError):
    """A token cannot be issued as asked (bad hub name, no AccessKey, too long...)."""


@dataclass(frozen=True)
class ConnectionInfo:
    """Where a client connects and the token it presents: the negotiate response."""

    url: str
    access_token: str = field(repr=False)

    def as_json_dict(self) -> dict[str, str]:
        """The camelCase shape the SignalR clients and the Functions binding use."""
        return {"url": self.url, "accessToken": self.access_token}


def validate_hub_name(hub: str) -> str:
    """Return ``hub`` if it is a valid hub name: a letter, then letters, digits or
    `` _`,.[] ``, 128 characters at most."""
    if not _HUB_NAME.fullmatch(hub):
        raise TokenError(
            "hub name must start with a letter, hold only letters, digits and _`,.[] and be "
            f"at most 128 characters long: {hub[:40]!r}{'...' if len(hub) > 40 else ''}"
        )
    return hub


def client_url(connection: ConnectionString, hub: str) -> str:
    """The URL a client connects to for ``hub``; the service treats hub names case-insensitively."""
    return f"{connection.client_url}/client/?hub={validate_hub_name(hub).lower()}"


def client_audience(connection: ConnectionString, hub: str) -> str:
    """The ``aud`` of a client token for ``hub``: the service's own URL, without the port.

    It names the service even when clients connect through a ``ClientEndpoint`` proxy, as
    the official SDK does, because the service checks the audience against itself.
    """
    return replace_port(f"{connection.service_url}/client/?hub={hub.lower()}", None)


def client_connection_info(
    connection: ConnectionString,
    hub: str,
    *,
    user_id: str | None = None,
    claims: Mapping[str, Any] | None = None,
    lifetime: timedelta = DEFAULT_CLIENT_TOKEN_LIFETIME,
    now: datetime | None = None,
) -> ConnectionInfo:
    """Issue what a client needs to connect to ``hub``, optionally as ``user_id``.

    ``claims`` (e.g. copied from an id token) travel in the token; a claim that would clobber
    one the service reads itself is kept under an ``asrs.u.`` prefix instead.
    """
    url = client_url(connection, hub)
    audience = client_audience(connection, hub)
    payload = {_user_claim_name(name): value for name, value in (claims or {}).items()}
    if user_id is not None:
        if not user_id:
            raise TokenError("user id must not be empty")
        payload.update(dict.fromkeys(USER_ID_CLAIMS, user_id))
    token = _sign(connection, payload, audience, lifetime, now)
    if len(token) > MAX_TOKEN_LENGTH:
        raise TokenError(
            f"access token is {len(token)} characters, the service accepts at most "
            f"{MAX_TOKEN_LENGTH}: send fewer or shorter claims"
        )
    return ConnectionInfo(url=url, access_token=token)


def server_token(
    connection: ConnectionString,
    request_url: str,
    *,
    lifetime: timedelta = SERVER_TOKEN_LIFETIME,
    now: datetime | None = None,
) -> str:
    """Issue a token for one REST call to ``request_url``; see :func:`rest_audience`."""
    return _sign(connection, {}, rest_audience(connection, request_url), lifetime, now)


def rest_audience(connection: ConnectionString, request_url: str) -> str:
    """The ``aud`` of a REST token: the service's own origin without a port, the request's
    path, and ``?api-version=``, whatever host and port the call goes to.

    That is what the Management SDK signs (azure-signalr Management/RestApiProvider.cs, with
    the audience base from Common/Endpoints/ServiceEndpoint.cs): a ``ServerEndpoint`` proxy
    or a ``Port`` changes where calls go, never what the service checks the token against.
    """
    service = urlsplit(connection.service_url)
    path = urlsplit(request_url).path
    audience = f"{service.scheme}://{service.netloc}{path}?api-version={API_VERSION}"
    return replace_port(audience, None)


def _sign(
    connection: ConnectionString,
    claims: dict[str, Any],
    audience: str,
    lifetime: timedelta,
    now: datetime | None,
) -> str:
    if connection.access_key is None:
        raise TokenError("this connection string uses Microsoft Entra ID: it has no AccessKey")
    if lifetime <= timedelta(0):
        raise TokenError("token lifetime must be positive")
    issued = int((now or datetime.now(UTC)).timestamp())
    payload = {
        **claims,
        "aud": audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + math.ceil(lifetime.total_seconds()),
    }
    return jwt.encode(payload, connection.access_key, algorithm="HS256")


def _user_claim_name(name: str) -> str:
    if name in _RESERVED_CLAIMS or name.startswith(_SYSTEM_CLAIM_PREFIX):
        return _USER_CLAIM_PREFIX + name
    return name
