"""The HTTP endpoints for documents, messages and members, grouped by the use case they
serve.

Each group states what it needs in its constructor (the authenticator, and the use case or
the factory that builds it for an invocation's :class:`~chat.app.realtime.Realtime`); the
composition root (:class:`chat.api.routes.Endpoints`) builds each group once. A method
takes a framework-neutral :class:`~chat.api.http.Request` and, where it reaches connected
clients, the invocation's ``Realtime``, and returns a :class:`~chat.api.http.Response` whose
body a model of :mod:`chat.api.outputs` made. The caller is authenticated before anything
else, so an anonymous caller learns nothing but 401.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, JsonValue

from chat.api import outputs
from chat.api.failures import endpoint
from chat.api.http import Request, Response, json_object
from chat.api.inputs import (
    DeletionRequest,
    EditRequest,
    HistoryQuery,
    InboxQuery,
    JoinRequest,
    MemberRequest,
    MembersQuery,
    ReadRequest,
    ResolveRequest,
    SendMessageRequest,
    ServiceMessageRequest,
    ThreadQuery,
    ThreadsQuery,
    WebhookFailuresQuery,
    WebhookRequest,
    parse,
)
from chat.app.access import Role
from chat.app.editing import EditingService
from chat.app.identity import Authenticate
from chat.app.notifications import NotificationService
from chat.app.people import PeopleService
from chat.app.reading import ReadingService
from chat.app.realtime import Realtime
from chat.app.service import (
    Draft,
    HistoryService,
    MemberAdmin,
    MembershipService,
    Posted,
    PostingService,
)
from chat.app.webhooks import WebhookService
from chat.domain.errors import InvalidRequest
from chat.domain.messages import (
    Cursor,
    Listing,
    MembersAfter,
    Message,
    OlderThan,
    RepliesAfter,
    ThreadsBefore,
    check_document_id,
    emoji_problem,
    legacy_message_id_problem,
    message_id_problem,
    user_id_problem,
)
from chat.domain.notifications import InboxBefore
from chat.domain.users import User, known_user
from chat.domain.webhooks import (
    decode_failures_token,
    encode_failures_token,
    webhook_name_problem,
)

__all__ = [
    "MAX_MEMBERSHIP_BODY_BYTES",
    "DocumentMembership",
    "Inbox",
    "Members",
    "MessageChanges",
    "Messages",
    "People",
    "Reading",
    "Webhooks",
    "max_body_bytes",
]

_Message = TypeVar("_Message", bound=BaseModel)
#: Join and leave bodies hold one short connection id.
MAX_MEMBERSHIP_BODY_BYTES = 4096


def max_body_bytes(max_text_length: int) -> int:
    """The largest message body worth reading: a JSON string escapes one character in at
    most 12 bytes (a surrogate pair as two ``\\uXXXX``), and the other fields are short."""
    return 12 * (max_text_length + 1024)


class DocumentMembership:
    """Join, leave and presence: which connections hear a document."""

    def __init__(
        self, authenticate: Authenticate, membership: Callable[[Realtime], MembershipService]
    ) -> None:
        self._authenticate = authenticate
        self._membership = membership

    @endpoint
    def join(self, request: Request, realtime: Realtime) -> Response:
        """``POST documents/{documentId}/join`` ``{"connectionId"}`` -> 204."""
        user, document_id, body = self._membership_request(request)
        self._membership(realtime).join(user, document_id, body.connection_id)
        return Response(204)

    @endpoint
    def watch(self, request: Request, realtime: Realtime) -> Response:
        """``POST documents/{documentId}/watch`` ``{"connectionId"}`` -> 204."""
        user, document_id, body = self._membership_request(request)
        self._membership(realtime).watch(user, document_id, body.connection_id)
        return Response(204)

    @endpoint
    def leave(self, request: Request, realtime: Realtime) -> Response:
        """``POST documents/{documentId}/leave`` ``{"connectionId"}`` -> 204."""
        user, document_id, body = self._membership_request(request)
        self._membership(realtime).leave(user, document_id, body.connection_id)
        return Response(204)

    @endpoint
    def presence(self, request: Request, realtime: Realtime) -> Response:
        """``GET documents/{documentId}/presence`` -> ``{"users": [{"id", "name"}]}``: who
        has a live connection in the document."""
        user = self._authenticate(request.headers)
        users = self._membership(realtime).who(user, _document_id(request))
        presence = outputs.Presence(users=[outputs.User.of(present) for present in users])
        return Response(200, presence.body())

    def _membership_request(self, request: Request) -> tuple[User, str, JoinRequest]:
        user = self._authenticate(request.headers)
        document_id = _document_id(request)
        body = parse(JoinRequest, json_object(request, MAX_MEMBERSHIP_BODY_BYTES))
        return user, document_id, body


class Messages:
    """Post messages (as the signed-in user, or as a backend for a named sender) and read
    the history."""

    def __init__(
        self,
        authenticate: Authenticate,
        posting: Callable[[Realtime], PostingService],
        history: Callable[[], HistoryService],
        max_text_length: int,
    ) -> None:
        self._authenticate = authenticate
        self._posting = posting
        self._history = history
        self._max_text_length = max_text_length

    @endpoint
    def send(self, request: Request, realtime: Realtime) -> Response:
        """``POST documents/{documentId}/messages`` ``{"text", "id"?, "replyTo"?,
        "anchor"?, "mentions"?}`` -> 201, or 200 on a retry."""
        user = self._authenticate(request.headers)
        document_id = _document_id(request)
        body = _message_body(request, SendMessageRequest, self._max_text_length)
        posted = self._posting(realtime).post(user, document_id, _draft(body))
        return _posted(posted)

    @endpoint
    def send_for_service(self, request: Request, realtime: Realtime) -> Response:
        """``POST service/documents/{documentId}/messages``: a backend posts as ``senderId``.

        The Functions host has checked the function key before this runs.
        """
        document_id = _document_id(request)
        body = _message_body(request, ServiceMessageRequest, self._max_text_length)
        sender = known_user(body.sender_id, body.sender_name or body.sender_id)
        posting = self._posting(realtime)
        return _posted(posting.post_for_service(sender, document_id, _draft(body)))

    @endpoint
    def list(self, request: Request) -> Response:
        """``GET documents/{documentId}/messages``: newest first, or oldest first
        ``?after=``."""
        user = self._authenticate(request.headers)
        document_id = _document_id(request)
        query = parse(HistoryQuery, dict(request.params))
        history = self._history()
        if query.after is not None:
            page = history.catch_up(user, document_id, Cursor.decode(query.after), query.limit)
        else:
            token = query.continuation_token
            older_than = OlderThan.decode(token) if token is not None else None
            page = history.newest_first(user, document_id, query.limit, older_than)
        return Response(200, outputs.Page.body_of(page))

    @endpoint
    def thread(self, request: Request) -> Response:
        """``GET documents/{documentId}/threads/{rootId}?limit=&continuationToken=``: the
        root, then its replies oldest first (later pages: the replies alone)."""
        user = self._authenticate(request.headers)
        document_id = _document_id(request)
        root_id = _route_value(request, "rootId", legacy_message_id_problem)
        query = parse(ThreadQuery, dict(request.params))
        token = query.continuation_token
        after = RepliesAfter.decode(token) if token is not None else None
        page = self._history().thread(user, document_id, root_id, query.limit, after)
        return Response(200, outputs.Page.body_of(page))

    @endpoint
    def threads(self, request: Request) -> Response:
        """``GET documents/{documentId}/threads?resolved=&anchored=&limit=&continuationToken=``:
        the roots with a thread or an anchor, latest change first."""
        user = self._authenticate(request.headers)
        document_id = _document_id(request)
        query = parse(ThreadsQuery, dict(request.params))
        token = query.continuation_token
        before = ThreadsBefore.decode(token) if token is not None else None
        listings = Listing.matching(query.resolved, query.anchored)
        page = self._history().threads(user, document_id, listings, query.limit, before)
        return Response(200, outputs.Page.body_of(page))


class MessageChanges:
    """Edit, delete and react to posted messages."""

    def __init__(
        self,
        authenticate: Authenticate,
        editing: Callable[[Realtime], EditingService],
        max_text_length: int,
    ) -> None:
        self._authenticate = authenticate
        self._editing = editing
        self._max_text_length = max_text_length

    @endpoint
    def edit(self, request: Request, realtime: Realtime) -> Response:
        """``PATCH documents/{documentId}/messages/{messageId}`` ``{"text"?, "anchor"?,
        "mentions"?}`` -> 200, the message (with ``editedAt`` when its text changed); the
        author only."""
        user, document_id, message_id = self._message_request(request)
        body = _message_body(request, EditRequest, self._max_text_length)
        mentions = None if body.mentions is None else tuple(body.mentions)
        edited = self._editing(realtime).edit(
            user, document_id, message_id, body.text, _anchor(body.anchor), mentions
        )
        return _message(200, edited)

    @endpoint
    def resolve(self, request: Request, realtime: Realtime) -> Response:
        """``PUT documents/{documentId}/threads/{rootId}/resolved`` ``{"resolved"}`` -> 200,
        the root; any writer, and again is harmless."""
        user = self._authenticate(request.headers)
        document_id = _document_id(request)
        root_id = _route_value(request, "rootId", legacy_message_id_problem)
        body = parse(ResolveRequest, json_object(request, MAX_MEMBERSHIP_BODY_BYTES))
        root = self._editing(realtime).resolve(user, document_id, root_id, body.resolved)
        return _message(200, root)

    @endpoint
    def delete(self, request: Request, realtime: Realtime) -> Response:
        """``DELETE documents/{documentId}/messages/{messageId}`` -> 200, the tombstone; the
        author only, and deleting again is fine. A message stored under an id today's rule
        refuses (``.``, `` x``) can still be deleted."""
        user, document_id, message_id = self._message_request(request, legacy_message_id_problem)
        tombstone = self._editing(realtime).delete(user, document_id, message_id)
        return _message(200, tombstone)

    @endpoint
    def delete_named(self, request: Request, realtime: Realtime) -> Response:
        """``POST documents/{documentId}/deletions`` ``{"messageId"}`` -> 200, the tombstone:
        as :meth:`delete`, for ids no path can carry to a function in Azure (``.``, ``..``:
        its front end resolves them as steps before routing)."""
        user = self._authenticate(request.headers)
        document_id = _document_id(request)
        body = parse(DeletionRequest, json_object(request, MAX_MEMBERSHIP_BODY_BYTES))
        tombstone = self._editing(realtime).delete(user, document_id, body.message_id)
        return _message(200, tombstone)

    @endpoint
    def react(self, request: Request, realtime: Realtime) -> Response:
        """``PUT documents/{documentId}/messages/{messageId}/reactions/{emoji}`` -> 200, the
        message."""
        user, document_id, message_id = self._message_request(request)
        emoji = _emoji(request)
        reacted = self._editing(realtime).react(user, document_id, message_id, emoji)
        return _message(200, reacted)

    @endpoint
    def unreact(self, request: Request, realtime: Realtime) -> Response:
        """``DELETE documents/{documentId}/messages/{messageId}/reactions/{emoji}`` -> 200,
        the message."""
        user, document_id, message_id = self._message_request(request)
        emoji = _emoji(request)
        unreacted = self._editing(realtime).unreact(user, document_id, message_id, emoji)
        return _message(200, unreacted)

    def _message_request(
        self, request: Request, rule: Callable[[str], str | None] = message_id_problem
    ) -> tuple[User, str, str]:
        user = self._authenticate(request.headers)
        message_id = _route_value(request, "messageId", rule)
        return user, _document_id(request), message_id


class Reading:
    """Read markers: how far the user has read, and how much is unread."""

    def __init__(self, authenticate: Authenticate, reading: Callable[[], ReadingService]) -> None:
        self._authenticate = authenticate
        self._reading = reading

    @endpoint
    def mark_read(self, request: Request) -> Response:
        """``PUT documents/{documentId}/read`` ``{"seq"}`` -> 200 ``{"seq", "unread"}``: how
        far the user has read (never backwards)."""
        user = self._authenticate(request.headers)
        document_id = _document_id(request)
        body = parse(ReadRequest, json_object(request, MAX_MEMBERSHIP_BODY_BYTES))
        reading = self._reading()
        reading.mark_read(user, document_id, body.seq)
        return _read_status(*reading.status(user, document_id))

    @endpoint
    def status(self, request: Request) -> Response:
        """``GET documents/{documentId}/read`` -> 200 ``{"seq", "unread"}``."""
        user = self._authenticate(request.headers)
        return _read_status(*self._reading().status(user, _document_id(request)))


class Inbox:
    """The caller's notifications: a page of them, and marking them read."""

    def __init__(
        self, authenticate: Authenticate, notifications: Callable[[], NotificationService]
    ) -> None:
        self._authenticate = authenticate
        self._notifications = notifications

    @endpoint
    def list(self, request: Request) -> Response:
        """``GET me/notifications?unread=&limit=&continuationToken=`` -> ``{"items",
        "continuationToken", "unreadCount"}``, newest first."""
        user = self._authenticate(request.headers)
        query = parse(InboxQuery, dict(request.params))
        token = query.continuation_token
        before = InboxBefore.decode(token) if token is not None else None
        inbox = self._notifications().inbox(
            user, unread_only=query.unread, limit=query.limit, before=before
        )
        page = outputs.NotificationPage(
            items=[outputs.Notification.of(item) for item in inbox.items],
            continuation_token=inbox.continuation_token,
            unread_count=inbox.unread_count,
        )
        return Response(200, page.body())

    @endpoint
    def mark_read(self, request: Request) -> Response:
        """``PUT me/notifications/{notificationId}/read`` -> 200, the notification; 404
        ``notification_not_found`` for one that is not the caller's."""
        user = self._authenticate(request.headers)
        notification_id = request.route_params.get("notificationId", "")
        read = self._notifications().mark_read(user, notification_id)
        return Response(200, outputs.Notification.of(read).body())

    @endpoint
    def mark_all_read(self, request: Request) -> Response:
        """``PUT me/notifications/read-all`` -> 200 ``{"unreadCount": 0}``."""
        user = self._authenticate(request.headers)
        self._notifications().mark_all_read(user)
        return Response(200, outputs.UnreadCount(unread_count=0).body())


