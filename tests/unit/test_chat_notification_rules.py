"""Who a happening notifies (chat.domain.notifications), from the message and its root
alone, and the values an inbox is made of."""

from __future__ import annotations

import dataclasses

import pytest

from chat.domain.errors import InvalidRequest
from chat.domain.happenings import Happening, mentions_added
from chat.domain.messages import Message, Thread
from chat.domain.notifications import (
    MAX_EXCERPT_CHARACTERS,
    InboxBefore,
    Kind,
    excerpt_of,
    notification_id,
    recipients,
)
from chat.domain.threads import MAX_REPLIERS, summary_change
from chat.domain.users import User
from tests.fixtures.chat import ALICE, BOB

CAROL = User("carol-id", "Carol")
DAVE = User("dave-id", "Dave")


def message(
    id_: str, sender: User, at: str = "2026-01-01T00:00:01.000Z", **fields: object
) -> Message:
    return Message(id_, "doc-1", sender.id, sender.name, "text", at, seq=1, position=1, **fields)  # type: ignore[arg-type]


def replied(root: Message, reply: Message) -> Message:
    change = summary_change(None, reply)
    assert change is not None
    return change(root)


def created(item: Message, actor: User) -> Happening:
    return Happening("message.created", "doc-1", item.id, actor, item.mentions)


def test_each_mentioned_user_is_notified_but_never_the_actor() -> None:
    item = message("m1", ALICE, mentions=(BOB.id, ALICE.id, CAROL.id))

    assert recipients(created(item, ALICE), item, None) == {
        BOB.id: Kind.MENTION,
        CAROL.id: Kind.MENTION,
    }


def test_a_reply_notifies_the_root_author_and_who_replied_before_a_mention_winning() -> None:
    root = message("r", ALICE, "2026-01-01T00:00:00.000Z")
    first = message("a", BOB, "2026-01-01T00:00:01.000Z", thread_id="r")
    root = replied(root, first)
    reply = message("b", CAROL, "2026-01-01T00:00:02.000Z", thread_id="r", mentions=(BOB.id,))
    root = replied(root, reply)
    # Dave replies later; the root as read now lists him, but he replied after.
    root = replied(root, message("c", DAVE, "2026-01-01T00:00:03.000Z", thread_id="r"))

    assert recipients(created(reply, CAROL), reply, root) == {
        BOB.id: Kind.MENTION,
        ALICE.id: Kind.REPLY,
    }


def test_an_edit_notifies_only_the_added_mentions_and_no_reply() -> None:
    root = replied(message("r", ALICE), message("a", BOB, thread_id="r"))
    before = message("b", CAROL, thread_id="r", mentions=(BOB.id,))
    after = dataclasses.replace(before, mentions=(BOB.id, DAVE.id))
    edit = Happening("message.updated", "doc-1", "b", CAROL, mentions_added(before, after))

    assert edit.mentions_added == (DAVE.id,)
    assert recipients(edit, after, root) == {DAVE.id: Kind.MENTION}


def test_a_root_summary_stored_before_repliers_were_kept_still_names_its_participants() -> None:
    root = message("r", ALICE, thread=Thread(reply_count=1, participants=((BOB.id, "Bob"),)))
    reply = message("b", CAROL, thread_id="r")

    assert recipients(created(reply, CAROL), reply, root) == {
        ALICE.id: Kind.REPLY,
        BOB.id: Kind.REPLY,
    }


def test_the_repliers_a_root_keeps_are_bounded_and_keep_each_first_reply_time() -> None:
    root = message("r", ALICE)
    for n in range(MAX_REPLIERS + 10):
        root = replied(root, message(f"a{n}", User(f"u{n}", "U"), thread_id="r"))
    again = message("z", User("u20", "U"), "2026-01-02T00:00:00.000Z", thread_id="r")
    root = replied(root, again)

    assert root.thread is not None
    repliers = root.thread.repliers
    assert len(repliers) == MAX_REPLIERS
    assert repliers[0] == ("u20", "2026-01-01T00:00:01.000Z")
    assert "u9" not in {user_id for user_id, _ in repliers}  # the least recently active
    assert "repliers" not in root.to_json()["thread"]
    assert Message.from_stored(root.stored_form()) == root


def test_a_notification_id_is_the_same_each_time_and_differs_per_part() -> None:
    one = notification_id("doc-1", "m1", BOB.id)

    assert one == notification_id("doc-1", "m1", BOB.id)
    others = {notification_id("doc-1", "m1", "x"), notification_id("doc-2", "m1", BOB.id)}
    assert one not in others
    assert len(others) == 2


def test_an_excerpt_is_at_most_140_characters_and_none_once_deleted() -> None:
    long = dataclasses.replace(message("m", ALICE), text="x" * 500)

    assert len(excerpt_of(long) or "") == MAX_EXCERPT_CHARACTERS
    assert excerpt_of(message("m", ALICE)) == "text"
    assert excerpt_of(dataclasses.replace(long, deleted=True, text="")) is None


def test_an_inbox_token_round_trips_and_anything_else_is_refused() -> None:
    key = "2026-01-01T00:00:01.000Z~" + "a" * 64

    assert InboxBefore.decode(InboxBefore(key).encode()) == InboxBefore(key)
    for junk in ("", "x" * 200, "bjE6eA", "!!", InboxBefore("2026~" + "a" * 64).encode()):
        with pytest.raises(InvalidRequest):
            InboxBefore.decode(junk)
