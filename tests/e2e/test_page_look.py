"""How messages look and are acted on in the demo page (issue 25): emoji drawn in colour, the
message toolbar (desktop) and action sheet (touch), the "more reactions" grid, the composer,
jumbo emoji and the markdown subset, each accessible (axe-core) with its controls open.
"""

from __future__ import annotations

import pytest

from devstack.stack import LocalStack
from tests.e2e.browser import Page
from tests.e2e.scenario import OpenPage, as_user, document_path, new_document_id

pytestmark = pytest.mark.e2e

# Debian's colour emoji font, which the Makefile's system-packages target installs.
COLOUR_EMOJI_FONT = "Noto Color Emoji"


def message_id(page: Page, text: str) -> str:
    found: str = next(message["id"] for message in page.messages() if message["text"] == text)
    return found


def test_reaction_picker_draws_every_emoji_with_the_colour_emoji_font(
    open_page: OpenPage,
) -> None:
    alice = open_page("alice")
    alice.open("Alice", new_document_id("emoji-font"))
    alice.send("Pick a face")
    alice.click_in_message(message_id(alice, "Pick a face"), "[data-testid=react-message]")
    choices: list[str] = alice.evaluate(
        "[...document.querySelectorAll('[data-testid=reaction-choice]')]"
        ".map((choice) => choice.dataset.react)"
    )
    assert {"😂", "😮", "👍"} <= set(choices)
    # Without an emoji font in the stack, Chromium falls back to the first font holding the
    # glyph: DejaVu Sans draws 😂 and 😮 as monochrome outlines.
    drawn = {
        emoji: alice.platform_fonts(f"[data-testid=reaction-choice][data-react='{emoji}']")
        for emoji in choices
    }
    assert {emoji: [font["familyName"] for font in fonts] for emoji, fonts in drawn.items()} == {
        emoji: [COLOUR_EMOJI_FONT] for emoji in choices
    }


def test_markdown_subset_and_jumbo_emoji_render_safely(
    stack: LocalStack, open_page: OpenPage
) -> None:
    document_id = new_document_id("markdown")
    texts = [
        "**Ship** it *today*, @Bob: run `make **test**`\n- one\n- two\n\n1. first",
        "```\n<b>code</b> *x*\n```",
        "[the brief](https://example.org/brief) [bad](javascript:alert(1))"
        " <img src=x onerror=alert(1)>",
        "🎉 👍",
        "🎉 hooray",
    ]
    for text in texts:
        body = {"text": text, "mentions": ["bob"] if "@Bob" in text else []}
        answer = as_user(stack, "alice", "POST", document_path(document_id, "messages"), body)
        assert answer.status_code == 201, answer.text
    bob = open_page("bob")
    bob.open("Bob", document_id)
    bob.wait_for_message_count(len(texts))
    shapes = bob.evaluate(
        """[...document.querySelectorAll('[data-testid=message-text]')].map((text) => ({
          html: [...text.querySelectorAll('*')].map((node) => node.tagName.toLowerCase()),
          dirs: [...text.querySelectorAll('p, ul, ol')].map((node) => node.dir),
          text: text.textContent,
          jumbo: text.dataset.jumbo ?? null,
          links: [...text.querySelectorAll('a')].map((a) => [a.getAttribute('href'), a.rel]),
        }))"""
    )
    formatted, block, linked, jumbo, plain = shapes
    assert formatted["html"] == [
        "p", "strong", "em", "span", "code", "ul", "li", "li", "ol", "li",
    ]  # fmt: skip
    assert formatted["dirs"] == ["auto", "auto", "auto"]
    assert formatted["text"] == "Ship it today, @Bob: run make **test**onetwofirst"
    assert bob.evaluate("document.querySelector('.mention-me').textContent") == "@Bob"
    assert block["html"] == ["pre", "code"]
    assert block["text"] == "<b>code</b> *x*"
    # Only the http(s) link is a link; markup and the javascript: link stay text.
    assert linked["links"] == [["https://example.org/brief", "noopener noreferrer"]]
    assert linked["text"] == ("the brief [bad](javascript:alert(1)) <img src=x onerror=alert(1)>")
    injected = "document.querySelectorAll('.message-list img, .message-list b').length"
    assert bob.evaluate(injected) == 0
    assert (jumbo["jumbo"], plain["jumbo"]) == ("2", None)
    big, normal = bob.evaluate(
        "[...document.querySelectorAll('[data-testid=message-text]')].slice(3)"
        ".map((text) => parseFloat(getComputedStyle(text).fontSize))"
    )
    assert big >= 2 * normal
