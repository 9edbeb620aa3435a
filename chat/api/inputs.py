"""What callers may send: request bodies and query strings, checked with pydantic.

Bodies are strict: JSON types must match exactly and unknown fields are refused, so a
misspelt field fails loudly instead of being ignored. Every failure becomes one
:class:`~chat.domain.errors.InvalidRequest` whose message lists each faulty field and why.

The models are the contract's requests: the OpenAPI description states their JSON Schemas
(:mod:`chat.api.openapi`). Where a rule is checked in code (the domain's id and text rules,
whose messages say exactly what is wrong), the field's schema states its bounds
(:func:`id_schema`); the path parameters' schemas come from here too (:data:`PATH_PARAMETERS`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails

from chat.domain.errors import InvalidRequest
from chat.domain.messages import (
    MAX_DISPLAY_NAME_LENGTH,
    MAX_DOCUMENT_ID_LENGTH,
    MAX_EMOJI_CHARACTERS,
    MAX_MENTIONS,
    MAX_MESSAGE_ID_LENGTH,
    MAX_USER_ID_LENGTH,
    display_name_problem,
    legacy_message_id_problem,
    message_id_problem,
    path_segment_problem,
    text_problem,
    user_id_problem,
)
from chat.domain.threads import (
    MAX_ANCHOR_BYTES,
    MAX_ANCHOR_DEPTH,
    MAX_ANCHOR_NUMBER,
    REPLY_ANCHOR_REFUSAL,
    anchor_problem,
)
from chat.domain.webhooks import EVENT_TYPES, MAX_URL_LENGTH, MAX_WEBHOOK_NAME_LENGTH

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "ID_RULE",
    "MAX_HISTORY_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "PATH_PARAMETERS",
    "Anchor",
    "DeletionRequest",
    "EditRequest",
    "HistoryQuery",
    "InboxQuery",
    "JoinRequest",
    "MemberRequest",
    "MembersQuery",
    "ReadRequest",
    "ResolveRequest",
    "RoleName",
    "SendMessageRequest",
    "ServiceMessageRequest",
    "ThreadQuery",
    "ThreadsQuery",
    "WebhookEvent",
    "WebhookFailuresQuery",
    "WebhookRequest",
    "id_schema",
    "parse",
]

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
#: Members come in larger pages: a backend reconciling its list reads them all.
MAX_MEMBERS_PAGE_SIZE = 1000
#: So do a document's messages: a client back after a while catches up in a few requests
#: instead of one per 100 messages (each request has a fixed cost: a query, an invocation;
#: in a reconnect storm they were half of all requests). 500 messages of ~1 KB are ~500 KB.
MAX_HISTORY_PAGE_SIZE = 500
#: Connection ids are service-issued printable ASCII; nothing else can name one. They reach
#: the services' ``connections/{id}`` paths, so the path rule applies too.
_CONNECTION_ID = re.compile(r"[!-~]{1,256}")
CONNECTION_ID_RULE = "must be the id the service gave the connection: 1 to 256 printable ASCII"
#: Generous for any token docchat issues, small enough to refuse junk early.
MAX_TOKEN_LENGTH = 256
#: The validation context key that carries the configured message length limit.
MAX_TEXT_LENGTH = "max_text_length"
#: A member's role, as bodies carry it.
RoleName = Literal["reader", "writer"]
#: The one rule for ids (chat.domain.messages.path_segment_problem), in words: JSON Schema
#: cannot say "unchanged under NFC".
ID_RULE = (
    "Not . or .., no leading or trailing whitespace, none of / \\ ? #, no control, "
    "line-separator, surrogate or U+FFFD characters, no percent-escapes (%XX), and in Unicode "
    "NFC; anything else is 400."
)


def id_schema(max_length: int) -> dict[str, Any]:
    """The JSON Schema of an id or name the domain's rules check: its length bounds (the
    rest of the rule is :data:`ID_RULE`)."""
    return {"type": "string", "minLength": 1, "maxLength": max_length}


#: Each path parameter, and the most characters it may have.
PATH_PARAMETERS = {
    "documentId": MAX_DOCUMENT_ID_LENGTH,
    "userId": MAX_USER_ID_LENGTH,
    "messageId": MAX_MESSAGE_ID_LENGTH,
    "rootId": MAX_MESSAGE_ID_LENGTH,
    "emoji": MAX_EMOJI_CHARACTERS,
    # A SHA-256 in hex (chat.domain.notifications.notification_id); anything else is 404.
    "notificationId": 64,
    "name": MAX_WEBHOOK_NAME_LENGTH,
}


def _checked(max_length: int) -> WithJsonSchema:
    return WithJsonSchema(id_schema(max_length))


def _user_id_is_usable(value: str) -> str:
    return _unless(user_id_problem(value), value)


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("must not name a user twice")
    return values


#: The users a message mentions: distinct user ids, by the rule of every user id.
Mentions = Annotated[
    list[Annotated[str, AfterValidator(_user_id_is_usable), _checked(MAX_USER_ID_LENGTH)]],
    Field(
        max_length=MAX_MENTIONS,
        description=f"the ids of the users the message mentions: at most {MAX_MENTIONS}, "
        "distinct; each notified, and in DOCCHAT_ACCESS=members each must be able to read "
        "the document (else 400 naming them)",
        json_schema_extra={"uniqueItems": True},
    ),
    AfterValidator(_distinct),
]

#: An event a webhook may subscribe to (chat.domain.webhooks.EVENT_TYPES).
WebhookEvent = Literal[
    "message.created",
    "message.updated",
    "message.deleted",
    "thread.resolved",
    "notification.created",
]


#: The text of a message; its most characters are a setting, which the description adds.
MessageText = Annotated[str, WithJsonSchema({"type": "string", "minLength": 1})]


def _anchor_is_usable(value: dict[str, JsonValue]) -> dict[str, JsonValue]:
    problem = anchor_problem(value)
    if problem:
        raise ValueError(problem)
    return value


#: A root's anchor: any JSON object the app defines, within the bounds of
#: chat.domain.threads.anchor_problem (which JSON Schema can only partly say).
Anchor = Annotated[
    dict[str, JsonValue],
    AfterValidator(_anchor_is_usable),
    WithJsonSchema(
        {
            "type": "object",
            "description": f"any JSON object the app defines, returned as sent: at most "
            f"{MAX_ANCHOR_BYTES} bytes as compact UTF-8 JSON, {MAX_ANCHOR_DEPTH} levels deep, "
            "strings without control (but tab and line feed), private-use or lone surrogate "
            f"characters, numbers within ±{MAX_ANCHOR_NUMBER}; a reply takes none",
        }
    ),
]

_Model = TypeVar("_Model", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        extra="forbid",
        strict=True,
        frozen=True,
        hide_input_in_errors=True,
    )


class JoinRequest(_Body):
    """``{"connectionId"}``: the SignalR connection to add to or remove from a document."""

    connection_id: str = Field(json_schema_extra={"pattern": f"^{_CONNECTION_ID.pattern}$"})

    @field_validator("connection_id")
    @classmethod
    def _connection_id_is_usable(cls, value: str) -> str:
        if not _CONNECTION_ID.fullmatch(value):
            raise ValueError(CONNECTION_ID_RULE)
        return _unless(path_segment_problem(value), value)


class MemberRequest(_Body):
    """``{"role": "reader" | "writer"}``: what a member of a document may do."""

    role: RoleName


class WebhookRequest(_Body):
    """``{"url", "events"}``: where a webhook delivers, and which events."""

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    events: list[WebhookEvent] = Field(min_length=1, max_length=len(EVENT_TYPES))


class _Text(_Body):
    """``{"text"}``: a message's text."""

    text: MessageText

    @field_validator("text")
    @classmethod
    def _text_fits(cls, text: str, info: ValidationInfo) -> str:
        return _unless(text_problem(text, (info.context or {})[MAX_TEXT_LENGTH]), text)


