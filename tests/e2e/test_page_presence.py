"""Who is here and who is typing, in the demo page, between real users of the whole stack.

Presence and typing travel as the service's upstream events: the emulator reports each
connection's connect, disconnect and ``typing`` to the dev host's webhook, and docchat
answers with ``presence`` and ``typing`` events to the document's connections. The
WebSocket frames each tab sent and received, with when, tell how soon things arrive.
"""

from __future__ import annotations

import itertools

import pytest

from tests.e2e.browser import Page
from tests.e2e.scenario import OpenPage, new_document_id, open_together

pytestmark = pytest.mark.e2e

# The page's constants (clients/js/src/presence.js, clients/js/src/typing-signal.js), in seconds.
TYPING_SHOWN_S = 4.0
TYPING_EVERY_S = 2.5
# Timers and the frames' timestamps are a few milliseconds apart at most; allow for a busy machine.
CLOCK_SLACK_S = 0.25
# The issue's "within seconds": the others' presence after a tab closes.
PRESENCE_UPDATE_BOUND_S = 10.0


def typists(page: Page) -> set[str]:
    """Whose typing events reached the page."""
    return {event["arguments"][0]["user"]["id"] for event in page.live_events("typing")}


def test_two_users_see_each_other_here_and_typing_and_leaving(open_page: OpenPage) -> None:
    document_id = new_document_id("presence")
    alice, bob, carol, dave = (open_page(name) for name in ("alice", "bob", "carol", "dave"))
    alice.open("Alice", document_id)
    bob.open("Bob", document_id)
    carol.open("Carol", document_id)
    elsewhere = new_document_id("elsewhere")
    dave.open("Dave Elsewhere", elsewhere)

    for page in (alice, bob, carol):
        page.wait_for_presence("alice", "bob", "carol")
    # Named avatars of the others, and a line that names them; never oneself.
    assert alice.presence() == [
        {"id": "bob", "label": "Bob"},
        {"id": "carol", "label": "Carol"},
    ]
    assert alice.presence_line() == "Bob and Carol here"
    assert bob.presence_line() == "Alice and Carol here"
    dave.wait_for_presence("dev-dave-elsewhere")
    assert dave.presence() == []
    assert dave.presence_line() == "Only you here"

    assert alice.typing_line() == {"text": "", "live": "polite"}
    bob.type_text("Looks good")
    alice.wait_for_typing("Bob is typing…")
    carol.wait_for_typing("Bob is typing…")
    carol.type_text("Agreed")
    alice.wait_for_typing("Bob and Carol are typing…")
    bob.wait_for_typing("Carol is typing…")

    # Nobody sends typing any more: the line clears on its own, TYPING_SHOWN_S after the last.
    cleared_at = alice.wait_for_typing("")
    last_typing = max(event["at"] for event in alice.live_events("typing"))
    shown_for = (cleared_at - last_typing) / 1000
    assert TYPING_SHOWN_S - CLOCK_SLACK_S <= shown_for <= TYPING_SHOWN_S + 2, shown_for

    # Bob goes on typing and sends: his message, not the timer, ends "is typing".
    bob.type_text(" to me")
    alice.wait_for_typing("Bob is typing…")
    bob.send("Looks good to me")
    alice.wait_for_texts("Looks good to me")
    assert alice.typing_line()["text"] == ""

    # Never one's own typing, never another document's.
    assert typists(alice) == {"bob", "carol"}
    assert typists(bob) == {"carol"}
    assert typists(carol) == {"bob"}
    assert dave.live_events("typing") == []
    heard_of = {event["arguments"][0]["documentId"] for event in dave.live_events("presence")}
    assert elsewhere in heard_of
    assert document_id not in heard_of

    closed_at = bob.close()
    assert closed_at is not None
    shown_at = {page.name: page.wait_for_presence("alice", "carol") for page in (alice, carol)}
    event_at = min(
        event["at"]
        for event in alice.live_events("presence")
        if event["at"] >= closed_at
        and "bob" not in {user["id"] for user in event["arguments"][0]["users"]}
    )
    print(
        f"\nBob's tab closed -> Alice got the presence event in {event_at - closed_at:.0f} ms, "
        f"showed it in {shown_at['alice'] - closed_at:.0f} ms "
        f"(Carol showed it in {shown_at['carol'] - closed_at:.0f} ms)"
    )
    assert (max(shown_at.values()) - closed_at) / 1000 < PRESENCE_UPDATE_BOUND_S


def test_typing_is_sent_only_for_text_and_at_most_every_few_seconds(open_page: OpenPage) -> None:
    document_id = new_document_id("throttle")
    alice, bob = open_together(open_page, document_id, "Alice", "Bob")

    # Blank input says nothing: the first typing event goes with the first real character.
    bob.type_text("  ")
    started = bob.type_text("x")
    bob.wait_for_events("sent", "typing", 1)
    [first] = bob.sent_events("typing")
    assert first["at"] >= started
    assert first["arguments"] == [document_id]

    # Steady typing for longer than two intervals: one event per interval, no more.
    bob.type_text("ylophone practice is at noon, bring the sheet music", delay_ms=100)
    sent = [event["at"] for event in bob.sent_events("typing")]
    gaps = [(later - earlier) / 1000 for earlier, later in itertools.pairwise(sent)]
    assert len(sent) >= 2, sent
    assert min(gaps) >= TYPING_EVERY_S - CLOCK_SLACK_S, gaps
    # The server let each through (it drops those closer than 2 s): Alice heard every one.
    alice.wait_for_events("received", "typing", len(sent))
    assert alice.typing_line()["text"] == "Bob is typing…"
