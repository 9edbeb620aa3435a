"""A function of a non-HTTP trigger (here a queue trigger, as process_outbox is) gets its
invocation's Realtime from functions.edge.with_trigger_realtime, in each backend and mode:
the bindings the worker indexes, its load rules (devstack.host.load_rules follows
azure-functions-python-worker functions.py) and, in bindings mode, what the function sets on
its output binding. The annotations here are strings (``from __future__ import annotations``),
as in every module of docchat's: the helper evaluates them in the handler's module. A
function of a real-time trigger also tells its backend that the service reported something.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import azure.functions as func
import pytest
from azure.functions.decorators.core import BindingDirection
from azure.functions.decorators.function_app import Function

from chat.app.events import EventService
from chat.app.presence import Announcer, Owner
from chat.app.realtime import Realtime
from chat.domain.ratelimit import PostingRate
from chat.settings import AuthMode
from devstack.host.load_rules import check_function, type_hints
from functions.edge import CONTEXT, REALTIME_OUTPUT, with_trigger_realtime
from functions.realtime_events import realtime_events
from realtime.backend import Backend
from realtime.signalr_bindings import BindingOutput, SignalRBindings
from realtime.signalr_calls import RestRealtime
from realtime.signalr_rest import SignalRRest
from realtime.webpubsub_bindings import OutputActions, WebPubSubBindings
from realtime.webpubsub_rest import WebPubSubCalls, WebPubSubRest
from realtime.webpubsub_settings import load_webpubsub_settings
from shared.connection_string import parse_connection_string
from tests.fixtures.chat import InMemoryConnections

CONNECTION = "Endpoint=http://127.0.0.1:1;AccessKey=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn0123=;"
WEBPUBSUB = {"WebPubSubConnectionString": CONNECTION}
ITEM = {"id": "n-1", "kind": "mention"}


def signalr_rest() -> Backend:
    return SignalRRest(parse_connection_string(CONNECTION))


def webpubsub(mode: str) -> Backend:
    settings = load_webpubsub_settings({**WEBPUBSUB, "DOCCHAT_WEBPUBSUB_MODE": mode}, AuthMode.DEV)
    return WebPubSubBindings(settings) if mode == "bindings" else WebPubSubRest(settings)


class Out:
    """What the worker hands an output parameter: ``set`` keeps the value."""

    value: str | None = None

    def set(self, value: str) -> None:
        self.value = value

    def get(self) -> str | None:
        return self.value


def queue_function(backend: Backend, heard: list[tuple[str, Realtime]]) -> Function:
    """process_outbox's shape: a queue trigger whose handler sends to a user."""
    blueprint = func.Blueprint()  # type: ignore[no-untyped-call]

    @blueprint.function_name("process_outbox")
    @blueprint.queue_trigger(arg_name="message", queue_name="docchat-outbox", connection="Q")
    @with_trigger_realtime(blueprint, backend)
    def process_outbox(message: func.QueueMessage, realtime: Realtime) -> None:
        heard.append((message.get_body().decode(), realtime))
        if not isinstance(realtime, RestRealtime | WebPubSubCalls):  # no service here
            realtime.send_to_user("alice", "notification", ITEM)

    app = func.FunctionApp()
    app.register_functions(blueprint)
    (function,) = app.get_functions()
    return function


def loads(function: Function) -> tuple[str, ...]:
    """The function's parameters, after the worker's load rules passed."""
    user_function = function.get_user_function()
    parameters = tuple(inspect.signature(user_function).parameters)
    hints = type_hints(function.get_function_name() or "", user_function)
    check_function(function.get_function_name() or "", parameters, function.get_bindings(), hints)
    return parameters


BINDINGS = [
    pytest.param(SignalRBindings, "signalR", BindingOutput, id="signalr"),
    pytest.param(lambda: webpubsub("bindings"), "webPubSub", OutputActions, id="webpubsub"),
]


