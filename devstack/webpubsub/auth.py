"""Web PubSub's client-token rules on top of the shared checks (:mod:`.emulator_core.tokens`).

A client token's audience is the client URL of its hub, ``{scheme}://{host}/client/hubs/{hub}``
(the Python SDK lower-cases the endpoint part, so the path's hub compares ignoring case), or
``/client/?hub={hub}``; ``sub`` names the user, ``role`` lists its roles and
``webpubsub.group`` the groups it joins on connecting (azure-messaging-webpubsubservice
``get_token_by_key``; Microsoft's preview emulator README: tokens "signed with
WebPubSub:AccessKey and use the client endpoint URL as their audience").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import jwt

from devstack.emulator_core import tokens
from devstack.emulator_core.tokens import (
    RequestTarget,
    Unauthorized,
    audience_matches,
    same_origin,
    same_path,
)

__all__ = ["ClientIdentity", "TokenValidator"]

ROLE_CLAIM = "role"
GROUP_CLAIM = "webpubsub.group"


@dataclass(frozen=True)
class ClientIdentity:
    """Who a valid client token speaks for, and what it brings."""

    user_id: str | None
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    claims: dict[str, Any]


class TokenValidator(tokens.TokenValidator):
    """Checks Web PubSub tokens against one AccessKey, and mints client tokens."""

    def __init__(self, access_key: str) -> None:
        super().__init__(access_key)
        self._access_key = access_key

    def client_identity(self, token: str, target: RequestTarget) -> ClientIdentity:
        """Validate a client token for the WebSocket of ``target.hub``."""
        claims = self.claims(token)
        if not audience_matches(claims, lambda aud: _client_audience_matches(aud, target)):
            raise Unauthorized(
                f"the access token's audience is not this service's client URL for hub "
                f"{target.hub!r}"
            )
        user = claims.get("sub")
        return ClientIdentity(
            user_id=user if isinstance(user, str) and user else None,
            roles=_strings(claims.get(ROLE_CLAIM)),
            groups=_strings(claims.get(GROUP_CLAIM)),
            claims=claims,
        )

    def client_token(
        self,
        client_url: str,
        user_id: str | None,
        roles: list[str],
        groups: list[str],
        minutes: int,
    ) -> str:
        """A client token for ``client_url`` (``:generateToken``), as the SDK mints one."""
        now = int(time.time())
        claims: dict[str, Any] = {"aud": client_url, "iat": now, "exp": now + minutes * 60}
        if user_id:
            claims["sub"] = user_id
        if roles:
            claims[ROLE_CLAIM] = roles
        if groups:
            claims[GROUP_CLAIM] = groups
        return jwt.encode(claims, self._access_key, algorithm="HS256")


def client_url(scheme: str, host: str, hub: str) -> str:
    """The http(s) client URL of ``hub`` on ``host``: a client token's audience."""
    return f"{scheme}://{host}/client/hubs/{quote(hub, safe='')}"


def _client_audience_matches(audience: str, target: RequestTarget) -> bool:
    parts = urlsplit(audience)
    if not same_origin(parts.scheme, parts.hostname, target):
        return False
    hub = (target.hub or "").lower()
    if parts.path.rstrip("/") == "/client":
        return [name.lower() for name in parse_qs(parts.query).get("hub", [])] == [hub]
    return same_path(parts.path.rstrip("/"), f"/client/hubs/{quote(hub, safe='')}")


def _strings(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(item for item in items if isinstance(item, str) and item)
