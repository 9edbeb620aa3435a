"""No id can address another resource: every client docchat uses puts an id that passes
docchat's id rule into exactly one path segment that decodes back to the id, and refuses
the path steps ``.`` and ``..`` before anything is sent (issue 26, deliver 1).

Both clients run against a recording server on loopback, which keeps each path exactly as
it arrived: signalr/'s HubClient, and the official Web PubSub service SDK as docchat builds
it; and the output bindings' user sends, as the dev host carries them out on those clients.
Cosmos DB's point reads of such ids are in test_storage_store.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat.domain.messages import path_segment_problem
from chat.settings import AuthMode
from devstack.host.bindings import BindingScope, OutputBinding
from devstack.host.expressions import BindingData
from devstack.host.signalr_bindings import SignalROutputBinding
from devstack.host.webpubsub_bindings import WebPubSubOutputBinding
from realtime.backend import Backend
from realtime.settings import SIGNALR_CONNECTION_SETTING
from realtime.signalr_bindings import SignalRBindings
from realtime.signalr_rest import SignalRRest
from realtime.webpubsub_bindings import WebPubSubBindings
from realtime.webpubsub_rest import WebPubSubRest
from realtime.webpubsub_settings import WEBPUBSUB_CONNECTION_SETTING, load_webpubsub_settings
from shared.connection_string import parse_connection_string
from signalr.rest import HubClient, RetryPolicy
from tests.integration.recording_server import (
    RecordingServer,
    Reply,
    recording_server,  # noqa: F401 - a fixture
)

KEY = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn0123="
HUB = "documents"
#: Ids the rule accepts that a careless client would still turn into something else.
TRICKY_IDS = ["a b", "...", "a..b", ".x", "%", "%zz", "a+b", "a;b=c", "x:y", "~u", "ü", "👍🏽", "&"]
#: (client, method, the id's position among the segments after /api/hubs/{hub}/).
SignalRCall = Callable[[HubClient, str], None]
SIGNALR_CALLS: list[tuple[str, SignalRCall, int]] = [
    ("send_to_user", lambda hub, i: hub.send_to_user(i, "t", []), 1),
    ("send_to_group", lambda hub, i: hub.send_to_group(i, "t", []), 1),
    ("add_connection_to_group", lambda hub, i: hub.add_connection_to_group("g", i), 3),
    ("remove_user_from_group", lambda hub, i: hub.remove_user_from_group("g", i), 1),
    ("remove_user_from_all_groups", lambda hub, i: hub.remove_user_from_all_groups(i), 1),
    ("close_user_connections", lambda hub, i: hub.close_user_connections(i), 1),
]
WebPubSubCall = Callable[[Any, str], None]
#: The same, with the status the SDK expects from the service.
WEBPUBSUB_CALLS: list[tuple[str, WebPubSubCall, int, int]] = [
    ("stop_user_hearing", lambda rt, i: rt.stop_user_hearing("document:d", i, []), 1, 204),
    ("add_to_group", lambda rt, i: rt.add_to_group("document:d", i), 3, 200),
    ("remove_from_group", lambda rt, i: rt.remove_from_group("document:d", i), 3, 204),
    ("send_to_group", lambda rt, i: rt.send_to_group(i, "e", {}), 1, 202),
    ("send_to_user", lambda rt, i: rt.send_to_user(i, "e", {}), 1, 202),
]


def _named(value: object) -> str:
    """Test ids: the call's name; its other columns are anonymous."""
    return value if isinstance(value, str) else ""


@pytest.fixture
def server(recording_server: RecordingServer) -> RecordingServer:  # noqa: F811
    return recording_server


@pytest.fixture
def hub(server: RecordingServer) -> Iterator[HubClient]:
    connection = parse_connection_string(f"Endpoint={server.url};AccessKey={KEY};Version=1.0;")
    retry = RetryPolicy.default(attempts=1, backoff=0.01)
    with HubClient(connection, HUB, retry=retry, timeout=(2, 2)) as client:
        yield client


@pytest.fixture
def webpubsub(server: RecordingServer) -> Any:
    settings = load_webpubsub_settings(
        {"WebPubSubConnectionString": f"Endpoint={server.url};AccessKey={KEY};Version=1.0;"},
        AuthMode.DEV,
    )
    return WebPubSubRest(settings).realtime()


def segments_after_hub(server: RecordingServer) -> list[str]:
    """The last request's path segments after ``/api/hubs/{hub}/``, still escaped."""
    path = server.requests[-1].path
    prefix = f"/api/hubs/{HUB}/"
    assert path.startswith(prefix), path
    return path[len(prefix) :].split("/")


def assert_one_segment(server: RecordingServer, position: int, value: str, sent: int) -> None:
    assert len(server.requests) == sent
    segments = segments_after_hub(server)
    assert unquote(segments[position], errors="strict") == value
    assert all(unquote(s) not in (".", "..") for s in segments)


