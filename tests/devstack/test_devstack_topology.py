"""The app scaled out locally: two dev host processes behind the front door, as Flex
Consumption runs the app on several instances behind one front end with no affinity; and
Azure's round trip added to the stand-ins' answers (``latency_ms``)."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import requests
import urllib3

from devstack.host.server import PING_PATH
from devstack.stack import PROJECT_ROOT, LocalStack, RestartPolicy, free_port, port_is_free
from shared.connection_string import parse_connection_string
from tests.devstack.host_apps.serving import app_path
from tests.fixtures.hub_client import NodeHubClient
from tests.fixtures.signalr_emulator import NegotiateEndpoint, serve_negotiate
from tests.fixtures.waiting import eventually

TOPOLOGY_APP = app_path("topology_app")
#: Added to every answer of Cosmos DB and the emulator's REST API in this module's stack.
LATENCY_MS = 200


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    logs = tmp_path_factory.mktemp("topology-logs")
    # A killed instance restarts at once: the first death in a row is a fresh crash.
    restarts = RestartPolicy(window=60.0)
    with LocalStack(
        app=TOPOLOGY_APP, log_dir=logs, instances=2, latency_ms=LATENCY_MS, restarts=restarts
    ) as running:
        supervisor = threading.Thread(target=running.supervise, args=(print, 0.05), daemon=True)
        supervisor.start()
        yield running
    supervisor.join(5)


@pytest.fixture
async def negotiate(stack: LocalStack) -> AsyncIterator[NegotiateEndpoint]:
    """Client tokens minted from the stack's connection string, past the front door, so the
    only calls the front door sees are the ones a test makes and the emulator's."""
    connection = parse_connection_string(stack.signalr_connection_string)
    async with serve_negotiate(connection) as endpoint:
        yield endpoint


def served_by(session: requests.Session, base_url: str) -> int:
    """The pid of the instance that answered ``GET /api/instance``."""
    answer = session.get(f"{base_url}/api/instance", timeout=10)
    assert answer.status_code == 200, answer.text
    return int(answer.text)


def test_round_robin_reaches_every_instance_with_no_affinity(stack: LocalStack) -> None:
    """Flex Consumption: no session affinity; one client's requests on one kept-alive
    connection land on each instance in turn."""
    with requests.Session() as session:
        pids = [served_by(session, stack.base_url) for _ in range(6)]

    assert len(set(pids)) == stack.instances == 2
    assert all(one != two for one, two in itertools.pairwise(pids)), pids
    instances = {stack.child(f"host-{n}").pid for n in (1, 2)}
    assert set(pids) == instances


async def test_upstream_events_reach_the_instances_through_the_front_door(
    stack: LocalStack, negotiate: NegotiateEndpoint
) -> None:
    """The emulator's upstream URL is the front door's, which spreads the events over the
    instances as it does any request."""
    assert stack.signalr_upstream.startswith(f"http://127.0.0.1:{stack.port}/")
    clients = [NodeHubClient.connect(negotiate.url("topology", f"user-{n}")) for n in range(4)]
    async with clients[0] as one, clients[1] as two, clients[2] as three, clients[3] as four:
        connected = {client.connection_id for client in (one, two, three, four)}

        async def by_instance() -> list[set[str]]:
            return [
                set(await asyncio.to_thread(_connected_on, port)) for port in stack.instance_ports
            ]

        deadline = time.monotonic() + 10
        while set().union(*await by_instance()) != connected:
            assert time.monotonic() < deadline, await by_instance()
            await asyncio.sleep(0.05)
        assert all(await by_instance()), "every instance received some of the events"


def _connected_on(port: int) -> list[str]:
    answer = requests.get(f"http://127.0.0.1:{port}/api/connected", timeout=10)
    assert answer.status_code == 200
    ids: list[str] = answer.json()
    return ids


