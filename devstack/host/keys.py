"""Function keys: what ``function`` and ``admin`` auth levels ask of a request.

Azure keeps keys in the host's key store; locally there is one key, the app setting
``DEVSTACK_FUNCTION_KEY``, sent like an Azure key as the ``x-functions-key`` header or the
``code`` query parameter, and standing in for every key Azure has, the system keys of
extension webhooks included. ``anonymous`` functions need none.
"""

from __future__ import annotations

import hmac

from aiohttp import web

__all__ = [
    "ANONYMOUS",
    "FUNCTION_KEY_SETTING",
    "KEY_HEADER",
    "KEY_QUERY",
    "SYSTEM",
    "is_authorized",
]

FUNCTION_KEY_SETTING = "DEVSTACK_FUNCTION_KEY"
KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"
ANONYMOUS = "anonymous"
#: What an extension's webhook asks for: in Azure, its system key (``signalr_extension``).
SYSTEM = "system"


def is_authorized(request: web.Request, auth_level: str, function_key: str | None) -> bool:
    """Whether ``request`` may call a function of ``auth_level``; compared in constant time."""
    if auth_level == ANONYMOUS:
        return True
    presented = request.headers.get(KEY_HEADER) or request.query.get(KEY_QUERY)
    if not function_key or not presented:
        return False
    return hmac.compare_digest(presented.encode(), function_key.encode())
