"""The dev host's log cannot be forged: what a client sends never starts a line of its own.

Each request smuggles a line break before text shaped like a record of the year 2001; the
host runs as its own process and its whole log is read back.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from devstack.stack import free_port
from tests.devstack.host_apps.process import start_host, wait_until_listening
from tests.devstack.host_apps.serving import app_path

FORGED = "2001-01-01 00:00:00,000 ERROR   [-] devstack.host: forged"


@pytest.fixture
def host(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """The port of a running host, and its process."""
    settings = tmp_path / "local.settings.json"
    settings.write_text(json.dumps({"IsEncrypted": False, "Values": {}}))
    port = free_port()
    process = start_host(
        "--port", str(port), "--app", str(app_path("stack_app")), "--settings", str(settings)
    )
    wait_until_listening(process)
    yield port, process
    if process.poll() is None:
        process.kill()
        process.wait()


def stopped_log(process: subprocess.Popen[str]) -> list[str]:
    """Stop the host; the lines of its log after it started listening."""
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=30)
    return rest.splitlines()  # splits at every line break a log reader might honour


def test_no_client_input_starts_a_log_line(host: tuple[int, subprocess.Popen[str]]) -> None:
    port, process = host
    base_url = f"http://127.0.0.1:{port}"
    # A path: %0a decodes to a line break in the path the request line logs.
    requests.get(f"{base_url}/api/nowhere{quote(chr(10) + FORGED)}", timeout=10)
    # A header a function logs: NEL and LINE SEPARATOR pass the HTTP parser in UTF-8.
    for separator in ("\u0085", "\u2028"):
        note = f"one{separator}{FORGED}".encode()
        requests.post(f"{base_url}/api/notes", headers={"x-note": note}, timeout=10)
    # An exception whose message a client wrote: the host logs its traceback.
    requests.post(f"{base_url}/api/fail", data=f"one\n{FORGED}".encode(), timeout=10)
    # A raw CR LF inside a header: the parser refuses it and logs the offending bytes.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(f"GET / HTTP/1.1\r\nHost: dev\r\nX-Note: one\r\n{FORGED}\r\n\r\n".encode())
        assert raw.recv(1024).startswith(b"HTTP/1.")

    lines = stopped_log(process)

    assert not [line for line in lines if line.startswith("2001-")]
    assert any(f"/api/nowhere\\n{FORGED}" in line for line in lines)
    assert any(f"note: one\\x85{FORGED}" in line for line in lines)
    assert any(f"note: one\\u2028{FORGED}" in line for line in lines)
    assert f"    {FORGED}" in lines  # the traceback's line, indented
