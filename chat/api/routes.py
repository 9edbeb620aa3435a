"""The route table: every HTTP route of docchat, and the endpoint that serves it.

:data:`ROUTES` is the whole API: each row names its function, route, methods, what it
needs from the real-time backend (:class:`Seam`), who may call it (:class:`Audience`) and its
endpoint, chosen from the :class:`Endpoints` the composition root builds once, and says what
the OpenAPI description needs of its operation (summary, models, statuses, links). The
wiring (:mod:`functions.http_api`) registers one function per row; the description
(:mod:`chat.api.openapi`) is generated from the same rows and the models they name.

Importing this module loads no endpoint and no model (rows name their models; the
description resolves them): each group of endpoints is built, and its module imported, on its
first call, so negotiate never loads pydantic or a store.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chat.app.runtime import Runtime
from shared.once import built_once

if TYPE_CHECKING:
    from chat.api.endpoints import (
        DocumentMembership,
        Inbox,
        Members,
        MessageChanges,
        Messages,
        People,
        Reading,
        Webhooks,
    )
    from chat.api.http import Response
    from chat.api.negotiation import Negotiation
    from chat.api.openapi import Contract

__all__ = ["DOCUMENT", "ROUTES", "Audience", "Endpoints", "Link", "Route", "Seam"]

DOCUMENT = "documents/{documentId}"
SERVICE_DOCUMENT = f"service/{DOCUMENT}"
MEMBER = f"{SERVICE_DOCUMENT}/members/{{userId}}"
MESSAGE = f"{DOCUMENT}/messages/{{messageId}}"
REACTION = f"{MESSAGE}/reactions/{{emoji}}"
THREADS = f"{DOCUMENT}/threads"
THREAD = f"{THREADS}/{{rootId}}"
INBOX = "me/notifications"
WEBHOOKS = "service/webhooks"
WEBHOOK = f"{WEBHOOKS}/{{name}}"


class Seam(enum.Enum):
    """What an endpoint needs from the real-time backend besides the request."""

    NONE = enum.auto()
    REALTIME = enum.auto()
    NEGOTIATOR = enum.auto()


class Audience(enum.Enum):
    """Who calls a route: users (identified by ``DOCCHAT_AUTH``), backends (the host checks
    their function key), or anyone (nothing secret is served)."""

    USER = enum.auto()
    SERVICE = enum.auto()
    ANYONE = enum.auto()


class Endpoints:
    """Every endpoint group, each built once from ``runtime``, on its first use."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    @built_once
    def negotiation(self) -> Negotiation:
        from chat.api.negotiation import Negotiation

        return Negotiation(self._runtime.authenticate, self._runtime.settings.auth)

    @built_once
    def membership(self) -> DocumentMembership:
        from chat.api.endpoints import DocumentMembership

        return DocumentMembership(self._runtime.authenticate, self._runtime.membership)

    @built_once
    def messages(self) -> Messages:
        from chat.api.endpoints import Messages

        runtime = self._runtime
        limit = runtime.settings.max_message_length
        return Messages(runtime.authenticate, runtime.posting, runtime.history, limit)

    @built_once
    def changes(self) -> MessageChanges:
        from chat.api.endpoints import MessageChanges

        runtime = self._runtime
        limit = runtime.settings.max_message_length
        return MessageChanges(runtime.authenticate, runtime.editing, limit)

    @built_once
    def reading(self) -> Reading:
        from chat.api.endpoints import Reading

        return Reading(self._runtime.authenticate, self._runtime.reading)

    @built_once
    def inbox(self) -> Inbox:
        from chat.api.endpoints import Inbox

        return Inbox(self._runtime.authenticate, self._runtime.notifications)

    @built_once
    def people(self) -> People:
        from chat.api.endpoints import People

        return People(self._runtime.authenticate, self._runtime.people)

    @built_once
    def members(self) -> Members:
        from chat.api.endpoints import Members

        return Members(self._runtime.member_admin)

    @built_once
    def webhooks(self) -> Webhooks:
        from chat.api.endpoints import Webhooks

        runtime = self._runtime
        return Webhooks(lambda: runtime.webhooks)

    @built_once
    def contract(self) -> Contract:
        from chat.api.openapi import Contract

        return Contract(self._runtime.settings)


