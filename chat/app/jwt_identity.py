"""``DOCCHAT_AUTH=jwt``: callers present ``Authorization: Bearer`` tokens, checked with PyJWT.

Tokens come from one issuer for one audience, signed HS256 with a shared secret or RS256
with a public key or the issuer's JWKS. (Negotiate also accepts a client token the
real-time backend issued: see :class:`~chat.app.realtime.Negotiator`.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import jwt

from chat.domain.errors import IdentityProviderUnavailable, Unauthenticated
from chat.domain.users import User, known_user
from chat.settings import JwtSettings

__all__ = ["BearerTokens", "bearer_token"]

#: Clock skew tolerated between the identity provider and us.
LEEWAY = timedelta(seconds=30)
JWKS_TIMEOUT_SECONDS = 5.0
#: Display-name claims in order of preference; ``sub`` is the fallback.
_NAME_CLAIMS = ("name", "preferred_username")


class BearerTokens:
    """``Authorization: Bearer`` tokens from the configured issuer, checked with PyJWT."""

    def __init__(self, settings: JwtSettings) -> None:
        self._settings = settings
        self._jwks = (
            jwt.PyJWKClient(settings.jwks_url, cache_keys=True, timeout=JWKS_TIMEOUT_SECONDS)
            if settings.jwks_url
            else None
        )

    def authenticate(self, headers: Mapping[str, str]) -> User:
        token = bearer_token(headers)
        try:
            claims = jwt.decode(
                token,
                self._key_for(token),
                algorithms=[self._settings.algorithm],
                issuer=self._settings.issuer,
                audience=self._settings.audience,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise _rejected(error) from None
        subject = claims["sub"]
        if not isinstance(subject, str):
            raise _rejected("its sub claim is not a string")
        return known_user(subject, _display_name(claims, subject), int(claims["exp"]))

    def _key_for(self, token: str) -> str | jwt.PyJWK:
        if self._jwks is None:
            return self._settings.secret or self._settings.public_key or ""
        try:
            return self._jwks.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError:
            raise IdentityProviderUnavailable(
                "the identity provider's signing keys cannot be fetched right now"
            ) from None
        except jwt.PyJWKClientError as error:
            raise _rejected(error) from None


def bearer_token(headers: Mapping[str, str]) -> str:
    """The token of an ``Authorization: Bearer`` header, or raise :class:`Unauthenticated`."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(
            "sign in first: send Authorization: Bearer <token>", challenge="Bearer"
        )
    return token.strip()


def _display_name(claims: Mapping[str, Any], fallback: str) -> str:
    names = (claims.get(claim) for claim in _NAME_CLAIMS)
    return next((name for name in names if isinstance(name, str) and name), fallback)


def _rejected(reason: object) -> Unauthenticated:
    return Unauthenticated(
        f"the bearer token is not valid: {reason}",
        challenge='Bearer error="invalid_token"',
    )
