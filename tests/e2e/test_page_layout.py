"""The demo page as people on any screen meet it: accessible (axe-core) at phone and desktop
sizes, light and dark; the composer in view on a phone; one document-id rule with the API and
a clear word for an invalid link; a user picker that arrow keys do not flip through. The
README's screenshots are taken here.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from chat.domain.errors import InvalidRequest
from chat.domain.messages import check_document_id
from devstack.stack import LocalStack
from tests.e2e.browser import Page
from tests.e2e.scenario import (
    DESKTOP,
    PHONE,
    OpenPage,
    as_user,
    document_path,
    new_document_id,
    screenshot_path,
)
from tests.e2e.service_route import post_as_service

pytestmark = pytest.mark.e2e

# The page's sample documents (web/js/documents.js), whose unread counts it reads.
SAMPLE_DOCUMENT_IDS = ("launch-plan", "design-review", "onboarding-guide")

# Ids on both sides of every part of the rule, sent to the page's validator and the API's.
DOCUMENT_IDS = [
    "launch-plan",
    "Q3 budget (draft)",
    "日本語の文書",
    "émoji-🎉",
    "x" * 255,
    "x" * 256,
    "🎉" * 255,
    "🎉" * 256,
    "",
    "_private",
    "mid_underscore",
    "a/b",
    "a\\b",
    "why?",
    "no#1",
    "tab\there",
    "zero\u200bwidth",
    "bidi\u202eflip",
    "private\ue000use",
    "lone\ud800surrogate",
    "line\nbreak",
    # Issue 26: ids a path would change.
    ".",
    "..",
    "...",
    " lead",
    "trail ",
    "line\u2028separator",
    "\ufffd",
    "%2E%2E",
    "50% off",
    "e\u0301",
    "\u00e9",
]


def api_accepts(document_id: str) -> bool:
    try:
        check_document_id(document_id)
    except InvalidRequest:
        return False
    return True


def conversation(stack: LocalStack, document_id: str, people: tuple[str, str, str]) -> None:
    """A short chat between the first two ``people`` with a link, an edit, a deletion and
    reactions, one from the third. Posts and changes count against their user's posting rate,
    so each run brings people of its own."""
    alice, bob, carol = people

    def say(user_id: str, text: str) -> str:
        path = document_path(document_id, "messages")
        answer = as_user(stack, user_id, "POST", path, {"text": text})
        assert answer.status_code == 201, answer.text
        message_id: str = answer.json()["id"]
        return message_id

    def change(user_id: str, method: str, *parts: str, body: object = None) -> None:
        answer = as_user(stack, user_id, method, document_path(document_id, *parts), body)
        assert answer.status_code == 200, answer.text

    brief = say(alice, "The launch brief is up: https://example.org/launch-brief")
    timeline = say(bob, "Thanks! Week 3 looks tight, can QA start earlier?")
    say(alice, "Yes, I moved the beta to week 4 so QA gets all of week 3.")
    change(bob, "PATCH", "messages", timeline, body={"text": "Thanks! Week 3 looks tight."})
    oops = say(bob, "Wrong thread, sorry")
    change(bob, "DELETE", "messages", oops)
    for user_id, emoji in ((bob, "👍"), (carol, "👍"), (bob, "🎉")):
        change(user_id, "PUT", "messages", brief, "reactions", emoji)
    assert post_as_service(stack, document_id, "Build 1432 passed.").status_code == 201


def in_view(page: Page, selector: str) -> bool:
    """Whether what ``selector`` finds lies wholly inside the viewport."""
    result: bool = page.evaluate(
        f"(() => {{ const box = document.querySelector({json.dumps(selector)})"
        ".getBoundingClientRect(); return box.top >= 0 && box.left >= 0"
        " && box.bottom <= window.innerHeight && box.right <= window.innerWidth; })()"
    )
    return result


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_no_serious_accessibility_violations(
    stack: LocalStack, open_page: OpenPage, size: str, scheme: str
) -> None:
    document_id = new_document_id("axe")
    conversation(stack, document_id, (f"{size}-{scheme}-a", f"{size}-{scheme}-b", "carol"))
    viewport = PHONE if size == "phone" else DESKTOP
    alice = open_page("alice", **viewport, color_scheme=scheme)
    alice.open("Alice", document_id)
    alice.wait_for_message_count(5)
    # With a reaction picker open too.
    [first, *_] = alice.messages()
    alice.click_in_message(first["id"], "[data-testid=react-message]")
    assert alice.accessibility_violations() == []

    if size == "phone":
        alice.click("sidebar-toggle")
        assert alice.accessibility_violations() == []


def test_phone_keeps_the_composer_and_send_in_view(stack: LocalStack, open_page: OpenPage) -> None:
    document_id = new_document_id("phone")
    for number in range(1, 41):
        assert post_as_service(stack, document_id, f"Status line {number}").status_code == 201
    alice = open_page("alice", **PHONE)
    alice.open("Alice", document_id)
    alice.wait_for_texts("Status line 40")
    for part in ("[data-testid=composer-input]", "[data-testid=send-button]"):
        assert in_view(alice, part), part
    assert alice.evaluate("document.documentElement.scrollHeight") <= PHONE["height"]
    alice.send("Typed on a phone")
    assert in_view(alice, "[data-testid=send-button]")
    # The settings open over the chat, and close again when a document is picked.
    alice.click("sidebar-toggle")
    alice.click("document-link-launch-plan")
    alice.wait_live()
    assert alice.evaluate("document.querySelector('#sidebar').offsetParent") is None


def test_readme_screenshots(stack: LocalStack, open_page: OpenPage) -> None:
    conversation(stack, "launch-plan", ("alice", "bob", "carol"))
    bob = open_page("bob")
    bob.open("Bob", "launch-plan", via="link")
    # Tall enough for the whole conversation.
    alice = open_page("alice", width=1200, height=820)
    alice.open("Alice", "launch-plan", via="link")
    alice.wait_for_message_count(5)
    bob.type_text("Great, I'll tell the QA team")
    alice.wait_for_typing("Bob is typing…")
    alice.screenshot(screenshot_path("demo.png"))

    phone = open_page("carol", **PHONE)
    phone.open("Carol", "launch-plan", via="form")
    phone.wait_for_message_count(5)
    phone.screenshot(screenshot_path("demo-phone.png"))


def test_page_and_api_share_the_document_id_rule(open_page: OpenPage) -> None:
    page = open_page("rule")
    page.goto()
    page_says = page.evaluate(
        "(async (ids) => { const { documentIdProblem } = await import('/js/document-id.js');"
        f" return ids.map((id) => documentIdProblem(id) === null); }})({json.dumps(DOCUMENT_IDS)})"
    )
    assert page_says == [api_accepts(document_id) for document_id in DOCUMENT_IDS]


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("#doc=_private", "starts with an underscore, which docchat keeps for itself"),
        ("#doc=a%2Fb", "contains / \\ ? or #"),
        ("#doc=", "is empty"),
    ],
)
def test_an_invalid_link_says_so_and_opens_nothing(
    open_page: OpenPage, link: str, problem: str
) -> None:
    page = open_page("linked")
    page.goto(link)
    page.wait_for(
        "the invalid link notice", "!document.querySelector('[data-testid=notice]').hidden"
    )
    shown = page.snapshot()
    assert shown["notice"] == (
        f"This link does not name a valid document: its id {problem}. "
        "Pick a document from the list, or open one by id."
    )
    assert (shown["documentTitle"], shown["hash"]) == ("No document open", link)
    assert page.evaluate("document.querySelector('[data-testid=composer-input]').disabled") is True
    # Nothing was asked of the API for the link's document: only the listed documents'
    # unread counts (read, and watched to count live).
    asked = "performance.getEntriesByType('resource').map((entry) => entry.name)"
    listed = {
        f"/api/documents/{doc}/{step}" for doc in SAMPLE_DOCUMENT_IDS for step in ("read", "watch")
    }
    documents_asked = {
        urlsplit(url).path for url in page.evaluate(asked) if "/api/documents/" in url
    }
    assert documents_asked <= listed, documents_asked
    # A document from the list opens as usual.
    page.click("document-link-design-review")
    page.wait_live()
    assert page.snapshot()["notice"] is None


def test_arrow_keys_in_the_user_picker_do_not_switch_the_user(open_page: OpenPage) -> None:
    page = open_page("picker")
    page.open("Alice", new_document_id("picker"))
    for _ in range(2):
        page.press("[data-testid=user-select]", "ArrowDown")
    assert page.evaluate("document.querySelector('[data-testid=user-select]').value") == "carol"
    assert page.snapshot()["user"] == "Alice"
    page.press("[data-testid=user-select]", "Enter")
    page.wait_for(
        "Carol signed in", "document.querySelector('#current-user-name').textContent === 'Carol'"
    )
    page.wait_live()
