"""What docchat answers: the response bodies, as pydantic models.

They are the contract's half that :mod:`chat.api.inputs` is not: the OpenAPI description
states their JSON Schemas (:mod:`chat.api.openapi`), and the endpoints make their bodies
through them (:meth:`Answer.body`). A message's and a user's form are made once, below the
API (:meth:`chat.domain.messages.Message.to_json`, :func:`chat.app.presence.user_json`),
because broadcasts send them too; their models here check that form on every answer but a
page's, whose many messages are sent as made (:meth:`Page.body_of`). Two bodies are made
where pydantic must not load, and their models only describe them, held to them by unit
tests: an error's (:func:`chat.api.failures.answer`, on every route, negotiate too) and
negotiate's (each real-time adapter's ``connection_for``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, RootModel
from pydantic.alias_generators import to_camel

from chat.api.inputs import RoleName
from chat.app.notifications import MAX_UNREAD_COUNT
from chat.app.people import MAX_PEOPLE
from chat.app.presence import user_json
from chat.domain import messages, notifications
from chat.domain import webhooks as domain_webhooks
from chat.domain.users import User as Person

__all__ = [
    "Answer",
    "Description",
    "Error",
    "ErrorDetail",
    "Member",
    "MemberList",
    "Message",
    "NegotiateResponse",
    "Notification",
    "NotificationPage",
    "Page",
    "People",
    "Presence",
    "ReadStatus",
    "Thread",
    "UnreadCount",
    "User",
    "Webhook",
    "WebhookFailure",
    "WebhookFailures",
    "WebhookList",
]

_TIMESTAMP: dict[str, JsonValue] = {"format": "date-time"}


class Answer(BaseModel):
    """A JSON object docchat answers with: camelCase keys, nothing but its fields, and a key
    left out only where its model says it may be absent (a field never given)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="forbid",
        strict=True,
        frozen=True,
    )

    def body(self) -> dict[str, Any]:
        """The answer's JSON body."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class User(Answer):
    """A user as presence and the events show one."""

    id: str
    name: str

    @classmethod
    def of(cls, user: Person) -> User:
        return cls.model_validate(user_json(user))


class Thread(Answer):
    """A root's thread: its replies not deleted, when the last was posted, its last five
    repliers (most recent first), and whether it is resolved, by whom and when."""

    reply_count: int = Field(ge=0)
    last_reply_at: str | None = Field(json_schema_extra=_TIMESTAMP)
    participants: list[User] = Field(max_length=5)
    resolved: bool
    resolved_by: User | None
    resolved_at: str | None = Field(json_schema_extra=_TIMESTAMP)


class Message(Answer):
    """A message as the API and the broadcasts show it."""

    id: str
    document_id: str
    sender_id: str
    sender_name: str
    text: str | None = Field(default=None, description="absent once deleted")
    created_at: str = Field(json_schema_extra=_TIMESTAMP)
    seq: int = Field(ge=1)
    position: int = Field(
        ge=1,
        description="the message's latest place in its document's change stream: every new "
        "message, edit, deletion and reaction takes the next one, so of two states of one "
        "message the larger position is the later",
    )
    edited_at: str | None = Field(json_schema_extra=_TIMESTAMP)
    deleted: bool
    reactions: dict[str, list[str]] = Field(
        description="each emoji and the ids of the users who reacted with it"
    )
    mentions: list[str] = Field(description="the ids of the users it mentions ([]: none)")
    thread_id: str | None = Field(description="a reply's: the id of its thread's root")
    thread: Thread | None = Field(
        description="a root's, once it has had replies or a resolution; its change moves the "
        "root to a new position, like any change"
    )
    anchor: dict[str, JsonValue] | None = Field(
        description="a root's: the JSON object the app anchored it with, as sent"
    )
    cursor: str = Field(description="opaque; `after` it lists every change after this state")

    @classmethod
    def of(cls, message: messages.Message) -> Message:
        """The answer for ``message``, in the form its broadcasts have too."""
        return cls.model_validate(message.to_json())


class Page(Answer):
    """Some messages, and the token of the next page (None after the last)."""

    items: list[Message]
    continuation_token: str | None

    @staticmethod
    def body_of(page: messages.Page) -> dict[str, Any]:
        """The answer for ``page``, its messages in the form their broadcasts have, which
        tests hold to :class:`Message` byte for byte: read back through the models, a page of
        500 spent a fifth of its CPU checking a form made by the same code every time."""
        items = [message.to_json() for message in page.items]
        return {"items": items, "continuationToken": page.continuation_token}


class Notification(Answer):
    """An inbox item: who (``actor``) mentioned the user or replied in a thread they are
    in, where, an excerpt of the message, when, and when the user read it."""

    id: str
    kind: Literal["mention", "reply"]
    document_id: str
    message_id: str
    thread_id: str | None = Field(description="the thread's root, for a reply's")
    actor: User
    excerpt: str | None = Field(
        max_length=notifications.MAX_EXCERPT_CHARACTERS,
        description="the start of the message's text when notified; null once deleted",
    )
    created_at: str = Field(json_schema_extra=_TIMESTAMP)
    read_at: str | None = Field(json_schema_extra=_TIMESTAMP)

    @classmethod
    def of(cls, notification: notifications.Notification) -> Notification:
        return cls.model_validate(notification.to_json())


class NotificationPage(Answer):
    """A page of the caller's notifications, newest first, the token of the next (None
    after the last), and how many are unread (counted up to 100: more shows as 100)."""

    items: list[Notification]
    continuation_token: str | None
    unread_count: int = Field(ge=0, le=MAX_UNREAD_COUNT)


class UnreadCount(Answer):
    """How many of the caller's notifications are unread."""

    unread_count: int = Field(ge=0)


