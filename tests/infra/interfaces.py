"""infra/ against the interfaces it uses, read from snapshots (tests/infra/snapshots, built
by snapshot_build.py from Azure/bicep-registry-modules and Azure/bicep-types-az).

What a Bicep compiler would refuse and checkov and tree-sitter cannot see: a module version
that does not exist, a parameter or output a module does not have, a resource type or API
version that does not exist, a property name a type does not have (exact case), and a role
assigned on a resource that role is not about. Each function returns the problems found,
as text naming the file and the path to the offending name; an empty list is a pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import tree_sitter

from tests.infra.bicep import Template, _key, _named, _text

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
AVM_REF = re.compile(r"^br/public:(avm/[\w/-]+:[\d.]+)$")
#: Bicep's own keys in a resource body, not the type's properties.
RESOURCE_KEYWORDS = {"parent", "scope", "dependsOn"}
MODULE_KEYWORDS = {"name", "scope", "params", "dependsOn"}
#: The resource type each built-in role is about, by the variable the templates name its id
#: with (the role's actions and dataActions are that provider's: Azure built-in roles).
ROLE_SCOPES = {
    "storageBlobDataOwner": "Microsoft.Storage/storageAccounts",
    "storageQueueDataContributor": "Microsoft.Storage/storageAccounts",
    "monitoringMetricsPublisher": "Microsoft.Insights/components",
    "signalrServiceOwner": "Microsoft.SignalRService/signalR",
    "webPubSubServiceOwner": "Microsoft.SignalRService/webPubSub",
}

Shape = dict[str, Any] | None


@cache
def avm_modules() -> dict[str, Any]:
    return dict(json.loads((SNAPSHOTS / "avm_modules.json").read_text()))


@cache
def resource_types() -> dict[str, Any]:
    return dict(json.loads((SNAPSHOTS / "resource_types.json").read_text()))


def templates(infra: Path) -> Iterator[tuple[str, Template]]:
    for path in sorted(infra.rglob("*.bicep")):
        yield path.relative_to(infra).as_posix(), Template(path)


def module_problems(infra: Path) -> list[str]:
    """Every module reference: its version exists, and each parameter passed is one it has,
    shaped as its type says; a local module gets each parameter it needs."""
    problems: list[str] = []
    for file, template in templates(infra):
        for symbol, (ref, body) in template.modules.items():
            where = f"{file}: module {symbol}"
            params = _property(body, "params")
            problems += [f"{where}: {key}" for key in _keys(body) - MODULE_KEYWORDS]
            if match := AVM_REF.match(ref):
                snapshot = avm_modules().get(match[1])
                if snapshot is None:
                    problems.append(f"{where}: {match[1]} is no published module version")
                    continue
                shapes = {name: spec["shape"] for name, spec in snapshot["parameters"].items()}
                problems += shape_problems(template, params, {"properties": shapes}, where)
            else:
                target = Template(template.path.parent / ref)
                given = _keys(params)
                problems += [f"{where}: no parameter {name}" for name in given - set(target.params)]
                needed = {name for name, default in target.params.items() if default is None}
                problems += [f"{where}: missing parameter {name}" for name in needed - given]
    return problems


def output_problems(infra: Path) -> list[str]:
    """Every ``<module>.outputs.<name>`` names an output the module has."""
    problems: list[str] = []
    for file, template in templates(infra):
        text = template.path.read_text()
        for symbol, name in re.findall(r"\b(\w+)\.outputs\.(\w+)", text):
            if symbol not in template.modules:
                continue
            ref = template.modules[symbol][0]
            if match := AVM_REF.match(ref):
                outputs = set(avm_modules().get(match[1], {}).get("outputs", []))
            else:
                outputs = set(Template(template.path.parent / ref).outputs)
            if name not in outputs:
                problems.append(f"{file}: {symbol}.outputs.{name} is no output of {ref}")
    return problems


def resource_problems(infra: Path) -> list[str]:
    """Every resource: its type and API version exist, and its body uses the type's names."""
    problems: list[str] = []
    for file, template in templates(infra):
        for symbol, (kind, body) in template.resources.items():
            where = f"{file}: resource {symbol}"
            snapshot = resource_types()["resources"].get(kind)
            if snapshot is None:
                problems.append(f"{where}: {kind} is no resource type and API version")
                continue
            shape = snapshot["shape"]
            top = {"properties": {**shape["properties"], **dict.fromkeys(RESOURCE_KEYWORDS)}}
            problems += shape_problems(template, body, top, where)
    return problems


