"""The thread rules as pure functions: a reply's and a deletion's effect on the root's
summary, resolution, listings, and the anchor bounds."""

from __future__ import annotations

import dataclasses
import json

import pytest

from chat.domain.changes import deleted
from chat.domain.errors import InvalidRequest
from chat.domain.messages import Listing, Message
from chat.domain.threads import anchor_problem, anchored, resolution, summary_change
from tests.fixtures.chat import ALICE, BOB

ROOT = Message("root", "doc-1", ALICE.id, ALICE.name, "root", "2026-11-22T11:17:19.000Z")


def reply(n: int, sender: str = BOB.id) -> Message:
    at = f"2026-11-22T11:18:{n:02d}.000Z"
    return Message(f"r{n}", "doc-1", sender, sender, "reply", at, thread_id="root")


def test_a_reply_counts_and_a_deleted_one_no_longer_does_once() -> None:
    effect = summary_change(None, reply(1))
    assert effect is not None
    root = effect(ROOT)
    tombstone = deleted(reply(1), BOB)
    lowered = summary_change(reply(1), tombstone)
    assert lowered is not None

    assert root.thread is not None
    assert (root.thread.reply_count, root.thread.last_reply_at) == (1, reply(1).created_at)
    assert lowered(root).thread.reply_count == 0  # type: ignore[union-attr]
    assert summary_change(tombstone, tombstone) is None
    assert summary_change(None, ROOT) is None
    assert summary_change(reply(1), dataclasses.replace(reply(1), text="edited")) is None


def test_resolution_records_who_and_when_and_again_changes_nothing() -> None:
    resolved = resolution(ROOT, BOB, True, "2026-11-22T12:00:00.000Z")
    again = resolution(resolved, ALICE, True, "2026-11-22T13:00:00.000Z")
    reopened = resolution(resolved, ALICE, False, "2026-11-22T14:00:00.000Z")

    assert resolved.thread is not None
    assert (resolved.thread.resolved_by, resolved.thread.reply_count) == ((BOB.id, BOB.name), 0)
    assert again == resolved
    assert reopened.thread is not None
    assert (reopened.thread.resolved, reopened.thread.resolved_by) == (False, None)
    assert resolution(ROOT, BOB, False, "2026-11-22T12:00:00.000Z") == ROOT
    with pytest.raises(InvalidRequest):
        resolution(reply(1), BOB, True, "2026-11-22T12:00:00.000Z")


def test_listings_follow_thread_and_anchor_and_filters_pick_them() -> None:
    anchored_root = anchored(ROOT, {"cell": "B2"})
    resolved = resolution(anchored_root, BOB, True, "2026-11-22T12:00:00.000Z")

    assert [Listing.of(m) for m in (ROOT, anchored_root, resolved)] == [None, "oa", "ra"]
    assert set(Listing.matching(None, None)) == {"o", "oa", "r", "ra"}
    assert Listing.matching(True, False) == ("r",)
    with pytest.raises(InvalidRequest):
        anchored(reply(1), {"cell": "B2"})


def test_a_root_whose_replies_are_all_deleted_leaves_the_list_unless_resolved() -> None:
    one = reply(1)
    replied = _summarised(ROOT, None, one)
    emptied = _summarised(replied, one, deleted(one, BOB))
    resolved = resolution(emptied, BOB, True, "2026-11-22T12:00:00.000Z")

    assert emptied.thread is not None
    assert emptied.thread.reply_count == 0
    assert [Listing.of(m) for m in (replied, emptied, resolved)] == ["o", None, "r"]


def _summarised(root: Message, before: Message | None, after: Message) -> Message:
    change = summary_change(before, after)
    assert change is not None
    return change(root)


@pytest.mark.parametrize(
    ("anchor", "problem"),
    [
        ({"a": 2**53 + 1}, "2^53"),
        ({"a": -(2**53) - 1}, "2^53"),
        ({"a": float("nan")}, "finite"),
        ({"a": "\ud800"}, "surrogates"),
        ({"\x07": 1}, "U+0007"),
        ({"a": [[[[[[[[1]]]]]]]]}, "8 levels"),
        ({"q": "é" * 1100}, "2048 bytes"),
        ([1], "object"),
    ],
)
def test_an_anchor_out_of_bounds_says_why(anchor: object, problem: str) -> None:
    found = anchor_problem(anchor)
    assert found is not None
    assert problem in found


def test_an_anchor_at_its_bounds_is_taken() -> None:
    anchor: dict[str, object] = {"deep": [[[[[[1]]]]]], "n": 2**53, "s": "tab\t", "e": ""}
    size = len(json.dumps(anchor, ensure_ascii=False, separators=(",", ":")).encode())
    anchor["pad"] = "x" * (2048 - size - len(',"pad":""'))
    assert anchor_problem(anchor) is None