@pytest.mark.parametrize(("name", "call", "position"), SIGNALR_CALLS, ids=_named)
@pytest.mark.parametrize("value", TRICKY_IDS)
def test_signalr_puts_each_id_in_one_segment(
    server: RecordingServer, hub: HubClient, name: str, call: SignalRCall, position: int, value: str
) -> None:
    call(hub, value)

    assert_one_segment(server, position, value, sent=1)


@pytest.mark.parametrize(("name", "call", "position", "status"), WEBPUBSUB_CALLS, ids=_named)
@pytest.mark.parametrize("value", TRICKY_IDS)
def test_webpubsub_puts_each_id_in_one_segment(
    server: RecordingServer,
    webpubsub: Any,
    name: str,
    call: WebPubSubCall,
    position: int,
    status: int,
    value: str,
) -> None:
    server.default_reply = Reply(status)

    call(webpubsub, value)

    assert_one_segment(server, position, value, sent=1)


@pytest.mark.parametrize(("name", "call", "position", "status"), WEBPUBSUB_CALLS, ids=_named)
@pytest.mark.parametrize("value", [".", ".."])
def test_webpubsub_never_sends_a_path_step(
    server: RecordingServer,
    webpubsub: Any,
    name: str,
    call: WebPubSubCall,
    position: int,
    status: int,
    value: str,
) -> None:
    # users/../:closeConnections once closed every connection in the hub (finding 1).
    with pytest.raises(ValueError, match="another resource"):
        call(webpubsub, value)

    assert server.requests == []


def test_signalr_rest_sends_to_each_user_in_one_segment(server: RecordingServer) -> None:
    server.default_reply = Reply(202)
    connection = parse_connection_string(f"Endpoint={server.url};AccessKey={KEY};Version=1.0;")
    realtime = SignalRRest(connection).realtime()

    for sent, value in enumerate(TRICKY_IDS, start=1):
        realtime.send_to_user(value, "notification", {})
        assert_one_segment(server, 1, value, sent=sent)
    for value in (".", ".."):
        with pytest.raises(ValueError, match="cannot be"):
            realtime.send_to_user(value, "notification", {})
    assert len(server.requests) == len(TRICKY_IDS)


def _webpubsub_bindings() -> Backend:
    environ = {"DOCCHAT_WEBPUBSUB_MODE": "bindings"}
    return WebPubSubBindings(load_webpubsub_settings(environ, AuthMode.DEV))


#: Each bindings adapter, the dev host's carrying out of its output, and its connection setting.
BINDINGS: list[Any] = [
    pytest.param(SignalRBindings, SignalROutputBinding, SIGNALR_CONNECTION_SETTING, id="signalr"),
    pytest.param(
        _webpubsub_bindings, WebPubSubOutputBinding, WEBPUBSUB_CONNECTION_SETTING, id="webpubsub"
    ),
]


@pytest.mark.parametrize(("backend", "binding", "setting"), BINDINGS)
def test_a_user_send_through_an_output_binding_reaches_that_user_alone(
    server: RecordingServer,
    backend: Callable[[], Backend],
    binding: Callable[[], OutputBinding],
    setting: str,
) -> None:
    """The output carries the id as it is; the extension (here the dev host's carrying out,
    on the same clients) escapes it into one segment; ``.`` and ``..`` never leave."""
    server.default_reply = Reply(202)
    adapter, carrying_out = backend(), binding()
    assert adapter.output is not None
    scope = BindingScope(
        BindingData.of_names({}),
        {setting: f"Endpoint={server.url};AccessKey={KEY};Version=1.0;"},
    )

    for sent, value in enumerate(TRICKY_IDS, start=1):
        emitted: list[str] = []
        adapter.realtime(emitted.append).send_to_user(value, "notification", {})
        carrying_out.write(adapter.output.properties, emitted[-1], scope)
        assert_one_segment(server, 1, value, sent=sent)
    for value in (".", ".."):
        with pytest.raises(ValueError, match="another resource"):
            adapter.realtime(emitted.append).send_to_user(value, "notification", {})
    assert len(server.requests) == len(TRICKY_IDS)
    carrying_out.close()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.text(min_size=1, max_size=40).filter(lambda v: path_segment_problem(v) is None))
def test_any_id_the_rule_accepts_stays_one_segment_on_both_clients(
    server: RecordingServer, hub: HubClient, webpubsub: Any, value: str
) -> None:
    server.default_reply = Reply(204)
    sent = len(server.requests)
    hub.remove_user_from_group("g", value)
    assert_one_segment(server, 1, value, sent=sent + 1)
    webpubsub.stop_user_hearing("document:d", value, [])
    assert_one_segment(server, 1, value, sent=sent + 2)


@pytest.mark.parametrize("value", [".", "..", " a", "a ", "a/b", "a\\b", "a?b", "a#b", "%2E%2E"])
def test_the_rule_refuses_what_a_path_would_change(value: str) -> None:
    assert path_segment_problem(value) is not None
