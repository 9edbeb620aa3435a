"""Who owns which connection, and who is in which document: the state real-time events keep.

The backend tells docchat when a connection connects (and whose it is) and when it goes
(:mod:`chat.events`); joins and leaves tell it which documents a connection hears. A
:class:`Connections` store keeps both, with expiry where the state is ephemeral: the service
does not promise to report every disconnect, so what it forgets expires, and what is read
is checked against the service where it can tell (:meth:`~chat.realtime.Realtime.is_connected`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chat.identity import User
from chat.realtime import Realtime, group_of

__all__ = [
    "PRESENCE",
    "Connections",
    "Present",
    "announce",
    "live_presence",
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


class Connections(Protocol):
    """Connection owners, and the connections present in each document."""

    def own(self, connection_id: str, user_id: str) -> None:
        """Record that ``user_id`` owns the connection (it just connected)."""
        ...

    def owner(self, connection_id: str) -> str | None:
        """The user who owns the connection, or None if docchat has not heard of it."""
        ...

    def forget(self, connection_id: str) -> list[str]:
        """The connection is gone: forget its owner; the documents it had joined."""
        ...

    def enter(self, document_id: str, present: Present) -> None:
        """The connection now hears the document."""
        ...

    def leave(self, document_id: str, connection_id: str) -> None:
        """The connection no longer hears the document (fine if it did not)."""
        ...

    def present(self, document_id: str) -> list[Present]:
        """The connections present in the document."""
        ...


def users_of(present: list[Present]) -> list[User]:
    """Each user once, in a stable order (by name, then id), without expiry details."""
    users = {entry.user.id: User(entry.user.id, entry.user.name) for entry in present}
    return sorted(users.values(), key=lambda user: (user.name.casefold(), user.id))


def live_presence(connections: Connections, realtime: Realtime, document_id: str) -> list[Present]:
    """The document's presence, less the connections the service says are gone (their
    disconnect was never reported): those are forgotten here, so presence converges."""
    alive = []
    for entry in connections.present(document_id):
        if realtime.is_connected(entry.connection_id) is False:
            connections.leave(document_id, entry.connection_id)
        else:
            alive.append(entry)
    return alive


def announce(connections: Connections, realtime: Realtime, document_id: str) -> None:
    """Tell the document's connections who is in it now."""
    users = users_of(live_presence(connections, realtime, document_id))
    payload = {"documentId": document_id, "users": [user_json(user) for user in users]}
    realtime.send_to_group(group_of(document_id), PRESENCE, payload)


def user_json(user: User) -> dict[str, str]:
    """A user as events and the presence endpoint show one."""
    return {"id": user.id, "name": user.name}