class _Mentioning(_Body):
    """``{"mentions"?}``: the users a message mentions."""

    @field_validator("mentions", mode="before", check_fields=False)
    @classmethod
    def _mentions_are_not_null(cls, value: object) -> object:
        return _not_null(value, "a list of user ids")


class _Anchored(_Body):
    """``{"anchor"?}``: where in the document a root is about (anchors move as the
    document changes)."""

    anchor: Anchor | None = None

    @field_validator("anchor", mode="before")
    @classmethod
    def _anchor_is_not_null(cls, value: object) -> object:
        return _not_null(value, "an object")


class EditRequest(_Anchored, _Mentioning):
    """``{"text"?, "anchor"?, "mentions"?}``: a message's new text, a root's new anchor,
    and the message's new full list of mentions (only the added ids notify); at least one
    of them."""

    text: MessageText | None = None
    mentions: Mentions | None = None

    @field_validator("text", mode="before")
    @classmethod
    def _text_is_not_null(cls, value: object) -> object:
        return _not_null(value)

    @field_validator("text")
    @classmethod
    def _text_fits(cls, text: str | None, info: ValidationInfo) -> str | None:
        if text is None:
            return None
        return _unless(text_problem(text, (info.context or {})[MAX_TEXT_LENGTH]), text)

    @model_validator(mode="after")
    def _changes_something(self) -> EditRequest:
        if self.text is None and self.anchor is None and self.mentions is None:
            raise ValueError("send text, anchor, mentions or several")
        return self


