"""The use cases on an in-memory store and a recording realtime: store, deliver, read back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from chat.api.failures import answer
from chat.app import service as chat_service
from chat.app.access import AllowAll, DocumentAccess
from chat.app.presence import Announcer
from chat.app.service import Draft, HistoryService, MembershipService, PostingService
from chat.app.writing import MessageWriting
from chat.domain.errors import (
    ConnectionNotFound,
    Forbidden,
    MaybeStored,
    MaybeStoredBefore,
    MessageIdConflict,
    NotDelivered,
    NotStored,
    RealtimeUnavailable,
    StoreUnavailable,
)
from chat.domain.messages import Cursor, Message, OlderThan
from chat.domain.users import User
from tests.fixtures.chat import (
    ALICE,
    ALICE_CONNECTIONS,
    BOB,
    DenyAll,
    InMemoryConnections,
    InMemoryMessageStore,
    RecordingRealtime,
    numbered_ids,
    ticking_clock,
)


def membership(
    realtime: RecordingRealtime, *, access: DocumentAccess | None = None
) -> MembershipService:
    connections = InMemoryConnections(ALICE_CONNECTIONS)
    return MembershipService(access or AllowAll(), realtime, connections, Announcer())


def posting_service(
    store: InMemoryMessageStore,
    realtime: RecordingRealtime,
    *,
    access: DocumentAccess | None = None,
    clock: Callable[[], datetime] | None = None,
) -> PostingService:
    clock = clock or ticking_clock(step=timedelta(milliseconds=1))
    return PostingService(
        MessageWriting(access or AllowAll(), store, realtime, clock=clock), numbered_ids()
    )


def test_a_message_is_stored_then_broadcast_to_its_documents_group(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    posted = posting_service(store, realtime).post(ALICE, "doc-1", Draft("hello"))

    assert posted.created
    message = posted.message
    assert (message.id, message.sender_id, message.sender_name, message.text) == (
        "m0001",
        "alice-id",
        "Alice",
        "hello",
    )
    assert message.created_at == "2026-11-22T11:17:19.123Z"
    assert store.get("doc-1", "m0001") == message
    assert realtime.sent == [("document:doc-1", "newMessage", message.to_json())]


def test_the_same_id_again_stores_once_and_broadcasts_the_stored_message_again(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    service = posting_service(store, realtime)
    first = service.post(ALICE, "doc-1", Draft("hello", id="client-1"))
    again = service.post(ALICE, "doc-1", Draft("hello", id="client-1"))

    assert (first.created, again.created) == (True, False)
    assert again.message == first.message
    assert len(store.items) == 1
    assert [argument for _, _, argument in realtime.sent] == [first.message.to_json()] * 2


def test_one_id_may_be_used_in_two_documents(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    service = posting_service(store, realtime)
    service.post(ALICE, "doc-1", Draft("one", id="same"))

    assert service.post(ALICE, "doc-2", Draft("two", id="same")).created


@pytest.mark.parametrize(
    ("sender", "text"), [(BOB, "hello"), (ALICE, "a different text")], ids=["sender", "text"]
)
def test_reusing_an_id_for_a_different_message_is_a_conflict_that_changes_nothing(
    store: InMemoryMessageStore, realtime: RecordingRealtime, sender: User, text: str
) -> None:
    service = posting_service(store, realtime)
    original = service.post(ALICE, "doc-1", Draft("hello", id="client-1")).message

    with pytest.raises(MessageIdConflict) as raised:
        service.post(sender, "doc-1", Draft(text, id="client-1"))

    assert "hello" not in raised.value.message
    assert store.get("doc-1", "client-1") == original
    assert len(realtime.sent) == 1


def test_when_the_store_fails_nothing_is_broadcast_and_the_sender_hears_not_stored(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    """The id is the one this request made: no other try can ever store under it."""
    store.down = True

    with pytest.raises(NotStored) as raised:
        posting_service(store, realtime).post(ALICE, "doc-1", Draft("hello"))

    assert answer(raised.value).body["error"]["stored"] is False
    assert answer(raised.value).body["error"]["id"] == "m0001"
    assert realtime.sent == []


def test_when_the_store_fails_a_send_with_the_clients_id_hears_it_may_be_stored_before(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    """Found with Cosmos DB stalled: a try answered null, its retries with the same id
    answered false while the breaker failed them fast, and the first try landed later."""
    store.down = True

    with pytest.raises(MaybeStoredBefore) as raised:
        posting_service(store, realtime).post(ALICE, "doc-1", Draft("hello", id="c-1"))

    body = answer(raised.value).body["error"]
    assert (body["code"], body["stored"], body["id"]) == ("store_unavailable", None, "c-1")
    assert realtime.sent == []


class UnreadableStore(InMemoryMessageStore):
    """Writes work; reading a message back fails, as a read that times out does."""

    def get(self, document_id: str, message_id: str) -> Message | None:
        raise StoreUnavailable("the read timed out")


def test_when_the_id_is_taken_and_its_message_cannot_be_read_the_sender_never_hears_false(
    realtime: RecordingRealtime,
) -> None:
    """The id holds something (this message or another): "nothing stored" would be a lie."""
    store = UnreadableStore()
    service = posting_service(store, realtime)
    service.post(ALICE, "doc-1", Draft("hello", id="c-1"))

    with pytest.raises(MaybeStoredBefore) as raised:
        service.post(ALICE, "doc-1", Draft("hello", id="c-1"))

    assert answer(raised.value).body["error"]["stored"] is None
    assert len(realtime.sent) == 1


def test_when_the_store_does_not_answer_the_sender_hears_it_may_be_stored(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    store.unanswered = True

    with pytest.raises(MaybeStored) as raised:
        posting_service(store, realtime).post(ALICE, "doc-1", Draft("hello", id="c-1"))

    assert answer(raised.value).body["error"]["stored"] is None
    assert realtime.sent == []


def test_a_retry_answers_with_the_seq_the_first_try_got(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    service = posting_service(store, realtime)
    first = service.post(ALICE, "doc-1", Draft("one", id="c-1"))
    service.post(ALICE, "doc-1", Draft("two", id="c-2"))

    again = service.post(ALICE, "doc-1", Draft("one", id="c-1"))

    assert (first.message.seq, again.message.seq) == (1, 1)
    assert not again.created


def test_when_delivery_fails_the_message_stays_stored_and_a_retry_delivers_it(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    service = posting_service(store, realtime)
    realtime.down = True

    with pytest.raises(NotDelivered) as raised:
        service.post(ALICE, "doc-1", Draft("hello", id="client-1"))

    assert answer(raised.value).body["error"] | {"message": ""} == {
        "code": "message_not_delivered",
        "message": "",
        "stored": True,
        "id": "client-1",
    }
    assert dict(answer(raised.value).headers) == {"Retry-After": "7"}
    assert store.get("doc-1", "client-1") is not None
    realtime.down = False
    retried = service.post(ALICE, "doc-1", Draft("hello", id="client-1"))
    assert not retried.created
    assert realtime.sent == [("document:doc-1", "newMessage", retried.message.to_json())]


class RootUpdatesFail(RecordingRealtime):
    """Delivers new messages, fails every ``messageUpdated`` while ``updates_down``."""

    updates_down = True

    def send_to_group(
        self, group: str, target: str, argument: Any, excluded: Sequence[str] = ()
    ) -> None:
        if target == "messageUpdated" and self.updates_down:
            raise RealtimeUnavailable("updates are down", retry_after=3)
        super().send_to_group(group, target, argument, excluded)


def test_a_reply_whose_root_update_fails_names_the_reply_and_its_retry_tells_the_root(
    store: InMemoryMessageStore,
) -> None:
    realtime = RootUpdatesFail()
    service = posting_service(store, realtime)
    root = service.post(ALICE, "doc-1", Draft("root", id="root")).message

    with pytest.raises(NotDelivered) as raised:
        service.post(BOB, "doc-1", Draft("reply", id="reply-1", reply_to=root.id))

    assert answer(raised.value).body["error"]["id"] == "reply-1"
    realtime.updates_down = False
    retried = service.post(BOB, "doc-1", Draft("reply", id="reply-1", reply_to=root.id))
    assert not retried.created
    [updated] = realtime.sent_events("messageUpdated")
    assert (updated["id"], updated["thread"]["replyCount"]) == ("root", 1)


def test_a_user_the_access_hook_refuses_cannot_post_read_or_join(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    with pytest.raises(Forbidden):
        posting_service(store, realtime, access=DenyAll()).post(ALICE, "doc-1", Draft("hi"))
    with pytest.raises(Forbidden):
        HistoryService(DenyAll(), store).newest_first(ALICE, "doc-1", 10, None)
    with pytest.raises(Forbidden):
        HistoryService(DenyAll(), store).catch_up(ALICE, "doc-1", Cursor(0), 10)
    with pytest.raises(Forbidden):
        membership(realtime, access=DenyAll()).join(ALICE, "doc-1", "conn-1")

    assert (store.items, realtime.sent, realtime.groups) == ({}, [], {})


def test_a_backend_posts_for_a_sender_without_asking_the_access_hook(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    service = posting_service(store, realtime, access=DenyAll())

    posted = service.post_for_service(BOB, "doc-1", Draft("from the backend"))

    assert (posted.message.sender_id, posted.message.sender_name) == ("bob-id", "Bob")


def test_join_and_leave_change_the_documents_group(realtime: RecordingRealtime) -> None:
    members = membership(realtime)

    members.join(ALICE, "doc-1", "conn-1")
    assert realtime.groups == {"document:doc-1": {"conn-1"}}
    members.leave(ALICE, "doc-1", "conn-1")
    assert realtime.groups == {"document:doc-1": set()}


def test_joining_with_a_connection_that_is_not_connected_fails(
    realtime: RecordingRealtime,
) -> None:
    realtime.connected.discard("conn-2")

    with pytest.raises(ConnectionNotFound):
        membership(realtime).join(ALICE, "doc-1", "conn-2")


def test_history_pages_newest_first_until_the_token_is_none(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    service = posting_service(store, realtime)
    for n in range(5):
        service.post(ALICE, "doc-1", Draft(f"text {n}"))
    service.post(ALICE, "doc-2", Draft("elsewhere"))
    history = HistoryService(AllowAll(), store)

    seen: list[int] = []
    older_than: OlderThan | None = None
    pages = 0
    while True:
        page = history.newest_first(ALICE, "doc-1", 2, older_than)
        seen += [message.seq for message in page.items]
        pages += 1
        if page.continuation_token is None:
            break
        older_than = OlderThan.decode(page.continuation_token)

    assert seen == [5, 4, 3, 2, 1]
    assert pages == 3


def test_catch_up_returns_exactly_the_messages_after_the_cursor_whatever_their_timestamps(
    store: InMemoryMessageStore, realtime: RecordingRealtime
) -> None:
    tied = posting_service(store, realtime, clock=ticking_clock(step=timedelta(0)))
    posted = [tied.post(ALICE, "doc-1", Draft(f"text {n}")).message for n in range(7)]
    assert len({message.created_at for message in posted}) == 1
    history = HistoryService(AllowAll(), store)

    caught_up, cursor = [], posted[1].cursor
    while True:
        page = history.catch_up(ALICE, "doc-1", cursor, 2)
        caught_up += page.items
        if page.continuation_token is None:
            break
        cursor = Cursor.decode(page.continuation_token)

    assert caught_up == posted[2:]


def test_a_page_stops_before_the_message_whose_text_passes_the_pages_most(
    store: InMemoryMessageStore, realtime: RecordingRealtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With 500 messages a page and texts of up to 100,000 characters, a page could be
    hundreds of megabytes: it ends at the text bound, and the token goes on from there."""
    monkeypatch.setattr(chat_service, "MAX_PAGE_TEXT_CHARACTERS", 25)
    service = posting_service(store, realtime)
    posted = [service.post(ALICE, "doc-1", Draft(f"text {n:05}")).message for n in range(5)]
    service.post(ALICE, "doc-1", Draft("x" * 40))  # longer than a page holds: alone
    history = HistoryService(AllowAll(), store)

    pages, cursor = [], Cursor(0)
    while True:
        page = history.catch_up(ALICE, "doc-1", cursor, 500)
        pages.append([message.seq for message in page.items])
        if page.continuation_token is None:
            break
        cursor = Cursor.decode(page.continuation_token)
    newest = history.newest_first(ALICE, "doc-1", 500, None)

    assert [len(message.text) for message in posted] == [10] * 5
    assert pages == [[1, 2], [3, 4], [5], [6]]
    assert [message.seq for message in newest.items] == [6]
    assert newest.continuation_token is not None
