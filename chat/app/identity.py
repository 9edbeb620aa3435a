"""Who is calling: the user behind a request, established by the configured authenticator.

A user id never comes from a field the caller fills in. It comes from the principal App
Service Authentication passes on (``appservice``; ``dev`` trusts the id and name headers
locally), or from a bearer token (``jwt``, in :mod:`chat.app.jwt_identity`, which is imported
only then).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from chat.domain.errors import Unauthenticated
from chat.domain.users import User, known_user

__all__ = [
    "AppServicePrincipal",
    "Authenticate",
    "Authenticator",
    "PrincipalHeaders",
]

PRINCIPAL_ID_HEADER = "x-ms-client-principal-id"
PRINCIPAL_NAME_HEADER = "x-ms-client-principal-name"
PRINCIPAL_HEADER = "x-ms-client-principal"
#: The claims that identify the user, in the order tried: App Service maps Microsoft Entra
#: ID's ``oid`` and every provider's ``sub`` to these long names (the short ones are kept
#: for principals built without the mapping).
USER_ID_CLAIMS = (
    "http://schemas.microsoft.com/identity/claims/objectidentifier",
    "oid",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier",
    "sub",
)
#: Generous for a principal with many group claims, small enough to refuse junk at once.
MAX_PRINCIPAL_CHARACTERS = 32_768


#: What an endpoint needs of an authenticator: the caller of a request with these headers.
Authenticate = Callable[[Mapping[str, str]], User]


class Authenticator(Protocol):
    """Find out who sent a request, from its headers (names in lower case)."""

    def authenticate(self, headers: Mapping[str, str]) -> User:
        """The caller, or raise :class:`Unauthenticated`."""
        ...


class PrincipalHeaders:
    """``X-MS-CLIENT-PRINCIPAL-ID`` / ``-NAME``, as the ``dev`` mode's page sends them.

    Anyone can send these headers, which is what ``dev`` mode is for, locally.
    """

    def authenticate(self, headers: Mapping[str, str]) -> User:
        user_id = _principal_id(headers)
        return known_user(user_id, headers.get(PRINCIPAL_NAME_HEADER) or user_id)


class AppServicePrincipal:
    """The principal App Service Authentication signs the user in with:
    ``X-MS-CLIENT-PRINCIPAL``, base64 JSON ``{"auth_typ", "name_typ", "claims": [{"typ",
    "val"}]}``. The user id is its object-id claim (Microsoft Entra ID), else its
    name-identifier claim (other providers); the name is the ``name_typ`` claim.

    ``X-MS-CLIENT-PRINCIPAL-ID`` is never the source. App Service sets it beside the
    principal as a summary of the same user, and the bindings (``DOCCHAT_*_MODE=bindings``)
    issue connections for it, so it must be there and name the same user: one missing or
    naming someone else means the headers were not both App Service's (401). App Service
    Authentication sets both on every signed-in request and strips any a client sent;
    settings refuse this mode wherever it is not proven on. A request without the
    principal, or with one that does not decode, did not come through it.
    """

    def authenticate(self, headers: Mapping[str, str]) -> User:
        principal = _decoded_principal(headers.get(PRINCIPAL_HEADER, ""))
        user_id = next(filter(None, (_claim(principal, typ) for typ in USER_ID_CLAIMS)), None)
        if user_id is None:
            raise Unauthenticated("the client principal names no user (no object id claim)")
        if _principal_id(headers) != user_id:
            raise Unauthenticated("the client principal id does not match its claims")
        name = _claim(principal, principal.get("name_typ")) or user_id
        return known_user(user_id, name)


def _principal_id(headers: Mapping[str, str]) -> str:
    user_id = headers.get(PRINCIPAL_ID_HEADER, "")
    if not user_id:
        raise Unauthenticated("sign in first: the request carries no client principal")
    if "," in user_id:
        # A header sent twice reaches the app joined with commas: never guess which one.
        raise Unauthenticated("the client principal id was sent more than once")
    return user_id


def _decoded_principal(encoded: str) -> dict[str, Any]:
    if not encoded:
        raise Unauthenticated("sign in first: the request carries no X-MS-CLIENT-PRINCIPAL")
    try:
        if len(encoded) > MAX_PRINCIPAL_CHARACTERS:
            raise ValueError("too long")
        principal = json.loads(base64.b64decode(encoded, validate=True))
        if not isinstance(principal, dict) or not isinstance(principal.get("claims"), list):
            raise ValueError("not a principal")
    except (ValueError, RecursionError):
        raise Unauthenticated("X-MS-CLIENT-PRINCIPAL is not a principal App Service sent") from None
    return principal


def _claim(principal: Mapping[str, Any], claim_type: object) -> str | None:
    for claim in principal["claims"]:
        if isinstance(claim, dict) and claim.get("typ") == claim_type:
            value = claim.get("val")
            return value if isinstance(value, str) else None
    return None
