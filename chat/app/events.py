"""What the real-time service reports: connections coming and going, and client events.

A backend's adapter turns its upstream call into :class:`Connected`, :class:`Disconnected`
or :class:`ClientEvent`; these use cases keep connection ownership and presence, and relay
typing. They trust the report (the host checked the service's signature), never a client.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from chat.app.presence import Announcer, Connections, user_json
from chat.app.realtime import Realtime, group_of
from chat.domain.errors import InvalidRequest, RateLimited
from chat.domain.messages import check_document_id
from chat.domain.ratelimit import PostingRate
from shared import signals

__all__ = ["TYPING", "ClientEvent", "Connected", "Disconnected", "EventService", "InboundEvent"]

#: The client event (and the event others receive) for "this user is typing".
TYPING = "typing"
#: A connection may say it is typing once every two seconds: enough for a live indicator.
TYPING_PER_MINUTE = 30
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Connected:
    """A connection was opened, by ``user_id`` ("" for an anonymous one)."""

    connection_id: str
    user_id: str


@dataclass(frozen=True)
class Disconnected:
    """A connection closed."""

    connection_id: str


@dataclass(frozen=True)
class ClientEvent:
    """A connection sent ``name`` with ``arguments``."""

    connection_id: str
    user_id: str
    name: str
    arguments: list[Any] = field(default_factory=list)


InboundEvent = Connected | Disconnected | ClientEvent


class EventService:
    """Keeps connection ownership and presence, and relays typing."""

    def __init__(
        self,
        connections: Connections,
        realtime: Realtime,
        typing_rate: PostingRate,
        announcer: Announcer,
    ) -> None:
        self._connections = connections
        self._realtime = realtime
        self._typing_rate = typing_rate
        self._announcer = announcer

    def handle(self, event: InboundEvent) -> None:
        """Act on one report of the service."""
        signals.count("docchat.realtime.events", event=_kind(event))
        if isinstance(event, Connected):
            self.connected(event)
        elif isinstance(event, Disconnected):
            self.disconnected(event)
        elif event.name == TYPING:
            self.typing(event)
        else:
            _log.info("ignored client event %r", event.name)

    def connected(self, event: Connected) -> None:
        """Remember whose the connection is; an anonymous one can join nothing."""
        if event.user_id:
            self._connections.own(event.connection_id, event.user_id)

    def disconnected(self, event: Disconnected) -> None:
        """Forget the connection, and tell each document it was in who is left (a group
        send per document, coalesced with the document's other changes)."""
        for document_id in self._connections.forget(event.connection_id):
            self._connections.leave(document_id, event.connection_id)
            self._announcer.announce(self._connections, self._realtime, document_id)

    def typing(self, event: ClientEvent) -> None:
        """Tell the document's other connections that this user is typing: one point read
        of the typist's presence entry (~1 RU) and ONE group send that excludes the typing
        connection, whatever the room's size. (The user's other tabs hear it too, and drop
        their own user's typing: finding them would cost a query per keystroke burst.)

        Only a connection that has joined the document may; too frequent ones are dropped.
        """
        document_id = _document_of(event)
        if document_id is None:
            return
        typist = self._connections.entry(document_id, event.connection_id)
        if typist is None or typist.user.id != event.user_id:
            return
        try:
            self._typing_rate.take(event.connection_id)
        except RateLimited:
            return
        payload = {"documentId": document_id, "user": user_json(typist.user)}
        self._realtime.send_to_group(
            group_of(document_id), TYPING, payload, excluded=[event.connection_id]
        )


def _kind(event: InboundEvent) -> str:
    """The event's kind in telemetry: presence, typing, or another client event."""
    if isinstance(event, Connected):
        return "connected"
    if isinstance(event, Disconnected):
        return "disconnected"
    return TYPING if event.name == TYPING else "other"


def _document_of(event: ClientEvent) -> str | None:
    """The document a typing event names as its one argument, if it is a valid id."""
    if len(event.arguments) != 1 or not isinstance(event.arguments[0], str):
        return None
    try:
        return check_document_id(event.arguments[0])
    except InvalidRequest:
        return None
