"""How docchat reaches connected clients: group membership and broadcasts, in either mode.

The use cases speak to :class:`Realtime`. In REST mode :class:`RestRealtime` calls the
SignalR data-plane API at once and reports failures; in bindings mode
:class:`BindingOutput` writes the ``signalR`` output binding's JSON, which the Functions host
carries out after the function returns (so failures there never reach docchat).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, Protocol

from chat.errors import ConnectionNotFound, Misconfigured, RealtimeUnavailable
from signalr.bindings import OutputItem, SignalRGroupAction, SignalRMessage, dump_output
from signalr.errors import NotFoundError, ServiceError, ServiceUnavailableError

if TYPE_CHECKING:
    from chat.breaker import Breaker
    from signalr.rest import HubClient

__all__ = ["BindingOutput", "Emit", "Realtime", "RestRealtime", "realtime_outage"]

#: Sets a function's ``signalR`` output binding (``func.Out[str].set``).
Emit = Callable[[str], None]

_log = logging.getLogger(__name__)


class Realtime(Protocol):
    """Adds connections to groups and invokes client methods on a group's connections."""

    def add_to_group(self, group: str, connection_id: str) -> None:
        """Make the connection hear the group; :class:`ConnectionNotFound` if it is gone."""
        ...

    def remove_from_group(self, group: str, connection_id: str) -> None:
        """Stop the connection hearing the group; a connection already gone is fine."""
        ...

    def send_to_group(self, group: str, target: str, argument: Any) -> None:
        """Invoke ``target(argument)`` on every connection in ``group``."""
        ...

    def stop_user_hearing(self, group: str, user_id: str) -> None:
        """Make every connection of ``user_id`` stop hearing ``group`` now."""
        ...


class RestRealtime:
    """Realtime through :class:`signalr.rest.HubClient`; failures raise at once, and while
    an outage is fresh, ``breaker`` fails calls without trying (see :mod:`chat.breaker`)."""

    def __init__(self, hub: HubClient, breaker: Breaker) -> None:
        self._hub = hub
        self._breaker = breaker

    def add_to_group(self, group: str, connection_id: str) -> None:
        try:
            with self._outages_reported():
                self._hub.add_connection_to_group(group, connection_id)
        except NotFoundError:
            raise ConnectionNotFound(
                "that SignalR connection is not connected: negotiate and connect first"
            ) from None

    def remove_from_group(self, group: str, connection_id: str) -> None:
        with suppress(NotFoundError), self._outages_reported():
            self._hub.remove_connection_from_group(group, connection_id)

    def send_to_group(self, group: str, target: str, argument: Any) -> None:
        with self._outages_reported():
            self._hub.send_to_group(group, target, [argument])

    def stop_user_hearing(self, group: str, user_id: str) -> None:
        """Close the user's connections: the service cannot tell which of them joined the
        group. Clients reconnect at once, and re-join only what they may still see."""
        with self._outages_reported():
            self._hub.close_user_connections(user_id, reason=f"access to {group} changed")

    @contextmanager
    def _outages_reported(self) -> Iterator[None]:
        self._breaker.check()
        try:
            with _outages_reported():
                yield
        except RealtimeUnavailable:
            self._breaker.opened()
            raise
        self._breaker.closed()


class BindingOutput:
    """Realtime as ``signalR`` output-binding items, handed to ``emit`` as one JSON list.

    A function's output binding holds one value, so each call re-emits every item so far.
    """

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._items: list[OutputItem] = []

    def add_to_group(self, group: str, connection_id: str) -> None:
        self._append(
            SignalRGroupAction(action="add", group_name=group, connection_id=connection_id)
        )

    def remove_from_group(self, group: str, connection_id: str) -> None:
        self._append(
            SignalRGroupAction(action="remove", group_name=group, connection_id=connection_id)
        )

    def send_to_group(self, group: str, target: str, argument: Any) -> None:
        self._append(SignalRMessage(target=target, arguments=[argument], group_name=group))

    def stop_user_hearing(self, group: str, user_id: str) -> None:
        """The output binding cannot close connections: this removes the user from the
        group, which the service applies to the user's connections."""
        self._append(SignalRGroupAction(action="remove", group_name=group, user_id=user_id))

    def _append(self, item: OutputItem) -> None:
        self._items.append(item)
        self._emit(dump_output(self._items))


def realtime_outage() -> RealtimeUnavailable:
    """What a caller hears while SignalR is down."""
    return RealtimeUnavailable("the realtime service is unreachable; try again shortly")


@contextmanager
def _outages_reported() -> Iterator[None]:
    """Turn an unreachable or failing service (5xx, 429) into :class:`RealtimeUnavailable`,
    and a refusal of docchat's own credentials (401, 403) into :class:`Misconfigured`.

    Other 4xx answers mean docchat sent something wrong: a bug, left to surface as one.
    """
    try:
        yield
    except ServiceUnavailableError as error:
        _log.warning("SignalR unreachable: %s", error)
        raise realtime_outage() from None
    except ServiceError as error:
        if error.status_code in (401, 403):
            _log.error(
                "SignalR refused docchat's credentials (%s): check the AccessKey in"
                " AzureSignalRConnectionString, or the identity's SignalR role",
                error.status_code,
            )
            raise Misconfigured(f"SignalR answered {error.status_code}") from None
        if error.status_code < 500 and error.status_code != 429:
            raise
        _log.warning("SignalR failed: %s", error)
        raise RealtimeUnavailable("the realtime service failed; try again shortly") from None
