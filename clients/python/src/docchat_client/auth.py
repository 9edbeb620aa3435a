"""Who a call is from: the service's credentials and a user's identity.

Service routes (``/api/service/...``: send, members, webhooks) need the function key
(``x-functions-key``). A deployment behind Microsoft Entra (App Service Authentication that
requires sign-in, or a gateway) also needs a bearer token on every call: pass a
``credential`` (an azure-identity ``TokenCredential``, or anything with ``get_token(scope)``
returning ``.token`` and ``.expires_on``) and the scope its token is for.

Reads (history, threads, catch-up, the inbox) are user routes: docchat answers them for a
signed-in user only, as the deployment's ``DOCCHAT_AUTH`` establishes one, never for a key.
Pass an :class:`Identity` for them:

- :class:`DevUser` for ``DOCCHAT_AUTH=dev`` (the ``x-ms-client-principal-id``/``-name``
  headers the dev mode trusts; local only);
- :class:`BearerUser` for ``DOCCHAT_AUTH=jwt`` (a token from the issuer docchat trusts) and
  ``DOCCHAT_AUTH=appservice`` (a Microsoft Entra token App Service Authentication accepts,
  audience ``api://<AUTH_CLIENT_ID>``: App Service checks it and passes on the principal;
  a caller can never send ``X-MS-CLIENT-PRINCIPAL`` itself, App Service strips it).

An identity's headers win over the credential's for the calls they are sent with.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

__all__ = [
    "AccessToken",
    "AsyncTokenCredential",
    "BearerUser",
    "DevUser",
    "Identity",
    "TokenCredential",
    "default_scope",
]

#: Refresh a credential's token this long before it expires.
TOKEN_REFRESH_MARGIN = 300.0


class AccessToken(Protocol):
    """What ``get_token`` returns (azure-core's ``AccessToken``): the token and when it
    expires, in seconds since the epoch."""

    @property
    def token(self) -> str: ...

    @property
    def expires_on(self) -> int: ...


class TokenCredential(Protocol):
    """azure-core's ``TokenCredential``, as far as the client uses it."""

    def get_token(self, *scopes: str) -> AccessToken: ...


class AsyncTokenCredential(Protocol):
    """azure-core's ``AsyncTokenCredential`` (``azure.identity.aio``), as far as the async
    client uses it."""

    def get_token(self, *scopes: str) -> Awaitable[AccessToken]: ...


class Identity(Protocol):
    """The user a read is made for: the headers that make docchat know them."""

    def headers(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class DevUser:
    """A user as ``DOCCHAT_AUTH=dev`` knows one: by headers anyone can send, which is why
    docchat refuses to start in that mode in Azure."""

    id: str
    name: str | None = None

    def headers(self) -> Mapping[str, str]:
        name = self.name or self.id
        return {"x-ms-client-principal-id": self.id, "x-ms-client-principal-name": name}


@dataclass(frozen=True)
class BearerUser:
    """A user signed in with a bearer token (``DOCCHAT_AUTH=jwt``, or App Service
    Authentication in ``appservice`` mode). ``token`` is the token, or a function that
    returns a fresh one for each call."""

    token: str | Callable[[], str] = field(repr=False)

    def headers(self) -> Mapping[str, str]:
        token = self.token if isinstance(self.token, str) else self.token()
        return {"Authorization": f"Bearer {token}"}


def default_scope(base_url: str) -> str:
    """The scope a credential's token is asked for when none is given: the app's origin
    with ``/.default`` (its Application ID URI, where the app registration names it so).
    docchat's own infra/ accepts ``api://<AUTH_CLIENT_ID>``: pass
    ``scope="api://<AUTH_CLIENT_ID>/.default"`` for it."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/.default"


class TokenCache:
    """The credential's current token, asked for again shortly before it expires."""

    def __init__(self, scope: str, wall_clock: Callable[[], float]) -> None:
        self.scope = scope
        self._wall_clock = wall_clock
        self._token: AccessToken | None = None

    def current(self) -> str | None:
        """The token while it is good for a while yet, else None (get another)."""
        token = self._token
        if token is None or token.expires_on - TOKEN_REFRESH_MARGIN <= self._wall_clock():
            return None
        return token.token

    def keep(self, token: AccessToken) -> str:
        self._token = token
        return token.token
