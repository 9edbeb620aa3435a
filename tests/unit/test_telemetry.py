"""What docchat reports through OpenTelemetry, read from the SDK's in-memory exporter and
metric reader: each invocation's span and attributes, a caller's ``traceparent`` continued,
the metrics, the refusal log records, and never a message's text, a token or a user id."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import azure.functions as func
import pytest
from azure.core.tracing import SpanKind as AzureSpanKind
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from chat.api.http import Request, Response
from chat.app.events import ClientEvent, Disconnected
from chat.settings import SettingsError
from functions.edge import observed as observed_call
from functions.edge import with_context
from shared import signals
from shared.breaker import Breaker
from telemetry.console import line
from telemetry.sdk_spans import SdkSpan, UserIdsHidden, sdk_spans
from telemetry.settings import read_telemetry_settings
from telemetry.sink import OtelSink
from tests.fixtures.chat import ALICE
from tests.fixtures.telemetry import Observed
from tests.unit.test_chat_presence import setup as presence_setup

ROOT = Path(__file__).resolve().parents[2]
_NOT_FOUND = {"code": "message_not_found", "message": "no such message"}
TEXT = "the secret plan is tomorrow at noon"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def _request(headers: dict[str, str] | None = None) -> func.HttpRequest:
    return func.HttpRequest(
        "POST",
        "http://127.0.0.1/api/documents/d1/messages",
        headers={"authorization": f"Bearer {TOKEN}", **(headers or {})},
        route_params={"documentId": "d1"},
        body=json.dumps({"id": "m1", "text": TEXT}).encode(),
    )


def _answering(response: Response) -> func.HttpResponse:
    return observed_call("send_message", _request(), lambda request: response)


def _values(span: ReadableSpan) -> list[str]:
    return [str(value) for value in (span.attributes or {}).values()]


def test_a_send_is_a_server_span_with_its_route_document_message_seq_and_outcome(
    observed: Observed,
) -> None:
    _answering(Response(201, {"id": "m1", "seq": 7, "text": TEXT, "senderId": "alice"}))

    span = observed.span("send_message")
    assert span.kind is SpanKind.SERVER
    assert dict(span.attributes or {}) == {
        "docchat.route": "send_message",
        "faas.trigger": "http",
        "docchat.document_id": "d1",
        "docchat.message_id": "m1",
        "docchat.seq": 7,
        "docchat.stored": "true",
        "docchat.user": OtelSink().attributes({"user_id": "alice"})["docchat.user"],
        "http.response.status_code": 201,
    }
    assert observed.metric("docchat.sends", code="accepted", status=201) == 1
    assert observed.metric("docchat.send.duration", status=201) == 1


def test_the_traceparent_a_caller_sends_is_the_spans_parent(observed: Observed) -> None:
    traceparent = f"00-{TRACE_ID}-{PARENT_ID}-01"
    observed_call(
        "send_message",
        _request({"Traceparent": traceparent}),
        lambda request: Response(201, {"id": "m1", "seq": 1}),
    )

    span = observed.span("send_message")
    assert span.context is not None
    assert span.parent is not None
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.parent.is_remote


def test_a_refused_send_says_its_code_and_that_its_outcome_is_unknown_and_is_logged_once(
    observed: Observed, caplog: pytest.LogCaptureFixture
) -> None:
    error = {"code": "store_outcome_unknown", "message": "send it again", "stored": None}
    with caplog.at_level(logging.INFO, logger="functions.edge"):
        _answering(Response(503, {"error": {**error, "id": "m1"}}, {"Retry-After": "1"}))

    span = observed.span("send_message")
    attributes = dict(span.attributes or {})
    assert attributes["docchat.code"] == "store_outcome_unknown"
    assert attributes["docchat.stored"] == "unknown"
    assert attributes["docchat.message_id"] == "m1"
    assert span.status.status_code is StatusCode.ERROR
    assert observed.metric("docchat.sends", code="store_outcome_unknown", status=503) == 1
    assert observed.metric("docchat.unavailable", function="send_message", code=error["code"]) == 1
    (record,) = caplog.records
    assert record.getMessage() == "send_message answered 503 store_outcome_unknown"
    assert record.__dict__["docchat.code"] == "store_outcome_unknown"
    assert record.__dict__["docchat.document_id"] == "d1"
    assert record.__dict__["docchat.message_id"] == "m1"
    assert span.context is not None
    assert record.__dict__["docchat.trace_id"] == format(span.context.trace_id, "032x")


def test_the_hosts_invocation_id_is_on_the_span_and_on_the_refusals_log_record(
    observed: Observed, caplog: pytest.LogCaptureFixture
) -> None:
    function = with_context(lambda req: _answering(Response(404, {"error": _NOT_FOUND})))
    context = SimpleNamespace(invocation_id="0b8a4c1e-invocation")

    with caplog.at_level(logging.INFO, logger="functions.edge"):
        function(req=_request(), context=context)

    span = observed.span("send_message")
    assert (span.attributes or {})["faas.invocation_id"] == "0b8a4c1e-invocation"
    (record,) = caplog.records
    assert record.__dict__["docchat.invocation_id"] == "0b8a4c1e-invocation"
    assert signals.invocation_id() is None  # only while the invocation runs


def test_a_failed_invocation_records_its_exception_type_never_its_message(
    observed: Observed,
) -> None:
    def failing(request: Request) -> Response:
        raise RuntimeError(f"a bug quoting {TEXT}")

    with pytest.raises(RuntimeError):
        observed_call("send_message", _request(), failing)

    span = observed.span("send_message")
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"] == "RuntimeError"
    assert not span.events
    assert all(TEXT not in value for value in _values(span))
    assert span.status.description == "RuntimeError"
    counted = {"function": "send_message", "trigger": "http", "status_class": "5xx"}
    assert observed.metric("docchat.invocations", **counted) == 1


def test_no_attribute_carries_the_text_the_token_or_the_user_id(
    observed: Observed, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        _answering(Response(201, {"id": "m1", "seq": 7, "text": TEXT, "senderId": "alice"}))
        _answering(Response(400, {"error": {"code": "invalid_request", "message": TEXT}}))

    values = [value for span in observed.spans() for value in _values(span)]
    logged = [str(record.__dict__) for record in caplog.records]
    for secret in (TEXT, TOKEN, "alice"):
        assert all(secret not in value for value in values + logged)


def test_user_ids_are_hashed_unless_the_setting_allows_them() -> None:
    hashed = OtelSink().attributes({"user_id": "alice"})["docchat.user"]
    plain = OtelSink(plain_user_ids=True).attributes({"user_id": "alice"})["docchat.user"]

    assert hashed != "alice"
    assert len(str(hashed)) == 16
    assert plain == "alice"
    # The Azure SDKs' URLs likewise (tests/integration/test_telemetry.py shows a real call).
    assert sdk_spans(plain_user_ids=False) is UserIdsHidden
    assert sdk_spans(plain_user_ids=True) is SdkSpan


def test_a_breaker_counts_each_opening_once_and_marks_the_calls_it_refuses(
    observed: Observed,
) -> None:
    breaker = Breaker(lambda: RuntimeError("down"), name="cosmos", clock=lambda: 10.0)

    with signals.invocation("list_messages", "http"):
        breaker.opened()
        breaker.opened()  # still open: the same outage
        with pytest.raises(RuntimeError):
            breaker.check()

    assert observed.metric("docchat.breaker.opens", dependency="cosmos") == 1
    assert (observed.span("list_messages").attributes or {})["docchat.breaker"] == "cosmos open"


def test_a_queue_invocation_is_a_consumer_span(observed: Observed) -> None:
    with signals.invocation("process_outbox", "queue") as call:
        call.annotate({"retries": 2, "document_id": "d1"})

    span = observed.span("process_outbox")
    assert span.kind is SpanKind.CONSUMER
    assert (span.attributes or {})["docchat.retries"] == 2
    counted = {"function": "process_outbox", "trigger": "queue"}
    assert observed.metric("docchat.invocations", **counted, status_class="ok") == 1
    assert observed.metric("docchat.invocations", **counted, status_class="error") == 0


def test_a_call_to_another_service_is_a_client_span_whose_traceparent_goes_with_it(
    observed: Observed,
) -> None:
    url = "https://signalr.example:8443/api/hubs/documents/groups/document%3Adoc-1/:send"
    with signals.invocation("send_message", "http"):
        with signals.outgoing("POST", url) as call:
            headers = call.headers()
            call.answered(202)
        with pytest.raises(TimeoutError), signals.outgoing("DELETE", url) as call:
            raise TimeoutError("the service did not answer")
        with signals.outgoing("HEAD", url) as call:
            call.answered(404)

    sent, failed, refused = [s for s in observed.spans() if s.kind is SpanKind.CLIENT]
    (invocation,) = [s for s in observed.spans() if s.name == "send_message"]
    assert sent.name == "POST"
    assert sent.parent is not None
    assert invocation.context is not None
    assert sent.parent.span_id == invocation.context.span_id
    assert dict(sent.attributes or {}) == {
        "http.request.method": "POST",
        "url.full": url,
        "server.address": "signalr.example",
        "server.port": 8443,
        "http.response.status_code": 202,
    }
    assert sent.context is not None
    version, trace_id, parent_id, _flags = headers["traceparent"].split("-")
    assert (version, trace_id, parent_id) == (
        "00",
        f"{sent.context.trace_id:032x}",
        f"{sent.context.span_id:016x}",
    )
    assert sent.status.status_code is StatusCode.UNSET
    assert (failed.attributes or {})["error.type"] == "TimeoutError"
    assert failed.status.status_code is StatusCode.ERROR
    assert refused.status.status_code is StatusCode.ERROR


def test_under_an_invocation_the_sampler_dropped_no_child_is_started_but_its_context_goes_on(
    observed: Observed,
) -> None:
    # A caller's traceparent flagged "not sampled": the parent-based sampler drops the
    # invocation, and would drop every child (as the distro's does: telemetry.dropped).
    unsampled = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-00"}
    url = "https://signalr.example/api/hubs/documents/users/alice/:send"
    with signals.invocation("send_message", "http", unsampled):
        invocation = trace.get_current_span().get_span_context()
        with signals.outgoing("POST", url) as call:
            headers = call.headers()
            call.answered(202)
        with UserIdsHidden(name="POST", kind=AzureSpanKind.CLIENT) as sdk_span:
            sdk_span.add_attribute("url.full", url)
            sdk_headers = sdk_span.to_header()

    assert not invocation.trace_flags.sampled
    assert observed.spans() == []
    # The stand-ins carry the invocation's own context: no span of their own was started.
    expected = f"00-{TRACE_ID}-{invocation.span_id:016x}-00"
    assert headers["traceparent"] == sdk_headers["traceparent"] == expected
    # Metrics are not sampled: the invocation still counts.
    counted = {"function": "send_message", "trigger": "http", "status_class": "ok"}
    assert observed.metric("docchat.invocations", **counted) == 1


def test_an_sdk_span_under_a_recorded_invocation_is_its_child_with_the_user_id_hidden(
    observed: Observed,
) -> None:
    url = "https://wps.example/api/hubs/documents/users/alice/:send"
    with (
        signals.invocation("notify", "queue"),
        UserIdsHidden(name="POST", kind=AzureSpanKind.CLIENT) as sdk_span,
    ):
        sdk_span.add_attribute("url.full", url)

    sent, invocation = observed.span("POST"), observed.span("notify")
    assert sent.parent is not None
    assert invocation.context is not None
    assert sent.parent.span_id == invocation.context.span_id
    assert dict(sent.attributes or {}) == {
        "url.full": "https://wps.example/api/hubs/documents/users/{userId}/:send"
    }


def test_nothing_is_reported_without_a_sink() -> None:
    previous = signals.installed()
    signals.install(None)
    try:
        with signals.invocation("send_message", "http", {"traceparent": "x"}) as call:
            call.answered(201)
            signals.count("docchat.sends")
        with signals.outgoing("POST", "https://example.com/") as sent:
            assert sent.headers() == {}
            sent.answered(202)
        assert signals.trace_id() is None
    finally:
        signals.install(previous)


def test_the_console_line_names_the_invocation_its_facts_and_what_ran_beneath(
    observed: Observed,
) -> None:
    with signals.invocation("send_message", "http") as call:
        call.annotate({"document_id": "d1", "seq": 3})
        call.answered(201)

    text = line(observed.span("send_message"), [])
    assert text.startswith("trace ")
    assert " send_message 201 " in text
    assert text.endswith("document_id=d1 seq=3")


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"DOCCHAT_TRACE": "loud"}, "DOCCHAT_TRACE"),
        ({"DOCCHAT_TELEMETRY_USER_IDS": "some"}, "DOCCHAT_TELEMETRY_USER_IDS"),
        (
            {
                "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=x",
                "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "ClientId=abc",
            },
            "Authorization=AAD",
        ),
    ],
)
def test_a_wrong_telemetry_setting_stops_the_app_naming_it(
    environ: dict[str, str], problem: str
) -> None:
    with pytest.raises(SettingsError, match=problem):
        read_telemetry_settings(environ)


def test_application_insights_signs_in_with_the_identity_the_authentication_string_names() -> None:
    settings = read_telemetry_settings(
        {
            "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=x",
            "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "ClientId=abc-123;Authorization=AAD",
        }
    )

    assert settings is not None
    assert settings.identity_client_id == "abc-123"
    assert read_telemetry_settings({}) is None


_LOADED = """
import sys, function_app
print(sorted({name.split(".")[0] for name in sys.modules} & {"opentelemetry", "telemetry"}))
"""
_ENVIRONMENT = {
    "DOCCHAT_AUTH": "dev",
    "DOCCHAT_ACCESS": "open",
    "DOCCHAT_SIGNALR_MODE": "rest",
    "COSMOS_ENDPOINT": "https://127.0.0.1:8081",
    "AzureSignalRConnectionString": "Endpoint=http://127.0.0.1:8888;AccessKey=unit-key-0123456789abcdef;",
    "PATH": "",
}


@pytest.mark.parametrize(
    ("trace", "loaded"), [("", ["telemetry"]), ("console", ["opentelemetry", "telemetry"])]
)
def test_opentelemetry_is_imported_only_when_telemetry_is_configured(
    trace: str, loaded: list[str]
) -> None:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and fixed code
        [sys.executable, "-c", _LOADED],
        cwd=ROOT,
        env={**_ENVIRONMENT, "DOCCHAT_TRACE": trace},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert json.loads(completed.stdout.strip().splitlines()[-1].replace("'", '"')) == loaded


def test_presence_and_typing_events_are_counted_by_kind(observed: Observed) -> None:
    _, _, members, events = presence_setup()  # four connections opened
    members.join(ALICE, "doc-1", "a-1")
    events.handle(ClientEvent("a-1", ALICE.id, "typing", ["doc-1"]))
    events.handle(ClientEvent("a-1", ALICE.id, "shouting", ["doc-1"]))
    events.handle(Disconnected("a-1"))

    assert observed.metric("docchat.realtime.events", event="connected") == 4
    assert observed.metric("docchat.realtime.events", event="typing") == 1
    assert observed.metric("docchat.realtime.events", event="other") == 1
    assert observed.metric("docchat.realtime.events", event="disconnected") == 1


_CONFIGURED = """
import function_app
from azure.core.settings import settings
from opentelemetry import trace
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.instrumentation.urllib3 import URLLib3Instrumentor
from shared import signals
print(type(trace.get_tracer_provider()).__module__, settings.tracing_implementation().__name__,
      RequestsInstrumentor().is_instrumented_by_opentelemetry,
      URLLib3Instrumentor().is_instrumented_by_opentelemetry, type(signals.installed()).__name__)
"""
#: Application Insights as infra/ configures it, with every endpoint on a closed local port
#: and nothing else the distro would reach (statsbeat, the Azure VM metadata service).
_AZURE = {
    "APPLICATIONINSIGHTS_CONNECTION_STRING": "InstrumentationKey=00000000-0000-0000-0000-"
    "000000000000;IngestionEndpoint=http://127.0.0.1:9/;LiveEndpoint=http://127.0.0.1:9/",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "ClientId=1a2b3c4d;Authorization=AAD",
    "APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL": "true",
    "OTEL_EXPERIMENTAL_RESOURCE_DETECTORS": "otel",
}


def test_with_application_insights_the_sdks_are_traced_with_user_ids_hidden_http_once() -> None:
    completed = subprocess.run(  # noqa: S603 - our own interpreter and fixed code
        [sys.executable, "-c", _CONFIGURED],
        cwd=ROOT,
        env={**_ENVIRONMENT, **_AZURE},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    assert completed.stdout.split() == [
        "opentelemetry.sdk.trace",
        "UserIdsHidden",
        "False",
        "False",
        "OtelSink",
    ]