class People:
    """Who the caller may mention in a document."""

    def __init__(self, authenticate: Authenticate, people: Callable[[], PeopleService]) -> None:
        self._authenticate = authenticate
        self._people = people

    @endpoint
    def list(self, request: Request) -> Response:
        """``GET documents/{documentId}/people`` -> ``{"items": [{"id", "name"}]}``."""
        user = self._authenticate(request.headers)
        people = self._people().people(user, _document_id(request))
        return Response(200, outputs.People(items=[outputs.User.of(p) for p in people]).body())


class Members:
    """A backend manages document members (``DOCCHAT_ACCESS=members``); the Functions host
    has checked the function key before any of these runs."""

    def __init__(self, admin: Callable[[], MemberAdmin]) -> None:
        self._admin = admin

    @endpoint
    def put(self, request: Request) -> Response:
        """``PUT service/documents/{documentId}/members/{userId}`` ``{"role"}`` -> 201, or
        200 when the user was a member already (with the role now given)."""
        document_id, user_id = _document_id(request), _member_id(request)
        body = parse(MemberRequest, json_object(request, MAX_MEMBERSHIP_BODY_BYTES))
        created = self._admin().put(document_id, user_id, Role(body.role))
        member = outputs.Member(user_id=user_id, role=body.role)
        return Response(201 if created else 200, member.body())

    @endpoint
    def remove(self, request: Request, realtime: Realtime) -> Response:
        """``DELETE service/documents/{documentId}/members/{userId}`` -> 204, member or not;
        the user's connections stop hearing the document at once."""
        self._admin().remove(_document_id(request), _member_id(request), realtime)
        return Response(204)

    @endpoint
    def list(self, request: Request) -> Response:
        """``GET service/documents/{documentId}/members?limit=&continuationToken=`` ->
        ``{"members": [{"userId", "role"}], "continuationToken"}``: a page, and the token of
        the next (None after the last)."""
        document_id = _document_id(request)
        query = parse(MembersQuery, dict(request.params))
        token = query.continuation_token
        after = MembersAfter.decode(token).key if token is not None else None
        page = self._admin().members(document_id, query.limit, after)
        listed = [
            outputs.Member(user_id=user_id, role=role.value) for user_id, role in page.members
        ]
        following = MembersAfter(page.next_after).encode() if page.next_after else None
        members = outputs.MemberList(members=listed, continuation_token=following)
        return Response(200, members.body())


