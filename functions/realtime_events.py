"""The functions that hear the real-time service's reports, as a Blueprint.

The backend names a trigger for each report docchat handles (a connection opened or closed,
a client said it is typing); each function turns its trigger's value into chat's event
(:meth:`realtime.backend.Backend.inbound`) and hands it to :mod:`chat.app.events`, with the
invocation's real-time seam for what it tells the clients. A report is also news that the
service is up (:meth:`realtime.backend.Backend.reported`): a REST backend's breaker closes,
so the join of a connection made after an outage is not refused for an outage that is over.
The host checks the service's signature before any of this runs when the connection has an
AccessKey; with an identity-based one it checks nothing, and the service's bearer token is
checked here (:mod:`realtime.upstream_auth`) when the settings ask for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import azure.functions as func

from chat.app.realtime import Realtime
from functions.edge import with_trigger_realtime
from realtime.backend import Backend, BindingDeclaration
from shared import signals

if TYPE_CHECKING:
    from chat.app.events import EventService
    from realtime.upstream_auth import UpstreamCheck

__all__ = ["realtime_events"]


def realtime_events(
    events: Callable[[Realtime], EventService],
    backend: Backend,
    upstream: UpstreamCheck | None = None,
) -> func.Blueprint:
    """A function per report the backend sends, each handled by the use case ``events``
    builds for the invocation; with ``upstream``, only reports that carry the service's
    token."""
    # azure-functions leaves Blueprint's constructor unannotated.
    blueprint = func.Blueprint()  # type: ignore[no-untyped-call]
    for name, trigger in backend.event_triggers.items():
        _register(blueprint, name, trigger, events, backend, upstream)
    return blueprint


def _register(
    events: func.Blueprint,
    name: str,
    trigger: BindingDeclaration,
    use_case: Callable[[Realtime], EventService],
    backend: Backend,
    upstream: UpstreamCheck | None,
) -> None:
    def handle(request: str, realtime: Realtime) -> None:
        with signals.invocation(name, "realtime"):
            if upstream is not None:
                upstream.check(request)  # a forged report fails here, before it changes anything
            backend.reported()
            use_case(realtime).handle(backend.inbound(request))

    handle.__name__ = handle.__qualname__ = name
    function = with_trigger_realtime(events, backend)(handle)
    # "request": the Web PubSub extension hands over the value named so (SignalR's any).
    triggered = events.generic_trigger(arg_name="request", **trigger.binding())(function)
    events.function_name(name)(triggered)
