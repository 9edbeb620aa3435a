"""signalr/ is a library: importing it must not pull in the app (chat) or the Functions worker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUBMODULES = ["bindings", "errors", "rest", "tokens"]
PROBE = f"""
import json, sys
import signalr
for name in {SUBMODULES!r}:
    __import__("signalr." + name)
print(json.dumps(sorted(sys.modules)))
"""


def modules_loaded_by_importing_signalr() -> set[str]:
    """Every module name in a fresh interpreter after importing each signalr submodule."""
    result = subprocess.run(  # noqa: S603 - our own interpreter running a fixed probe
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout))
    assert {f"signalr.{name}" for name in SUBMODULES} <= loaded
    return loaded


def test_importing_signalr_loads_neither_chat_nor_azure_functions() -> None:
    loaded = modules_loaded_by_importing_signalr()

    assert {name for name in loaded if name == "chat" or name.startswith("chat.")} == set()
    assert {name for name in loaded if name.startswith("azure.functions")} == set()


def test_importing_signalr_loads_no_azure_sdk_at_all() -> None:
    """Each Azure SDK import costs cold-start time; credentials are passed in, never imported."""
    assert {
        name for name in modules_loaded_by_importing_signalr() if name.startswith("azure")
    } == set()