#: An endpoint: the request, then the seam's value if the route has one.
Handler = Callable[..., "Response"]


@dataclass(frozen=True)
class Link:
    """An operation a client may call next with what an answer gave it: each of its
    parameters and the OpenAPI runtime expression that fills it (schemathesis's stateful
    phase follows these)."""

    operation: str
    parameters: Mapping[str, str]


@dataclass(frozen=True)
class Route:
    """One function and its operation: the name, route, methods, seam, audience and
    endpoint that serve it, and what the OpenAPI description says of it: its summary, the
    models (by name) of its body (:mod:`chat.api.inputs`), its query string and its answer
    (:mod:`chat.api.outputs`; None: no body), its success statuses, its error statuses, and
    its links. Path parameters are the route's ``{names}``; a route with a body also refuses
    one too large or not declared as JSON (413, 415)."""

    name: str
    route: str
    methods: tuple[str, ...]
    endpoint: Callable[[Endpoints], Handler]
    summary: str
    answer: str | None
    errors: tuple[int, ...]
    seam: Seam = Seam.NONE
    audience: Audience = Audience.USER
    body: str | None = None
    query: str | None = None
    statuses: tuple[int, ...] = (200,)
    links: tuple[Link, ...] = ()

    def operations(self) -> dict[tuple[str, str], str]:
        """Each (OpenAPI path, lower-case method) this route serves, and its name."""
        return {(f"/{self.route}", method.lower()): self.name for method in self.methods}


def _links(*operations: str, **parameters: str) -> tuple[Link, ...]:
    return tuple(Link(operation, parameters) for operation in operations)


_REALTIME, _SERVICE = Seam.REALTIME, Audience.SERVICE
#: What every route refuses: a malformed request, an anonymous caller, an unroutable id, and
#: an unavailable store or service; users' routes a document they may not see too.
_REFUSED = (400, 401, 404, 503)
_USERS_REFUSED = (*_REFUSED, 403)
_SERVICE_REFUSED = (*_REFUSED, 409)
#: Posting and changing messages is rate limited.
_CHANGE_REFUSED = (*_USERS_REFUSED, 429)
#: What a client does with a message it posted: change it, react to it, read it back.
_MESSAGE_LINKS = (
    _links(
        "edit_message",
        "delete_message",
        "add_reaction",
        "remove_reaction",
        documentId="$request.path.documentId",
        messageId="$response.body#/id",
    )
    + _links(
        "get_thread",
        "resolve_thread",
        documentId="$request.path.documentId",
        rootId="$response.body#/id",
    )
    + _links("list_messages", "list_threads", documentId="$request.path.documentId")
)


def _connection_route(step: str, endpoint: Callable[[Endpoints], Handler], summary: str) -> Route:
    """``join_document``, ``watch_document`` or ``leave_document``: a connection joins,
    hears or leaves the document's group; they differ in nothing else."""
    return Route(
        f"{step}_document",
        f"{DOCUMENT}/{step}",
        ("POST",),
        endpoint,
        summary,
        None,
        _USERS_REFUSED,
        Seam.REALTIME,
        body="JoinRequest",
        statuses=(204,),
    )


def _service_route(
    name: str,
    route: str,
    method: str,
    endpoint: Callable[[Endpoints], Handler],
    summary: str,
    answer: str | None,
    **details: Any,
) -> Route:
    """A route of backend services: the host checks their function key, and each may
    answer 409 besides what every route refuses (members not enabled, an id taken, a
    document's history full)."""
    return Route(
        name,
        route,
        (method,),
        endpoint,
        summary,
        answer,
        _SERVICE_REFUSED,
        audience=_SERVICE,
        **details,
    )


