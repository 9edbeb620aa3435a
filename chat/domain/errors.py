"""Every way a chat request can fail on purpose: the domain's errors, with what a caller
needs to know (``retry_after``, ``stored``), and no HTTP status.

The use cases raise these; :mod:`chat.api.failures` is the one place that gives each its
status, stable code, body and headers. Anything else that escapes, such as
:class:`Misconfigured`, fails the invocation: the host answers 500 and logs the traceback.
Messages are written for the caller and never hold secrets.

    ChatError                      refused, or not done, on purpose
    ├── InvalidRequest ── InvalidJson, UnsafeWebhookUrl
    ├── Unauthenticated, Forbidden, ConnectionNotFound, MessageNotFound, NotificationNotFound
    ├── MessageIdConflict, MessageDeleted, TooManyReactions, MembersNotEnabled
    ├── WebhookNotFound, WebhooksNotEnabled
    ├── HistoryFull (+ ``stored`` for a send)   raised by the store
    ├── PayloadTooLarge, UnsupportedMediaType
    └── RetryLater (+ ``retry_after``)
        ├── RateLimited
        └── Unavailable
            ├── StoreUnavailable ── StoreOutcomeUnknown       raised by the store
            │   └── DocumentBusy (the store is up; the document's queue is long)
            ├── RealtimeUnavailable, IdentityProviderUnavailable, ConnectionNotYetKnown
            ├── QueueUnavailable                              raised by a work queue
            ├── RevocationIncomplete (the membership is removed all the same)
            └── SendFailed (+ ``stored``: true, false or null, ``busy``)  what a sender is told
                ├── NotStored, MaybeStored, MaybeStoredBefore
                └── NotDelivered
    Misconfigured (RuntimeError)   a dependency refused docchat itself: a failed invocation
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ChatError",
    "ConnectionNotFound",
    "ConnectionNotYetKnown",
    "DocumentBusy",
    "Forbidden",
    "HistoryFull",
    "IdentityProviderUnavailable",
    "InvalidJson",
    "InvalidRequest",
    "MaybeStored",
    "MaybeStoredBefore",
    "MembersNotEnabled",
    "MessageDeleted",
    "MessageIdConflict",
    "MessageNotFound",
    "Misconfigured",
    "NotDelivered",
    "NotStored",
    "NotificationNotFound",
    "PayloadTooLarge",
    "QueueUnavailable",
    "RateLimited",
    "RealtimeUnavailable",
    "RetryLater",
    "RevocationIncomplete",
    "SendFailed",
    "StoreOutcomeUnknown",
    "StoreUnavailable",
    "TooManyReactions",
    "Unauthenticated",
    "Unavailable",
    "UnsafeWebhookUrl",
    "UnsupportedMediaType",
    "WebhookNotFound",
    "WebhooksNotEnabled",
]

#: How long a caller should wait before retrying after a 503, when the cause gives no hint.
DEFAULT_RETRY_AFTER_SECONDS = 1
#: Why a send found the store failing, or its document too busy (``{why}`` of a
#: :class:`SendFailed`'s explanation).
_STORE_FAILED = "the message store is unavailable"
_DOCUMENT_BUSY = "the document is busy with other writers"


class ChatError(Exception):
    """A request that cannot be served as asked; the class says why, ``message`` in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(ChatError):
    """The request is malformed; the message says which part and why."""


class InvalidJson(InvalidRequest):
    """The body is not JSON, or not the JSON object expected."""


class Unauthenticated(ChatError):
    """The caller is not known: no identity, or one that does not check out."""

    def __init__(self, message: str, *, challenge: str | None = None) -> None:
        super().__init__(message)
        self.challenge = challenge


class Forbidden(ChatError):
    """The caller is known but may not do this to this document."""


class ConnectionNotFound(ChatError):
    """The SignalR connection named in the request is not connected."""


class MessageIdConflict(ChatError):
    """The message id is taken in this document by a different message."""


class MessageNotFound(ChatError):
    """The document has no message with that id."""


class NotificationNotFound(ChatError):
    """The user has no notification with that id (another user's is none of theirs)."""


class MessageDeleted(ChatError):
    """The message was deleted: it cannot be edited or reacted to."""


class TooManyReactions(ChatError):
    """The message has as many reactions as it may hold."""


class MembersNotEnabled(ChatError):
    """Membership routes while every signed-in user may see every document."""


class UnsafeWebhookUrl(InvalidRequest):
    """A webhook's URL is one docchat must not send to (its message says why)."""


class WebhookNotFound(ChatError):
    """No webhook has that name."""


class WebhooksNotEnabled(ChatError):
    """Webhook routes while no work queue is configured (``DOCCHAT_QUEUE``)."""


class HistoryFull(ChatError):
    """The document's history has reached the most one document may hold (Cosmos DB's 20 GB
    logical partition): nothing more can be written to it until old messages go, so the
    same request fails the same way until then (not a :class:`RetryLater`). For a send,
    :attr:`stored` follows :class:`SendFailed`'s rule (``false`` when the request made the
    id itself, ``null`` when an earlier try with the client's id may still land) and
    :attr:`message_id` names the id.
    """

    def __init__(self, message_id: str | None = None, *, stored: bool | None = False) -> None:
        super().__init__(
            "this document's history is full: nothing more can be stored in it until older "
            "messages are removed (a message time to live removes them over time)"
        )
        self.message_id = message_id
        self.stored = stored


