"""Who owns which connection, and who is in which document: the state real-time events keep.

The backend tells docchat when a connection connects (and whose it is) and when it goes
(:mod:`chat.app.events`); joins and leaves tell it which documents a connection hears. A
:class:`Connections` store keeps both, with expiry where the state is ephemeral.

Liveness comes from the service's connected and disconnected events, and from expiry for a
disconnect the service never reported (a connected page refreshes its entry by joining
again): presence never asks the service about each present connection, so a change costs
the same whatever the room's size. :class:`Announcer`
coalesces a document's announcements: one group send per burst of changes, not one per
change.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from chat.app.realtime import Realtime, group_of
from chat.domain.users import User

__all__ = [
    "PRESENCE",
    "Announcer",
    "Connections",
    "Owner",
    "Present",
    "user_json",
    "users_of",
]

#: The event a document's connections receive when its presence changes.
PRESENCE = "presence"


@dataclass(frozen=True)
class Present:
    """One connection that has joined a document, and its user."""

    connection_id: str
    user: User


@dataclass(frozen=True)
class Owner:
    """Whose a connection is, and the documents it had entered when that was read (a join
    notes its document after writing the entry; a leave takes the note away after removing
    it): only a connection whose owner notes a document can be present in it."""

    user_id: str
    entered: frozenset[str] = frozenset()


class Connections(Protocol):
    """Connection owners, and the connections present in each document."""

    def own(self, connection_id: str, user_id: str) -> None:
        """Record that ``user_id`` owns the connection (it just connected)."""
        ...

    def owner(self, connection_id: str) -> Owner | None:
        """Who owns the connection, or None if docchat has not heard of it."""
        ...

    def forget(self, connection_id: str) -> list[str]:
        """The connection is gone: forget its owner; the documents it had joined."""
        ...

    def enter(self, document_id: str, present: Present) -> bool:
        """The connection now hears the document. False if its owner is gone (it
        disconnected meanwhile): the caller then takes the entry back out, so a join that
        raced a disconnect leaves no ghost."""
        ...

    def hear(self, document_id: str, present: Present) -> None:
        """The connection hears the document without being present in it (it watches a
        listed document): :meth:`of_user` finds it, so a revocation stops it hearing, but
        :meth:`entry` and :meth:`present` do not, and its disconnect announces nothing.
        :meth:`enter` makes it present; :meth:`leave` ends it; it expires as an entry does."""
        ...

    def leave(self, document_id: str, connection_id: str) -> None:
        """The connection no longer hears the document (fine if it did not)."""
        ...

    def entry(self, document_id: str, connection_id: str) -> Present | None:
        """The connection's entry, if it is present in the document (not revoked)."""
        ...

    def present(self, document_id: str) -> list[Present]:
        """The connections present in the document (not those whose user was revoked)."""
        ...

    def of_user(self, document_id: str, user_id: str) -> list[str]:
        """Every connection of ``user_id`` that joined the document and has not left it,
        revoked or not: what a revocation, or its retry, must stop hearing."""
        ...

    def revoke(self, document_id: str, connection_id: str) -> None:
        """The connection's user was revoked: it no longer shows as present, but
        :meth:`of_user` still finds it until it leaves or disconnects."""
        ...


def users_of(present: list[Present]) -> list[User]:
    """Each user once, in a stable order (by name, then id), without expiry details."""
    users = {entry.user.id: User(entry.user.id, entry.user.name) for entry in present}
    return sorted(users.values(), key=lambda user: (user.name.casefold(), user.id))


class Announcer:
    """Tells documents who is in them: at most one announcement per document in flight in
    this process, and one more after it for whatever changed meanwhile.

    A join, leave or disconnect that finds its document's announcement under way asks it to
    go once more and returns: the running one reads presence afresh (one query) and sends
    one group message, which covers every change made before it read. A burst of n changes
    on one instance costs a handful of sends, not n; each costs one call, whatever the
    room's size.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: Document -> whether a change came after its running announcement read presence.
        self._running: dict[str, bool] = {}

    def announce(self, connections: Connections, realtime: Realtime, document_id: str) -> None:
        """Announce ``document_id``'s presence now, or have the running announcement redo it."""
        with self._lock:
            if document_id in self._running:
                self._running[document_id] = True
                return
            self._running[document_id] = False
        try:
            _announce_once(connections, realtime, document_id)
            while self._changed_meanwhile(document_id):
                _announce_once(connections, realtime, document_id)
        except BaseException:
            with self._lock:
                self._running.pop(document_id, None)
            raise

    def _changed_meanwhile(self, document_id: str) -> bool:
        """Whether another announcement was asked for; if not, this one is over (decided
        under the lock, so no request can slip between the check and the end)."""
        with self._lock:
            if self._running[document_id]:
                self._running[document_id] = False
                return True
            del self._running[document_id]
            return False


def _announce_once(connections: Connections, realtime: Realtime, document_id: str) -> None:
    users = users_of(connections.present(document_id))
    payload = {"documentId": document_id, "users": [user_json(user) for user in users]}
    realtime.send_to_group(group_of(document_id), PRESENCE, payload)


def user_json(user: User) -> dict[str, str]:
    """A user as events and the presence endpoint show one."""
    return {"id": user.id, "name": user.name}
