"""Who is calling: the user behind a request, established by the configured authenticator.

A user id never comes from a field the caller fills in. It comes from headers that App
Service Authentication sets (``appservice``; ``dev`` trusts the same headers locally), or
from a bearer token (``jwt``, in :mod:`chat.jwt_identity`, which is imported only then).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from chat.errors import Unauthenticated
from chat.messages import showable_name, user_id_problem

__all__ = ["Authenticator", "PrincipalHeaders", "User", "known_user"]

PRINCIPAL_ID_HEADER = "x-ms-client-principal-id"
PRINCIPAL_NAME_HEADER = "x-ms-client-principal-name"


@dataclass(frozen=True)
class User:
    """An authenticated caller: ``id`` is stable and unique, ``name`` is for display."""

    id: str
    name: str


class Authenticator(Protocol):
    """Find out who sent a request, from its headers (names in lower case)."""

    def authenticate(self, headers: Mapping[str, str]) -> User:
        """The caller, or raise :class:`Unauthenticated`."""
        ...


class PrincipalHeaders:
    """``X-MS-CLIENT-PRINCIPAL-ID`` / ``-NAME``, as App Service Authentication sets them.

    Only App Service Authentication makes these trustworthy: anywhere else the caller
    chooses them, which is what ``dev`` mode is for, locally.
    """

    def authenticate(self, headers: Mapping[str, str]) -> User:
        user_id = headers.get(PRINCIPAL_ID_HEADER, "")
        if not user_id:
            raise Unauthenticated("sign in first: the request carries no client principal")
        return known_user(user_id, headers.get(PRINCIPAL_NAME_HEADER) or user_id)


def known_user(user_id: str, name: str) -> User:
    """The :class:`User` with this id, or raise :class:`Unauthenticated` if it is unusable.

    The name is for display only, so one that cannot be shown as given is made showable.
    """
    if user_id_problem(user_id):
        raise Unauthenticated("the signed-in user's id is not usable")
    return User(user_id, showable_name(name, user_id))
