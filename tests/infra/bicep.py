"""Reading infra/'s Bicep in tests, without a Bicep compiler (none installs here).

tree-sitter-bicep parses every file; :class:`Template` then evaluates the small part of the
language the templates' contracts are written in: literals, objects, arrays, parameters,
variables, ``==``/``!=``, ``||``/``&&``/``!``, ``?:``, ``union()``, ``string()``, ``empty()``,
``fail()`` (raised as :class:`DeploymentFailure`) and ``loadJsonContent()`` with a
``$.a.b`` path; and each parameter's decorators. Anything else (a resource's
property, ``listKeys()``, ``guid()``) stays :class:`Opaque`, so a test can still see that a
value is there without pretending to know it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import tree_sitter
import tree_sitter_bicep

INFRA = Path(__file__).resolve().parents[2] / "infra"
_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))
_ESCAPES = {"\\'": "'", "\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\$": "$"}
_PUNCTUATION = frozenset("{}[](),:?")


@dataclass(frozen=True)
class Opaque:
    """A value only Azure knows at deployment, shown by the expression that makes it."""

    expression: str


class DeploymentFailure(Exception):
    """What Bicep's ``fail(message)`` stops a deployment with."""


def parse(source: bytes) -> tree_sitter.Tree:
    return _PARSER.parse(source)


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode()


