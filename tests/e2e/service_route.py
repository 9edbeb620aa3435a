"""Posting as a backend service does: the function-key route the page cannot use itself."""

from __future__ import annotations

from urllib.parse import quote

import requests

from devstack.stack import LocalStack

BOT_ID = "build-bot"
BOT_NAME = "Build bot"


def post_as_service(
    stack: LocalStack, document_id: str, text: str, *, mentions: tuple[str, ...] = ()
) -> requests.Response:
    """``POST /api/service/documents/{id}/messages`` as the build bot, with the function key,
    mentioning these user ids."""
    return requests.post(
        f"{stack.base_url}/api/service/documents/{quote(document_id, safe='')}/messages",
        json={"text": text, "senderId": BOT_ID, "senderName": BOT_NAME, "mentions": list(mentions)},
        headers={"x-functions-key": stack.function_key},
        timeout=30,
    )
