"""The adapters that plug real-time backends into chat's seam (:mod:`chat.app.realtime`).

chat/ names no backend and signalr/ knows nothing about chat; these modules join the two,
one per backend and mode, and read the backend's settings.

- :mod:`realtime.settings`: ``DOCCHAT_SIGNALR_MODE`` and the connection (a connection
  string, or the extension's identity-based settings, for either service), checked at
  start-up.
- :mod:`realtime.backend`: what every adapter offers the function edge.
- :mod:`realtime.signalr_rest`: Azure SignalR Service by REST, client tokens signed here with
  the key, or made by the service (``:generateToken``) when keyless
  (:mod:`realtime.signalr_tokens`, :mod:`realtime.signalr_calls`).
- :mod:`realtime.signalr_bindings`: Azure SignalR Service through the Functions bindings;
  :mod:`realtime.signalr_events`: its trigger events.
- :mod:`realtime.webpubsub_settings`, :mod:`realtime.webpubsub_rest`,
  :mod:`realtime.webpubsub_bindings`, :mod:`realtime.webpubsub_events`: Azure Web PubSub,
  likewise (``DOCCHAT_REALTIME=webpubsub``).
- :mod:`realtime.liveness`: what the service said about connections lately.
- :mod:`realtime.path_steps`: ids an output binding hands on, never ``.`` or ``..``.
- :mod:`realtime.upstream_auth`: the service's bearer token on upstream events
  (``DOCCHAT_UPSTREAM_*``), which the extensions do not check with identity-based
  connections.

:func:`load_backend` picks the adapter the settings name.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from chat.settings import AuthMode, setting_choice
from realtime.backend import Backend
from realtime.settings import Delivery, RealtimeSettings, load_realtime_settings
from realtime.webpubsub_settings import load_webpubsub_settings

__all__ = ["RealtimeBackend", "load_backend"]


class RealtimeBackend(enum.StrEnum):
    """Which real-time service docchat uses (``DOCCHAT_REALTIME``)."""

    SIGNALR = "signalr"
    WEBPUBSUB = "webpubsub"


def load_backend(environ: Mapping[str, str], auth: AuthMode) -> Backend:
    """The adapter for the configured backend and mode (imported only then)."""
    kind = setting_choice(
        environ, "DOCCHAT_REALTIME", RealtimeBackend, default=RealtimeBackend.SIGNALR
    )
    if kind is RealtimeBackend.WEBPUBSUB:
        settings = load_webpubsub_settings(environ, auth)
        if settings.mode is Delivery.BINDINGS:
            from realtime.webpubsub_bindings import WebPubSubBindings

            return WebPubSubBindings(settings)
        from realtime.webpubsub_rest import WebPubSubRest

        return WebPubSubRest(settings)
    return _signalr(load_realtime_settings(environ, auth))


def _signalr(settings: RealtimeSettings) -> Backend:
    if settings.mode is Delivery.BINDINGS:
        from realtime.signalr_bindings import SignalRBindings

        return SignalRBindings()
    from realtime.signalr_rest import SignalRRest

    if settings.connection is None:
        raise ValueError("REST mode needs a connection string: load_realtime_settings reads it")
    return SignalRRest(settings.connection)
