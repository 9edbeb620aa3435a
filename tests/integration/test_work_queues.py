"""The work queue port (chat.app.queues.WorkQueue) held to one contract on both its
adapters: Azure Storage queues through storage/queues.py against real Azurite, and the
in-memory twin of tests/fixtures/chat.py that unit tests use. Then what only the real one
can show: outages and refusals, plain-text bodies, and one account per test app."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from azure.storage.queue import QueueClient, QueueServiceClient

from chat.app.queues import Ticket, WorkQueue
from chat.domain.errors import Misconfigured, QueueUnavailable
from devstack import azurite
from storage.queues import OUTBOX_QUEUE, RETRIES, WEBHOOKS_QUEUE, StorageQueues, load_queues
from tests.fixtures.azurite import Azurite
from tests.fixtures.chat import MemoryQueue
from tests.integration.conftest import LoadApp, closed_port
from tests.integration.recording_server import RecordingServer, Reply


class Consumer(Protocol):
    """What a queue-triggered function's listener does to a queue."""

    def visible(self) -> list[dict[str, Any]]: ...

    def take(self) -> list[tuple[Ticket, dict[str, Any]]]: ...


@dataclass
class AzureConsumer:
    """A listener's view of a real queue: peeks, and receives as the extension does."""

    client: QueueClient

    def visible(self) -> list[dict[str, Any]]:
        return [json.loads(m.content) for m in self.client.peek_messages(max_messages=32)]

    def take(self) -> list[tuple[Ticket, dict[str, Any]]]:
        taken = self.client.receive_messages(max_messages=32, visibility_timeout=600)
        return [(Ticket(m.id, m.pop_receipt or ""), json.loads(m.content)) for m in taken]


@pytest.fixture(params=["azure", "memory"])
def queue(
    request: pytest.FixtureRequest, azurite_server: Azurite
) -> Iterator[tuple[WorkQueue, Consumer]]:
    if request.param == "memory":
        twin = MemoryQueue()
        yield twin, twin
        return
    queues = load_queues({"DOCCHAT_QUEUE": azurite_server.fresh_account()})
    assert isinstance(queues, StorageQueues)
    yield queues.outbox, AzureConsumer(queues.outbox.client)


def test_a_put_message_is_visible_at_once_as_the_json_it_was(
    queue: tuple[WorkQueue, Consumer],
) -> None:
    work, consumer = queue

    work.put({"documentId": "d-1", "outboxId": "o-1", "n": 1.5, "text": "é"})

    assert consumer.visible() == [{"documentId": "d-1", "outboxId": "o-1", "n": 1.5, "text": "é"}]


def test_a_hidden_message_is_seen_only_once_revealed(queue: tuple[WorkQueue, Consumer]) -> None:
    work, consumer = queue
    ticket = work.put({"n": 1}, hidden_for=300)
    assert consumer.visible() == []

    work.reveal(ticket)

    assert consumer.visible() == [{"n": 1}]


def test_a_removed_message_is_gone_and_removing_it_again_is_fine(
    queue: tuple[WorkQueue, Consumer],
) -> None:
    work, consumer = queue
    ticket = work.put({"n": 1}, hidden_for=300)

    work.remove(ticket)
    work.remove(ticket)

    assert consumer.visible() == []
    assert consumer.take() == []


def test_a_message_a_consumer_took_is_left_to_it(queue: tuple[WorkQueue, Consumer]) -> None:
    """Its hidden time passed and a listener took it: the ticket no longer reaches it (a new
    pop receipt), so neither reveal nor remove takes it from the consumer."""
    work, consumer = queue
    ticket = work.put({"n": 1})
    [(taken, body)] = consumer.take()

    work.reveal(ticket)
    work.remove(ticket)

    assert body == {"n": 1}
    assert taken.message_id == ticket.message_id
    assert consumer.visible() == []


def test_a_ticket_serves_once_a_reveal_changed_the_receipt(
    queue: tuple[WorkQueue, Consumer],
) -> None:
    work, consumer = queue
    ticket = work.put({"n": 1}, hidden_for=300)
    work.reveal(ticket)

    work.remove(ticket)

    assert consumer.visible() == [{"n": 1}]


def test_the_adapter_creates_a_missing_queue_on_first_put_and_writes_plain_json(
    azurite_server: Azurite,
) -> None:
    """Locally nobody creates the queues (infra/ does in Azure); bodies are JSON text, no
    Base64, for host.json's messageEncoding none."""
    connection = azurite_server.fresh_account()
    queues = load_queues({"DOCCHAT_QUEUE": connection})
    assert queues is not None

    queues.webhooks.put({"webhookId": "w-1"})

    raw = QueueClient.from_connection_string(connection, WEBHOOKS_QUEUE)
    assert [message.content for message in raw.peek_messages()] == ['{"webhookId":"w-1"}']


def test_an_unreachable_queue_service_is_queue_unavailable_within_its_timeouts() -> None:
    connection = azurite.connection_string((closed_port(), closed_port(), closed_port()))
    queues = load_queues({"DOCCHAT_QUEUE": connection})
    assert queues is not None

    with pytest.raises(QueueUnavailable):
        queues.outbox.put({"n": 1})


def test_a_stalled_queue_service_is_queue_unavailable_after_one_retry() -> None:
    """Each request gives up at its read timeout, and is tried once more: bounded, where the
    storage SDK's defaults would wait minutes."""
    with RecordingServer(Reply.slow(30)) as stalled:
        connection = (
            f"DefaultEndpointsProtocol=http;AccountName={azurite.ACCOUNT};"
            f"AccountKey={azurite.ACCOUNT_KEY};QueueEndpoint={stalled.url}/{azurite.ACCOUNT};"
        )
        queues = load_queues({"DOCCHAT_QUEUE": connection})
        assert queues is not None

        with pytest.raises(QueueUnavailable):
            queues.outbox.put({"n": 1})

        assert len(stalled.requests) == 1 + RETRIES


def test_a_wrong_key_is_misconfigured_naming_the_setting(azurite_server: Azurite) -> None:
    connection = azurite_server.fresh_account().replace(
        azurite.ACCOUNT_KEY, "d3Jvbmcga2V5IHdyb25nIGtleSB3cm9uZyBrZXk="
    )
    queues = load_queues({"DOCCHAT_QUEUE": connection})
    assert queues is not None

    with pytest.raises(Misconfigured, match="DOCCHAT_QUEUE"):
        queues.outbox.put({"n": 1})


async def test_each_loaded_app_has_queues_of_its_own(load_app: LoadApp) -> None:
    """load_app(queues=True): an Azurite account per app, so no test sees another's work."""
    first = await load_app(queues=True)
    second = await load_app(queues=True)
    note = {"note": uuid.uuid4().hex}
    queues = load_queues(first.environment)
    assert queues is not None

    queues.outbox.put(note)

    mine = QueueClient.from_connection_string(first.environment["DOCCHAT_QUEUE"], OUTBOX_QUEUE)
    theirs = QueueServiceClient.from_connection_string(second.environment["DOCCHAT_QUEUE"])
    assert first.environment["DOCCHAT_QUEUE"] != second.environment["DOCCHAT_QUEUE"]
    assert [json.loads(m.content) for m in mine.peek_messages()] == [note]
    assert list(theirs.list_queues()) == []
