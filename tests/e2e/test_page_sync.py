"""What the page says of the open document: which messages are new, where it opens, its
unread counts in the document list, who is here, and whether it is in sync.

- The "New messages" divider marks what was unread when the document opened and what came
  while the tab was hidden, never what two people watched arrive as they chatted.
- A document with unread messages opens at the first of them, paging back for it; scrolling
  up loads older messages by itself and keeps the reader's place; neither moves the divider.
- Going to an invalid link leaves nothing of the previous document on screen.
- The pill never says "Live" while the document is not in sync (the realtime service gone).
"""

from __future__ import annotations

from typing import Any

import pytest

from devstack.stack import LocalStack
from tests.e2e.browser import Page
from tests.e2e.scenario import (
    PHONE,
    OpenPage,
    as_user,
    document_path,
    new_document_id,
    open_together,
)
from tests.e2e.service_route import post_as_service

pytestmark = pytest.mark.e2e

# The page's history page size (clients/js/src/api.js, HISTORY_PAGE_SIZE).
HISTORY_PAGE_SIZE = 50

# Where the divider is: the seq and text of the message under it, and whether it is within
# the list's visible part; null without one.
DIVIDER = """(() => {
  const divider = document.querySelector('[data-testid=unread-divider]');
  if (!divider) return null;
  const next = divider.nextElementSibling;
  const box = divider.getBoundingClientRect();
  const view = document.querySelector('[data-testid=messages]').getBoundingClientRect();
  return {
    seq: Number(next.dataset.seq),
    text: next.querySelector('[data-testid=message-text]').textContent,
    inView: box.top >= view.top - 1 && box.bottom <= view.bottom + 1,
  };
})()"""

# Where message 51's text is on screen.
TEXT_51_TOP = (
    "document.querySelector('[data-seq=\"51\"] [data-testid=message-text]')"
    ".getBoundingClientRect().top"
)
HAS_DIVIDER = "document.querySelector('[data-testid=unread-divider]') !== null"
NOTICE_SHOWN = "!document.querySelector('[data-testid=notice]').hidden"

# The tab hidden or shown again, as switching tabs does (headless tabs are always visible).
HIDE = """(() => {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
  document.dispatchEvent(new Event('visibilitychange'));
})()"""
SHOW = """(() => {
  delete document.visibilityState;
  document.dispatchEvent(new Event('visibilitychange'));
})()"""

# Whether an element is shown (in the layout, not hidden).
SHOWN = (
    "((selector) => { const node = document.querySelector(selector);"
    " return node !== null && !node.hidden && node.getClientRects().length > 0; })"
)


def divider(page: Page) -> dict[str, Any] | None:
    shown: dict[str, Any] | None = page.evaluate(DIVIDER)
    return shown


def shown(page: Page, test_id: str) -> bool:
    result: bool = page.evaluate(f"{SHOWN}('[data-testid={test_id}]')")
    return result


def post_many(stack: LocalStack, document_id: str, texts: list[str]) -> None:
    for text in texts:
        response = post_as_service(stack, document_id, text)
        assert response.status_code == 201, response.text


def mark_read(stack: LocalStack, user_id: str, document_id: str, seq: int) -> None:
    response = as_user(stack, user_id, "PUT", document_path(document_id, "read"), {"seq": seq})
    assert response.status_code == 200, response.text


