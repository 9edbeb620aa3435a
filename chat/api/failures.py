"""The one place a deliberate failure becomes an HTTP answer: its status, stable code, JSON
body ``{"error": {"code", "message", ...}}`` and headers.

:func:`endpoint` wraps each endpoint: a :class:`~chat.domain.errors.ChatError` becomes its
4xx/503. Anything else is a bug or a misconfiguration and propagates, so the Functions host
records a failed invocation with its traceback and answers 500 itself, revealing nothing (a
caught, rendered 500 would count as a success in every dashboard).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec

from chat.api.http import Response
from chat.domain.errors import (
    ChatError,
    ConnectionNotFound,
    ConnectionNotYetKnown,
    DocumentBusy,
    Forbidden,
    HistoryFull,
    IdentityProviderUnavailable,
    InvalidJson,
    InvalidRequest,
    MaybeStored,
    MaybeStoredBefore,
    MembersNotEnabled,
    MessageDeleted,
    MessageIdConflict,
    MessageNotFound,
    NotDelivered,
    NotificationNotFound,
    NotStored,
    PayloadTooLarge,
    QueueUnavailable,
    RateLimited,
    RealtimeUnavailable,
    RetryLater,
    RevocationIncomplete,
    SendFailed,
    StoreOutcomeUnknown,
    StoreUnavailable,
    TooManyReactions,
    Unauthenticated,
    Unavailable,
    UnsafeWebhookUrl,
    UnsupportedMediaType,
    WebhookNotFound,
    WebhooksNotEnabled,
)

__all__ = ["ANSWERS", "answer", "endpoint"]

_Params = ParamSpec("_Params")

#: Each failure's status and code; a class not listed answers as its nearest listed base.
#: A full history is a 409, not a 503: the same request fails the same way until the
#: document's state changes (retention removes old messages), so no client should retry it
#: on a timer; a 507 would be a 5xx, which clients and proxies retry.
ANSWERS: dict[type[ChatError], tuple[int, str]] = {
    InvalidRequest: (400, "invalid_request"),
    InvalidJson: (400, "invalid_json"),
    UnsafeWebhookUrl: (400, "unsafe_webhook_url"),
    Unauthenticated: (401, "unauthenticated"),
    Forbidden: (403, "forbidden"),
    ConnectionNotFound: (404, "connection_not_found"),
    MessageNotFound: (404, "message_not_found"),
    NotificationNotFound: (404, "notification_not_found"),
    WebhookNotFound: (404, "webhook_not_found"),
    MessageIdConflict: (409, "message_id_conflict"),
    MessageDeleted: (409, "message_deleted"),
    TooManyReactions: (409, "too_many_reactions"),
    MembersNotEnabled: (409, "members_not_enabled"),
    HistoryFull: (409, "document_history_full"),
    WebhooksNotEnabled: (409, "webhooks_not_enabled"),
    PayloadTooLarge: (413, "payload_too_large"),
    UnsupportedMediaType: (415, "unsupported_media_type"),
    RateLimited: (429, "rate_limited"),
    Unavailable: (503, "unavailable"),
    StoreUnavailable: (503, "store_unavailable"),
    DocumentBusy: (503, "document_busy"),
    StoreOutcomeUnknown: (503, "store_outcome_unknown"),
    RealtimeUnavailable: (503, "realtime_unavailable"),
    ConnectionNotYetKnown: (503, "connection_not_yet_known"),
    RevocationIncomplete: (503, "revocation_incomplete"),
    IdentityProviderUnavailable: (503, "identity_provider_unavailable"),
    QueueUnavailable: (503, "queue_unavailable"),
    NotStored: (503, "store_unavailable"),
    MaybeStored: (503, "store_outcome_unknown"),
    MaybeStoredBefore: (503, "store_unavailable"),
    NotDelivered: (503, "message_not_delivered"),
}


def answer(error: ChatError) -> Response:
    """The answer to ``error``: its status, JSON error body and headers."""
    status, code = next(ANSWERS[kind] for kind in _kinds(error) if kind in ANSWERS)
    detail: dict[str, Any] = {"code": code, "message": error.message, **_facts(error)}
    return Response(status, {"error": detail}, _headers(error))


def endpoint(handler: Callable[_Params, Response]) -> Callable[_Params, Response]:
    """Answer every :class:`ChatError` the handler raises (:func:`answer`); let any other
    exception fail the invocation."""

    @functools.wraps(handler)
    def answered(*args: _Params.args, **kwargs: _Params.kwargs) -> Response:
        try:
            return handler(*args, **kwargs)
        except ChatError as error:
            return answer(error)

    return answered


def _kinds(error: ChatError) -> tuple[type, ...]:
    """The classes whose answer ``error`` may take, the nearest first: a send refused for a
    busy document answers ``document_busy``, with the send's ``stored``."""
    if isinstance(error, SendFailed) and error.busy:
        return DocumentBusy.__mro__
    return type(error).__mro__


def _facts(error: ChatError) -> dict[str, Any]:
    """What the body says besides code and message: whether a message is kept under its id
    (``stored``, ``id``), and that a membership is gone although its revocation is not."""
    if isinstance(error, SendFailed | HistoryFull) and error.message_id is not None:
        return {"stored": error.stored, "id": error.message_id}
    if isinstance(error, RevocationIncomplete):
        return {"removed": True}
    return {}


def _headers(error: ChatError) -> dict[str, str]:
    if isinstance(error, RetryLater):
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, Unauthenticated) and error.challenge:
        return {"WWW-Authenticate": error.challenge}
    return {}
