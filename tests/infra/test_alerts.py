"""infra/ alerts on what docchat's telemetry reports (telemetry/): the 5xx rate, the 503
rate, p95 send latency and webhook failures, each a log alert on Application Insights whose
query names only spans, attributes and instruments docchat emits."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chat.api.routes import ROUTES
from chat.app.webhooks import Outcome
from telemetry.instruments import INSTRUMENTS
from telemetry.sink import SEND
from tests.infra.bicep import INFRA, Template

RULES = json.loads((INFRA / "app" / "alerts.json").read_text())["rules"]
MAIN = Template(INFRA / "main.bicep")
ALERTS = Template(INFRA / "app" / "alerts.bicep")
#: The span attributes the queries filter on: set on every invocation (telemetry/sink.py).
SPAN_ATTRIBUTES = {"docchat.route", "faas.trigger"}


def test_the_four_alerts_the_issue_asks_for_exist() -> None:
    assert {rule["name"] for rule in RULES} == {
        "http-5xx-rate",
        "http-503-rate",
        "send-latency-p95",
        "webhook-failures",
    }


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule["name"])
def test_each_query_makes_the_column_it_measures(rule: dict[str, Any]) -> None:
    assert re.search(rf"\b{rule['measure']} = ", rule["query"])


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule["name"])
def test_each_query_names_only_what_docchat_reports(rule: dict[str, Any]) -> None:
    query = rule["query"]
    dimensions = set(re.findall(r"customDimensions\['([^']+)'\]", query))
    names = set(re.findall(r"name == '([^']+)'", query))
    routes = {route.name for route in ROUTES}

    assert dimensions <= SPAN_ATTRIBUTES | {"outcome"}
    assert names <= routes | set(INSTRUMENTS)
    if "send" in rule["name"]:
        assert SEND in names
    if "webhook" in rule["name"]:
        assert "docchat.webhook.deliveries" in names
        assert f"== '{Outcome.FAILED.value}'" in query


def test_the_alerts_watch_the_apps_application_insights() -> None:
    module = MAIN.module("alerts", {})
    assert isinstance(module, dict)
    assert set(module["params"]) == set(ALERTS.params)
    kind, _ = ALERTS.resources["rules"]
    assert kind.startswith("Microsoft.Insights/scheduledQueryRules@")
