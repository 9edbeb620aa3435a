"""Every .bicep file in infra/ parses with tree-sitter-bicep, the syntax gate that stands in
for the Bicep compiler this machine cannot install."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import tree_sitter

from tests.infra.bicep import INFRA, bicep_files, parse


def test_infra_has_the_templates_azd_deploys() -> None:
    names = {path.relative_to(INFRA).as_posix() for path in bicep_files()}
    assert {"main.bicep", "app/api.bicep", "app/cosmos.bicep", "app/settings.bicep"} <= names


@pytest.mark.parametrize("path", bicep_files(), ids=lambda path: path.name)
def test_every_template_parses(path: Path) -> None:
    tree = parse(path.read_bytes())
    broken = [node for node in _walk(tree.root_node) if node.is_error or node.is_missing]
    assert not tree.root_node.has_error, [
        f"line {node.start_point[0] + 1}: {(node.text or b'').decode()[:60]!r}" for node in broken
    ]


@pytest.mark.parametrize(
    "source",
    [
        b"param name string =\n",  # no value
        b"resource x 'Microsoft.Web/sites@2023-12-01' = {\n  name: 'x'\n",  # unclosed
        b"var x = { a: 1 b }\n",  # not a property
    ],
)
def test_the_gate_refuses_broken_bicep(source: bytes) -> None:
    assert parse(source).root_node.has_error


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    yield node
    for child in node.children:
        yield from _walk(child)
