"""checkov over every template: no parse error, no failed check, and each deliberate
exception carries its reason inline (``checkov:skip=ID: reason``). checkov runs from its own
environment (.venv-checkov, made by ``make setup``): its dependencies clash with pytest's."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.infra.bicep import INFRA, Template

CHECKOV = Path(__file__).resolve().parents[2] / ".venv-checkov" / "bin" / "checkov"
#: Files checkov's Bicep parser cannot read, each with why; they may declare no resource.
UNPARSED = {"app/guards.bicep": "fail(), which checkov's parser does not know"}
SKIP_WITH_REASON = re.compile(r"checkov:skip=(CKV\w*_\d+):\s*\S")


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    assert CHECKOV.exists(), "checkov is missing: run make setup (it makes .venv-checkov)"
    options = ["--framework", "bicep", "--skip-download", "--compact", "--output", "json"]
    for path in UNPARSED:
        options += ["--skip-path", re.escape(path) + "$"]
    run = subprocess.run(  # noqa: S603 - our own pinned checkov over our own templates
        [str(CHECKOV), "--directory", str(INFRA), *options],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    parsed: Any = json.loads(run.stdout)
    reports = parsed if isinstance(parsed, list) else [parsed]
    (bicep,) = [entry for entry in reports if entry.get("check_type") == "bicep"]
    return dict(bicep)


def test_every_template_parses(report: dict[str, Any]) -> None:
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] > 0


def test_what_checkov_cannot_read_declares_no_resource() -> None:
    for path in UNPARSED:
        template = Template(INFRA / path)
        assert (template.resources, template.modules) == ({}, {}), path


def test_no_check_fails(report: dict[str, Any]) -> None:
    failed = report["results"].get("failed_checks", [])
    assert [(check["check_id"], check["resource"]) for check in failed] == []


def test_each_skipped_check_says_why_in_the_template(report: dict[str, Any]) -> None:
    skipped = {check["check_id"] for check in report["results"].get("skipped_checks", [])}
    reasoned = {
        match[1]
        for path in INFRA.rglob("*.bicep")
        for match in SKIP_WITH_REASON.finditer(path.read_text())
    }

    assert skipped
    assert skipped <= reasoned
