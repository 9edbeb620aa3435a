"""Running the azd hooks in scripts/ as azd does (/bin/sh, azd's environment values) against
a recording stand-in for ``az`` (fake_az.py), and checking the requests they send against the
resource type snapshots."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.infra.interfaces import resource_types, value_problems

#: The resource main.bicep names for SignalR's upstream token (REALTIME_UPSTREAM_AUDIENCE).
UPSTREAM_AUDIENCE = "api://docchat-test"

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "scripts" / "wire-realtime.sh"
SUBSCRIPTION = "00000000-0000-0000-0000-00000000aaaa"
SIGNALR_URL = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-dev/providers/"
    "Microsoft.SignalRService/signalR/sigr-x?api-version=2024-03-01"
)
WEBPUBSUB_URL = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-dev/providers/"
    "Microsoft.SignalRService/webPubSub/wps-x/hubs/documents?api-version=2024-03-01"
)
APP = "https://func-x.azurewebsites.net"


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    calls: list[dict[str, Any]]
    state: dict[str, Any]


class FakeAzure:
    """What the fake az knows (keys, resources) and what it was asked, across runs."""

    def __init__(self, folder: Path, backend: str) -> None:
        self.folder = folder
        self.backend = backend
        self.bin = folder / "bin"
        self.bin.mkdir(parents=True)
        az = self.bin / "az"
        az.write_text(f"#!{sys.executable}\n" + (Path(__file__).parent / "fake_az.py").read_text())
        az.chmod(0o755)
        self.state_file = folder / "state.json"
        self.log = folder / "calls.jsonl"
        self.save({"system_keys": {}, "resources": {}})

    def save(self, state: dict[str, Any]) -> None:
        self.state_file.write_text(json.dumps(state))

    def load(self) -> dict[str, Any]:
        return dict(json.loads(self.state_file.read_text()))

    def run(self, stage: str, hook: Path = HOOK) -> Run:
        self.log.write_text("")
        env = {
            "PATH": f"{self.bin}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "FAKE_AZ_STATE": str(self.state_file),
            "FAKE_AZ_LOG": str(self.log),
            "TMPDIR": str(self.folder),
            "AZURE_SUBSCRIPTION_ID": SUBSCRIPTION,
            "AZURE_RESOURCE_GROUP": "rg-dev",
            "SERVICE_API_NAME": "func-x",
            "SERVICE_API_URI": APP,
            "REALTIME_BACKEND": self.backend,
            "REALTIME_SERVICE_NAME": "sigr-x" if self.backend == "signalr" else "wps-x",
            "REALTIME_UPSTREAM_AUDIENCE": UPSTREAM_AUDIENCE,
            "DOCCHAT_HOOK_ATTEMPTS": "3",
            "DOCCHAT_HOOK_PAUSE_SECONDS": "0",
        }
        done = subprocess.run(  # noqa: S603 - our own hook under /bin/sh, as azd runs it
            ["/bin/sh", str(hook), stage],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        calls = [json.loads(line) for line in self.log.read_text().splitlines()]
        return Run(done.returncode, done.stdout, done.stderr, calls, self.load())


def hook_problems(hook: Path, folder: Path) -> list[str]:
    """Each request body the hook sends, for each backend, against its resource type's
    snapshot: the type and API version exist, and every property name is the type's."""
    problems: list[str] = []
    for backend in ("signalr", "webpubsub"):
        azure = FakeAzure(folder / backend, backend)
        azure.save({"system_keys": {f"{backend}_extension": "k"}, "resources": {}})
        run = azure.run("postdeploy", hook)
        if run.returncode != 0:
            problems.append(f"{hook.name} ({backend}) failed: {run.stderr.strip()}")
        for call in run.calls:
            if "body" not in call:
                continue
            url = call["argv"][call["argv"].index("--url") + 1]
            kind = rest_type(url)
            snapshot = resource_types()["resources"].get(kind)
            if snapshot is None:
                problems.append(f"{hook.name}: {kind} is no resource type and API version")
            else:
                problems += value_problems(call["body"], snapshot["shape"], f"{hook.name}: {kind}")
    return problems


def rest_type(url: str) -> str:
    """``/subscriptions/s/resourceGroups/g/providers/NS/a/x/b/y?api-version=V`` is NS/a/b@V."""
    path, _, query = url.partition("?api-version=")
    segments = path.split("/providers/", 1)[1].split("/")
    return "/".join([segments[0], *segments[1::2]]) + f"@{query}"
