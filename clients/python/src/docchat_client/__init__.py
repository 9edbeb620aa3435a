"""docchat's Python client: a backend's way to post and manage chat over docchat's HTTP API.

Package map:

- :mod:`._core`: the one core of both clients, without I/O: each operation's request,
  reading answers into models or typed errors, the retry policy (429 and 503 after their
  ``Retry-After``, with jitter, within a deadline), and paging by ``continuationToken``;
- :mod:`._sync`: :class:`DocchatClient`, the core over ``httpx.Client``;
- :mod:`._async`: :class:`AsyncDocchatClient`, the same over ``httpx.AsyncClient``;
- :mod:`.auth`: the function key, an Entra credential's bearer token, and the identities
  reads are made for (:class:`DevUser`, :class:`BearerUser`);
- :mod:`.models`: the answers as dataclasses (:class:`Message` and the rest);
- :mod:`.errors`: the exception hierarchy (drawn in its docstring);
- :mod:`.webhooks`: :func:`verify_webhook`, on the ``standardwebhooks`` package.

Errors::

    DocchatError
    ├── RequestRefused (4xx): InvalidRequest, Unauthorized, Forbidden, NotFound,
    │                         Conflict, RateLimited
    ├── ServiceUnavailable (503)
    ├── UnexpectedAnswer (any other status, a body not docchat's)
    ├── TransportError (no answer: stored is None)
    └── WebhookVerificationError
"""

from docchat_client._async import AsyncClock, AsyncDocchatClient
from docchat_client._core import EVENT_TYPES, RetryPolicy
from docchat_client._sync import Clock, DocchatClient
from docchat_client.auth import BearerUser, DevUser, Identity, default_scope
from docchat_client.errors import (
    Conflict,
    DocchatError,
    Forbidden,
    InvalidRequest,
    NotFound,
    RateLimited,
    RequestRefused,
    ServiceUnavailable,
    TransportError,
    Unauthorized,
    UnexpectedAnswer,
    WebhookVerificationError,
)
from docchat_client.models import (
    Member,
    Message,
    Notification,
    Thread,
    User,
    Webhook,
    WebhookEvent,
    WebhookFailure,
)
from docchat_client.webhooks import verify_webhook

__all__ = [
    "EVENT_TYPES",
    "AsyncClock",
    "AsyncDocchatClient",
    "BearerUser",
    "Clock",
    "Conflict",
    "DevUser",
    "DocchatClient",
    "DocchatError",
    "Forbidden",
    "Identity",
    "InvalidRequest",
    "Member",
    "Message",
    "NotFound",
    "Notification",
    "RateLimited",
    "RequestRefused",
    "RetryPolicy",
    "ServiceUnavailable",
    "Thread",
    "TransportError",
    "Unauthorized",
    "UnexpectedAnswer",
    "User",
    "Webhook",
    "WebhookEvent",
    "WebhookFailure",
    "WebhookVerificationError",
    "default_scope",
    "verify_webhook",
]
