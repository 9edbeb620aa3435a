"""What importing function_app costs a cold worker, next to importing every runtime
dependency eagerly, each in fresh interpreters with azure.functions already imported.

The Python worker imports azure.functions before it imports the app, so that cost is
excluded from both. Runs alternate so both see the same machine state.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: requirements.txt's runtime dependencies other than azure-functions, imported eagerly.
EAGER = "import azure.cosmos, azure.identity, jwt, pydantic, requests, urllib3"
APP = "import function_app"
#: What the first negotiate and the first send_message import on top (not in the aim).
NEGOTIATE_FIRST_CALL = "import chat.api.negotiation"
SEND_FIRST_CALL = "import chat.api.endpoints, storage.cosmos.store"
#: With telemetry configured (not in the aim): the app started with DOCCHAT_TRACE=console
#: (the SDK and the Azure SDKs' plugin), and the Azure Monitor
#: distro's import on top, which Azure adds (configuring it would start its exporters).
TRACED = {"DOCCHAT_TRACE": "console"}
DISTRO = "import azure.monitor.opentelemetry"
#: A valid configuration; nothing is contacted by an import.
ENVIRONMENT = {
    "DOCCHAT_AUTH": "dev",
    "DOCCHAT_ACCESS": "open",
    "DOCCHAT_SIGNALR_MODE": "rest",
    "COSMOS_ENDPOINT": "https://127.0.0.1:8081",
    "AzureSignalRConnectionString": "Endpoint=http://127.0.0.1:8888;AccessKey=bench-key-0123456789abcdef;",
}
_TIMED = """
import time
import azure.functions
{setup}
started = time.perf_counter()
{statement}
print(time.perf_counter() - started)
"""


@dataclass(frozen=True)
class ColdStart:
    """Median seconds for each import, over fresh interpreters."""

    app: float
    eager: float
    negotiate_first_call: float
    send_first_call: float
    app_with_telemetry: float
    distro_import: float

    @property
    def ratio(self) -> float:
        """function_app's import over the eager imports (aim: at most 0.6)."""
        return self.app / self.eager

    def as_json(self) -> dict[str, float]:
        return {
            "app_s": self.app,
            "eager_s": self.eager,
            "ratio": self.ratio,
            "negotiate_first_call_s": self.negotiate_first_call,
            "send_first_call_s": self.send_first_call,
            "app_with_telemetry_s": self.app_with_telemetry,
            "azure_monitor_distro_import_s": self.distro_import,
        }


def measure(runs: int) -> ColdStart:
    """Import each ``runs`` times, alternating, and keep the medians."""
    plain: dict[str, str] = {}
    cases = [
        ("", APP, plain),
        ("", EAGER, plain),
        (APP, NEGOTIATE_FIRST_CALL, plain),
        (APP, SEND_FIRST_CALL, plain),
        ("", APP, TRACED),
        (APP, DISTRO, TRACED),
    ]
    times: list[list[float]] = [[] for _ in cases]
    for _ in range(runs):
        for (setup, statement, settings), samples in zip(cases, times, strict=True):
            samples.append(_timed_import(setup, statement, settings))
    return ColdStart(*(statistics.median(samples) for samples in times))


def _timed_import(setup: str, statement: str, settings: dict[str, str]) -> float:
    code = _TIMED.format(setup=setup, statement=statement)
    completed = subprocess.run(  # noqa: S603 - our own interpreter and fixed code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **ENVIRONMENT, **settings, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return float(json.loads(completed.stdout.strip().splitlines()[-1]))
