"""Who a request is from, once an authenticator (:mod:`chat.app.identity`) has said so."""

from __future__ import annotations

from dataclasses import dataclass

from chat.domain.errors import Unauthenticated
from chat.domain.messages import showable_name, user_id_problem

__all__ = ["User", "known_user"]


@dataclass(frozen=True)
class User:
    """An authenticated caller: ``id`` is stable and unique, ``name`` is for display.

    ``signed_in_until`` (seconds since the epoch) is when the sign-in behind this request
    ends, where the identity provider says so (a bearer token's ``exp``): nothing issued for
    this request may outlive it.
    """

    id: str
    name: str
    signed_in_until: int | None = None


def known_user(user_id: str, name: str, signed_in_until: int | None = None) -> User:
    """The :class:`User` with this id, or raise :class:`Unauthenticated` if it is unusable.

    The name is for display only, so one that cannot be shown as given is made showable.
    """
    if user_id_problem(user_id):
        raise Unauthenticated("the signed-in user's id is not usable")
    return User(user_id, showable_name(name, user_id), signed_in_until)
