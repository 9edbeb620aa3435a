"""The demo page in headless Chromium against the whole local stack.

Each scenario is what a person would do with the page: chat with someone in the same
document, come back to a document later, lose the live connection for a while. The
assertions read what the page shows; the WebSocket frames each tab received tell a live
delivery from a history or catch-up fetch.
"""

from __future__ import annotations

import pytest

from devstack.stack import LocalStack
from tests.e2e.browser import Page
from tests.e2e.scenario import OpenPage, new_document_id
from tests.e2e.service_route import BOT_ID, post_as_service

pytestmark = pytest.mark.e2e

HISTORY_PAGE_SIZE = 50
MAX_MESSAGE_LENGTH = 4000


def live_texts(page: Page) -> list[str]:
    return [message["text"] for message in page.live_messages()]


def test_two_users_chat_both_ways_and_another_documents_chat_shows_nothing_of_it(
    stack: LocalStack, open_page: OpenPage
) -> None:
    alice, bob, carol = open_page("alice"), open_page("bob"), open_page("carol")
    alice.open("Alice", "launch-plan", via="link")
    bob.open("Bob", "launch-plan", via="link")
    carol.open("Carol", "design-review", via="link")

    opening = "Draft of the launch plan is up. Can you check the timeline section?"
    reply = "On it. Week 3 looks tight, I'll leave comments there."
    alice.send(opening)
    bob.wait_for_texts(opening)
    bob.send(reply)
    alice.wait_for_texts(reply)

    # Both sides write without waiting to see the other's message arrive.
    quick = [
        (alice, "Thanks! I moved the beta to week 4."),
        (bob, "Then QA gets the full week 3."),
        (alice, "Exactly, and marketing starts in week 5."),
        (bob, "Sounds good to me."),
    ]
    for sender, text in quick:
        sender.send(text)
    conversation = [opening, reply, *(text for _, text in quick)]
    for page in (alice, bob):
        page.wait_for_texts(*conversation)

    alice_view, bob_view = alice.messages(), bob.messages()
    assert [m["text"] for m in alice_view] == conversation
    assert [m["text"] for m in bob_view] == conversation
    assert [m["id"] for m in alice_view] == [m["id"] for m in bob_view]
    assert len({m["id"] for m in alice_view}) == len(conversation)
    assert [m["own"] for m in alice_view] == [m["senderId"] == "alice" for m in alice_view]
    assert [m["sender"] for m in bob_view[:2]] == ["Alice", "Bob"]
    # Each side was live before the other wrote, so the other's messages came over SignalR.
    assert set(live_texts(bob)) >= {opening, quick[0][1], quick[2][1]}
    assert set(live_texts(alice)) >= {reply, quick[1][1], quick[3][1]}

    # Carol's document gets a message after all of the above; she sees only that one.
    notice = "Design review moved to Thursday."
    assert post_as_service(stack, "design-review", notice).status_code == 201
    carol.wait_for_texts(notice)
    assert carol.texts() == [notice]
    assert [m["text"] for m in carol.live_messages() if m["documentId"] == "design-review"] == [
        notice
    ]
    # Alice and Bob list design-review: their connections hear it to count it unread in the
    # list, live, but their chat shows nothing of it.
    assert notice not in alice.texts() + bob.texts()


def test_history_is_there_after_a_reload_and_pages_back(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("history")
    earlier = [f"Nightly report {day:02d}" for day in range(1, HISTORY_PAGE_SIZE + 3)]
    for text in earlier:
        assert post_as_service(stack, document_id, text).status_code == 201

    dana = open_page("dana")
    dana.open("Dana Whitaker", document_id)
    mine = "Picking this up again after the break."
    dana.send(mine)
    everything = [*earlier, mine]

    dana.reload()
    dana.wait_live()
    shown = dana.snapshot()
    assert (shown["documentTitle"], shown["user"]) == (document_id, "Dana Whitaker")
    dana.wait_for_texts(mine)
    assert dana.texts() == everything[-HISTORY_PAGE_SIZE:]

    dana.click("load-older")
    dana.wait_for_message_count(len(everything))
    assert dana.texts() == everything
    assert dana.snapshot()["loadOlderShown"] is False
    senders = {(message["senderId"], message["own"]) for message in dana.messages()}
    assert senders == {(BOT_ID, False), ("dev-dana-whitaker", True)}


def test_composer_refuses_empty_and_overlong_text(open_page: OpenPage) -> None:
    alice = open_page("alice")
    alice.open("Alice", new_document_id("composer"))

    blank = alice.composer_state("  \n ")
    # The placeholder asks for a message: no hint repeats it.
    assert blank == {"sendDisabled": True, "hint": ""}
    too_long = alice.composer_state("x" * (MAX_MESSAGE_LENGTH + 1))
    assert too_long["sendDisabled"] is True
    assert too_long["hint"].startswith("1 character over")
    longest = alice.composer_state("x" * MAX_MESSAGE_LENGTH)
    assert longest == {"sendDisabled": False, "hint": "0 characters left"}
    nearly = alice.composer_state("x" * (MAX_MESSAGE_LENGTH - 1))
    assert nearly["hint"] == "1 character left"
    assert alice.composer_state("x" * (MAX_MESSAGE_LENGTH - 2))["hint"] == "2 characters left"


def test_page_reconnects_rejoins_and_catches_up_after_a_realtime_service_outage(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("outage")
    alice = open_page("alice")
    alice.open("Alice", document_id)
    before = "Deploying the release candidate now."
    alice.send(before)

    missed = ["Build 1432 failed: 2 tests red.", "Build 1433 passed."]
    stack.stop_realtime()
    try:
        alice.wait_for_connection("reconnecting", "offline")
        for text in missed:
            response = post_as_service(stack, document_id, text)
            assert response.status_code == 503, response.text
            assert response.json()["error"]["stored"] is True
    finally:
        stack.start_realtime()

    alice.wait_live()
    alice.wait_for_texts(*missed)
    assert alice.texts() == [before, *missed]

    after = "Release candidate is live."
    assert post_as_service(stack, document_id, after).status_code == 201
    alice.wait_for_texts(after)
    assert alice.texts() == [before, *missed, after]
    # Missed messages came by catch-up; the new one live, over the re-joined connection.
    assert after in live_texts(alice)
    assert not set(missed) & set(live_texts(alice))
