"""Access-token checks, as strict as the service's.

Every token must be an HS256 or HS512 JWT signed with the AccessKey (the two algorithms the
SDK signs with: azure-signalr Common/AccessTokenAlgorithm.cs), unexpired (``exp`` is required),
already valid (``nbf``), and meant for the URL it is used on (``aud``). Audiences are compared
the way the service and its SDKs produce them: the port is ignored (tokens are minted for the
endpoint without it), a query string is ignored on REST calls (the .NET SDK signs it, the docs
do not), and hub names compare case-insensitively. Anything else fails with a reason that
names the problem but never echoes the token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

__all__ = [
    "MAX_TOKEN_LENGTH",
    "Identity",
    "RequestTarget",
    "TokenTooLong",
    "TokenValidator",
    "Unauthorized",
    "bearer_token",
    "claim_strings",
]

#: The service refuses longer access tokens.
MAX_TOKEN_LENGTH = 4096
#: The service's own user id claim, which the SDK and the Functions extension write.
SYSTEM_USER_ID_CLAIM = "asrs.s.uid"
#: Without it, the first of the claims JWT bearer auth maps to NameIdentifier names the user
#: (azure-signalr Emulator/Common/HttpContextExtenstions.cs GetUserIdentifier, over the inbound
#: mapping in Common/Auth/ClaimTypeMapping.cs): ``nameid``, and ``sub`` too.
NAME_IDENTIFIER_CLAIMS = frozenset({"nameid", "sub"})
#: The algorithms the SDK can sign with.
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
class Identity:
    """Who a valid client token speaks for."""

    user_id: str | None
    claims: Mapping[str, Any] = field(repr=False)


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

    def client_identity(self, token: str, target: RequestTarget) -> Identity:
        """Validate a client token for negotiate or the WebSocket of ``target.hub``."""
        claims = self._claims(token)
        if not _audience_matches(claims, lambda aud: _client_audience_matches(aud, target)):
            raise Unauthorized(
                f"the access token's audience is not this service's client endpoint for hub "
                f"{target.hub!r}"
            )
        return Identity(user_id=_user_id(claims), claims=claims)

    def check_server_token(self, token: str, target: RequestTarget) -> None:
        """Validate a REST token for the URL in ``target``."""
        claims = self._claims(token)
        if not _audience_matches(claims, lambda aud: _server_audience_matches(aud, target)):
            raise Unauthorized("the access token's audience is not this request's URL")

    def _claims(self, token: str) -> dict[str, Any]:
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


def _user_id(claims: Mapping[str, Any]) -> str | None:
    system = claims.get(SYSTEM_USER_ID_CLAIM)
    if isinstance(system, str) and system:
        return system
    for name, value in claims.items():  # in the token's order, as FindFirst reads them
        if name in NAME_IDENTIFIER_CLAIMS and isinstance(value, str) and value:
            return value
    return None


def _audience_matches(claims: Mapping[str, Any], matches: Callable[[str], bool]) -> bool:
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    return any(isinstance(aud, str) and matches(aud) for aud in audiences)


def _client_audience_matches(audience: str, target: RequestTarget) -> bool:
    """``{scheme}://{host}/client/`` with the hub in the query or no query at all."""
    parts = urlsplit(audience)
    if not _same_origin(parts.scheme, parts.hostname, target):
        return False
    if parts.path.rstrip("/") != "/client":
        return False
    hubs = parse_qs(parts.query).get("hub")
    return hubs is None or [hub.lower() for hub in hubs] == [(target.hub or "").lower()]


def _server_audience_matches(audience: str, target: RequestTarget) -> bool:
    """The request URL without (or with) its query, ignoring the port."""
    parts = urlsplit(audience)
    if not _same_origin(parts.scheme, parts.hostname, target):
        return False
    request_path = target.raw_path.partition("?")[0]
    return _canonical_path(parts.path) == _canonical_path(request_path)


def _same_origin(scheme: str, hostname: str | None, target: RequestTarget) -> bool:
    return scheme.lower() == target.scheme.lower() and (hostname or "") == target.hostname


def _canonical_path(path: str) -> str:
    """Percent escapes upper-cased and the hub segment lower-cased: equal URLs compare equal."""
    path = _PERCENT_ESCAPE.sub(lambda match: match.group(0).upper(), path)
    return _HUB_SEGMENT.sub(lambda match: match.group(1) + match.group(2).lower(), path, count=1)
