"""Start a SignalR emulator in a background thread (:class:`RunningEmulator`)."""

from __future__ import annotations

from collections.abc import Sequence

from devstack.emulator_core.running import RunningEmulator
from devstack.emulator_core.upstream_rules import UpstreamRule
from devstack.signalr.emulator import Emulator
from devstack.signalr.server import serve
from devstack.signalr.settings import DEFAULT_ACCESS_KEY, EmulatorSettings

__all__ = ["start_emulator"]


def start_emulator(
    port: int = 0,
    access_key: str = DEFAULT_ACCESS_KEY,
    host: str = "127.0.0.1",
    *,
    settings: EmulatorSettings | None = None,
    upstream: Sequence[UpstreamRule] = (),
) -> RunningEmulator:
    """Start an emulator on ``host:port`` (0 picks a free port) in a background thread;
    client events go to the first of the ``upstream`` rules that takes them."""
    emulator = Emulator(access_key, settings, upstream)
    return RunningEmulator(
        lambda host, port: serve(emulator, host, port),
        host,
        port,
        access_key,
        name="signalr-emulator",
    )
