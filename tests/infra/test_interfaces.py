"""infra/ and the azd hook use only names that exist: module versions, their parameters and
outputs, resource types and API versions, property names, and role scopes (interfaces.py,
against the snapshots in tests/infra/snapshots). Each mistake below passed every other check
in tests/infra; applied to a copy of infra/ and scripts/, each must now fail one."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.infra import interfaces
from tests.infra.bicep import INFRA
from tests.infra.hook_runner import HOOK, hook_problems

Check = Callable[[Path], list[str]]
CHECKS: dict[str, Check] = {
    "modules": interfaces.module_problems,
    "outputs": interfaces.output_problems,
    "resources": interfaces.resource_problems,
    "role scopes": interfaces.role_scope_problems,
}

#: (file under the copy, text, replacement, what the check says): one mistake each.
MUTATIONS = {
    "wrong AVM parameter name": (
        "infra/main.bicep",
        "    allowSharedKeyAccess: false",
        "    allowSharedKeysAccess: false",
        "storage.allowSharedKeysAccess is no property",
    ),
    "module version that does not exist": (
        "infra/main.bicep",
        "avm/res/storage/storage-account:0.33.0",
        "avm/res/storage/storage-account:0.33.9",
        "storage-account:0.33.9 is no published module version",
    ),
    "wrong output name": (
        "infra/app/api.bicep",
        "site.outputs.defaultHostname",
        "site.outputs.defaultHostName",
        "site.outputs.defaultHostName is no output",
    ),
    "wrong property casing in a module parameter": (
        "infra/app/api.bicep",
        "        instanceMemoryMB: instanceMemoryMB",
        "        instanceMemoryMb: instanceMemoryMB",
        "scaleAndConcurrency.instanceMemoryMb is no property",
    ),
    "made-up resource type": (
        "infra/app/cosmos.bicep",
        "'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15'",
        "'Microsoft.DocumentDB/databaseAccounts/sqlDatabase@2024-11-15'",
        "sqlDatabase@2024-11-15 is no resource type",
    ),
    "API version that does not exist": (
        "infra/app/signalr.bicep",
        "'Microsoft.SignalRService/signalR@2024-03-01'",
        "'Microsoft.SignalRService/signalR@2024-03-02'",
        "signalR@2024-03-02 is no resource type",
    ),
    "misspelled resource property": (
        "infra/app/signalr.bicep",
        "    disableLocalAuth: true",
        "    disableLocalAuthentication: true",
        "properties.disableLocalAuthentication is no property",
    ),
    "misspelled upstream property": (
        "scripts/wire-realtime.sh",
        '"categoryPattern": "*"',
        '"categoryPatern": "*"',
        "upstream.templates[0].categoryPatern is no property",
    ),
    "wrong role assignment scope": (
        "infra/app/rbac.bicep",
        "storageBlobDataOwner)\n  scope: storage\n",
        "storageBlobDataOwner)\n  scope: appInsights\n",
        "storageBlobDataOwner assigned on Microsoft.Insights/components",
    ),
}


def problems(root: Path, work: Path) -> list[str]:
    found = [problem for check in CHECKS.values() for problem in check(root / "infra")]
    return found + hook_problems(root / "scripts" / HOOK.name, work)


@pytest.mark.parametrize("check", CHECKS.values(), ids=CHECKS.keys())
def test_infra_passes(check: Check) -> None:
    assert check(INFRA) == []


def test_every_module_and_resource_type_has_a_sourced_snapshot() -> None:
    for ref, module in interfaces.avm_modules().items():
        assert module["repo"] == "Azure/bicep-registry-modules"
        assert module["tag"] == ref.replace(":", "/")
        assert len(module["commit"]) == 40
        assert module["path"].endswith("/main.json")
    types = interfaces.resource_types()
    for entry in [*types["resources"].values(), *types["derived"].values()]:
        assert entry["repo"] == "Azure/bicep-types-az"
        assert len(entry["commit"]) == 40
        assert entry["path"].startswith("generated/")


@pytest.mark.parametrize("mutation", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_each_mistake_fails_a_check(mutation: tuple[str, str, str, str], tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(INFRA, root / "infra")
    shutil.copytree(HOOK.parent, root / "scripts")
    assert problems(root, tmp_path / "before") == []
    file, text, replacement, message = mutation
    source = (root / file).read_text()
    assert source.count(text) == 1, f"{text!r} is not once in {file}"
    (root / file).write_text(source.replace(text, replacement))
    found = problems(root, tmp_path / "after")
    assert any(message in problem for problem in found), found
