"""The HTTP endpoints for documents: join, leave, post and read messages.

Each takes the process's :class:`~chat.app.runtime.Runtime`, a framework-neutral
:class:`~chat.api.http.Request` and, where it reaches connected clients, the invocation's
:class:`~chat.app.realtime.Realtime`; it returns a :class:`~chat.api.http.Response`. The caller
is authenticated before anything else, so an anonymous caller learns nothing but 401.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from chat.api.failures import endpoint
from chat.api.http import Request, Response, json_object
from chat.api.inputs import (
    DeletionRequest,
    EditRequest,
    HistoryQuery,
    JoinRequest,
    MemberRequest,
    MembersQuery,
    ReadRequest,
    SendMessageRequest,
    ServiceMessageRequest,
    parse,
)
from chat.app.access import Role
from chat.app.presence import user_json
from chat.app.realtime import Realtime
from chat.app.runtime import Runtime
from chat.app.service import Draft, Posted
from chat.domain.errors import InvalidRequest
from chat.domain.messages import (
    Cursor,
    MembersAfter,
    OlderThan,
    check_document_id,
    emoji_problem,
    legacy_message_id_problem,
    message_id_problem,
    user_id_problem,
)
from chat.domain.users import User, known_user

__all__ = [
    "add_reaction",
    "delete_message",
    "delete_named_message",
    "edit_message",
    "join_document",
    "leave_document",
    "list_members",
    "list_messages",
    "mark_read",
    "max_body_bytes",
    "presence",
    "put_member",
    "read_status",
    "remove_member",
    "remove_reaction",
    "send_message",
    "send_service_message",
]

_Message = TypeVar("_Message", bound=EditRequest)
#: Join and leave bodies hold one short connection id.
MAX_MEMBERSHIP_BODY_BYTES = 4096


def max_body_bytes(max_text_length: int) -> int:
    """The largest message body worth reading: a JSON string escapes one character in at
    most 12 bytes (a surrogate pair as two ``\\uXXXX``), and the other fields are short."""
    return 12 * (max_text_length + 1024)


@endpoint
def join_document(runtime: Runtime, request: Request, realtime: Realtime) -> Response:
    """``POST documents/{documentId}/join`` ``{"connectionId"}`` -> 204."""
    user, document_id, body = _membership_request(runtime, request)
    runtime.membership(realtime).join(user, document_id, body.connection_id)
    return Response(204)


@endpoint
def leave_document(runtime: Runtime, request: Request, realtime: Realtime) -> Response:
    """``POST documents/{documentId}/leave`` ``{"connectionId"}`` -> 204."""
    user, document_id, body = _membership_request(runtime, request)
    runtime.membership(realtime).leave(user, document_id, body.connection_id)
    return Response(204)


@endpoint
def presence(runtime: Runtime, request: Request, realtime: Realtime) -> Response:
    """``GET documents/{documentId}/presence`` -> ``{"users": [{"id", "name"}]}``: who has a
    live connection in the document."""
    user = runtime.authenticator.authenticate(request.headers)
    users = runtime.membership(realtime).who(user, _document_id(request))
    return Response(200, {"users": [user_json(present) for present in users]})


@endpoint
def send_message(runtime: Runtime, request: Request, realtime: Realtime) -> Response:
    """``POST documents/{documentId}/messages`` ``{"text", "id"?}`` -> 201, or 200 on a retry."""
    user = runtime.authenticator.authenticate(request.headers)
    document_id = _document_id(request)
    body = _message_body(runtime, request, SendMessageRequest)
    return _posted(runtime.posting(realtime).post(user, document_id, Draft(body.text, body.id)))


@endpoint
def send_service_message(runtime: Runtime, request: Request, realtime: Realtime) -> Response:
    """``POST service/documents/{documentId}/messages``: a backend posts as ``senderId``.

    The Functions host has checked the function key before this runs.
    """
    document_id = _document_id(request)
    body = _message_body(runtime, request, ServiceMessageRequest)
    sender = known_user(body.sender_id, body.sender_name or body.sender_id)
    posting = runtime.posting(realtime)
    return _posted(posting.post_for_service(sender, document_id, Draft(body.text, body.id)))


@endpoint
def edit_message(runtime: Runtime, request: Request, realtime: Realtime) -> Response:
    """``PATCH documents/{documentId}/messages/{messageId}`` ``{"text"}`` -> 200, the message
    with ``editedAt``; the author only."""
    user, document_id, message_id = _message_request(runtime, request)
    body = _message_body(runtime, request, EditRequest)
    edited = runtime.editing(realtime).edit(user, document_id, message_id, body.text)
    return Response(200, edited.to_json())


@endpoint
def delete_message(runtime: Runtime, request: Request, realtime: Realtime) -> Response:
    """``DELETE documents/{documentId}/messages/{messageId}`` -> 200, the tombstone; the
    author only, and deleting again is fine. A message stored under an id today's rule
    refuses (``.``, `` x``) can still be deleted."""
    user, document_id, message_id = _message_request(runtime, request, legacy_message_id_problem)
    tombstone = runtime.editing(realtime).delete(user, document_id, message_id)
    return Response(200, tombstone.to_json())


@endpoint
def delete_named_message(runtime: Runtime, request: Request, realtime: Realtime) -> Response:
    """``POST documents/{documentId}/deletions`` ``{"messageId"}`` -> 200, the tombstone: as
    :func:`delete_message`, for ids no path can carry to a function in Azure (``.``, ``..``:
    its front end resolves them as steps before routing)."""
    user = runtime.authenticator.authenticate(request.headers)
    document_id = _document_id(request)
    body = parse(DeletionRequest, json_object(request, MAX_MEMBERSHIP_BODY_BYTES))
    tombstone = runtime.editing(realtime).delete(user, document_id, body.message_id)
    return Response(200, tombstone.to_json())


@endpoint
def add_reaction(runtime: Runtime, request: Request, realtime: Realtime) -> Response:
    """``PUT documents/{documentId}/messages/{messageId}/reactions/{emoji}`` -> 200, the
    message."""
    user, document_id, message_id = _message_request(runtime, request)
    emoji = _emoji(request)
    return Response(
        200, runtime.editing(realtime).react(user, document_id, message_id, emoji).to_json()
    )


@endpoint
def remove_reaction(runtime: Runtime, request: Request, realtime: Realtime) -> Response:
    """``DELETE documents/{documentId}/messages/{messageId}/reactions/{emoji}`` -> 200, the
    message."""
    user, document_id, message_id = _message_request(runtime, request)
    emoji = _emoji(request)
    unreacted = runtime.editing(realtime).unreact(user, document_id, message_id, emoji)
    return Response(200, unreacted.to_json())


@endpoint
def mark_read(runtime: Runtime, request: Request) -> Response:
    """``PUT documents/{documentId}/read`` ``{"seq"}`` -> 200 ``{"seq", "unread"}``: how far
    the user has read (never backwards)."""
    user = runtime.authenticator.authenticate(request.headers)
    document_id = _document_id(request)
    body = parse(ReadRequest, json_object(request, MAX_MEMBERSHIP_BODY_BYTES))
    reading = runtime.reading()
    reading.mark_read(user, document_id, body.seq)
    return _read_status(*reading.status(user, document_id))


@endpoint
def read_status(runtime: Runtime, request: Request) -> Response:
    """``GET documents/{documentId}/read`` -> 200 ``{"seq", "unread"}``."""
    user = runtime.authenticator.authenticate(request.headers)
    return _read_status(*runtime.reading().status(user, _document_id(request)))


@endpoint
def put_member(runtime: Runtime, request: Request) -> Response:
    """``PUT service/documents/{documentId}/members/{userId}`` ``{"role"}`` -> 201, or 200
    when the user was a member already (with the role now given)."""
    document_id, user_id = _document_id(request), _member_id(request)
    body = parse(MemberRequest, json_object(request, MAX_MEMBERSHIP_BODY_BYTES))
    created = runtime.member_admin().put(document_id, user_id, Role(body.role))
    return Response(201 if created else 200, {"userId": user_id, "role": body.role})


@endpoint
def remove_member(runtime: Runtime, request: Request, realtime: Realtime) -> Response:
    """``DELETE service/documents/{documentId}/members/{userId}`` -> 204, member or not; the
    user's connections stop hearing the document at once."""
    runtime.member_admin().remove(_document_id(request), _member_id(request), realtime)
    return Response(204)


