"""Group membership and sends through the SignalR REST API (REST mode).

Failures are heard at once: an unreachable or failing service is a 503
(:class:`~chat.domain.errors.RealtimeUnavailable`), a refusal of docchat's own credentials is
:class:`~chat.domain.errors.Misconfigured`, and while an outage is fresh a breaker fails calls
without trying (see :mod:`shared.breaker`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from chat.app.realtime import realtime_outage
from chat.domain.errors import ConnectionNotFound, Misconfigured, RealtimeUnavailable
from realtime.liveness import Liveness
from shared.breaker import Breaker
from shared.entra import CredentialError
from signalr.errors import (
    NotFoundError,
    ServiceError,
    ServiceUnavailableError,
)

if TYPE_CHECKING:
    from signalr.rest import HubClient

__all__ = ["RestRealtime", "outages_reported"]

_log = logging.getLogger(__name__)


class RestRealtime:
    """:class:`~chat.app.realtime.Realtime` through :class:`signalr.rest.HubClient`; failures
    raise at once, and while an outage is fresh, ``breaker`` fails calls without trying."""

    def __init__(self, hub: HubClient, breaker: Breaker, liveness: Liveness) -> None:
        self._hub = hub
        self._breaker = breaker
        self._liveness = liveness

    def add_to_group(self, group: str, connection_id: str) -> None:
        try:
            with outages_reported(self._breaker):
                self._hub.add_connection_to_group(group, connection_id)
        except NotFoundError:
            raise ConnectionNotFound(
                "that SignalR connection is not connected: negotiate and connect first"
            ) from None

    def remove_from_group(self, group: str, connection_id: str) -> None:
        with suppress(NotFoundError), outages_reported(self._breaker):
            self._hub.remove_connection_from_group(group, connection_id)

    def send_to_group(
        self, group: str, event: str, payload: Any, excluded: Sequence[str] = ()
    ) -> None:
        with outages_reported(self._breaker):
            self._hub.send_to_group(group, event, [payload], excluded=excluded)

    def send_to_user(self, user_id: str, event: str, payload: Any) -> None:
        with outages_reported(self._breaker):
            self._hub.send_to_user(user_id, event, [payload])

    def is_connected(self, connection_id: str) -> bool | None:
        """Asked of the service (one HEAD), and remembered for a few seconds. None while
        the service cannot be asked."""
        known = self._liveness.get(connection_id)
        if known is not None:
            return known
        try:
            with outages_reported(self._breaker):
                connected = self._hub.connection_exists(connection_id)
        except RealtimeUnavailable:
            return None  # presence may be stale while the service is down, not refused
        self._liveness.put(connection_id, connected)
        return connected

    def stop_user_hearing(self, group: str, user_id: str, connection_ids: Sequence[str]) -> None:
        """Close the user's connections (one call): that reaches every one of them, also a
        join still on its way on another instance. Clients reconnect at once, and re-join
        only what they may still see."""
        with outages_reported(self._breaker):
            self._hub.close_user_connections(user_id, reason=f"access to {group} changed")


@contextmanager
def outages_reported(breaker: Breaker) -> Iterator[None]:
    """Fail at once while ``breaker`` says an outage is fresh; otherwise report failures as
    :func:`_failures_translated` does, and tell ``breaker`` how the call went."""
    breaker.check()
    try:
        with _failures_translated():
            yield
    except RealtimeUnavailable:
        breaker.opened()
        raise
    breaker.closed()


@contextmanager
def _failures_translated() -> Iterator[None]:
    """Turn an unreachable or failing service (5xx, 429) into :class:`RealtimeUnavailable`,
    and a refusal of docchat's own credentials (401, 403, or no Entra token at all) into
    :class:`Misconfigured`.

    Other 4xx answers mean docchat sent something wrong: a bug, left to surface as one.
    """
    try:
        yield
    except CredentialError as error:
        _log.error(
            "%s: check AzureSignalRConnectionString__credential and __clientId, and that the "
            "identity exists here",
            error,
        )
        raise Misconfigured("no Microsoft Entra token for SignalR") from None
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
