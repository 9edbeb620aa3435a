"""Access-token checks both services make, as strictly as they make them.

A token must be an HS256 or HS512 JWT signed with the AccessKey's text (azure-signalr
Common/AccessTokenAlgorithm.cs; the Web PubSub SDKs sign HS256 with the same key bytes:
azure-messaging-webpubsubservice ``get_token_by_key``), unexpired (``exp`` is required),
already valid (``nbf``), at most 4096 characters, and meant for the URL it is used on
(``aud``). Audiences are compared the way the services and their SDKs produce them: scheme
and host (the port is ignored: tokens are minted for the endpoint without it), the path with
its percent escapes and hub segment normalised, and a REST call's query ignored (the .NET and
Python SDKs sign it, the docs do not). Refusals name the problem but never echo the token.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt

__all__ = [
    "MAX_TOKEN_LENGTH",
    "RequestTarget",
    "TokenTooLong",
    "TokenValidator",
    "Unauthorized",
    "audience_matches",
    "bearer_token",
    "same_origin",
    "same_path",
]

#: The services refuse longer access tokens.
MAX_TOKEN_LENGTH = 4096
#: The algorithms the SDKs can sign with.
_ALGORITHMS = ["HS256", "HS512"]
_PERCENT_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_HUB_SEGMENT = re.compile(r"(/hubs/)([^/]+)")


class Unauthorized(Exception):
    """The request carries no usable token; ``reason`` says why (401)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenTooLong(Exception):
    """The token exceeds the service's length limit (413)."""


@dataclass(frozen=True)
class RequestTarget:
    """The parts of a request URL an audience is compared with."""

    scheme: str
    host: str
    raw_path: str
    hub: str | None = None

    @property
    def hostname(self) -> str:
        """The host without its port, lower-cased."""
        return (urlsplit(f"//{self.host}").hostname or self.host).lower()


class TokenValidator:
    """Checks tokens against one AccessKey."""

    def __init__(self, access_key: str) -> None:
        self._key = access_key.encode()

    def claims(self, token: str) -> dict[str, Any]:
        """The claims of a well-signed, unexpired token of acceptable length."""
        if len(token) > MAX_TOKEN_LENGTH:
            raise TokenTooLong(
                f"the access token is {len(token)} characters; the service accepts at most "
                f"{MAX_TOKEN_LENGTH}"
            )
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=_ALGORITHMS,
                options={"require": ["exp"], "verify_aud": False},
            )
        except jwt.InvalidTokenError as error:
            raise Unauthorized(_reason(error)) from None
        return claims

    def check_server_token(self, token: str, target: RequestTarget) -> None:
        """Validate a REST token for the URL in ``target``."""
        claims = self.claims(token)
        if not audience_matches(claims, lambda aud: _server_audience_matches(aud, target)):
            raise Unauthorized("the access token's audience is not this request's URL")


def bearer_token(headers: Mapping[str, str], query: Mapping[str, str]) -> str:
    """The token from ``Authorization: Bearer`` or, as browsers send it, ``access_token``."""
    header = headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header must be 'Bearer <token>'")
        return token.strip()
    from_query = query.get("access_token")
    if from_query:
        return from_query
    raise Unauthorized(
        "no access token: send 'Authorization: Bearer <token>' or the access_token query parameter"
    )


def audience_matches(claims: Mapping[str, Any], matches: Callable[[str], bool]) -> bool:
    """Whether the ``aud`` claim (one string or a list) has an audience ``matches`` takes."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    return any(isinstance(aud, str) and matches(aud) for aud in audiences)


def same_origin(scheme: str, hostname: str | None, target: RequestTarget) -> bool:
    """Same scheme and host name as the request, whatever the port."""
    return scheme.lower() == target.scheme.lower() and (hostname or "").lower() == target.hostname


def same_path(audience_path: str, request_path: str) -> bool:
    """Equal once percent escapes are upper-cased and the hub segment lower-cased."""
    return _canonical_path(audience_path) == _canonical_path(request_path)


def _server_audience_matches(audience: str, target: RequestTarget) -> bool:
    """The request URL without (or with) its query, ignoring the port."""
    parts = urlsplit(audience)
    if not same_origin(parts.scheme, parts.hostname, target):
        return False
    return same_path(parts.path, target.raw_path.partition("?")[0])


def _canonical_path(path: str) -> str:
    path = _PERCENT_ESCAPE.sub(lambda match: match.group(0).upper(), path)
    return _HUB_SEGMENT.sub(lambda match: match.group(1) + match.group(2).lower(), path, count=1)


def _reason(error: jwt.InvalidTokenError) -> str:
    if isinstance(error, jwt.ExpiredSignatureError):
        return "the access token has expired"
    if isinstance(error, jwt.ImmatureSignatureError):
        return "the access token is not valid yet (nbf is in the future)"
    if isinstance(error, jwt.InvalidSignatureError):
        return "the access token's signature does not match the AccessKey"
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"the access token has no {error.claim!r} claim"
    if isinstance(error, jwt.InvalidAlgorithmError):
        return "the access token must be signed with HS256 or HS512"
    if isinstance(error, jwt.DecodeError):
        return "the access token is not a well-formed JWT"
    return f"the access token is invalid: {error}"
