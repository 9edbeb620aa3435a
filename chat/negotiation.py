"""The negotiate endpoint: where a client learns how to connect to SignalR, as itself.

It lives apart from the document endpoints so the first call every client makes loads
neither pydantic nor azure.cosmos.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

from chat.errors import Unauthenticated
from chat.http import Request, Response, endpoint
from chat.identity import SIGNED_IN_UNTIL_CLAIM, User
from chat.runtime import Runtime
from chat.settings import HUB
from signalr.tokens import DEFAULT_CLIENT_TOKEN_LIFETIME, client_connection_info

__all__ = ["negotiate"]

#: A response holding an access token must not be cached anywhere.
_NO_STORE = {"Cache-Control": "no-store"}


@endpoint
def negotiate(runtime: Runtime, request: Request, connection_info: str | None = None) -> Response:
    """``GET|POST negotiate`` -> 200 ``{"url", "accessToken"}`` for hub ``documents``.

    ``connection_info`` is the ``signalRConnectionInfo`` input binding's JSON in bindings
    mode (the host issued it for the same principal header); in REST mode it is None and
    the token is signed here, for the authenticated user.
    """
    user = runtime.negotiate_authenticator.authenticate(request.headers)
    if connection_info is not None:
        return Response(200, _from_binding(connection_info), _NO_STORE)
    info = client_connection_info(runtime.signalr, HUB, user_id=user.id, **_within_sign_in(user))
    return Response(200, info.as_json_dict(), _NO_STORE)


def _within_sign_in(user: User) -> dict[str, Any]:
    """A token that ends with the sign-in, and says when that is, for its renewals."""
    if user.signed_in_until is None:
        return {}
    left = user.signed_in_until - int(time.time())
    if left <= 0:
        raise Unauthenticated("your sign-in has ended: sign in again", challenge="Bearer")
    return {
        "claims": {SIGNED_IN_UNTIL_CLAIM: user.signed_in_until},
        "lifetime": min(DEFAULT_CLIENT_TOKEN_LIFETIME, timedelta(seconds=left)),
    }


def _from_binding(connection_info: str) -> dict[str, str]:
    value = json.loads(connection_info)
    return {"url": str(value["url"]), "accessToken": str(value["accessToken"])}
