"""The Web PubSub emulator's tunable behaviour. Defaults are the real service's, so a test that
shortens an interval says so explicitly."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACCESS_KEY_VARIABLE",
    "DEFAULT_ACCESS_KEY",
    "UPSTREAM_VARIABLE",
    "WebPubSubSettings",
]

#: The key local settings use; it guards nothing and is public on purpose.
DEFAULT_ACCESS_KEY = "docchat-local-webpubsub-key-not-a-secret-0123456789"
#: The environment variable ``python -m devstack.webpubsub`` reads its AccessKey from.
ACCESS_KEY_VARIABLE = "DEVSTACK_WEBPUBSUB_ACCESS_KEY"
#: The environment variable with event handler rules, one a line, after ``--upstream``'s.
UPSTREAM_VARIABLE = "DEVSTACK_WEBPUBSUB_UPSTREAM"


@dataclass(frozen=True)
class WebPubSubSettings:
    """How long the emulator waits and how much it holds per client."""

    #: Seconds a reliable connection whose socket dropped is kept for its client: "at least
    #: 30 seconds" (azure-webpubsub protocols/client/client-spec.md 1.4), and both official
    #: clients give up recovering after 30 s.
    reconnect_window: float = 30.0
    #: Messages sent to a reliable client and not yet acknowledged, at most: beyond 1000
    #: messages or 16 MB the service closes the connection for good (client-spec.md 3.2).
    max_unacked_messages: int = 1000
    max_unacked_bytes: int = 16 * 1024 * 1024
    #: Bytes queued for one socket before the emulator gives up on it.
    max_buffered_bytes: int = 16 * 1024 * 1024
    #: Largest WebSocket message a client may send (the service's 1 MB frame limit).
    max_client_message_bytes: int = 1024 * 1024
    #: Largest WebSocket frame the emulator writes when it coalesces queued messages.
    max_frame_bytes: int = 64 * 1024
    #: Seconds a closing connection gets to flush before its socket is cut.
    close_grace: float = 2.0
    #: Seconds one event handler request may take, answer included (HttpClient's default,
    #: which bounds the requests of Microsoft's preview emulator).
    upstream_timeout: float = 100.0
    compress: bool = False
    #: Milliseconds each REST call waits before it is handled: a round trip to Azure
    #: (``--latency-ms``; :mod:`devstack.emulator_core.latency`).
    latency_ms: int = 0
    #: The public key (PEM) of a local Microsoft Entra issuer whose RS256 tokens the REST API
    #: accepts (:mod:`devstack.emulator_core.entra`); None accepts AccessKey tokens only.
    entra_public_key: str | None = None
    #: The ``iss`` those tokens must carry; None accepts any issuer the key signs for.
    entra_issuer: str | None = None

    def __post_init__(self) -> None:
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        for name in ("reconnect_window", "close_grace", "upstream_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        limits = (
            self.max_unacked_messages,
            self.max_unacked_bytes,
            self.max_buffered_bytes,
            self.max_client_message_bytes,
            self.max_frame_bytes,
        )
        if min(limits) < 1:
            raise ValueError("limits must be positive")

    @property
    def keep_alive_tick(self) -> float:
        """How often expiries are checked: each fires at most a quarter late."""
        return self.reconnect_window / 4
