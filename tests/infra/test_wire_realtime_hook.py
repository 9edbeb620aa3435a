"""scripts/wire-realtime.sh, the azd hook that wires the real-time service's webhook after the
code is deployed, run by /bin/sh against a recording stand-in for ``az`` (fake_az.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML, with schemathesis

from tests.infra.bicep import INFRA, Template
from tests.infra.hook_runner import (
    APP,
    HOOK,
    ROOT,
    SIGNALR_URL,
    UPSTREAM_AUDIENCE,
    WEBPUBSUB_URL,
    FakeAzure,
    hook_problems,
)


@pytest.fixture(params=["signalr", "webpubsub"])
def azure(request: pytest.FixtureRequest, tmp_path: Path) -> FakeAzure:
    return FakeAzure(tmp_path, request.param)


def resource_url(backend: str) -> str:
    return SIGNALR_URL if backend == "signalr" else WEBPUBSUB_URL


def key_name(backend: str) -> str:
    return f"{backend}_extension"


def webhooks(body: dict[str, Any], backend: str) -> list[str]:
    properties = body["properties"]
    entries = (
        properties["upstream"]["templates"] if backend == "signalr" else properties["eventHandlers"]
    )
    return [entry["urlTemplate"] for entry in entries]


def test_postdeploy_reads_the_key_and_writes_one_webhook_with_it(azure: FakeAzure) -> None:
    azure.save({"system_keys": {key_name(azure.backend): "k3y_A-1=="}, "resources": {}})
    run = azure.run("postdeploy")
    assert run.returncode == 0, run.stderr
    [keys, rest] = run.calls
    assert keys["argv"][:3] == ["functionapp", "keys", "list"]
    assert (
        keys["argv"][keys["argv"].index("--query") + 1] == f"systemKeys.{key_name(azure.backend)}"
    )
    method = "patch" if azure.backend == "signalr" else "put"
    assert rest["argv"][:5] == ["rest", "--method", method, "--url", resource_url(azure.backend)]
    assert webhooks(rest["body"], azure.backend) == [
        f"{APP}/runtime/webhooks/{azure.backend}?code=k3y_A-1=="
    ]


def test_the_webhook_carries_what_the_bicep_once_did(azure: FakeAzure) -> None:
    azure.save({"system_keys": {key_name(azure.backend): "k"}, "resources": {}})
    body = azure.run("postdeploy").calls[-1]["body"]["properties"]
    if azure.backend == "signalr":
        [template] = body["upstream"]["templates"]
        assert (template["hubPattern"], template["categoryPattern"], template["eventPattern"]) == (
            "documents",
            "*",
            "*",
        )
        # The service signs in with its identity for the app's check of each event.
        assert template["auth"] == {
            "type": "ManagedIdentity",
            "managedIdentity": {"resource": UPSTREAM_AUDIENCE},
        }
    else:
        [handler] = body["eventHandlers"]
        # Exactly what the app's webPubSubTrigger functions take.
        assert handler["systemEvents"] == ["connected", "disconnected"]
        assert handler["userEventPattern"] == "typing"
        # The PUT replaces the hub: it keeps the Bicep's policy.
        hub = Template(INFRA / "app" / "webpubsub.bicep").resource("documents", {})
        assert isinstance(hub, dict)
        assert body["anonymousConnectPolicy"] == hub["properties"]["anonymousConnectPolicy"]


def test_no_key_on_any_command_line_and_no_body_left_behind(azure: FakeAzure) -> None:
    run = azure.run("postdeploy")  # no key yet: the hook has the host make one
    assert run.returncode == 0, run.stderr
    key = run.state["system_keys"][key_name(azure.backend)]
    assert [call["argv"][:3] for call in run.calls] == [
        ["functionapp", "keys", "list"],
        ["functionapp", "keys", "set"],
        ["rest", "--method", "patch" if azure.backend == "signalr" else "put"],
    ]
    assert all(key not in " ".join(call["argv"]) for call in run.calls)
    assert key not in run.stdout + run.stderr
    assert webhooks(run.calls[-1]["body"], azure.backend)[0].endswith(f"?code={key}")
    assert not Path(run.calls[-1]["body_file"]).exists()


def test_a_rerun_and_a_renewed_key_leave_exactly_one_current_webhook(azure: FakeAzure) -> None:
    azure.save({"system_keys": {key_name(azure.backend): "first"}, "resources": {}})
    once = azure.run("postdeploy").state["resources"]
    twice = azure.run("postdeploy").state["resources"]
    assert twice == once
    state = azure.load()
    state["system_keys"][key_name(azure.backend)] = "renewed"
    azure.save(state)
    renewed = azure.run("postprovision").state["resources"][resource_url(azure.backend)]
    assert webhooks(renewed, azure.backend) == [
        f"{APP}/runtime/webhooks/{azure.backend}?code=renewed"
    ]


def test_postprovision_leaves_a_host_without_code_alone(azure: FakeAzure) -> None:
    """The first `azd up`: no key and no asking the host to make one before the code is there."""
    azure.save({"system_keys": {}, "resources": {}, "host_down": 1})
    run = azure.run("postprovision")
    assert run.returncode == 0, run.stderr
    assert [call["argv"][:3] for call in run.calls] == [["functionapp", "keys", "list"]]
    assert "postdeploy" in run.stdout


def test_postdeploy_waits_for_a_starting_host_within_its_tries(azure: FakeAzure) -> None:
    azure.save({"system_keys": {key_name(azure.backend): "k"}, "resources": {}, "host_down": 2})
    run = azure.run("postdeploy")
    assert run.returncode == 0, run.stderr
    assert webhooks(run.calls[-1]["body"], azure.backend) == [
        f"{APP}/runtime/webhooks/{azure.backend}?code=k"
    ]


def test_postdeploy_gives_up_with_a_message_when_the_host_never_answers(azure: FakeAzure) -> None:
    azure.save({"system_keys": {}, "resources": {}, "host_down": 99})
    run = azure.run("postdeploy")
    assert run.returncode != 0
    assert "func-x" in run.stderr
    assert "after 3 tries" in run.stderr
    assert not [call for call in run.calls if call["argv"][0] == "rest"]


def test_azd_runs_the_hook_after_deploy_and_after_provision() -> None:
    hooks = yaml.safe_load((ROOT / "azure.yaml").read_text())["hooks"]
    for stage in ("postdeploy", "postprovision"):
        assert hooks[stage]["shell"] == "sh"
        assert hooks[stage]["run"] == f"sh ./scripts/wire-realtime.sh {stage}"


def test_provisioning_asks_the_host_for_no_key() -> None:
    """No host/systemkeys resource and no listKeys on the app before its code is deployed."""
    for path in INFRA.rglob("*.bicep"):
        text = path.read_text()
        assert not re.search(r"(?i)listKeys\(|/host/|systemkeys", text), path


def test_the_requests_use_the_resource_types_names(tmp_path: Path) -> None:
    assert hook_problems(HOOK, tmp_path) == []