def test_messages_watched_as_they_arrive_are_not_marked_new(open_page: OpenPage) -> None:
    document_id = new_document_id("watched")
    alice, bob = open_together(open_page, document_id, "Alice", "Bob")
    # Who is typing shows in a line of its own, below the messages, never over them.
    bob.type_text("Morning")
    alice.wait_for_typing("Bob is typing…")
    below = alice.evaluate(
        "document.querySelector('[data-testid=typing-indicator]').getBoundingClientRect().top"
        " >= document.querySelector('[data-testid=messages]').getBoundingClientRect().bottom"
    )
    assert below is True

    said = ["Morning! Anyone around?", "Here, reading the plan", "Great, let's start"]
    for speaker, text in zip((alice, bob, alice), said, strict=True):
        speaker.send(text)
        for page in (alice, bob):
            page.wait_for_texts(text)
    # Both sat at the bottom: neither marks the other's messages as new.
    assert (divider(alice), divider(bob)) == (None, None)

    # Bob's tab hidden: what comes meanwhile is new to him, and stays marked once he is back.
    bob.evaluate(HIDE)
    away = "Did you see the budget numbers?"
    alice.send(away)
    bob.wait_for_texts(away)
    bob.evaluate(SHOW)
    after = "They look fine to me"
    alice.send(after)
    bob.wait_for_texts(after)
    marked = divider(bob)
    assert marked is not None
    assert marked["text"] == away
    assert divider(alice) is None


