"""The thread panel between real users (issue 21): replying in a thread from its root, the
reply counts and participants on the root, resolving and reopening, the anchor's quote above
the root, the open/resolved filter over the threads route, replies made while a page was
offline arriving with its catch-up, and the panel accessible (axe-core) at phone and desktop
sizes, light and dark, a full-screen sheet on a phone.

The replies reach the other page as ``newMessage`` with ``threadId`` and the root's new summary
as ``messageUpdated``; the WebSocket frames each tab received tell live from catch-up.
test_page_webpubsub runs the live and catch-up tests again on Web PubSub.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from devstack.stack import LocalStack
from tests.e2e.browser import Page
from tests.e2e.scenario import (
    DESKTOP,
    PHONE,
    OpenPage,
    as_user,
    document_path,
    new_document_id,
    open_together,
)

pytestmark = pytest.mark.e2e

THREAD_TEXTS = (
    "[...document.querySelectorAll('[data-testid=thread-message]')]"
    ".map((item) => item.querySelector('[data-testid=message-text]').textContent)"
)
THREAD_STATE = "document.querySelector('[data-testid=thread-state]').textContent"
CARDS = "[...document.querySelectorAll('[data-testid=thread-card]')]"


def post(stack: LocalStack, user_id: str, document_id: str, body: dict[str, Any]) -> str:
    """Posts a message (``replyTo``, ``anchor`` as given) as ``user_id``; its id."""
    answer = as_user(stack, user_id, "POST", document_path(document_id, "messages"), body)
    assert answer.status_code == 201, answer.text
    message_id: str = answer.json()["id"]
    return message_id


def set_resolved(stack: LocalStack, user_id: str, document_id: str, root_id: str, on: bool) -> None:
    path = document_path(document_id, "threads", root_id, "resolved")
    answer = as_user(stack, user_id, "PUT", path, {"resolved": on})
    assert answer.status_code == 200, answer.text


def as_js_json(value: Any) -> str:
    """``value`` as the page's JSON.stringify writes it: no spaces after separators."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def thread_texts(page: Page) -> list[str]:
    """The open thread's messages, top to bottom: the root, then its replies."""
    texts: list[str] = page.evaluate(THREAD_TEXTS)
    return texts


def wait_for_thread(page: Page, *texts: str) -> None:
    """Waits until the open thread shows exactly ``texts`` (root first), each one sent."""
    page.wait_for(
        f"the thread showing {texts}",
        f"(() => {{ const items = [...document.querySelectorAll('[data-testid=thread-message]')];"
        f" return JSON.stringify({THREAD_TEXTS}) === {json.dumps(as_js_json(list(texts)))}"
        " && items.every((item) => item.dataset.status === 'sent'); })()",
    )


def wait_for_summary(page: Page, root_id: str, label: str, participants: list[str]) -> None:
    """Waits until the root's thread button in the timeline reads ``label`` with these
    participants' avatars (user ids, most recent first)."""
    button = (
        f"document.querySelector('[data-testid=message][data-id={json.dumps(root_id)}]"
        " [data-testid=open-thread]')"
    )
    avatars = (
        f"[...{button}.querySelectorAll('[data-testid=participant]')]"
        ".map((avatar) => avatar.dataset.userId)"
    )
    wanted = json.dumps(as_js_json(participants))
    page.wait_for(
        f"root {root_id} showing {label!r} from {participants}",
        f"{button} !== null && {button}.querySelector('.thread-summary-count').textContent"
        f" === {json.dumps(label)} && JSON.stringify({avatars}) === {wanted}",
    )


def reply(page: Page, text: str) -> None:
    """Replies in the open thread with the panel's reply box, and waits for it to be sent."""
    page.fill("[data-testid=reply-input]", text)
    page.press("[data-testid=reply-input]", "Enter")
    page.wait_for(
        f"the reply {text!r} sent",
        "[...document.querySelectorAll('[data-testid=thread-message]')].some((item) =>"
        " item.dataset.status === 'sent' &&"
        f" item.querySelector('[data-testid=message-text]').textContent === {json.dumps(text)})",
    )


def wait_for_state(page: Page, state: str) -> None:
    page.wait_for(f"the thread {state!r}", f"{THREAD_STATE} === {json.dumps(state)}")


