"""Indexing applies the Python worker's load rules: one faulty function fails the app."""

from __future__ import annotations

import re

import pytest

from devstack.host.indexing import FunctionIndexError
from devstack.host.loading import FunctionAppLoadError, load_function_app
from devstack.host.server import FUNCTION_INDEX, HostOptions, create_host_app
from tests.integration.host_apps.serving import APPS, app_path


@pytest.mark.parametrize(
    ("app", "message"),
    [
        (
            "unbound_binding_app",
            "function negotiate: bindings without a parameter: connection_info",
        ),
        ("plain_output_app", "function send: output messages must be annotated func.Out[...]"),
        ("cosmos_input_app", "binding type 'cosmosDB' (item) is not supported by the dev host"),
    ],
)
def test_an_app_breaking_a_load_rule_is_refused_with_the_reason(app: str, message: str) -> None:
    with pytest.raises(FunctionIndexError, match=re.escape(message)):
        create_host_app(load_function_app(app_path(app)), HostOptions())


def test_functions_without_an_http_trigger_are_listed_as_skipped() -> None:
    index = create_host_app(load_function_app(app_path("auth_app")), HostOptions())[FUNCTION_INDEX]
    assert [function.name for function in index.http_functions] == [
        "guarded",
        "admin",
        "open_to_all",
    ]
    assert index.skipped == ("hourly",)


def test_a_script_without_a_function_app_is_refused() -> None:
    with pytest.raises(FunctionAppLoadError, match="defines no FunctionApp"):
        load_function_app(APPS / "serving.py")
