"""Client tokens for hub ``documents`` in REST mode: signed here with the SignalR AccessKey
(:class:`SignedTokens`), or, keyless, made by the service (:class:`ServiceTokens`).

Either way a token ends with the sign-in it was issued in. A signed token also names that
end, so a reconnecting client can renew it through negotiate only within that sign-in.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import jwt

from chat.app.jwt_identity import bearer_token
from chat.domain.errors import Unauthenticated
from chat.domain.messages import user_id_problem
from chat.domain.users import User, known_user
from realtime.settings import HUB
from realtime.signalr_calls import outages_reported
from shared.breaker import Breaker
from shared.connection_string import ConnectionString
from signalr.tokens import DEFAULT_CLIENT_TOKEN_LIFETIME, client_audience, client_connection_info

if TYPE_CHECKING:
    from signalr.rest import HubClient

__all__ = ["SIGNED_IN_UNTIL_CLAIM", "ServiceTokens", "SignedTokens"]

#: The end of the sign-in (seconds since the epoch) that a client token was issued within:
#: a token renewed from it may not outlive it.
SIGNED_IN_UNTIL_CLAIM = "docchat.signedInUntil"
#: Claims the service reads as the user id, as :mod:`signalr.tokens` writes them.
_USER_CLAIMS = ("asrs.s.uid", "nameid")


class SignedTokens:
    """Client tokens for hub ``documents``, signed with the AccessKey."""

    def __init__(self, connection: ConnectionString) -> None:
        self._connection = connection

    def connection_for(self, user: User) -> dict[str, Any]:
        claims = (
            {} if user.signed_in_until is None else {SIGNED_IN_UNTIL_CLAIM: user.signed_in_until}
        )
        info = client_connection_info(
            self._connection, HUB, user_id=user.id, claims=claims, lifetime=_lifetime(user)
        )
        return info.as_json_dict()

    def renewed_user(self, headers: Mapping[str, str]) -> User | None:
        """On reconnect the SignalR JS client sends its old client token to negotiate. We
        accept it while it is valid and names the sign-in it was issued in, since we
        signed it; the new token keeps that sign-in's end."""
        try:
            claims = jwt.decode(
                bearer_token(headers),
                self._connection.access_key or "",
                algorithms=["HS256"],
                audience=client_audience(self._connection, HUB),
                options={"require": ["exp", "aud"]},
            )
        except (jwt.PyJWTError, Unauthenticated):
            return None
        user_id = next((claims[name] for name in _USER_CLAIMS if name in claims), None)
        until = claims.get(SIGNED_IN_UNTIL_CLAIM)
        if not isinstance(user_id, str) or user_id_problem(user_id) or not isinstance(until, int):
            return None
        return known_user(user_id, user_id, until)


class ServiceTokens:
    """Client tokens for hub ``documents`` that the service makes (``POST :generateToken``),
    for a connection without an AccessKey.

    Chosen over the SDK's access-key flow (fetch a signing key from ``/api/v1/auth/accessKey``
    every 55 minutes, then sign locally): docchat then holds no key that can mint a token
    for anyone, and keeps no key-refresh state per instance. The cost is one REST call per
    negotiate, made within the same budget and breaker as every other call. Nothing is
    cached: a token belongs to one negotiate's sign-in, and reconnects are rare.
    """

    def __init__(self, hub: HubClient, breaker: Breaker) -> None:
        self._hub = hub
        self._breaker = breaker

    def connection_for(self, user: User) -> dict[str, Any]:
        """A token for whole minutes within the sign-in (rounded down, so never past it)."""
        lifetime = _lifetime(user)
        if lifetime < timedelta(minutes=1):
            raise Unauthenticated(
                "your sign-in ends within a minute: sign in again", challenge="Bearer"
            )
        with outages_reported(self._breaker):
            info = self._hub.client_connection_info(user_id=user.id, lifetime=lifetime)
        return info.as_json_dict()

    def renewed_user(self, headers: Mapping[str, str]) -> User | None:
        """Never: without the key docchat cannot tell a token the service made for it from
        one made for anyone else, nor which sign-in it belonged to. A reconnecting client
        signs in again; the official clients answer negotiate's 401 by asking their
        ``accessTokenFactory`` for the app's token."""
        return None


def _lifetime(user: User) -> timedelta:
    """The default lifetime, cut to what is left of ``user``'s sign-in (at least a second)."""
    if user.signed_in_until is None:
        return DEFAULT_CLIENT_TOKEN_LIFETIME
    left = max(1, user.signed_in_until - int(time.time()))
    return min(DEFAULT_CLIENT_TOKEN_LIFETIME, timedelta(seconds=left))
