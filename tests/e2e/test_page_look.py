"""How messages look and are acted on in the demo page (issue 25): emoji drawn in colour, the
message toolbar (desktop) and action sheet (touch), the "more reactions" grid, the composer,
jumbo emoji and the markdown subset, each accessible (axe-core) with its controls open.
"""

from __future__ import annotations

import json

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
)

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
    # And every emoji of the larger picker (symbols such as ☕, ⭐ and ⚠️ among them).
    alice.click_in_message(message_id(alice, "Pick a face"), "[data-testid=more-reactions]")
    offered: list[str] = alice.evaluate(
        "[...document.querySelectorAll('[data-testid=emoji-choice]')]"
        ".map((cell) => cell.dataset.emoji)"
    )
    assert len(offered) > 60
    fonts = {
        emoji: {
            font["familyName"]
            for font in alice.platform_fonts(f"[data-testid=emoji-choice][data-emoji='{emoji}']")
        }
        for emoji in offered
    }
    assert {emoji: found for emoji, found in fonts.items() if found != {COLOUR_EMOJI_FONT}} == {}


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


def in_message(message_id: str, selector: str) -> str:
    """The selector of what ``selector`` finds in the message with this id."""
    return f"[data-testid=message][data-id={json.dumps(message_id)}] {selector}"


def active(page: Page) -> dict[str, str | None]:
    """The focused element: its test id and the id of the message it is in."""
    found: dict[str, str | None] = page.evaluate(
        "({testid: document.activeElement?.dataset.testid ?? null,"
        " message: document.activeElement?.closest('[data-testid=message]')?.dataset.id ?? null})"
    )
    return found


def shown_actions(page: Page, message_id: str) -> list[str]:
    """The names of a message's action buttons that are on screen."""
    names: list[str] = page.evaluate(
        f"[...document.querySelectorAll({json.dumps(in_message(message_id, 'button'))})]"
        ".filter((b) => b.closest('.message-actions')"
        " && b.checkVisibility({opacityProperty: true}))"
        ".map((b) => b.getAttribute('aria-label'))"
    )
    return names


SHEET_OPEN = "document.querySelector('[data-testid=action-sheet]')?.open === true"
SHEET_CLOSED = "document.querySelector('[data-testid=action-sheet]')?.open === false"
PICKER_OPEN = "document.querySelector('[data-testid=emoji-picker]')?.open === true"
PICKER_CLOSED = "document.querySelector('[data-testid=emoji-picker]')?.open === false"
SHEET_BUTTONS = (
    "[...document.querySelectorAll('[data-testid=action-sheet] button')]"
    ".map((b) => b.getAttribute('aria-label') ?? b.textContent)"
)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_touch_phone_a_long_press_or_the_more_button_opens_an_action_sheet(
    open_page: OpenPage, scheme: str
) -> None:
    document_id = new_document_id("sheet")
    alice = open_page("alice", **PHONE, color_scheme=scheme, touch=True)
    alice.open("Alice", document_id)
    assert alice.evaluate("matchMedia('(pointer: coarse)').matches") is True
    alice.send("Ship on Friday")
    ship = message_id(alice, "Ship on Friday")

    # No row of text links under the message: one "⋯" button beside it.
    assert shown_actions(alice, ship) == ["More actions"]
    assert (
        alice.evaluate(f"document.querySelector({json.dumps(in_message(ship, '.message-footer'))})")
        is None
    )

    alice.long_press(in_message(ship, "[data-testid=message-text]"), SHEET_OPEN)
    assert alice.evaluate(SHEET_BUTTONS) == [
        "React with thumbs up",
        "React with heart",
        "React with laughing",
        "React with party popper",
        "React with surprised",
        "React with eyes",
        "More reactions",
        "Reply in thread",
        "Edit",
        "Delete",
        "Cancel",
    ]
    assert active(alice)["testid"] == "sheet-reaction"
    assert alice.accessibility_violations() == []
    # Escape closes it, and focus goes back to the message's "⋯".
    alice.press_keys("Escape")
    alice.wait_for("the sheet closed", SHEET_CLOSED)
    assert active(alice) == {"testid": "more-message", "message": ship}

    # The "⋯" button opens it too; a reaction from it reaches the message.
    alice.click_selector(in_message(ship, "[data-testid=more-message]"))
    alice.wait_for("the sheet open", SHEET_OPEN)
    alice.click_selector("[data-testid=sheet-reaction][data-react='🎉']")
    wait_for_reaction(alice, ship, "🎉")

    # "More reactions" opens the emoji picker: arrow keys move, Enter picks.
    alice.click_selector(in_message(ship, "[data-testid=more-message]"))
    alice.click_selector("[data-testid=sheet-more-reactions]")
    alice.wait_for("the emoji picker open", PICKER_OPEN)
    assert alice.accessibility_violations() == []
    alice.press_keys("ArrowDown", "ArrowRight", "ArrowRight", "ArrowLeft", "Enter")
    # Row 2, column 2 of 8: after the 6 quick reactions, 😀 😄 😁 😅.
    wait_for_reaction(alice, ship, "😅")
    assert active(alice) == {"testid": "more-message", "message": ship}

    # Edit from the sheet: the edit box opens with focus, its first line whole.
    alice.click_selector(in_message(ship, "[data-testid=more-message]"))
    alice.click_selector("[data-testid=sheet-edit]")
    alice.wait_for("the edit box focused", "document.activeElement.dataset.testid === 'edit-text'")
    edit_box = alice.evaluate(
        "(() => { const box = document.activeElement; const line = parseFloat("
        "getComputedStyle(box).lineHeight); return {clipped: box.scrollHeight > box.clientHeight,"
        " room: box.clientHeight >= line, scrolled: box.scrollTop}; })()"
    )
    assert edit_box == {"clipped": False, "room": True, "scrolled": 0}
    alice.press("[data-testid=edit-text]", "Escape")

    # Delete from the sheet asks first, in place.
    alice.click_selector(in_message(ship, "[data-testid=more-message]"))
    alice.click_selector("[data-testid=sheet-delete]")
    alice.wait_for(
        "the delete question", "document.activeElement.dataset.testid === 'confirm-delete'"
    )
    alice.click_selector(in_message(ship, "[data-testid=confirm-delete]"))
    alice.wait_for_texts("Message deleted")