class DeletionRequest(_Body):
    """``{"messageId"}``: the message to delete, named in the body so that any id it was
    stored under reaches docchat, ``.`` and ``..`` too (a front end resolves those when
    they are path segments, before any function runs)."""

    message_id: Annotated[str, _checked(MAX_MESSAGE_ID_LENGTH)]

    @field_validator("message_id")
    @classmethod
    def _names_a_stored_message(cls, value: str) -> str:
        return _unless(legacy_message_id_problem(value), value)


class ReadRequest(_Body):
    """``{"seq"}``: the user has read the document up to this message."""

    seq: int = Field(ge=0, le=2**53)


class SendMessageRequest(_Text, _Anchored, _Mentioning):
    """``{"text", "id"?, "replyTo"?, "anchor"?, "mentions"?}``: a message from the
    signed-in user; ``id`` makes retries safe, ``replyTo`` makes it a reply in the thread of
    the message it names, a message that is no reply may carry an ``anchor``, and
    ``mentions`` names the users it notifies."""

    id: Annotated[str, _checked(MAX_MESSAGE_ID_LENGTH)] | None = None
    reply_to: Annotated[str, _checked(MAX_MESSAGE_ID_LENGTH)] | None = Field(
        default=None, description="the id of a message of the same document"
    )
    mentions: Mentions = []

    @field_validator("id", "reply_to", mode="before")
    @classmethod
    def _is_not_null(cls, value: object) -> object:
        return _not_null(value)

    @field_validator("id")
    @classmethod
    def _id_is_usable(cls, value: str | None) -> str | None:
        return None if value is None else _unless(message_id_problem(value), value)

    @field_validator("reply_to")
    @classmethod
    def _names_a_message(cls, value: str | None) -> str | None:
        return None if value is None else _unless(legacy_message_id_problem(value), value)

    @model_validator(mode="after")
    def _a_reply_has_no_anchor(self) -> SendMessageRequest:
        if self.reply_to is not None and self.anchor is not None:
            raise ValueError(REPLY_ANCHOR_REFUSAL)
        return self


class ResolveRequest(_Body):
    """``{"resolved"}``: resolve the thread (true) or reopen it (false)."""

    resolved: bool


