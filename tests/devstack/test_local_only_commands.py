"""The local stand-ins accept well-known keys, so each refuses to start in Azure."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["devstack.signalr", "devstack.cosmos"])
def test_a_local_stand_in_refuses_to_run_in_azure(module: str) -> None:
    completed = subprocess.run(  # noqa: S603 (this interpreter, fixed modules)
        [sys.executable, "-m", module, "--port", "0"],
        env={**os.environ, "WEBSITE_INSTANCE_ID": "an-azure-instance"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode != 0
    assert completed.stdout == ""
    assert "refuses to run in Azure" in completed.stderr
    assert "Traceback" not in completed.stderr