def wait_for_reaction(page: Page, message_id: str, emoji: str) -> None:
    chip = in_message(message_id, f"[data-testid=reaction][data-react='{emoji}']")
    page.wait_for(
        f"my {emoji} on {message_id}",
        f"document.querySelector({json.dumps(chip)})?.getAttribute('aria-pressed') === 'true'",
    )


def overlap(page: Page, first: str, second: str) -> bool:
    """Whether what the two selectors find overlap on screen."""
    result: bool = page.evaluate(
        f"(() => {{ const a = document.querySelector({json.dumps(first)}).getBoundingClientRect();"
        f" const b = document.querySelector({json.dumps(second)}).getBoundingClientRect();"
        " return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; })()"
    )
    return result


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_desktop_an_icon_toolbar_shows_on_hover_and_focus_beside_the_message(
    open_page: OpenPage, scheme: str
) -> None:
    document_id = new_document_id("toolbar")
    alice = open_page("alice", **DESKTOP, color_scheme=scheme)
    alice.open("Alice", document_id)
    alice.send("A message long enough to fill a good part of the bubble's width, and more")
    alice.send("Short")
    long, short = (message["id"] for message in alice.messages())

    # Not shown until the message is pointed at, or holds focus.
    alice.evaluate("document.querySelector('[data-testid=composer-input]').focus()")
    assert shown_actions(alice, short) == []
    alice.evaluate(
        f"document.querySelector({json.dumps(in_message(short, '[data-testid=react-message]'))})"
        ".focus()"
    )
    assert shown_actions(alice, short) == ["React", "Reply in thread", "Edit", "Delete"]
    for message in (long, short):
        for row in (message, long, short):
            assert not overlap(
                alice, in_message(message, ".message-actions"), in_message(row, ".message-body")
            )

    # React opens the quick reactions, "+" the emoji picker; Escape gives focus back.
    alice.click_in_message(short, "[data-testid=react-message]")
    alice.click_in_message(short, "[data-testid=more-reactions]")
    alice.wait_for("the emoji picker open", PICKER_OPEN)
    assert alice.accessibility_violations() == []
    alice.press_keys("Escape")
    alice.wait_for("the emoji picker closed", PICKER_CLOSED)
    assert active(alice) == {"testid": "more-reactions", "message": short}
    alice.click_in_message(short, "[data-testid=more-reactions]")
    alice.press_keys("ArrowRight", "ArrowRight", "ArrowDown", "ArrowLeft", "Enter")
    # Row 2, column 2 again: 😅.
    wait_for_reaction(alice, short, "😅")
    assert active(alice) == {"testid": "react-message", "message": short}
    assert alice.accessibility_violations() == []


BOX = "document.querySelector('[data-testid=composer-input]')"
SEND = "document.querySelector('[data-testid=send-button]')"


