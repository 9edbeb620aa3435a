"""The work a committed write leaves (chat.app.outbox), carried out over the in-memory
stores and queues: who is notified, live and by webhook, once however often the outbox's
message comes; a failure half-way leaves it all to do again."""

from __future__ import annotations

import dataclasses
import ipaddress
from typing import Any

import pytest

from chat.app.outbox import NOTIFICATION, NOTIFICATION_CREATED, OutboxService
from chat.app.runtime import Runtime
from chat.app.webhooks import Answer, Outgoing
from chat.domain.errors import RealtimeUnavailable
from chat.domain.messages import Message
from chat.domain.users import User
from chat.domain.webhooks import EVENT_TYPES, Address
from functions.work import outbox_message
from tests.fixtures.chat import (
    ALICE,
    BOB,
    InMemoryStorage,
    MemoryQueues,
    RecordingRealtime,
    make_settings,
)

CAROL = User("carol-id", "Carol")


class Nowhere:
    """Resolves one public name; nothing is posted (deliveries are not this test's)."""

    def addresses(self, host: str) -> list[Address]:
        return [ipaddress.ip_address("93.184.215.14")]

    def send(self, outgoing: Outgoing) -> Answer:
        raise AssertionError("the outbox only queues deliveries")


@pytest.fixture
def storage() -> InMemoryStorage:
    return InMemoryStorage(queues=MemoryQueues())


@pytest.fixture
def runtime(storage: InMemoryStorage) -> Runtime:
    runtime = Runtime(make_settings(), storage, webhook_network=Nowhere)
    runtime.webhooks.register("crm", "https://hooks.example/in", EVENT_TYPES)
    return runtime


def message(n: int, sender: User, **fields: Any) -> Message:
    at = f"2026-12-07T09:00:{n:02d}.000Z"
    return Message(f"m{n}", "doc-1", sender.id, sender.name, f"text {n}", at, **fields)


def process_all(storage: InMemoryStorage, service: OutboxService) -> int:
    """What the queue trigger does with every visible outbox message; the happenings done."""
    assert storage.queues is not None
    done = 0
    for _, body in storage.queues.outbox.take():
        done += service.process(body["documentId"], body["outboxId"])
    return done


def webhook_events(storage: InMemoryStorage) -> list[tuple[str, str]]:
    assert storage.queues is not None
    return [(body["eventId"], body["type"]) for body in storage.queues.webhooks.visible()]


def test_a_reply_that_mentions_notifies_each_recipient_once_live_and_by_webhook(
    storage: InMemoryStorage, runtime: Runtime
) -> None:
    realtime = RecordingRealtime()
    storage.messages.append(message(1, BOB))
    storage.messages.append(message(2, ALICE, thread_id="m1", mentions=(CAROL.id, ALICE.id)))

    assert process_all(storage, runtime.outbox(realtime)) == 2

    notified = {(user, item["kind"]) for user, event, item in realtime.sent_to_users}
    assert notified == {(BOB.id, "reply"), (CAROL.id, "mention")}
    assert {event for _, event, _ in realtime.sent_to_users} == {NOTIFICATION}
    types = sorted(event_type for _, event_type in webhook_events(storage))
    assert types == ["message.created"] * 2 + [NOTIFICATION_CREATED] * 2
    assert storage.messages.outboxes == {}


def test_an_outbox_processed_again_makes_nothing_new(
    storage: InMemoryStorage, runtime: Runtime
) -> None:
    """The queue may hand one message over twice: the second finds no outbox item."""
    storage.messages.append(message(1, ALICE, mentions=(BOB.id,)))
    assert storage.queues is not None
    [(_, body)] = storage.queues.outbox.take()
    service = runtime.outbox(RecordingRealtime())

    assert service.process(body["documentId"], body["outboxId"]) == 1
    assert service.process(body["documentId"], body["outboxId"]) == 0

    assert len(storage.notifications.items) == 1
    assert len(webhook_events(storage)) == 2


def test_a_live_send_that_fails_leaves_everything_to_do_again_with_the_same_ids(
    storage: InMemoryStorage, runtime: Runtime
) -> None:
    realtime = RecordingRealtime(down=True)
    storage.messages.append(message(1, ALICE, mentions=(BOB.id,)))
    assert storage.queues is not None
    [(_, body)] = storage.queues.outbox.take()
    service = runtime.outbox(realtime)

    with pytest.raises(RealtimeUnavailable):
        service.process(body["documentId"], body["outboxId"])
    realtime.down = False
    service.process(body["documentId"], body["outboxId"])

    [(user, _, item)] = realtime.sent_to_users
    assert user == BOB.id
    [stored] = storage.notifications.items.values()
    assert item == stored.to_json()
    events = webhook_events(storage)
    assert len(events) == 3  # message.created put twice (one webhook-id), then the notification
    assert len(set(events)) == 2


def test_a_change_tells_webhooks_and_notifies_only_the_mentions_it_added(
    storage: InMemoryStorage, runtime: Runtime
) -> None:
    realtime = RecordingRealtime()
    storage.messages.append(message(1, ALICE, mentions=(BOB.id,)))
    process_all(storage, runtime.outbox(realtime))

    def mention_carol(m: Message) -> Message:
        return dataclasses.replace(m, mentions=(BOB.id, CAROL.id))

    storage.messages.change("doc-1", "m1", mention_carol, actor=ALICE)
    process_all(storage, runtime.outbox(realtime))

    assert [user for user, _, _ in realtime.sent_to_users] == [BOB.id, CAROL.id]
    assert [t for _, t in webhook_events(storage)].count("message.updated") == 1


def test_a_happening_whose_message_is_gone_tells_nothing(
    storage: InMemoryStorage, runtime: Runtime
) -> None:
    """A message expired under the messages' TTL before its outbox was processed."""
    realtime = RecordingRealtime()
    storage.messages.append(message(1, ALICE, mentions=(BOB.id,)))
    del storage.messages.items[("doc-1", "m1")]

    assert process_all(storage, runtime.outbox(realtime)) == 1

    assert realtime.sent_to_users == []
    assert webhook_events(storage) == []
    assert storage.messages.outboxes == {}


def test_an_outbox_queue_message_names_its_document_and_outbox_by_string_ids() -> None:
    body = b'{"documentId": "doc-1", "outboxId": "_outbox.1", "traceparent": 7}'

    assert outbox_message(body) == ("doc-1", "_outbox.1", {})


@pytest.mark.parametrize(
    "body",
    [b"", b"[]", b'{"documentId": "doc-1"}', b'{"documentId": 1, "outboxId": "_outbox.1"}'],
)
def test_anything_else_on_the_outbox_queue_fails_the_invocation(body: bytes) -> None:
    """Only docchat puts messages there: another is a bug, tried again in vain and then
    moved to the poison queue by the host."""
    with pytest.raises((ValueError, KeyError, TypeError)):
        outbox_message(body)
