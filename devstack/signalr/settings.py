"""The emulator's tunable behaviour. Defaults are the real service's, so a test that shortens
an interval says so explicitly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "ACCESS_KEY_VARIABLE",
    "ALLOWED_ORIGINS_VARIABLE",
    "DEFAULT_ACCESS_KEY",
    "UPSTREAM_VARIABLE",
    "EmulatorSettings",
]

#: The key local settings use; it guards nothing and is public on purpose.
DEFAULT_ACCESS_KEY = "docchat-local-emulator-key-not-a-secret-0123456789"
#: The environment variable ``python -m devstack.signalr`` reads its AccessKey from.
ACCESS_KEY_VARIABLE = "DEVSTACK_SIGNALR_ACCESS_KEY"
#: The environment variable with upstream rules, one a line, after those of ``--upstream``.
UPSTREAM_VARIABLE = "DEVSTACK_SIGNALR_UPSTREAM"
#: The environment variable with the origins browsers may negotiate from, comma-separated.
ALLOWED_ORIGINS_VARIABLE = "DEVSTACK_SIGNALR_ALLOWED_ORIGINS"


@dataclass(frozen=True)
class EmulatorSettings:
    """How often the emulator pings, how long it waits, and how much it holds per client."""

    #: Seconds of silence towards a client before the service pings it (the client's own
    #: server timeout is 30 s).
    ping_interval: float = 15.0
    #: Seconds without any message from a client before the service drops it.
    client_timeout: float = 30.0
    #: Seconds a client has, after the WebSocket opens, to send its handshake.
    handshake_timeout: float = 15.0
    #: Seconds a stateful-reconnect connection whose socket dropped waits for its client.
    reconnect_window: float = 30.0
    #: Seconds a negotiated connection token stays usable before its WebSocket opens.
    negotiation_lifetime: float = 30.0
    #: Seconds a closing connection gets to flush before its socket is cut.
    close_grace: float = 2.0
    #: Bytes queued for one client (and, with stateful reconnect, sent but unacknowledged)
    #: before the emulator gives up on it and closes it.
    max_buffered_bytes: int = 8 * 1024 * 1024
    #: Largest WebSocket message a client may send.
    max_client_message_bytes: int = 1024 * 1024
    #: Largest WebSocket frame the emulator writes when it coalesces queued messages; one
    #: bigger message still goes out alone.
    max_frame_bytes: int = 64 * 1024
    #: Seconds one upstream request may take, answer included: HttpClient's default timeout,
    #: which bounds the requests of Microsoft's emulator (it does not retry).
    upstream_timeout: float = 100.0
    #: permessage-deflate costs more CPU than it saves on loopback, and the service's clients
    #: do not need it.
    compress: bool = False
    #: Milliseconds each REST call waits before it is handled: a round trip to Azure
    #: (``--latency-ms``; :mod:`devstack.emulator_core.latency`).
    latency_ms: int = 0
    #: The public key (PEM) of a local Microsoft Entra issuer whose RS256 tokens the REST API
    #: accepts (:mod:`devstack.emulator_core.entra`); None accepts AccessKey tokens only.
    entra_public_key: str | None = None
    #: The ``iss`` those tokens must carry; None accepts any issuer the key signs for.
    entra_issuer: str | None = None
    #: Origins whose browsers may call ``/client/negotiate``: the resource's
    #: ``cors.allowedOrigins`` (infra/ lists the app's and the web origins). ``*``, the
    #: service's default when the list is omitted, allows every origin.
    allowed_origins: tuple[str, ...] = ("*",)
    #: The service's managed identity: a token for a resource, sent on upstream requests
    #: whose rule has ``auth`` (tests mint them with their local Entra issuer); None: the
    #: service has no identity and sends no token.
    upstream_identity: Callable[[str], str] | None = None

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        for name in (
            "ping_interval",
            "client_timeout",
            "handshake_timeout",
            "reconnect_window",
            "negotiation_lifetime",
            "close_grace",
            "upstream_timeout",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if min(self.max_buffered_bytes, self.max_client_message_bytes, self.max_frame_bytes) < 1:
            raise ValueError("byte limits must be positive")

    @property
    def keep_alive_tick(self) -> float:
        """How often pings, client timeouts and expiries are checked: a fraction of the
        shortest interval, so each fires at most a quarter late."""
        return min(self.ping_interval, self.client_timeout, self.reconnect_window) / 4