def role_scope_problems(infra: Path) -> list[str]:
    """Each role assignment is scoped to a resource of the type its role is about."""
    problems: list[str] = []
    for file, template in templates(infra):
        for symbol, (kind, body) in template.resources.items():
            if not kind.startswith("Microsoft.Authorization/roleAssignments@"):
                continue
            where = f"{file}: resource {symbol}"
            definition_node = _property(_property(body, "properties"), "roleDefinitionId")
            definition = _text(definition_node) if definition_node is not None else ""
            roles = [role for role in ROLE_SCOPES if re.search(rf"\b{role}\b", definition)]
            scope = _property(body, "scope")
            target = template.resources.get(_text(scope)) if scope is not None else None
            if len(roles) != 1 or target is None:
                problems.append(f"{where}: no known role on a resource of this template")
                continue
            expected = ROLE_SCOPES[roles[0]]
            if target[0].split("@")[0] != expected:
                problems.append(f"{where}: {roles[0]} assigned on {target[0]}, not {expected}")
    return problems


def value_problems(value: object, shape: Shape, where: str) -> list[str]:
    """The same check for a JSON value, such as a request body a hook sends."""
    shape = _resolve(shape)
    if shape is None:
        return []
    if isinstance(value, dict) and "properties" in shape:
        problems: list[str] = []
        for key, child in value.items():
            if key not in shape["properties"]:
                problems.append(f"{where}.{key} is no property")
            else:
                problems += value_problems(child, shape["properties"][key], f"{where}.{key}")
        return problems
    if isinstance(value, list) and "items" in shape:
        return [
            p
            for i, item in enumerate(value)
            for p in value_problems(item, shape["items"], f"{where}[{i}]")
        ]
    return []


def shape_problems(
    template: Template, node: tree_sitter.Node | None, shape: Shape, where: str
) -> list[str]:
    """Names in a Bicep value that its shape does not have. Both branches of a condition,
    each part of a union() and a variable's value are followed; anything else is only known
    at deployment and is not checked."""
    shape = _resolve(shape)
    if node is None or shape is None:
        return []
    if "missing" in shape:
        return [f"{where}: no snapshot of {shape['missing']} (run snapshot_build.py)"]
    parts = _named(node)
    if node.type == "object" and "discriminator" in shape:
        selector = _property(node, shape["discriminator"])
        value = template.evaluate(selector) if selector is not None else None
        if value not in shape["variants"]:
            known = sorted(shape["variants"])
            return [f"{where}: {shape['discriminator']} {value!r} is none of {known}"]
        return shape_problems(template, node, shape["variants"][value], f"{where}({value})")
    if node.type == "object" and "properties" in shape:
        problems: list[str] = []
        for prop in parts:
            if prop.type != "object_property":
                continue
            key = _key(prop)
            if key not in shape["properties"]:
                problems.append(f"{where}.{key} is no property")
            else:
                child = shape["properties"][key]
                problems += shape_problems(template, _named(prop)[-1], child, f"{where}.{key}")
        return problems
    if node.type == "array" and "items" in shape:
        return [
            p
            for item in parts
            for p in shape_problems(template, item, shape["items"], f"{where}[]")
        ]
    if node.type == "ternary_expression":
        return [p for branch in parts[1:] for p in shape_problems(template, branch, shape, where)]
    if node.type == "parenthesized_expression":
        return shape_problems(template, parts[0], shape, where)
    if node.type == "identifier" and _text(node) in template.variables:
        return shape_problems(template, template.variables[_text(node)], shape, where)
    if node.type == "call_expression" and _text(parts[0]) == "union":
        return [p for arg in _named(parts[1]) for p in shape_problems(template, arg, shape, where)]
    return []


def _resolve(shape: Shape) -> Shape:
    if shape is not None and "derived" in shape:
        derived = resource_types()["derived"].get(shape["derived"])
        if derived is None:
            return {"properties": {}, "missing": shape["derived"]}
        return _resolve(derived["shape"])
    return shape


def _property(node: tree_sitter.Node | None, name: str) -> tree_sitter.Node | None:
    if node is None or node.type != "object":
        return None
    for prop in _named(node):
        if prop.type == "object_property" and _key(prop) == name:
            return _named(prop)[-1]
    return None


def _keys(node: tree_sitter.Node | None) -> set[str]:
    if node is None or node.type != "object":
        return set()
    return {_key(prop) for prop in _named(node) if prop.type == "object_property"}
