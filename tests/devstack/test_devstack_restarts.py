"""A stack that survives its parts: each child killed comes back on its port, alone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import urllib3

from devstack.stack import PROJECT_ROOT, LocalStack, RestartPolicy, free_port, port_is_free
from tests.devstack.host_apps.serving import app_path

STACK_APP = app_path("stack_app")
#: The module each child runs (``python -m``), by the name devstack gives it.
MODULES = {"devstack.cosmos": "cosmos", "devstack.signalr": "signalr", "devstack.host": "host"}
DEADLINE = 30.0


class Devstack:
    """``python -m devstack`` running: its output as it comes, its children, their ports."""

    def __init__(self, process: subprocess.Popen[str], ports: dict[str, int]) -> None:
        self.process = process
        self.ports = ports
        self.lines: list[str] = []
        self._more = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._more:
                self.lines.append(line.rstrip("\n"))
                self._more.notify_all()
        with self._more:
            self._more.notify_all()

    def wait_for_line(self, wanted: Callable[[str], bool], seen: int = 0) -> str:
        """The first line after the first ``seen`` that is ``wanted``; fails at the deadline."""
        deadline = time.monotonic() + DEADLINE
        with self._more:
            while True:
                found = next((line for line in self.lines[seen:] if wanted(line)), None)
                if found is not None:
                    return found
                ended = self.process.poll() is not None and not self._more.wait(0.1)
                if ended or time.monotonic() > deadline:
                    pytest.fail("devstack did not print it; it printed:\n" + "\n".join(self.lines))
                self._more.wait(deadline - time.monotonic())

    def children(self) -> dict[str, int]:
        """Each live child's pid, by the name devstack gives it."""
        found = {}
        for entry in Path("/proc").iterdir():
            try:
                stat = (entry / "stat").read_text()
                argv = (entry / "cmdline").read_bytes().decode().split("\0")
            except (OSError, ValueError):  # not a process, or gone meanwhile
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            module = argv[argv.index("-m") + 1] if "-m" in argv else ""
            if parent == self.process.pid and module in MODULES:
                found[MODULES[module]] = int(entry.name)
        return found


@pytest.fixture(scope="module")
def devstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devstack]:
    folder = tmp_path_factory.mktemp("devstack")
    ports = {"host": free_port(), "signalr": free_port(), "cosmos": free_port()}
    arguments = ["--port", ports["host"], "--signalr-port", ports["signalr"]]
    arguments += ["--cosmos-port", ports["cosmos"], "--app", STACK_APP]
    arguments += ["--settings", folder / "local.settings.json", "--log-dir", folder]
    process = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [sys.executable, "-m", "devstack", *map(str, arguments)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = Devstack(process, ports)
    try:
        running.wait_for_line(lambda line: line.startswith("docchat is running"))
        yield running
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)
    assert process.returncode == 0, "\n".join(running.lines)
    assert all(port_is_free(port) for port in ports.values())


def answers(url: str, method: str = "GET") -> bool:
    """Whether ``url`` answers with a 2xx (the Cosmos server's certificate is self-signed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        try:
            return requests.request(method, url, timeout=2, verify=False).ok  # noqa: S501 (loopback)
        except requests.RequestException:
            return False


HEALTH = {
    "cosmos": ("https://127.0.0.1:{}/", "GET"),
    "signalr": ("http://127.0.0.1:{}/api/health", "HEAD"),
    "host": ("http://127.0.0.1:{}/admin/host/ping", "GET"),
}


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still not {what} after {DEADLINE:g} s")
        time.sleep(0.05)


@pytest.mark.parametrize("name", ["cosmos", "signalr", "host"])
def test_a_killed_child_comes_back_on_its_port_and_the_others_keep_running(
    devstack: Devstack, name: str
) -> None:
    before = devstack.children()
    assert set(before) == set(MODULES.values())
    seen = len(devstack.lines)
    os.kill(before[name], signal.SIGKILL)
    port = devstack.ports[name]
    line = devstack.wait_for_line(lambda line: line.startswith(f"devstack: {name} "), seen)
    assert line.startswith(f"devstack: {name} exited with status -9 (SIGKILL): "), line
    assert line.endswith(f"; restarting it on port {port}"), line  # at once: its first death
    url, method = HEALTH[name]
    restarted = devstack.children
    wait_for(lambda: restarted().get(name, before[name]) != before[name], f"{name} restarted")
    wait_for(lambda: answers(url.format(port), method), f"{name} answering on port {port}")
    assert {other: pid for other, pid in restarted().items() if other != name} == {
        other: pid for other, pid in before.items() if other != name
    }


def test_the_restarted_host_keeps_its_function_key_and_endpoints(devstack: Devstack) -> None:
    # Runs after the host's restart above: the same key and Cosmos endpoint still work.
    answer = requests.get(
        f"http://127.0.0.1:{devstack.ports['host']}/api/settings/COSMOS_ENDPOINT",
        headers={"x-functions-key": "docchat-local-function-key"},
        timeout=10,
    )
    assert answer.status_code == 200
    assert answer.text == f"https://127.0.0.1:{devstack.ports['cosmos']}"


def test_restarts_back_off_and_then_give_up() -> None:
    policy = RestartPolicy(window=10, first_delay=0.5, max_delay=3, attempts=6)
    assert [policy.delay(failed) for failed in range(7)] == [0, 0, 0.5, 1, 2, 3, None]


def test_supervise_gives_up_on_a_child_that_keeps_dying_on_start(tmp_path: Path) -> None:
    app = tmp_path / "function_app.py"
    shutil.copyfile(STACK_APP, app)
    restarts = RestartPolicy(attempts=2)
    with LocalStack(app=app, log_dir=tmp_path, restarts=restarts) as stack:
        app.write_text('raise RuntimeError("broken on purpose")\n')
        host = stack.children[-1]
        assert host.pid is not None
        os.kill(host.pid, signal.SIGKILL)
        reports: list[str] = []
        gave_up = stack.supervise(reports.append)
        assert len(reports) == 1
        assert reports[0].startswith("host exited with status -9 (SIGKILL)")
        assert gave_up.startswith(
            "during start-up, host exited with status 2: RuntimeError: broken on purpose"
        )
        assert "host died 2 times in a row within 10 s of starting" in gave_up
        assert all(child.running for child in stack.children[:-1])