def _named(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [child for child in node.children if child.type not in _PUNCTUATION]


class Template:
    """One .bicep file: its declarations, evaluated on demand for given parameter values."""

    def __init__(self, path: Path) -> None:
        self.path = path
        tree = parse(path.read_bytes())
        if tree.root_node.has_error:
            raise ValueError(f"{path} does not parse")
        self.params: dict[str, tree_sitter.Node | None] = {}
        self.decorators: dict[str, dict[str, tree_sitter.Node]] = {}
        self.variables: dict[str, tree_sitter.Node] = {}
        self.outputs: dict[str, tree_sitter.Node] = {}
        self.resources: dict[str, tuple[str, tree_sitter.Node]] = {}
        self.modules: dict[str, tuple[str, tree_sitter.Node]] = {}
        decorators: dict[str, tree_sitter.Node] = {}
        for node in tree.root_node.children:
            parts = _named(node)
            if node.type == "decorators":
                decorators = {
                    _text(_named(call)[0]): _named(_named(call)[1])[0]
                    for call in (_named(decorator)[-1] for decorator in parts)
                    if call.type == "call_expression" and _named(_named(call)[1])
                }
                continue
            if node.type == "parameter_declaration":
                default = parts[-1] if any(c.type == "=" for c in node.children) else None
                self.params[_text(parts[1])] = default
                self.decorators[_text(parts[1])] = decorators
            elif node.type == "variable_declaration":
                self.variables[_text(parts[1])] = parts[-1]
            elif node.type == "output_declaration":
                self.outputs[_text(parts[1])] = parts[-1]
            elif node.type in ("resource_declaration", "module_declaration"):
                body = parts[-1]
                if body.type in ("if_statement", "for_statement"):
                    body = _named(body)[-1]  # a loop's body: each element's, checked once
                kind = str(self._evaluate(parts[2], {}))
                table = self.resources if node.type == "resource_declaration" else self.modules
                table[_text(parts[1])] = (kind, body)
            decorators = {}

    def default(self, param: str) -> object:
        node = self.params[param]
        return Opaque(param) if node is None else self._evaluate(node, {})

    def decorator(self, param: str, name: str) -> object:
        """The argument of a parameter's decorator, e.g. ``allowed`` or ``metadata``."""
        return self._evaluate(self.decorators[param][name], {})

    def evaluate(self, node: tree_sitter.Node) -> object:
        """Any expression of this template, with the parameters' defaults."""
        return self._evaluate(node, {})

    def variable(self, name: str, params: Mapping[str, object]) -> object:
        return self._evaluate(self.variables[name], params)

    def output(self, name: str, params: Mapping[str, object]) -> object:
        return self._evaluate(self.outputs[name], params)

    def resource(self, symbol: str, params: Mapping[str, object]) -> object:
        return self._evaluate(self.resources[symbol][1], params)

    def module(self, symbol: str, params: Mapping[str, object]) -> object:
        """The module's body: ``name``, ``scope`` and the ``params`` it is given."""
        return self._evaluate(self.modules[symbol][1], params)

    def _evaluate(self, node: tree_sitter.Node, params: Mapping[str, object]) -> object:
        kind = node.type
        parts = _named(node)
        if kind == "string":
            return self._string(node, params)
        if kind == "number":
            return int(_text(node))
        if kind == "boolean":
            return _text(node) == "true"
        if kind == "null":
            return None
        if kind == "object":
            return {
                _key(prop): self._evaluate(_named(prop)[-1], params)
                for prop in parts
                if prop.type == "object_property"
            }
        if kind == "array":
            return [self._evaluate(item, params) for item in parts]
        if kind == "parenthesized_expression":
            return self._evaluate(parts[0], params)
        if kind == "identifier":
            name = _text(node)
            if name in params:
                return params[name]
            if name in self.variables:
                return self.variable(name, params)
            if name in self.params:
                return self.default(name)
            return Opaque(name)
        if kind == "ternary_expression":
            condition = self._evaluate(parts[0], params)
            if isinstance(condition, bool):
                return self._evaluate(parts[1] if condition else parts[2], params)
        if kind == "binary_expression" and _text(node.children[1]) in ("==", "!="):
            left = self._evaluate(node.children[0], params)
            right = self._evaluate(node.children[2], params)
            if not isinstance(left, Opaque) and not isinstance(right, Opaque):
                return (left == right) == (_text(node.children[1]) == "==")
        if kind == "binary_expression" and _text(node.children[1]) in ("||", "&&"):
            left = self._evaluate(node.children[0], params)
            if isinstance(left, bool) and left == (_text(node.children[1]) == "||"):
                return left
            right = self._evaluate(node.children[2], params)
            if isinstance(left, bool) and isinstance(right, bool):
                return right
        if kind == "unary_expression" and _text(node.children[0]) == "!":
            value = self._evaluate(parts[-1], params)
            if isinstance(value, bool):
                return not value
        if kind == "call_expression":
            return self._call(node, params)
        return Opaque(_text(node))

    def _call(self, node: tree_sitter.Node, params: Mapping[str, object]) -> object:
        function, arguments = _named(node)[0], _named(_named(node)[1])
        values = [self._evaluate(argument, params) for argument in arguments]
        name = _text(function)
        if name == "union" and all(isinstance(value, dict) for value in values):
            merged: dict[str, object] = {}
            for value in values:
                assert isinstance(value, dict)
                merged.update(value)
            return merged
        if name == "string" and isinstance(values[0], int | str):
            return str(values[0])
        if name == "empty" and isinstance(values[0], str | list | dict):
            return not values[0]
        if name == "fail" and isinstance(values[0], str):
            raise DeploymentFailure(values[0])
        texts = [value for value in values if isinstance(value, str)]
        if name == "loadJsonContent" and len(texts) == len(values):
            return self._load_json(*texts)
        return Opaque(_text(node))

    def _load_json(self, file: str, path: str = "$") -> object:
        """loadJsonContent: the file next to the template, then the JSONPath's properties."""
        value = json.loads((self.path.parent / file).read_text(encoding="utf-8"))
        for name in filter(None, path.removeprefix("$").split(".")):
            value = value[name]
        return value

    def _string(self, node: tree_sitter.Node, params: Mapping[str, object]) -> object:
        pieces: list[str] = []
        for part in node.children:
            if part.type == "string_content":
                pieces.append(_text(part))
            elif part.type == "escape_sequence":
                pieces.append(_ESCAPES.get(_text(part), _text(part)))
            elif part.type == "interpolation":
                value = self._evaluate(_named(part)[-1], params)
                if not isinstance(value, str | int):
                    return Opaque(_text(node))
                pieces.append(str(value))
        return "".join(pieces)


def _key(prop: tree_sitter.Node) -> str:
    key = prop.children[0]
    if key.type == "string":
        return "".join(_text(c) for c in key.children if c.type == "string_content")
    return _text(key)
