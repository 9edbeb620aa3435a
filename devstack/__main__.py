"""docchat locally, in one command: ``python -m devstack [--func] [--port 7071]``.

What ``make dev`` runs. It creates local.settings.json from the example when missing (with
the ports it was given), checks the prerequisites (each problem reported in one line with
its fix), starts the local Cosmos DB, the SignalR emulator (the Web PubSub one when the
app setting ``DOCCHAT_REALTIME`` is ``webpubsub``), Azurite for the work queues
(``DOCCHAT_QUEUE``; on its usual ports 10000-10002 when they are free) and the dev host (or,
with ``--func``, ``func start``), prints where everything is, and runs until Ctrl-C,
which stops every child. A child that dies by itself is started again on its port, with a
line saying so; one that keeps dying right after starting stops the stack. ``--instances N``
runs N dev hosts behind a round-robin front door on ``--port``, as Azure scales the app out;
``--latency-ms N`` makes Cosmos DB and the real-time REST API answer N ms later, as Azure's
round trips would. The other
options (``--signalr-port``, ``--webpubsub-port``, ``--cosmos-port``, ``--app``,
``--settings``, ``--log-dir``) let a second stack run beside a developer's, as the tests do.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn
from urllib.parse import urlsplit

from devstack.azure_guard import refusal_in_azure
from devstack.azurite import AZURITE_PORTS
from devstack.host.settings import SettingsError, read_route_prefix
from devstack.stack import (
    COSMOS_SETTING,
    PROJECT_ROOT,
    SIGNALR_SETTING,
    LocalStack,
    StackError,
    free_port,
    port_is_free,
)
from shared.connection_string import replace_port


def main(argv: list[str] | None = None) -> int:
    """Run the stack until interrupted; 1 when it cannot start."""
    args = _arguments(argv)
    root = PROJECT_ROOT
    refusal = refusal_in_azure("python -m devstack")
    if refusal:
        return _fail(refusal)
    # Ports of 0 are picked here, not by the stack, so a new settings file names them.
    port, signalr_port, cosmos_port = (
        chosen or free_port() for chosen in (args.port, args.signalr_port, args.cosmos_port)
    )
    _create_local_settings(root, args.settings, port, signalr_port, cosmos_port)
    # Installed for SIGINT too: a shell that starts us in the background hands us SIGINT
    # ignored, and Ctrl-C must stop the stack however it was started.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack = LocalStack(
            root=root,
            app=args.app,
            settings_path=args.settings,
            port=port,
            signalr_port=signalr_port,
            cosmos_port=cosmos_port,
            webpubsub_port=args.webpubsub_port or free_port(),
            use_func=args.func,
            azurite_ports=_azurite_ports(),
            log_dir=args.log_dir,
            echo=True,
            instances=args.instances,
            latency_ms=args.latency_ms,
        )
    except (SettingsError, ValueError) as error:
        return _fail(str(error))
    try:
        stack.start()
        print(_summary(stack, root), flush=True)
        return _fail(f"{stack.supervise(_say)}; stopping everything")
    except StackError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        print("devstack: stopping", flush=True)
        return 0
    finally:
        _ignore_interrupts()
        stack.stop()


def _azurite_ports() -> tuple[int, int, int]:
    """Azurite's usual ports, which storage tools know, unless another Azurite holds them."""
    return AZURITE_PORTS if all(map(port_is_free, AZURITE_PORTS)) else (0, 0, 0)


def _say(line: str) -> None:
    print(f"devstack: {line}", flush=True)


def _fail(message: str) -> int:
    """Report each line of ``message`` on stderr; the exit status for a failed start."""
    for line in message.splitlines():
        print(f"devstack: {line}", file=sys.stderr)
    return 1


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devstack", description=__doc__)
    parser.add_argument("--func", action="store_true", help="run func start, not the dev host")
    parser.add_argument("--port", type=int, default=7071, help="page and API")
    parser.add_argument("--signalr-port", type=int, default=8888)
    parser.add_argument("--cosmos-port", type=int, default=8081)
    parser.add_argument("--webpubsub-port", type=int, default=8080, help="with webpubsub")
    parser.add_argument(
        "--instances",
        type=_whole_number(1),
        default=1,
        help="dev host processes behind one front door on --port (default 1: no front door)",
    )
    parser.add_argument(
        "--latency-ms",
        type=_whole_number(0),
        default=0,
        help="added to every answer of Cosmos DB and the real-time REST API (default 0)",
    )
    parser.add_argument("--app", type=Path, default=PROJECT_ROOT / "function_app.py")
    parser.add_argument(
        "--settings",
        type=Path,
        default=PROJECT_ROOT / "local.settings.json",
        help="created from local.settings.json.example when missing",
    )
    parser.add_argument("--log-dir", type=Path, default=PROJECT_ROOT / ".devstack" / "logs")
    return parser.parse_args(argv)