@endpoint
def list_members(runtime: Runtime, request: Request) -> Response:
    """``GET service/documents/{documentId}/members?limit=&continuationToken=`` -> ``{"members":
    [{"userId", "role"}], "continuationToken"}``: a page, and the token of the next (None
    after the last)."""
    document_id = _document_id(request)
    query = parse(MembersQuery, dict(request.params))
    token = query.continuation_token
    after = MembersAfter.decode(token).key if token is not None else None
    page = runtime.member_admin().members(document_id, query.limit, after)
    listed = [{"userId": user_id, "role": role.value} for user_id, role in page.members]
    following = MembersAfter(page.next_after).encode() if page.next_after else None
    return Response(200, {"members": listed, "continuationToken": following})


@endpoint
def list_messages(runtime: Runtime, request: Request) -> Response:
    """``GET documents/{documentId}/messages``: newest first, or oldest first ``?after=``."""
    user = runtime.authenticator.authenticate(request.headers)
    document_id = _document_id(request)
    query = parse(HistoryQuery, dict(request.params))
    history = runtime.history()
    if query.after is not None:
        page = history.catch_up(user, document_id, Cursor.decode(query.after), query.limit)
    else:
        token = query.continuation_token
        older_than = OlderThan.decode(token) if token is not None else None
        page = history.newest_first(user, document_id, query.limit, older_than)
    return Response(200, page.to_json())


def _membership_request(runtime: Runtime, request: Request) -> tuple[User, str, JoinRequest]:
    user = runtime.authenticator.authenticate(request.headers)
    document_id = _document_id(request)
    return user, document_id, parse(JoinRequest, json_object(request, MAX_MEMBERSHIP_BODY_BYTES))


def _document_id(request: Request) -> str:
    return check_document_id(request.route_params.get("documentId", ""))


def _message_request(
    runtime: Runtime, request: Request, rule: Callable[[str], str | None] = message_id_problem
) -> tuple[User, str, str]:
    user = runtime.authenticator.authenticate(request.headers)
    message_id = request.route_params.get("messageId", "")
    problem = rule(message_id)
    if problem:
        raise InvalidRequest(f"messageId {problem}")
    return user, _document_id(request), message_id


def _emoji(request: Request) -> str:
    emoji = request.route_params.get("emoji", "")
    problem = emoji_problem(emoji)
    if problem:
        raise InvalidRequest(f"emoji {problem}")
    return emoji


def _read_status(seq: int, unread: int) -> Response:
    return Response(200, {"seq": seq, "unread": unread})


def _member_id(request: Request) -> str:
    user_id = request.route_params.get("userId", "")
    problem = user_id_problem(user_id)
    if problem:
        raise InvalidRequest(f"userId {problem}")
    return user_id


def _message_body(runtime: Runtime, request: Request, model: type[_Message]) -> _Message:
    limit = runtime.settings.max_message_length
    return parse(model, json_object(request, max_body_bytes(limit)), max_text_length=limit)


def _posted(posted: Posted) -> Response:
    return Response(201 if posted.created else 200, posted.message.to_json())