class ServiceMessageRequest(SendMessageRequest):
    """A message a backend service posts on behalf of ``senderId``."""

    sender_id: Annotated[str, _checked(MAX_USER_ID_LENGTH)]
    sender_name: Annotated[str, _checked(MAX_DISPLAY_NAME_LENGTH)] | None = None

    @field_validator("sender_id")
    @classmethod
    def _sender_is_usable(cls, value: str) -> str:
        return _unless(user_id_problem(value), value)

    @field_validator("sender_name", mode="before")
    @classmethod
    def _name_is_not_null(cls, value: object) -> object:
        return _not_null(value)

    @field_validator("sender_name")
    @classmethod
    def _name_is_showable(cls, value: str | None) -> str | None:
        return None if value is None else _unless(display_name_problem(value), value)


class _PageQuery(BaseModel):
    """``?limit=&continuationToken=``."""

    model_config = ConfigDict(
        alias_generator=to_camel, extra="ignore", frozen=True, hide_input_in_errors=True
    )

    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    continuation_token: str | None = Field(default=None, min_length=1, max_length=MAX_TOKEN_LENGTH)


class HistoryQuery(_PageQuery):
    """``?limit=&continuationToken=`` (newest first) or ``?limit=&after=`` (catch-up)."""

    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_HISTORY_PAGE_SIZE)
    after: str | None = Field(default=None, min_length=1, max_length=MAX_TOKEN_LENGTH)

    @field_validator("after")
    @classmethod
    def _not_both(cls, after: str | None, info: ValidationInfo) -> str | None:
        if after is not None and info.data.get("continuation_token") is not None:
            raise ValueError("use either after or continuationToken, not both")
        return after


class ThreadQuery(_PageQuery):
    """``?limit=&continuationToken=``: a page of a thread's replies (the root first)."""


class ThreadsQuery(_PageQuery):
    """``?resolved=&anchored=&limit=&continuationToken=``: a page of the document's threads,
    resolved or open, anchored or not (left out: either)."""

    resolved: bool | None = None
    anchored: bool | None = None


class MembersQuery(_PageQuery):
    """``?limit=&continuationToken=``: a page of a document's members (larger pages: a
    backend reconciling its list reads them all)."""

    limit: int = Field(default=MAX_MEMBERS_PAGE_SIZE, ge=1, le=MAX_MEMBERS_PAGE_SIZE)


class InboxQuery(_PageQuery):
    """``?unread=&limit=&continuationToken=``: a page of the caller's notifications, newest
    first; ``unread=true`` only those not read yet."""

    unread: bool = False


class WebhookFailuresQuery(_PageQuery):
    """``?limit=&continuationToken=``: a page of a webhook's failed deliveries."""


def parse(model: type[_Model], data: Any, *, max_text_length: int | None = None) -> _Model:
    """Validate ``data`` as ``model`` or raise :class:`InvalidRequest` naming every fault."""
    try:
        return model.model_validate(data, context={MAX_TEXT_LENGTH: max_text_length})
    except ValidationError as error:
        raise InvalidRequest("; ".join(_describe(fault) for fault in error.errors())) from None


def _describe(fault: ErrorDetails) -> str:
    field = ".".join(str(part) for part in fault["loc"]) or "body"
    if fault["type"] == "extra_forbidden":
        return f"{field}: unknown field"
    message = str(fault["msg"]).removeprefix("Value error, ")
    return f"{field}: {message[:1].lower()}{message[1:]}"


def _not_null(value: object, kind: str = "a string") -> object:
    """An optional field that was sent must hold a value, as the OpenAPI document says:
    ``null`` is refused, leaving the field out is how to send none. (Validators run only
    for fields that were sent.)"""
    if value is None:
        raise ValueError(f"must be {kind}, not null: leave the field out instead")
    return value


def _unless(problem: str | None, value: str) -> str:
    if problem:
        raise ValueError(problem)
    return value
