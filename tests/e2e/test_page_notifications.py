"""Mentions, the bell and the inbox in the demo page (issue 22, item 7), between real users of
the whole stack: the ``@`` autocomplete offering the people route's people, the send carrying
``mentions``, the mention marked in the message (the reader's own more), the other user's bell
counting the ``notification`` event live on another document, the inbox item jumping to the
message (opening its document) or into its thread, marking read one and all; the inbox
accessible (axe-core) at phone size, dark, and on a desktop, light.

These need the server side of issue 22 (mentions on sends, ``GET /api/documents/{id}/people``,
the inbox routes, the outbox's fan-out and the user-targeted ``notification`` event).
test_page_webpubsub runs the live test again on Web PubSub.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
import requests

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

COMPOSER = "[data-testid=composer-input]"
REPLY_BOX = "[data-testid=reply-input]"
BELL_COUNT = "document.querySelector('[data-testid=bell-count]')"
INBOX_ITEMS = "[...document.querySelectorAll('[data-testid=inbox-item]')]"
# What encodeURIComponent leaves as it is, besides what quote() leaves.
SAFE = "!*'()"


def wait_for_bell(page: Page, count: int) -> None:
    """Waits until the bell shows ``count`` unread (no badge for none) and its name says so."""
    name = "Notifications" if count == 0 else f"Notifications, {count} unread"
    badge = (
        f"{BELL_COUNT}.hidden"
        if count == 0
        else f"!{BELL_COUNT}.hidden && {BELL_COUNT}.textContent === '{count}'"
    )
    page.wait_for(
        f"the bell showing {count}",
        f"{badge} && document.querySelector('#bell-label').textContent === {json.dumps(name)}",
    )


def mention_with_autocomplete(page: Page, box: str, typed: str, user_id: str) -> None:
    """Types ``typed`` (ending in ``@`` and a name's start) into ``box``, waits until ``user_id``
    is offered as the active option of the listbox the box controls, and takes it with Enter."""
    page.fill(box, typed)
    textarea = f"document.querySelector({json.dumps(box)})"
    page.wait_for(
        f"{user_id} offered and active",
        f"(() => {{ const option = document.querySelector("
        f"'[role=option][data-user-id={json.dumps(user_id)}]'); const box = {textarea};"
        " return option !== null && option.getAttribute('aria-selected') === 'true'"
        " && box.getAttribute('aria-activedescendant') === option.id"
        " && document.getElementById(box.getAttribute('aria-controls')).contains(option)"
        " && !document.getElementById(box.getAttribute('aria-controls')).hidden; })()",
    )
    page.press(box, "Enter")
    page.wait_for(
        "the list closed after the pick",
        f"{textarea}.getAttribute('aria-activedescendant') === null",
    )


def message_row(message_id: str) -> str:
    """JavaScript: the timeline's row of the message with this id."""
    return f"document.querySelector('[data-testid=message][data-id={json.dumps(message_id)}]')"


def inbox_items(page: Page) -> list[dict[str, Any]]:
    """The inbox panel's items, top to bottom: id, unread, and their text."""
    items: list[dict[str, Any]] = page.evaluate(
        f"{INBOX_ITEMS}.map((item) => ({{ id: item.dataset.id, kind: item.dataset.kind,"
        " unread: item.dataset.unread === 'true', text: item.textContent }))"
    )
    return items


def notifications_of(stack: LocalStack, user_id: str) -> dict[str, Any]:
    """``GET /api/me/notifications`` as ``user_id``."""
    answer = requests.get(
        f"{stack.base_url}/api/me/notifications",
        params={"unread": "false"},
        headers={
            "x-ms-client-principal-id": user_id,
            "x-ms-client-principal-name": user_id.capitalize(),
        },
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def stored_message(stack: LocalStack, document_id: str, text: str) -> dict[str, Any]:
    """The newest stored message with ``text``, as the history route answers it."""
    answer = as_user(stack, "alice", "GET", document_path(document_id, "messages"))
    assert answer.status_code == 200, answer.text
    [message] = [item for item in answer.json()["items"] if item.get("text") == text]
    return dict(message)


def post(stack: LocalStack, user_id: str, document_id: str, body: dict[str, Any]) -> str:
    answer = as_user(stack, user_id, "POST", document_path(document_id, "messages"), body)
    assert answer.status_code == 201, answer.text
    message_id: str = answer.json()["id"]
    return message_id


def assert_accessible(page: Page) -> None:
    assert page.accessibility_violations() == []


def test_a_mention_lights_the_others_bell_live_and_the_inbox_jumps_to_the_message(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("mentions")
    elsewhere = new_document_id("elsewhere")
    alice = open_page("alice", **DESKTOP)
    bob = open_page("bob", **PHONE, color_scheme="dark")
    alice.open("Alice", document_id)
    bob.open("Bob", document_id)
    # Bob speaks here, then reads another document: he is still offered (a recent sender),
    # and his notification reaches him there.
    bob.send("I'll look at the plan later")
    bob.open("Bob", elsewhere)
    alice.wait_for_presence("alice")
    wait_for_bell(bob, 0)

    mention_with_autocomplete(alice, COMPOSER, "Plan is ready, @bo", "bob")
    text = "Plan is ready, @Bob please review"
    assert (
        alice.evaluate(f"document.querySelector({json.dumps(COMPOSER)}).value")
        == "Plan is ready, @Bob "
    )
    alice.type_text("please review")
    alice.press(COMPOSER, "Enter")
    alice.wait_for_status(text, "sent")
    message = stored_message(stack, document_id, text)
    assert message["mentions"] == ["bob"]
    [shown] = [row for row in alice.messages() if row["text"] == text]
    assert shown["id"] == message["id"]
    alice.wait_for(
        "the mention of Bob marked in Alice's copy, not as hers",
        f"(() => {{ const row = {message_row(message['id'])};"
        " const marks = [...row.querySelectorAll('[data-testid=mention]')];"
        " return row.dataset.mentionsMe === 'false' && marks.length === 1"
        " && marks[0].textContent === '@Bob' && !marks[0].classList.contains('mention-me'); })()",
    )

    # Live, on the other document: the bell counts it.
    bob.wait_for_events("received", "notification", 1)
    [event] = bob.live_events("notification")
    item = event["arguments"][0]
    assert {
        key: item[key] for key in ("kind", "documentId", "messageId", "threadId", "readAt")
    } == {
        "kind": "mention",
        "documentId": document_id,
        "messageId": message["id"],
        "threadId": None,
        "readAt": None,
    }
    wait_for_bell(bob, 1)
    assert (
        bob.evaluate("document.querySelector('#inbox-announcer').textContent")
        == f"Alice mentioned you in {document_id}"
    )

    bob.click("bell")
    bob.wait_for("the inbox showing one item", f"{INBOX_ITEMS}.length === 1")
    [listed] = inbox_items(bob)
    assert listed["id"] == item["id"]
    assert listed["unread"] is True
    assert listed["kind"] == "mention"
    assert "Alice mentioned you" in listed["text"]
    assert text in listed["text"]
    assert document_id in listed["text"]
    assert bob.evaluate("document.activeElement.id") == "inbox-title"
    assert_accessible(bob)

    # The item opens the document and focuses the message, and is read from then on.
    bob.click_selector(f"[data-testid=inbox-item][data-id={json.dumps(item['id'])}]")
    bob.wait_for(
        "the message focused in its document, the inbox closed",
        f"new URLSearchParams(location.hash.slice(1)).get('doc') === {json.dumps(document_id)}"
        f" && document.activeElement?.dataset.id === {json.dumps(message['id'])}"
        " && document.querySelector('[data-testid=inbox-panel]').hidden",
    )
    bob.wait_for(
        "Bob's own mention standing out",
        f"(() => {{ const row = {message_row(message['id'])};"
        " const mark = row.querySelector('[data-testid=mention]');"
        " return row.dataset.mentionsMe === 'true' && mark.classList.contains('mention-me'); })()",
    )
    wait_for_bell(bob, 0)
    # The id as the page writes it into the path (encodeURIComponent).
    bob.wait_for_api_call("PUT", f"/api/me/notifications/{quote(item['id'], safe=SAFE)}/read", None)
    stored = notifications_of(stack, "bob")
    assert stored["unreadCount"] == 0
    assert stored["items"][0]["readAt"] is not None
    assert_accessible(bob)


def test_replies_in_a_thread_notify_its_root_author_and_the_inbox_opens_the_thread(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("reply-notes")
    [alice] = open_together(open_page, document_id, "Alice")
    root = post(stack, "alice", document_id, {"text": "Who owns the risks list?"})
    alice.wait_for_texts("Who owns the risks list?")
    wait_for_bell(alice, 0)

    first = post(stack, "bob", document_id, {"text": "I can take it", "replyTo": root})
    post(stack, "carol", document_id, {"text": "I'll help", "replyTo": root})
    wait_for_bell(alice, 2)

    alice.click("bell")
    alice.wait_for("the inbox showing two items", f"{INBOX_ITEMS}.length === 2")
    items = inbox_items(alice)
    # Newest first.
    assert [
        ("Carol replied" in entry["text"], "Bob replied" in entry["text"]) for entry in items
    ] == [
        (True, False),
        (False, True),
    ]
    assert all(entry["unread"] and entry["kind"] == "reply" for entry in items)
    assert_accessible(alice)

    alice.click("inbox-mark-all")
    wait_for_bell(alice, 0)
    alice.wait_for(
        "every item read", f"{INBOX_ITEMS}.every((item) => item.dataset.unread === 'false')"
    )
    alice.wait_for_api_call("PUT", "/api/me/notifications/read-all", None)
    assert notifications_of(stack, "alice")["unreadCount"] == 0

    # Bob's reply's item opens its thread, the reply focused.
    alice.click_selector(f"[data-testid=inbox-item][data-id={json.dumps(items[1]['id'])}]")
    alice.wait_for(
        "the thread open on Bob's reply",
        "!document.querySelector('[data-testid=thread-panel]').hidden"
        " && !document.querySelector('[data-testid=thread-view]').hidden"
        f" && document.activeElement?.dataset.id === {json.dumps(first)}",
    )

    # A mention from the reply box: Bob is offered (a recent sender, not here) and the reply
    # carries him.
    mention_with_autocomplete(alice, REPLY_BOX, "Thanks @B", "bob")
    alice.press(REPLY_BOX, "Enter")
    alice.wait_for(
        "the reply sent",
        "[...document.querySelectorAll('[data-testid=thread-message]')].some((row) =>"
        " row.dataset.status === 'sent' && row.querySelector('[data-testid=message-text]')"
        ".textContent === 'Thanks @Bob')",
    )
    answer = as_user(stack, "alice", "GET", document_path(document_id, "threads", root))
    assert answer.status_code == 200, answer.text
    [thanks] = [entry for entry in answer.json()["items"] if entry.get("text") == "Thanks @Bob"]
    assert thanks["mentions"] == ["bob"]


def test_the_inbox_is_keyboard_reachable_and_accessible_at_desktop_size(
    open_page: OpenPage,
) -> None:
    document_id = new_document_id("inbox-keys")
    # Someone no other test mentions: the inbox is empty.
    [dana] = open_together(open_page, document_id, "Dana Keys")
    dana.press("[data-testid=bell]", "Enter")
    dana.wait_for(
        "the inbox open, its title focused", "document.activeElement.id === 'inbox-title'"
    )
    dana.wait_for(
        "the inbox loaded",
        "document.querySelector('[data-testid=inbox-empty]').textContent"
        " === 'No notifications yet.'",
    )
    assert_accessible(dana)
    dana.press("#inbox-title", "Escape")
    dana.wait_for(
        "the inbox closed, focus back on the bell",
        "document.querySelector('[data-testid=inbox-panel]').hidden"
        " && document.activeElement.dataset.testid === 'bell'"
        " && document.activeElement.getAttribute('aria-expanded') === 'false'",
    )
