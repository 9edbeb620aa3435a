"""What a docchat call raises: one hierarchy, keyed on what the caller can do next.

::

    DocchatError                  code, message, status, stored, message_id, retry_after
    ├── RequestRefused            4xx: docchat answered no; the same request fails again
    │   ├── InvalidRequest        400 (invalid_request, invalid_json, unsafe_webhook_url)
    │   ├── Unauthorized          401 (no or wrong function key, token or user)
    │   ├── Forbidden             403 (a document the user may not see or write)
    │   ├── NotFound              404 (message, webhook, notification, connection)
    │   ├── Conflict              409 (message_id_conflict, document_history_full, ...)
    │   └── RateLimited           429 (rate_limited; retry_after says when)
    ├── ServiceUnavailable        503 (store_unavailable, store_outcome_unknown, ...)
    ├── UnexpectedAnswer          any other status (a host's 500), or a body not docchat's
    ├── TransportError            no answer at all (connect, timeout): stored is None
    └── WebhookVerificationError  a delivery whose signature or timestamp does not hold

``code`` is docchat's stable error code (``error.code`` of the answer); an answer without
one (a front end's 401, a host's 500) gets ``http_<status>``. ``stored`` speaks of a sent
message's id (README, "When a send fails"): ``True`` kept, ``False`` surely not kept, and
``None`` not known. The clients retry 429 and 503 themselves (within their deadline), so a
:class:`RateLimited` or :class:`ServiceUnavailable` that reaches the caller is the last try's.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "DocchatError",
    "Forbidden",
    "InvalidRequest",
    "NotFound",
    "RateLimited",
    "RequestRefused",
    "ServiceUnavailable",
    "TransportError",
    "Unauthorized",
    "UnexpectedAnswer",
    "WebhookVerificationError",
]


class DocchatError(Exception):
    """A docchat call that failed; see the module's map for its kinds."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        stored: bool | None = None,
        message_id: str | None = None,
        retry_after: float | None = None,
        removed: bool | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        #: docchat's stable error code, or ``http_<status>`` for an answer without one.
        self.code = code
        #: What docchat (or the transport) said, for people: never parse it.
        self.message = message
        #: The HTTP status, or None when nothing answered.
        self.status = status
        #: For a send: whether the message is kept under its id (None: not known).
        self.stored = stored
        #: For a send: the message's id, so a later retry can use it.
        self.message_id = message_id
        #: Seconds the answer asked to wait before trying again (``Retry-After``).
        self.retry_after = retry_after
        #: ``DELETE member`` answered 503 ``revocation_incomplete``: the membership is gone.
        self.removed = removed


class RequestRefused(DocchatError):
    """A 4xx: docchat refused the request and stored nothing for it."""


class InvalidRequest(RequestRefused):
    """400: the request is malformed; ``message`` names each faulty field."""


class Unauthorized(RequestRefused):
    """401: no valid function key, token or user."""


class Forbidden(RequestRefused):
    """403: the caller may not see or change this document."""


class NotFound(RequestRefused):
    """404: no such message, webhook, notification or connection."""


class Conflict(RequestRefused):
    """409: the state forbids it (an id taken by another message, a full history, a feature
    not enabled); the same request fails until that state changes."""


class RateLimited(RequestRefused):
    """429: too many posts; ``retry_after`` says when to try again."""


class ServiceUnavailable(DocchatError):
    """503: a dependency (Cosmos DB, SignalR, the queue) failed; ``stored`` says what
    became of a sent message, and the same request is safe to send again."""


class UnexpectedAnswer(DocchatError):
    """An answer docchat's contract does not describe: a status other than 2xx, 4xx and
    503 (the host's bodiless 500 of a failed invocation), or a body that is not its JSON."""


class TransportError(DocchatError):
    """No answer: the connection failed or timed out. A sent message may be kept or not
    (``stored`` is None): sending it again with the same id is safe."""


class WebhookVerificationError(DocchatError):
    """A webhook delivery that is not docchat's: a missing header, a stale or future
    timestamp, or no signature that matches the secret."""


#: The refusal each 4xx status raises; any other 4xx is a plain :class:`RequestRefused`.
REFUSALS: dict[int, type[RequestRefused]] = {
    400: InvalidRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}
