"""The seam between chat and a real-time backend: what the use cases need from one.

chat/ names no backend. An adapter in :mod:`realtime` implements these protocols with Azure
SignalR Service or Azure Web PubSub (each by REST or the Functions bindings), and the
function edge hands the use cases the one the app was configured with (see
:mod:`functions`).

- :class:`Realtime`: group membership, broadcasts and sends to a user, for one invocation.
- :class:`Negotiator`: what a client needs to connect, and the recognition of a client token
  the backend issued (a reconnecting client presents it instead of the app's token).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from chat.domain.errors import RealtimeUnavailable
from chat.domain.users import User

__all__ = ["Negotiator", "Realtime", "group_of", "realtime_outage"]


class Realtime(Protocol):
    """Adds connections to groups and sends events to a group's or a user's connections."""

    def add_to_group(self, group: str, connection_id: str) -> None:
        """Make the connection hear the group; :class:`ConnectionNotFound` if it is gone."""
        ...

    def remove_from_group(self, group: str, connection_id: str) -> None:
        """Stop the connection hearing the group; a connection already gone is fine."""
        ...

    def send_to_group(
        self, group: str, event: str, payload: Any, excluded: Sequence[str] = ()
    ) -> None:
        """Deliver ``event`` with ``payload`` to every connection in ``group`` but the
        ``excluded`` ones: one service call, whatever the group's size. A backend that
        cannot exclude (the SignalR output binding) sends to all, and says so."""
        ...

    def send_to_user(self, user_id: str, event: str, payload: Any) -> None:
        """Deliver ``event`` with ``payload`` to every connection of ``user_id``, on any
        document (in a document's group or none): one service call, whatever the number of
        connections. A user with none is fine; a failure raises
        :class:`RealtimeUnavailable` as :meth:`send_to_group` does."""
        ...

    def stop_user_hearing(self, group: str, user_id: str, connection_ids: Sequence[str]) -> None:
        """Make every connection of ``user_id`` stop hearing ``group`` now;
        ``connection_ids`` are the ones docchat saw join it (a backend that cannot reach
        all of a user's connections at once removes these one by one)."""
        ...

    def is_connected(self, connection_id: str) -> bool | None:
        """Whether the connection is still connected; None when this backend cannot tell.

        One service call: only a join whose connection docchat has not heard of asks it."""
        ...


class Negotiator(Protocol):
    """How a signed-in user's client learns where and how to connect."""

    def connection_for(self, user: User) -> dict[str, Any]:
        """The negotiate response for ``user``; nothing in it outlives
        ``user.signed_in_until``."""
        ...

    def renewed_user(self, headers: Mapping[str, str]) -> User | None:
        """The user of a still-valid client token this backend issued, if the request
        carries one; None otherwise."""
        ...


def group_of(document_id: str) -> str:
    """The group whose connections hear a document's events."""
    return f"document:{document_id}"


def realtime_outage() -> RealtimeUnavailable:
    """What a caller hears while the real-time service is down."""
    return RealtimeUnavailable("the realtime service is unreachable; try again shortly")
