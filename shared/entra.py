"""Microsoft Entra ID instead of an AccessKey: the credential a connection names, and the
bearer tokens it hands out for the service's REST API.

Shared by the SignalR library and the Web PubSub adapter. Imported only for a connection
without a key, so a keyed app never loads azure-identity.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.connection_string import ConnectionString

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, TokenCredential

__all__ = ["ENTRA_SCOPE", "CredentialError", "EntraTokens", "credential_for"]

#: The scope of a Microsoft Entra token for the service's REST API.
ENTRA_SCOPE = "https://signalr.azure.com/.default"
#: A token is replaced this long before it expires, so none expires on its way: the margin
#: azure-core's BearerTokenCredentialPolicy keeps.
REFRESH_MARGIN_SECONDS = 300


def credential_for(connection: ConnectionString) -> TokenCredential:
    """The credential a Microsoft Entra connection names, as the SDK's parser builds it
    (azure-signalr Common/Utilities/ConnectionStringParser.cs): a managed identity for
    ``azure.msi`` (user-assigned with ``ClientId``), an app registration for ``azure.app``,
    and ``DefaultAzureCredential`` for ``azure`` and ``aad``."""
    from azure import identity

    kind = (connection.auth_type or "").lower()
    if kind == "azure.msi":
        return identity.ManagedIdentityCredential(client_id=connection.client_id)
    if kind == "azure.app":
        tenant, client = connection.tenant_id or "", connection.client_id or ""
        if connection.client_secret:
            return identity.ClientSecretCredential(tenant, client, connection.client_secret)
        return identity.CertificateCredential(tenant, client, connection.client_cert)
    return identity.DefaultAzureCredential()


class CredentialError(Exception):
    """Microsoft Entra ID gave no token for the service: the identity is missing, unknown or
    not allowed. Nothing was sent."""


class EntraTokens:
    """Bearer tokens from ``credential``, each kept until shortly before it expires.

    Kept here because credentials need not cache (``AzureCliCredential`` starts a process per
    token); shared by every thread of a process, one fetch at a time.
    """

    def __init__(self, credential: TokenCredential, clock: Callable[[], float] = time.time) -> None:
        self._credential = credential
        self._clock = clock
        self._lock = threading.Lock()
        self._token: AccessToken | None = None

    def bearer(self) -> str:
        """A token for :data:`ENTRA_SCOPE` with at least the margin left before it expires."""
        with self._lock:
            token = self._token
            if token is None or token.expires_on - REFRESH_MARGIN_SECONDS <= self._clock():
                token = self._token = self._fetch()
            return token.token

    def _fetch(self) -> AccessToken:
        from azure.core.exceptions import ClientAuthenticationError

        try:
            return self._credential.get_token(ENTRA_SCOPE)
        except ClientAuthenticationError as error:
            # The credential's own message names what is missing; it carries no secret.
            raise CredentialError(
                f"no Microsoft Entra token for the service: {error.message}"
            ) from None
