"""The negotiate endpoint: where a client learns how to connect to the real-time service,
as itself.

It lives apart from the document endpoints so the first call every client makes loads
neither pydantic nor azure.cosmos.
"""

from __future__ import annotations

import time

from chat.api.failures import endpoint
from chat.api.http import Request, Response
from chat.app.identity import Authenticate
from chat.app.realtime import Negotiator
from chat.domain.errors import Unauthenticated
from chat.domain.users import User
from chat.settings import AuthMode

__all__ = ["Negotiation"]

#: A response holding an access token must not be cached anywhere.
_NO_STORE = {"Cache-Control": "no-store"}


class Negotiation:
    """``negotiate``: needs the authenticator, and whether bearer tokens are in use (a
    reconnecting client may then present the token the backend issued instead)."""

    def __init__(self, authenticate: Authenticate, auth: AuthMode) -> None:
        self._authenticate = authenticate
        self._auth = auth

    @endpoint
    def negotiate(self, request: Request, negotiator: Negotiator) -> Response:
        """``GET|POST negotiate`` -> 200 with what the signed-in user's client needs to
        connect.

        Nothing it issues outlives the caller's sign-in.
        """
        user = self._caller(request, negotiator)
        if user.signed_in_until is not None and user.signed_in_until <= time.time():
            raise Unauthenticated("your sign-in has ended: sign in again", challenge="Bearer")
        return Response(200, negotiator.connection_for(user), _NO_STORE)

    def _caller(self, request: Request, negotiator: Negotiator) -> User:
        """The signed-in user; with bearer tokens, also one whose client presents the token
        the backend issued it (a reconnecting SignalR client sends that instead of the
        app's)."""
        try:
            return self._authenticate(request.headers)
        except Unauthenticated as problem:
            renewed = negotiator.renewed_user(request.headers)
            if self._auth is not AuthMode.JWT or renewed is None:
                raise problem from None
            return renewed