def box_height(page: Page) -> float:
    height: float = page.evaluate(f"{BOX}.getBoundingClientRect().height")
    return height


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_composer_is_one_growing_line_with_inline_emoji_and_send_buttons(
    open_page: OpenPage, scheme: str
) -> None:
    alice = open_page("alice", **PHONE, color_scheme=scheme, touch=True)
    alice.open("Alice", new_document_id("composer-look"))
    looks = alice.evaluate(
        f"""(() => {{
          const form = document.querySelector('[data-testid=composer]');
          const box = {BOX}, send = {SEND}, emoji = form.querySelector('.composer-emoji');
          const middle = (node) => {{ const r = node.getBoundingClientRect();
            return (r.top + r.bottom) / 2; }};
          const inside = (node) => {{ const r = box.getBoundingClientRect(), m = middle(node);
            return m > r.top && m < r.bottom; }};
          return {{
            height: form.getBoundingClientRect().height,
            resize: getComputedStyle(box).resize,
            placeholder: box.placeholder,
            hint: document.querySelector('[data-testid=composer-hint]').textContent,
            send: [send.getAttribute('aria-label'), send.getAttribute('aria-disabled'),
                   getComputedStyle(send).cursor],
            emoji: emoji.getAttribute('aria-label'),
            inline: inside(send) && inside(emoji),
          }};
        }})()"""
    )
    # One line between its two buttons, well under a quarter of the phone's 844 px.
    assert looks.pop("height") <= 64
    assert looks == {
        "resize": "none",
        "placeholder": "Message… (@ to mention)",
        "hint": "",
        "send": ["Send", "true", "not-allowed"],
        "emoji": "Insert an emoji",
        "inline": True,
    }
    one_line = box_height(alice)

    # It grows as lines are added (Shift+Enter), up to a cap, then scrolls.
    alice.type_text("first line")
    alice.press_keys("Shift+Enter")
    alice.type_text("second line")
    two_lines = box_height(alice)
    assert two_lines > one_line
    assert alice.evaluate(f"{SEND}.getAttribute('aria-disabled')") == "false"
    for number in range(3, 13):
        alice.press_keys("Shift+Enter")
        alice.type_text(f"line {number}")
    capped = alice.evaluate(
        f"({{height: {BOX}.getBoundingClientRect().height,"
        f" scrolls: {BOX}.scrollHeight > {BOX}.clientHeight}})"
    )
    assert two_lines < capped["height"] <= 200
    assert capped["scrolls"] is True
    # Enter sends it whole, and the box is one line again.
    alice.press_keys("Enter")
    alice.wait_for_message_count(1)
    assert alice.texts()[0].startswith("first line\nsecond line\nline 3")
    alice.wait_for("the box empty", f"{BOX}.value === ''")
    assert box_height(alice) == one_line

    # The emoji button inserts at the caret, and gives focus back to the box.
    alice.type_text("Nice ")
    alice.click_selector("[data-testid=composer-emoji]")
    alice.wait_for("the emoji picker open", PICKER_OPEN)
    assert alice.evaluate("document.querySelector('#emoji-picker-title').textContent") == (
        "Insert an emoji"
    )
    assert alice.accessibility_violations() == []
    alice.press_keys("ArrowRight", "Enter")
    alice.wait_for("the emoji in the box", f"{BOX}.value === 'Nice ❤️'")
    assert alice.evaluate("document.activeElement.dataset.testid") == "composer-input"

    # The thread's reply box is the same composer.
    reply_parts = alice.evaluate(
        "(() => { const form = document.querySelector('[data-testid=reply-composer]');"
        " return [form.querySelector('.composer-emoji').getAttribute('aria-label'),"
        " form.querySelector('[data-testid=reply-button]').getAttribute('aria-label'),"
        " form.querySelector('textarea').rows]; })()"
    )
    assert reply_parts == ["Insert an emoji", "Send reply", 1]

    # With no document to send to, everything in it looks and says disabled.
    alice.goto("#doc=_private")
    alice.wait_for("the invalid link notice", f"{BOX}.disabled")
    disabled = alice.evaluate(
        f"""(() => {{
          const emoji = document.querySelector('[data-testid=composer-emoji]');
          return {{
            box: getComputedStyle({BOX}).cursor,
            emoji: [emoji.disabled, getComputedStyle(emoji).cursor],
            send: [{SEND}.getAttribute('aria-disabled'), getComputedStyle({SEND}).cursor],
            hint: document.querySelector('[data-testid=composer-hint]').textContent,
          }};
        }})()"""
    )
    assert disabled == {
        "box": "not-allowed",
        "emoji": [True, "not-allowed"],
        "send": ["true", "not-allowed"],
        "hint": "Open a document to chat",
    }
