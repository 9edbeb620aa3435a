"""Mentions on sends and edits: stored, returned, and in members mode only of readers."""

from __future__ import annotations

import pytest

from chat.app.access import AllowAll, DocumentAccess, MembersOnly, Role
from chat.app.editing import EditingService
from chat.app.service import Draft, PostingService
from chat.app.writing import MessageWriting
from chat.domain.errors import InvalidRequest
from tests.fixtures.chat import (
    ALICE,
    BOB,
    InMemoryMemberships,
    InMemoryMessageStore,
    RecordingRealtime,
    numbered_ids,
    ticking_clock,
)


def writing(store: InMemoryMessageStore, access: DocumentAccess) -> MessageWriting:
    return MessageWriting(access, store, RecordingRealtime(), clock=ticking_clock())


def members(*readers: str, memberships: InMemoryMemberships | None = None) -> MembersOnly:
    memberships = memberships or InMemoryMemberships()
    memberships.put("doc-1", ALICE.id, Role.WRITER)
    for reader in readers:
        memberships.put("doc-1", reader, Role.READER)
    return MembersOnly(memberships)


def test_mentions_are_stored_and_returned_and_none_is_an_empty_list() -> None:
    store = InMemoryMessageStore()
    posting = PostingService(writing(store, AllowAll()), numbered_ids())

    mentioned = posting.post(ALICE, "doc-1", Draft("hi @bob", mentions=(BOB.id, "carol")))
    plain = posting.post(ALICE, "doc-1", Draft("hi"))

    assert mentioned.message.to_json()["mentions"] == [BOB.id, "carol"]
    assert store.get("doc-1", mentioned.message.id) == mentioned.message
    assert plain.message.to_json()["mentions"] == []


def test_in_members_mode_a_mention_of_a_non_reader_is_refused_naming_them_storing_nothing() -> None:
    store = InMemoryMessageStore()
    posting = PostingService(writing(store, members(BOB.id)), numbered_ids())

    with pytest.raises(InvalidRequest) as refused:
        posting.post(ALICE, "doc-1", Draft("hi", mentions=(BOB.id, "mallory", "eve")))

    assert '"mallory", "eve"' in str(refused.value)
    assert BOB.id not in str(refused.value)
    assert store.items == {}


def test_a_retry_with_other_mentions_is_another_send() -> None:
    store = InMemoryMessageStore()
    posting = PostingService(writing(store, AllowAll()), numbered_ids())
    posting.post(ALICE, "doc-1", Draft("hi", id="c-1", mentions=(BOB.id,)))

    assert not posting.post(ALICE, "doc-1", Draft("hi", id="c-1", mentions=(BOB.id,))).created
    with pytest.raises(Exception, match="different message"):
        posting.post(ALICE, "doc-1", Draft("hi", id="c-1", mentions=("carol",)))


def test_an_edit_replaces_the_mentions_and_checks_only_the_added_ones() -> None:
    store = InMemoryMessageStore()
    memberships = InMemoryMemberships()
    access = members(BOB.id, "carol", memberships=memberships)
    posted = PostingService(writing(store, access), numbered_ids()).post(
        ALICE, "doc-1", Draft("hi", mentions=(BOB.id,))
    )
    editing = EditingService(writing(store, access))
    # Bob loses access: keeping his mention is no addition, so it is not checked again.
    memberships.remove("doc-1", BOB.id)

    edited = editing.edit(ALICE, "doc-1", posted.message.id, None, mentions=(BOB.id, "carol"))
    assert edited.mentions == (BOB.id, "carol")
    assert edited.edited_at is None  # the text did not change

    with pytest.raises(InvalidRequest, match='"dave"'):
        editing.edit(ALICE, "doc-1", posted.message.id, None, mentions=("dave",))
    assert store.get("doc-1", posted.message.id) == edited