def test_a_document_with_150_unread_opens_at_the_first_of_them(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("unread")
    texts = [f"Status update {number:03d}" for number in range(1, 151)]
    post_many(stack, document_id, texts)

    carol = open_page("carol")
    carol.open("Carol", document_id)
    carol.wait_for("the first unread message", HAS_DIVIDER)
    assert divider(carol) == {"seq": 1, "text": texts[0], "inView": True}
    assert carol.texts() == texts
    assert shown(carol, "load-older") is False

    # Read to the end and back up: the divider stays above the first that was unread.
    carol.evaluate(
        "(() => { const list = document.querySelector('[data-testid=messages]');"
        " list.scrollTop = list.scrollHeight; })()"
    )
    carol.wait_for("the title without unread", "!document.title.startsWith('(')")
    carol.evaluate("document.querySelector('[data-testid=messages]').scrollTop = 0")
    assert divider(carol) == {"seq": 1, "text": texts[0], "inView": True}

    # Dan had read the first 100: he opens at 101, the oldest of the newest page. Near the
    # top, the page before comes in by itself, and 101 stays where it was on screen.
    mark_read(stack, "dev-dan", document_id, 100)
    dan = open_page("dan")
    dan.open("Dan", document_id)
    dan.wait_for("the first unread message", HAS_DIVIDER)
    assert divider(dan) == {"seq": 101, "text": texts[100], "inView": True}
    dan.wait_for_message_count(2 * HISTORY_PAGE_SIZE)
    assert divider(dan) == {"seq": 101, "text": texts[100], "inView": True}

    # Scrolling to the top loads the oldest page; the text at the top stays put.
    top_before = dan.evaluate(
        "(() => { document.querySelector('[data-testid=messages]').scrollTop = 0;"
        f" return {TEXT_51_TOP}; }})()"
    )
    dan.wait_for_message_count(3 * HISTORY_PAGE_SIZE)
    top_after = dan.evaluate(TEXT_51_TOP)
    assert abs(top_after - top_before) <= 2, (top_before, top_after)
    marked = divider(dan)
    assert marked is not None
    assert marked["seq"] == 101


def test_an_invalid_link_leaves_nothing_of_the_document_before(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("stale")
    post_many(stack, document_id, [f"Line {number}" for number in range(HISTORY_PAGE_SIZE + 5)])
    mark_read(stack, "dev-erin", document_id, HISTORY_PAGE_SIZE + 5)
    erin = open_page("erin")
    erin.open("Erin", document_id)
    erin.wait_for_message_count(HISTORY_PAGE_SIZE)
    assert shown(erin, "load-older") is True

    erin.evaluate("window.location.hash = '#doc=_private'")
    erin.wait_for("the invalid link notice", NOTICE_SHOWN)
    assert erin.messages() == []
    for control in ("load-older", "jump-to-new", "threads-toggle", "empty-state"):
        assert shown(erin, control) is False, control
    assert erin.evaluate("document.querySelector('[data-testid=composer-input]').disabled") is True
    assert erin.evaluate("document.querySelector('.pill-label').textContent") != "Live"


def test_documents_opened_by_id_join_the_list_with_their_unread_count(
    stack: LocalStack, open_page: OpenPage
) -> None:
    first, second = new_document_id("listed"), new_document_id("listed")
    frank = open_page("frank", **PHONE, color_scheme="dark")
    frank.open("Frank", first)
    frank.open("Frank", second)
    link = f"[data-testid=document-link-{first}]"
    count = f"document.querySelector('{link} [data-testid=document-unread]')"

    # Two messages in the first document, one of them a mention: its notification tells the
    # page to count again at once.
    assert post_as_service(stack, first, "Contract draft is up").status_code == 201
    posted = post_as_service(stack, first, "@Frank please sign", mentions=("dev-frank",))
    assert posted.status_code == 201, posted.text
    frank.wait_for("two unread in the first document", f"{count}?.dataset.count === '2'")
    assert frank.evaluate(f"{count}.hidden") is False
    assert frank.accessibility_violations() == []

    # Remembered across a reload, and read once opened.
    frank.reload()
    frank.wait_live()
    frank.wait_for("two unread after a reload", f"{count}?.dataset.count === '2'")
    frank.open("Frank", first)
    frank.wait_for("nothing unread once read", f"{count}.dataset.count === '0'")
    assert frank.evaluate(f"{count}.hidden") is True


def test_a_listed_documents_count_rises_live_as_its_messages_arrive(
    stack: LocalStack, open_page: OpenPage
) -> None:
    watched, opened = new_document_id("watched"), new_document_id("opened")
    gina = open_page("gina-list")
    gina.open("Gina", watched)
    gina.open("Gina", opened)
    # Left for the other document, the first is heard again: watched on this connection.
    gina.wait_for(
        "the first document watched",
        "performance.getEntriesByType('resource')"
        f".some((entry) => new URL(entry.name).pathname === '/api/documents/{watched}/watch')",
    )
    # Only the live path can count from here: the list's reads of that document fail.
    gina.block_path(f"/api/documents/{watched}/read")
    count = (
        f"document.querySelector('[data-testid=document-link-{watched}] "
        "[data-testid=document-unread]')?.dataset.count"
    )

    for n in (1, 2):
        assert post_as_service(stack, watched, f"news {n}").status_code == 201
        gina.wait_for(f"{n} unread, counted live", f"{count} === '{n}'")
    assert gina.snapshot()["documentTitle"] == opened


# Records every (connection, pill, sync, notice) the page shows, as it changes.
RECORD_STATUS = """(() => {
  window.statusLog = [];
  const record = () => {
    const notice = document.querySelector('[data-testid=notice]');
    window.statusLog.push({
      label: document.querySelector('.pill-label').textContent,
      sync: document.querySelector('[data-testid=chat]').dataset.sync,
      notice: notice.hidden ? null : notice.textContent.trim(),
    });
  };
  const everything = { subtree: true, childList: true, characterData: true, attributes: true };
  new MutationObserver(record).observe(document.body, everything);
  record();
})()"""


def test_the_pill_never_says_live_while_the_realtime_service_is_unreachable(
    stack: LocalStack, open_page: OpenPage
) -> None:
    gina = open_page("gina")
    gina.open("Gina", new_document_id("status"))
    assert gina.evaluate("document.querySelector('.pill-label').textContent") == "Live"
    gina.evaluate(RECORD_STATUS)
    stack.stop_realtime()
    try:
        # The socket may come back before the service's REST API does (the join then
        # answers 503 "unreachable": the conflict the pill showed), or stay down: either
        # way the outage shows, and the log below must hold no "Live" beside it.
        gina.wait_for(
            "the outage shown",
            "document.querySelector('[data-testid=notice]').textContent.includes('unreachable')"
            " || document.querySelector('.pill-label').textContent !== 'Live'",
        )
        gina.wait_for_connection("reconnecting", "offline")
    finally:
        stack.start_realtime()
    log = gina.evaluate("window.statusLog")
    conflicting = [
        shown
        for shown in log
        if shown["label"] == "Live" and (shown["notice"] or shown["sync"] != "live")
    ]
    assert conflicting == [], conflicting
    gina.wait_live()
    gina.wait_for("Live again", "document.querySelector('.pill-label').textContent === 'Live'")