class Webhooks:
    """Backend services register webhooks and read their failed deliveries; the Functions
    host has checked the function key before any of these runs."""

    def __init__(self, webhooks: Callable[[], WebhookService]) -> None:
        self._webhooks = webhooks

    @endpoint
    def put(self, request: Request) -> Response:
        """``PUT service/webhooks/{name}`` ``{"url", "events"}`` -> 201 with the new
        ``secret``, or 200 (an update: the secret stays as it was, not shown again)."""
        body = parse(WebhookRequest, json_object(request, MAX_MEMBERSHIP_BODY_BYTES))
        put = self._webhooks().register(_webhook_name(request), body.url, body.events)
        shown = outputs.Webhook.of(put.webhook, with_secret=put.created)
        return Response(201 if put.created else 200, shown.body())

    @endpoint
    def list(self, request: Request) -> Response:
        """``GET service/webhooks`` -> ``{"items": [...]}``, by name, without secrets."""
        listed = [outputs.Webhook.of(webhook) for webhook in self._webhooks().webhooks()]
        return Response(200, outputs.WebhookList(items=listed).body())

    @endpoint
    def remove(self, request: Request) -> Response:
        """``DELETE service/webhooks/{name}`` -> 204; its pending tries are dropped."""
        self._webhooks().remove(_webhook_name(request))
        return Response(204)

    @endpoint
    def failures(self, request: Request) -> Response:
        """``GET service/webhooks/{name}/failures?limit=&continuationToken=`` -> a page of
        the deliveries that exhausted the schedule, newest first."""
        query = parse(WebhookFailuresQuery, dict(request.params))
        token = query.continuation_token
        before = decode_failures_token(token) if token is not None else None
        page = self._webhooks().failures(_webhook_name(request), query.limit, before)
        following = encode_failures_token(page.next_before) if page.next_before else None
        failures = outputs.WebhookFailures(
            items=[outputs.WebhookFailure.of(failure) for failure in page.failures],
            continuation_token=following,
        )
        return Response(200, failures.body())


