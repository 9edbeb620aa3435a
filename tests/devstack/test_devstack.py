"""The local stack: LocalStack for tests, ``python -m devstack`` for people."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from azure.cosmos import CosmosClient

from devstack.host.keys import FUNCTION_KEY_SETTING
from devstack.stack import (
    EPHEMERAL_PORT_RANGE,
    FIRST_FREE_PORT,
    PROJECT_ROOT,
    LocalStack,
    free_port,
    missing_prerequisites,
    port_is_free,
)
from shared.connection_string import parse_connection_string
from signalr.rest import HubClient, RetryPolicy
from storage.queues import load_queues
from tests.devstack.host_apps.serving import app_path
from tests.fixtures.waiting import eventually

STACK_APP = app_path("stack_app")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    logs = tmp_path_factory.mktemp("logs")
    overrides = {"SAMPLE_OVERRIDE": "from the test"}
    with LocalStack(app=STACK_APP, log_dir=logs, settings_overrides=overrides) as running:
        yield running


def app_setting(stack: LocalStack, name: str) -> str:
    answer = requests.get(
        f"{stack.base_url}/api/settings/{name}",
        headers={"x-functions-key": stack.function_key},
        timeout=10,
    )
    assert answer.status_code == 200
    return answer.text


def signalr_is_healthy(stack: LocalStack) -> bool:
    connection = parse_connection_string(stack.signalr_connection_string)
    with HubClient(connection, "sample", retry=RetryPolicy.default(attempts=0)) as service:
        return service.is_healthy()


def test_free_ports_lie_below_the_kernels_ephemeral_range_and_are_never_handed_out_twice() -> None:
    """A port of the ephemeral range is free only until an outgoing connection takes it as
    its local port: in CI one was taken before the child it was picked for bound it."""
    ephemeral_start = int(EPHEMERAL_PORT_RANGE.read_text().split()[0])
    ports = [free_port() for _ in range(300)]

    assert len(set(ports)) == len(ports)
    assert all(FIRST_FREE_PORT <= port < ephemeral_start for port in ports)
    assert all(port_is_free(port) for port in ports)


def test_the_app_sees_the_local_services_and_the_overrides(stack: LocalStack) -> None:
    assert app_setting(stack, "COSMOS_ENDPOINT") == stack.cosmos_endpoint
    assert app_setting(stack, "AzureSignalRConnectionString") == stack.signalr_connection_string
    assert f":{stack.signalr_port};" in stack.signalr_connection_string
    assert app_setting(stack, "SAMPLE_OVERRIDE") == "from the test"


def test_the_app_gets_its_work_queues_on_azurite_and_their_triggers_run(stack: LocalStack) -> None:
    """DOCCHAT_QUEUE names Azurite's development account; what storage/queues.py puts there
    reaches the app's queue-triggered function."""
    queues = load_queues(stack.settings)
    assert queues is not None
    assert app_setting(stack, "DOCCHAT_QUEUE") == stack.settings["DOCCHAT_QUEUE"]

    queues.outbox.put({"note": "from the outbox"})

    eventually(
        lambda: "outbox: from the outbox" in (stack.log_dir / "host.log").read_text(),
        until=bool,
        timeout=30,
        what="the queue-triggered function",
    )


def test_every_service_answers(stack: LocalStack) -> None:
    negotiated = requests.post(
        f"{stack.base_url}/api/negotiate", headers={"x-sample-user": "ann"}, timeout=10
    ).json()
    assert negotiated["url"].startswith(f"http://localhost:{stack.signalr_port}/client/")
    cosmos = CosmosClient(stack.cosmos_endpoint, stack.settings["COSMOS_KEY"])
    assert cosmos.create_database_if_not_exists("probe").id == "probe"
    assert signalr_is_healthy(stack)


def test_browsers_negotiate_with_the_emulator_from_the_page_alone(stack: LocalStack) -> None:
    """As infra/ sets the SignalR resource's cors.allowedOrigins to the app's origins, the
    stack gives the emulator the page's origin (and Host.CORS): another site's page gets no
    CORS headers from /client/negotiate."""
    negotiate = f"http://localhost:{stack.signalr_port}/client/negotiate?hub=sample"

    def allowed_origin(origin: str) -> str | None:
        answer = requests.options(
            negotiate,
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
            timeout=10,
        )
        return answer.headers.get("Access-Control-Allow-Origin")

    assert allowed_origin(stack.base_url) == stack.base_url
    assert allowed_origin("https://elsewhere.example") is None


def test_the_emulator_restarts_on_the_same_port(stack: LocalStack) -> None:
    connection_string = stack.signalr_connection_string
    stack.stop_signalr()
    assert not signalr_is_healthy(stack)
    stack.start_signalr()
    assert stack.signalr_connection_string == connection_string
    assert signalr_is_healthy(stack)


def test_children_log_to_files(stack: LocalStack) -> None:
    assert "Dev host listening" in (stack.log_dir / "host.log").read_text()
    assert "Local Cosmos DB ready at" in (stack.log_dir / "cosmos.log").read_text()


def test_stop_leaves_no_process_and_no_port(tmp_path: Path) -> None:
    with LocalStack(app=STACK_APP, log_dir=tmp_path) as stack:
        groups = [child.pid for child in stack.children]
        ports = [stack.port, stack.signalr_port, stack.cosmos_port]
    for group in groups:
        assert group is not None
        with pytest.raises(ProcessLookupError):
            os.killpg(group, 0)
    assert all(port_is_free(port) for port in ports)


