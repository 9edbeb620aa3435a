"""The Azure SignalR Service over its REST API.

``DOCCHAT_SIGNALR_MODE=rest``: docchat calls the data-plane API at once and hears every
failure (:mod:`realtime.signalr_calls`). Client tokens (:mod:`realtime.signalr_tokens`) are
signed with the connection string's AccessKey, or, with Microsoft Entra ID, made by the
service. Each is imported on first use: a cold start pays for neither requests nor PyJWT
(nor azure-identity) until a function needs them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from chat.app.events import InboundEvent
from chat.app.realtime import Negotiator, Realtime, realtime_outage
from realtime.backend import BindingDeclaration
from realtime.liveness import Liveness
from realtime.settings import HUB
from realtime.signalr_events import SIGNALR_TRIGGERS, inbound_event
from shared.breaker import Breaker
from shared.connection_string import ConnectionString
from shared.once import Once

if TYPE_CHECKING:
    from signalr.rest import HubClient

__all__ = ["SignalRRest"]

#: Connect and read timeouts (seconds) of a REST call: the service answers in milliseconds,
#: and a caller is better served by a prompt 503 than a long wait.
TIMEOUTS = (0.5, 1.0)
#: Each call, retries included, ends within the request's budget.
BUDGET_SECONDS = 1.5


class SignalRRest:
    """The backend for REST mode: no bindings; one REST client and breaker per process."""

    output: BindingDeclaration | None = None
    connection_input: BindingDeclaration | None = None
    event_triggers: Mapping[str, BindingDeclaration] = SIGNALR_TRIGGERS

    def __init__(self, connection: ConnectionString) -> None:
        self._connection = connection
        self._hub = Once(self._build_hub_client)
        self._breaker = Breaker(realtime_outage, name="signalr")
        self._liveness = Liveness()

    def realtime(self, output: object = None) -> Realtime:
        """The REST client, shared by every invocation."""
        from realtime.signalr_calls import RestRealtime

        return RestRealtime(self._hub.get(), self._breaker, self._liveness)

    def inbound(self, trigger_value: str) -> InboundEvent:
        """The service's report, as the SignalR extension passes it on."""
        return inbound_event(trigger_value)

    def reported(self) -> None:
        """The service is up: close the breaker."""
        self._breaker.closed()

    def negotiator(self, connection_input: object = None) -> Negotiator:
        """Tokens signed here with the AccessKey, or made by the service without one."""
        from realtime.signalr_tokens import ServiceTokens, SignedTokens

        if self._connection.access_key is None:
            return ServiceTokens(self._hub.get(), self._breaker)
        return SignedTokens(self._connection)

    def _build_hub_client(self) -> HubClient:
        from signalr.rest import HubClient, RetryPolicy

        # Which failures are retried is the SDK's rule per operation (see RetryPolicy):
        # never a send that may have landed.
        retry = RetryPolicy.default(attempts=2, backoff=0.1, max_wait=1.0, budget=BUDGET_SECONDS)
        return HubClient(self._connection, HUB, timeout=TIMEOUTS, retry=retry)
