"""Builds the interface snapshots tests/infra checks infra/ against (no Bicep compiler here).

    python -m tests.infra.snapshot_build --modules GITDIR --types GITDIR

GITDIR is a clone (bare is fine) of Azure/bicep-registry-modules (``--modules``) and of
Azure/bicep-types-az (``--types``). For every ``br/public:avm/...:version`` in infra/, the
module's ``main.json`` at tag ``avm/.../version`` gives its parameters (with the shape of
each, where its type says which property names it takes) and its outputs. For every resource
type and API version infra/ or the azd hooks write directly, and for each resource type a
module parameter derives from (``resourceInput<...>``), bicep-types-az's generated
``types.json`` gives the property names. A shape is ``null`` (not checked), ``{"properties":
{name: shape}}`` (exactly these names), ``{"items": shape}`` (each element), or
``{"derived": "Type@version#pointer"}`` (see ``derived`` in resource_types.json), or
``{"discriminator": name, "variants": {value: shape}}`` (the variant its ``name`` selects).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.infra.bicep import INFRA, Template, bicep_files

HERE = Path(__file__).resolve().parent
SNAPSHOTS = HERE / "snapshots"
AVM_FILE = SNAPSHOTS / "avm_modules.json"
TYPES_FILE = SNAPSHOTS / "resource_types.json"
#: Resource types the azd hooks write through ``az rest`` (scripts/wire-realtime.sh).
HOOK_TYPES = [
    "Microsoft.SignalRService/signalR@2024-03-01",
    "Microsoft.SignalRService/webPubSub/hubs@2024-03-01",
]
AVM_REF = re.compile(r"^br/public:(avm/[\w/-]+):([\d.]+)$")
DERIVED = "__bicep_resource_derived_type!"
READ_ONLY, REQUIRED = 2, 1

Shape = dict[str, Any] | None


def git(gitdir: Path, *args: str) -> str:
    return subprocess.run(  # noqa: S603 - git on a local clone
        ["git", "--git-dir", str(gitdir), *args],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def avm_refs() -> list[tuple[str, str]]:
    refs = set()
    for path in bicep_files():
        for ref, _ in Template(path).modules.values():
            if match := AVM_REF.match(ref):
                refs.add((match[1], match[2]))
    return sorted(refs)


def module_snapshot(gitdir: Path, module: str, version: str) -> dict[str, Any]:
    tag = f"{module}/{version}"
    path = f"{module}/main.json"
    main = json.loads(git(gitdir, "show", f"{tag}:{path}"))
    definitions = main.get("definitions", {})
    return {
        "repo": "Azure/bicep-registry-modules",
        "tag": tag,
        "commit": git(gitdir, "rev-parse", f"{tag}^{{commit}}").strip(),
        "path": path,
        "parameters": {
            name: {
                "shape": arm_shape(spec, definitions, 0),
                **({"default": spec["defaultValue"]} if "defaultValue" in spec else {}),
            }
            for name, spec in main["parameters"].items()
        },
        "outputs": sorted(main.get("outputs", {})),
    }


def arm_shape(spec: dict[str, Any], definitions: dict[str, Any], depth: int) -> Shape:
    """A parameter's or property's type in a compiled module, as a shape."""
    if depth > 12:
        return None
    if "$ref" in spec:
        spec = {**definitions[spec["$ref"].rsplit("/", 1)[-1]], **spec}
        spec.pop("$ref")
    derived = spec.get("metadata", {}).get(DERIVED)
    if derived:
        return {"derived": derived["source"] if isinstance(derived, dict) else derived}
    if "discriminator" in spec:
        discriminator = spec["discriminator"]
        return {
            "discriminator": discriminator["propertyName"],
            "variants": {
                value: arm_shape(variant, definitions, depth + 1)
                for value, variant in discriminator["mapping"].items()
            },
        }
    if spec.get("type") == "object" and "properties" in spec and "additionalProperties" not in spec:
        return {
            "properties": {
                name: arm_shape(child, definitions, depth + 1)
                for name, child in spec["properties"].items()
            }
        }
    if spec.get("type") == "array" and "items" in spec:
        items = arm_shape(spec["items"], definitions, depth + 1)
        return None if items is None else {"items": items}
    return None


class TypesRepo:
    """Azure/bicep-types-az's generated types, found by resource type and API version."""

    def __init__(self, gitdir: Path) -> None:
        self.gitdir = gitdir
        self.commit = git(gitdir, "rev-parse", "HEAD").strip()
        self.files = git(gitdir, "ls-tree", "-r", "--name-only", "HEAD", "generated/").split()

    def find(self, type_and_version: str) -> tuple[str, list[dict[str, Any]], int]:
        kind, version = type_and_version.split("@")
        namespace = kind.split("/")[0].lower()
        for path in self.files:
            if path.endswith(f"/{namespace}/{version}/types.json"):
                types = json.loads(git(self.gitdir, "show", f"HEAD:{path}"))
                for entry in types:
                    if entry["$type"] == "ResourceType" and entry["name"] == type_and_version:
                        return path, types, _index(entry["body"])
        raise LookupError(f"{type_and_version} is in no generated types.json")