def test_a_killed_instance_is_restarted_while_the_others_keep_serving(
    stack: LocalStack,
) -> None:
    killed = stack.child("host-1")
    survivor = stack.child("host-2").pid
    before = killed.pid
    assert before is not None
    os.killpg(before, signal.SIGKILL)
    eventually(lambda: killed.pid != before or killed.exited, until=bool, what="the death")

    # Meanwhile the front door skips the dead instance: every request is served.
    with requests.Session() as session:
        during = {served_by(session, stack.base_url) for _ in range(10)}
        assert during <= {survivor, killed.pid}

        eventually(
            lambda: requests.get(
                f"http://127.0.0.1:{stack.instance_ports[0]}{PING_PATH}", timeout=2
            ),
            retrying_on=(requests.ConnectionError,),
            until=lambda answer: answer.ok,
            timeout=30,
            what="host-1 to answer on its port again",
        )
        after = {served_by(session, stack.base_url) for _ in range(4)}
    assert killed.pid not in (None, before)
    assert after == {survivor, killed.pid}


def test_the_stand_ins_answer_after_the_latency_asked_for(stack: LocalStack) -> None:
    """One call to each, timed: Cosmos DB's account read and the emulator's health check."""
    endpoint = parse_connection_string(stack.signalr_connection_string).service_url
    for url, method in ((f"{stack.cosmos_endpoint}/", "GET"), (f"{endpoint}/api/health", "HEAD")):
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            answer = requests.request(method, url, timeout=10, verify=False)  # noqa: S501 (loopback)
        elapsed = time.perf_counter() - started
        assert answer.ok, url
        assert elapsed >= LATENCY_MS / 1000, (url, elapsed)


def test_devstack_runs_several_instances_behind_the_front_door_until_ctrl_c(
    tmp_path: Path,
) -> None:
    """What ``make dev INSTANCES=2 LATENCY_MS=1`` runs, from start to Ctrl-C."""
    ports = {name: free_port() for name in ("--port", "--signalr-port", "--cosmos-port")}
    arguments = [*itertools.chain(*((name, str(port)) for name, port in ports.items()))]
    arguments += ["--instances", "2", "--latency-ms", "1", "--app", str(TOPOLOGY_APP)]
    arguments += ["--settings", str(tmp_path / "s.json"), "--log-dir", str(tmp_path)]
    process = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "devstack", *arguments],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("docchat is running"):
                break
        summary = "".join(process.stdout.readline() for _ in range(3))
        with requests.Session() as session:
            base_url = f"http://127.0.0.1:{ports['--port']}"
            pids = {served_by(session, base_url) for _ in range(2)}
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)

    assert "round robin over 2 dev hosts" in summary, "".join(lines) + summary
    assert len(pids) == 2
    assert process.returncode == 0
    assert all(port_is_free(port) for port in ports.values())


def devstack_says(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m devstack`` with ``arguments``, refused before anything starts."""
    return subprocess.run(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "devstack", "--settings", str(tmp_path / "s.json"), *arguments],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--instances", "0"], "--instances: must be a whole number from 1, not '0'"),
        (["--instances", "two"], "--instances: must be a whole number from 1, not 'two'"),
        (["--latency-ms", "-5"], "--latency-ms: must be a whole number from 0, not '-5'"),
        (["--instances", "2", "--func"], "several instances need the dev host"),
    ],
)
def test_devstack_refuses_a_topology_it_cannot_run_in_one_line(
    tmp_path: Path, arguments: list[str], said: str
) -> None:
    refused = devstack_says(tmp_path, *arguments)

    assert refused.returncode in (1, 2)
    assert said in refused.stderr
    assert not (tmp_path / "s.json").exists() or "--func" in arguments


@pytest.mark.parametrize("instances", [0, -1, True, 1.5])
def test_a_local_stack_needs_a_whole_number_of_instances(instances: object) -> None:
    with pytest.raises(ValueError, match="instances must be a whole number from 1"):
        LocalStack(instances=instances)  # type: ignore[arg-type]
