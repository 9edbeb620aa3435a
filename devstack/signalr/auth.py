"""SignalR's client-token rules on top of the shared checks (:mod:`devstack.emulator_core.tokens`).

A client token's audience is ``{scheme}://{host}/client/?hub={hub}``, the hub it connects
to; its user is ``asrs.s.uid``, else the first ``nameid`` or ``sub``. Upstream hears
the claims as .NET writes them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from devstack.emulator_core import tokens
from devstack.emulator_core.tokens import RequestTarget, Unauthorized, audience_matches, same_origin

__all__ = ["Identity", "TokenValidator", "claim_strings", "issue_client_token"]

#: The service's own user id claim, which the SDK and the Functions extension write.
SYSTEM_USER_ID_CLAIM = "asrs.s.uid"
#: Without it, the first of the claims JWT bearer auth maps to NameIdentifier names the user
#: (azure-signalr Emulator/Common/HttpContextExtenstions.cs GetUserIdentifier, over the inbound
#: mapping in Common/Auth/ClaimTypeMapping.cs): ``nameid``, and ``sub`` too.
NAME_IDENTIFIER_CLAIMS = frozenset({"nameid", "sub"})


@dataclass(frozen=True)
class Identity:
    """Who a valid client token speaks for."""

    user_id: str | None
    claims: Mapping[str, Any] = field(repr=False)


class TokenValidator(tokens.TokenValidator):
    """Checks SignalR tokens against one AccessKey."""

    def client_identity(self, token: str, target: RequestTarget) -> Identity:
        """Validate a client token for negotiate or the WebSocket of ``target.hub``."""
        claims = self.claims(token)
        if not audience_matches(claims, lambda aud: _client_audience_matches(aud, target)):
            raise Unauthorized(
                f"the access token's audience is not this service's client endpoint for hub "
                f"{target.hub!r}"
            )
        return Identity(user_id=_user_id(claims), claims=claims)


def issue_client_token(
    access_key: str, audience: str, user_id: str | None, lifetime_seconds: int
) -> str:
    """A client token the service makes itself: HS256 with the AccessKey, its user in the
    service's own claim."""
    now = int(time.time())
    claims: dict[str, Any] = {"aud": audience, "iat": now, "nbf": now}
    claims["exp"] = now + lifetime_seconds
    if user_id is not None:
        claims[SYSTEM_USER_ID_CLAIM] = user_id
    return jwt.encode(claims, access_key, algorithm="HS256")


def claim_strings(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """The token's claims as upstream hears them: ``type: value`` each, as .NET's
    ``Claim.ToString()`` writes them (azure-signalr Emulator/HubEmulator/
    HttpUpstreamPropertiesFeature.cs), a JSON array as one claim per item."""
    return tuple(
        f"{name}: {_claim_text(item)}"
        for name, value in claims.items()
        for item in (value if isinstance(value, list) else [value])
    )


def _claim_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _user_id(claims: Mapping[str, Any]) -> str | None:
    system = claims.get(SYSTEM_USER_ID_CLAIM)
    if isinstance(system, str) and system:
        return system
    for name, value in claims.items():  # in the token's order, as FindFirst reads them
        if name in NAME_IDENTIFIER_CLAIMS and isinstance(value, str) and value:
            return value
    return None


def _client_audience_matches(audience: str, target: RequestTarget) -> bool:
    """``{scheme}://{host}/client/?hub={hub}``: a token is for one hub. Every SDK writes the
    hub into the audience (azure-signalr src/Microsoft.Azure.SignalR/EndpointProvider/
    DefaultServiceEndpointGenerator.cs GetClientAudience: ``client/?hub=<prefixed hub>``), and
    the service takes a token only for the hub it names; one without ``?hub=`` would open
    every hub of the resource."""
    parts = urlsplit(audience)
    if not same_origin(parts.scheme, parts.hostname, target):
        return False
    if parts.path.rstrip("/") != "/client":
        return False
    hubs = parse_qs(parts.query).get("hub")
    return hubs is not None and [hub.lower() for hub in hubs] == [(target.hub or "").lower()]
