"""The page's emoji picker offers only reactions the API takes (web/js/emoji.js against
chat.domain.messages.emoji_problem), each once."""

from __future__ import annotations

import re
from pathlib import Path

from chat.domain.messages import emoji_problem

EMOJI_MODULE = Path(__file__).resolve().parents[2] / "web" / "js" / "emoji.js"
# The module's `['👍', 'thumbs up'],` entries.
ENTRY = re.compile(r"^\s*\['([^']+)', '[^']+'\],$", re.MULTILINE)


def offered() -> list[str]:
    return ENTRY.findall(EMOJI_MODULE.read_text(encoding="utf-8"))


def test_the_picker_offers_many_emoji_each_once() -> None:
    emoji = offered()
    assert len(emoji) > 60
    assert len(set(emoji)) == len(emoji)


def test_every_emoji_the_picker_offers_is_a_reaction_the_api_takes() -> None:
    refused = {emoji: emoji_problem(emoji) for emoji in offered() if emoji_problem(emoji)}
    assert refused == {}
