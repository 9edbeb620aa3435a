"""Edits, deletions, reactions and read markers as use cases, on in-memory fakes: who may,
what the document hears, what catch-up returns, and what unread counts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from chat.app.access import AllowAll
from chat.app.editing import EditingService
from chat.app.reading import ReadingService
from chat.app.service import Draft, PostingService
from chat.app.writing import MessageWriting
from chat.domain.changes import MAX_REACTING_USERS, MAX_REACTIONS, MAX_REACTIONS_BYTES
from chat.domain.errors import (
    Forbidden,
    MessageDeleted,
    MessageNotFound,
    NotDelivered,
    TooManyReactions,
)
from chat.domain.messages import Message
from chat.domain.users import User
from tests.fixtures.chat import (
    ALICE,
    BOB,
    DenyAll,
    InMemoryMessageStore,
    RecordingRealtime,
    numbered_ids,
    ticking_clock,
)

EDITED_AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


class DictMarkers:
    def __init__(self) -> None:
        self.seqs: dict[tuple[str, str], int] = {}

    def read_up_to(self, document_id: str, user_id: str) -> int:
        return self.seqs.get((document_id, user_id), 0)

    def advance(self, document_id: str, user_id: str, seq: int) -> int:
        key = (document_id, user_id)
        self.seqs[key] = max(self.seqs.get(key, 0), seq)
        return self.seqs[key]


def setup() -> tuple[InMemoryMessageStore, RecordingRealtime, EditingService, PostingService]:
    store, realtime = InMemoryMessageStore(), RecordingRealtime()
    editing = EditingService(MessageWriting(AllowAll(), store, realtime, clock=lambda: EDITED_AT))
    posting = PostingService(
        MessageWriting(AllowAll(), store, realtime, clock=ticking_clock()), numbered_ids()
    )
    return store, realtime, editing, posting


def post(posting: PostingService, text: str, author: str = "alice") -> Message:
    user = ALICE if author == "alice" else BOB
    return posting.post(user, "doc-1", Draft(text)).message


def test_an_edit_keeps_the_seq_moves_the_message_on_and_tells_the_document() -> None:
    store, realtime, editing, posting = setup()
    first, second = post(posting, "helo"), post(posting, "world")

    edited = editing.edit(ALICE, "doc-1", first.id, "hello")

    assert (edited.seq, edited.text, edited.edited_at) == (1, "hello", "2026-11-22T12:00:00.000Z")
    assert edited.position > second.position
    assert realtime.sent[-1] == ("document:doc-1", "messageUpdated", edited.to_json())
    caught_up = store.after("doc-1", second.position, 10)
    assert caught_up == [edited]


def test_only_the_author_edits_or_deletes() -> None:
    _, realtime, editing, posting = setup()
    mine = post(posting, "mine")

    with pytest.raises(Forbidden):
        editing.edit(BOB, "doc-1", mine.id, "hijacked")
    with pytest.raises(Forbidden):
        editing.delete(BOB, "doc-1", mine.id)
    assert [target for _, target, _ in realtime.sent] == ["newMessage"]


def test_a_deletion_leaves_a_tombstone_once() -> None:
    store, realtime, editing, posting = setup()
    message = post(posting, "oops")
    editing.react(BOB, "doc-1", message.id, "👍")

    tombstone = editing.delete(ALICE, "doc-1", message.id)
    again = editing.delete(ALICE, "doc-1", message.id)

    assert again == tombstone
    assert tombstone.to_json()["deleted"] is True
    assert "text" not in tombstone.to_json()
    assert tombstone.reactions == ()
    assert store.after("doc-1", message.position, 10) == [tombstone]  # written once
    told = [(target, payload) for _, target, payload in realtime.sent[-2:]]
    assert told == [("messageDeleted", tombstone.to_json())] * 2  # told each time
    with pytest.raises(MessageDeleted):
        editing.edit(ALICE, "doc-1", message.id, "back")
    with pytest.raises(MessageDeleted):
        editing.react(BOB, "doc-1", message.id, "👍")


def test_reactions_list_who_reacted_with_what_and_come_and_go() -> None:
    _, realtime, editing, posting = setup()
    message = post(posting, "vote")

    editing.react(ALICE, "doc-1", message.id, "👍")
    editing.react(BOB, "doc-1", message.id, "👍")
    editing.react(BOB, "doc-1", message.id, "🎉")
    again = editing.react(BOB, "doc-1", message.id, "🎉")
    after = editing.unreact(ALICE, "doc-1", message.id, "👍")

    assert again.to_json()["reactions"] == {"👍": ["alice-id", "bob-id"], "🎉": ["bob-id"]}
    assert after.to_json()["reactions"] == {"👍": ["bob-id"], "🎉": ["bob-id"]}
    # Issue 26, finding 7: a reaction is told as the reactions alone, not the whole message.
    told = [(target, payload) for _, target, payload in realtime.sent[1:]]
    assert [target for target, _ in told] == ["reactionsChanged"] * 5  # "again" too
    assert told[-1][1] == {
        "id": message.id,
        "documentId": "doc-1",
        "seq": 1,
        "position": after.position,
        "cursor": after.cursor.encode(),
        "threadId": None,
        "reactions": {"👍": ["bob-id"], "🎉": ["bob-id"]},
    }


@pytest.mark.parametrize("kind", ["edit", "react", "delete"])
def test_a_change_whose_telling_failed_is_delivered_by_sending_it_again(kind: str) -> None:
    """The 503 says "stored: true ... send it again to deliver it". The retry changes
    nothing, and was once told to nobody: listeners never heard the change live."""
    _, realtime, editing, posting = setup()
    message = post(posting, "helo")
    changes: dict[str, Callable[[], Message]] = {
        "edit": lambda: editing.edit(ALICE, "doc-1", message.id, "hello"),
        "react": lambda: editing.react(BOB, "doc-1", message.id, "👍"),
        "delete": lambda: editing.delete(ALICE, "doc-1", message.id),
    }
    change = changes[kind]
    realtime.down = True
    with pytest.raises(NotDelivered) as failed:
        change()
    assert (failed.value.stored, failed.value.message_id) == (True, message.id)
    realtime.down = False

    stored = change()

    event, payload = realtime.sent[-1][1:]
    expected = {
        "edit": ("messageUpdated", stored.to_json()),
        "react": ("reactionsChanged", stored.reactions_json()),
        "delete": ("messageDeleted", stored.to_json()),
    }[kind]
    assert (event, payload) == expected


def test_reactions_are_bounded() -> None:
    _, _, editing, posting = setup()
    message = post(posting, "popular")
    emojis = [chr(0x1F600 + n) for n in range(MAX_REACTIONS + 1)]
    for emoji in emojis[:-1]:
        editing.react(ALICE, "doc-1", message.id, emoji)

    with pytest.raises(TooManyReactions):
        editing.react(ALICE, "doc-1", message.id, emojis[-1])


def test_reactions_are_bounded_in_bytes_not_only_in_count() -> None:
    # Issue 26, finding 7: 600 users with 255-character ids made a 155 KB message.
    _, _, editing, posting = setup()
    message = post(posting, "popular")
    long_ids = [User(f"{n:03d}" + "u" * 252, "U") for n in range(MAX_REACTING_USERS)]

    def react_all() -> None:
        for user in long_ids:
            editing.react(user, "doc-1", message.id, "👍")

    with pytest.raises(TooManyReactions, match="bytes"):
        react_all()

    stored = editing.unreact(ALICE, "doc-1", message.id, "🎉")  # changes nothing: reads it
    reactions = json.dumps(stored.to_json()["reactions"], ensure_ascii=False, separators=(",", ":"))
    assert MAX_REACTIONS_BYTES - 300 < len(reactions.encode()) <= MAX_REACTIONS_BYTES


def test_changing_a_message_that_is_not_there_is_404_and_the_policy_applies() -> None:
    store, realtime, _, _ = setup()
    denied = EditingService(MessageWriting(DenyAll(), store, realtime))
    editing = EditingService(MessageWriting(AllowAll(), store, realtime))

    with pytest.raises(MessageNotFound):
        editing.edit(ALICE, "doc-1", "nope", "x")
    with pytest.raises(Forbidden):
        denied.react(ALICE, "doc-1", "nope", "👍")


def test_unread_counts_others_live_messages_after_the_marker_which_never_goes_back() -> None:
    store, _, editing, posting = setup()
    reading = ReadingService(AllowAll(), store, DictMarkers())
    post(posting, "1")
    post(posting, "2", author="bob")
    doomed = post(posting, "3", author="bob")
    post(posting, "4", author="bob")
    post(posting, "5")
    editing.delete(BOB, "doc-1", doomed.id)

    assert reading.status(ALICE, "doc-1") == (0, 2)
    assert reading.mark_read(ALICE, "doc-1", 3) == 3
    assert reading.mark_read(ALICE, "doc-1", 2) == 3
    assert reading.status(ALICE, "doc-1") == (3, 1)
    assert reading.status(BOB, "doc-1") == (0, 2)