def _index(ref: dict[str, str]) -> int:
    return int(ref["$ref"].rsplit("/", 1)[-1])


def type_shape(
    types: list[dict[str, Any]], index: int, seen: frozenset[int] = frozenset()
) -> Shape:
    """A generated type as a shape; read-only properties are left out (Bicep refuses them)."""
    if index in seen:
        return None
    seen = seen | {index}
    entry = types[index]
    kind = entry["$type"]
    if kind in ("ObjectType", "DiscriminatedObjectType"):
        properties = dict(entry.get("properties", entry.get("baseProperties", {})))
        for element in entry.get("elements", {}).values():
            properties.update(types[_index(element)].get("properties", {}))
        if not properties:
            return None
        return {
            "properties": {
                name: type_shape(types, _index(prop["type"]), seen)
                for name, prop in sorted(properties.items())
                if not (prop.get("flags", 0) & READ_ONLY and not prop.get("flags", 0) & REQUIRED)
            }
        }
    if kind == "ArrayType":
        items = type_shape(types, _index(entry["itemType"]), seen)
        return None if items is None else {"items": items}
    return None


def pointer_index(types: list[dict[str, Any]], body: int, pointer: str) -> int:
    """``properties/properties/properties/functionAppConfig`` from the body: a property's
    type, an array's item type, a map's value type."""
    index = body
    parts = [part for part in pointer.split("/") if part]
    while parts:
        step = parts.pop(0)
        entry = types[index]
        if step == "properties":
            index = _index(entry["properties"][parts.pop(0)]["type"])
        elif step == "items":
            index = _index(entry["itemType"])
        elif step == "additionalProperties":
            index = _index(entry["additionalProperties"])
        else:
            raise ValueError(f"cannot follow {step!r} in {pointer}")
    return index


def derived_sources(shape: Shape) -> list[str]:
    if not shape:
        return []
    if "derived" in shape:
        return [shape["derived"]]
    children = [
        *shape.get("properties", {}).values(),
        *shape.get("variants", {}).values(),
        shape.get("items"),
    ]
    return [source for child in children for source in derived_sources(child)]


def resource_types() -> list[str]:
    found = set(HOOK_TYPES)
    for path in bicep_files():
        found.update(kind for kind, _ in Template(path).resources.values())
    return sorted(found)


def build(modules_dir: Path, types_dir: Path) -> None:
    modules = {
        f"{module}:{version}": module_snapshot(modules_dir, module, version)
        for module, version in avm_refs()
    }
    used = _params_used()
    sources = sorted(
        {
            source
            for key, snapshot in modules.items()
            for name, param in snapshot["parameters"].items()
            if name in used.get(key, set())
            for source in derived_sources(param["shape"])
        }
    )
    repo = TypesRepo(types_dir)
    resources: dict[str, Any] = {}
    for kind in resource_types():
        path, types, body = repo.find(kind)
        resources[kind] = _type_entry(repo, path, type_shape(types, body))
    derived: dict[str, Any] = {}
    for source in sources:
        kind, pointer = source.split("#", 1)
        path, types, body = repo.find(kind)
        derived[source] = _type_entry(
            repo, path, type_shape(types, pointer_index(types, body, pointer))
        )
    SNAPSHOTS.mkdir(exist_ok=True)
    AVM_FILE.write_text(json.dumps(modules, indent=1, sort_keys=True) + "\n")
    TYPES_FILE.write_text(
        json.dumps({"resources": resources, "derived": derived}, indent=1, sort_keys=True) + "\n"
    )


def _type_entry(repo: TypesRepo, path: str, shape: Shape) -> dict[str, Any]:
    return {"repo": "Azure/bicep-types-az", "commit": repo.commit, "path": path, "shape": shape}


def _params_used() -> dict[str, set[str]]:
    """The parameters infra/ passes to each AVM module version: only their derived types are
    snapshotted (a parameter added later needs a rebuild, and the check says so)."""
    used: dict[str, set[str]] = {}
    for path in bicep_files():
        template = Template(path)
        for symbol, (ref, _) in template.modules.items():
            if match := AVM_REF.match(ref):
                body = template.module(symbol, {})
                params = body.get("params", {}) if isinstance(body, dict) else {}
                used.setdefault(f"{match[1]}:{match[2]}", set()).update(params)
    return used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=Path, required=True)
    parser.add_argument("--types", type=Path, required=True)
    arguments = parser.parse_args()
    build(arguments.modules, arguments.types)
    print(f"wrote {AVM_FILE.relative_to(INFRA.parent)} and {TYPES_FILE.relative_to(INFRA.parent)}")


if __name__ == "__main__":
    main()
