"""The adapters that plug real-time backends into chat's seam (:mod:`chat.realtime`).

chat/ names no backend and signalr/ knows nothing about chat; these modules join the two,
one per backend and mode, and read the backend's settings.

- :mod:`realtime.settings`: ``DOCCHAT_SIGNALR_MODE`` and the connection string, checked at
  start-up.
- :mod:`realtime.backend`: what every adapter offers the function edge.
- :mod:`realtime.signalr_rest`: Azure SignalR Service by REST, tokens signed here.
- :mod:`realtime.signalr_bindings`: Azure SignalR Service through the Functions bindings.

:func:`load_backend` picks the adapter the settings name.
"""

from __future__ import annotations

from realtime.backend import Backend
from realtime.settings import RealtimeSettings, SignalRMode

__all__ = ["load_backend"]


def load_backend(settings: RealtimeSettings) -> Backend:
    """The adapter for the configured backend and mode (imported only then)."""
    if settings.signalr_mode is SignalRMode.BINDINGS:
        from realtime.signalr_bindings import SignalRBindings

        return SignalRBindings()
    from realtime.signalr_rest import SignalRRest

    if settings.connection is None:
        raise ValueError("REST mode needs a connection string: load_realtime_settings reads it")
    return SignalRRest(settings.connection)
