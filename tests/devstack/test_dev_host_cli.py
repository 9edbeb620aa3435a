"""``python -m devstack.host``: settings into the environment, one-line set-up errors."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack.host.limits import BODY_LIMIT_SETTING
from devstack.stack import free_port
from tests.devstack.host_apps.process import start_host, wait_until_listening
from tests.devstack.host_apps.serving import app_path

FUNCTION_KEY = "cli-test-key"
BODY_LIMIT = 64


@pytest.fixture
def settings(tmp_path: Path) -> Path:
    path = tmp_path / "local.settings.json"
    values = {
        "DEVSTACK_FUNCTION_KEY": FUNCTION_KEY,
        "SAMPLE_SETTING": "from the file",
        "PRESET_SETTING": "from the file",
    }
    path.write_text(json.dumps({"IsEncrypted": False, "Values": values}))
    return path


def errors_of(process: subprocess.Popen[str]) -> tuple[int, list[str]]:
    """The exit status and the stderr lines of a host that must give up by itself."""
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr.splitlines()


@pytest.fixture
def running_host(settings: Path) -> Iterator[str]:
    port = free_port()
    process = start_host(
        "--port",
        str(port),
        "--app",
        str(app_path("stack_app")),
        "--settings",
        str(settings),
        PRESET_SETTING="from the environment",
        **{BODY_LIMIT_SETTING: str(BODY_LIMIT)},
    )
    wait_until_listening(process)
    yield f"http://127.0.0.1:{port}"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0


def setting(base_url: str, name: str, body: bytes = b"") -> requests.Response:
    return requests.get(
        f"{base_url}/api/settings/{name}",
        headers={"x-functions-key": FUNCTION_KEY},
        data=body,
        timeout=10,
    )


def test_local_settings_reach_the_environment_but_the_environment_wins(running_host: str) -> None:
    assert setting(running_host, "SAMPLE_SETTING").text == "from the file"
    assert setting(running_host, "PRESET_SETTING").text == "from the environment"


def test_the_body_cap_is_the_app_setting_the_functions_host_reads(running_host: str) -> None:
    """azure-functions-host, HttpRequestBodySizeMiddleware: FUNCTIONS_REQUEST_BODY_SIZE_LIMIT."""
    assert setting(running_host, "SAMPLE_SETTING", b"x" * BODY_LIMIT).status_code == 200
    assert setting(running_host, "SAMPLE_SETTING", b"x" * (BODY_LIMIT + 1)).status_code == 413


def test_a_port_in_use_is_one_line(settings: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start_host(
            "--port", str(port), "--app", str(app_path("stack_app")), "--settings", str(settings)
        )
        status, lines = errors_of(process)
    assert status == 1
    assert [line for line in lines if "ERROR" in line] == [
        line for line in lines if f"port {port} is in use" in line
    ]
    assert not any("Traceback" in line for line in lines)


@pytest.mark.parametrize(
    ("arguments", "environment", "says"),
    [
        ((), {"WEBSITE_INSTANCE_ID": "an-azure-instance"}, "refuses to run in Azure"),
        (("--app", str(app_path("unbound_binding_app"))), {}, "bindings without a parameter"),
        (("--settings", "no-such-file.json"), {}, "copy local.settings.json.example to it"),
        ((), {BODY_LIMIT_SETTING: "lots"}, f"{BODY_LIMIT_SETTING} must be a positive number"),
    ],
    ids=["in Azure", "broken app", "no settings", "a body cap that is no number"],
)
def test_a_set_up_problem_is_one_line(
    settings: Path, arguments: tuple[str, ...], environment: dict[str, str], says: str
) -> None:
    defaults = ["--port", str(free_port()), "--app", str(app_path("stack_app"))]
    process = start_host(*defaults, "--settings", str(settings), *arguments, **environment)
    status, lines = errors_of(process)
    assert status == 2
    assert len(lines) == 1
    assert says in lines[0]
