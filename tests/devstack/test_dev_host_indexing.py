"""Indexing applies the Python worker's load rules (azure-functions-python-worker,
azure_functions_worker/functions.py, Registry.add_indexed_function): one faulty function
fails the app, and what the worker loads, the dev host loads."""

from __future__ import annotations

import re

import pytest

from devstack.host.indexing import FunctionIndexError
from devstack.host.loading import FunctionAppLoadError, load_function_app
from devstack.host.server import FUNCTION_INDEX, HostOptions, create_host_app
from tests.devstack.host_apps.serving import APPS, app_path


@pytest.mark.parametrize(
    ("app", "message"),
    [
        pytest.param(
            "unbound_binding_app",
            "function negotiate: bindings without a parameter: connection_info",
            id="validate_function_params: a binding without a parameter",
        ),
        pytest.param(
            "plain_output_app",
            'function send: binding messages is declared to have the "out" direction, but its '
            "annotation in Python is not a subclass of azure.functions.Out",
            id="validate_function_params: an output annotated str",
        ),
        pytest.param(
            "int_output_app",
            'function send: type of messages binding "signalR" does not match its Python '
            'annotation "int"',
            id="GenericBinding.check_output_type_annotation: func.Out[int]",
        ),
        pytest.param(
            "dict_return_app",
            "function answer: has invalid non-type return annotation dict[str, str]",
            id="get_function_return_type: -> dict",
        ),
        pytest.param(
            "none_return_app",
            'function answer: Python return annotation "NoneType" does not match binding type '
            '"http"',
            id="get_function_return_type: -> None",
        ),
        pytest.param(
            "str_context_app",
            'function answer: the "context" parameter is expected to be of type '
            "azure.functions.Context, got <class 'str'>",
            id="is_context_required: context: str",
        ),
        pytest.param(
            "cosmos_input_app",
            "binding type 'cosmosDB' (item) is not supported by the dev host",
            id="a binding the dev host does not carry out",
        ),
    ],
)
def test_an_app_breaking_a_worker_load_rule_is_refused_with_the_reason(
    app: str, message: str
) -> None:
    with pytest.raises(FunctionIndexError, match=re.escape(message)):
        create_host_app(load_function_app(app_path(app)), HostOptions())


def test_an_output_without_an_annotation_loads_as_in_the_worker() -> None:
    """functions.py: only an annotated output must be func.Out; the worker passes every
    output an Out either way."""
    index = create_host_app(load_function_app(app_path("signalr_app")), HostOptions())[
        FUNCTION_INDEX
    ]
    send_as = next(function for function in index.http_functions if function.name == "send_as")
    assert [output.name for output in send_as.outputs] == ["actions"]


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


@pytest.mark.parametrize(
    ("app", "message"),
    [
        pytest.param(
            "duplicate_trigger_app",
            "function typing_again: Duplicated key parameter hub: Chat, category: messages, "
            "event: TYPING",
            id="SignalRTriggerDispatcher.Map: one function per event, ignoring case",
        ),
        pytest.param(
            "dict_trigger_app",
            'function typing: type of invocation binding "signalRTrigger" does not match its '
            'Python annotation "dict"',
            id="GenericBinding.check_input_type_annotation: a trigger annotated dict",
        ),
    ],
)
def test_signalr_triggers_the_extension_or_the_worker_refuses_fail_start_up(
    app: str, message: str
) -> None:
    with pytest.raises(FunctionIndexError, match=re.escape(message)):
        create_host_app(load_function_app(app_path(app)), HostOptions())


def test_signalr_triggered_functions_are_indexed_with_their_trigger() -> None:
    index = create_host_app(
        load_function_app(app_path("upstream_app")), HostOptions(settings={"UPSTREAM_HUB": "chat"})
    )[FUNCTION_INDEX]
    names = [function.name for function in index.signalr_functions]
    assert names == ["connected", "disconnected", "typing", "echo", "fail"]
    typing = index.signalr_functions[2]
    assert typing.trigger["parameterNames"] == ["documentId"]
    assert typing.has_return, "a generic trigger has an implicit output (bindings/meta.py)"
    assert index.signalr_functions[1].trigger_as_bytes
    assert index.skipped == ()
