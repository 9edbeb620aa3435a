"""How messages look and are acted on in the demo page (issue 25): emoji drawn in colour, the
message toolbar (desktop) and action sheet (touch), the "more reactions" grid, the composer,
jumbo emoji and the markdown subset, each accessible (axe-core) with its controls open.
"""

from __future__ import annotations

import pytest

from tests.e2e.browser import Page
from tests.e2e.scenario import OpenPage, new_document_id

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
