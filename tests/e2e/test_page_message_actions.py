"""Editing, deleting and reacting in the demo page, and read markers, between real users.

Each change travels as the server's ``messageUpdated``/``messageDeleted`` event (a reaction:
``reactionsChanged``, the reactions alone) to the others
in the document, or, for a page that was offline, comes with its catch-up: the WebSocket
frames each tab received tell the two apart.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from devstack.stack import LocalStack
from tests.e2e.browser import Page
from tests.e2e.scenario import (
    OpenPage,
    as_user,
    document_path,
    new_document_id,
    open_together,
)
from tests.e2e.service_route import post_as_service

pytestmark = pytest.mark.e2e

THUMBS_UP = "👍"


def shown(page: Page, text: str) -> dict[str, Any]:
    """The message shown with this text."""
    return next(message for message in page.messages() if message["text"] == text)


def wait_for_message(page: Page, message_id: str, what: str, condition: str) -> None:
    """Waits until ``condition`` (JavaScript, about ``item``: the message's element) holds."""
    found = f"document.querySelector('[data-testid=message][data-id={json.dumps(message_id)}]')"
    page.wait_for(
        f"message {message_id} {what}",
        f"(() => {{ const item = {found}; return item !== null && ({condition}); }})()",
    )


def wait_for_text(page: Page, message_id: str, text: str) -> None:
    wait_for_message(
        page,
        message_id,
        f"reading {text!r}",
        f"item.querySelector('[data-testid=message-text]').textContent === {json.dumps(text)}",
    )


def wait_for_reaction(page: Page, message_id: str, emoji: str, count: int) -> None:
    chips = "[...item.querySelectorAll('[data-testid=reaction]')]"
    found = f"{chips}.find((chip) => chip.dataset.react === {json.dumps(emoji)})"
    wait_for_message(
        page,
        message_id,
        f"with {count} x {emoji}",
        f"({found}?.querySelector('.reaction-count').textContent ?? '0') === '{count}'",
    )


def react(page: Page, message_id: str, emoji: str) -> None:
    """Opens the message's reaction picker and picks ``emoji``."""
    page.click_in_message(message_id, "[data-testid=react-message]")
    page.click_in_message(message_id, f"[data-testid=reaction-choice][data-react='{emoji}']")


def edit(page: Page, message_id: str, text: str) -> None:
    page.click_in_message(message_id, "[data-testid=edit-message]")
    page.fill("[data-testid=edit-text]", text)
    page.press("[data-testid=edit-text]", "Enter")


def delete(page: Page, message_id: str) -> None:
    page.click_in_message(message_id, "[data-testid=delete-message]")
    page.click_in_message(message_id, "[data-testid=confirm-delete]")


def live_ids(page: Page, target: str) -> set[str]:
    return {event["arguments"][0]["id"] for event in page.live_events(target)}


def test_edit_delete_and_react_reach_the_other_page_live(open_page: OpenPage) -> None:
    document_id = new_document_id("actions")
    alice, bob = open_together(open_page, document_id, "Alice", "Bob")
    alice.send("The plan is at https://example.org/plan?v=2.")
    alice.send("Ship on Friday")
    alice.send("<img src=x onerror=alert(1)> is just text")
    bob.wait_for_texts("Ship on Friday", "<img src=x onerror=alert(1)> is just text")
    plan, ship, markup = (message["id"] for message in bob.messages())

    # Only the author may edit and delete; anyone may react and reply (in the thread).
    assert shown(alice, "Ship on Friday")["actions"] == [
        "React",
        "Reply in thread",
        "Edit",
        "Delete",
        "More actions",
    ]
    assert shown(bob, "Ship on Friday")["actions"] == ["React", "Reply in thread", "More actions"]

    edit(alice, ship, "Ship on Monday")
    wait_for_text(bob, ship, "Ship on Monday")
    assert shown(bob, "Ship on Monday")["edited"] is True

    react(bob, plan, THUMBS_UP)
    wait_for_reaction(alice, plan, THUMBS_UP, 1)
    # Alice's chip adds hers; clicking it again takes it back.
    alice.click_in_message(plan, "[data-testid=reaction]")
    wait_for_reaction(bob, plan, THUMBS_UP, 2)
    assert shown(alice, "The plan is at https://example.org/plan?v=2.")["reactions"] == [
        {"emoji": THUMBS_UP, "count": 2, "mine": True}
    ]
    alice.click_in_message(plan, "[data-testid=reaction]")
    wait_for_reaction(bob, plan, THUMBS_UP, 1)
    assert shown(bob, "The plan is at https://example.org/plan?v=2.")["reactions"] == [
        {"emoji": THUMBS_UP, "count": 1, "mine": True}
    ]

    delete(alice, markup)
    wait_for_text(bob, markup, "Message deleted")
    tombstone = next(message for message in bob.messages() if message["id"] == markup)
    assert (tombstone["deleted"], tombstone["actions"], tombstone["reactions"]) == (True, [], [])

    assert live_ids(bob, "messageUpdated") == {ship}
    assert live_ids(bob, "reactionsChanged") == {plan}
    assert all("text" not in event["arguments"][0] for event in bob.live_events("reactionsChanged"))
    assert live_ids(bob, "messageDeleted") == {markup}

    # The link is a link (sentence punctuation left out), the markup only text.
    [link] = shown(bob, "The plan is at https://example.org/plan?v=2.")["links"]
    assert link == {
        "href": "https://example.org/plan?v=2",
        "text": "https://example.org/plan?v=2",
        "target": "_blank",
        "rel": "noopener noreferrer",
    }
    assert bob.evaluate("document.querySelectorAll('.message-list img').length") == 0


def test_changes_made_while_a_page_is_offline_arrive_with_its_catch_up(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("offline-changes")
    bob = open_page("bob")
    bob.open("Bob", document_id)
    posted = [
        as_user(stack, "alice", "POST", document_path(document_id, "messages"), {"text": text})
        for text in ("Draft one", "Draft two", "Draft three")
    ]
    first, second, third = (response.json()["id"] for response in posted)
    bob.wait_for_texts("Draft one", "Draft two", "Draft three")

    stack.stop_realtime()
    try:
        bob.wait_for_connection("reconnecting", "offline")
        changes = [
            ("PATCH", document_path(document_id, "messages", first), {"text": "Final one"}),
            ("DELETE", document_path(document_id, "messages", second), None),
            ("PUT", document_path(document_id, "messages", third, "reactions", "🎉"), None),
        ]
        for method, path, body in changes:
            # Kept, though nobody could be told live: 200, or 503 saying it is stored.
            answer = as_user(stack, "alice", method, path, body)
            kept = answer.status_code == 200 or answer.json()["error"]["stored"] is True
            assert kept, answer.text
    finally:
        stack.start_realtime()

    bob.wait_live()
    wait_for_text(bob, first, "Final one")
    wait_for_text(bob, second, "Message deleted")
    wait_for_reaction(bob, third, "🎉", 1)
    assert [message["text"] for message in bob.messages()] == [
        "Final one",
        "Message deleted",
        "Draft three",
    ]
    # None of it came live: the catch-up brought it.
    assert bob.live_events("messageUpdated") == bob.live_events("messageDeleted") == []
    assert bob.live_events("reactionsChanged") == []


def read_status(stack: LocalStack, user_id: str, document_id: str) -> dict[str, int]:
    answer = as_user(stack, user_id, "GET", document_path(document_id, "read"))
    status: dict[str, int] = answer.json()
    return status


def test_unread_divider_title_count_jump_button_and_read_marker(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("unread")
    for number in range(1, 31):
        assert post_as_service(stack, document_id, f"Earlier note {number}").status_code == 201
    assert as_user(stack, "bob", "PUT", document_path(document_id, "read"), {"seq": 28}).ok

    bob = open_page("bob")
    bob.open("Bob", document_id)
    # The divider sits above the first message unread when the document opened.
    divider_next = (
        "document.querySelector('[data-testid=unread-divider]')"
        "?.nextElementSibling?.querySelector('[data-testid=message-text]')?.textContent"
    )
    assert bob.evaluate(divider_next) == "Earlier note 29"
    # Bob is at the bottom, so he has seen them all: the marker moves on, the title has no count.
    jump = "document.querySelector('[data-testid=jump-to-new]')"
    bob.wait_for("no unread count in the title", "!document.title.startsWith('(')")
    bob.wait_for("the jump button hidden", f"{jump}.hidden")

    # Scrolled up, new messages count as unread: in the title and on the jump button.
    bob.evaluate("document.querySelector('[data-testid=messages]').scrollTop = 0")
    for text in ("Fresh news", "More fresh news"):
        assert post_as_service(stack, document_id, text).status_code == 201
    bob.wait_for("2 unread in the title", "document.title.startsWith('(2) ')")
    bob.wait_for(
        "the jump button", f"!{jump}.hidden && {jump}.textContent.includes('2 new messages')"
    )
    assert read_status(stack, "bob", document_id)["seq"] == 30

    bob.click("jump-to-new")
    bob.wait_for("no unread count after the jump", "!document.title.startsWith('(')")
    bob.wait_for("the jump button gone", f"{jump}.hidden")
    # The page tells the server (at most once a second).
    bob.wait_for_api_call("PUT", f"/api/documents/{document_id}/read", {"seq": 32})
    assert read_status(stack, "bob", document_id) == {"seq": 32, "unread": 0}
