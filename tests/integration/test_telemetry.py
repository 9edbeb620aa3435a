"""A send traced end to end through the dev host, with ``DOCCHAT_TRACE=console`` as
``make dev`` sets it: the invocation's span continues the caller's ``traceparent``, and
beneath it the Cosmos DB batch (the Azure SDK's own span, through
azure-core-tracing-opentelemetry) and then the group send (signalr/'s REST call, a client
span docchat makes itself); no span carries the text or a key, and the console prints the
request's line. The outbox's work, taken from the queue, continues the send's trace."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import ReadableSpan

from tests.fixtures.chat import ALICE, BOB
from tests.fixtures.telemetry import Observed
from tests.fixtures.waiting import eventually_async
from tests.integration.chat_calls import body_of, doc, principal
from tests.integration.conftest import LoadApp
from tests.integration.recording_server import RecordingServer, Reply

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"
TEXT = "a sentence nobody may read in telemetry"


def _beneath(spans: list[ReadableSpan], root: ReadableSpan) -> list[ReadableSpan]:
    """The spans under ``root`` (at any depth), in the order they started."""
    ids = {root.context.span_id} if root.context else set()
    found: list[ReadableSpan] = []
    for span in sorted(spans, key=lambda each: each.start_time or 0):
        if span.parent is not None and span.parent.span_id in ids and span.context:
            ids.add(span.context.span_id)
            found.append(span)
    return found


@pytest.mark.usefixtures("untraced_afterwards")
async def test_a_send_is_traced_http_then_the_cosmos_batch_then_the_group_send(
    load_app: LoadApp, observed: Observed, capsys: pytest.CaptureFixture[str]
) -> None:
    host = await load_app(DOCCHAT_TRACE="console")
    document = doc("traced")
    traceparent = f"00-{TRACE_ID}-{PARENT_ID}-01"

    sent = await host.call(
        "send_message",
        document_id=document,
        headers={**principal(ALICE), "traceparent": traceparent},
        body={"text": TEXT},
    )

    assert sent.status_code == 201
    message = body_of(sent)
    spans = observed.spans()
    (send,) = [span for span in spans if span.name == "send_message"]
    assert send.context is not None
    assert send.parent is not None
    assert format(send.context.trace_id, "032x") == TRACE_ID
    assert format(send.parent.span_id, "016x") == PARENT_ID
    attributes = dict(send.attributes or {})
    assert attributes["docchat.document_id"] == document
    assert attributes["docchat.message_id"] == message["id"]
    assert attributes["docchat.seq"] == message["seq"]
    assert attributes["docchat.stored"] == "true"
    assert attributes["docchat.head_conflicts"] == 0
    assert attributes["faas.invocation_id"]  # the dev host's context, as the worker's
    assert attributes["docchat.user"] not in (ALICE.id, "")
    beneath = _beneath(spans, send)
    names = [span.name for span in beneath]
    batch = names.index("ContainerProxy.execute_item_batch")
    group_send = next(
        i for i, span in enumerate(beneath) if "/groups/" in str(_url(span)) and i > batch
    )
    assert batch < group_send, names
    environment = host.environment
    secrets = (
        TEXT,
        ALICE.id,
        environment["AzureSignalRConnectionString"],
        environment["COSMOS_KEY"],
    )
    for span in spans:
        for value in (span.attributes or {}).values():
            assert all(secret not in str(value) for secret in secrets), span.name
    assert f"trace {TRACE_ID} send_message 201" in capsys.readouterr().err
    assert observed.metric("docchat.sends", code="accepted", status=201) == 1
    assert observed.metric("docchat.group_commit.size") == 1
    assert observed.histogram_sum("docchat.group_commit.size") == 1


def _url(span: ReadableSpan) -> object:
    attributes = span.attributes or {}
    return attributes.get("url.full", attributes.get("http.url", ""))


@pytest.mark.usefixtures("untraced_afterwards")
async def test_the_outbox_work_and_each_webhook_try_continue_the_trace_of_the_send(
    load_app: LoadApp, observed: Observed
) -> None:
    host = await load_app(queues=True, DOCCHAT_TRACE="console", DOCCHAT_WEBHOOK_RETRY_SCHEDULE="1")
    traceparent = f"00-{TRACE_ID}-{PARENT_ID}-01"
    with RecordingServer() as receiver:
        receiver.answer(Reply(503), Reply(204))
        hook = {"url": f"{receiver.url}/in", "events": ["message.created"]}
        created = await host.call("put_webhook", route_params={"name": "crm"}, body=hook)
        assert created.status_code == 201, created.body
        sent = await host.call(
            "send_message",
            document_id=doc("traced-outbox"),
            headers={**principal(ALICE), "traceparent": traceparent},
            body={"text": TEXT, "mentions": [BOB.id]},
        )
        tries = await eventually_async(
            lambda: [s for s in observed.spans() if s.name == "deliver_webhook"][1:],
            within=60,
            what="the webhook's second try",
        )

    assert sent.status_code == 201
    (send,) = [span for span in observed.spans() if span.name == "send_message"]
    work = await eventually_async(
        lambda: [span for span in observed.spans() if span.name == "process_outbox"],
        within=60,
        what="the outbox's queue trigger",
    )
    (outbox,) = work
    assert outbox.context is not None
    assert outbox.parent is not None
    assert send.context is not None
    assert format(outbox.context.trace_id, "032x") == TRACE_ID
    assert outbox.parent.span_id == send.context.span_id
    assert (outbox.attributes or {})["docchat.retries"] == 0
    first, second = [s for s in observed.spans() if s.name == "deliver_webhook"]
    assert tries == [second]
    for delivery in (first, second):
        assert delivery.context is not None
        assert delivery.parent is not None
        assert format(delivery.context.trace_id, "032x") == TRACE_ID
        assert delivery.parent.span_id == outbox.context.span_id
    assert [r.headers["webhook-id"] for r in receiver.requests] == [
        receiver.requests[0].headers["webhook-id"]
    ] * 2
    assert observed.metric("docchat.outbox.batches", outcome="done", retries=0) == 1
    assert observed.metric("docchat.notifications", kind="message.created") == 1


@pytest.mark.usefixtures("untraced_afterwards")
async def test_the_web_pubsub_sdks_call_to_a_user_names_no_user_in_its_span(
    load_app: LoadApp, observed: Observed
) -> None:
    # A mention tells Bob live through the Web PubSub SDK's send_to_user
    # (POST /api/hubs/documents/users/<id>/:send): the plugin records that URL as url.full,
    # and user ids go into telemetry only hashed unless a setting allows them.
    host = await load_app(queues=True, DOCCHAT_REALTIME="webpubsub", DOCCHAT_TRACE="console")

    sent = await host.call(
        "send_message",
        document_id=doc("traced-mention"),
        headers=principal(ALICE),
        body={"text": TEXT, "mentions": [BOB.id]},
    )
    (to_bob,) = await eventually_async(
        lambda: [span for span in observed.spans() if "/users/" in str(_url(span))],
        within=60,
        what="the notification's send to Bob",
    )

    assert sent.status_code == 201
    assert "/users/{userId}/:send" in str(_url(to_bob))
    for span in observed.spans():
        for value in (span.attributes or {}).values():
            assert BOB.id not in str(value), span.name
            assert ALICE.id not in str(value), span.name