def test_reply_resolve_and_reopen_reach_the_other_page_live(open_page: OpenPage) -> None:
    document_id = new_document_id("threads")
    alice, bob = open_together(open_page, document_id, "Alice", "Bob")
    alice.send("Can QA start in week 3?")
    bob.wait_for_texts("Can QA start in week 3?")
    [root] = bob.messages()

    # Bob replies from the root: the panel opens on its thread.
    bob.click_in_message(root["id"], "[data-testid=reply-message]")
    wait_for_thread(bob, "Can QA start in week 3?")
    reply(bob, "Yes, if the beta moves to week 4.")
    wait_for_summary(alice, root["id"], "1 reply", ["bob"])

    alice.click_in_message(root["id"], "[data-testid=open-thread]")
    wait_for_thread(alice, "Can QA start in week 3?", "Yes, if the beta moves to week 4.")
    reply(alice, "Moved it.")
    wait_for_thread(
        bob, "Can QA start in week 3?", "Yes, if the beta moves to week 4.", "Moved it."
    )
    wait_for_summary(bob, root["id"], "2 replies", ["alice", "bob"])

    bob.click("thread-resolve")
    wait_for_state(alice, "Resolved by Bob")
    wait_for_summary(alice, root["id"], "2 replies · Resolved", ["alice", "bob"])
    alice.click("thread-resolve")
    wait_for_state(bob, "Open")
    wait_for_summary(bob, root["id"], "2 replies", ["alice", "bob"])

    # The timeline shows the root alone; the replies came live with their thread's id.
    for page in (alice, bob):
        assert page.texts() == ["Can QA start in week 3?"]
    replies = [
        message["text"] for message in bob.live_messages() if message.get("threadId") == root["id"]
    ]
    assert sorted(replies) == ["Moved it.", "Yes, if the beta moves to week 4."]
    updated = [event["arguments"][0] for event in bob.live_events("messageUpdated")]
    assert {message["id"] for message in updated} == {root["id"]}
    assert [message["thread"]["resolved"] for message in updated][-2:] == [True, False]


