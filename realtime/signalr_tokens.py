"""Client tokens for hub ``documents``, signed with the SignalR AccessKey (REST mode).

Each token carries the end of the sign-in it was issued in, so a reconnecting client can
renew it through negotiate only within that sign-in.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import jwt

from chat.errors import Unauthenticated
from chat.identity import User, known_user
from chat.jwt_identity import bearer_token
from chat.messages import user_id_problem
from realtime.settings import HUB
from signalr.connection_string import ConnectionString
from signalr.tokens import DEFAULT_CLIENT_TOKEN_LIFETIME, client_audience, client_connection_info

__all__ = ["SIGNED_IN_UNTIL_CLAIM", "SignedTokens"]

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
        options: dict[str, Any] = {}
        if user.signed_in_until is not None:
            left = max(1, user.signed_in_until - int(time.time()))
            options["claims"] = {SIGNED_IN_UNTIL_CLAIM: user.signed_in_until}
            options["lifetime"] = min(DEFAULT_CLIENT_TOKEN_LIFETIME, timedelta(seconds=left))
        info = client_connection_info(self._connection, HUB, user_id=user.id, **options)
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