def _webhook_name(request: Request) -> str:
    return _route_value(request, "name", webhook_name_problem)


def _document_id(request: Request) -> str:
    return check_document_id(request.route_params.get("documentId", ""))


def _member_id(request: Request) -> str:
    return _route_value(request, "userId", user_id_problem)


def _emoji(request: Request) -> str:
    return _route_value(request, "emoji", emoji_problem)


def _route_value(request: Request, name: str, rule: Callable[[str], str | None]) -> str:
    """The route parameter ``name``, if ``rule`` finds no problem with it."""
    value = request.route_params.get(name, "")
    problem = rule(value)
    if problem:
        raise InvalidRequest(f"{name} {problem}")
    return value


def _read_status(seq: int, unread: int) -> Response:
    return Response(200, outputs.ReadStatus(seq=seq, unread=unread).body())


def _message_body(request: Request, model: type[_Message], max_text_length: int) -> _Message:
    body = json_object(request, max_body_bytes(max_text_length))
    return parse(model, body, max_text_length=max_text_length)


def _draft(body: SendMessageRequest) -> Draft:
    return Draft(body.text, body.id, body.reply_to, _anchor(body.anchor), tuple(body.mentions))


def _anchor(anchor: dict[str, JsonValue] | None) -> dict[str, Any] | None:
    """An anchor as the domain keeps it: the JSON object as parsed."""
    return None if anchor is None else dict(anchor)


def _posted(posted: Posted) -> Response:
    return _message(201 if posted.created else 200, posted.message)


def _message(status: int, message: Message) -> Response:
    return Response(status, outputs.Message.of(message).body())