def test_anchor_quote_and_the_open_and_resolved_filter(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("thread-filter")
    anchor = {"kind": "text", "from": 120, "to": 180, "quote": "QA starts in week 3"}
    anchored = post(stack, "bob", document_id, {"text": "Is this still true?", "anchor": anchor})
    busy = post(stack, "bob", document_id, {"text": "Who owns the launch email?"})
    post(stack, "carol", document_id, {"text": "I do.", "replyTo": busy})
    settled = post(stack, "carol", document_id, {"text": "Budget approved?"})
    post(stack, "bob", document_id, {"text": "Approved.", "replyTo": settled})
    set_resolved(stack, "bob", document_id, settled, True)
    post(stack, "bob", document_id, {"text": "Plain note"})

    alice = open_page("alice")
    alice.open("Alice", document_id)
    alice.wait_for_message_count(4)
    quote = (
        f"document.querySelector('[data-testid=message][data-id={json.dumps(anchored)}]"
        " [data-testid=anchor-quote]')?.textContent"
    )
    assert alice.evaluate(quote) == "QA starts in week 3"

    # Open threads, latest activity first: the reply to `busy` came after `anchored` was posted.
    alice.click("threads-toggle")
    alice.wait_for("two open threads", f"{CARDS}.length === 2")
    assert alice.evaluate(f"{CARDS}.map((card) => card.dataset.rootId)") == [busy, anchored]
    alice.click("thread-filter-resolved")
    alice.wait_for("one resolved thread", f"{CARDS}.length === 1")
    alice.click_selector(f"[data-testid=thread-card][data-root-id={json.dumps(settled)}]")
    wait_for_thread(alice, "Budget approved?", "Approved.")
    wait_for_state(alice, "Resolved by Bob")

    # Reopened, it leaves the resolved list at once.
    alice.click("thread-resolve")
    wait_for_state(alice, "Open")
    alice.click("thread-back")
    alice.wait_for(
        "no resolved threads",
        f"{CARDS}.length === 0 && document.querySelector('[data-testid=thread-list-empty]')"
        ".textContent === 'No resolved threads.'",
    )
    alice.click("thread-filter-open")
    alice.wait_for("three open threads", f"{CARDS}.length === 3")

    # The anchored thread shows its quote above the root in the panel too.
    alice.click_selector(f"[data-testid=thread-card][data-root-id={json.dumps(anchored)}]")
    wait_for_thread(alice, "Is this still true?")
    in_panel = (
        "document.querySelector('[data-testid=thread-message] [data-testid=anchor-quote]')"
        "?.textContent"
    )
    assert alice.evaluate(in_panel) == "QA starts in week 3"
    # Closed, focus goes back to where the panel was opened from.
    alice.click("thread-close")
    alice.wait_for("the panel closed", "document.querySelector('#thread-panel').hidden")
    assert alice.evaluate("document.activeElement.dataset.testid") == "threads-toggle"


def test_replies_made_while_a_page_is_offline_arrive_with_its_catch_up(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("thread-offline")
    root = post(stack, "alice", document_id, {"text": "Release notes draft"})
    post(stack, "alice", document_id, {"text": "First pass done.", "replyTo": root})
    bob = open_page("bob")
    bob.open("Bob", document_id)
    bob.click_in_message(root, "[data-testid=open-thread]")
    wait_for_thread(bob, "Release notes draft", "First pass done.")

    stack.stop_realtime()
    try:
        bob.wait_for_connection("reconnecting", "offline")
        for text in ("Second pass done.", "Typos fixed.", "Ready."):
            # Kept, though nobody could be told live: 201, or 503 saying it is stored.
            body = {"text": text, "replyTo": root}
            answer = as_user(stack, "alice", "POST", document_path(document_id, "messages"), body)
            assert answer.status_code == 201 or answer.json()["error"]["stored"] is True
        path = document_path(document_id, "threads", root, "resolved")
        answer = as_user(stack, "carol", "PUT", path, {"resolved": True})
        assert answer.status_code == 200 or answer.json()["error"]["stored"] is True
    finally:
        stack.start_realtime()

    bob.wait_live()
    replies = ("First pass done.", "Second pass done.", "Typos fixed.", "Ready.")
    wait_for_thread(bob, "Release notes draft", *replies)
    wait_for_state(bob, "Resolved by Carol")
    wait_for_summary(bob, root, "4 replies · Resolved", ["alice"])
    assert bob.texts() == ["Release notes draft"]
    # None of it came live: the catch-up brought it.
    assert bob.live_events("newMessage") == bob.live_events("messageUpdated") == []


def covers_the_screen(page: Page, selector: str) -> bool:
    result: bool = page.evaluate(
        f"(() => {{ const box = document.querySelector({json.dumps(selector)})"
        ".getBoundingClientRect(); return box.top === 0 && box.left === 0"
        " && box.width === window.innerWidth && box.height === window.innerHeight; })()"
    )
    return result


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_thread_panel_has_no_serious_accessibility_violations(
    stack: LocalStack, open_page: OpenPage, size: str, scheme: str
) -> None:
    document_id = new_document_id("thread-axe")
    anchor = {"kind": "text", "from": 3, "to": 40, "quote": "The beta moves to week 4"}
    root = post(stack, "bob", document_id, {"text": "Does QA agree?", "anchor": anchor})
    post(stack, "carol", document_id, {"text": "Yes.", "replyTo": root})
    resolved = post(stack, "carol", document_id, {"text": "Settled question"})
    set_resolved(stack, "bob", document_id, resolved, True)

    viewport = PHONE if size == "phone" else DESKTOP
    alice = open_page("alice", **viewport, color_scheme=scheme)
    alice.open("Alice", document_id)
    alice.wait_for_message_count(2)
    assert alice.accessibility_violations() == []

    alice.click("threads-toggle")
    alice.wait_for("one open thread", f"{CARDS}.length === 1")
    assert alice.accessibility_violations() == []

    alice.click_selector(f"[data-testid=thread-card][data-root-id={json.dumps(root)}]")
    wait_for_thread(alice, "Does QA agree?", "Yes.")
    assert alice.evaluate("document.activeElement.id") == "thread-panel-title"
    assert alice.accessibility_violations() == []
    if size == "phone":
        # A full-screen sheet, its reply box in view; what it covers takes no focus.
        assert covers_the_screen(alice, "#thread-panel")
        assert alice.evaluate("document.querySelector('#chat').inert") is True
        reply(alice, "Typed on a phone")
        box = alice.evaluate(
            "(() => { const b = document.querySelector('[data-testid=reply-button]')"
            ".getBoundingClientRect(); return b.bottom <= window.innerHeight && b.top >= 0; })()"
        )
        assert box is True

    # Escape closes the panel and gives focus back to the button that opened it.
    alice.press("[data-testid=reply-input]", "Escape")
    alice.wait_for("the panel closed", "document.querySelector('#thread-panel').hidden")
    assert alice.evaluate("document.activeElement.dataset.testid") == "threads-toggle"
    assert alice.evaluate("document.querySelector('#chat').inert") is False