@pytest.mark.parametrize(("backend", "output_type", "seam"), BINDINGS)
def test_in_bindings_mode_a_queue_function_declares_the_output_and_sends_through_it(
    backend: Any, output_type: str, seam: type
) -> None:
    heard: list[tuple[str, Realtime]] = []
    function = queue_function(backend(), heard)

    bindings = {b.name: (b.type, b.direction) for b in function.get_bindings()}
    (output,) = [b.get_dict_repr() for b in function.get_bindings() if b.name == REALTIME_OUTPUT]
    # Nothing in it reads an HTTP request ({headers.…}): a queue invocation has none.
    assert not any("{" in str(value) for value in output.values()), output
    assert bindings == {
        "message": ("queueTrigger", BindingDirection.IN.value),
        REALTIME_OUTPUT: (output_type, BindingDirection.OUT.value),
    }
    assert loads(function) == ("message", REALTIME_OUTPUT, CONTEXT)
    out = Out()
    function.get_user_function()(message=func.QueueMessage(body=b"{}"), realtime_output=out)

    assert heard[0][0] == "{}"
    assert isinstance(heard[0][1], seam)
    assert out.value is not None
    (sent,) = json.loads(out.value)
    if output_type == "signalR":
        assert sent == {"target": "notification", "arguments": [ITEM], "userId": "alice"}
    else:
        assert sent == {
            "actionName": "sendToUser",
            "userId": "alice",
            "data": json.dumps({"event": "notification", "data": ITEM}),
            "dataType": "json",
        }


def test_a_coroutine_handler_is_refused_when_decorated() -> None:
    blueprint = func.Blueprint()  # type: ignore[no-untyped-call]

    async def process_outbox(message: func.QueueMessage, realtime: Realtime) -> None: ...

    with pytest.raises(TypeError, match="plain function"):
        with_trigger_realtime(blueprint, SignalRBindings())(process_outbox)


REST = [
    pytest.param(signalr_rest, RestRealtime, id="signalr"),
    pytest.param(lambda: webpubsub("rest"), WebPubSubCalls, id="webpubsub"),
]


@pytest.mark.parametrize(("backend", "seam"), REST)
def test_in_rest_mode_a_queue_function_takes_only_its_message_and_context_and_gets_the_rest_client(
    backend: Any, seam: type
) -> None:
    heard: list[tuple[str, Realtime]] = []
    function = queue_function(backend(), heard)

    assert [b.type for b in function.get_bindings()] == ["queueTrigger"]
    assert loads(function) == ("message", CONTEXT)
    function.get_user_function()(message=func.QueueMessage(body=b"{}"))

    assert heard[0][0] == "{}"
    assert isinstance(heard[0][1], seam)


class Reporting(SignalRRest):
    """The REST backend, counting the reports it was told the service made."""

    def __init__(self) -> None:
        super().__init__(parse_connection_string(CONNECTION))
        self.reports = 0

    def reported(self) -> None:
        self.reports += 1
        super().reported()


class Owners(InMemoryConnections):
    """Connections that note, for each owner they record, how many reports the backend had
    been told of by then."""

    def __init__(self, backend: Reporting) -> None:
        super().__init__()
        self.backend = backend
        self.reports_when_owned: list[int] = []

    def own(self, connection_id: str, user_id: str) -> None:
        self.reports_when_owned.append(self.backend.reports)
        super().own(connection_id, user_id)


def test_each_report_of_the_service_tells_the_backend_before_it_is_handled() -> None:
    # The service reporting an event is up: the REST backend closes its breaker then
    # (tests/integration/test_send_to_user.py shows what that changes).
    backend = Reporting()
    owners = Owners(backend)
    app = func.FunctionApp()
    app.register_functions(
        realtime_events(
            lambda realtime: EventService(owners, realtime, PostingRate(1, burst=1), Announcer()),
            backend,
        )
    )
    (connected,) = [f for f in app.get_functions() if f.get_function_name() == "on_connected"]
    report = {
        "ConnectionId": "c-1",
        "UserId": "alice",
        "Category": "connections",
        "Event": "connected",
    }

    connected.get_user_function()(request=json.dumps(report))

    assert owners.owner("c-1") == Owner("alice")
    assert owners.reports_when_owned == [1]
