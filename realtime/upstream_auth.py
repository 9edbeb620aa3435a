"""Whether an upstream event really comes from the real-time service (``DOCCHAT_UPSTREAM_*``).

The Functions extensions check an upstream request's signature only with an AccessKey; with an
identity-based connection they check nothing (azure-sdk-for-net, the SignalR extension's
SignatureValidationOptionsSetup.cs: "we don't have mechanism to validate identity-based
connection"; the Web PubSub extension's RequestValidator.cs likewise). Then the extension's
system key in the webhook URL is all that stands between anyone and forged ``connected``,
``disconnected`` and ``typing`` events, and docchat learns from ``connected`` whose a
connection is.

SignalR Service can authenticate itself on upstream: with ``auth: {type: 'ManagedIdentity',
managedIdentity: {resource}}`` on the upstream template, it sends ``Authorization: Bearer``
with a token its managed identity got from Microsoft Entra ID for ``resource``, and the
extension hands the request's headers to the function (``InvocationContext.Headers``, read
from the request in the extension's InvocationContextHelper). With these settings docchat
checks that token before an event changes anything: RS256 from the tenant's keys
(``DOCCHAT_UPSTREAM_JWKS_URL``, or ``DOCCHAT_UPSTREAM_PUBLIC_KEY``), ``DOCCHAT_UPSTREAM_ISSUER``,
``DOCCHAT_UPSTREAM_AUDIENCE`` (the resource), not expired, and, with
``DOCCHAT_UPSTREAM_PRINCIPAL_ID``, issued to the service's own identity (its ``sub``). An
event that fails is refused: the invocation fails and nothing is recorded. Without the
settings nothing is checked here (a local stack, or a service with an AccessKey, which the
extension checks). docs/deploy.md has the threat model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chat.domain.errors import Unauthenticated
from chat.settings import SettingsError, optional_setting, token_issuer_settings

if TYPE_CHECKING:
    from chat.app.jwt_identity import BearerTokens

__all__ = ["ForgedEvent", "UpstreamCheck", "load_upstream_check"]

PREFIX = "DOCCHAT_UPSTREAM"


class ForgedEvent(ValueError):
    """An upstream event without a valid token from the real-time service's identity."""


@dataclass(frozen=True)
class UpstreamCheck:
    """Checks the bearer token on each SignalR upstream event."""

    tokens: BearerTokens
    principal_id: str | None

    def check(self, invocation: str) -> None:
        """Raise :class:`ForgedEvent` unless the invocation context's request carried a
        valid token of the service's identity."""
        try:
            caller = self.tokens.authenticate(_request_headers(invocation))
        except Unauthenticated as error:
            raise ForgedEvent(f"upstream event refused: {error.message}") from None
        if self.principal_id is not None and caller.id != self.principal_id:
            raise ForgedEvent("upstream event refused: its token is not the service's identity")


def load_upstream_check(environ: Mapping[str, str]) -> UpstreamCheck | None:
    """The check the settings ask for; None when no ``DOCCHAT_UPSTREAM_AUDIENCE`` is set."""
    if optional_setting(environ, f"{PREFIX}_AUDIENCE") is None:
        return None
    if (optional_setting(environ, "DOCCHAT_REALTIME") or "signalr").lower() != "signalr":
        raise SettingsError(
            f"{PREFIX}_AUDIENCE: docchat checks upstream tokens from Azure SignalR Service "
            "only; unset it with DOCCHAT_REALTIME=webpubsub"
        )
    settings = token_issuer_settings(
        environ, PREFIX, needed_by=f"{PREFIX}_AUDIENCE", secret_allowed=False
    )
    from chat.app.jwt_identity import (
        BearerTokens,  # PyJWT only where tokens are checked: cold start
    )

    principal_id = optional_setting(environ, f"{PREFIX}_PRINCIPAL_ID")
    return UpstreamCheck(BearerTokens(settings), principal_id)


def _request_headers(invocation: str) -> dict[str, str]:
    """The upstream request's headers from the extension's invocation context (``Headers``,
    PascalCase as Newtonsoft writes it), names in lower case; none if it has none."""
    try:
        context = json.loads(invocation)
    except ValueError:
        return {}
    if not isinstance(context, dict):
        return {}
    headers = next((v for k, v in context.items() if k.lower() == "headers"), None)
    if not isinstance(headers, dict):
        return {}
    return {str(name).lower(): str(value) for name, value in headers.items()}
