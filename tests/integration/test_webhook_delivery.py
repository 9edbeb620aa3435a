"""Webhook deliveries to a real receiver on 127.0.0.1, through the real httpx network
adapter: retries on the schedule with one webhook-id and valid Standard Webhooks signatures
(checked with the ``standardwebhooks`` package), the failure recorded after the last try,
no redirect followed, the answer read up to 1 KB, the timeout, the connection made to the
checked address with the Host kept, and a host that resolves elsewhere at delivery than at
registration (DNS rebinding) refused.

Each try is driven as the ``deliver_webhook`` queue trigger would: the test takes the next
message off the in-memory ``docchat-webhooks`` queue and hands it to
:meth:`~chat.app.webhooks.WebhookService.deliver`; the hidden time of each retry is checked
against the schedule instead of waited for.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import azure.functions as func
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook as Verifier

from chat.app.runtime import Runtime
from chat.app.webhooks import Outcome, WebhookService
from chat.domain.webhooks import Address
from functions import create_app
from tests.fixtures.chat import (
    InMemoryStorage,
    InMemoryWebhooks,
    MemoryQueue,
    MemoryQueues,
    make_settings,
)
from tests.integration.recording_server import RecordingServer, Reply
from tests.integration.test_function_app_contract import BASE_ENVIRONMENT
from webhooks.network import HttpNetwork

EVENT = {"documentId": "doc-1", "id": "m1", "seq": 1, "text": "hello"}


@pytest.fixture
def receiver() -> Iterator[RecordingServer]:
    with RecordingServer() as server:
        yield server


class PinnedNames(HttpNetwork):
    """The real network, with some names resolved as a test says (a DNS server that
    answers differently each time, as a rebinding attack's does)."""

    def __init__(
        self,
        names: dict[str, list[list[str]]],
        *,
        timeout: float = 10.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        super().__init__(timeout=timeout, verify=verify)
        self._names = names

    def addresses(self, host: str) -> list[Address]:
        if host in self._names:
            answers = self._names[host]
            texts = answers.pop(0) if len(answers) > 1 else answers[0]
            return [ipaddress.ip_address(text) for text in texts]
        return super().addresses(host)


def service(
    network: HttpNetwork, *, schedule: tuple[float, ...] = (1, 1, 1), dev: bool = True
) -> tuple[WebhookService, MemoryQueue, InMemoryWebhooks]:
    queue, store = MemoryQueue(), InMemoryWebhooks()
    return WebhookService(store, queue, network, dev=dev, schedule=schedule), queue, store


def drain(webhooks: WebhookService, queue: MemoryQueue) -> list[tuple[Outcome, float]]:
    """Run every try as the queue trigger would, until none is left; each outcome and how
    long its message was hidden."""
    outcomes = []
    while queue.messages:
        queue.expire_hiding()
        for ticket, body in queue.take():
            hidden = queue.messages[ticket.message_id].hidden_for
            outcomes.append((webhooks.deliver(body), hidden))
            queue.remove(ticket)  # the host deletes a message its function finished
    return outcomes


def test_a_receiver_failing_three_tries_gets_four_signed_deliveries_with_one_id(
    receiver: RecordingServer,
) -> None:
    receiver.answer(Reply(500), Reply(503), Reply(404), Reply(204))
    webhooks, queue, _ = service(HttpNetwork())
    secret = webhooks.register("crm", f"{receiver.url}/hooks", ["message.created"]).webhook.secret

    assert webhooks.enqueue("outbox-1.0", "message.created", EVENT) == 1
    outcomes = drain(webhooks, queue)

    assert [outcome for outcome, _ in outcomes] == [Outcome.RETRYING] * 3 + [Outcome.DELIVERED]
    assert next(hidden for _, hidden in outcomes) == 0
    assert all(0.8 <= hidden <= 1.2 for _, hidden in outcomes[1:])
    deliveries = receiver.requests
    assert len(deliveries) == 4
    assert len({delivery.headers["webhook-id"] for delivery in deliveries}) == 1
    for delivery in deliveries:
        assert delivery.method == "POST"
        assert delivery.path == "/hooks"
        payload = Verifier(secret).verify(delivery.body, dict(delivery.headers))
        assert payload["type"] == "message.created"
        assert payload["data"] == EVENT
        assert datetime.fromisoformat(payload["timestamp"]).tzinfo is not None
    assert deliveries[0].body == deliveries[-1].body


def test_after_the_last_try_the_failure_is_recorded_with_what_it_got(
    receiver: RecordingServer,
) -> None:
    receiver.default_reply = Reply(502)
    webhooks, queue, _ = service(HttpNetwork(), schedule=(1, 1))
    webhooks.register("crm", receiver.url, ["message.deleted"])
    webhooks.enqueue("outbox-7.2", "message.deleted", EVENT)

    outcomes = drain(webhooks, queue)

    assert [outcome for outcome, _ in outcomes] == [Outcome.RETRYING] * 2 + [Outcome.FAILED]
    page = webhooks.failures("crm", 10, None)
    [failure] = page.failures
    assert (failure.event_id, failure.type, failure.tries) == ("outbox-7.2", "message.deleted", 3)
    assert (failure.last_status, failure.last_error) == (502, None)
    assert failure.webhook_id == receiver.requests[0].headers["webhook-id"]
    assert page.next_before is None


def test_a_webhook_deleted_meanwhile_gets_no_more_tries(receiver: RecordingServer) -> None:
    receiver.default_reply = Reply(500)
    webhooks, queue, _ = service(HttpNetwork())
    webhooks.register("crm", receiver.url, ["message.created"])
    webhooks.enqueue("outbox-1.0", "message.created", EVENT)
    [(ticket, body)] = queue.take()
    assert webhooks.deliver(body) is Outcome.RETRYING
    queue.remove(ticket)

    webhooks.remove("crm")
    webhooks.register("crm", receiver.url, ["message.created"])  # another incarnation

    assert [outcome for outcome, _ in drain(webhooks, queue)] == [Outcome.DROPPED]
    assert len(receiver.requests) == 1


def test_a_redirect_is_not_followed_and_counts_as_a_failed_try(receiver: RecordingServer) -> None:
    with RecordingServer() as elsewhere:
        receiver.answer(Reply(307, headers={"Location": f"{elsewhere.url}/inside"}))
        webhooks, queue, _ = service(HttpNetwork(), schedule=())
        webhooks.register("crm", receiver.url, ["message.created"])
        webhooks.enqueue("outbox-1.0", "message.created", EVENT)

        assert drain(webhooks, queue) == [(Outcome.FAILED, 0)]
        assert elsewhere.requests == []
    [failure] = webhooks.failures("crm", 10, None).failures
    assert failure.last_status == 307


def test_a_long_answer_is_read_no_further_than_1_kb(receiver: RecordingServer) -> None:
    receiver.answer(Reply(200, body=b"x" * 8_000_000))
    webhooks, queue, _ = service(HttpNetwork())
    webhooks.register("crm", receiver.url, ["message.created"])
    webhooks.enqueue("outbox-1.0", "message.created", EVENT)

    assert drain(webhooks, queue) == [(Outcome.DELIVERED, 0)]


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_try(
    receiver: RecordingServer,
) -> None:
    receiver.answer(Reply.slow(30))
    webhooks, queue, _ = service(HttpNetwork(timeout=0.5), schedule=())
    webhooks.register("crm", receiver.url, ["message.created"])
    webhooks.enqueue("outbox-1.0", "message.created", EVENT)

    assert drain(webhooks, queue) == [(Outcome.FAILED, 0)]
    [failure] = webhooks.failures("crm", 10, None).failures
    assert failure.last_status is None
    assert failure.last_error == "no answer within 0.5 s"


def test_the_try_connects_to_the_checked_address_and_names_the_host(
    receiver: RecordingServer,
) -> None:
    network = PinnedNames({"receiver.example": [["127.0.0.1"]]})
    webhooks, queue, _ = service(network)
    url = f"http://receiver.example:{receiver.port}/in"
    webhooks.register("crm", url, ["message.created"])
    webhooks.enqueue("outbox-1.0", "message.created", EVENT)

    assert drain(webhooks, queue) == [(Outcome.DELIVERED, 0)]
    [delivery] = receiver.requests
    assert delivery.headers["host"] == f"receiver.example:{receiver.port}"
    assert delivery.path == "/in"


def test_a_host_that_resolves_to_loopback_at_delivery_is_refused_then(
    receiver: RecordingServer,
) -> None:
    """DNS rebinding: the name is public when registered, loopback when delivered to."""
    network = PinnedNames({"rebinding.example": [["93.184.215.14"], ["127.0.0.1"]]})
    webhooks, queue, _ = service(network, schedule=(), dev=False)
    webhooks.register("crm", f"https://rebinding.example:{receiver.port}/", ["message.created"])
    webhooks.enqueue("outbox-1.0", "message.created", EVENT)

    assert drain(webhooks, queue) == [(Outcome.FAILED, 0)]
    assert receiver.requests == []
    [failure] = webhooks.failures("crm", 10, None).failures
    assert failure.last_error is not None
    assert "127.0.0.1 is a loopback address" in failure.last_error


def test_the_event_timestamp_is_the_time_given() -> None:
    webhooks, queue, _ = service(PinnedNames({"r.example": [["127.0.0.1"]]}))
    webhooks.register("crm", "http://r.example/", ["thread.resolved"])
    at = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)

    webhooks.enqueue("outbox-1.0", "thread.resolved", EVENT, at=at)

    assert queue.visible()[0]["payload"]["timestamp"] == "2026-12-07T09:30:00Z"


def test_the_deliver_webhook_queue_trigger_makes_the_try_a_message_describes(
    receiver: RecordingServer,
) -> None:
    """The function the host runs for each message of ``docchat-webhooks`` (connection
    ``DOCCHAT_QUEUE``), called as the Python worker calls it: with the message."""
    receiver.answer(Reply(500))
    queues = MemoryQueues()
    storage, queue = InMemoryStorage(queues=queues), queues.webhooks
    settings = make_settings(webhook_retry_schedule=(1.0,))
    runtime = Runtime(settings, storage, webhook_network=HttpNetwork)
    app = create_app(BASE_ENVIRONMENT, runtime)
    [deliver] = [f for f in app.get_functions() if f.get_function_name() == "deliver_webhook"]
    trigger = deliver.get_trigger()
    assert trigger is not None
    runtime.webhooks.register("crm", receiver.url, ["message.updated"])
    runtime.webhooks.enqueue("o1.0", "message.updated", EVENT)

    for _ in range(2):
        queue.expire_hiding()
        [(ticket, body)] = queue.take()
        message = func.QueueMessage(body=json.dumps(body).encode())
        deliver.get_user_function()(message=message)
        queue.remove(ticket)

    declared = trigger.get_dict_repr()
    assert (declared["type"], declared["queueName"], declared["connection"]) == (
        "queueTrigger",
        "docchat-webhooks",
        "DOCCHAT_QUEUE",
    )
    assert len(receiver.requests) == 2
    assert queue.messages == {}


def test_without_a_webhook_queue_no_delivery_function_is_registered() -> None:
    app = create_app(BASE_ENVIRONMENT)

    names = {function.get_function_name() for function in app.get_functions()}

    assert "deliver_webhook" not in names
    assert "put_webhook" in names


def test_no_secret_or_url_reaches_the_logs(
    receiver: RecordingServer, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.answer(Reply(500), Reply(200))
    webhooks, queue, _ = service(HttpNetwork(), schedule=(1,))
    url = f"{receiver.url}/in?token=receiver-credential"
    secret = webhooks.register("crm", url, ["message.created"]).webhook.secret
    webhooks.enqueue("outbox-1.0", "message.created", EVENT)

    with caplog.at_level("DEBUG"):
        drain(webhooks, queue)

    assert "crm" in caplog.text
    assert secret not in caplog.text
    assert secret.removeprefix("whsec_") not in caplog.text
    assert "receiver-credential" not in caplog.text


@pytest.fixture(scope="module")
def tls_receiver(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[int, list[str], Path]]:
    """An https receiver on 127.0.0.1 whose certificate names ``receiver.example`` alone;
    its port, the server name each TLS client asked for (SNI), and the certificate."""
    folder = tmp_path_factory.mktemp("tls")
    certificate, key = folder / "cert.pem", folder / "key.pem"
    _self_signed("receiver.example", certificate, key)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    names: list[str] = []
    context.sni_callback = lambda _, name, __: names.append(name)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], names, certificate
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize(
    ("host", "outcome"),
    [("receiver.example", Outcome.DELIVERED), ("other.example", Outcome.FAILED)],
)
def test_https_to_the_checked_address_verifies_the_certificate_for_the_host_name(
    tls_receiver: tuple[int, list[str], Path], host: str, outcome: Outcome
) -> None:
    """The connection goes to 127.0.0.1, the TLS server name and the certificate check are
    the URL's host: a certificate for another name fails the try."""
    port, names, certificate = tls_receiver
    trusted = ssl.create_default_context(cafile=certificate)
    network = PinnedNames({host: [["127.0.0.1"]]}, verify=trusted)
    webhooks, queue, _ = service(network, schedule=())
    webhooks.register("crm", f"https://{host}:{port}/in", ["message.created"])
    webhooks.enqueue("outbox-1.0", "message.created", EVENT)

    assert drain(webhooks, queue) == [(outcome, 0)]
    assert names[-1] == host


def _self_signed(name: str, certificate: Path, key: Path) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    issued = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    certificate.write_bytes(issued.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
