"""Start a Web PubSub emulator in a background thread."""

from __future__ import annotations

from collections.abc import Sequence

from devstack.emulator_core.running import RunningEmulator
from devstack.emulator_core.upstream_rules import UpstreamRule
from devstack.webpubsub.emulator import WebPubSubEmulator
from devstack.webpubsub.server import serve
from devstack.webpubsub.settings import DEFAULT_ACCESS_KEY, WebPubSubSettings

__all__ = ["start_emulator"]


def start_emulator(
    port: int = 0,
    access_key: str = DEFAULT_ACCESS_KEY,
    host: str = "127.0.0.1",
    *,
    settings: WebPubSubSettings | None = None,
    upstream: Sequence[UpstreamRule] = (),
) -> RunningEmulator:
    """Start an emulator on ``host:port`` (0 picks a free port) in a background thread."""
    emulator = WebPubSubEmulator(access_key, settings, upstream)
    return RunningEmulator(
        lambda host, port: serve(emulator, host, port),
        host,
        port,
        access_key,
        name="webpubsub-emulator",
    )
