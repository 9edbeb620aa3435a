"""The route table: every HTTP route of docchat, and the endpoint that serves it.

:data:`ROUTES` is the whole API: each row names its function, route, methods, what it
needs from the real-time backend (:class:`Seam`), who may call it (:class:`Audience`) and its
endpoint, chosen from the :class:`Endpoints` the composition root builds once. The wiring
(:mod:`functions.http_api`) registers one function per row; the OpenAPI description
(:mod:`chat.api.openapi`) lists the same rows.

Importing this module loads no endpoint: each group of endpoints is built, and its module
imported, on its first call, so negotiate never loads pydantic or a store.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chat.app.runtime import Runtime
from shared.once import Once

if TYPE_CHECKING:
    from chat.api.endpoints import (
        DocumentMembership,
        Members,
        MessageChanges,
        Messages,
        Reading,
    )
    from chat.api.http import Response
    from chat.api.negotiation import Negotiation
    from chat.api.openapi import Contract

__all__ = ["DOCUMENT", "ROUTES", "Audience", "Endpoints", "Route", "Seam"]

DOCUMENT = "documents/{documentId}"
SERVICE_DOCUMENT = f"service/{DOCUMENT}"
MEMBER = f"{SERVICE_DOCUMENT}/members/{{userId}}"
MESSAGE = f"{DOCUMENT}/messages/{{messageId}}"
REACTION = f"{MESSAGE}/reactions/{{emoji}}"


class Seam(enum.Enum):
    """What an endpoint needs from the real-time backend besides the request."""

    NONE = enum.auto()
    REALTIME = enum.auto()
    NEGOTIATOR = enum.auto()


class Audience(enum.Enum):
    """Who calls a route: users (identified by ``DOCCHAT_AUTH``) or backends (the host checks
    their function key)."""

    USER = enum.auto()
    SERVICE = enum.auto()


class Endpoints:
    """Every endpoint group, each built once from ``runtime``, on its first use."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._negotiation = Once(self._build_negotiation)
        self._membership = Once(self._build_membership)
        self._messages = Once(self._build_messages)
        self._changes = Once(self._build_changes)
        self._reading = Once(self._build_reading)
        self._members = Once(self._build_members)
        self._contract = Once(self._build_contract)

    @property
    def negotiation(self) -> Negotiation:
        return self._negotiation.get()

    @property
    def membership(self) -> DocumentMembership:
        return self._membership.get()

    @property
    def messages(self) -> Messages:
        return self._messages.get()

    @property
    def changes(self) -> MessageChanges:
        return self._changes.get()

    @property
    def reading(self) -> Reading:
        return self._reading.get()

    @property
    def members(self) -> Members:
        return self._members.get()

    @property
    def contract(self) -> Contract:
        return self._contract.get()

    def _build_negotiation(self) -> Negotiation:
        from chat.api.negotiation import Negotiation

        return Negotiation(self._runtime.authenticate, self._runtime.settings.auth)

    def _build_membership(self) -> DocumentMembership:
        from chat.api.endpoints import DocumentMembership

        return DocumentMembership(self._runtime.authenticate, self._runtime.membership)

    def _build_messages(self) -> Messages:
        from chat.api.endpoints import Messages

        runtime = self._runtime
        limit = runtime.settings.max_message_length
        return Messages(runtime.authenticate, runtime.posting, runtime.history, limit)

    def _build_changes(self) -> MessageChanges:
        from chat.api.endpoints import MessageChanges

        runtime = self._runtime
        limit = runtime.settings.max_message_length
        return MessageChanges(runtime.authenticate, runtime.editing, limit)

    def _build_reading(self) -> Reading:
        from chat.api.endpoints import Reading

        return Reading(self._runtime.authenticate, self._runtime.reading)

    def _build_members(self) -> Members:
        from chat.api.endpoints import Members

        return Members(self._runtime.member_admin)

    def _build_contract(self) -> Contract:
        from chat.api.openapi import Contract

        return Contract(self._runtime.settings)


#: An endpoint: the request, then the seam's value if the route has one.
Handler = Callable[..., "Response"]


@dataclass(frozen=True)
class Route:
    """One function: its name, route, methods, seam, audience and endpoint."""

    name: str
    route: str
    methods: tuple[str, ...]
    endpoint: Callable[[Endpoints], Handler]
    seam: Seam = Seam.NONE
    audience: Audience = Audience.USER

    def operations(self) -> dict[tuple[str, str], str]:
        """Each (OpenAPI path, lower-case method) this route serves, and its name."""
        return {(f"/{self.route}", method.lower()): self.name for method in self.methods}


_REALTIME, _SERVICE = Seam.REALTIME, Audience.SERVICE
ROUTES = (
    Route(
        "negotiate",
        "negotiate",
        ("GET", "POST"),
        lambda api: api.negotiation.negotiate,
        Seam.NEGOTIATOR,
    ),
    Route(
        "join_document", f"{DOCUMENT}/join", ("POST",), lambda api: api.membership.join, _REALTIME
    ),
    Route(
        "leave_document",
        f"{DOCUMENT}/leave",
        ("POST",),
        lambda api: api.membership.leave,
        _REALTIME,
    ),
    Route(
        "send_message", f"{DOCUMENT}/messages", ("POST",), lambda api: api.messages.send, _REALTIME
    ),
    Route("list_messages", f"{DOCUMENT}/messages", ("GET",), lambda api: api.messages.list),
    Route(
        "presence", f"{DOCUMENT}/presence", ("GET",), lambda api: api.membership.presence, _REALTIME
    ),
    Route("edit_message", MESSAGE, ("PATCH",), lambda api: api.changes.edit, _REALTIME),
    Route("delete_message", MESSAGE, ("DELETE",), lambda api: api.changes.delete, _REALTIME),
    Route(
        "delete_named_message",
        f"{DOCUMENT}/deletions",
        ("POST",),
        lambda api: api.changes.delete_named,
        _REALTIME,
    ),
    Route("add_reaction", REACTION, ("PUT",), lambda api: api.changes.react, _REALTIME),
    Route("remove_reaction", REACTION, ("DELETE",), lambda api: api.changes.unreact, _REALTIME),
    Route("mark_read", f"{DOCUMENT}/read", ("PUT",), lambda api: api.reading.mark_read),
    Route("read_status", f"{DOCUMENT}/read", ("GET",), lambda api: api.reading.status),
    Route(
        "send_service_message",
        f"{SERVICE_DOCUMENT}/messages",
        ("POST",),
        lambda api: api.messages.send_for_service,
        _REALTIME,
        _SERVICE,
    ),
    Route("put_member", MEMBER, ("PUT",), lambda api: api.members.put, audience=_SERVICE),
    Route(
        "remove_member", MEMBER, ("DELETE",), lambda api: api.members.remove, _REALTIME, _SERVICE
    ),
    Route(
        "list_members",
        f"{SERVICE_DOCUMENT}/members",
        ("GET",),
        lambda api: api.members.list,
        audience=_SERVICE,
    ),
    Route("openapi", "openapi.json", ("GET",), lambda api: api.contract.document),
)
