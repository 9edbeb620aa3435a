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
#: A valid configuration; nothing is contacted by an import.
ENVIRONMENT = {
    "DOCCHAT_AUTH": "dev",
    "DOCCHAT_SIGNALR_MODE": "rest",
    "COSMOS_ENDPOINT": "https://127.0.0.1:8081",
    "AzureSignalRConnectionString": "Endpoint=http://127.0.0.1:8888;AccessKey=bench-key-0123456789abcdef;",
}
_TIMED = """
import time
import azure.functions
started = time.perf_counter()
{statement}
print(time.perf_counter() - started)
"""


@dataclass(frozen=True)
class ColdStart:
    """Median seconds for each import, over fresh interpreters."""

    app: float
    eager: float

    @property
    def ratio(self) -> float:
        """function_app's import over the eager imports (aim: at most 0.6)."""
        return self.app / self.eager

    def as_json(self) -> dict[str, float]:
        return {"app_s": self.app, "eager_s": self.eager, "ratio": self.ratio}


def measure(runs: int) -> ColdStart:
    """Import each ``runs`` times, alternating, and keep the medians."""
    app, eager = [], []
    for _ in range(runs):
        app.append(_timed_import(APP))
        eager.append(_timed_import(EAGER))
    return ColdStart(statistics.median(app), statistics.median(eager))


def _timed_import(statement: str) -> float:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and fixed code
        [sys.executable, "-c", _TIMED.format(statement=statement)],
        cwd=ROOT,
        env={**os.environ, **ENVIRONMENT, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return float(json.loads(completed.stdout.strip().splitlines()[-1]))
