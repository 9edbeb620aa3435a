"""The whole local stack as child processes: Cosmos DB, the SignalR emulator (or, with the
app setting ``DOCCHAT_REALTIME=webpubsub``, the Web PubSub emulator), Azurite (the work
queues, ``DOCCHAT_QUEUE``; and ``AzureWebJobsStorage`` for ``func start``) and a host.

:class:`LocalStack` starts each service as a child process in its own session, on the
ports given (0 picks a free one ahead of time), with the app settings from
local.settings.json (or the example next to it) and the endpoints overridden to match. It
waits until each service answers its health check, copies each child's output to a log
file (and, if asked, to stdout with a ``[name]`` prefix), and stops every child on
:meth:`LocalStack.stop`, on leaving its ``with`` block and at interpreter exit: SIGTERM to
the child's process group, SIGKILL if it outlives a grace period. :meth:`LocalStack.supervise`
starts a child that dies by itself again, on the same port, within the bounds of a
:class:`RestartPolicy`. ``python -m devstack`` and the end-to-end tests both use it.

With ``instances`` above 1 the app runs as Azure runs it, scaled out: that many dev host
processes, each on a port of its own, behind the front door (:mod:`devstack.frontdoor`) on
``port``, which hands each request to the next instance, with no affinity; the real-time
emulator's upstream calls go through it too. Each instance is a child like any other, so a
dead one is restarted on its port while the front door sends its turns to the others. With
``latency_ms`` the Cosmos DB server and the emulator's REST API answer that much later, as
a round trip to Azure would.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import quote, urlsplit

from devstack import azurite
from devstack.azure_guard import refusal_in_azure
from devstack.emulator_core.running import connection_string as signalr_connection_string
from devstack.host.keys import FUNCTION_KEY_SETTING
from devstack.host.server import PING_PATH, SIGNALR_WEBHOOK_PATH, WEBPUBSUB_WEBHOOK_PATH
from devstack.host.settings import read_local_settings
from devstack.signalr.settings import (
    ACCESS_KEY_VARIABLE,
    ALLOWED_ORIGINS_VARIABLE,
    UPSTREAM_VARIABLE,
)
from devstack.webpubsub import settings as webpubsub_settings
from shared.connection_string import parse_connection_string

__all__ = [
    "COSMOS_SETTING",
    "PROJECT_ROOT",
    "SIGNALR_SETTING",
    "WEBPUBSUB_SETTING",
    "ChildProcess",
    "LocalStack",
    "RestartPolicy",
    "StackError",
    "free_port",
    "missing_prerequisites",
    "settings_file",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SIGNALR_SETTING = "AzureSignalRConnectionString"
COSMOS_SETTING = "COSMOS_ENDPOINT"
WEBPUBSUB_SETTING = "WebPubSubConnectionString"
#: The app setting that picks the real-time backend; ``webpubsub`` swaps the emulators.
REALTIME_SETTING = "DOCCHAT_REALTIME"
#: The Web PubSub events docchat has functions for, and the handler check the service makes
#: first: the event handler's events as infra/ configures them.
WEBPUBSUB_EVENTS = "connected,disconnected,typing,validate"
#: The Functions host's storage, which Azurite stands in for under ``func start``.
STORAGE_SETTING = "AzureWebJobsStorage"
#: The app's work queues (storage/queues.py), on Azurite's development account.
QUEUE_SETTING = "DOCCHAT_QUEUE"
#: npm packages the stack runs or serves; missing means ``npm ci`` did not run or failed.
NODE_PACKAGES = ("@vercel/cosmosdb-server", "@microsoft/signalr", "esbuild")
#: Fills web/ with the browser bundles and the JS client, as the deployment package has them.
WEB_BUILD = Path("scripts/build-web.mjs")

_COSMOS_READY = re.compile(rf"{COSMOS_SETTING}=(\S+)")
_SIGNALR_READY = re.compile(rf"{SIGNALR_SETTING}=(\S+)")
_WEBPUBSUB_READY = re.compile(rf"{WEBPUBSUB_SETTING}=(\S+)")
_PROBE_TIMEOUT = 2.0
_POLL_INTERVAL = 0.05
_TAIL_LINES = 20
#: How long a dead child's port may stay taken while its process group is torn down.
_PORT_RELEASE_TIMEOUT = 5.0


#: Where :func:`free_port` picks from: above the ports well-known services take, up to the
#: kernel's ephemeral range (read from here).
FIRST_FREE_PORT = 20000
EPHEMERAL_PORT_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_handed_out: set[int] = set()
_handed_out_lock = threading.Lock()


class StackError(RuntimeError):
    """The stack cannot start; the message is one line per problem, each with its fix."""


def free_port() -> int:
    """A loopback port free right now, for a child to listen on: one below the kernel's
    ephemeral range, and never one this process handed out before. A port the kernel
    picks from that range is free only until an outgoing connection takes it as its local
    port, which on a busy machine happened before the child bound it (a stack failed to
    start in CI with "address already in use")."""
    ceiling = _ephemeral_ports_start()
    with _handed_out_lock:
        for _ in range(100):
            if ceiling > FIRST_FREE_PORT:
                port = random.randrange(FIRST_FREE_PORT, ceiling)  # noqa: S311 (a port, no secret)
            else:  # a machine whose ephemeral range starts lower: the kernel's pick it is
                port = _kernel_picked_port()
            if port not in _handed_out and port_is_free(port):
                _handed_out.add(port)
                return port
    raise StackError("no free loopback port to listen on")


def _ephemeral_ports_start() -> int:
    """The first port of the range the kernel picks local ports from (Linux's default
    32768 where it cannot be read)."""
    try:
        return int(EPHEMERAL_PORT_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _kernel_picked_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_is_free(port: int) -> bool:
    """Whether a server may listen on ``port`` on loopback (as servers do, with SO_REUSEADDR:
    connections of an earlier server still closing do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def settings_file(root: Path) -> Path:
    """local.settings.json if present, else the example next to it."""
    settings = root / "local.settings.json"
    return settings if settings.exists() else root / "local.settings.json.example"


def missing_prerequisites(
    root: Path, ports: Mapping[str, int], *, use_func: bool = False, webpubsub: bool = False
) -> list[str]:
    """One line per missing prerequisite of the stack, each saying how to fix it.

    ``ports`` maps a service's name to the port it will use (0: a free one is picked);
    ``use_func`` adds Core Tools; ``webpubsub`` the page's Web PubSub client; Azurite needs
    npm to install on first use.
    """
    problems: list[str] = []
    refusal = refusal_in_azure("the local stack")
    if refusal:
        problems.append(refusal)
    if shutil.which("node") is None:
        problems.append("node is not on PATH: install Node.js 20 and open a new shell")
    for package in NODE_PACKAGES:
        if not (root / "node_modules" / package / "package.json").is_file():
            problems.append(f"node_modules lacks {package}: run `npm ci` in {root}")
            break
    if webpubsub and not (root / "node_modules" / "@azure/web-pubsub-client").is_dir():
        problems.append(f"node_modules lacks @azure/web-pubsub-client: run `npm ci` in {root}")
    problems.extend(
        f"port {port} ({name}) is in use: stop what listens there (`ss -ltnp 'sport = :{port}'`)"
        " or choose another port"
        for name, port in ports.items()
        if port and not port_is_free(port)
    )
    if use_func and shutil.which("func") is None:
        problems.append("func (Azure Functions Core Tools) is not on PATH: run without --func")
    if not azurite.installed() and shutil.which("npm") is None:
        problems.append(
            "npm is not on PATH: Azurite (the work queues) installs with it on first use"
        )
    return problems


def build_web(root: Path, timeout: float) -> None:
    """Fill web/vendor and web/lib (:data:`WEB_BUILD`, a fraction of a second), so the app's
    page serves the JS client as it is now, and what the deployment package would hold."""
    try:
        done = subprocess.run(  # noqa: S603 (argv built by this module)
            [shutil.which("node") or "node", str(root / WEB_BUILD)],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise StackError(f"node {WEB_BUILD} took more than {timeout:g} s") from None
    if done.returncode != 0:
        raise StackError(f"node {WEB_BUILD} failed: {done.stderr.strip()[-800:]}")


@dataclass(frozen=True)
class RestartPolicy:
    """When a child that died by itself is started again, and when the stack gives up.

    Why bounded: a child that dies right after every start (an app that no longer imports,
    a port another program took) would otherwise restart in a tight loop, burying the one
    line that says what is wrong under its own output and keeping a core busy. So a death
    within ``window`` seconds of starting counts as a failed start. One says little (a crash,
    a kill by hand): the child restarts at once. Each further one in a row waits twice as
    long before the next start (``first_delay`` up to ``max_delay``), and after ``attempts``
    of them the stack stops and says why. A death after a longer run is a fresh crash: the
    child restarts at once and the count starts again.
    """

    window: float = 10.0
    first_delay: float = 0.5
    max_delay: float = 8.0
    attempts: int = 5

    def delay(self, failed_starts: int) -> float | None:
        """Seconds to wait before starting again after ``failed_starts`` failed starts in a
        row (0 for a fresh crash); None: give up."""
        if failed_starts >= self.attempts:
            return None
        if failed_starts <= 1:
            return 0.0
        return min(self.first_delay * 2.0 ** (failed_starts - 2), self.max_delay)


@dataclass
class ChildProcess:
    """One service in its own session, its output copied line by line to a log file."""

    name: str
    command: Sequence[str]
    log_path: Path
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: Path = PROJECT_ROOT
    echo: bool = False
    ready_line: re.Pattern[str] | None = None
    _process: subprocess.Popen[str] | None = field(default=None, init=False, repr=False)
    _reader: threading.Thread | None = field(default=None, init=False, repr=False)
    _tail: deque[str] = field(default_factory=lambda: deque(maxlen=_TAIL_LINES), init=False)
    _ready: threading.Event = field(default_factory=threading.Event, init=False)
    _ready_match: re.Match[str] | None = field(default=None, init=False, repr=False)
    _log_mode: str = field(default="w", init=False, repr=False)

    def start(self) -> None:
        """Start the process; its output goes to the log (emptied first, kept on restarts)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._ready.clear()
        self._process = subprocess.Popen(  # noqa: S603 (argv built by this module)
            list(self.command),
            cwd=self.cwd,
            env={**self.env, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        stdout = self._process.stdout
        assert stdout is not None  # opened as a pipe just above
        self._reader = threading.Thread(
            target=self._copy_output,
            args=(stdout, self._log_mode),
            name=f"{self.name}-output",
            daemon=True,
        )
        self._reader.start()
        self._log_mode = "a"

    @property
    def pid(self) -> int | None:
        """The process id (also its process group's), while started."""
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        """Whether the process has started and not yet exited."""
        return self._process is not None and self._process.poll() is None

    @property
    def exited(self) -> bool:
        """Whether the process exited by itself: started, ended, and not stopped since."""
        return self._process is not None and self._process.poll() is not None

    def pause(self) -> None:
        """Freeze the child and what it started (SIGSTOP to its group): a stalled service
        that accepts connections and never answers."""
        if self._process is not None:
            _signal_group(self._process, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused child go on (SIGCONT); what it had received is then handled."""
        if self._process is not None:
            _signal_group(self._process, signal.SIGCONT)

    def wait_for_ready_line(self, deadline: float) -> re.Match[str]:
        """The match of ``ready_line`` in the output; fails if the child exits or times out."""
        while not self._ready.wait(_POLL_INTERVAL):
            self._fail_if_ended_or_late(deadline)
        assert self._ready_match is not None  # set before the event
        return self._ready_match

    def wait_until(self, healthy: Callable[[], bool], deadline: float) -> None:
        """Poll ``healthy`` until it holds; fails if the child exits or time runs out."""
        while not healthy():
            self._fail_if_ended_or_late(deadline)
            time.sleep(_POLL_INTERVAL)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the child's process group; SIGKILL what is left of the group once the child
        has exited or ``grace`` seconds have passed."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(grace)
        # Whatever outlives the child in its group (what a crashed child started: node for
        # the Cosmos server) is an orphan that would keep the child's port.
        _signal_group(process, signal.SIGKILL)
        process.wait()
        if self._reader is not None:
            self._reader.join(grace)
        self._process = None

    def _copy_output(self, stdout: IO[str], mode: str) -> None:
        with stdout, self.log_path.open(mode, encoding="utf-8") as log:
            for line in stdout:
                log.write(line)
                log.flush()
                self._tail.append(line.rstrip())
                if self.echo:
                    sys.stdout.write(f"[{self.name}] {line}")
                    sys.stdout.flush()
                found = self.ready_line.search(line) if self.ready_line else None
                if found and not self._ready.is_set():
                    self._ready_match = found
                    self._ready.set()

    def describe_exit(self) -> str:
        """One line: the exit status, the last line of output and where the full log is."""
        code = self._process.returncode if self._process else None
        if self._reader is not None:
            self._reader.join(_PROBE_TIMEOUT)  # the child's last words may still be in the pipe
        status = f"exited with status {code}"
        if code is not None and code < 0:
            with contextlib.suppress(ValueError):  # a signal Python has no name for
                status += f" ({signal.Signals(-code).name})"
        return f"{self.name} {status}: {self._last_line()} (log: {self.log_path})"

    def _last_line(self) -> str:
        return self._tail[-1] if self._tail else "no output"

    def _fail_if_ended_or_late(self, deadline: float) -> None:
        if not self.running:
            raise StackError(f"during start-up, {self.describe_exit()}")
        if time.monotonic() > deadline:
            raise StackError(
                f"{self.name} did not become healthy in time: {self._last_line()} "
                f"(log: {self.log_path})"
            )


@dataclass
class _Service:
    """A child with the ports it serves and how to start it and wait until it answers."""

    child: ChildProcess
    ports: tuple[int, ...]
    launch: Callable[[ChildProcess], None]
    started_at: float = 0.0
    failed_starts: int = 0


class LocalStack:
    """Cosmos DB, the SignalR emulator and the dev host (or ``func start``), as children.

    ``root`` is the project (node_modules, the Cosmos launcher); ``app`` and
    ``settings_path`` default to its function_app.py and :func:`settings_file`. Ports of 0
    are picked free. ``settings_overrides`` win over the settings file, for the host too.
    ``restarts`` bounds how :meth:`supervise` restarts children. ``instances`` dev hosts
    serve the app (behind a front door on ``port`` when more than one), and ``latency_ms``
    delays every answer of Cosmos DB and of the emulator's REST API.
    """

    def __init__(
        self,
        *,
        root: Path = PROJECT_ROOT,
        app: Path | None = None,
        settings_path: Path | None = None,
        port: int = 0,
        signalr_port: int = 0,
        cosmos_port: int = 0,
        webpubsub_port: int = 0,
        use_func: bool = False,
        azurite_ports: tuple[int, int, int] = (0, 0, 0),
        settings_overrides: Mapping[str, str] | None = None,
        log_dir: Path | None = None,
        echo: bool = False,
        timeout: float = 30.0,
        restarts: RestartPolicy | None = None,
        instances: int = 1,
        latency_ms: int = 0,
    ) -> None:
        if isinstance(instances, bool) or not isinstance(instances, int) or instances < 1:
            raise ValueError(f"instances must be a whole number from 1, not {instances!r}")
        if instances > 1 and use_func:
            raise ValueError("several instances need the dev host: func start runs one")
        if isinstance(latency_ms, bool) or not isinstance(latency_ms, int) or latency_ms < 0:
            raise ValueError(f"latency_ms must be a whole number from 0, not {latency_ms!r}")
        self.root = root
        self.port = port or free_port()
        self.instances = instances
        self.latency_ms = latency_ms
        #: Where each app instance listens: ``port`` itself when there is one (no front door).
        self.instance_ports = (
            (self.port,) if instances == 1 else tuple(free_port() for _ in range(instances))
        )
        self.signalr_port = signalr_port or free_port()
        self.cosmos_port = cosmos_port or free_port()
        self.webpubsub_port = webpubsub_port or free_port()
        self.use_func = use_func
        #: Azurite's blob, queue and table ports (0: a free one).
        self.azurite_ports = tuple(chosen or free_port() for chosen in azurite_ports)
        self.app = app or root / "function_app.py"
        self.settings_path = settings_path or settings_file(root)
        self.log_dir = log_dir or root / ".devstack" / "logs"
        self.echo = echo
        self.timeout = timeout
        self.restarts = restarts or RestartPolicy()
        self._overrides = dict(settings_overrides or {})
        local = read_local_settings(self.settings_path)
        values = local.values
        self.settings: dict[str, str] = {**values, **self._overrides}
        #: Where browsers may negotiate with the SignalR emulator from, as infra/ sets the
        #: resource's cors.allowedOrigins: the app's own page and the host's CORS origins.
        self.browser_origins = (
            f"http://localhost:{self.port}",
            f"http://127.0.0.1:{self.port}",
            *local.cors_origins,
        )
        # Which emulator the app needs: as the host reads the setting (the environment wins
        # over the settings file), with the stack's overrides over both.
        self.realtime = (
            self._overrides.get(REALTIME_SETTING)
            or os.environ.get(REALTIME_SETTING)
            or values.get(REALTIME_SETTING)
            or "signalr"
        )
        self.cosmos_endpoint = ""
        self._services: list[_Service] = []
        self._signalr: _Service | None = None
        #: Held by :meth:`supervise` while it looks at or restarts children, and by
        #: :meth:`stop`: a stop from another thread never races a restart (which would leave
        #: a child nobody stops).
        self._supervision = threading.Lock()
        self._stopped = False

    @property
    def children(self) -> tuple[ChildProcess, ...]:
        """The running services, in start order."""
        return tuple(service.child for service in self._services)

    @property
    def base_url(self) -> str:
        """Where the page and the API are served, e.g. ``http://localhost:7071``."""
        return f"http://localhost:{self.port}"

    @property
    def function_key(self) -> str:
        """The key for ``function``-level routes (``x-functions-key`` or ``?code=``)."""
        return self.settings.get(FUNCTION_KEY_SETTING, "")

    @property
    def signalr_upstream(self) -> str:
        """Where the emulator sends client events: the app host's SignalR webhook, with the
        function key standing in for the ``signalr_extension`` system key when one is set."""
        url = f"http://127.0.0.1:{self.port}{SIGNALR_WEBHOOK_PATH}"
        return f"{url}?code={quote(self.function_key)}" if self.function_key else url

    @property
    def signalr_connection_string(self) -> str:
        """The emulator's connection string, as the app sees it."""
        return self.settings[SIGNALR_SETTING]

    @property
    def uses_webpubsub(self) -> bool:
        """Whether the app's real-time backend is Web PubSub (``DOCCHAT_REALTIME=webpubsub``)."""
        return self.realtime == "webpubsub"

    @property
    def webpubsub_upstream(self) -> str:
        """The Web PubSub emulator's event handler rule: the app host's webhook (the function
        key standing in for ``webpubsub_extension``'s) for the events docchat handles."""
        url = f"http://127.0.0.1:{self.port}{WEBPUBSUB_WEBHOOK_PATH}"
        url = f"{url}?code={quote(self.function_key)}" if self.function_key else url
        return f"{url} event={WEBPUBSUB_EVENTS}"

    @property
    def webpubsub_connection_string(self) -> str:
        """The Web PubSub emulator's connection string, as the app sees it."""
        return self.settings[WEBPUBSUB_SETTING]

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> LocalStack:
        """Start every service and wait until each is healthy; on failure stop them all."""
        problems = missing_prerequisites(
            self.root, self._ports(), use_func=self.use_func, webpubsub=self.uses_webpubsub
        )
        if problems:
            raise StackError("\n".join(problems))
        build_web(self.root, self.timeout)
        self._stopped = False
        atexit.register(self.stop)
        try:
            self._start_cosmos()
            self.start_azurite()
            if self.uses_webpubsub:
                self._start_webpubsub()
            else:
                self.start_signalr()
            if self.use_func:
                self._start_func()
            else:
                self._start_host()
        except BaseException:
            self.stop()
            raise
        return self

    def _ports(self) -> dict[str, int]:
        ports = {"dev host" if self.instances == 1 else "front door": self.port}
        if self.instances > 1:
            ports.update(
                {f"instance {n}": port for n, port in enumerate(self.instance_ports, start=1)}
            )
        if self.uses_webpubsub:
            ports["Web PubSub emulator"] = self.webpubsub_port
        else:
            ports["SignalR emulator"] = self.signalr_port
        ports["Cosmos DB"] = self.cosmos_port
        ports.update({f"Azurite {port}": port for port in self.azurite_ports})
        return ports

    def stop(self) -> None:
        """Stop every child, the last started first; safe to call twice."""
        with self._supervision:
            self._stopped = True
            for service in reversed(self._services):
                service.child.stop()
            self._services.clear()
            self._signalr = None
        atexit.unregister(self.stop)

    def supervise(self, report: Callable[[str], None], poll: float = 0.2) -> str:
        """Start each child that exits by itself again, on its port, until one keeps dying.

        ``report`` gets one line per restart; the result says which child gave up and why.
        A child stopped on purpose (:meth:`stop_signalr`) stays stopped. Once :meth:`stop` has
        run (from another thread: a test that supervises in the background), it returns.
        """
        while True:
            with self._supervision:
                if self._stopped:
                    return "the stack was stopped"
                for service in self._services:
                    if service.child.exited:
                        gave_up = self._restart(service, report)
                        if gave_up:
                            return gave_up
            time.sleep(poll)

    def child(self, name: str) -> ChildProcess:
        """The running child called ``name``: ``cosmos``, ``signalr`` or ``webpubsub``, and
        ``host``; with several instances ``host-1``, ``host-2``... and ``frontdoor``."""
        return self._service(name).child

    def restart(self, name: str) -> None:
        """Stop the child ``name`` and start it again on its port: for the in-memory Cosmos
        server, that is a restart that loses every database."""
        service = self._service(name)
        service.child.stop()
        self._relaunch(service)

    def _relaunch(self, service: _Service) -> None:
        """Start a stopped child again on its ports, once the old one has let them go."""
        _wait_for_ports(service.ports, time.monotonic() + _PORT_RELEASE_TIMEOUT)
        self._launch(service)

    def _service(self, name: str) -> _Service:
        for service in self._services:
            if service.child.name == name:
                return service
        raise KeyError(f"no child called {name!r}")

    def stop_realtime(self) -> None:
        """Stop the real-time emulator (SignalR's, or Web PubSub's); clients lose their
        connections, as in an outage of the service."""
        if self.uses_webpubsub:
            self.child("webpubsub").stop()
        else:
            self.stop_signalr()

    def start_realtime(self) -> None:
        """Start the real-time emulator on its port again, after :meth:`stop_realtime`."""
        if not self.uses_webpubsub:
            self.start_signalr()
            return
        service = self._service("webpubsub")
        if not service.child.running:
            self._relaunch(service)

    def stop_signalr(self) -> None:
        """Stop the SignalR emulator; its clients see their connections drop."""
        if self._signalr is not None:
            self._signalr.child.stop()

    def start_signalr(self) -> None:
        """Start the SignalR emulator on its port (again, after :meth:`stop_signalr`)."""
        if self._signalr is None:
            key = parse_connection_string(self.settings[SIGNALR_SETTING]).access_key or ""
            port = str(self.signalr_port)
            # The keys go by environment (the function key in the upstream URL too): a command
            # line is visible to anyone with ps.
            signalr = self._child(
                "signalr",
                [sys.executable, "-m", "devstack.signalr", "--port", port, *self._latency()],
                ready_line=_SIGNALR_READY,
                env={
                    **os.environ,
                    ACCESS_KEY_VARIABLE: key,
                    UPSTREAM_VARIABLE: self.signalr_upstream,
                    ALLOWED_ORIGINS_VARIABLE: ",".join(self.browser_origins),
                },
            )
            self._signalr = self._run(signalr, (self.signalr_port,), self._launch_signalr)
        elif not self._signalr.child.running:
            self._launch(self._signalr)

    def _launch_signalr(self, signalr: ChildProcess) -> None:
        signalr.start()
        deadline = time.monotonic() + self.timeout
        # The emulator's banner masks the key; the key is the one this stack gave it.
        banner = signalr.wait_for_ready_line(deadline)[1]
        endpoint = parse_connection_string(banner).service_url
        health = f"{endpoint}/api/health"
        signalr.wait_until(lambda: _answers(health, "HEAD", self._latency_s), deadline)
        key = signalr.env[ACCESS_KEY_VARIABLE]
        self.settings[SIGNALR_SETTING] = signalr_connection_string(endpoint, key)

    def _start_webpubsub(self) -> None:
        """Start the Web PubSub emulator, its events going to the app host's webhook."""
        current = self.settings.get(WEBPUBSUB_SETTING)
        key = parse_connection_string(current).access_key if current else None
        webpubsub = self._child(
            "webpubsub",
            [
                sys.executable,
                "-m",
                "devstack.webpubsub",
                "--port",
                str(self.webpubsub_port),
                *self._latency(),
            ],
            ready_line=_WEBPUBSUB_READY,
            env={  # by environment, as for SignalR: keys stay out of ps
                **os.environ,
                webpubsub_settings.ACCESS_KEY_VARIABLE: key
                or webpubsub_settings.DEFAULT_ACCESS_KEY,
                webpubsub_settings.UPSTREAM_VARIABLE: self.webpubsub_upstream,
            },
        )
        self._run(webpubsub, (self.webpubsub_port,), self._launch_webpubsub)

    def _launch_webpubsub(self, webpubsub: ChildProcess) -> None:
        webpubsub.start()
        deadline = time.monotonic() + self.timeout
        endpoint = parse_connection_string(webpubsub.wait_for_ready_line(deadline)[1]).service_url
        health = f"{endpoint}/api/health"
        webpubsub.wait_until(lambda: _answers(health, "HEAD", self._latency_s), deadline)
        key = webpubsub.env[webpubsub_settings.ACCESS_KEY_VARIABLE]
        self.settings[WEBPUBSUB_SETTING] = signalr_connection_string(endpoint, key)

    @property
    def _latency_s(self) -> float:
        return self.latency_ms / 1000

    def _latency(self) -> list[str]:
        """The stand-ins' option for Azure's round trip, when one is asked for."""
        return [f"--latency-ms={self.latency_ms}"] if self.latency_ms else []

    def _start_cosmos(self) -> None:
        port = str(self.cosmos_port)
        cosmos = self._child(
            "cosmos",
            [sys.executable, "-m", "devstack.cosmos", "--port", port, *self._latency()],
            ready_line=_COSMOS_READY,
        )
        self._run(cosmos, (self.cosmos_port,), self._launch_cosmos)

    def _launch_cosmos(self, cosmos: ChildProcess) -> None:
        cosmos.start()
        # devstack.cosmos names its endpoint only once the server answers requests.
        self.cosmos_endpoint = cosmos.wait_for_ready_line(time.monotonic() + self.timeout)[1]
        self.settings[COSMOS_SETTING] = self.cosmos_endpoint

    def _start_host(self) -> None:
        """One dev host on ``port``; or one per instance, and the front door on ``port``."""
        if self.instances == 1:
            self._start_instance("host", self.port)
            return
        for number, port in enumerate(self.instance_ports, start=1):
            self._start_instance(f"host-{number}", port)
        instances = [f"--instance=http://127.0.0.1:{port}" for port in self.instance_ports]
        command = [sys.executable, "-m", "devstack.frontdoor", "--port", str(self.port)]
        front_door = self._child("frontdoor", [*command, *instances])
        url = f"http://127.0.0.1:{self.port}{PING_PATH}"
        self._run(
            front_door, (self.port,), _started_when(lambda: _answers(url, "GET"), self.timeout)
        )

    def _start_instance(self, name: str, port: int) -> None:
        app, settings = str(self.app), str(self.settings_path)
        command = [sys.executable, "-m", "devstack.host", "--port", str(port)]
        command += ["--app", app, "--settings", settings]
        self._start_app_host(name, command, port, self.timeout)

    def _start_func(self) -> None:
        func = shutil.which("func") or "func"
        # Core Tools fetches the extension bundle on its first start: allow for that.
        command = [func, "start", "--port", str(self.port)]
        self._start_app_host("func", command, self.port, 4 * self.timeout)

    def start_azurite(self) -> None:
        """Start Azurite in memory on its ports (installing it first if need be), and point
        ``AzureWebJobsStorage`` and the app's ``DOCCHAT_QUEUE`` at its development account."""
        try:
            azurite.ensure_installed()
        except azurite.InstallError as error:
            raise StackError(str(error)) from None
        ports = self.azurite_ports
        storage = self._child("azurite", azurite.command(ports))
        listening = _started_when(lambda: all(map(_accepts_connections, ports)), self.timeout)
        self._run(storage, ports, listening)
        self.settings[STORAGE_SETTING] = azurite.connection_string(ports)
        self.settings[QUEUE_SETTING] = azurite.connection_string(ports)

    def _start_app_host(self, name: str, command: list[str], port: int, timeout: float) -> None:
        realtime = WEBPUBSUB_SETTING if self.uses_webpubsub else SIGNALR_SETTING
        names = (COSMOS_SETTING, realtime, STORAGE_SETTING, QUEUE_SETTING)
        endpoints = {key: self.settings[key] for key in names if key in self.settings}
        # The same command and environment on every restart: the same port, endpoints and
        # function key (a setting), so browsers and backend callers need not notice.
        host = self._child(name, command, env={**os.environ, **self._overrides, **endpoints})
        url = f"http://127.0.0.1:{port}{PING_PATH}"
        self._run(host, (port,), _started_when(lambda: _answers(url, "GET"), timeout))

    def _run(
        self, child: ChildProcess, ports: tuple[int, ...], launch: Callable[[ChildProcess], None]
    ) -> _Service:
        """Launch ``child`` now, and again with ``launch`` whenever it dies by itself."""
        service = _Service(child, ports, launch)
        self._services.append(service)
        self._launch(service)
        return service

    def _launch(self, service: _Service) -> None:
        service.started_at = time.monotonic()
        service.launch(service.child)

    def _restart(self, service: _Service, report: Callable[[str], None]) -> str | None:
        """Start a dead child again, after its back-off; a failed start counts as a death.
        None once it runs again; else why the stack gives up on it."""
        child, policy = service.child, self.restarts
        reason = child.describe_exit()
        while True:
            briefly = time.monotonic() - service.started_at < policy.window
            service.failed_starts = service.failed_starts + 1 if briefly else 0
            delay = policy.delay(service.failed_starts)
            if delay is None:
                return (
                    f"{reason}; {child.name} died {service.failed_starts} times in a row within "
                    f"{policy.window:g} s of starting, so it is not restarted again"
                )
            later = f" in {delay:g} s" if delay else ""
            report(f"{reason}; restarting it on port {service.ports[0]}{later}")
            child.stop(grace=0)
            time.sleep(delay)
            _wait_for_ports(service.ports, time.monotonic() + _PORT_RELEASE_TIMEOUT)
            try:
                self._launch(service)
            except StackError as error:
                reason = str(error)
            else:
                return None

    def _child(
        self,
        name: str,
        command: list[str],
        *,
        ready_line: re.Pattern[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ChildProcess:
        child = ChildProcess(
            name=name,
            command=command,
            log_path=self.log_dir / f"{name}.log",
            env=env if env is not None else dict(os.environ),
            cwd=self.root,
            echo=self.echo,
            ready_line=ready_line,
        )
        return child


def _started_when(healthy: Callable[[], bool], timeout: float) -> Callable[[ChildProcess], None]:
    """A launch: start the child, then wait until ``healthy`` holds."""

    def launch(child: ChildProcess) -> None:
        child.start()
        child.wait_until(healthy, time.monotonic() + timeout)

    return launch


def _wait_for_ports(ports: Sequence[int], deadline: float) -> None:
    """Wait until ``ports`` are free or ``deadline`` passes; a start on a taken port then
    fails with the child's own message, and counts as a failed start."""
    while not all(port_is_free(port) for port in ports) and time.monotonic() < deadline:
        time.sleep(_POLL_INTERVAL)


def _accepts_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=_PROBE_TIMEOUT).close()
    except OSError:
        return False
    return True


def _answers(url: str, method: str, latency: float = 0.0) -> bool:
    """Whether ``url`` answers ``method`` with a 2xx (self-signed TLS accepted: loopback),
    allowing ``latency`` seconds more than a loopback answer takes."""
    timeout = _PROBE_TIMEOUT + latency
    parts = urlsplit(url)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(parts.netloc, timeout=timeout, context=context)
    else:
        connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
    try:
        connection.request(method, parts.path or "/")
        return 200 <= connection.getresponse().status < 300
    except OSError:
        return False
    finally:
        connection.close()


def _signal_group(process: subprocess.Popen[str], signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)