ROUTES = (
    Route(
        "negotiate",
        "negotiate",
        ("GET", "POST"),
        lambda api: api.negotiation.negotiate,
        "Where and how the signed-in user's client connects to the real-time service.",
        "NegotiateResponse",
        (401, 503),
        Seam.NEGOTIATOR,
    ),
    _connection_route(
        "join",
        lambda api: api.membership.join,
        "Add a real-time connection to the document's group.",
    ),
    _connection_route(
        "watch",
        lambda api: api.membership.watch,
        "Add a real-time connection to the document's group without being present in it "
        "(to count a listed document's unread messages live); leave ends it.",
    ),
    _connection_route(
        "leave",
        lambda api: api.membership.leave,
        "Remove a real-time connection from the document's group.",
    ),
    Route(
        "send_message",
        f"{DOCUMENT}/messages",
        ("POST",),
        lambda api: api.messages.send,
        "Store a message as the document's next and broadcast it (200: a retry); with "
        "`replyTo` a reply in that message's thread, whose root's new summary is broadcast "
        "too.",
        "Message",
        (*_CHANGE_REFUSED, 409),
        _REALTIME,
        body="SendMessageRequest",
        statuses=(201, 200),
        links=_MESSAGE_LINKS,
    ),
    Route(
        "list_messages",
        f"{DOCUMENT}/messages",
        ("GET",),
        lambda api: api.messages.list,
        "The timeline (messages that are no reply) newest first by seq, or with `after` "
        "exactly what followed a cursor (replies and roots whose thread changed too).",
        "Page",
        _USERS_REFUSED,
        query="HistoryQuery",
    ),
    Route(
        "get_thread",
        THREAD,
        ("GET",),
        lambda api: api.messages.thread,
        "A thread: its root (first page only), then its replies oldest first.",
        "Page",
        _USERS_REFUSED,
        query="ThreadQuery",
    ),
    Route(
        "list_threads",
        THREADS,
        ("GET",),
        lambda api: api.messages.threads,
        "The roots with replies, an anchor or a resolution, latest change first; "
        "`resolved` and `anchored` filter them.",
        "Page",
        _USERS_REFUSED,
        query="ThreadsQuery",
    ),
    Route(
        "resolve_thread",
        f"{THREAD}/resolved",
        ("PUT",),
        lambda api: api.changes.resolve,
        "Resolve a thread, or reopen it (any writer); the root is broadcast.",
        "Message",
        _CHANGE_REFUSED,
        _REALTIME,
        body="ResolveRequest",
    ),
    Route(
        "presence",
        f"{DOCUMENT}/presence",
        ("GET",),
        lambda api: api.membership.presence,
        "The users with a live connection that has joined the document.",
        "Presence",
        _USERS_REFUSED,
        _REALTIME,
    ),
    Route(
        "edit_message",
        MESSAGE,
        ("PATCH",),
        lambda api: api.changes.edit,
        "Change your own message's text (it is marked edited), or your root's anchor.",
        "Message",
        (*_CHANGE_REFUSED, 409),
        _REALTIME,
        body="EditRequest",
    ),
    Route(
        "delete_message",
        MESSAGE,
        ("DELETE",),
        lambda api: api.changes.delete,
        "Delete your own message: history keeps a tombstone without its text.",
        "Message",
        _CHANGE_REFUSED,
        _REALTIME,
    ),
    Route(
        "delete_named_message",
        f"{DOCUMENT}/deletions",
        ("POST",),
        lambda api: api.changes.delete_named,
        "Delete your own message named in the body: any id it was stored under, "
        "`.` and `..` too, which no path can carry.",
        "Message",
        _CHANGE_REFUSED,
        _REALTIME,
        body="DeletionRequest",
    ),
    Route(
        "add_reaction",
        REACTION,
        ("PUT",),
        lambda api: api.changes.react,
        "React to a message with one emoji.",
        "Message",
        (*_CHANGE_REFUSED, 409),
        _REALTIME,
    ),
    Route(
        "remove_reaction",
        REACTION,
        ("DELETE",),
        lambda api: api.changes.unreact,
        "Take your reaction back.",
        "Message",
        (*_CHANGE_REFUSED, 409),
        _REALTIME,
    ),
    Route(
        "mark_read",
        f"{DOCUMENT}/read",
        ("PUT",),
        lambda api: api.reading.mark_read,
        "Record how far you have read (it never moves backwards).",
        "ReadStatus",
        _USERS_REFUSED,
        body="ReadRequest",
    ),
    Route(
        "read_status",
        f"{DOCUMENT}/read",
        ("GET",),
        lambda api: api.reading.status,
        "How far you have read, and how many messages after it are unread.",
        "ReadStatus",
        _USERS_REFUSED,
    ),
    Route(
        "list_people",
        f"{DOCUMENT}/people",
        ("GET",),
        lambda api: api.people.list,
        "Who you may mention in the document: its members (DOCCHAT_ACCESS=members), else "
        "who posted lately and who is present; at most 100.",
        "People",
        _USERS_REFUSED,
    ),
    Route(
        "list_notifications",
        INBOX,
        ("GET",),
        lambda api: api.inbox.list,
        "Your notifications (mentions, and replies in threads you are in) across documents, "
        "newest first, with how many are unread; `unread=true` only the unread ones.",
        "NotificationPage",
        _REFUSED,
        query="InboxQuery",
    ),
    # Its own path (no {notificationId}), so no route template can take "read-all" for an id.
    Route(
        "mark_all_notifications_read",
        f"{INBOX}/read-all",
        ("PUT",),
        lambda api: api.inbox.mark_all_read,
        "Mark all your notifications read.",
        "UnreadCount",
        _REFUSED,
    ),
    Route(
        "mark_notification_read",
        f"{INBOX}/{{notificationId}}/read",
        ("PUT",),
        lambda api: api.inbox.mark_read,
        "Mark one of your notifications read (again is harmless); someone else's is 404.",
        "Notification",
        _REFUSED,
    ),
    _service_route(
        "send_service_message",
        f"{SERVICE_DOCUMENT}/messages",
        "POST",
        lambda api: api.messages.send_for_service,
        "A backend posts a message for a named sender.",
        "Message",
        seam=_REALTIME,
        body="ServiceMessageRequest",
        statuses=(201, 200),
    ),
    _service_route(
        "put_member",
        MEMBER,
        "PUT",
        lambda api: api.members.put,
        "Make the user a reader or writer of the document (200: they were a member).",
        "Member",
        body="MemberRequest",
        statuses=(201, 200),
        links=_links(
            "remove_member", documentId="$request.path.documentId", userId="$response.body#/userId"
        ),
    ),
    _service_route(
        "remove_member",
        MEMBER,
        "DELETE",
        lambda api: api.members.remove,
        "End the membership; the user's connections stop hearing the document.",
        None,
        seam=_REALTIME,
        statuses=(204,),
    ),
    _service_route(
        "list_members",
        f"{SERVICE_DOCUMENT}/members",
        "GET",
        lambda api: api.members.list,
        "The document's members and roles (DOCCHAT_ACCESS=members), a page at a time.",
        "MemberList",
        query="MembersQuery",
    ),
    _service_route(
        "put_webhook",
        WEBHOOK,
        "PUT",
        lambda api: api.webhooks.put,
        "Register a webhook (201, with its `secret`, shown only now) or change its url and "
        "events (200). Outside dev mode the url must be https on a public address.",
        "Webhook",
        body="WebhookRequest",
        statuses=(201, 200),
        links=_links("remove_webhook", "list_webhook_failures", name="$request.path.name"),
    ),
    _service_route(
        "list_webhooks",
        WEBHOOKS,
        "GET",
        lambda api: api.webhooks.list,
        "Every webhook, by name, without secrets.",
        "WebhookList",
    ),
    _service_route(
        "remove_webhook",
        WEBHOOK,
        "DELETE",
        lambda api: api.webhooks.remove,
        "Remove a webhook; its pending retries are dropped.",
        None,
        statuses=(204,),
    ),
    _service_route(
        "list_webhook_failures",
        f"{WEBHOOK}/failures",
        "GET",
        lambda api: api.webhooks.failures,
        "The webhook's deliveries that exhausted the retry schedule, newest first, a page "
        "at a time.",
        "WebhookFailures",
        query="WebhookFailuresQuery",
    ),
    Route(
        "openapi",
        "openapi.json",
        ("GET",),
        lambda api: api.contract.document,
        "This description.",
        "Description",
        (),
        audience=Audience.ANYONE,
    ),
)
