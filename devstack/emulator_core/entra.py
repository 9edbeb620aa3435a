"""Who may call a REST API: an AccessKey token, or a Microsoft Entra token from a local
test issuer.

Both services take, besides tokens signed with their AccessKey, an Entra access token for
their resource (``https://signalr.azure.com``, ``https://webpubsub.azure.com``: what the
SDKs' scope ``<resource>/.default`` yields), and then ask Azure RBAC whether the identity
holds one of their roles. The emulators check such a token against the public key (PEM) of
an issuer the tests run, and the issuer (``iss``) when one is set: RS256 signature,
audience, expiry. RBAC has no local stand-in, so any identity the issuer vouches for may do
everything.
"""

from __future__ import annotations

from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from devstack.emulator_core.tokens import RequestTarget, TokenValidator, Unauthorized

__all__ = ["RestTokens"]

#: What Entra signs access tokens with.
_ENTRA_ALGORITHM = "RS256"


class RestTokens:
    """Checks the bearer token of a REST call: by the AccessKey, or as an Entra token when it
    is signed as Entra signs (RS256) and an issuer's key is configured."""

    def __init__(
        self,
        keys: TokenValidator,
        audience: str,
        entra_public_key: str | None,
        entra_issuer: str | None,
    ) -> None:
        self._keys = keys
        #: The service's resource, the audience of an Entra token for it.
        self._audience = audience
        # Parsed now, so a malformed key stops the emulator at start rather than at a call.
        self._entra_key = None if entra_public_key is None else _rsa_key(entra_public_key)
        self._issuer = entra_issuer

    def check(self, token: str, target: RequestTarget) -> None:
        """Raise :class:`Unauthorized` unless ``token`` authorizes a call to ``target``."""
        if _algorithm(token) != _ENTRA_ALGORITHM:
            self._keys.check_server_token(token, target)
            return
        if self._entra_key is None:
            raise Unauthorized(
                "Microsoft Entra tokens are not accepted: the emulator has no Entra issuer key "
                "(its settings' entra_public_key)"
            )
        required = ["exp", "aud", *(["iss"] if self._issuer else [])]
        try:
            jwt.decode(
                token,
                self._entra_key,
                algorithms=[_ENTRA_ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": required},
            )
        except jwt.InvalidTokenError as error:
            raise Unauthorized(f"the Microsoft Entra token is refused: {error}") from None


def _rsa_key(pem: str) -> RSAPublicKey:
    key = load_pem_public_key(pem.encode())
    if not isinstance(key, RSAPublicKey):
        raise ValueError("the Entra issuer's key must be an RSA public key in PEM")
    return key


def _algorithm(token: str) -> Any:
    """The ``alg`` its header names; None for what is not a JWT (the key check says why)."""
    try:
        return jwt.get_unverified_header(token).get("alg")
    except jwt.DecodeError:
        return None
