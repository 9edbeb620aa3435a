"""function_app as the Python worker sees it, in each SignalR mode: indexed once per app
object, each function's binding JSON exact, and the worker's load rules (REFERENCE.md
section 5) applied to every function, as the worker would at start-up."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import textwrap
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

import azure.functions as func
import pytest

from chat.settings import SettingsError
from tests.fixtures.chat import import_fresh_function_app

ROOT = Path(__file__).resolve().parents[2]
BASE_ENVIRONMENT = {
    "DOCCHAT_AUTH": "dev",
    "DOCCHAT_ACCESS": "open",
    "COSMOS_ENDPOINT": "https://127.0.0.1:9",
    "COSMOS_KEY": "contract-test-key",
    "AzureSignalRConnectionString": (
        "Endpoint=http://127.0.0.1:9;AccessKey=contract-test-access-key-0123456789;Version=1.0;"
    ),
}
SIGNALR_OUTPUT = {
    "direction": "OUT",
    "type": "signalR",
    "name": "signalr",
    "hubName": "documents",
    "connectionStringSetting": "AzureSignalRConnectionString",
}
CONNECTION_INFO = {
    "direction": "IN",
    "type": "signalRConnectionInfo",
    "name": "connectionInfo",
    "hubName": "documents",
    "connectionStringSetting": "AzureSignalRConnectionString",
    "userId": "{headers.x-ms-client-principal-id}",
}
HTTP_OUTPUT = {"direction": "OUT", "type": "http", "name": "$return"}
ROUTES = {
    "negotiate": ("negotiate", ["GET", "POST"], "ANONYMOUS"),
    "join_document": ("documents/{documentId}/join", ["POST"], "ANONYMOUS"),
    "leave_document": ("documents/{documentId}/leave", ["POST"], "ANONYMOUS"),
    "send_message": ("documents/{documentId}/messages", ["POST"], "ANONYMOUS"),
    "list_messages": ("documents/{documentId}/messages", ["GET"], "ANONYMOUS"),
    "send_service_message": ("service/documents/{documentId}/messages", ["POST"], "FUNCTION"),
    "put_member": ("service/documents/{documentId}/members/{userId}", ["PUT"], "FUNCTION"),
    "remove_member": ("service/documents/{documentId}/members/{userId}", ["DELETE"], "FUNCTION"),
    "list_members": ("service/documents/{documentId}/members", ["GET"], "FUNCTION"),
    "openapi": ("openapi.json", ["GET"], "ANONYMOUS"),
}
WITH_SIGNALR_OUTPUT = {
    "join_document",
    "leave_document",
    "send_message",
    "send_service_message",
    "put_member",
    "remove_member",
    "list_members",
}


def import_function_app(monkeypatch: pytest.MonkeyPatch, **environment: str) -> ModuleType:
    """A fresh function_app module under ``environment``, as a new worker process would load."""
    for name, value in {**BASE_ENVIRONMENT, **environment}.items():
        monkeypatch.setenv(name, value)
    return import_fresh_function_app()


def indexed(module: ModuleType) -> dict[str, Any]:
    functions = module.app.get_functions()
    return {function.get_function_name(): function for function in functions}


def expected_bindings(name: str, mode: str) -> list[dict[str, Any]]:
    route, methods, auth_level = ROUTES[name]
    trigger = {
        "direction": "IN",
        "type": "httpTrigger",
        "name": "req",
        "methods": methods,
        "authLevel": auth_level,
        "route": route,
    }
    extra: list[dict[str, Any]] = []
    if mode == "bindings" and name in WITH_SIGNALR_OUTPUT:
        extra = [SIGNALR_OUTPUT]
    if mode == "bindings" and name == "negotiate":
        extra = [CONNECTION_INFO]
    return [*extra, trigger, HTTP_OUTPUT]


@pytest.mark.parametrize("mode", ["rest", "bindings"])
def test_each_function_declares_exactly_its_bindings(
    monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    functions = indexed(import_function_app(monkeypatch, DOCCHAT_SIGNALR_MODE=mode))

    assert set(functions) == set(ROUTES)
    for name, function in functions.items():
        declared = json.loads(function.get_function_json())
        assert declared["scriptFile"] == "function_app.py"
        assert declared["bindings"] == expected_bindings(name, mode), name


@pytest.mark.parametrize("mode", ["rest", "bindings"])
def test_every_function_passes_the_workers_load_rules(
    monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    functions = indexed(import_function_app(monkeypatch, DOCCHAT_SIGNALR_MODE=mode))

    for name, function in functions.items():
        problems = load_problems(function)
        assert problems == [], f"{name}: {problems}"


def load_problems(function: Any) -> list[str]:
    """What the Python worker would refuse to load, by its documented rules."""
    user_function = function.get_user_function()
    parameters = inspect.signature(user_function).parameters
    hints = typing.get_type_hints(user_function)
    declared = json.loads(function.get_function_json())["bindings"]
    bindings = {binding["name"]: binding for binding in declared}
    returned = bindings.pop("$return", None)
    problems = []
    if set(parameters) != set(bindings):
        problems.append(f"parameters {sorted(parameters)} != bindings {sorted(bindings)}")
    for name, binding in bindings.items():
        problems += binding_problems(name, binding, hints.get(name))
    if returned is not None and hints.get("return") is not func.HttpResponse:
        problems.append(f"an HTTP function must return func.HttpResponse: {hints.get('return')}")
    return problems


def binding_problems(name: str, binding: dict[str, Any], hint: Any) -> list[str]:
    is_out = typing.get_origin(hint) is func.Out
    if binding["direction"] == "OUT":
        if not is_out or typing.get_args(hint) != (str,):
            return [f"{name}: an output binding is annotated func.Out[str], not {hint}"]
        return []
    if is_out:
        return [f"{name}: an input binding must not be func.Out"]
    if binding["type"] == "httpTrigger":
        return [] if hint is func.HttpRequest else [f"{name}: the trigger is {hint}"]
    if hint not in (None, str, bytes):
        return [f"{name}: a generic input is annotated str, bytes or nothing, not {hint}"]
    return []


def test_function_names_are_unique_and_indexing_happens_once_per_app(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = import_function_app(monkeypatch)
    module.app.get_functions()

    with pytest.raises(ValueError, match="does not have a unique function name"):
        module.app.get_functions()


@pytest.mark.parametrize(
    ("environment", "says"),
    [
        ({"DOCCHAT_AUTH": "jwt", "DOCCHAT_SIGNALR_MODE": "bindings"}, "needs DOCCHAT_AUTH="),
        ({"WEBSITE_INSTANCE_ID": "in-azure"}, "for local use only"),
        ({"AzureSignalRConnectionString": "Endpoint=;"}, "AzureSignalRConnectionString"),
    ],
)
def test_a_bad_configuration_stops_the_import_with_one_clear_message(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], says: str
) -> None:
    with pytest.raises(SettingsError, match=says) as raised:
        import_function_app(monkeypatch, **environment)

    assert "contract-test-access-key" not in str(raised.value)


def test_importing_function_app_loads_only_the_functions_library_and_settings() -> None:
    loaded = modules_after(
        """
        import function_app
        """
    )

    for heavy in ("azure.cosmos", "azure.identity", "requests", "pydantic", "jwt"):
        assert heavy not in loaded, heavy


def test_negotiate_runs_without_loading_the_cosmos_sdk() -> None:
    loaded = modules_after(
        """
        import azure.functions as func
        import function_app

        (negotiate,) = [
            f for f in function_app.app.get_functions() if f.get_function_name() == "negotiate"
        ]
        request = func.HttpRequest(
            "POST", "/api/negotiate", headers={"x-ms-client-principal-id": "u"}, body=b""
        )
        response = negotiate.get_user_function()(req=request)
        assert response.status_code == 200, response.get_body()
        """
    )

    assert "jwt" in loaded
    assert "azure.cosmos" not in loaded
    assert "chat.cosmos_store" not in loaded


def modules_after(script: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``script`` in the repo root."""
    report = "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))\n"
    completed = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", textwrap.dedent(script) + report],
        cwd=ROOT,
        env={**BASE_ENVIRONMENT, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(completed.stdout.splitlines()[-1]))