class People(Answer):
    """Who the caller may mention in the document (members mode: its members; open mode:
    recent senders and present people), at most 100."""

    items: list[User] = Field(max_length=MAX_PEOPLE)


class Presence(Answer):
    """The users with a live connection that has joined the document."""

    users: list[User]


class ReadStatus(Answer):
    """How far the user has read, and how many messages after it are unread."""

    seq: int = Field(ge=0)
    unread: int = Field(ge=0)


class Member(Answer):
    """A member of a document and their role."""

    user_id: str
    role: RoleName


class MemberList(Answer):
    """A page of a document's members, and the token of the next (None after the last)."""

    members: list[Member]
    continuation_token: str | None


class Webhook(Answer):
    """A registered webhook; ``secret`` only in the answer that created it."""

    name: str
    url: str
    events: list[str]
    created_at: str = Field(json_schema_extra=_TIMESTAMP)
    secret: str | None = Field(
        default=None,
        description="Only when the webhook was created: keep it, it is not shown again.",
    )

    @classmethod
    def of(cls, webhook: domain_webhooks.Webhook, *, with_secret: bool = False) -> Webhook:
        secret = {"secret": webhook.secret} if with_secret else {}
        return cls(
            name=webhook.name,
            url=webhook.url,
            events=list(webhook.events),
            created_at=webhook.created_at.isoformat(),
            **secret,
        )


class WebhookList(Answer):
    """Every webhook, by name, without secrets."""

    items: list[Webhook]


class WebhookFailure(Answer):
    """A delivery that exhausted the retry schedule."""

    webhook_id: str
    event_id: str
    type: str
    last_status: int | None
    last_error: str | None
    tries: int
    failed_at: str = Field(json_schema_extra=_TIMESTAMP)

    @classmethod
    def of(cls, failure: domain_webhooks.Failure) -> WebhookFailure:
        return cls(
            webhook_id=failure.webhook_id,
            event_id=failure.event_id,
            type=failure.type,
            last_status=failure.last_status,
            last_error=failure.last_error,
            tries=failure.tries,
            failed_at=failure.failed_at.isoformat(),
        )


class WebhookFailures(Answer):
    """A page of a webhook's failed deliveries, newest first, and the token of the next."""

    items: list[WebhookFailure]
    continuation_token: str | None


class NegotiateResponse(Answer):
    """Where and how a client connects: SignalR gives a URL and an access token, Web PubSub a
    URL that carries its token."""

    url: str
    access_token: str | None = Field(default=None, description="SignalR's only")


class ErrorDetail(Answer):
    """A failure's stable code and message, and what it left behind."""

    code: str
    message: str
    stored: bool | None = Field(
        default=None, description="whether the message is stored (null: not known)"
    )
    id: str | None = Field(default=None, description="the message's id, with `stored`")
    removed: bool | None = Field(
        default=None, description="the membership is gone, its revocation unfinished"
    )


class Error(Answer):
    """Every 4xx and 503 answer."""

    error: ErrorDetail


class Description(RootModel[dict[str, Any]]):
    """The OpenAPI description itself."""
