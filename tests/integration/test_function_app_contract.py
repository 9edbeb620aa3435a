"""The function app as the host and the Python worker see it, in each SignalR mode: indexed
by the dev host's own indexing and load rules (the worker's), every function where the
OpenAPI description says it is, with exactly the bindings its backend asks for; a bad
configuration stops the import; and importing it stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from chat.api.openapi import describe
from chat.settings import SettingsError, load_settings
from devstack.host.indexing import BindingSpec, HttpFunction, index_function_app
from devstack.host.signalr_bindings import CONNECTION_INFO_TYPE, OUTPUT_TYPE
from functions import create_app

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
JWT = {
    "DOCCHAT_AUTH": "jwt",
    "DOCCHAT_JWT_ISSUER": "https://issuer.test",
    "DOCCHAT_JWT_AUDIENCE": "docchat",
    "DOCCHAT_JWT_SECRET": "contract-test-jwt-secret-0123456789abcdef",
}
SIGNALR = {"hubName": "documents", "connectionStringSetting": "AzureSignalRConnectionString"}
#: The functions that reach connected clients, and so carry the output binding in bindings mode.
REACHING_CLIENTS = {
    "join_document",
    "watch_document",
    "leave_document",
    "send_message",
    "send_service_message",
    "remove_member",
    "presence",
    "edit_message",
    "delete_message",
    "delete_named_message",
    "add_reaction",
    "remove_reaction",
    "resolve_thread",
}


#: The functions that serve the page (functions/web.py), not the API.
PAGE_FUNCTIONS = {"web_page"}


def indexed(mode: str) -> dict[str, HttpFunction]:
    """The API's functions as the dev host indexes the app: a worker load rule broken fails
    here."""
    app = create_app({**BASE_ENVIRONMENT, "DOCCHAT_SIGNALR_MODE": mode})
    index = index_function_app(app, inputs={CONNECTION_INFO_TYPE}, outputs={OUTPUT_TYPE})
    assert index.skipped == ()
    functions = {function.name: function for function in index.http_functions}
    assert set(functions) >= PAGE_FUNCTIONS
    return {name: function for name, function in functions.items() if name not in PAGE_FUNCTIONS}


@pytest.mark.parametrize("mode", ["rest", "bindings"])
def test_every_function_serves_what_the_openapi_description_says(mode: str) -> None:
    served = {
        ("/" + function.route, method.lower()): function.name
        for function in indexed(mode).values()
        for method in sorted(function.methods or ())
    }

    description = describe(load_settings(BASE_ENVIRONMENT))
    # host.json's routePrefix is empty: each API route says the description's server itself.
    (server,) = description["servers"]
    described = description["paths"]
    assert served == {
        (server["url"] + path, method): operation["operationId"]
        for path, item in described.items()
        for method, operation in item.items()
    }


@pytest.mark.parametrize("mode", ["rest", "bindings"])
def test_backend_routes_need_the_function_key_and_user_routes_do_not(mode: str) -> None:
    for function in indexed(mode).values():
        expected = "FUNCTION" if function.route.startswith("api/service/") else "ANONYMOUS"
        assert function.auth_level.upper() == expected, function.name


def test_in_rest_mode_no_function_declares_a_signalr_binding() -> None:
    for function in indexed("rest").values():
        assert (function.inputs, function.outputs) == ((), ()), function.name


def declared(specs: tuple[BindingSpec, ...]) -> list[tuple[str, dict[str, Any]]]:
    """Each binding's type and its own properties (without direction, type and name)."""
    common = {"direction", "type", "name"}
    return [
        (spec.type, {k: v for k, v in spec.properties.items() if k not in common}) for spec in specs
    ]


def test_in_bindings_mode_each_function_declares_exactly_what_the_extension_needs() -> None:
    for name, function in indexed("bindings").items():
        outputs, inputs = declared(function.outputs), declared(function.inputs)
        assert outputs == ([(OUTPUT_TYPE, SIGNALR)] if name in REACHING_CLIENTS else []), name
        principal = {**SIGNALR, "userId": "{headers.x-ms-client-principal-id}"}
        assert inputs == ([(CONNECTION_INFO_TYPE, principal)] if name == "negotiate" else [])


@pytest.mark.parametrize("mode", ["rest", "bindings"])
def test_the_service_reports_reach_one_trigger_function_each(mode: str) -> None:
    app = create_app({**BASE_ENVIRONMENT, "DOCCHAT_SIGNALR_MODE": mode})
    index = index_function_app(app, inputs={CONNECTION_INFO_TYPE}, outputs={OUTPUT_TYPE})

    triggers = {
        function.name: (function.trigger["category"], function.trigger["event"])
        for function in index.signalr_functions
    }
    assert triggers == {
        "on_connected": ("connections", "connected"),
        "on_disconnected": ("connections", "disconnected"),
        "on_typing": ("messages", "typing"),
    }
    for function in index.signalr_functions:
        assert function.trigger["hubName"] == "documents"
        assert declared(function.outputs) == (
            [(OUTPUT_TYPE, SIGNALR)] if mode == "bindings" else []
        )


def test_indexing_happens_once_per_app() -> None:
    app = create_app(BASE_ENVIRONMENT)
    app.get_functions()

    with pytest.raises(ValueError, match="does not have a unique function name"):
        app.get_functions()


@pytest.mark.parametrize(
    ("environment", "says"),
    [
        ({**JWT, "DOCCHAT_SIGNALR_MODE": "bindings"}, "needs DOCCHAT_AUTH="),
        ({"WEBSITE_INSTANCE_ID": "in-azure"}, "for local use only"),
        ({"AzureSignalRConnectionString": "Endpoint=;"}, "AzureSignalRConnectionString"),
        ({"DOCCHAT_ACCESS": ""}, "DOCCHAT_ACCESS is not set"),
    ],
)
def test_a_bad_configuration_stops_the_start_with_one_clear_message(
    environment: dict[str, str], says: str
) -> None:
    with pytest.raises(SettingsError, match=says) as raised:
        create_app({**BASE_ENVIRONMENT, **environment})

    assert "contract-test-access-key" not in str(raised.value)


def test_importing_function_app_loads_only_the_functions_library_and_settings() -> None:
    loaded = modules_after(
        """
        import function_app
        """
    )

    for heavy in ("azure.cosmos", "azure.identity", "requests", "pydantic", "jwt", "httpx"):
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
    assert "storage.cosmos.store" not in loaded


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
    loaded: Any = json.loads(completed.stdout.splitlines()[-1])
    return set(loaded)
