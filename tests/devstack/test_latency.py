"""``latency_ms`` on the emulators: each REST call answers that much later, as a round trip to
Azure would, and the default adds nothing. (The Cosmos DB server's, and both wired through
LocalStack, are in test_devstack_topology.py.)"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from devstack.emulator_core.running import RunningEmulator
from devstack.signalr import start_emulator as start_signalr
from devstack.signalr.settings import EmulatorSettings
from devstack.webpubsub import start_emulator as start_webpubsub
from devstack.webpubsub.settings import WebPubSubSettings

LATENCY_MS = 250

EMULATORS: list[Any] = [
    pytest.param(lambda ms: start_signalr(settings=EmulatorSettings(latency_ms=ms)), id="signalr"),
    pytest.param(
        lambda ms: start_webpubsub(settings=WebPubSubSettings(latency_ms=ms)), id="webpubsub"
    ),
]


def timed_health_check(emulator: RunningEmulator) -> float:
    started = time.perf_counter()
    answer = requests.head(f"{emulator.endpoint}/api/health", timeout=10)
    elapsed = time.perf_counter() - started
    assert answer.ok
    return elapsed


@pytest.mark.parametrize("start", EMULATORS)
def test_a_rest_call_answers_after_the_latency(start: Callable[[int], RunningEmulator]) -> None:
    with start(LATENCY_MS) as emulator:
        assert timed_health_check(emulator) >= LATENCY_MS / 1000


@pytest.mark.parametrize("settings", [EmulatorSettings, WebPubSubSettings])
def test_a_negative_latency_is_refused(settings: Callable[..., object]) -> None:
    with pytest.raises(ValueError, match="latency_ms must not be negative"):
        settings(latency_ms=-1)
    assert settings().latency_ms == 0  # type: ignore[attr-defined]
