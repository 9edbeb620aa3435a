"""Run the dev host as its own process, as ``make dev`` does."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from devstack.stack import PROJECT_ROOT


def start_host(*arguments: str, **environment: str) -> subprocess.Popen[str]:
    """``python -m devstack.host`` with ``arguments``; its log is the stderr pipe."""
    return subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "devstack.host", *arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, **environment},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until_listening(process: subprocess.Popen[str]) -> None:
    """Read the host's log up to the line saying it listens; fail if it ends first."""
    assert process.stderr is not None
    for line in process.stderr:
        if "Dev host listening" in line:
            return
    pytest.fail(f"the host ended before listening (status {process.wait()})")