def run_devstack(
    tmp_path: Path, *arguments: str, path: str | None = None, azure: str = ""
) -> subprocess.Popen[str]:
    """``python -m devstack`` on the sample app, its settings and logs in ``tmp_path``;
    ``path`` replaces PATH, ``azure`` sets the variable App Service sets."""
    files = ["--settings", str(tmp_path / "local.settings.json"), "--log-dir", str(tmp_path)]
    return subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "devstack", "--app", str(STACK_APP), *files, *arguments],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PATH": path or os.environ["PATH"], "WEBSITE_INSTANCE_ID": azure},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


FREE_PORTS = ("--port", "0", "--signalr-port", "0", "--cosmos-port", "0")


@contextlib.contextmanager
def taken_port() -> Iterator[int]:
    """A loopback port something listens on, for as long as the ``with`` block lasts."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_devstack_prints_where_everything_is_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    ports = {"--port": free_port(), "--signalr-port": free_port(), "--cosmos-port": free_port()}
    process = run_devstack(tmp_path, *(str(part) for item in ports.items() for part in item))
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("docchat is running"):
            break
    else:
        pytest.fail(f"devstack ended early: {process.communicate()[1]}")
    table = [next(process.stdout) for _ in range(6)]
    assert f"http://localhost:{ports['--port']}/" in table[0]
    assert f"Endpoint=http://localhost:{ports['--signalr-port']};" in table[2]
    assert f"127.0.0.1:{ports['--port']}/runtime/webhooks/signalr\n" in table[3], "no key shown"
    assert f":{ports['--cosmos-port']}" in table[4]
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    assert all(port_is_free(port) for port in ports.values())


def test_a_new_settings_file_names_the_ports_devstack_was_given(tmp_path: Path) -> None:
    port, signalr_port = free_port(), free_port()
    # A port in use stops devstack right after it writes the settings: nothing need start.
    with taken_port() as cosmos_port:
        ports = ("--port", port, "--signalr-port", signalr_port, "--cosmos-port", cosmos_port)
        run_devstack(tmp_path, *map(str, ports)).communicate(timeout=60)
    written = json.loads((tmp_path / "local.settings.json").read_text())
    example = json.loads((PROJECT_ROOT / "local.settings.json.example").read_text())
    values, host = written["Values"], written["Host"]
    assert values["AzureSignalRConnectionString"] == example["Values"][
        "AzureSignalRConnectionString"
    ].replace("localhost:8888;", f"localhost:{signalr_port};")
    assert values["COSMOS_ENDPOINT"] == f"https://localhost:{cosmos_port}"
    assert host["LocalHttpPort"] == port
    assert host["CORS"] == f"http://localhost:{port},http://127.0.0.1:{port},http://localhost:5173"
    moved = {"AzureSignalRConnectionString", "COSMOS_ENDPOINT"}
    assert {k: v for k, v in values.items() if k not in moved} == {
        k: v for k, v in example["Values"].items() if k not in moved
    }


def test_an_existing_settings_file_is_left_alone(tmp_path: Path) -> None:
    settings = tmp_path / "local.settings.json"
    shutil.copyfile(PROJECT_ROOT / "local.settings.json.example", settings)
    before = settings.read_text()  # its ports are the defaults, not the ones given below
    with taken_port() as port:
        run_devstack(tmp_path, *FREE_PORTS, "--port", str(port)).communicate(timeout=60)
    assert settings.read_text() == before


def test_devstack_reports_a_port_in_use_in_one_line(tmp_path: Path) -> None:
    with taken_port() as port:
        _, errors = run_devstack(tmp_path, "--port", str(port)).communicate(timeout=60)
    assert errors.splitlines() == [
        f"devstack: port {port} (dev host) is in use: stop what listens there "
        f"(`ss -ltnp 'sport = :{port}'`) or choose another port"
    ]


def bin_folder(tmp_path: Path, *programs: str) -> str:
    """A PATH holding only ``programs``."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for program in programs:
        (folder / program).symlink_to(shutil.which(program) or program)
    return str(folder)


@pytest.mark.parametrize(
    ("arguments", "programs", "line"),
    [
        (
            ("--func",),
            ("node",),
            "func (Azure Functions Core Tools) is not on PATH: run without --func",
        ),
        ((), (), "node is not on PATH: install Node.js 20 and open a new shell"),
    ],
    ids=["no Core Tools", "no Node"],
)
def test_devstack_names_each_missing_program_in_one_line(
    tmp_path: Path, arguments: tuple[str, ...], programs: tuple[str, ...], line: str
) -> None:
    path = bin_folder(tmp_path, *programs)
    process = run_devstack(tmp_path, *FREE_PORTS, *arguments, path=path)
    _, errors = process.communicate(timeout=60)
    lines = errors.splitlines()
    assert process.returncode == 1
    assert f"devstack: {line}" in lines
    assert all(line.startswith("devstack: ") for line in lines)


def test_devstack_refuses_to_run_in_azure(tmp_path: Path) -> None:
    process = run_devstack(tmp_path, *FREE_PORTS, azure="an-instance")
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 1
    assert len(errors.splitlines()) == 1
    assert "refuses to run in Azure" in errors
    assert not (tmp_path / "local.settings.json").exists()


def test_a_failed_npm_install_is_named_with_its_fix(tmp_path: Path) -> None:
    assert missing_prerequisites(tmp_path, {}) == [
        f"node_modules lacks @vercel/cosmosdb-server: run `npm ci` in {tmp_path}"
    ]


def test_the_emulator_sends_upstream_to_the_app_host_with_the_function_key() -> None:
    """The URL Functions documents for upstream: the host's webhook, ?code= its system key
    (for which the local function key stands in)."""
    stack = LocalStack(port=7999, settings_overrides={FUNCTION_KEY_SETTING: "a key/with+signs"})
    assert stack.signalr_upstream == (
        "http://127.0.0.1:7999/runtime/webhooks/signalr?code=a%20key/with%2Bsigns"
    )