class PayloadTooLarge(ChatError):
    """The body is larger than any valid request could be."""


class UnsupportedMediaType(ChatError):
    """The body is not declared as JSON (a cross-site form cannot send it so)."""


class RetryLater(ChatError):
    """The same request may succeed later; ``retry_after`` says in how many seconds."""

    def __init__(self, message: str, *, retry_after: int = DEFAULT_RETRY_AFTER_SECONDS) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimited(RetryLater):
    """The caller posted faster than it may."""


class Unavailable(RetryLater):
    """A service docchat depends on failed."""


class StoreUnavailable(Unavailable):
    """The message store failed: nothing was stored or nothing could be read."""


class DocumentBusy(StoreUnavailable):
    """The store is up, but the document's writes queued past their time budget (a hot
    document, or contention between instances): this one was never sent, so nothing of it
    is stored. An operator reads it apart from an outage; a client retries it the same."""

    def __init__(self, *, retry_after: int = DEFAULT_RETRY_AFTER_SECONDS) -> None:
        super().__init__(f"{_DOCUMENT_BUSY}; try again shortly", retry_after=retry_after)


class RealtimeUnavailable(Unavailable):
    """SignalR failed: no group was changed, or no message was delivered."""


class QueueUnavailable(Unavailable):
    """The work queue failed: the work that follows a write (notifications, webhook
    deliveries) could not be queued, or a queued item could not be revealed or removed."""


class ConnectionNotYetKnown(Unavailable):
    """The realtime service has not yet reported whose the connection is."""


class RevocationIncomplete(Unavailable):
    """The membership is gone, but the realtime service could not yet stop the user's
    connections hearing the document: the same DELETE, sent again, finishes the job."""

    def __init__(self, *, retry_after: int = DEFAULT_RETRY_AFTER_SECONDS) -> None:
        super().__init__(
            "the membership is removed and no request of the user's is admitted, but the "
            "realtime service could not stop the user's connections hearing the document; "
            "send the same DELETE again",
            retry_after=retry_after,
        )


class IdentityProviderUnavailable(Unavailable):
    """The identity provider's signing keys could not be fetched to check a token."""


class StoreOutcomeUnknown(StoreUnavailable):
    """A write reached the store but no answer came back: it may or may not have happened."""


class SendFailed(Unavailable):
    """A message was not sent; :attr:`stored` says whether the store keeps a message under
    its id, now or later.

    ``stored`` is about the id, not about this request: ``true`` when this message is kept;
    ``false`` only when nothing is kept under the id and nothing ever will be, which docchat
    knows only when this request made the id itself (no earlier try can hold it) and the
    store definitely did not write it (refused, or never sent); ``null`` otherwise. With an
    id the client chose, an earlier try with it may still be on its way into the store (on
    any instance: a stalled write can land long after its request gave up), so a failure
    is ``null`` even when this request wrote nothing.

    Sending it again with the same id is always safe: it is never stored twice.
    """

    stored: ClassVar[bool | None]
    explanation: ClassVar[str]

    def __init__(
        self,
        message_id: str,
        *,
        retry_after: int = DEFAULT_RETRY_AFTER_SECONDS,
        busy: bool = False,
    ) -> None:
        why = _DOCUMENT_BUSY if busy else _STORE_FAILED
        super().__init__(self.explanation.format(why=why), retry_after=retry_after)
        self.message_id = message_id
        #: Refused for a busy document (:class:`DocumentBusy`), not for a failing store.
        self.busy = busy


class NotStored(SendFailed):
    """The store failed before keeping a message whose id this request made: nothing is
    kept under that id, and nothing will be."""

    stored = False
    explanation = "{why} and nothing was stored; try again shortly"


class MaybeStored(SendFailed):
    """The store did not answer: the message may be kept or not."""

    stored = None
    explanation = (
        "the message store did not answer, so the message may or may not be stored; "
        "send it again with the same id: it is never stored twice"
    )


class MaybeStoredBefore(SendFailed):
    """This request stored nothing, but an earlier try with the client's id may be kept,
    now or later (or the id is taken and what holds it could not be read)."""

    stored = None
    explanation = (
        "{why} and this request stored nothing, but an earlier send with this id "
        "may be stored; send it again with the same id: it is never stored twice"
    )


class NotDelivered(SendFailed):
    """The message is stored but SignalR failed to deliver it; sending it again delivers it."""

    stored = True
    explanation = (
        "the message is stored but could not be delivered to listeners; "
        "send it again with the same id to deliver it"
    )


class Misconfigured(RuntimeError):
    """A dependency refused docchat itself (bad key, missing role, missing container).

    Not a :class:`ChatError`: no caller can fix it, so it fails the invocation (a 500) and
    its message, logged by the host, names the setting or resource to fix, never a secret.
    """