def _whole_number(least: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``least``, else a message saying so."""

    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = least - 1
        if number < least:
            raise argparse.ArgumentTypeError(f"must be a whole number from {least}, not {text!r}")
        return number

    return parse


def _create_local_settings(root: Path, settings: Path, *ports: int) -> None:
    """A missing settings file becomes the example moved to ``ports`` (host, SignalR,
    Cosmos); an existing one is left alone, as the stack gives each child its endpoints."""
    if settings.exists():
        return
    example = json.loads((root / "local.settings.json.example").read_text(encoding="utf-8"))
    _move_to_ports(example, *ports)
    settings.write_text(json.dumps(example, indent=2) + "\n", encoding="utf-8")
    print(f"devstack: created {settings} from the example")


def _move_to_ports(settings: dict[str, Any], port: int, signalr: int, cosmos: int) -> None:
    values, host = settings["Values"], settings["Host"]
    values[SIGNALR_SETTING] = _with_endpoint_port(values[SIGNALR_SETTING], signalr)
    values[COSMOS_SETTING] = replace_port(values[COSMOS_SETTING], cosmos)
    # Only the origins of the host itself move; others (a front-end dev server) stay.
    origins = [origin.strip() for origin in host["CORS"].split(",")]
    host["CORS"] = ",".join(
        replace_port(origin, port) if urlsplit(origin).port == host["LocalHttpPort"] else origin
        for origin in origins
    )
    host["LocalHttpPort"] = port


def _with_endpoint_port(connection_string: str, port: int) -> str:
    """The connection string with its Endpoint's port changed, the rest as it was."""
    parts = []
    for part in connection_string.split(";"):
        key, _, value = part.partition("=")
        parts.append(f"{key}={replace_port(value, port)}" if key.lower() == "endpoint" else part)
    return ";".join(parts)


def _summary(stack: LocalStack, root: Path) -> str:
    # host.json's routePrefix is empty (the page is at /): the API's routes say api/ themselves.
    api = "/".join(
        part for part in (stack.base_url, read_route_prefix(root / "host.json"), "api") if part
    )
    host = "func start" if stack.use_func else "dev host"
    if stack.instances > 1:
        ports = ", ".join(map(str, stack.instance_ports))
        host = f"front door, round robin over {stack.instances} dev hosts on ports {ports}"
    rows = [
        ("Page", f"{stack.base_url}/ (a panel: {stack.base_url}/embed?document=launch-plan)"),
        ("API", f"{api} ({host}; function key {stack.function_key})"),
        *_realtime_rows(stack),
        ("Cosmos DB", stack.cosmos_endpoint),
        *_latency_rows(stack),
        *_storage_rows(stack),
        ("Logs", f"{_shown(stack.log_dir, root)}/"),
    ]
    lines = [f"  {name:<10} {value}" for name, value in rows]
    return "\n".join(["docchat is running; Ctrl-C stops it.", *lines])


def _latency_rows(stack: LocalStack) -> list[tuple[str, str]]:
    """The round trip added to the stand-ins' answers, when one was asked for."""
    if not stack.latency_ms:
        return []
    return [("Latency", f"{stack.latency_ms} ms added to each Cosmos DB and REST API answer")]


def _storage_rows(stack: LocalStack) -> list[tuple[str, str]]:
    """Azurite: the work queues (``DOCCHAT_QUEUE``), and storage for ``func start``."""
    ports = ", ".join(map(str, stack.azurite_ports))
    return [("Storage", f"Azurite in memory on ports {ports} (the work queues, DOCCHAT_QUEUE)")]


def _realtime_rows(stack: LocalStack) -> list[tuple[str, str]]:
    """The real-time emulator's connection string and where it sends client events."""
    if stack.uses_webpubsub:
        events = f"events to {stack.webpubsub_upstream.partition('?')[0]}"
        return [("Web PubSub", stack.webpubsub_connection_string), ("Upstream", events)]
    events = f"client events to {stack.signalr_upstream.partition('?')[0]}"
    return [("SignalR", stack.signalr_connection_string), ("Upstream", events)]


def _shown(path: Path, root: Path) -> Path:
    """``path`` relative to the project when inside it: shorter to read."""
    return path.relative_to(root) if path.is_relative_to(root) else path


def _ignore_interrupts() -> None:
    """A second Ctrl-C must not cut the clean stop short and leave children behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    """SIGINT and SIGTERM both stop the stack as Ctrl-C does."""
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
